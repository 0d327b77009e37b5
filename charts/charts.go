// Package charts draws the charts of managers' reports as PNG images,
// sized to be read on a phone.
//
// Arabic comes first: text is shaped with HarfBuzz's rules (letters
// joined, marks placed), runs of digits and Latin inside Arabic are
// ordered by the Unicode bidirectional algorithm, and a chart marked RTL
// reads right to left as a whole. The package writes no words of its
// own: titles, labels and series names come from the caller, who takes
// them from the locale files; it only formats numbers, with Western
// digits and comma thousands separators unless the caller passes a
// ValueFormat.
//
// Each chart is a plain value; PNG may be called from several
// goroutines at once.
package charts

import (
	"errors"
	"fmt"
	"image/color"
)

// Default size of a chart, in pixels: wide enough for a phone held
// upright to show it at full width, and what the font sizes are tuned for.
const (
	DefaultWidth  = 1080
	DefaultHeight = 720
)

// Limits on the size of a chart, in pixels.
const (
	minSize = 240
	maxSize = 4096
)

// ErrSize means the width or height asked for is out of range.
var ErrSize = errors.New("chart size out of range")

// Series is one named set of values, one per label. A NaN value is
// missing: no bar, a gap in a line.
type Series struct {
	Name   string
	Values []float64
}

// Bars is a vertical bar chart over categories, such as tickets per day
// by channel: one bar per series in each category, side by side, or
// stacked when Stacked is set. Values beyond the labels are ignored.
type Bars struct {
	Title   string
	Labels  []string
	Series  []Series
	Stacked bool
	// RTL makes the chart read right to left: the first category on
	// the right, the value axis on the right.
	RTL bool
	// ValueFormat writes the numbers on the axis and above the bars;
	// nil writes them with Western digits and comma thousands separators.
	ValueFormat func(float64) string
}

// HBars is a horizontal bar chart, one bar per label from the top down,
// such as the median hours to resolve a ticket at each centre. The
// label column takes long names, on two lines when the rows are high
// enough, cut short with an ellipsis beyond about two fifths of the
// width. Rows lower than a line of text get only every few labels and
// no values: for long lists, ask for a taller image.
type HBars struct {
	Title  string
	Labels []string
	Values []float64
	// ValueLabels, when not nil, are written at the end of each bar
	// instead of the formatted value, e.g. "12 ساعة".
	ValueLabels []string
	// RTL puts the labels on the right and grows the bars leftwards.
	RTL bool
	// Highlight lists the indices of bars to colour apart, e.g. those
	// over the target.
	Highlight []int
	// Target draws a dashed reference line at that value; 0 draws none.
	Target float64
	// ValueFormat writes the numbers on the axis, and at the bars when
	// ValueLabels is nil; nil writes them with Western digits and comma
	// thousands separators.
	ValueFormat func(float64) string
}

// Lines is a trend over categories, such as the average rating per week.
type Lines struct {
	Title  string
	Labels []string
	Series []Series
	// Min and Max fix the value axis, e.g. 1 to 5 for ratings; when Max
	// is not above Min the axis fits the data.
	Min, Max float64
	// RTL makes time run right to left: the first label on the right,
	// the value axis on the right.
	RTL bool
	// ValueFormat writes the numbers on the axis, and at the points of
	// a single short series; nil writes them with Western digits and
	// comma thousands separators.
	ValueFormat func(float64) string
}

// palette is the Okabe–Ito set, which people with any common kind of
// colour blindness can tell apart, in an order that keeps neighbouring
// series far apart and the pale yellow last.
var palette = [...]color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0xD5, 0x5E, 0x00, 0xff}, // vermilion
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
	{0x00, 0x00, 0x00, 0xff}, // black
}

// Colours of everything that is not data. Text is dark grey on white,
// well above the 4.5:1 contrast that small text needs.
var (
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
	titleInk   = color.RGBA{0x1a, 0x1a, 0x1a, 0xff}
	labelInk   = color.RGBA{0x33, 0x33, 0x33, 0xff}
	tickInk    = color.RGBA{0x55, 0x55, 0x55, 0xff}
	gridInk    = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	axisInk    = color.RGBA{0x88, 0x88, 0x88, 0xff}
	zeroInk    = color.RGBA{0x44, 0x44, 0x44, 0xff}
	// plain and highlight colour the horizontal bars: blue and
	// vermilion stay apart for every kind of colour blindness.
	plain     = palette[0]
	highlight = palette[5]
)

func seriesColour(i int) color.RGBA { return palette[i%len(palette)] }

// checkSize applies the defaults and limits to a requested size.
func checkSize(width, height int) (int, int, error) {
	if width == 0 {
		width = DefaultWidth
	}
	if height == 0 {
		height = DefaultHeight
	}
	if width < minSize || height < minSize || width > maxSize || height > maxSize {
		return 0, 0, fmt.Errorf("%dx%d, want %d to %d: %w", width, height, minSize, maxSize, ErrSize)
	}
	return width, height, nil
}
