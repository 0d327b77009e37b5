package charts

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// box is a rectangle in pixels.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) rect() image.Rectangle {
	return image.Rect(int(math.Floor(b.x0)), int(math.Floor(b.y0)), int(math.Ceil(b.x1)), int(math.Ceil(b.y1)))
}

// chart is one chart being drawn: the canvas, the typesetter and the
// sizes, which grow and shrink with the image.
type chart struct {
	c   *canvas
	t   *typesetter
	rtl bool
	w   float64
	h   float64
	// s is the scale against the default size.
	s float64
	// Font sizes in pixels, and the margin round the chart.
	titleSize, labelSize, tickSize, pad float64
}

func newChart(width, height int, rtl bool) (*chart, error) {
	width, height, err := checkSize(width, height)
	if err != nil {
		return nil, err
	}
	t, err := newTypesetter()
	if err != nil {
		return nil, err
	}
	s := min(float64(width)/DefaultWidth, float64(height)/DefaultHeight)
	return &chart{
		c: newCanvas(width, height, background), t: t, rtl: rtl,
		w: float64(width), h: float64(height), s: s,
		titleSize: 40 * s, labelSize: 26 * s, tickSize: 24 * s, pad: 32 * s,
	}, nil
}

// encode writes the chart as a PNG.
func (ch *chart) encode(w io.Writer) error {
	if err := png.Encode(w, ch.c.img); err != nil {
		return fmt.Errorf("encode chart: %w", err)
	}
	return nil
}

// dir is the paragraph direction of the chart's own text.
func (ch *chart) dir() direction {
	if ch.rtl {
		return dirRTL
	}
	return dirLTR
}

// align places text horizontally against an x position.
type align int

const (
	alignLeft align = iota
	alignRight
	alignCenter
)

// start is the alignment where reading starts: right in an RTL chart.
func (ch *chart) start() align {
	if ch.rtl {
		return alignRight
	}
	return alignLeft
}

// put draws tx against x with its baseline at y.
func (ch *chart) put(tx text, x, y float64, a align, col color.RGBA) {
	switch a {
	case alignRight:
		x -= tx.width
	case alignCenter:
		x -= tx.width / 2
	}
	ch.c.drawText(tx, x, y, col)
}

// halo draws tx like put, over a rim of background that keeps it
// legible where it crosses a line.
func (ch *chart) halo(tx text, x, y float64, a align, col color.RGBA) {
	r := 2.5 * ch.s
	for k := 0; k < 8; k++ {
		an := float64(k) * math.Pi / 4
		ch.put(tx, x+r*math.Cos(an), y+r*math.Sin(an), a, background)
	}
	ch.put(tx, x, y, a, col)
}

// middle is the baseline that centres text of the given size on y:
// halfway up the digits and the body of the Arabic letters.
func middle(y, size float64) float64 { return y + 0.34*size }

// lineHeight is the height a line of text of the given size takes,
// with room for Arabic marks above and tails below.
func lineHeight(size float64) float64 { return 1.5 * size }

// baseline is where a line of the given size whose box starts at top
// sits.
func baseline(top, size float64) float64 { return top + 1.05*size }

// title draws the title across the top and returns the y below it.
func (ch *chart) title(s string) float64 {
	top := ch.pad * 0.8
	if s == "" {
		return top
	}
	x := ch.pad
	if ch.rtl {
		x = ch.w - ch.pad
	}
	for _, tx := range ch.t.wrap2(s, ch.titleSize, bold, ch.dir(), ch.w-2*ch.pad) {
		ch.put(tx, x, baseline(top, ch.titleSize), ch.start(), titleInk)
		top += lineHeight(ch.titleSize) * 0.9
	}
	return top + 0.1*lineHeight(ch.titleSize)
}

// legendItem is one series in the legend.
type legendItem struct {
	name string
	col  color.RGBA
	// marker is the marker shape of a line series; -1 draws a box.
	marker int
}

