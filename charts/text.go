package charts

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/bidi"
	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/segmenter"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
)

// The fonts, and their licence, which the OFL asks to travel with every
// copy, the binary included; fonts/README.md says where they come from.
//
//go:embed fonts/NotoSansArabic-Regular.ttf fonts/NotoSansArabic-Bold.ttf
//go:embed fonts/NotoSans-Regular.ttf fonts/NotoSans-Bold.ttf fonts/OFL.txt
var fontFiles embed.FS

// weight selects the regular or the bold face.
type weight int

const (
	regular weight = iota
	bold
)

// direction is the paragraph direction of one piece of text.
type direction int

const (
	// dirAuto takes the direction from the first strong letter and
	// falls back to left to right, so that "-5" or "12.5%" stays in
	// order while "12 ساعة" reads right to left.
	dirAuto direction = iota
	dirLTR
	dirRTL
)

// fontSet is the parsed embedded fonts, indexed by weight.
type fontSet struct {
	arabic, latin [2]*font.Font
}

// loadFonts parses the embedded fonts once per process. A *font.Font is
// read-only and safe for concurrent use, so every chart shares them;
// the faces, which cache and are not, belong to one chart each.
var loadFonts = sync.OnceValues(func() (*fontSet, error) {
	var fs fontSet
	for w, name := range [2]string{"Regular", "Bold"} {
		var err error
		if fs.arabic[w], err = parseFont("fonts/NotoSansArabic-" + name + ".ttf"); err != nil {
			return nil, err
		}
		if fs.latin[w], err = parseFont("fonts/NotoSans-" + name + ".ttf"); err != nil {
			return nil, err
		}
	}
	return &fs, nil
})

func parseFont(name string) (*font.Font, error) {
	b, err := fontFiles.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	f, err := font.ParseTTF(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("font %s: %w", name, err)
	}
	return f.Font, nil
}

// fontmap picks the face for each rune: Arabic letters from the Arabic
// font, everything else from the Latin one while it has the glyph, so
// that digits and ticket codes look alike in both languages.
type fontmap struct {
	arabic, latin *font.Face
	script        language.Script
}

var _ shaping.FontmapScript = (*fontmap)(nil)

// SetScript records the script the segmenter resolved for the next runes.
func (m *fontmap) SetScript(s language.Script) { m.script = s }

// ResolveFace returns the face that draws r.
func (m *fontmap) ResolveFace(r rune) *font.Face {
	isDigit := '0' <= r && r <= '9'
	if language.LookupScript(r) == language.Arabic || m.script == language.Arabic && !isDigit {
		if _, ok := m.arabic.NominalGlyph(r); ok {
			return m.arabic
		}
	}
	if _, ok := m.latin.NominalGlyph(r); ok {
		return m.latin
	}
	if _, ok := m.arabic.NominalGlyph(r); ok {
		return m.arabic
	}
	return m.latin
}

// typesetter shapes and lays out single lines of text. It is not safe
// for concurrent use: each chart makes its own.
type typesetter struct {
	shaper    shaping.HarfbuzzShaper
	seg       shaping.Segmenter
	para      bidi.Paragraph
	graphemes segmenter.Segmenter
	faces     [2]fontmap
}

func newTypesetter() (*typesetter, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	t := &typesetter{}
	for w := range t.faces {
		t.faces[w] = fontmap{arabic: font.NewFace(fs.arabic[w]), latin: font.NewFace(fs.latin[w])}
	}
	return t, nil
}

// text is one shaped line. Its runs are in visual order, left to right,
// and each run's glyphs are too; positions are relative to the left end
// of the baseline, y growing down.
type text struct {
	runs  []shaping.Output
	width float64
	// ink is the box the glyphs actually cover.
	inkLeft, inkRight, inkTop, inkBottom float64
}

// layout shapes s as one line of the given size in pixels.
func (t *typesetter) layout(s string, size float64, w weight, d direction) text {
	runes := []rune(s)
	if len(runes) == 0 {
		return text{}
	}
	def, lang := bidi.Neutral, language.NewLanguage("en")
	switch d {
	case dirLTR:
		def = bidi.LeftToRight
	case dirRTL:
		def, lang = bidi.RightToLeft, language.NewLanguage("ar")
	}
	var (
		outs   []shaping.Output
		levels []bidi.Level
	)
	runs := t.para.Segment(runes, def)
	for i := 0; i < runs.NumRuns(); i++ {
		br := runs.Run(i)
		in := shaping.Input{
			Text:      runes,
			RunStart:  br.Start,
			RunEnd:    br.End,
			Direction: di.DirectionLTR,
			Size:      fixed.Int26_6(size * 64),
			Language:  lang,
		}
		if !br.IsLeftToRight() {
			in.Direction = di.DirectionRTL
		}
		// The whole line stays in Text, so letters joining across a
		// change of font or script still take their joined forms.
		for _, part := range t.seg.Split(in, &t.faces[w]) {
			outs = append(outs, t.shaper.Shape(part))
			levels = append(levels, br.Level)
		}
	}
	var tx text
	for _, i := range visualOrder(levels) {
		tx.runs = append(tx.runs, outs[i])
	}
	tx.measure()
	return tx
}

