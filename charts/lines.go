package charts

import (
	"image/color"
	"io"
	"math"
)

// PNG draws the chart as a PNG image of width by height pixels into w;
// a size of 0 takes the default. It returns ErrSize for a size out of
// range.
func (l Lines) PNG(w io.Writer, width, height int) error {
	ch, err := newChart(width, height, l.RTL)
	if err != nil {
		return err
	}
	ch.lines(l)
	return ch.encode(w)
}

// Most points a line carries markers and values for; past that they
// crowd into a smear.
const (
	maxMarkers = 31
	maxValues  = 12
)

func (ch *chart) lines(l Lines) {
	l.Series = trimmed(l.Series, len(l.Labels))
	top := ch.legend(seriesItems(l.Series, true), ch.title(l.Title))
	lo, hi, some, whole := l.span()
	axisFor := func(n int) axis {
		a := niceAxis(lo, hi, n, whole)
		if l.Max > l.Min {
			// A fixed axis ends where the caller said, e.g. at 5 stars.
			a.lo, a.hi = l.Min, l.Max
		}
		return a
	}
	lay := ch.layoutCategories(top, l.Labels, axisFor, some, l.ValueFormat, 0.15*ch.labelSize)
	ch.drawFrame(lay)
	ch.c.rect(lay.plot.x0, lay.plot.y1-ch.s, lay.plot.x1, lay.plot.y1+ch.s, axisInk)
	if !some {
		return
	}
	for j, s := range l.Series {
		ch.trend(s, seriesColour(j), lay)
	}
	for j, s := range l.Series {
		ch.points(l, j, s, lay)
	}
}

// span returns the range the value axis covers, whether any value is
// drawn, and whether all are whole numbers.
func (l Lines) span() (lo, hi float64, some, whole bool) {
	lo, hi, whole = math.Inf(1), math.Inf(-1), true
	for _, s := range l.Series {
		for i := range l.Labels {
			if v := s.value(i); !math.IsNaN(v) {
				lo, hi, some = min(lo, v), max(hi, v), true
				whole = whole && v == math.Trunc(v)
			}
		}
	}
	switch {
	case l.Max > l.Min:
		lo, hi = l.Min, l.Max
	case !some:
		lo, hi = 0, 1
	case hi > lo:
		// A little room, so the extremes do not sit on the frame; a
		// count never dips below zero for it.
		margin := (hi - lo) * 0.08
		lo, hi = max(lo-margin, min(lo, 0)), hi+margin
	}
	return lo, hi, some, whole
}

// lineWidth is the width of a trend line at the default size.
const lineWidth = 5

// trend draws one series as a line, broken where values are missing.
// Values off a fixed axis are cut at the edge of the plot.
func (ch *chart) trend(s Series, col color.RGBA, l catLayout) {
	edge := lineWidth*ch.s/2 + 1
	clip := box{l.plot.x0, l.plot.y0 - edge, l.plot.x1, l.plot.y1 + edge}.rect()
	var run []point
	flush := func() {
		if len(run) > 1 {
			ch.c.stroke(run, lineWidth*ch.s, col, clip)
		}
		run = run[:0]
	}
	for i, x := range l.x {
		if v := s.value(i); math.IsNaN(v) {
			flush()
		} else {
			run = append(run, point{x, l.y(v)})
		}
	}
	flush()
}

// points draws series j's markers and, for a single short series, its
// values.
func (ch *chart) points(l Lines, j int, s Series, lay catLayout) {
	format := l.ValueFormat
	if format == nil {
		format = formatValue
	}
	n := len(lay.x)
	eps := (lay.a.hi - lay.a.lo) * 1e-9
	for i, x := range lay.x {
		v := s.value(i)
		if math.IsNaN(v) || v < lay.a.lo-eps || v > lay.a.hi+eps {
			continue
		}
		// A lone point between gaps would vanish without its marker.
		lone := math.IsNaN(s.value(i-1)) && math.IsNaN(s.value(i+1))
		if n <= maxMarkers || lone {
			ch.marker(j, point{x, lay.y(v)}, seriesColour(j))
		}
		if len(l.Series) > 1 || n > maxValues {
			continue
		}
		// Above the point, unless the line dips to it: then below,
		// where the line is not.
		base := lay.y(v) - 0.7*ch.tickSize
		if s.dip(i) && lay.y(v)+1.45*ch.tickSize < lay.plot.y1 {
			base = lay.y(v) + 1.45*ch.tickSize
		}
		ch.halo(ch.t.layout(format(v), ch.tickSize, regular, dirAuto), x, base, alignCenter, labelInk)
	}
}

// dip reports whether the line rises on both sides of point i (or on
// the one side it has).
func (s Series) dip(i int) bool {
	v, prev, next := s.value(i), s.value(i-1), s.value(i+1)
	higher := func(w float64) bool { return math.IsNaN(w) || w > v }
	return higher(prev) && higher(next) && !(math.IsNaN(prev) && math.IsNaN(next))
}

// trimmed returns ss without the values past the n labels, so that a
// longer series does not look like it goes on.
func trimmed(ss []Series, n int) []Series {
	out := make([]Series, len(ss))
	for j, s := range ss {
		out[j] = Series{s.Name, s.Values[:min(len(s.Values), n)]}
	}
	return out
}
