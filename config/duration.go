package config

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxDays bounds the day part of a Duration well below time.Duration's
// range (about 292 years).
const maxDays = 36500

// Duration is a time.Duration written in YAML either in Go's form ("90s",
// "30m", "48h", "1h30m") or with a leading whole number of days ("2d",
// "1d12h").
type Duration time.Duration

// String returns the duration in Go's form, e.g. "48h0m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML reads a scalar such as "30m" or "2d".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: duration must be a string like 30m, 48h or 2d", n.Line)
	}
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// parseDuration parses Go durations plus an optional leading "<days>d".
// The day part is a whole number of 24-hour days; what follows it, if
// anything, must be a non-negative Go duration ("1d12h").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want a form like 30m, 48h or 2d", s)
		}
		return d, nil
	}
	n, ok := atoiDigits(days)
	if !ok || n > maxDays {
		return 0, fmt.Errorf("duration %q: days must be a whole number up to %d", s, maxDays)
	}
	d := time.Duration(n) * 24 * time.Hour
	if rest == "" {
		return d, nil
	}
	r, err := time.ParseDuration(rest)
	if err != nil || r < 0 || r > math.MaxInt64-d {
		return 0, fmt.Errorf("duration %q: want a form like 2d or 1d12h", s)
	}
	return d + r, nil
}

// atoiDigits parses a non-empty run of ASCII digits (no sign, no spaces).
func atoiDigits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
