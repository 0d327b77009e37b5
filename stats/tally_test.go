package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage/storagetest"
	"github.com/shakwa/shakwa/worktime"
)

// tallyBook keeps tallies as storage does: per centre, per hash key.
type tallyBook struct{ storagetest.Tallies }

func (b *tallyBook) add(centre string, ts []shakwa.Tally) { b.Add(centre, ts, 1) }

// sum reads the centre's figures for span through Reads, as a caller of
// storage would.
func (b *tallyBook) sum(t *testing.T, m Model, span Span, centre string, dims bool) Sum {
	t.Helper()
	reads := m.Reads(span, dims)
	got := make([]map[string]string, len(reads))
	for i, r := range reads {
		got[i] = b.Hash(centre, r.Key)
	}
	s, err := SumOf(reads, got)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// synthetic makes n tickets over the 120 days before now, with every
// lifecycle: unclaimed, claimed, answered, resolved, rated, reopened and
// resolved again, transferred; times from a few seconds to weeks.
func synthetic(n int, now time.Time, r *rand.Rand) []*shakwa.Ticket {
	centres := []string{"KRM", "BRS", "DXB"}
	cats := []string{"waiting", "staff", "system"}
	chans := []string{"telegram", "whatsapp", "web"}
	staff := []string{"111", "112", "113", "114"}
	wait := func() time.Duration {
		// Log-uniform from a second to three weeks.
		return time.Duration(math.Exp(r.Float64()*math.Log(21*24*3600)) * float64(time.Second))
	}
	var out []*shakwa.Ticket
	for i := range n {
		t := &shakwa.Ticket{ID: fmt.Sprintf("T-%06d", i), Centre: centres[r.IntN(3)], Category: cats[r.IntN(3)],
			Channel: chans[r.IntN(3)], Status: shakwa.StatusNew,
			Created: now.Add(-time.Duration(r.Int64N(int64(120 * 24 * time.Hour))))}
		t.Created = t.Created.Truncate(time.Millisecond)
		at := t.Created
		next := func() bool {
			at = at.Add(wait())
			return at.Before(now)
		}
		if r.IntN(10) < 9 && next() {
			t.Claimed, t.Status, t.Holder = at, shakwa.StatusClaimed, shakwa.Staff{ID: staff[r.IntN(4)]}
			t.ClaimedBy = t.Holder.ID
			if r.IntN(10) < 7 && next() {
				t.FirstReply, t.Status, t.RepliedBy = at, shakwa.StatusInProgress, t.Holder.ID
			}
			if r.IntN(5) == 0 && next() {
				t.Holder = shakwa.Staff{ID: staff[(slices.Index(staff, t.Holder.ID)+1)%4]} // reassigned
			}
			if r.IntN(10) < 8 && next() {
				t.Resolved, t.Status = at, shakwa.StatusResolved
				if r.IntN(10) < 6 && next() {
					t.Rated, t.Rating, t.Status, t.Closed = at, 1+r.IntN(5), shakwa.StatusClosed, at
				}
				if r.IntN(10) < 2 && next() {
					t.Reopened, t.Reopens, t.Status, t.Closed = at, 1, shakwa.StatusClaimed, time.Time{}
					if r.IntN(2) == 0 && next() {
						t.Resolved, t.Status = at, shakwa.StatusResolved // rated before: no longer current
					}
				}
			}
		}
		if r.IntN(10) == 0 && t.Status.Open() && next() {
			t.Transferred, t.Centre = at, centres[(slices.Index(centres, t.Centre)+1)%3]
		}
		if r.IntN(8) == 0 && t.Status.Open() && next() {
			t.Rejected, t.Closed, t.Status, t.Reason = at, at, shakwa.StatusRejected, "out_of_scope"
		}
		if r.IntN(12) == 0 && t.Status.Open() && next() {
			t.Closed, t.Status = at, shakwa.StatusWithdrawn
		}
		out = append(out, t)
	}
	return out
}

// brute computes a centre's figures the slow, obvious way, from the
// definitions in Model's comment.
type brute struct {
	Figures
	claims, replies, resolves []time.Duration
}

func bruteFigures(m Model, ts []*shakwa.Ticket, fb []*shakwa.Feedback, span Span, centre, staff string) brute {
	end := span.To
	slaEnd := span.To
	if !span.Now.IsZero() && span.Now.Before(span.To) {
		end = span.Now
		slaEnd = span.Now.Truncate(time.Minute) // a deadline counts once its minute has passed
	}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(span.From) && t.Before(end) }
	var b brute
	for _, t := range ts {
		if t.Centre != centre {
			continue
		}
		// A staff member is credited with the claim and the first reply
		// they made, and with the rest of what they hold.
		if in(t.Claimed) && (staff == "" || t.ClaimedBy == staff) {
			b.Claimed++
			b.claims = append(b.claims, t.Claimed.Sub(t.Created))
		}
		if in(t.FirstReply) && (staff == "" || t.RepliedBy == staff) {
			b.Replied++
			b.replies = append(b.replies, t.FirstReply.Sub(t.Created))
		}
		if staff != "" && t.Holder.ID != staff {
			continue
		}
		resolved := !t.Resolved.IsZero() && (t.Status == shakwa.StatusResolved || t.Status == shakwa.StatusClosed)
		rated := resolved && t.Rating > 0 && !t.Rated.Before(t.Resolved) // the current resolution
		if in(t.Created) && staff == "" {
			b.Received++
		}
		if resolved && in(t.Resolved) {
			b.Resolved++
			b.resolves = append(b.resolves, t.Resolved.Sub(t.Created))
			if rated {
				b.RatedResolved++
			}
		}
		if t.Rating > 0 && in(t.Rated) && (staff == "" || rated) { // the latest; a staff member's, of their resolution
			b.Ratings[t.Rating-1]++
		}
		if t.Reopens > 0 && in(t.Reopened) {
			b.Reopened++
		}
		// Each ticket once in the reopened share's base: by its reopening,
		// or by its resolution when it has none.
		if t.Reopens > 0 && in(t.Reopened) || t.Reopens == 0 && resolved && in(t.Resolved) {
			b.ReopenBase++
		}
		if in(t.Transferred) && staff == "" {
			b.Transferred++
		}
		if t.Status == shakwa.StatusRejected {
			if in(t.Rejected) {
				b.Rejected++
			}
			continue // apart: no SLA
		}
		if t.Status == shakwa.StatusWithdrawn {
			if in(t.Closed) {
				b.Withdrawn++
			}
			continue
		}
		if staff != "" {
			continue
		}
		inSLA := func(due time.Time) bool { return !due.Before(span.From) && due.Before(slaEnd) }
		// The centre's targets, the category's claim target for system
		// complaints, counted on the centre's clock.
		sla := m.SLA[t.Centre]
		if t.Category == "system" {
			sla.Claim = 20 * time.Minute
		}
		if due := sla.Clock.Add(t.Created, sla.Claim); inSLA(due) {
			b.ClaimSLA.Due++
			if !t.Claimed.IsZero() && !t.Claimed.After(due) {
				b.ClaimSLA.Met++
			}
		}
		if due := sla.Clock.Add(t.Created, sla.Resolve); inSLA(due) {
			b.ResolveSLA.Due++
			if resolved && !t.Resolved.After(due) {
				b.ResolveSLA.Met++
			}
		}
	}
	for _, f := range fb {
		if f.Centre != centre || !in(f.Created) {
			continue
		}
		switch {
		case f.Kind == shakwa.KindThanks && (staff == "" || f.StaffID == staff):
			b.Thanks++
		case f.Kind == shakwa.KindFeedback && staff == "":
			b.Feedback++
			if f.Stars > 0 {
				b.Stars[f.Stars-1]++
			}
		}
	}
	return b
}

