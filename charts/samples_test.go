package charts

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// envArtifacts names a directory for the sample charts; without it
// they go to a temporary one.
const envArtifacts = "SHAKWA_ARTIFACTS"

// chartPNG is what every chart type does.
type chartPNG interface {
	PNG(w io.Writer, width, height int) error
}

// Sample charts, as a manager's report would send them: each is drawn,
// decoded and written out for people to look at.
var samples = map[string]chartPNG{
	"bars-ar": Bars{
		Title:   "تذاكر مركز KRM حسب القناة: WhatsApp وTelegram والويب",
		Labels:  []string{"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"},
		Series:  []Series{{"واتساب", []float64{42, 38, 51, 47, 60, 12, 20}}, {"تيليجرام", []float64{18, 22, 19, 25, 30, 6, 9}}, {"الموقع", []float64{9, 11, 8, 14, 12, 3, 5}}},
		Stacked: true,
		RTL:     true,
	},
	"bars-en": Bars{
		Title:  "Tickets by channel, 1–7 June (KRM)",
		Labels: []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"},
		Series: []Series{{"WhatsApp", []float64{42, 38, 51, 47, 60, 12, 20}}, {"Telegram", []float64{18, 22, 19, 25, 30, 6, 9}}, {"Web", []float64{9, 11, 8, 14, 12, 3, 5}}},
	},
	"bars-grouped-ar": Bars{
		Title:  "التذاكر المفتوحة والمغلقة لكل مركز",
		Labels: []string{"مركز الكرامة", "مركز البرشاء", "مركز ديرة", "مركز القصيص", "مركز حتا"},
		Series: []Series{{"مفتوحة", []float64{12, 30, 7, 19, 3}}, {"مغلقة", []float64{140, 210, 98, 160, 41}}},
		RTL:    true,
	},
	"hbars-ar": HBars{
		Title:       "متوسط ساعات حل الشكوى لكل مركز (الهدف 24 ساعة)",
		Labels:      []string{"مركز الكرامة لخدمة المتعاملين", "مركز البرشاء", "مركز خدمات المواطنين في دبي مول – الطابق الأرضي بجوار المدخل الرئيسي", "مركز ديرة (KRM-2)", "مركز حتا"},
		Values:      []float64{18.5, 30, 12, 42.25, 22},
		ValueLabels: []string{"18.5 ساعة", "30 ساعة", "12 ساعة", "42.25 ساعة", "22 ساعة"},
		Highlight:   []int{1, 3},
		Target:      24,
		RTL:         true,
	},
	"hbars-en": HBars{
		Title:       "Median hours to resolve, by centre (target 24 h)",
		Labels:      []string{"Al Karama Customer Happiness Centre", "Al Barsha", "Dubai Mall citizens' services centre, ground floor by the main entrance", "Deira (KRM-2)", "Hatta"},
		Values:      []float64{18.5, 30, 12, 42.25, 22},
		ValueLabels: []string{"18.5 h", "30 h", "12 h", "42.25 h", "22 h"},
		Highlight:   []int{1, 3},
		Target:      24,
	},
	"lines-ar": Lines{
		Title:  "متوسط التقييم الأسبوعي (من 5)",
		Labels: []string{"الأسبوع 1", "الأسبوع 2", "الأسبوع 3", "الأسبوع 4", "الأسبوع 5", "الأسبوع 6", "الأسبوع 7", "الأسبوع 8"},
		Series: []Series{{"مركز الكرامة", []float64{4.1, 4.3, 3.9, 4.4, 4.6, 4.5, 4.7, 4.6}}, {"مركز البرشاء", []float64{3.2, 3.5, math.NaN(), 3.1, 3.8, 4, 3.9, 4.2}}},
		Min:    1, Max: 5,
		RTL: true,
	},
	"lines-en": Lines{
		Title:  "Average rating per week (out of 5)",
		Labels: []string{"Week 1", "Week 2", "Week 3", "Week 4", "Week 5", "Week 6", "Week 7", "Week 8"},
		Series: []Series{{"Al Karama", []float64{4.1, 4.3, 3.9, 4.4, 4.6, 4.5, 4.7, 4.6}}, {"Al Barsha", []float64{3.2, 3.5, math.NaN(), 3.1, 3.8, 4, 3.9, 4.2}}},
		Min:    1, Max: 5,
	},
	"lines-single-ar": Lines{
		Title:  "متوسط التقييم الأسبوعي لمركز KRM",
		Labels: []string{"1 مايو", "8 مايو", "15 مايو", "22 مايو", "29 مايو", "5 يونيو"},
		Series: []Series{{"", []float64{4.1, 4.3, 3.9, 4.4, 4.6, 4.55}}},
		RTL:    true,
	},
	"bars-empty-ar":    Bars{Title: "لا توجد تذاكر في هذه الفترة", RTL: true},
	"hbars-empty-en":   HBars{Title: "No tickets in this period"},
	"lines-empty-ar":   Lines{Title: "لا توجد تقييمات بعد", Labels: []string{"الأسبوع 1", "الأسبوع 2"}, RTL: true},
	"bars-60-ar":       Bars{Title: "التذاكر اليومية خلال 60 يومًا", Labels: days(60), Series: []Series{{"", wave(60, 40)}}, RTL: true},
	"bars-60-en":       Bars{Title: "Tickets per day, last 60 days", Labels: days(60), Series: []Series{{"WhatsApp", wave(60, 30)}, {"Telegram", wave(60, 12)}}, Stacked: true},
	"lines-60-en":      Lines{Title: "Open tickets, last 60 days", Labels: days(60), Series: []Series{{"KRM", wave(60, 80)}, {"BRS", wave(60, 50)}}},
	"hbars-40-ar":      HBars{Title: "التذاكر المفتوحة لكل موظف", Labels: names(40), Values: wave(40, 25), RTL: true, Highlight: []int{3, 17}},
	"hbars-40-ar-tall": HBars{Title: "التذاكر المفتوحة لكل موظف", Labels: names(40), Values: wave(40, 25), RTL: true, Highlight: []int{3, 17}},
	"bars-negative-en": Bars{
		Title:  "Change in open tickets against last week",
		Labels: []string{"KRM", "BRS", "DRA", "QSS", "HTA"},
		Series: []Series{{"", []float64{-12, 30, -4.5, 0, 8}}},
	},
	"bars-huge-ar": Bars{
		Title:  "الرسائل المرسلة منذ الإطلاق",
		Labels: []string{"2023", "2024", "2025"},
		Series: []Series{{"", []float64{1.25e9, 3.5e12, 9.87654321e14}}},
		RTL:    true,
	},
	"hbars-negative-ar": HBars{
		Title:  "التغير في عدد الشكاوى مقارنة بالشهر الماضي",
		Labels: []string{"مركز الكرامة", "مركز البرشاء", "مركز ديرة", "مركز حتا"},
		Values: []float64{-15, 22, 0, -3},
		RTL:    true,
	},
}

