// Package stats computes service metrics from tickets and feedback:
// counts, claim and resolution time percentiles, SLA compliance and
// satisfaction, per centre and in total. It is pure computation: callers
// fetch the data, stats does no I/O and keeps no state.
package stats

import (
	"slices"
	"time"

	"github.com/shakwa/shakwa"
)

// SLA is a centre's service level targets, measured from a ticket's
// creation.
type SLA struct {
	Claim, Resolve time.Duration
}

// Input is what Compute works on. Each ticket and feedback should appear
// at most once per list; tickets may appear in several lists.
//
// Entries outside their list's span are ignored, so callers may pass a
// superset: Created by Ticket.Created, Resolved by Ticket.Resolved and
// Feedback by Feedback.Created must fall in [From, To). A zero From or To
// leaves that side open.
type Input struct {
	From, To time.Time
	// Created are the tickets created in the window.
	Created []*shakwa.Ticket
	// Resolved are the tickets whose latest resolution is in the window.
	// A ticket reopened after that resolution is skipped: it is no longer
	// resolved.
	Resolved []*shakwa.Ticket
	// Open are the tickets open now; those whose Status is not open are
	// skipped.
	Open []*shakwa.Ticket
	// Feedback is the feedback and thanks given in the window.
	Feedback []*shakwa.Feedback
	// SLA holds each centre's targets by centre code. A centre missing here
	// has zero targets, so only zero-length samples count as within them.
	SLA map[string]SLA
	// Centres are the codes of the centres to report, in report order.
	// Tickets and feedback of other centres are left out, Total included;
	// a repeated code is reported once.
	Centres []string
}

// Report is the metrics of one window.
type Report struct {
	From, To time.Time
	// Centres has one entry per Input.Centres code, in that order, zeros
	// included.
	Centres []CentreStats
	// Total covers all reported centres: counts are sums, percentiles are
	// taken over the union of every centre's samples (not averaged), and
	// each ticket is judged against its own centre's SLA. Its Centre is "".
	Total CentreStats
}

// CentreStats is the metrics of one centre, or of all (Report.Total).
//
// A ticket counts for the centre it belongs to now: one transferred from
// KRM to BRS counts entirely for BRS, including the time it waited at KRM
// and a claim made there, since a ticket keeps its first claim time.
// Durations shorter than zero (clock skew) count as zero.
type CentreStats struct {
	// Centre is the centre's code; "" in Report.Total.
	Centre string

	// Received is the number of tickets created in the window.
	Received int
	// Resolved is the number of tickets resolved in the window.
	Resolved int
	// Open is the number of tickets open now.
	Open int

	// ClaimMedian and ClaimP90 are percentiles (see Percentile) of the time
	// from creation to first claim, over the tickets created in the window
	// that have been claimed; ClaimSamples is how many those are. Both are
	// zero when there are none (HasClaim reports false).
	ClaimMedian, ClaimP90 time.Duration
	ClaimSamples          int
	// ResolveMedian and ResolveP90 are percentiles of the time from
	// creation to the latest resolution, over the tickets resolved in the
	// window; ResolveSamples is how many those are. A reopened ticket's
	// time runs to its latest resolution.
	ResolveMedian, ResolveP90 time.Duration
	ResolveSamples            int

	// ClaimWithinSLA and ResolveWithinSLA count the samples at or under
	// the centre's target (the boundary counts as met); divide by
	// ClaimSamples and ResolveSamples for a share.
	ClaimWithinSLA, ResolveWithinSLA int

	// Rated is the number of resolved tickets (those in Resolved) the
	// citizen rated, and RatingSum the sum of those ratings.
	Rated, RatingSum int

	// Feedback is the number of feedback messages; FeedbackRated of them
	// carried stars, FeedbackStarsSum in all. Thanks is the number of
	// thanks messages.
	Feedback, FeedbackRated, FeedbackStarsSum int
	Thanks                                    int
}

// HasClaim reports whether there are claim time samples.
func (s CentreStats) HasClaim() bool { return s.ClaimSamples > 0 }

// HasResolve reports whether there are resolution time samples.
func (s CentreStats) HasResolve() bool { return s.ResolveSamples > 0 }

// AvgRating returns the mean rating of rated resolved tickets, or 0 when
// none was rated.
func (s CentreStats) AvgRating() float64 { return mean(s.RatingSum, s.Rated) }

// AvgFeedbackStars returns the mean stars of feedback that carried stars,
// or 0 when none did.
func (s CentreStats) AvgFeedbackStars() float64 { return mean(s.FeedbackStarsSum, s.FeedbackRated) }