// TestFiguresMatchBruteForce: over 12,000 synthetic tickets and their
// feedback, every figure read from the tallies, for every kind of span,
// equals the count made from the tickets themselves, and percentiles are
// within 2.5 % (or a second) of the true nearest-rank ones.
func TestFiguresMatchBruteForce(t *testing.T) {
	dubai, err := time.LoadLocation("Asia/Dubai")
	if err != nil {
		t.Fatal(err)
	}
	m := Model{Loc: dubai, SLA: map[string]SLA{
		"KRM": {Claim: 4 * time.Hour, Resolve: 72 * time.Hour},
		"BRS": {Claim: 30 * time.Minute, Resolve: 24 * time.Hour},
		// DXB counts working hours: Monday to Thursday 07:30–15:30,
		// Friday to noon, National Day off.
		"DXB": {Claim: 8 * time.Hour, Resolve: 40 * time.Hour, Clock: uaeHours(dubai)},
	}, CategorySLA: map[string]SLA{"system": {Claim: 20 * time.Minute}}}
	now := time.Date(2026, 12, 17, 10, 37, 12, 0, dubai)
	r := rand.New(rand.NewPCG(7, 8))
	ts := synthetic(12000, now, r)
	var fb []*shakwa.Feedback
	for i := range 3000 {
		f := &shakwa.Feedback{ID: fmt.Sprint("F-", i), Centre: []string{"KRM", "BRS", "DXB"}[r.IntN(3)],
			Created: now.Add(-time.Duration(r.Int64N(int64(120 * 24 * time.Hour))))}
		if r.IntN(3) == 0 {
			f.Kind, f.StaffID = shakwa.KindThanks, []string{"", "111", "113"}[r.IntN(3)]
		} else {
			f.Kind, f.Stars = shakwa.KindFeedback, r.IntN(6)
		}
		fb = append(fb, f)
	}
	book := &tallyBook{}
	for _, tk := range ts {
		book.add(tk.Centre, m.TicketTallies(tk))
	}
	for _, f := range fb {
		book.add(f.Centre, m.FeedbackTallies(f))
	}
	cal := Calendar{Loc: dubai, WeekStart: time.Sunday}
	for _, words := range []string{"today", "yesterday", "week", "last week", "month", "last month",
		"last 7 days", "last 30 days", "2026-10", "2026-09-03..2026-11-20", "2026-12-01..2026-12-17"} {
		span, err := cal.Parse(words, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, centre := range []string{"KRM", "BRS", "DXB"} {
			got := FiguresOf(book.sum(t, m, span, centre, false), "")
			want := bruteFigures(m, ts, fb, span, centre, "")
			compare(t, words+" "+centre, got, want)
			for _, staff := range []string{"111", "114"} {
				got := FiguresOf(book.sum(t, m, span, centre, true), "s:"+staff+"|")
				want := bruteFigures(m, ts, fb, span, centre, staff)
				want.claims, want.replies = nil, nil // kept for totals only
				compare(t, words+" "+centre+" staff "+staff, got, want)
			}
		}
	}
}

func compare(t *testing.T, what string, got Figures, want brute) {
	t.Helper()
	counts := func(f Figures) []int64 {
		return []int64{f.Received, f.Claimed, f.Replied, f.Resolved, f.Reopened, f.ReopenBase, f.Transferred, f.Rejected, f.Withdrawn, f.RatedResolved,
			f.ClaimSLA.Met, f.ClaimSLA.Due, f.ResolveSLA.Met, f.ResolveSLA.Due, f.Feedback, f.Thanks,
			f.Ratings[0], f.Ratings[1], f.Ratings[2], f.Ratings[3], f.Ratings[4],
			f.Stars[0], f.Stars[1], f.Stars[2], f.Stars[3], f.Stars[4]}
	}
	if g, w := counts(got), counts(want.Figures); !slices.Equal(g, w) {
		t.Errorf("%s: counts\n got %v\nwant %v", what, g, w)
	}
	for _, c := range []struct {
		name    string
		d       Durations
		samples []time.Duration
		hist    bool
	}{
		{"claim", got.ClaimTime, want.claims, got.ClaimTime.hist != nil || len(want.claims) == 0},
		{"reply", got.ReplyTime, want.replies, got.ReplyTime.hist != nil || len(want.replies) == 0},
		{"resolve", got.ResolveTime, want.resolves, true},
	} {
		if c.d.N != int64(len(c.samples)) {
			t.Errorf("%s: %s samples %d; want %d", what, c.name, c.d.N, len(c.samples))
			continue
		}
		var secs int64
		for _, s := range c.samples {
			secs += int64(s / time.Second)
		}
		if c.d.Seconds != secs {
			t.Errorf("%s: %s seconds %d; want %d", what, c.name, c.d.Seconds, secs)
		}
		if !c.hist || len(c.samples) == 0 {
			continue
		}
		for _, p := range []float64{50, 90, 99} {
			est, ok := c.d.Percentile(p)
			exact := Percentile(c.samples, p)
			if !ok || math.Abs(float64(est-exact)) > math.Max(0.025*float64(exact), float64(time.Second)) {
				t.Errorf("%s: %s p%v = %v; want within 2.5%% of %v", what, c.name, p, est, exact)
			}
		}
	}
}

// TestVectorField: a vector as storage keeps it (a histogram, ratings by
// stars, deadlines by hour) is read back element for element, added and
// taken away with elements that come to nothing dropped, deadlines only
// for the read's hours; anything else in its place is an error, not a
// zero.
func TestVectorField(t *testing.T) {
	var s Sum
	add := func(r Read, fields map[string]string) {
		t.Helper()
		if err := s.Add(r, fields); err != nil {
			t.Fatal(err)
		}
	}
	// A whole day's deadlines count by their total (cd#), the vector by
	// the hour only for part of a day.
	add(Whole, map[string]string{"tc:h": "84:1,3:2,101:5", "tc:n": "8", "r": "1:2,5:3", "cd": "7:1,20:4,13:2", "cd#": "7"})
	add(Read{Sign: -1, To: 24}, map[string]string{"tc:h": "84:1,101:2", "r": "5:1"})
	add(Whole, map[string]string{"tc:h": "90:4"})
	// A read of deadlines only, from 14:00: durations and counts stay.
	add(Read{Sign: -1, From: 14, To: 24, SLAOnly: true}, map[string]string{"tc:h": "3:2", "rcv": "9", "cd": "13:5,20:4"})
	fg := FiguresOf(s, "")
	if want := []bucketCount{{3, 2}, {90, 4}, {101, 3}}; !slices.Equal(fg.ClaimTime.hist, want) {
		t.Errorf("histogram %v; want %v", fg.ClaimTime.hist, want)
	}
	if want := [5]int64{2, 0, 0, 0, 2}; fg.Ratings != want {
		t.Errorf("ratings %v; want %v", fg.Ratings, want)
	}
	if fg.ClaimSLA.Due != 3 || fg.Received != 0 {
		t.Errorf("claim deadlines %d, received %d; want 3 (7, 13 and 13 o'clock), 0", fg.ClaimSLA.Due, fg.Received)
	}
	for _, bad := range []string{"x", "3:", ":2", "3:2,3:1", "5:1,4:1,5:2", "-1:2", "3:2,", "3:2,,4:1", "1234567890:1"} {
		var s Sum
		if err := s.Add(Whole, map[string]string{"tr:h": bad}); err == nil {
			t.Errorf("vector %q read as %v; want an error", bad, FiguresOf(s, "").ResolveTime.hist)
		}
	}
}

// uaeHours is the UAE government week, with National Day off.
func uaeHours(loc *time.Location) worktime.Calendar {
	c := worktime.Calendar{Loc: loc, Holidays: map[string]bool{"2026-12-02": true, "2026-12-03": true}}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday} {
		c.Week[d] = worktime.Hours{Open: 7*time.Hour + 30*time.Minute, Close: 15*time.Hour + 30*time.Minute}
	}
	c.Week[time.Friday] = worktime.Hours{Open: 7*time.Hour + 30*time.Minute, Close: 12 * time.Hour}
	return c
}

// TestVectorOrder: a vector read in any order comes out by index, the
// same whether its indexes are small enough to be placed or not.
func TestVectorOrder(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []bucketCount
	}{
		{"5:1,3:2,400:7,0:-1", []bucketCount{{0, -1}, {3, 2}, {5, 1}, {400, 7}}},
		{"900:1,3:2,511:4", []bucketCount{{3, 2}, {511, 4}, {900, 1}}},
		{"2:1,1:1", []bucketCount{{1, 1}, {2, 1}}},
	} {
		got, err := parseVector(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("parseVector(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"7:1,3:1,7:2", "900:1,3:1,900:2"} {
		if got, err := parseVector(bad); err == nil {
			t.Errorf("parseVector(%q) = %v; want an error for the repeated index", bad, got)
		}
	}
}
