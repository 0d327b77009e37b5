package stats

import (
	"math"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

const never = time.Duration(math.MinInt64)

var (
	day0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.FixedZone("GST", 4*3600))
	from = day0
	to   = day0.Add(7 * 24 * time.Hour)
	t0   = day0.Add(9 * time.Hour)
	slas = map[string]SLA{
		"KRM": {Claim: 30 * time.Minute, Resolve: 48 * time.Hour},
		"BRS": {Claim: 45 * time.Minute, Resolve: 24 * time.Hour},
	}
)

// tk returns a ticket of centre created at created, claimed and resolved
// after the given delays (never: not yet), with its status to match.
func tk(centre string, created time.Time, claim, resolve time.Duration, rating int) *shakwa.Ticket {
	t := &shakwa.Ticket{Centre: centre, Created: created, Status: shakwa.StatusNew, Rating: rating}
	if claim != never {
		t.Claimed, t.Status = created.Add(claim), shakwa.StatusClaimed
	}
	if resolve != never {
		t.Resolved, t.Status = created.Add(resolve), shakwa.StatusResolved
	}
	return t
}

// claims returns tickets of centre created at t0 and claimed after each of ms
// minutes.
func claims(centre string, ms ...int) []*shakwa.Ticket {
	var ts []*shakwa.Ticket
	for _, m := range ms {
		ts = append(ts, tk(centre, t0, time.Duration(m)*time.Minute, never, 0))
	}
	return ts
}

func withStatus(t *shakwa.Ticket, s shakwa.Status) *shakwa.Ticket { t.Status = s; return t }

func reopened(t *shakwa.Ticket, at time.Time) *shakwa.Ticket { t.Reopened = at; return t }

func transferred(t *shakwa.Ticket) *shakwa.Ticket { t.Transferred = t.Created.Add(time.Hour); return t }

func fb(centre string, kind shakwa.Kind, stars int, at time.Time) *shakwa.Feedback {
	return &shakwa.Feedback{Centre: centre, Kind: kind, Stars: stars, Created: at}
}

const (
	m = time.Minute
	h = time.Hour
)

