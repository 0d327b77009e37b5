package charts

import (
	"io"
	"math"
)

// PNG draws the chart as a PNG image of width by height pixels into w;
// a size of 0 takes the default. It returns ErrSize for a size out of
// range.
func (b Bars) PNG(w io.Writer, width, height int) error {
	ch, err := newChart(width, height, b.RTL)
	if err != nil {
		return err
	}
	ch.bars(b)
	return ch.encode(w)
}

// value is series j's value for category i, or NaN.
func (s Series) value(i int) float64 {
	if i >= 0 && i < len(s.Values) && finite(s.Values[i]) {
		return s.Values[i]
	}
	return math.NaN()
}

// span returns the range the bars cover (always including zero),
// whether any value is drawn, and whether all are whole numbers.
func (b Bars) span() (lo, hi float64, some, whole bool) {
	whole = true
	for i := range b.Labels {
		pos, neg := 0.0, 0.0
		for _, s := range b.Series {
			v := s.value(i)
			if math.IsNaN(v) {
				continue
			}
			some = true
			whole = whole && v == math.Trunc(v)
			switch {
			case !b.Stacked:
				lo, hi = min(lo, v), max(hi, v)
			case v >= 0:
				pos += v
			default:
				neg += v
			}
		}
		lo, hi = min(lo, neg), max(hi, pos)
	}
	return lo, hi, some, whole
}

func (ch *chart) bars(b Bars) {
	top := ch.legend(seriesItems(b.Series, false), ch.title(b.Title))
	lo, hi, some, whole := b.span()
	below := 0.0
	if lo < 0 {
		// Room for the values under the negative bars.
		below = 1.4 * ch.tickSize
	}
	axisFor := func(n int) axis { return niceAxis(lo, hi, n, whole) }
	l := ch.layoutCategories(top, b.Labels, axisFor, some, b.ValueFormat, below)
	ch.drawFrame(l)
	// The zero line, over the bars; the bottom of an empty chart.
	base := l.plot.y1
	if some {
		ch.barValues(ch.barShapes(b, l))
		base = l.y(0)
	}
	ch.c.rect(l.plot.x0, base-ch.s, l.plot.x1, base+ch.s, zeroInk)
}

// barLabel is a value to write at the end of a bar, above it when up,
// in at most room pixels.
type barLabel struct {
	text       string
	x, y, room float64
	up         bool
}

// barShapes draws the bars and returns their values to write.
func (ch *chart) barShapes(b Bars, l catLayout) []barLabel {
	k := len(b.Series)
	barW := min(0.72*l.slot, 150*ch.s)
	if !b.Stacked && k > 0 {
		barW = min(0.72*l.slot/float64(k), 110*ch.s)
	}
	format := b.ValueFormat
	if format == nil {
		format = formatValue
	}
	var labels []barLabel
	for i, cx := range l.x {
		if b.Stacked {
			labels = append(labels, ch.stack(b, l, i, cx, barW, format)...)
			continue
		}
		for j, s := range b.Series {
			v := s.value(i)
			if math.IsNaN(v) {
				continue
			}
			// Bars within a group follow the reading order.
			x0 := cx - float64(k)*barW/2 + float64(j)*barW
			if ch.rtl {
				x0 = cx + float64(k)*barW/2 - float64(j+1)*barW
			}
			inset := min(2*ch.s, barW/8)
			ch.c.rect(x0+inset, l.y(0), x0+barW-inset, l.y(v), seriesColour(j))
			room := barW + 0.1*ch.tickSize
			if k == 1 {
				room = l.slot - 0.3*ch.tickSize
			}
			labels = append(labels, barLabel{format(v), x0 + barW/2, l.y(v), room, v >= 0})
		}
	}
	return labels
}

// stack draws category i's bars one on another, the positive ones up
// from zero and the negative ones down, and returns the total to write.
func (ch *chart) stack(b Bars, l catLayout, i int, cx, barW float64, format func(float64) string) []barLabel {
	pos, neg, any := 0.0, 0.0, false
	for j, s := range b.Series {
		v := s.value(i)
		if math.IsNaN(v) {
			continue
		}
		from := &pos
		if v < 0 {
			from = &neg
		}
		ch.c.rect(cx-barW/2, l.y(*from), cx+barW/2, l.y(*from+v), seriesColour(j))
		if *from != 0 {
			// A thin white seam between stacked segments.
			ch.c.rect(cx-barW/2, l.y(*from)-ch.s, cx+barW/2, l.y(*from)+ch.s, background)
		}
		*from += v
		any = true
	}
	if !any {
		return nil
	}
	total, end := pos+neg, pos
	if total < 0 {
		end = neg
	}
	return []barLabel{{format(total), cx, l.y(end), l.slot - 0.3*ch.tickSize, total >= 0}}
}

// barValues writes the values at the ends of the bars, if every one
// fits its room: some values and not others would read as missing data.
func (ch *chart) barValues(labels []barLabel) {
	texts := make([]text, len(labels))
	for i, l := range labels {
		texts[i] = ch.t.layout(l.text, ch.tickSize, regular, dirAuto)
		if texts[i].width > l.room {
			return
		}
	}
	for i, l := range labels {
		base := l.y - 0.35*ch.tickSize
		if !l.up {
			base = l.y + 1.1*ch.tickSize
		}
		ch.put(texts[i], l.x, base, alignCenter, labelInk)
	}
}
