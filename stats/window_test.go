package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zone database

	"github.com/shakwa/shakwa"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestWindow(t *testing.T) {
	dubai := mustZone(t, "Asia/Dubai")
	london := mustZone(t, "Europe/London")
	midnight := time.Date(2025, 3, 10, 0, 0, 0, 0, dubai) // 2025-03-09T20:00Z
	tests := []struct {
		name     string
		p        Period
		now      time.Time
		loc      *time.Location
		wantFrom time.Time
	}{
		{"today just after midnight", PeriodToday, midnight.Add(30 * time.Minute), dubai, midnight},
		{"today given in UTC, UTC date still yesterday", PeriodToday, time.Date(2025, 3, 9, 20, 30, 0, 0, time.UTC), dubai, midnight},
		{"today at 03:59 Dubai", PeriodToday, time.Date(2025, 3, 9, 23, 59, 0, 0, time.UTC), dubai, midnight},
		{"today at 04:00Z (08:00 Dubai)", PeriodToday, time.Date(2025, 3, 10, 4, 0, 0, 0, time.UTC), dubai, midnight},
		{"today just before midnight", PeriodToday, midnight.Add(24*time.Hour - time.Nanosecond), dubai, midnight},
		{"today exactly at midnight", PeriodToday, midnight, dubai, midnight},
		{"today one ns before midnight", PeriodToday, midnight.Add(-time.Nanosecond), dubai, midnight.Add(-24 * time.Hour)},
		{"today with nil location is UTC", PeriodToday, time.Date(2025, 3, 9, 20, 30, 0, 0, time.UTC), nil, time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)},
		{"today on a DST change day", PeriodToday, time.Date(2025, 3, 30, 12, 0, 0, 0, london), london, time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC)},
		{"week just after midnight", PeriodWeek, midnight.Add(30 * time.Minute), dubai, midnight.Add(30*time.Minute - 7*24*time.Hour)},
		{"week just before midnight", PeriodWeek, midnight.Add(-time.Minute), dubai, midnight.Add(-time.Minute - 7*24*time.Hour)},
		{"month just after midnight", PeriodMonth, midnight.Add(30 * time.Minute), dubai, midnight.Add(30*time.Minute - 30*24*time.Hour)},
		{"month just before midnight", PeriodMonth, midnight.Add(-time.Minute), dubai, midnight.Add(-time.Minute - 30*24*time.Hour)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to, err := Window(tc.p, tc.now, tc.loc)
			if err != nil {
				t.Fatalf("Window error: %v", err)
			}
			if !from.Equal(tc.wantFrom) {
				t.Errorf("from = %v; want %v", from, tc.wantFrom)
			}
			if !to.Equal(tc.now) {
				t.Errorf("to = %v; want now %v", to, tc.now)
			}
			wantLoc := tc.loc
			if wantLoc == nil {
				wantLoc = time.UTC
			}
			if from.Location() != wantLoc || to.Location() != wantLoc {
				t.Errorf("locations %v, %v; want %v", from.Location(), to.Location(), wantLoc)
			}
		})
	}
}

func TestWindowUnknownPeriod(t *testing.T) {
	for _, p := range []Period{"", "year", "Today", "اليوم"} {
		_, _, err := Window(p, time.Now(), time.UTC)
		if !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("Window(%q) error = %v; want one wrapping ErrInvalid", p, err)
		}
	}
}

func minutes(ms ...int) []time.Duration {
	d := make([]time.Duration, len(ms))
	for i, m := range ms {
		d[i] = time.Duration(m) * time.Minute
	}
	return d
}

func TestPercentile(t *testing.T) {
	ten := minutes(7, 3, 10, 1, 9, 5, 2, 8, 6, 4) // 1..10, shuffled
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Minute // 100..1
	}
	tests := []struct {
		name string
		d    []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"1 sample p1", minutes(7), 1, 7 * time.Minute},
		{"1 sample p50", minutes(7), 50, 7 * time.Minute},
		{"1 sample p100", minutes(7), 100, 7 * time.Minute},
		{"2 samples p50 is the lower", minutes(2, 1), 50, 1 * time.Minute},
		{"2 samples p51", minutes(2, 1), 51, 2 * time.Minute},
		{"2 samples p90", minutes(2, 1), 90, 2 * time.Minute},
		{"10 samples p10", ten, 10, 1 * time.Minute},
		{"10 samples p11", ten, 11, 2 * time.Minute},
		{"10 samples p50 is the 5th", ten, 50, 5 * time.Minute},
		{"10 samples p51", ten, 51, 6 * time.Minute},
		{"10 samples p90 is the 9th", ten, 90, 9 * time.Minute},
		{"10 samples p91", ten, 91, 10 * time.Minute},
		{"10 samples p100", ten, 100, 10 * time.Minute},
		{"100 samples p7 (0.07×100 is not 7 in floating point)", hundred, 7, 7 * time.Minute},
		{"100 samples p99.9", hundred, 99.9, 100 * time.Minute},
		{"p0 is the smallest", ten, 0, 1 * time.Minute},
		{"negative p is the smallest", ten, -5, 1 * time.Minute},
		{"NaN is the smallest", ten, math.NaN(), 1 * time.Minute},
		{"p above 100 is the largest", ten, 150, 10 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.d)
			if got := Percentile(tc.d, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v; want %v", tc.d, tc.p, got, tc.want)
			}
			if !slices.Equal(before, tc.d) {
				t.Errorf("Percentile changed its input: %v; was %v", tc.d, before)
			}
		})
	}
}

// TestPercentileNearestRank checks Percentile against the definition on
// random inputs: the result is a sample, at least p% of samples are <= it,
// and fewer than p% are < it.
func TestPercentileNearestRank(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		n := 1 + r.IntN(50)
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(r.IntN(20))
		}
		p := float64(1 + r.IntN(100))
		got := Percentile(d, p)
		var le, lt int
		for _, x := range d {
			if x <= got {
				le++
			}
			if x < got {
				lt++
			}
		}
		if !slices.Contains(d, got) || float64(le)*100 < p*float64(n) || float64(lt)*100 >= p*float64(n) {
			t.Fatalf("Percentile(%v, %v) = %v breaks nearest rank (%d <=, %d <)", d, p, got, le, lt)
		}
	}
}