// visualOrder returns the indices of runs at the given embedding levels
// in the order they are displayed, left to right (rule L2 of UAX #9):
// from the highest level down to the lowest odd one, every maximal
// sequence at that level or above is reversed.
func visualOrder(levels []bidi.Level) []int {
	order := make([]int, len(levels))
	highest, lowestOdd := bidi.Level(0), bidi.Level(127)
	for i, l := range levels {
		order[i] = i
		highest = max(highest, l)
		if l%2 == 1 {
			lowestOdd = min(lowestOdd, l)
		}
	}
	for l := highest; l >= lowestOdd && l > 0; l-- {
		for i := 0; i < len(order); {
			if levels[order[i]] < l {
				i++
				continue
			}
			j := i
			for j < len(order) && levels[order[j]] >= l {
				j++
			}
			for a, b := i, j-1; a < b; a, b = a+1, b-1 {
				order[a], order[b] = order[b], order[a]
			}
			i = j
		}
	}
	return order
}

// measure sets the advance width and the ink box of tx.
func (tx *text) measure() {
	x := 0.0
	first := true
	for _, run := range tx.runs {
		for _, g := range run.Glyphs {
			gx := x + f64(g.XOffset) + f64(g.XBearing)
			top := -f64(g.YOffset) - f64(g.YBearing)
			right, bottom := gx+f64(g.Width), top-f64(g.Height)
			if g.Width != 0 || g.Height != 0 {
				if first {
					tx.inkLeft, tx.inkRight, tx.inkTop, tx.inkBottom = gx, right, top, bottom
					first = false
				}
				tx.inkLeft, tx.inkRight = min(tx.inkLeft, gx), max(tx.inkRight, right)
				tx.inkTop, tx.inkBottom = min(tx.inkTop, top), max(tx.inkBottom, bottom)
			}
			x += f64(g.Advance)
		}
	}
	tx.width = x
}

func f64(v fixed.Int26_6) float64 { return float64(v) / 64 }

// ellipsis marks text cut short.
const ellipsis = "…"

// fit lays out s, cut short by cut when it is wider than maxWidth.
func (t *typesetter) fit(s string, size float64, w weight, d direction, maxWidth float64) text {
	return t.layout(t.cut(s, size, w, d, maxWidth), size, w, d)
}

// cut returns s, or the longest start of it that fits in maxWidth with
// an ellipsis added. It cuts between grapheme clusters, never inside a
// letter with its marks; the letter before the cut then takes the form
// it has at the end of a word. A cut after a whole word is preferred
// when it keeps most of the room filled.
func (t *typesetter) cut(s string, size float64, w weight, d direction, maxWidth float64) string {
	if t.layout(s, size, w, d).width <= maxWidth {
		return s
	}
	runes := []rune(s)
	t.graphemes.Init(runes)
	cuts := []int{0}
	for it := t.graphemes.GraphemeIterator(); it.Next(); {
		g := it.Grapheme()
		cuts = append(cuts, g.Offset+len(g.Text))
	}
	short := func(end int) string {
		return strings.TrimRightFunc(string(runes[:end]), unicode.IsSpace) + ellipsis
	}
	// The widest start that fits, found by bisection: widths grow with
	// the length, give or take kerning.
	lo, hi := 0, len(cuts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t.layout(short(cuts[mid]), size, w, d).width <= maxWidth {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return ellipsis
	}
	if sp := lastSpace(runes[:cuts[lo]]); sp > 0 {
		if whole := short(sp); t.layout(whole, size, w, d).width >= 0.7*maxWidth {
			return whole
		}
	}
	return short(cuts[lo])
}

// lastSpace is the index of the last space in rs that follows a
// non-space, or -1.
func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i > 0; i-- {
		if unicode.IsSpace(rs[i]) && !unicode.IsSpace(rs[i-1]) {
			return i
		}
	}
	return -1
}

// wrap2 breaks s between words into at most two lines no wider than
// maxWidth, cutting the second short when the text is longer still.
func (t *typesetter) wrap2(s string, size float64, w weight, d direction, maxWidth float64) []text {
	if one := t.layout(s, size, w, d); one.width <= maxWidth {
		return []text{one}
	}
	words := strings.Fields(s)
	n := 0
	for n < len(words)-1 && t.layout(strings.Join(words[:n+1], " "), size, w, d).width <= maxWidth {
		n++
	}
	if n == 0 {
		return []text{t.fit(s, size, w, d, maxWidth)}
	}
	return []text{
		t.layout(strings.Join(words[:n], " "), size, w, d),
		t.fit(strings.Join(words[n:], " "), size, w, d, maxWidth),
	}
}
