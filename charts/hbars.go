package charts

import (
	"io"
	"math"
	"slices"
)

// PNG draws the chart as a PNG image of width by height pixels into w;
// a size of 0 takes the default. It returns ErrSize for a size out of
// range.
func (h HBars) PNG(w io.Writer, width, height int) error {
	ch, err := newChart(width, height, h.RTL)
	if err != nil {
		return err
	}
	ch.hbars(h)
	return ch.encode(w)
}

// value is bar i's value, or NaN.
func (h HBars) value(i int) float64 {
	if i >= 0 && i < len(h.Values) && finite(h.Values[i]) {
		return h.Values[i]
	}
	return math.NaN()
}

// valueLabels writes the text at the end of each bar.
func (h HBars) valueLabels() []string {
	out := make([]string, len(h.Labels))
	for i := range out {
		switch v := h.value(i); {
		case i < len(h.ValueLabels):
			out[i] = h.ValueLabels[i]
		case math.IsNaN(v):
		case h.ValueFormat != nil:
			out[i] = h.ValueFormat(v)
		default:
			out[i] = formatValue(v)
		}
	}
	return out
}

// span returns the range the axis covers (always including zero and
// the target), whether any bar is drawn, and whether all values are
// whole numbers.
func (h HBars) span() (lo, hi float64, some, whole bool) {
	whole = true
	for i := range h.Labels {
		if v := h.value(i); !math.IsNaN(v) {
			lo, hi, some = min(lo, v), max(hi, v), true
			whole = whole && v == math.Trunc(v)
		}
	}
	if some && h.hasTarget() {
		lo, hi = min(lo, h.Target), max(hi, h.Target)
		whole = whole && h.Target == math.Trunc(h.Target)
	}
	return lo, hi, some, whole
}

func (h HBars) hasTarget() bool { return h.Target != 0 && finite(h.Target) }

// hbarLayout is where the parts of a horizontal bar chart go.
type hbarLayout struct {
	plot box
	a    axis
	// near and far are the x of the axis's low and high ends, and dir
	// the sign of the way from one to the other.
	near, far, dir float64
	row            float64
	// Every step-th row has its name, on one or two lines.
	step  int
	names [][]text
	// values are written past the bars' ends when showValues is set.
	values     []text
	showValues bool
}

func (l hbarLayout) x(v float64) float64 { return l.a.pos(v, l.near, l.far) }

func (ch *chart) hbars(h HBars) {
	lo, hi, some, whole := h.span()
	top := ch.title(h.Title)
	if some && h.hasTarget() {
		top += lineHeight(ch.tickSize)
	}
	l := ch.layoutHBars(h, top, lo, hi, whole)
	if some {
		ticks, _ := ch.widest(tickLabels(l.a, h.ValueFormat))
		for i, v := range l.a.ticks {
			ch.c.rect(l.x(v)-ch.s, l.plot.y0, l.x(v)+ch.s, l.plot.y1, gridInk)
			ch.put(ticks[i], l.x(v), baseline(l.plot.y1+0.1*ch.tickSize, ch.tickSize), alignCenter, tickInk)
		}
	}
	ch.c.rect(l.plot.x0, l.plot.y1-ch.s, l.plot.x1, l.plot.y1+ch.s, axisInk)
	if some && h.hasTarget() {
		ch.target(h, l.x(h.Target), l.plot)
	}
	zero := l.near
	if some {
		zero = l.x(0)
	}
	ch.hbarRows(h, l, zero)
	ch.c.rect(zero-ch.s, l.plot.y0, zero+ch.s, l.plot.y1, zeroInk)
}

// layoutHBars places the names, the bars and the value axis under top.
func (ch *chart) layoutHBars(h HBars, top, lo, hi float64, whole bool) hbarLayout {
	l := hbarLayout{plot: box{y0: top + 0.5*ch.labelSize, y1: ch.h - ch.pad*0.6 - lineHeight(ch.tickSize)}}
	l.row = (l.plot.y1 - l.plot.y0) / float64(max(len(h.Labels), 1))
	colW := ch.layoutNames(h, &l)
	valueW := 0.0
	// Values on rows lower than their text would run over the
	// neighbouring bars; the axis tells them apart instead.
	l.showValues = l.row >= 1.1*ch.tickSize
	for i, s := range h.valueLabels() {
		if !l.showValues {
			break
		}
		w := regular
		if slices.Contains(h.Highlight, i) {
			w = bold
		}
		l.values = append(l.values, ch.t.layout(s, ch.tickSize, w, dirAuto))
		valueW = max(valueW, l.values[i].width)
	}
	gap := 0.5 * ch.labelSize
	l.plot.x0, l.plot.x1 = ch.pad, ch.w-ch.pad-colW-gap
	l.near, l.far = l.plot.x1, l.plot.x0
	if !ch.rtl {
		l.plot.x0, l.plot.x1 = ch.pad+colW+gap, ch.w-ch.pad
		l.near, l.far = l.plot.x0, l.plot.x1
	}
	// The value axis leaves room past the longest bars for their values.
	l.dir = math.Copysign(1, l.far-l.near)
	reserve := valueW + valueGap*ch.tickSize + gap
	if hi > 0 {
		l.far -= l.dir * reserve
	}
	if lo < 0 {
		l.near += l.dir * reserve
	}
	_, guessW := ch.widest(tickLabels(niceAxis(lo, hi, 6, whole), h.ValueFormat))
	l.a = niceAxis(lo, hi, int(math.Abs(l.far-l.near)/(guessW+1.5*ch.tickSize)), whole)
	return l
}