// legend draws the items in reading order from top, wrapping as
// needed, and returns the y below them. A single unnamed series needs
// no legend.
func (ch *chart) legend(items []legendItem, top float64) float64 {
	if len(items) == 0 || len(items) == 1 && items[0].name == "" {
		return top
	}
	size := ch.labelSize
	sw, gap, sep := 0.8*size, 0.4*size, 1.3*size
	if items[0].marker >= 0 {
		sw = 1.7 * size
	}
	room := ch.w - 2*ch.pad
	// A long name gets half a row, so that the others still fit beside it.
	nameRoom := room - sw - gap
	if len(items) > 1 {
		nameRoom = room/2 - sw - gap - sep
	}
	top += 0.15 * size
	used := 0.0
	for _, it := range items {
		tx := ch.t.fit(it.name, size, regular, ch.dir(), nameRoom)
		need := sw + gap + tx.width
		if used > 0 && used+sep+need > room {
			top += lineHeight(size)
			used = 0
		}
		if used > 0 {
			used += sep
		}
		// Items run from the reading start: the left, or the right.
		x0 := ch.pad + used
		if ch.rtl {
			x0 = ch.w - ch.pad - used - need
		}
		cy := top + lineHeight(size)/2
		swatchX, labelX := x0, x0+sw+gap
		if ch.rtl {
			swatchX, labelX = x0+need-sw, x0
		}
		ch.swatch(it, box{swatchX, cy - sw/2, swatchX + sw, cy + sw/2})
		ch.put(tx, labelX, middle(cy, size), alignLeft, labelInk)
		used += need
	}
	return top + lineHeight(size)
}

// swatch draws a legend item's box, or its line and marker, in b.
func (ch *chart) swatch(it legendItem, b box) {
	if it.marker < 0 {
		ch.c.rect(b.x0, b.y0, b.x1, b.y1, it.col)
		return
	}
	cy := (b.y0 + b.y1) / 2
	ch.c.stroke([]point{{b.x0, cy}, {b.x1, cy}}, 4*ch.s, it.col, ch.c.img.Bounds())
	ch.marker(it.marker, point{(b.x0 + b.x1) / 2, cy}, it.col)
}

// tickLabels formats the ticks of a with format, or with as many
// decimals as the step needs.
func tickLabels(a axis, format func(float64) string) []string {
	out := make([]string, len(a.ticks))
	for i, v := range a.ticks {
		if format != nil {
			out[i] = format(v)
		} else {
			out[i] = formatNumber(v, a.decimals())
		}
	}
	return out
}

// widest lays out each string at the tick size and returns the texts
// and the widest advance.
func (ch *chart) widest(ss []string) ([]text, float64) {
	txs := make([]text, len(ss))
	w := 0.0
	for i, s := range ss {
		txs[i] = ch.t.layout(s, ch.tickSize, regular, dirAuto)
		w = max(w, txs[i].width)
	}
	return txs, w
}

// marker draws the marker shape m at p: shapes as well as colours tell
// the lines apart, for readers who cannot see the difference in hue.
func (ch *chart) marker(m int, p point, col color.RGBA) {
	r := 7 * ch.s
	var shape []point
	switch m % 4 {
	case 0:
		shape = circle(p, r)
	case 1:
		r *= 0.9
		shape = []point{{p.x - r, p.y - r}, {p.x + r, p.y - r}, {p.x + r, p.y + r}, {p.x - r, p.y + r}}
	case 2:
		r *= 1.3
		shape = []point{{p.x, p.y - r}, {p.x + r, p.y}, {p.x, p.y + r}, {p.x - r, p.y}}
	case 3:
		r *= 1.3
		shape = []point{{p.x, p.y - r}, {p.x + r*0.95, p.y + r*0.7}, {p.x - r*0.95, p.y + r*0.7}}
	}
	halo := make([]point, len(shape))
	for i, q := range shape {
		// A white rim keeps markers apart where lines cross.
		halo[i] = point{p.x + (q.x-p.x)*1.35, p.y + (q.y-p.y)*1.35}
	}
	ch.c.fill([][]point{halo}, background, ch.c.img.Bounds())
	ch.c.fill([][]point{shape}, col, ch.c.img.Bounds())
}
