package charts

import (
	"bytes"
	"errors"
	"image/png"
	"io"
	"math"
	"sync"
	"testing"
)

func TestNiceAxis(t *testing.T) {
	tests := []struct {
		lo, hi     float64
		n          int
		whole      bool
		wantLo     float64
		wantHi     float64
		wantStep   float64
		wantDigits int
	}{
		{0, 102, 6, true, 0, 125, 25, 0},
		{0, 102, 7, true, 0, 120, 20, 0},
		{0, 0, 5, true, 0, 1, 1, 0},
		{0, 3, 8, true, 0, 3, 1, 0},
		{-12, 30, 6, false, -20, 30, 10, 0},
		{1, 5, 5, false, 1, 5, 1, 0},
		{3.82, 4.68, 6, false, 3.8, 4.8, 0.2, 1},
		{0, 0.9, 10, false, 0, 0.9, 0.1, 1},
		{0, 110, 6, true, 0, 125, 25, 0},
		{0, 9.87654321e14, 6, true, 0, 1e15, 2e14, 0},
		{5, 5, 4, true, 0, 6, 2, 0},
		{-3, -3, 4, true, -3, 0, 1, 0},
	}
	for _, tt := range tests {
		a := niceAxis(tt.lo, tt.hi, tt.n, tt.whole)
		if a.lo != tt.wantLo || math.Abs(a.hi-tt.wantHi) > 1e-9 || math.Abs(a.step-tt.wantStep) > 1e-9 || a.decimals() != tt.wantDigits {
			t.Errorf("niceAxis(%v, %v, %d, %v) = %v to %v step %v (%d decimals); want %v to %v step %v (%d)",
				tt.lo, tt.hi, tt.n, tt.whole, a.lo, a.hi, a.step, a.decimals(), tt.wantLo, tt.wantHi, tt.wantStep, tt.wantDigits)
		}
		if first, last := a.ticks[0], a.ticks[len(a.ticks)-1]; first != a.lo || math.Abs(last-a.hi) > 1e-9 {
			t.Errorf("niceAxis(%v, %v): ticks %v; want %v to %v", tt.lo, tt.hi, a.ticks, a.lo, a.hi)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		v    float64
		d    int
		want string
	}{
		{0, 0, "0"},
		{999, 0, "999"},
		{1000, 0, "1,000"},
		{1234567, 0, "1,234,567"},
		{-1234.5, 1, "-1,234.5"},
		{-0.0001, 0, "0"},
		{0.25, 2, "0.25"},
		{987654321000000, 0, "987,654,321,000,000"},
		{1e21, 0, "1e+21"},
		{math.NaN(), 0, ""},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.v, tt.d); got != tt.want {
			t.Errorf("formatNumber(%v, %d) = %q; want %q", tt.v, tt.d, got, tt.want)
		}
	}
	for v, want := range map[float64]string{12: "12", 4.55: "4.55", 42.25: "42.25", 3.14159: "3.14", -4.5: "-4.5", 1500: "1,500", 0.1 + 0.2: "0.3"} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%v) = %q; want %q", v, got, want)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		w, h         int
		wantW, wantH int
		wantErr      error
	}{
		{0, 0, DefaultWidth, DefaultHeight, nil},
		{600, 400, 600, 400, nil},
		{1280, 1280, 1280, 1280, nil},
		{100, 720, 0, 0, ErrSize},
		{1080, -1, 0, 0, ErrSize},
		{10000, 720, 0, 0, ErrSize},
	}
	for _, tt := range tests {
		for name, c := range map[string]chartPNG{"bars": samples["bars-ar"], "hbars": samples["hbars-ar"], "lines": samples["lines-ar"]} {
			var buf bytes.Buffer
			err := c.PNG(&buf, tt.w, tt.h)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%s %dx%d: error %v; want %v", name, tt.w, tt.h, err, tt.wantErr)
			}
			if err != nil {
				continue
			}
			cfg, err := png.DecodeConfig(&buf)
			if err != nil {
				t.Fatalf("%s %dx%d: decode: %v", name, tt.w, tt.h, err)
			}
			if cfg.Width != tt.wantW || cfg.Height != tt.wantH {
				t.Errorf("%s %dx%d: got %dx%d; want %dx%d", name, tt.w, tt.h, cfg.Width, cfg.Height, tt.wantW, tt.wantH)
			}
		}
	}
}

