package stats

import (
	"math"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestAssessmentShare(t *testing.T) {
	prio := map[string]float64{"experience": 40, "efficiency": 25}
	answers := map[string]shakwa.Answer{
		"a": {Mark: shakwa.MarkMet, Priority: "experience", Weight: 1},
		"b": {Mark: shakwa.MarkUnmet, Priority: "experience", Weight: 3},
		"c": {Mark: shakwa.MarkPartly, Priority: "efficiency", Weight: 2},
	}
	// experience: (1·1 + 3·0)/4 = 0.25; efficiency: 0.5; (40·0.25 + 25·0.5)/65.
	got, ok := AssessmentShare(answers, prio)
	if !ok || !near(got, (40*0.25+25*0.5)/65) {
		t.Errorf("AssessmentShare = %v, %v; want %v", got, ok, (40*0.25+25*0.5)/65)
	}
	if _, ok := AssessmentShare(nil, prio); ok {
		t.Errorf("no answers: want ok false")
	}
}

func TestWithQuality(t *testing.T) {
	base := Score{Code: "KRM", Ranked: true, Value: 0.5, Parts: map[Part]float64{PartSatisfaction: 0.5, PartSLA: 0.5}}
	w := Weights{Complaints: 60, Assessment: 25, Visits: 15}
	s := base.WithQuality(Quality{Expected: true, Assessed: true, Assessment: 0.9, Visits: 2, Visit: 0.7}, w)
	if want := (60*0.5 + 25*0.9 + 15*0.7) / 100; !near(s.Value, want) {
		t.Errorf("value %v; want %v", s.Value, want)
	}
	if s.Unassessed || !near(s.Weights[PartAssessment], 0.25) || !near(s.Weights[PartSatisfaction], 0.6*30/55) {
		t.Errorf("weights %v, unassessed %v", s.Weights, s.Unassessed)
	}
	// Not assessed: marked, and scored without it.
	base.Parts = map[Part]float64{PartSatisfaction: 0.5, PartSLA: 0.5}
	s = base.WithQuality(Quality{Expected: true}, w)
	if !s.Unassessed || !near(s.Value, 0.5) {
		t.Errorf("unassessed: value %v, mark %v; want 0.5, marked", s.Value, s.Unassessed)
	}
	if _, ok := s.Parts[PartAssessment]; ok {
		t.Errorf("unassessed: an assessment part")
	}
	if s.Stars != 4 {
		t.Errorf("stars %v; want 4", s.Stars)
	}
}

// TestKeptPriorityWeights: a priority's weight kept with the answers wins
// over the configuration's, so that a changed configuration leaves past
// months as they were.
func TestKeptPriorityWeights(t *testing.T) {
	answers := map[string]shakwa.Answer{
		"a": {Mark: shakwa.MarkMet, Priority: "experience", Weight: 1, PriorityWeight: 40},
		"b": {Mark: shakwa.MarkUnmet, Priority: "efficiency", Weight: 1, PriorityWeight: 25},
	}
	now := map[string]float64{"experience": 10, "efficiency": 90} // the configuration since
	if got, _ := AssessmentShare(answers, now); !near(got, 40.0/65) {
		t.Errorf("share %v; want %v, by the weights kept", got, 40.0/65)
	}
	delete(answers, "b")
	answers["c"] = shakwa.Answer{Mark: shakwa.MarkUnmet, Priority: "efficiency", Weight: 1} // kept before weights were
	if got, _ := AssessmentShare(answers, now); !near(got, 40.0/130) {
		t.Errorf("share %v; want %v: the configuration's weight for the answer that kept none", got, 40.0/130)
	}
}

// TestKeptWeightChangedWithinMonth: two answers of one priority keep
// different weights (the configuration changed between them): the latest
// answer's counts, every time, whatever the map's order.
func TestKeptWeightChangedWithinMonth(t *testing.T) {
	day := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	answers := map[string]shakwa.Answer{
		"a": {Mark: shakwa.MarkMet, Priority: "experience", Weight: 1, PriorityWeight: 40, At: day},
		"b": {Mark: shakwa.MarkMet, Priority: "experience", Weight: 1, PriorityWeight: 60, At: day.Add(48 * time.Hour)},
		"c": {Mark: shakwa.MarkUnmet, Priority: "efficiency", Weight: 1, PriorityWeight: 20, At: day},
	}
	want := 60.0 / 80
	for range 100 {
		if got, _ := AssessmentShare(answers, nil); !near(got, want) {
			t.Fatalf("share %v; want %v, by the weight of the latest answer", got, want)
		}
	}
}

// TestWithQualityComplaintsWeighNothing: with complaints weighing 0, a
// centre is ranked on its quality programme however few its requests,
// and one with neither an assessment nor a visit is unrated, without
// stars, however many requests it had.
func TestWithQualityComplaintsWeighNothing(t *testing.T) {
	w := Weights{Complaints: 0, Assessment: 25, Visits: 15}
	parts := func() map[Part]float64 { return map[Part]float64{PartSatisfaction: 0.9, PartThanks: 1} }
	tests := []struct {
		name           string
		ranked         bool // enough requests
		q              Quality
		wantRanked     bool
		wantUnrated    bool
		wantValue      float64
		wantStars      float64
		wantUnassessed bool
	}{
		{"many requests, nothing else", true, Quality{Expected: true}, false, true, 0, 0, true},
		{"few requests, nothing else", false, Quality{}, false, true, 0, 0, false},
		{"few requests, assessed", false, Quality{Expected: true, Assessed: true, Assessment: 0.5}, true, false, 0.5, 4, false},
		{"many requests, a visit", true, Quality{Visits: 1, Visit: 0.25}, true, false, 0.25, 2.5, false},
		{"both", true, Quality{Assessed: true, Assessment: 1, Visits: 2, Visit: 0.6}, true, false, (25 + 15*0.6) / 40.0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Score{Code: "KRM", Ranked: tt.ranked, Value: 0.95, Stars: 6.7, Parts: parts()}.WithQuality(tt.q, w)
			if tt.wantStars == 0 && !tt.wantUnrated {
				tt.wantStars = math.Round((1+6*tt.wantValue)*10) / 10
			}
			if s.Ranked != tt.wantRanked || s.Unrated != tt.wantUnrated || !near(s.Value, tt.wantValue) || s.Stars != tt.wantStars ||
				s.Unassessed != tt.wantUnassessed || math.IsNaN(s.Value) {
				t.Errorf("got ranked %v, unrated %v, value %v, stars %v, unassessed %v; want %v, %v, %v, %v, %v", s.Ranked, s.Unrated,
					s.Value, s.Stars, s.Unassessed, tt.wantRanked, tt.wantUnrated, tt.wantValue, tt.wantStars, tt.wantUnassessed)
			}
			if s.Weights[PartSatisfaction] != 0 {
				t.Errorf("satisfaction weighs %v; want 0", s.Weights[PartSatisfaction])
			}
		})
	}
	// Complaints weighing: nothing changes for a centre with requests.
	s := Score{Code: "KRM", Ranked: true, Value: 0.5, Parts: parts()}.WithQuality(Quality{}, Weights{Complaints: 60, Assessment: 25})
	if !s.Ranked || s.Unrated || !near(s.Value, 0.5) {
		t.Errorf("complaints weighing 60, no quality: ranked %v, unrated %v, value %v; want ranked, 0.5", s.Ranked, s.Unrated, s.Value)
	}
}
