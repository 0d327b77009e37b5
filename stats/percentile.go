package stats

import (
	"math"
	"slices"
	"time"
)

// Percentile returns the p-th percentile of d by the nearest-rank method:
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