// layoutNames lays out the bar names and returns the width of their
// column. Rows lower than a line of text get every step-th name; rows
// high enough for two lines let long names wrap.
func (ch *chart) layoutNames(h HBars, l *hbarLayout) float64 {
	l.step = max(1, int(math.Ceil(0.85*lineHeight(ch.labelSize)/l.row)))
	twoLines := l.row >= 2*lineHeight(ch.labelSize)
	l.names = make([][]text, len(h.Labels))
	colW := 0.0
	for i := 0; i < len(h.Labels); i += l.step {
		if twoLines {
			l.names[i] = ch.t.wrap2(h.Labels[i], ch.labelSize, regular, ch.dir(), 0.4*ch.w)
		} else {
			l.names[i] = []text{ch.t.fit(h.Labels[i], ch.labelSize, regular, ch.dir(), 0.4*ch.w)}
		}
		for _, tx := range l.names[i] {
			colW = max(colW, tx.width)
		}
	}
	return colW
}

// hbarRows draws each bar from zero with its name and value.
func (ch *chart) hbarRows(h HBars, l hbarLayout, zero float64) {
	thick := min(0.66*l.row, 56*ch.s)
	gap := 0.5 * ch.labelSize
	for i := range h.Labels {
		cy := l.plot.y0 + (float64(i)+0.5)*l.row
		v := h.value(i)
		if !math.IsNaN(v) {
			col := plain
			if slices.Contains(h.Highlight, i) {
				col = highlight
			}
			ch.c.rect(zero, cy-thick/2, l.x(v), cy+thick/2, col)
		}
		for j, tx := range l.names[i] {
			ly := middle(cy+(float64(j)-float64(len(l.names[i])-1)/2)*0.9*lineHeight(ch.labelSize), ch.labelSize)
			if ch.rtl {
				ch.put(tx, l.plot.x1+gap, ly, alignLeft, labelInk)
			} else {
				ch.put(tx, l.plot.x0-gap, ly, alignRight, labelInk)
			}
		}
		if !l.showValues || i%l.step != 0 || math.IsNaN(v) {
			continue
		}
		grows := l.x(v) - zero
		if grows == 0 {
			grows = l.dir
		}
		ch.valueLabel(l.values[i], l.x(v), cy, grows > 0)
	}
}

// valueGap is the space between a bar's end and its value, in tick
// font sizes.
const valueGap = 0.45

// valueLabel writes a bar's value just past its end at x, on a patch of
// background so that grid and target lines do not run through it.
func (ch *chart) valueLabel(tx text, x, cy float64, right bool) {
	gap := valueGap * ch.tickSize
	if right {
		x += gap
	} else {
		x -= gap + tx.width
	}
	h := 0.9 * lineHeight(ch.tickSize)
	ch.c.rect(x-0.15*gap, cy-h/2, x+tx.width+0.15*gap, cy+h/2, background)
	ch.put(tx, x, middle(cy, ch.tickSize), alignLeft, labelInk)
}

// target draws the dashed reference line at x with its value above.
func (ch *chart) target(h HBars, x float64, plot box) {
	ch.c.dashed(point{x, plot.y0 - 0.2*ch.tickSize}, point{x, plot.y1}, 3*ch.s, 10*ch.s, 6*ch.s, titleInk)
	s := formatValue(h.Target)
	if h.ValueFormat != nil {
		s = h.ValueFormat(h.Target)
	}
	label := ch.t.layout(s, ch.tickSize, bold, dirAuto)
	lx := min(max(x, plot.x0+label.width/2), plot.x1-label.width/2)
	ch.put(label, lx, plot.y0-0.45*ch.tickSize, alignCenter, titleInk)
}
