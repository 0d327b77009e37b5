package stats

import (
	"math"
	"math/bits"
)

// Rounded is num/den × per rounded to a whole number, a half away from
// zero (so a half up for the counts the figures are made of), worked out
// in integers so that an exact half is never lost to floating point: the
// average of 169 stars over 40 ratings, in hundredths (per 100), is 423,
// where rounding float64(169)/40*100 gives 422 (4.225 has no exact
// float64, and the nearest is below). It is 0 when den is not positive;
// a result beyond int64 saturates.
func Rounded(num, den, per int64) int64 {
	if den <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(magnitude(num), magnitude(per))
	neg := (num < 0) != (per < 0) && hi|lo != 0
	d := uint64(den)
	if hi >= d {
		if neg {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, d)
	if r >= d-r { // r/d ≥ ½, without 2r overflowing
		q++
	}
	switch {
	case neg && q > 1<<63:
		return math.MinInt64
	case neg:
		return -int64(q)
	case q > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(q)
}

// magnitude is |v|, taken as unsigned so that math.MinInt64 has one.
func magnitude(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}

// RatingTotal is the stars of the ratings given, added up, and how many
// were given: Rating's average is sum/n.
func (f Figures) RatingTotal() (sum, n int64) { return starsTotal(f.Ratings) }

// RatingHundredths is the average rating in hundredths of a star,
// rounded exactly (see Rounded), as it is shown everywhere: 801 stars
// over 200 ratings is 401, "4.01"; 169 over 40 is 423. n is how many ratings were given; the
// average is 0 when there are none.
func (f Figures) RatingHundredths() (avg, n int64) {
	sum, n := f.RatingTotal()
	if n == 0 {
		return 0, 0
	}
	return Rounded(sum, n, 100), n
}

// Tenths is the share in tenths of a percent, rounded exactly (see
// Rounded): 1799 of 2000 is 900, 90.0 %. ok is false when nothing was
// due.
func (s Share) Tenths() (tenths int64, ok bool) {
	if s.Due <= 0 {
		return 0, false
	}
	return Rounded(s.Met, s.Due, 1000), true
}
