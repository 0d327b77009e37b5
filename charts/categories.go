package charts

// The layout that Bars and Lines share: a vertical value axis on the
// reading-start side, categories along the bottom in reading order.

// catLayout is where the parts of a chart over categories go.
type catLayout struct {
	plot box
	a    axis
	// ticks are the value axis's labels; nil when there is no data.
	ticks []text
	// x is the centre of each category, slot the width each takes.
	x    []float64
	slot float64
	// labels are the category labels, some thinned out, and labelTop
	// the top of their first line.
	labels   [][]text
	labelTop float64
}

// layoutCategories places a chart over labels under top. axisFor makes
// the value axis for about n ticks; some says whether there is data to
// label it for; below is extra room under the plot.
func (ch *chart) layoutCategories(top float64, labels []string, axisFor func(n int) axis, some bool, format func(float64) string, below float64) catLayout {
	// The axis is sized for a guess at the plot's height; the category
	// labels, which depend on its width, then fix the height.
	guess := ch.h - top - ch.pad - 2*lineHeight(ch.labelSize)
	l := catLayout{a: axisFor(int(guess / (2.6 * ch.tickSize)))}
	tickW := 0.0
	if some {
		l.ticks, tickW = ch.widest(tickLabels(l.a, format))
	}
	l.plot = box{x0: ch.pad, x1: ch.w - ch.pad}
	if ch.rtl {
		l.plot.x1 -= tickW + 0.45*ch.tickSize
	} else {
		l.plot.x0 += tickW + 0.45*ch.tickSize
	}
	n := len(labels)
	l.slot = (l.plot.x1 - l.plot.x0) / float64(max(n, 1))
	l.labels, _ = ch.categories(labels, l.slot)
	l.labelTop = ch.h - ch.pad*0.6 - float64(rows(l.labels))*lineHeight(ch.labelSize)*0.9
	l.plot.y0, l.plot.y1 = top+1.4*ch.tickSize, l.labelTop-0.25*ch.labelSize-below
	l.x = make([]float64, n)
	for i := range l.x {
		if ch.rtl {
			l.x[i] = l.plot.x1 - (float64(i)+0.5)*l.slot
		} else {
			l.x[i] = l.plot.x0 + (float64(i)+0.5)*l.slot
		}
	}
	return l
}

// y is where value v goes.
func (l catLayout) y(v float64) float64 { return l.a.pos(v, l.plot.y1, l.plot.y0) }

// drawFrame draws the grid and the category labels, or for a chart
// without data the bare value axis.
func (ch *chart) drawFrame(l catLayout) {
	if l.ticks != nil {
		ch.valueGrid(l.a, l.ticks, l.plot)
	} else {
		x := l.plot.x0
		if ch.rtl {
			x = l.plot.x1
		}
		ch.c.rect(x-ch.s, l.plot.y0, x+ch.s, l.plot.y1, axisInk)
	}
	ch.drawCategories(l.labels, l.x, l.labelTop)
}

// seriesItems makes the legend of ss, with line markers or boxes.
func seriesItems(ss []Series, markers bool) []legendItem {
	items := make([]legendItem, len(ss))
	for j, s := range ss {
		items[j] = legendItem{name: s.Name, col: seriesColour(j), marker: -1}
		if markers {
			items[j].marker = j
		}
	}
	return items
}

// valueGrid draws a vertical value axis for plot: a grid line and a
// label per tick, the labels outside the plot on the reading-start
// side (right in an RTL chart).
func (ch *chart) valueGrid(a axis, labels []text, plot box) {
	gap := 0.45 * ch.tickSize
	for i, v := range a.ticks {
		y := a.pos(v, plot.y1, plot.y0)
		ch.c.rect(plot.x0, y-ch.s, plot.x1, y+ch.s, gridInk)
		if ch.rtl {
			ch.put(labels[i], plot.x1+gap, middle(y, ch.tickSize), alignLeft, tickInk)
		} else {
			ch.put(labels[i], plot.x0-gap, middle(y, ch.tickSize), alignRight, tickInk)
		}
	}
}

// categories lays out category labels, one per slot of width slot,
// and returns them with the step between labels drawn. Labels that do
// not fit are thinned out to every step-th, and those still too long
// are wrapped onto two lines or cut short.
func (ch *chart) categories(labels []string, slot float64) (lines [][]text, step int) {
	gap := 0.5 * ch.labelSize
	widths := make([]float64, len(labels))
	for i, l := range labels {
		widths[i] = ch.t.layout(l, ch.labelSize, regular, ch.dir()).width
	}
	// Thin out until each drawn label fits, or until it has as much
	// room as a label can sensibly take; then wrap or cut.
	enough := max(slot-gap, 220*ch.s)
	for step = 1; step < len(labels); step++ {
		room := float64(step)*slot - gap
		fits := true
		for i := 0; i < len(labels); i += step {
			fits = fits && widths[i] <= room
		}
		if fits || room >= enough {
			break
		}
	}
	room := float64(step)*slot - gap
	lines = make([][]text, len(labels))
	for i := 0; i < len(labels); i += step {
		if step == 1 {
			lines[i] = ch.t.wrap2(labels[i], ch.labelSize, regular, ch.dir(), room)
		} else {
			lines[i] = []text{ch.t.fit(labels[i], ch.labelSize, regular, ch.dir(), room)}
		}
	}
	return lines, step
}

// rows is how many lines the tallest category label takes.
func rows(lines [][]text) int {
	n := 1
	for _, l := range lines {
		n = max(n, len(l))
	}
	return n
}

// drawCategories draws the labels from categories centred under x[i],
// starting at top.
func (ch *chart) drawCategories(lines [][]text, x []float64, top float64) {
	for i, l := range lines {
		for j, tx := range l {
			ch.put(tx, x[i], baseline(top+float64(j)*lineHeight(ch.labelSize)*0.9, ch.labelSize), alignCenter, labelInk)
		}
	}
}