func TestCompute(t *testing.T) {
	krmFeedback := []*shakwa.Feedback{
		fb("KRM", shakwa.KindFeedback, 4, t0), fb("KRM", shakwa.KindFeedback, 2, t0),
		fb("KRM", shakwa.KindFeedback, 0, t0), fb("KRM", shakwa.KindThanks, 5, t0),
		fb("KRM", shakwa.KindThanks, 0, t0), fb("KRM", shakwa.KindComplaint, 1, t0),
	}
	tests := []struct {
		name      string
		in        Input
		want      []CentreStats
		wantTotal CentreStats
	}{{
		name: "empty centres are present with zeros",
		in:   Input{Centres: []string{"KRM", "BRS"}},
		want: []CentreStats{{Centre: "KRM"}, {Centre: "BRS"}},
	}, {
		name:      "one claim sample",
		in:        Input{Centres: []string{"KRM"}, Created: claims("KRM", 7)},
		want:      []CentreStats{{Centre: "KRM", Received: 1, ClaimMedian: 7 * m, ClaimP90: 7 * m, ClaimSamples: 1, ClaimWithinSLA: 1}},
		wantTotal: CentreStats{Received: 1, ClaimMedian: 7 * m, ClaimP90: 7 * m, ClaimSamples: 1, ClaimWithinSLA: 1},
	}, {
		name:      "two claim samples: median is the lower",
		in:        Input{Centres: []string{"KRM"}, Created: claims("KRM", 20, 10)},
		want:      []CentreStats{{Centre: "KRM", Received: 2, ClaimMedian: 10 * m, ClaimP90: 20 * m, ClaimSamples: 2, ClaimWithinSLA: 2}},
		wantTotal: CentreStats{Received: 2, ClaimMedian: 10 * m, ClaimP90: 20 * m, ClaimSamples: 2, ClaimWithinSLA: 2},
	}, {
		name:      "ten claim samples: median 5th, p90 9th",
		in:        Input{Centres: []string{"KRM"}, Created: claims("KRM", 50, 45, 40, 35, 30, 25, 20, 15, 10, 5)},
		want:      []CentreStats{{Centre: "KRM", Received: 10, ClaimMedian: 25 * m, ClaimP90: 45 * m, ClaimSamples: 10, ClaimWithinSLA: 6}},
		wantTotal: CentreStats{Received: 10, ClaimMedian: 25 * m, ClaimP90: 45 * m, ClaimSamples: 10, ClaimWithinSLA: 6},
	}, {
		name: "SLA boundaries are inclusive",
		in: Input{Centres: []string{"KRM"},
			Created:  []*shakwa.Ticket{tk("KRM", t0, 30*m, 48*h, 0), tk("KRM", t0, 30*m+1, 48*h+1, 0)},
			Resolved: []*shakwa.Ticket{tk("KRM", t0, 30*m, 48*h, 0), tk("KRM", t0, 30*m+1, 48*h+1, 0)}},
		want: []CentreStats{{Centre: "KRM", Received: 2, Resolved: 2,
			ClaimMedian: 30 * m, ClaimP90: 30*m + 1, ClaimSamples: 2, ClaimWithinSLA: 1,
			ResolveMedian: 48 * h, ResolveP90: 48*h + 1, ResolveSamples: 2, ResolveWithinSLA: 1}},
		wantTotal: CentreStats{Received: 2, Resolved: 2,
			ClaimMedian: 30 * m, ClaimP90: 30*m + 1, ClaimSamples: 2, ClaimWithinSLA: 1,
			ResolveMedian: 48 * h, ResolveP90: 48*h + 1, ResolveSamples: 2, ResolveWithinSLA: 1},
	}, {
		name: "a transferred ticket counts for its current centre",
		in: Input{Centres: []string{"KRM", "BRS"},
			Created: []*shakwa.Ticket{transferred(tk("BRS", t0, 5*m, never, 0))},
			Open:    []*shakwa.Ticket{transferred(tk("BRS", t0, 5*m, never, 0))}},
		want: []CentreStats{{Centre: "KRM"},
			{Centre: "BRS", Received: 1, Open: 1, ClaimMedian: 5 * m, ClaimP90: 5 * m, ClaimSamples: 1, ClaimWithinSLA: 1}},
		wantTotal: CentreStats{Received: 1, Open: 1, ClaimMedian: 5 * m, ClaimP90: 5 * m, ClaimSamples: 1, ClaimWithinSLA: 1},
	}, {
		name: "total takes percentiles over the union and each centre's own SLA",
		in: Input{Centres: []string{"KRM", "BRS"},
			Created: append(claims("KRM", 1), claims("BRS", 40, 20, 30)...)},
		want: []CentreStats{
			{Centre: "KRM", Received: 1, ClaimMedian: 1 * m, ClaimP90: 1 * m, ClaimSamples: 1, ClaimWithinSLA: 1},
			{Centre: "BRS", Received: 3, ClaimMedian: 30 * m, ClaimP90: 40 * m, ClaimSamples: 3, ClaimWithinSLA: 3}},
		wantTotal: CentreStats{Received: 4, ClaimMedian: 20 * m, ClaimP90: 40 * m, ClaimSamples: 4, ClaimWithinSLA: 4},
	}, {
		name: "centres not asked for are left out, total included",
		in: Input{Centres: []string{"KRM"},
			Created:  append(claims("KRM", 10), claims("QOZ", 5)...),
			Open:     []*shakwa.Ticket{tk("QOZ", t0, never, never, 0)},
			Feedback: []*shakwa.Feedback{fb("QOZ", shakwa.KindFeedback, 5, t0)}},
		want:      []CentreStats{{Centre: "KRM", Received: 1, ClaimMedian: 10 * m, ClaimP90: 10 * m, ClaimSamples: 1, ClaimWithinSLA: 1}},
		wantTotal: CentreStats{Received: 1, ClaimMedian: 10 * m, ClaimP90: 10 * m, ClaimSamples: 1, ClaimWithinSLA: 1},
	}, {
		name:      "a repeated centre is reported once",
		in:        Input{Centres: []string{"KRM", "BRS", "KRM"}, Created: claims("KRM", 10)},
		want:      []CentreStats{{Centre: "KRM", Received: 1, ClaimMedian: 10 * m, ClaimP90: 10 * m, ClaimSamples: 1, ClaimWithinSLA: 1}, {Centre: "BRS"}},
		wantTotal: CentreStats{Received: 1, ClaimMedian: 10 * m, ClaimP90: 10 * m, ClaimSamples: 1, ClaimWithinSLA: 1},
	}, {
		name: "entries outside [From, To) are ignored",
		in: Input{Centres: []string{"KRM"},
			Created: []*shakwa.Ticket{tk("KRM", from.Add(-1), never, never, 0), tk("KRM", from, never, never, 0),
				tk("KRM", to.Add(-1), never, never, 0), tk("KRM", to, never, never, 0)},
			Resolved: []*shakwa.Ticket{tk("KRM", from, 5*m, h, 0), tk("KRM", to.Add(-h), 5*m, h, 5)},
			Feedback: []*shakwa.Feedback{fb("KRM", shakwa.KindFeedback, 3, from), fb("KRM", shakwa.KindFeedback, 1, to)}},
		want: []CentreStats{{Centre: "KRM", Received: 2, Resolved: 1,
			ResolveMedian: h, ResolveP90: h, ResolveSamples: 1, ResolveWithinSLA: 1,
			Feedback: 1, FeedbackRated: 1, FeedbackStarsSum: 3}},
		wantTotal: CentreStats{Received: 2, Resolved: 1,
			ResolveMedian: h, ResolveP90: h, ResolveSamples: 1, ResolveWithinSLA: 1,
			Feedback: 1, FeedbackRated: 1, FeedbackStarsSum: 3},
	}, {
		name: "reopened after resolution or never resolved is not resolved",
		in: Input{Centres: []string{"KRM"}, Resolved: []*shakwa.Ticket{
			reopened(tk("KRM", t0, 5*m, 2*h, 4), t0.Add(3*h)), // reopened after: skipped
			tk("KRM", t0, 5*m, never, 0),                      // not resolved: skipped
			reopened(tk("KRM", t0, 5*m, 3*h, 0), t0.Add(h)),   // resolved again after reopening
		}},
		want:      []CentreStats{{Centre: "KRM", Resolved: 1, ResolveMedian: 3 * h, ResolveP90: 3 * h, ResolveSamples: 1, ResolveWithinSLA: 1}},
		wantTotal: CentreStats{Resolved: 1, ResolveMedian: 3 * h, ResolveP90: 3 * h, ResolveSamples: 1, ResolveWithinSLA: 1},
	}, {
		name: "ratings, feedback stars and thanks",
		in: Input{Centres: []string{"KRM"}, Feedback: krmFeedback,
			Resolved: []*shakwa.Ticket{tk("KRM", t0, m, h, 5), tk("KRM", t0, m, h, 3), tk("KRM", t0, m, h, 0)}},
		want: []CentreStats{{Centre: "KRM", Resolved: 3, ResolveMedian: h, ResolveP90: h, ResolveSamples: 3, ResolveWithinSLA: 3,
			Rated: 2, RatingSum: 8, Feedback: 3, FeedbackRated: 2, FeedbackStarsSum: 6, Thanks: 2}},
		wantTotal: CentreStats{Resolved: 3, ResolveMedian: h, ResolveP90: h, ResolveSamples: 3, ResolveWithinSLA: 3,
			Rated: 2, RatingSum: 8, Feedback: 3, FeedbackRated: 2, FeedbackStarsSum: 6, Thanks: 2},
	}, {
		name: "open counts only open statuses",
		in: Input{Centres: []string{"KRM"}, Open: []*shakwa.Ticket{
			withStatus(tk("KRM", t0, never, never, 0), shakwa.StatusNew),
			withStatus(tk("KRM", t0, never, never, 0), shakwa.StatusClaimed),
			withStatus(tk("KRM", t0, never, never, 0), shakwa.StatusInProgress),
			withStatus(tk("KRM", t0, never, never, 0), shakwa.StatusResolved),
			withStatus(tk("KRM", t0, never, never, 0), shakwa.StatusClosed),
		}},
		want:      []CentreStats{{Centre: "KRM", Open: 3}},
		wantTotal: CentreStats{Open: 3},
	}, {
		name: "times before creation count as zero",
		in: Input{Centres: []string{"KRM"},
			Created:  []*shakwa.Ticket{tk("KRM", t0, -5*m, -h, 0)},
			Resolved: []*shakwa.Ticket{tk("KRM", t0, -5*m, -h, 0)}},
		want: []CentreStats{{Centre: "KRM", Received: 1, Resolved: 1,
			ClaimSamples: 1, ClaimWithinSLA: 1, ResolveSamples: 1, ResolveWithinSLA: 1}},
		wantTotal: CentreStats{Received: 1, Resolved: 1, ClaimSamples: 1, ClaimWithinSLA: 1, ResolveSamples: 1, ResolveWithinSLA: 1},
	}, {
		name:      "a centre without SLA meets it only with zero",
		in:        Input{Centres: []string{"QOZ"}, Created: claims("QOZ", 0, 1)},
		want:      []CentreStats{{Centre: "QOZ", Received: 2, ClaimMedian: 0, ClaimP90: m, ClaimSamples: 2, ClaimWithinSLA: 1}},
		wantTotal: CentreStats{Received: 2, ClaimMedian: 0, ClaimP90: m, ClaimSamples: 2, ClaimWithinSLA: 1},
	}, {
		name: "nil entries are skipped",
		in: Input{Centres: []string{"KRM", ""}, Created: []*shakwa.Ticket{nil, tk("KRM", t0, never, never, 0)},
			Resolved: []*shakwa.Ticket{nil}, Open: []*shakwa.Ticket{nil}, Feedback: []*shakwa.Feedback{nil}},
		want:      []CentreStats{{Centre: "KRM", Received: 1}, {Centre: ""}},
		wantTotal: CentreStats{Received: 1},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.From, in.To, in.SLA = from, to, slas
			r := Compute(in)
			if !r.From.Equal(from) || !r.To.Equal(to) {
				t.Errorf("report spans %v..%v; want %v..%v", r.From, r.To, from, to)
			}
			if len(r.Centres) != len(tc.want) {
				t.Fatalf("got %d centres; want %d: %+v", len(r.Centres), len(tc.want), r.Centres)
			}
			for i, got := range r.Centres {
				if got != tc.want[i] {
					t.Errorf("Centres[%d]:\n got %+v\nwant %+v", i, got, tc.want[i])
				}
			}
			if r.Total != tc.wantTotal {
				t.Errorf("Total:\n got %+v\nwant %+v", r.Total, tc.wantTotal)
			}
		})
	}
}

