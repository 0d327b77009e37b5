package stats

import (
	"maps"
	"math"
	"slices"
	"time"

	"github.com/shakwa/shakwa"
)

// The parts a centre's quality programme adds to its score (see
// WithQuality).
const (
	PartAssessment Part = "assessment"
	PartVisits     Part = "visits"
)

// Weights are the shares of a score: complaints (the five parts of
// ScoreOf together), the self-assessment and the mystery-shopper visits.
// Only their ratios count.
type Weights struct {
	Complaints, Assessment, Visits float64
}

// Quality is what a centre's quality programme measured over a span: its
// self-assessment's share met and its visits' average share, each from
// 0 to 1 (see AssessmentShare and VisitShare).
type Quality struct {
	// Expected says a self-assessment was owed (its month's deadline
	// passed) in a month the span touches: a centre without one is then
	// marked (Score.Unassessed). Either way a centre without one is
	// scored without it, never as if it had one.
	Expected   bool
	Assessed   bool
	Assessment float64
	Visits     int // released visits in the span
	Visit      float64
}

// AssessmentShare is the share of the standards an assessment meets:
// within each priority the standards' marks (met 1, partly ½, not met 0)
// averaged by the standards' weights, then the priorities averaged by
// their weights (as kept with the answers, else prio's, by code; a
// priority with neither counts as 1). ok is false for no answers.
func AssessmentShare(answers map[string]shakwa.Answer, prio map[string]float64) (share float64, ok bool) {
	return byPriority(answerItems(answers), prio)
}

// VisitShare is one visit's share of the best, its answers' scores
// weighed as AssessmentShare weighs marks.
func VisitShare(scores []shakwa.VisitScore, prio map[string]float64) (share float64, ok bool) {
	var items []weighed
	for _, s := range scores {
		items = append(items, weighed{s.Priority, s.Weight, s.Score, s.PriorityWeight, time.Time{}})
	}
	return byPriority(items, prio)
}

// VisitsShare is the average of the visits' shares, and how many had
// answers.
func VisitsShare(visits []*shakwa.Visit, prio map[string]float64) (share float64, n int) {
	var sum float64
	for _, v := range visits {
		if s, ok := VisitShare(v.Scores, prio); ok {
			sum += s
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

type weighed struct {
	priority string
	weight   float64
	value    float64
	// kept is the priority's weight as kept with the item; 0: prio's.
	kept float64
	at   time.Time // when it was given; the latest kept weight counts
}

// answerItems are answers as weighed items, by criterion: the same each
// time, whatever the map's order.
func answerItems(answers map[string]shakwa.Answer) []weighed {
	items := make([]weighed, 0, len(answers))
	for _, k := range slices.Sorted(maps.Keys(answers)) {
		a := answers[k]
		items = append(items, weighed{a.Priority, a.Weight, shakwa.MarkValue(a.Mark), a.PriorityWeight, a.At})
	}
	return items
}

// byPriorityParts is the weighted share of each priority items have.
func byPriorityParts(items []weighed) map[string]float64 {
	sum, w := map[string]float64{}, map[string]float64{}
	for _, it := range items {
		wt := it.weight
		if wt <= 0 {
			wt = 1
		}
		sum[it.priority] += wt * it.value
		w[it.priority] += wt
	}
	for p := range sum {
		sum[p] /= w[p]
	}
	return sum
}

func byPriority(items []weighed, prio map[string]float64) (float64, bool) {
	parts := byPriorityParts(items)
	if len(parts) == 0 {
		return 0, false
	}
	// A priority's weight changed within the period: the one kept with
	// its latest item counts (the later in items on a tie).
	kept, keptAt := map[string]float64{}, map[string]time.Time{}
	for _, it := range items {
		if it.kept > 0 && !it.at.Before(keptAt[it.priority]) {
			kept[it.priority], keptAt[it.priority] = it.kept, it.at
		}
	}
	var sum, w float64
	for p, v := range parts {
		wt, ok := kept[p]
		if !ok {
			wt, ok = prio[p]
		}
		if !ok || wt <= 0 {
			wt = 1
		}
		sum += wt * v
		w += wt
	}
	return clamp01(sum / w), true
}

// PriorityShares are, per priority, the weighted share that an
// assessment's answers meet, for showing where a centre stands.
func PriorityShares(answers map[string]shakwa.Answer) map[string]float64 {
	return byPriorityParts(answerItems(answers))
}

// WithQuality folds a centre's quality programme into its score: the
// score becomes the weighted average of its complaints' value, its
// assessment's share and its visits' average, of those it has, with w.
// The parts' weights (Score.Weights) become their share of the whole,
// for Strongest and Weakest. When complaints weigh nothing, neither does
// how many requests a centre had: it is ranked when it has an assessment
// or a visit, and is Unrated otherwise.
func (s Score) WithQuality(q Quality, w Weights) Score {
	complaints := len(s.Parts) > 0
	s.Weights = map[Part]float64{}
	var total float64
	if complaints {
		total += w.Complaints
	}
	if q.Assessed {
		total += w.Assessment
	}
	if q.Visits > 0 {
		total += w.Visits
	}
	s.Unassessed = q.Expected && !q.Assessed
	if w.Complaints <= 0 {
		s.Ranked, s.Unrated = total > 0, total <= 0
	}
	if s.Unrated {
		s.Value, s.Stars = 0, 0
		return s
	}
	if total <= 0 {
		return s // nothing measured: no requests, so not ranked
	}
	var value float64
	if complaints {
		var inner float64
		for _, pw := range partWeights {
			if _, ok := s.Parts[pw.Part]; ok {
				inner += pw.Weight
			}
		}
		for _, pw := range partWeights {
			if _, ok := s.Parts[pw.Part]; ok {
				s.Weights[pw.Part] = pw.Weight / inner * w.Complaints / total
			}
		}
		value += w.Complaints * s.Value
	}
	if q.Assessed {
		s.Parts[PartAssessment] = clamp01(q.Assessment)
		s.Weights[PartAssessment] = w.Assessment / total
		value += w.Assessment * s.Parts[PartAssessment]
	}
	if q.Visits > 0 {
		s.Parts[PartVisits] = clamp01(q.Visit)
		s.Weights[PartVisits] = w.Visits / total
		value += w.Visits * s.Parts[PartVisits]
	}
	s.Value = value / total
	s.Stars = math.Round((1+6*s.Value)*10) / 10
	return s
}
