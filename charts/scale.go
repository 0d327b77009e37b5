package charts

import (
	"math"
	"strconv"
	"strings"
)

// axis maps values onto a span of pixels, with round numbers for ticks.
type axis struct {
	lo, hi float64
	step   float64
	ticks  []float64
}

// niceAxis covers lo to hi with at most about n ticks at round steps
// (1, 2, 2.5 or 5 times a power of ten). Counts get whole-number
// steps: a tick at 0.5 tickets reads as a bug.
func niceAxis(lo, hi float64, n int, whole bool) axis {
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		switch {
		case lo == 0:
			hi = 1
		case lo > 0:
			lo = 0
		default:
			hi = 0
		}
	}
	n = max(n, 2)
	span := hi - lo
	if math.IsInf(span, 0) {
		span = math.MaxFloat64
	}
	rough := span / float64(n-1)
	mag := math.Pow(10, math.Floor(math.Log10(rough)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if rough <= m*mag {
			step = m * mag
			break
		}
	}
	if whole {
		step = max(step, 1)
		if step != math.Trunc(step) {
			step = math.Ceil(step)
		}
	}
	a := axis{step: step}
	// Rounding to the step's decimals turns 3.8000000000000003 back
	// into 3.8.
	p := math.Pow(10, float64(a.decimals()))
	clean := func(v float64) float64 { return math.Round(v*p) / p }
	a.lo, a.hi = clean(math.Floor(lo/step)*step), clean(math.Ceil(hi/step)*step)
	if math.IsInf(a.lo, 0) || math.IsInf(a.hi, 0) || a.hi <= a.lo {
		a.lo, a.hi = lo, hi
	}
	for i := 0; i <= 4*n; i++ {
		v := clean(a.lo + float64(i)*step)
		if v > a.hi+step/1e6 {
			break
		}
		a.ticks = append(a.ticks, v)
	}
	return a
}

// pos maps v onto the span from p0 (at lo) to p1 (at hi).
func (a axis) pos(v, p0, p1 float64) float64 {
	return p0 + (v-a.lo)/(a.hi-a.lo)*(p1-p0)
}

// decimals is how many digits after the point tell the ticks apart.
func (a axis) decimals() int {
	d := 0
	for d < 6 && math.Abs(a.step*math.Pow(10, float64(d))-math.Round(a.step*math.Pow(10, float64(d)))) > 1e-9 {
		d++
	}
	return d
}

// formatNumber writes v with d decimals and comma thousands separators,
// the way figures are written in both Arabic and English reports here.
func formatNumber(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if math.Abs(v) >= 1e21 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if s == "-"+strconv.FormatFloat(0, 'f', d, 64) {
		s = s[1:]
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// formatValue writes a data value with as few decimals as it needs, at
// most two.
func formatValue(v float64) string {
	d := 0
	for d < 2 && math.Abs(v*math.Pow(10, float64(d))-math.Round(v*math.Pow(10, float64(d)))) > 1e-9*math.Max(1, math.Abs(v)) {
		d++
	}
	return formatNumber(v, d)
}

// finite reports whether v can be drawn.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