// Data a report can produce on a bad day: nothing, one point, gaps,
// infinities, series longer or shorter than the labels, huge and tiny
// values. Every one must still draw.
func TestOddData(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	long := "مركز خدمات المواطنين في دبي مول – الطابق الأرضي بجوار المدخل الرئيسي رقم 3 (KRM-000123)"
	cases := map[string]chartPNG{
		"bars nothing":          Bars{},
		"bars no series":        Bars{Labels: []string{"أ", "ب"}},
		"bars all NaN":          Bars{Labels: []string{"أ"}, Series: []Series{{"أ", []float64{nan}}}},
		"bars infinities":       Bars{Labels: []string{"أ", "ب"}, Series: []Series{{"أ", []float64{inf, -inf}}}, RTL: true},
		"bars short series":     Bars{Labels: []string{"أ", "ب", "ج"}, Series: []Series{{"أ", []float64{1}}, {"ب", []float64{1, 2, 3, 4, 5}}}},
		"bars zeros":            Bars{Labels: []string{"أ", "ب"}, Series: []Series{{"", []float64{0, 0}}}, Stacked: true},
		"bars stacked mixed":    Bars{Labels: []string{"أ", "ب"}, Series: []Series{{"أ", []float64{3, -2}}, {"ب", []float64{-4, 5}}}, Stacked: true},
		"bars tiny":             Bars{Labels: []string{"a"}, Series: []Series{{"", []float64{1e-12}}}},
		"bars huge":             Bars{Labels: []string{"a", "b"}, Series: []Series{{"", []float64{1e300, -1e300}}}},
		"bars one label":        Bars{Labels: []string{long}, Series: []Series{{long, []float64{7}}}, RTL: true},
		"bars many series":      Bars{Labels: []string{"a"}, Series: make([]Series, 12)},
		"bars custom format":    Bars{Labels: []string{"أ"}, Series: []Series{{"", []float64{0.5}}}, ValueFormat: func(v float64) string { return "٪" + formatValue(v*100) }},
		"hbars nothing":         HBars{Target: 5},
		"hbars labels only":     HBars{Labels: []string{"أ", "ب"}, RTL: true},
		"hbars short values":    HBars{Labels: []string{"أ", "ب", "ج"}, Values: []float64{1}, ValueLabels: []string{"١ ساعة"}, Highlight: []int{0, 7, -1}},
		"hbars one":             HBars{Labels: []string{long}, Values: []float64{3}, Target: 2, RTL: true},
		"hbars 60":              HBars{Labels: days(60), Values: wave(60, 10), Target: 10},
		"hbars negative target": HBars{Labels: []string{"a", "b"}, Values: []float64{-3, 4}, Target: -2},
		"hbars all zero":        HBars{Labels: []string{"a", "b"}, Values: []float64{0, 0}, RTL: true},
		"lines nothing":         Lines{Min: 1, Max: 5},
		"lines one point":       Lines{Labels: []string{"أ"}, Series: []Series{{"أ", []float64{3}}}, RTL: true},
		"lines gaps":            Lines{Labels: []string{"a", "b", "c", "d"}, Series: []Series{{"", []float64{nan, 2, nan, 4}}}},
		"lines off the axis":    Lines{Labels: []string{"a", "b", "c"}, Series: []Series{{"", []float64{-10, 3, 99}}}, Min: 1, Max: 5},
		"lines flat":            Lines{Labels: []string{"a", "b"}, Series: []Series{{"", []float64{4, 4}}}},
		"lines min above max":   Lines{Labels: []string{"a", "b"}, Series: []Series{{"", []float64{1, 2}}}, Min: 5, Max: 1},
		"lines 60 one series":   Lines{Labels: days(60), Series: []Series{{long, wave(60, 3)}}, RTL: true},
		"lines many series":     Lines{Labels: []string{"a", "b"}, Series: []Series{{"1", []float64{1, 2}}, {"2", []float64{2, 1}}, {"3", []float64{1, 1}}, {"4", []float64{2, 2}}, {"5", []float64{1.5, 1.5}}}},
		"bars long legend":      Bars{Labels: []string{"a"}, Series: []Series{{long, []float64{1}}, {long, []float64{2}}, {long, []float64{3}}}, RTL: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for _, size := range [][2]int{{minSize, minSize}, {1600, 400}} {
				if err := c.PNG(io.Discard, size[0], size[1]); err != nil {
					t.Errorf("%dx%d: %v", size[0], size[1], err)
				}
			}
		})
	}
}

func TestEmptyChartDrawsTitleAndAxes(t *testing.T) {
	img := render(t, Bars{Title: "لا توجد تذاكر", RTL: true}, 0, 0)
	if left, right := inkColumns(img, 0, 90); right < left {
		t.Error("no title drawn")
	}
	axes := 0
	for y := 0; y < DefaultHeight; y++ {
		for x := 0; x < DefaultWidth; x++ {
			if img.RGBAAt(x, y) == zeroInk || img.RGBAAt(x, y) == axisInk {
				axes++
			}
		}
	}
	if axes < DefaultWidth/2 {
		t.Errorf("%d axis pixels; want the two axes", axes)
	}
}

func TestCategoryLabelsThinOut(t *testing.T) {
	for _, n := range []int{1, 7, 31, 60} {
		ch, err := newChart(0, 0, true)
		if err != nil {
			t.Fatal(err)
		}
		slot := (ch.w - 2*ch.pad) / float64(n)
		lines, step := ch.categories(days(n), slot)
		if n <= 7 && step != 1 {
			t.Errorf("%d labels: every %dth drawn; want all", n, step)
		}
		if n == 60 && step == 1 {
			t.Errorf("%d labels: all drawn; want them thinned out", n)
		}
		for i, l := range lines {
			if (i%step == 0) != (len(l) > 0) {
				t.Errorf("%d labels, step %d: label %d drawn=%v", n, step, i, len(l) > 0)
			}
			for _, tx := range l {
				if room := float64(step) * slot; tx.width > room {
					t.Errorf("%d labels: label %d is %.0f wide, more than its %.0f", n, i, tx.width, room)
				}
			}
		}
	}
}

// Charts are drawn from several goroutines at once, sharing the parsed
// fonts; run with -race.
func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, name := range []string{"bars-ar", "hbars-ar", "lines-en"} {
				if err := samples[name].PNG(io.Discard, 0, 0); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
