package stats

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// A centre's score for a ranking is built from five parts, each from 0
// (worst) to 1 (best) over the span, weighted:
//
//   - satisfaction (30 %): the average rating, 1 star → 0, 5 stars → 1;
//   - SLA (25 %): the average of the shares claimed and resolved within
//     target (of the tickets whose deadline fell in the span);
//   - resolution time (20 %): the median time to resolve against the
//     centre's target: none → 1, at the target → 0.5, twice the target or
//     more → 0;
//   - reopening (15 %): reopened per resolved, none → 1, a fifth or more
//     → 0;
//   - thanks (10 %): thanks per ticket received, none → 0, one in ten or
//     more → 1.
//
// A part with nothing to measure (no rating, no deadline due, nothing
// resolved) is left out and the others' weights scale up to the whole.
// The score is their weighted average; the stars are 1 + 6 × score, from
// 1 to 7, to a tenth. A centre is ranked only with at least MinRanked
// tickets received in the span.
const MinRanked = 10

// Part names a part of the score.
type Part string

// The parts of a score, in the order they weigh.
const (
	PartSatisfaction Part = "satisfaction"
	PartSLA          Part = "sla"
	PartSpeed        Part = "speed"
	PartReopen       Part = "reopen"
	PartThanks       Part = "thanks"
)

// partWeights are the parts' weights, summing to one.
var partWeights = []struct {
	Part   Part
	Weight float64
}{
	{PartSatisfaction, 0.30}, {PartSLA, 0.25}, {PartSpeed, 0.20}, {PartReopen, 0.15}, {PartThanks, 0.10},
}

// Score is a centre's score for a ranking.
type Score struct {
	Code   string
	Ranked bool    // enough tickets to rank
	Value  float64 // 0..1
	Stars  float64 // 1..7, to a tenth
	// Parts are the parts measured, 0..1 each.
	Parts map[Part]float64
	// Weights are the parts' shares of Value, once WithQuality has added
	// the quality programme's; nil: partWeights scaled to the parts
	// measured.
	Weights map[Part]float64
	// Unassessed marks a centre that had no self-assessment when one was
	// expected: its score is made without it.
	Unassessed bool
	// Unrated marks a centre with nothing to score: its complaints weigh
	// nothing (Weights.Complaints 0) and it has neither a self-assessment
	// nor a visit. It is not ranked, and its Value and Stars are 0.
	Unrated bool
}

// ScoreOf scores one centre's figures, target being its resolution
// target (zero when it has none: the speed part is then left out).
func ScoreOf(code string, f Figures, target time.Duration) Score {
	s := Score{Code: code, Ranked: f.Received >= MinRanked, Parts: map[Part]float64{}}
	if avg, n := f.Rating(); n > 0 {
		s.Parts[PartSatisfaction] = clamp01((avg - 1) / 4)
	}
	var sla []float64
	for _, sh := range []Share{f.ClaimSLA, f.ResolveSLA} {
		if p, ok := sh.Percent(); ok {
			sla = append(sla, p/100)
		}
	}
	if len(sla) > 0 {
		var sum float64
		for _, v := range sla {
			sum += v
		}
		s.Parts[PartSLA] = clamp01(sum / float64(len(sla)))
	}
	if med, ok := f.ResolveTime.Percentile(50); ok && target > 0 {
		s.Parts[PartSpeed] = clamp01(1 - float64(med)/float64(2*target))
	}
	if f.ReopenBase > 0 {
		s.Parts[PartReopen] = clamp01(1 - 5*float64(f.Reopened)/float64(f.ReopenBase))
	}
	if f.Received > 0 {
		s.Parts[PartThanks] = clamp01(10 * float64(f.Thanks) / float64(f.Received))
	}
	var sum, weights float64
	for _, w := range partWeights {
		if v, ok := s.Parts[w.Part]; ok {
			sum += w.Weight * v
			weights += w.Weight
		}
	}
	if weights > 0 {
		s.Value = sum / weights
	}
	s.Stars = math.Round((1+6*s.Value)*10) / 10
	return s
}

// Ranking orders scores best first (by score, then by tickets received,
// then by code) and splits off those with too few tickets, in code order.
func Ranking(scores []Score, received map[string]int64) (ranked, apart []Score) {
	for _, s := range scores {
		if s.Ranked {
			ranked = append(ranked, s)
		} else {
			apart = append(apart, s)
		}
	}
	slices.SortStableFunc(ranked, func(a, b Score) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		if c := cmp.Compare(received[b.Code], received[a.Code]); c != 0 {
			return c
		}
		return cmp.Compare(a.Code, b.Code)
	})
	slices.SortStableFunc(apart, func(a, b Score) int { return cmp.Compare(a.Code, b.Code) })
	return ranked, apart
}

// BestWorst splits a ranking into its best n and its worst n, worst
// last, never naming a centre twice: with fewer than 2n ranked the worst
// are those left after the best.
func BestWorst(ranked []Score, n int) (best, worst []Score) {
	best = ranked[:min(n, len(ranked))]
	rest := ranked[len(best):]
	worst = rest[max(0, len(rest)-n):]
	return best, worst
}

// Strongest and Weakest are the parts that pulled a score up the most
// and down the most against the average of the ranked centres: the part
// whose weighted difference from that average is largest (smallest).
func (s Score) Strongest(avg map[Part]float64) (Part, bool) { return s.pull(avg, 1) }

// Weakest: see Strongest.
func (s Score) Weakest(avg map[Part]float64) (Part, bool) { return s.pull(avg, -1) }

func (s Score) pull(avg map[Part]float64, sign float64) (Part, bool) {
	best, found := 0.0, Part("")
	for _, p := range allParts {
		v, ok := s.Parts[p]
		if !ok {
			continue
		}
		d := sign * s.weight(p) * (v - avg[p])
		if d > best {
			best, found = d, p
		}
	}
	return found, found != ""
}

// PartAverages are the average of each part over scores that have it.
func PartAverages(scores []Score) map[Part]float64 {
	sum, n := map[Part]float64{}, map[Part]float64{}
	for _, s := range scores {
		for p, v := range s.Parts {
			sum[p] += v
			n[p]++
		}
	}
	for p := range sum {
		sum[p] /= n[p]
	}
	return sum
}

// allParts are every part, in the order they are looked at.
var allParts = []Part{PartSatisfaction, PartSLA, PartSpeed, PartReopen, PartThanks, PartAssessment, PartVisits}

// weight is part p's weight in s.
func (s Score) weight(p Part) float64 {
	if s.Weights != nil {
		return s.Weights[p]
	}
	for _, w := range partWeights {
		if w.Part == p {
			return w.Weight
		}
	}
	return 0
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }
