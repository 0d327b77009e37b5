package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Percentile, the brute-force reference the histograms are checked
// against, returns the p-th percentile of d by the nearest-rank method:
// the smallest sample such that at least p percent of the samples are less
// than or equal to it, i.e. the ceil(p/100 × n)-th smallest. It sorts a
// copy and leaves d alone. The result is always one of the samples, never
// an interpolation; so the median (p = 50) of an even count is the lower of
// the two middle samples: of 10 samples, the 5th. p at or below 0 gives the
// smallest sample, above 100 the largest; an empty d gives 0.
func Percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return nearestRank(s, p)
}

// nearestRank is Percentile on an already sorted slice.
func nearestRank(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if !(p > 0) { // also catches NaN
		return sorted[0]
	}
	if p >= 100 {
		return sorted[n-1]
	}
	// p*n first keeps whole-number products exact (90×10/100 is 9, not
	// 9.000000000000002); the small epsilon absorbs what error remains.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = max(rank, 1)
	return sorted[rank-1]
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
