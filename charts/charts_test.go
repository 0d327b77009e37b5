package charts

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"
	"unicode"

	"github.com/go-text/typesetting/bidi"
	"github.com/go-text/typesetting/di"
)

func newTestTypesetter(t *testing.T) *typesetter {
	t.Helper()
	ts, err := newTypesetter()
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// render draws c at width by height and decodes the PNG.
func render(t *testing.T, c chartPNG, width, height int) *image.RGBA {
	t.Helper()
	var buf bytes.Buffer
	if err := c.PNG(&buf, width, height); err != nil {
		t.Fatalf("PNG: %v", err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out := image.NewRGBA(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// visual returns the runes of tx in the order they are drawn, left to
// right: what a reader sees, before mirroring of brackets.
func visual(tx text, s string) string {
	runes := []rune(s)
	var b strings.Builder
	for _, run := range tx.runs {
		last := -1
		for _, g := range run.Glyphs {
			if i := g.TextIndex(); i != last {
				b.WriteString(string(runes[i : i+g.RunesCount()]))
				last = i
			}
		}
	}
	return b.String()
}

func TestShapingJoinsArabic(t *testing.T) {
	ts := newTestTypesetter(t)
	face := ts.faces[regular].arabic
	word := []rune("مركز")
	tx := ts.layout(string(word), 26, regular, dirRTL)
	if len(tx.runs) != 1 {
		t.Fatalf("got %d runs; want 1", len(tx.runs))
	}
	run := tx.runs[0]
	if run.Direction != di.DirectionRTL {
		t.Errorf("direction %v; want RTL", run.Direction)
	}
	if run.Face != face {
		t.Errorf("shaped with the Latin face; want the Arabic one")
	}
	if len(run.Glyphs) != len(word) {
		t.Fatalf("got %d glyphs; want %d", len(run.Glyphs), len(word))
	}
	// Drawn left to right, the last letter comes first.
	if got := run.Glyphs[0].TextIndex(); got != len(word)-1 {
		t.Errorf("leftmost glyph is letter %d; want %d", got, len(word)-1)
	}
	for _, g := range run.Glyphs {
		r := word[g.TextIndex()]
		isolated, _ := face.NominalGlyph(r)
		if g.GlyphID == isolated {
			t.Errorf("%c drawn with its isolated form %d; want a joined form", r, isolated)
		}
	}
	// The same letters apart keep their isolated forms: the check
	// above is not true of every glyph.
	apart := ts.layout("م ر ك ز", 26, regular, dirRTL)
	for _, g := range apart.runs[0].Glyphs {
		r := []rune("م ر ك ز")[g.TextIndex()]
		if isolated, _ := face.NominalGlyph(r); r != ' ' && g.GlyphID != isolated {
			t.Errorf("lone %c drawn with glyph %d; want its isolated form %d", r, g.GlyphID, isolated)
		}
	}
}

func TestBidiOrder(t *testing.T) {
	ts := newTestTypesetter(t)
	tests := []struct {
		name string
		in   string
		dir  direction
		want string // runes left to right
	}{
		{"ticket code in Arabic", "تذكرة KRM-000001", dirRTL, "KRM-000001 ةركذت"},
		{"Latin words in Arabic", "WhatsApp وTelegram", dirRTL, "Telegramو WhatsApp"},
		{"brackets in Arabic", "مركز ديرة (KRM-2)", dirRTL, ")KRM-2( ةريد زكرم"},
		{"number then Arabic", "12 ساعة", dirAuto, "ةعاس 12"},
		{"negative number", "-5", dirAuto, "-5"},
		{"decimal with unit", "42.25 h", dirAuto, "42.25 h"},
		{"English", "Deira (KRM-2)", dirLTR, "Deira (KRM-2)"},
		// Digits after Arabic letters are Arabic numbers (rule W2), so
		// they stay with the Arabic, on its left.
		{"Arabic in English", "Centre مركز 12", dirLTR, "Centre 12 زكرم"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := visual(ts.layout(tt.in, 26, regular, tt.dir), tt.in); got != tt.want {
				t.Errorf("%q drawn as %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestVisualOrder(t *testing.T) {
	tests := []struct {
		levels []bidi.Level
		want   []int
	}{
		{[]bidi.Level{0}, []int{0}},
		{[]bidi.Level{1, 1}, []int{1, 0}},
		{[]bidi.Level{0, 1, 1, 0}, []int{0, 2, 1, 3}},
		{[]bidi.Level{1, 2, 2, 1}, []int{3, 1, 2, 0}},
		{[]bidi.Level{0, 1, 2, 1}, []int{0, 3, 2, 1}},
	}
	for _, tt := range tests {
		got := visualOrder(tt.levels)
		if !slicesEqual(got, tt.want) {
			t.Errorf("visualOrder(%v) = %v; want %v", tt.levels, got, tt.want)
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEveryGlyphFound(t *testing.T) {
	ts := newTestTypesetter(t)
	for _, s := range []string{
		"تذاكر مركز KRM حسب القناة: WhatsApp وTelegram والويب",
		"مُحَمَّدٌ الشَّامِسِيُّ، ٣٠ ساعة؟ 12.5% — €",
		"Dubai Mall citizens' services centre, ground floor (KRM-2) …",
		"\u200fمركز\u200e KRM\u2067٣\u2069\u200d",
	} {
		for w := range ts.faces {
			tx := ts.layout(s, 26, weight(w), dirAuto)
			for _, run := range tx.runs {
				for _, g := range run.Glyphs {
					if g.GlyphID == 0 {
						t.Errorf("%q: rune %q has no glyph", s, []rune(s)[g.TextIndex()])
					}
				}
			}
		}
	}
}

func TestCutKeepsGraphemes(t *testing.T) {
	ts := newTestTypesetter(t)
	name := "مُحَمَّدٌ عَبْدُ اللهِ الشَّامِسِيُّ من مركز خدمات المتعاملين"
	full := ts.layout(name, 26, regular, dirRTL).width
	for max := 20.0; max < full; max += 7 {
		got := ts.cut(name, 26, regular, dirRTL, max)
		kept, ok := strings.CutSuffix(got, ellipsis)
		if !ok {
			t.Fatalf("cut to %.0f: %q has no ellipsis", max, got)
		}
		if !strings.HasPrefix(name, kept) {
			t.Fatalf("cut to %.0f: %q is not a start of the name", max, kept)
		}
		if next := []rune(name[len(kept):]); len(next) > 0 && unicode.Is(unicode.Mn, next[0]) {
			t.Errorf("cut to %.0f: %q leaves its mark %q behind", max, kept, next[0])
		}
		if w := ts.layout(got, 26, regular, dirRTL).width; w > max && kept != "" {
			t.Errorf("cut to %.0f: %q is %.0f wide", max, got, w)
		}
	}
	if got := ts.cut(name, 26, regular, dirRTL, full+1); got != name {
		t.Errorf("cut a name that fits to %q", got)
	}
	// Room for most of the last word: the cut falls after the word
	// before it, which wastes little room.
	centre := "Al Karama Customer Happiness Centre"
	room := ts.layout("Al Karama Customer Happiness Cen…", 26, regular, dirLTR).width - 1
	if got := ts.cut(centre, 26, regular, dirLTR, room); got != "Al Karama Customer Happiness…" {
		t.Errorf("cut %q to %.0f: got %q; want the cut after a whole word", centre, room, got)
	}
	// One long word: the cut falls inside it.
	room = ts.layout("Supercalifragilistic…", 26, regular, dirLTR).width
	if got := ts.cut("Al Supercalifragilisticexpialidocious", 26, regular, dirLTR, room); got != "Al Supercalifragili…" {
		t.Errorf("got %q; want a cut inside the long word", got)
	}
}

// inkColumns returns the leftmost and rightmost x with dark ink in rows
// y0 to y1.
func inkColumns(img *image.RGBA, y0, y1 int) (left, right int) {
	left, right = img.Bounds().Max.X, -1
	for y := y0; y < y1; y++ {
		for x := 0; x < img.Bounds().Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R < 128 && c.G < 128 && c.B < 128 {
				left, right = min(left, x), max(right, x)
			}
		}
	}
	return left, right
}

func TestTitleAlignment(t *testing.T) {
	const pad = 32 // at the default size
	rtl := render(t, Bars{Title: "مركز", RTL: true}, 0, 0)
	left, right := inkColumns(rtl, 0, 90)
	if right < DefaultWidth-pad-6 || right > DefaultWidth-pad {
		t.Errorf("RTL title ink ends at x=%d; want at the right margin, %d", right, DefaultWidth-pad)
	}
	if left < DefaultWidth*3/4 {
		t.Errorf("RTL title ink starts at x=%d; want a short word at the right", left)
	}
	ltr := render(t, Bars{Title: "Centre"}, 0, 0)
	left, right = inkColumns(ltr, 0, 90)
	if left < pad || left > pad+6 {
		t.Errorf("LTR title ink starts at x=%d; want at the left margin, %d", left, pad)
	}
	if right > DefaultWidth/4 {
		t.Errorf("LTR title ink ends at x=%d; want a short word at the left", right)
	}
}

// spans returns, left to right, the runs of columns holding pixels of
// colour c, each with the number of such pixels in its tallest column.
func spans(img *image.RGBA, c color.RGBA) (xs [][2]int, heights []int) {
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		n := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
		switch {
		case n == 0:
		case len(xs) > 0 && xs[len(xs)-1][1] == x-1:
			xs[len(xs)-1][1] = x
			heights[len(heights)-1] = max(heights[len(heights)-1], n)
		default:
			xs = append(xs, [2]int{x, x})
			heights = append(heights, n)
		}
	}
	return xs, heights
}

func TestBarsFollowReadingOrder(t *testing.T) {
	for _, rtl := range []bool{true, false} {
		img := render(t, Bars{Labels: []string{"الأحد", "الاثنين"}, Series: []Series{{Values: []float64{10, 5}}}, RTL: rtl}, 0, 0)
		xs, heights := spans(img, palette[0])
		if len(xs) != 2 {
			t.Fatalf("rtl=%v: got %d bars %v; want 2", rtl, len(xs), xs)
		}
		// The first category's bar is the taller one.
		firstOnRight := heights[1] > heights[0]
		if firstOnRight != rtl {
			t.Errorf("rtl=%v: bars at %v with heights %v; want the first category on the %s", rtl, xs, heights, map[bool]string{true: "right", false: "left"}[rtl])
		}
	}
}

func TestGroupedSeriesFollowReadingOrder(t *testing.T) {
	img := render(t, Bars{Labels: []string{"أ"}, Series: []Series{{"أ", []float64{4}}, {"ب", []float64{4}}}, RTL: true}, 0, 0)
	first, _ := spans(img, palette[0])
	second, _ := spans(img, palette[1])
	if len(first) == 0 || len(second) == 0 {
		t.Fatal("missing bars")
	}
	// Legend swatches are spans too: compare the bars, the widest.
	if widest(first)[0] < widest(second)[1] {
		t.Errorf("first series at %v, second at %v; want the first on the right", widest(first), widest(second))
	}
}

func widest(xs [][2]int) [2]int {
	w := xs[0]
	for _, x := range xs {
		if x[1]-x[0] > w[1]-w[0] {
			w = x
		}
	}
	return w
}

func TestHBarsGrowFromTheLabels(t *testing.T) {
	for _, rtl := range []bool{true, false} {
		h := HBars{Labels: []string{"مركز الكرامة", "مركز البرشاء"}, Values: []float64{10, 20}, Highlight: []int{1}, RTL: rtl}
		img := render(t, h, 0, 0)
		plainX, _ := spans(img, plain)
		highX, _ := spans(img, highlight)
		if len(plainX) != 1 || len(highX) != 1 {
			t.Fatalf("rtl=%v: plain bars %v, highlighted %v; want one of each", rtl, plainX, highX)
		}
		p, hi := plainX[0], highX[0]
		if rtl {
			if p[1] != hi[1] || hi[0] >= p[0] {
				t.Errorf("rtl: bars %v and %v; want both from the same right edge, the longer reaching further left", p, hi)
			}
			if p[1] < DefaultWidth/2 {
				t.Errorf("rtl: bars start at x=%d; want the label column on the right", p[1])
			}
		} else if p[0] != hi[0] || hi[1] <= p[1] {
			t.Errorf("ltr: bars %v and %v; want both from the same left edge, the longer reaching further right", p, hi)
		}
	}
}

func TestLinesRunRightToLeft(t *testing.T) {
	img := render(t, Lines{Labels: []string{"1", "2", "3"}, Series: []Series{{"", []float64{1, 2, 3}}}, RTL: true}, 0, 0)
	// The line rises with time, so in RTL its highest point is on the
	// left.
	top, bottom := point{y: math.Inf(1)}, point{y: math.Inf(-1)}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.RGBAAt(x, y) != palette[0] {
				continue
			}
			if float64(y) < top.y {
				top = point{float64(x), float64(y)}
			}
			if float64(y) > bottom.y {
				bottom = point{float64(x), float64(y)}
			}
		}
	}
	if top.x >= bottom.x {
		t.Errorf("highest point at x=%.0f, lowest at x=%.0f; want the highest on the left", top.x, bottom.x)
	}
}

// BenchmarkPNG draws a report's three charts at their usual size.
func BenchmarkPNG(b *testing.B) {
	labels := []string{"مركز الكرامة", "مركز البرشاء", "مركز ديرة", "مركز حتا", "مركز القصيص"}
	series := []Series{{"تيليجرام", []float64{41, 160, 98, 210, 140}}, {"واتساب", []float64{3, 19, 7, 30, 12}}}
	charts := map[string]chartPNG{
		"bars":  Bars{Title: "الواردة", Labels: labels, Series: series, RTL: true},
		"hbars": HBars{Title: "المعالجة", Labels: labels, Values: []float64{18.5, 30, 12, 42.25, 22}, Target: 24, RTL: true},
		"lines": Lines{Title: "الرضا", Labels: labels, Series: series, Min: 1, Max: 5, RTL: true},
	}
	for name, c := range charts {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.PNG(io.Discard, 0, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