func mean(sum, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// Compute returns the metrics of in. It does not modify in.
func Compute(in Input) Report {
	list, byCode := newAccums(in)
	in.tally(byCode)
	r := Report{From: in.From, To: in.To, Centres: make([]CentreStats, len(list))}
	var total accum
	for i, a := range list {
		a.finish()
		r.Centres[i] = a.CentreStats
		total.add(a)
	}
	total.finish()
	r.Total = total.CentreStats
	return r
}

// tally adds every entry of in to the accum of its centre, if reported.
func (in *Input) tally(byCode map[string]*accum) {
	for _, t := range in.Created {
		if t == nil || !in.within(t.Created) {
			continue
		}
		if a := byCode[t.Centre]; a != nil {
			a.created(t)
		}
	}
	for _, t := range in.Resolved {
		if t == nil || t.Resolved.IsZero() || !in.within(t.Resolved) || t.Reopened.After(t.Resolved) {
			continue
		}
		if a := byCode[t.Centre]; a != nil {
			a.resolved(t)
		}
	}
	for _, t := range in.Open {
		if t == nil || !t.Status.Open() {
			continue
		}
		if a := byCode[t.Centre]; a != nil {
			a.Open++
		}
	}
	for _, f := range in.Feedback {
		if f == nil || !in.within(f.Created) {
			continue
		}
		if a := byCode[f.Centre]; a != nil {
			a.feedback(f)
		}
	}
}

// within reports whether t falls in [From, To), a zero end being open.
func (in *Input) within(t time.Time) bool {
	return (in.From.IsZero() || !t.Before(in.From)) && (in.To.IsZero() || t.Before(in.To))
}

// accum gathers one centre's counts and duration samples.
type accum struct {
	CentreStats
	sla              SLA
	claims, resolves []time.Duration
}

func newAccums(in Input) ([]*accum, map[string]*accum) {
	list := make([]*accum, 0, len(in.Centres))
	byCode := make(map[string]*accum, len(in.Centres))
	for _, code := range in.Centres {
		if _, dup := byCode[code]; dup {
			continue
		}
		a := &accum{CentreStats: CentreStats{Centre: code}, sla: in.SLA[code]}
		list = append(list, a)
		byCode[code] = a
	}
	return list, byCode
}

func (a *accum) created(t *shakwa.Ticket) {
	a.Received++
	if t.Claimed.IsZero() || t.Created.IsZero() {
		return
	}
	d := elapsed(t.Created, t.Claimed)
	a.claims = append(a.claims, d)
	if d <= a.sla.Claim {
		a.ClaimWithinSLA++
	}
}

func (a *accum) resolved(t *shakwa.Ticket) {
	a.Resolved++
	if t.Rating > 0 {
		a.Rated++
		a.RatingSum += t.Rating
	}
	if t.Created.IsZero() {
		return
	}
	d := elapsed(t.Created, t.Resolved)
	a.resolves = append(a.resolves, d)
	if d <= a.sla.Resolve {
		a.ResolveWithinSLA++
	}
}

func (a *accum) feedback(f *shakwa.Feedback) {
	switch f.Kind {
	case shakwa.KindFeedback:
		a.Feedback++
		if f.Stars > 0 {
			a.FeedbackRated++
			a.FeedbackStarsSum += f.Stars
		}
	case shakwa.KindThanks:
		a.Thanks++
	}
}

// add adds b's counts and samples to a, for the total.
func (a *accum) add(b *accum) {
	a.Received += b.Received
	a.Resolved += b.Resolved
	a.Open += b.Open
	a.ClaimWithinSLA += b.ClaimWithinSLA
	a.ResolveWithinSLA += b.ResolveWithinSLA
	a.Rated += b.Rated
	a.RatingSum += b.RatingSum
	a.Feedback += b.Feedback
	a.FeedbackRated += b.FeedbackRated
	a.FeedbackStarsSum += b.FeedbackStarsSum
	a.Thanks += b.Thanks
	a.claims = append(a.claims, b.claims...)
	a.resolves = append(a.resolves, b.resolves...)
}

// finish sorts the samples and fills in the percentiles.
func (a *accum) finish() {
	slices.Sort(a.claims)
	slices.Sort(a.resolves)
	a.ClaimSamples, a.ResolveSamples = len(a.claims), len(a.resolves)
	a.ClaimMedian, a.ClaimP90 = nearestRank(a.claims, 50), nearestRank(a.claims, 90)
	a.ResolveMedian, a.ResolveP90 = nearestRank(a.resolves, 50), nearestRank(a.resolves, 90)
}

// elapsed returns end-start, or zero if end is before start.
func elapsed(start, end time.Time) time.Duration {
	return max(end.Sub(start), 0)
}
