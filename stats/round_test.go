package stats

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// roundedRat is num/den × per rounded a half away from zero, worked out
// with math/big (big.Rat's FloatString rounds so), and saturated to
// int64: what Rounded should give.
func roundedRat(num, den, per int64) int64 {
	if den <= 0 {
		return 0
	}
	x := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(num), big.NewInt(per)), big.NewInt(den))
	n, ok := new(big.Int).SetString(x.FloatString(0), 10)
	if !ok {
		panic("FloatString(0) is not an integer: " + x.FloatString(0))
	}
	switch {
	case n.Cmp(big.NewInt(math.MaxInt64)) > 0:
		return math.MaxInt64
	case n.Cmp(big.NewInt(math.MinInt64)) < 0:
		return math.MinInt64
	}
	return n.Int64()
}

// randomInt is a number of a random size, from none to 63 bits, of
// either sign.
func randomInt(r *rand.Rand) int64 {
	v := int64(r.Uint64() >> (1 + r.IntN(64)))
	if r.IntN(2) == 0 {
		return -v
	}
	return v
}

// TestRounded: Rounded agrees with exact rational arithmetic over random
// numerators, denominators and multipliers of every size and sign, over
// exact halves made on purpose, and at the edges of int64.
func TestRounded(t *testing.T) {
	check := func(num, den, per int64) {
		t.Helper()
		if got, want := Rounded(num, den, per), roundedRat(num, den, per); got != want {
			t.Errorf("Rounded(%d, %d, %d) = %d; want %d", num, den, per, got, want)
		}
	}
	for _, tc := range []struct{ num, den, per, want int64 }{
		{801, 200, 100, 401},    // 4.005 stars: 4.01
		{169, 40, 100, 423},     // 4.225 stars: 4.23, where math.Round(169.0/40*100) is 422
		{1799, 2000, 1000, 900}, // 89.95 %: 90.0 %
		{-801, 200, 100, -401},  // a half away from zero
		{1, 3, 1000, 333},
		{2, 3, 1000, 667},
		{5, 0, 100, 0},
		{5, -2, 100, 0},
		{math.MaxInt64, 1, 2, math.MaxInt64},
		{math.MinInt64, 1, 1, math.MinInt64},
		{math.MinInt64, 1, -1, math.MaxInt64},
		{math.MinInt64, 2, 1, math.MinInt64 / 2},
	} {
		if got := Rounded(tc.num, tc.den, tc.per); got != tc.want {
			t.Errorf("Rounded(%d, %d, %d) = %d; want %d", tc.num, tc.den, tc.per, got, tc.want)
		}
		check(tc.num, tc.den, tc.per)
	}
	r := rand.New(rand.NewPCG(11, 12))
	for range 200_000 {
		den := randomInt(r)
		if r.IntN(20) > 0 {
			den = max(den, -den, 1) // mostly a real denominator
		}
		per := int64(r.IntN(2001) - 1000)
		if r.IntN(4) == 0 {
			per = randomInt(r)
		}
		check(randomInt(r), den, per)
	}
	// Exact halves: num = (2q+1)m and den = 2m·per make num/den × per
	// q + ½.
	for range 200_000 {
		per := []int64{1, 10, 100, 1000}[r.IntN(4)]
		m := 1 + r.Int64N(1<<r.IntN(40))
		q := r.Int64N(1 << r.IntN(20))
		num := (2*q + 1) * m
		if r.IntN(2) == 0 {
			num = -num
		}
		want := q + 1
		if num < 0 {
			want = -want
		}
		if got := Rounded(num, 2*m*per, per); got != want {
			t.Errorf("Rounded(%d, %d, %d) = %d; want %d (an exact half)", num, 2*m*per, per, got, want)
		}
		check(num, 2*m*per, per)
	}
}

// TestRatingHundredths: the average rating and a share are rounded from
// their counts, exactly.
func TestRatingHundredths(t *testing.T) {
	var f Figures
	f.Ratings = [5]int64{0, 0, 0, 199, 1} // 801 stars over 200 ratings
	if sum, n := f.RatingTotal(); sum != 801 || n != 200 {
		t.Errorf("RatingTotal = %d, %d; want 801, 200", sum, n)
	}
	if avg, n := f.RatingHundredths(); avg != 401 || n != 200 {
		t.Errorf("RatingHundredths = %d, %d; want 401, 200", avg, n)
	}
	f.Ratings = [5]int64{0, 0, 0, 31, 9} // 169 over 40
	if avg, n := f.RatingHundredths(); avg != 423 || n != 40 {
		t.Errorf("RatingHundredths = %d, %d; want 423, 40", avg, n)
	}
	if avg, n := (Figures{}).RatingHundredths(); avg != 0 || n != 0 {
		t.Errorf("RatingHundredths of none = %d, %d; want 0, 0", avg, n)
	}
	if tenths, ok := (Share{Met: 1799, Due: 2000}).Tenths(); tenths != 900 || !ok {
		t.Errorf("Tenths of 1799/2000 = %d, %v; want 900, true", tenths, ok)
	}
	if _, ok := (Share{Met: 3}).Tenths(); ok {
		t.Errorf("Tenths with nothing due is ok; want not")
	}
}