func TestAverages(t *testing.T) {
	tests := []struct {
		s                  CentreStats
		rating, feedStars  float64
		hasClaim, hasResol bool
	}{
		{CentreStats{}, 0, 0, false, false},
		{CentreStats{Rated: 2, RatingSum: 8, FeedbackRated: 4, FeedbackStarsSum: 14, ClaimSamples: 1, ResolveSamples: 3}, 4, 3.5, true, true},
		{CentreStats{Feedback: 3, FeedbackStarsSum: 0, ClaimSamples: 1}, 0, 0, true, false},
	}
	for _, tc := range tests {
		if got := tc.s.AvgRating(); got != tc.rating {
			t.Errorf("%+v AvgRating() = %v; want %v", tc.s, got, tc.rating)
		}
		if got := tc.s.AvgFeedbackStars(); got != tc.feedStars {
			t.Errorf("%+v AvgFeedbackStars() = %v; want %v", tc.s, got, tc.feedStars)
		}
		if got := tc.s.HasClaim(); got != tc.hasClaim {
			t.Errorf("%+v HasClaim() = %v; want %v", tc.s, got, tc.hasClaim)
		}
		if got := tc.s.HasResolve(); got != tc.hasResol {
			t.Errorf("%+v HasResolve() = %v; want %v", tc.s, got, tc.hasResol)
		}
	}
}
