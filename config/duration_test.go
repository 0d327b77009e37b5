package config

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var durationCases = []struct {
	in   string
	want time.Duration
	ok   bool
}{
	{"30m", 30 * time.Minute, true},
	{"48h", 48 * time.Hour, true},
	{"1h30m", 90 * time.Minute, true},
	{"90s", 90 * time.Second, true},
	{"2d", 48 * time.Hour, true},
	{"1d12h", 36 * time.Hour, true},
	{"0d", 0, true},
	{" 7d ", 7 * 24 * time.Hour, true},
	{"-5m", -5 * time.Minute, true}, // parses; Validate rejects it
	{"", 0, false},
	{"30", 0, false},
	{"d", 0, false},
	{"1.5d", 0, false},
	{"-1d", 0, false},
	{"+1d", 0, false},
	{"1d-2h", 0, false},
	{"1dd", 0, false},
	{"12h1d", 0, false},
	{"2 d", 0, false},
	{"36501d", 0, false},
	{"9999999999d", 0, false},
	{"thirty", 0, false},
}

func TestParseDuration(t *testing.T) {
	for _, tc := range durationCases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDuration(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("parseDuration(%q) error = %v; want ok=%v", tc.in, err, tc.ok)
			}
			if got != tc.want {
				t.Errorf("parseDuration(%q) = %v; want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 2d"), &v); err != nil {
		t.Fatal(err)
	}
	if got, want := time.Duration(v.D), 48*time.Hour; got != want {
		t.Errorf("got %v; want %v", got, want)
	}
	for _, doc := range []string{"d: 3x", "d: [1, 2]", "d: {a: 1}"} {
		err := yaml.Unmarshal([]byte(doc), &v)
		if err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("Unmarshal(%q) error = %v; want one naming line 1", doc, err)
		}
	}
}

// FuzzParseDuration checks that parsing never panics, that inputs without
// a day part mean what time.ParseDuration says, and that accepted day
// forms never overflow into a negative duration.
func FuzzParseDuration(f *testing.F) {
	for _, tc := range durationCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseDuration(s)
		trimmed := strings.TrimSpace(s)
		if !strings.Contains(trimmed, "d") {
			want, werr := time.ParseDuration(trimmed)
			if (err == nil) != (werr == nil) || got != want {
				t.Fatalf("parseDuration(%q) = %v, %v; time.ParseDuration says %v, %v", s, got, err, want, werr)
			}
			return
		}
		if err == nil && got < 0 {
			t.Fatalf("parseDuration(%q) = %v; want >= 0 for a day form", s, got)
		}
	})
}