// sampleSize is the size of the samples not drawn at the default.
var sampleSize = map[string][2]int{"hbars-40-ar-tall": {1080, 1800}}

// days labels n days from 1 May, as a report would.
func days(n int) []string {
	out := make([]string, n)
	for i := range out {
		d, m := i%31+1, 5+i/31
		out[i] = fmt.Sprintf("%d/%d", d, m)
	}
	return out
}

// names makes n staff names, some long.
func names(n int) []string {
	first := []string{"أحمد", "فاطمة", "خالد", "مريم", "عبدالله", "نورة", "سعيد", "عائشة"}
	last := []string{"الشامسي", "المنصوري", "الكعبي", "الظاهري", "المهيري بن راشد آل مكتوم", "النعيمي"}
	out := make([]string, n)
	for i := range out {
		out[i] = first[i%len(first)] + " " + last[i%len(last)]
	}
	return out
}

// wave makes n plausible daily counts around mean.
func wave(n int, mean float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Round(mean * (1 + 0.4*math.Sin(float64(i)/3) + 0.2*math.Cos(float64(i)*1.7)))
	}
	return out
}

func TestSamples(t *testing.T) {
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, "charts")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("%s: %v", envArtifacts, err)
		}
	}
	for name, c := range samples {
		t.Run(name, func(t *testing.T) {
			size, ok := sampleSize[name]
			if !ok {
				size = [2]int{DefaultWidth, DefaultHeight}
			}
			var buf bytes.Buffer
			if err := c.PNG(&buf, size[0], size[1]); err != nil {
				t.Fatalf("PNG: %v", err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if cfg.Width != size[0] || cfg.Height != size[1] {
				t.Errorf("size %dx%d; want %dx%d", cfg.Width, cfg.Height, size[0], size[1])
			}
			path := filepath.Join(dir, name+".png")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("sample in %s", path)
		})
	}
}
