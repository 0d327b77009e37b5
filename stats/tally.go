package stats

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/worktime"
)

// Model is how tickets and feedback become the tallies storage keeps per
// centre and day, and how tallies become figures again: the zone whose
// days they are counted in, and each centre's targets.
//
// Every figure is placed in a period by the time of its own event:
//
//   - received: when the ticket was filed;
//   - claimed and the time to claim: its first claim;
//   - the time to first reply: the first staff reply;
//   - resolved and the time to resolve (filing to latest resolution):
//     the latest resolution, while the ticket is resolved or closed (a
//     reopened ticket counts again when it is resolved again);
//   - reopened: the latest reopening, out of the tickets resolved or
//     reopened (each once: by its reopening if it has one, else by its
//     resolution), so the share is never above 100 %; transferred: the latest transfer
//     into the centre; rejected: the latest rejection, while the ticket is
//     rejected (it then has no SLA deadlines: it is counted apart);
//     withdrawn by its citizen: when withdrawn, likewise apart;
//   - ratings: the ticket's latest, when given, whatever became of the
//     ticket since (a rating before a reopening stands until the citizen
//     rates again: a low one is not lost by the reopening it led to); a
//     staff member's, only while it rates the resolution they hold; the
//     share of resolutions rated goes by the resolution, and counts those
//     whose current resolution was rated;
//   - SLA: by the deadline (filing plus the centre's target), once it has
//     passed: met when claimed (resolved) by then, missed otherwise,
//     whether or not it happened later;
//   - feedback and thanks: when given.
//
// A ticket counts for the centre it is in now.
type Model struct {
	Loc *time.Location
	SLA map[string]SLA
	// CategorySLA are targets that replace a centre's for tickets of a
	// category (a zero target keeps the centre's; the clock is always the
	// centre's).
	CategorySLA map[string]SLA
}

// Target is the SLA of a ticket of category at centre.
func (m Model) Target(centre, category string) SLA {
	sla := m.SLA[centre]
	if o, ok := m.CategorySLA[category]; ok {
		if o.Claim > 0 {
			sla.Claim = o.Claim
		}
		if o.Resolve > 0 {
			sla.Resolve = o.Resolve
		}
	}
	return sla
}

// Deadlines are when a ticket of category filed at created at centre must
// be claimed and resolved; zero for no target.
func (m Model) Deadlines(centre, category string, created time.Time) (claim, resolve time.Time) {
	sla := m.Target(centre, category)
	if sla.Claim > 0 {
		claim = sla.Clock.Add(created, sla.Claim)
	}
	if sla.Resolve > 0 {
		resolve = sla.Clock.Add(created, sla.Resolve)
	}
	return claim, resolve
}

// Tally fields. A duration is kept three ways: a log-scale histogram
// (name:h, a vector by bucket), the sum of the seconds (name:s) and the
// count (name:n). Ratings and feedback stars are vectors by stars, SLA
// deadlines vectors by the hour of the day they fall in.
const (
	fReceived    = "rcv"
	fClaimed     = "clm"
	fReplied     = "rpl"
	fResolved    = "res"
	fReopened    = "rop"
	fReopenBase  = "rob" // resolved or reopened, each ticket once (see Model)
	fTransferred = "trf"
	fRatedRes    = "rr" // resolutions rated, by resolution
	fRating      = "r"  // by stars, by when given
	fClaimTime   = "tc"
	fReplyTime   = "tf"
	fResolveTime = "tr"
	fClaimDue    = "cd"
	fClaimMet    = "co"
	fResolveDue  = "rd"
	fResolveMet  = "ro"
	fStars       = "f" // feedback, by stars
	fFeedback    = "fn"
	fThanks      = "th"
	fRejected    = "rj"
	fWithdrawn   = "wd"
)

// bucketRatio is the width of a histogram bucket: each holds durations up
// to 5 % longer than the one before, so a percentile read from the
// histogram (the bucket's geometric middle) is within 2.5 % of the true
// one. Narrower buckets would be closer still, but every bucket in use is
// a part of the histogram that a month's read carries for every centre:
// at 5 % a month of a busy centre holds some 35 buckets per duration, not
// 90.
const bucketRatio = 1.05

// bucket is the histogram bucket of d: 0 for under a second, else
// 1 + floor(log(seconds) / log(bucketRatio)).
func bucket(d time.Duration) int {
	s := d.Seconds()
	if s < 1 {
		return 0
	}
	return 1 + int(math.Floor(math.Log(s)/math.Log(bucketRatio)+1e-9))
}

// bucketValue is the duration a bucket stands for: the geometric middle of
// its bounds (zero for bucket 0).
func bucketValue(b int) time.Duration {
	if b <= 0 {
		return 0
	}
	lo := math.Pow(bucketRatio, float64(b-1))
	return time.Duration(lo * math.Sqrt(bucketRatio) * float64(time.Second))
}

// TicketTallies is what t adds to its centre's tallies as it is now.
func (m Model) TicketTallies(t *shakwa.Ticket) []shakwa.Tally {
	if t == nil || t.Created.IsZero() {
		return nil
	}
	var out []shakwa.Tally
	dims := []string{"c:" + clean(t.Category), "h:" + clean(t.Channel)}
	// The staff member credited: whoever holds it (resolutions, ratings,
	// reopenings), and for the claim and the first reply whoever made them
	// (a ticket stored before that was kept: its holder).
	holder, claimer, replier := staffDim(t.Holder.ID), staffDim(cmp.Or(t.ClaimedBy, t.Holder.ID)), staffDim(cmp.Or(t.RepliedBy, t.Holder.ID))
	// put adds n to element i of vector field (or to the count field when
	// i < 0), for the centre, its category and channel, and staff (when
	// not "").
	put := func(at time.Time, field string, i int, n int64, staff string) {
		x := shakwa.Tally{Day: m.day(at), Field: field, N: n, Vector: i >= 0, Index: max(i, 0)}
		out = append(out, x)
		x.Dims = true
		for _, d := range dims {
			x.Field = d + "|" + field
			out = append(out, x)
		}
		if staff != "" {
			x.Field = staff + "|" + field
			out = append(out, x)
		}
	}
	add := func(at time.Time, field string, n int64, staff string) { put(at, field, -1, n, staff) }
	// duration adds a duration's histogram bucket (totals, and staff's
	// when not "") and its sum and count (everywhere).
	duration := func(at time.Time, name string, d time.Duration, staff string) {
		d = max(d, 0)
		h := shakwa.Tally{Day: m.day(at), Field: name + histSuffix, N: 1, Vector: true, Index: bucket(d)}
		out = append(out, h)
		if staff != "" {
			h.Dims, h.Field = true, staff+"|"+h.Field
			out = append(out, h)
		}
		add(at, name+":s", int64(d/time.Second), staff)
		add(at, name+":n", 1, staff)
	}
	add(t.Created, fReceived, 1, "")
	if !t.Claimed.IsZero() {
		add(t.Claimed, fClaimed, 1, claimer)
		duration(t.Claimed, fClaimTime, t.Claimed.Sub(t.Created), "")
	}
	if !t.FirstReply.IsZero() {
		add(t.FirstReply, fReplied, 1, replier)
		duration(t.FirstReply, fReplyTime, t.FirstReply.Sub(t.Created), "")
	}
	resolved := !t.Resolved.IsZero() && (t.Status == shakwa.StatusResolved || t.Status == shakwa.StatusClosed)
	if resolved {
		add(t.Resolved, fResolved, 1, holder)
		duration(t.Resolved, fResolveTime, t.Resolved.Sub(t.Created), holder)
		if t.Rating >= 1 && t.Rating <= 5 && !t.Rated.IsZero() && !t.Rated.Before(t.Resolved) {
			add(t.Resolved, fRatedRes, 1, holder)
		}
	}
	if t.Rating >= 1 && t.Rating <= 5 && !t.Rated.IsZero() {
		// A staff member is credited only with the rating of the
		// resolution they hold: one given before a reopening is the
		// centre's, not whoever holds the ticket now.
		rater := ""
		if resolved && !t.Rated.Before(t.Resolved) {
			rater = holder
		}
		put(t.Rated, fRating, t.Rating, 1, rater)
	}
	if t.Reopens > 0 && !t.Reopened.IsZero() {
		add(t.Reopened, fReopened, 1, holder)
		add(t.Reopened, fReopenBase, 1, holder)
	} else if resolved {
		add(t.Resolved, fReopenBase, 1, holder)
	}
	if !t.Transferred.IsZero() {
		add(t.Transferred, fTransferred, 1, "")
	}
	switch {
	case t.Status == shakwa.StatusRejected && !t.Rejected.IsZero():
		add(t.Rejected, fRejected, 1, holder)
		return out // apart: no SLA to meet
	case t.Status == shakwa.StatusWithdrawn && !t.Closed.IsZero():
		add(t.Closed, fWithdrawn, 1, holder)
		return out
	}
	claimDue, resolveDue := m.Deadlines(t.Centre, t.Category, t.Created)
	if due := claimDue; !due.IsZero() {
		out = append(out, m.deadline(due, fClaimDue)...)
		if !t.Claimed.IsZero() && !t.Claimed.After(due) {
			out = append(out, m.deadline(due, fClaimMet)...)
		}
	}
	if due := resolveDue; !due.IsZero() {
		out = append(out, m.deadline(due, fResolveDue)...)
		if resolved && !t.Resolved.After(due) {
			out = append(out, m.deadline(due, fResolveMet)...)
		}
	}
	return out
}

// staffDim is the breakdown of staff member id: "" for nobody.
func staffDim(id string) string {
	if id == "" {
		return ""
	}
	return "s:" + clean(id)
}

// deadline is the tally of a deadline at due: counted by the hour of its
// day, in the day and in the month, counted whole (field + "#"), so that
// a read of whole days need not add up the hours, and by the minute of its
// day in the day's recent counts, for the hour under way.
func (m Model) deadline(due time.Time, field string) []shakwa.Tally {
	day := m.day(due)
	hour, minute := clock(due.In(m.loc()))
	return []shakwa.Tally{{Day: day, Field: field, N: 1, Vector: true, Index: hour},
		{Day: day, Field: field + totalSuffix, N: 1},
		{Day: day, Field: field, N: 1, Vector: true, Index: minute, Recent: true}}
}

// totalSuffix ends the name of the count of a deadline vector's elements.
const totalSuffix = "#"

// FeedbackTallies is what f adds to its centre's tallies.
func (m Model) FeedbackTallies(f *shakwa.Feedback) []shakwa.Tally {
	if f == nil || f.Created.IsZero() {
		return nil
	}
	day := m.day(f.Created)
	switch f.Kind {
	case shakwa.KindFeedback:
		out := []shakwa.Tally{{Day: day, Field: fFeedback, N: 1}}
		if f.Stars >= 1 && f.Stars <= 5 {
			out = append(out, shakwa.Tally{Day: day, Field: fStars, N: 1, Vector: true, Index: f.Stars})
		}
		return out
	case shakwa.KindThanks:
		out := []shakwa.Tally{{Day: day, Field: fThanks, N: 1}}
		if f.StaffID != "" {
			out = append(out, shakwa.Tally{Dims: true, Day: day, Field: "s:" + clean(f.StaffID) + "|" + fThanks, N: 1})
		}
		return out
	}
	return nil
}

func (m Model) loc() *time.Location {
	if m.Loc == nil {
		return time.UTC
	}
	return m.Loc
}

// day is t's local date, YYYYMMDD.
func (m Model) day(t time.Time) string { return t.In(m.loc()).Format("20060102") }

// clean makes s fit in a tally field: no spaces, no "|"; "-" for none.
func clean(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == '|' || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

// tallyVersion changes whenever what TicketTallies makes changes: the
// tallies kept must then be made again.
const tallyVersion = "9"

// Fingerprint names what the tallies depend on: their version, the zone
// and every centre's targets. Tallies kept under another fingerprint are
// out of date and must be rebuilt from the tickets.
func (m Model) Fingerprint() string {
	var b strings.Builder
	b.WriteString("tallies/" + tallyVersion + " " + m.loc().String())
	for _, set := range []struct {
		name string
		sla  map[string]SLA
	}{{"", m.SLA}, {"category ", m.CategorySLA}} {
		for _, c := range slices.Sorted(maps.Keys(set.sla)) {
			s := set.sla[c]
			fmt.Fprintf(&b, " %s%s=%s/%s%s", set.name, c, s.Claim, s.Resolve, clockPrint(s.Clock))
		}
	}
	return b.String()
}

// clockPrint names a calendar for Fingerprint: "" for every hour.
func clockPrint(c worktime.Calendar) string {
	if c.EveryHour() {
		return ""
	}
	var b strings.Builder
	b.WriteString(" hours")
	for _, h := range c.Week {
		b.WriteString(" " + h.String())
	}
	if c.Loc != nil {
		b.WriteString(" " + c.Loc.String())
	}
	for _, d := range slices.Sorted(maps.Keys(c.Holidays)) {
		if c.Holidays[d] {
			b.WriteString(" " + d)
		}
	}
	return b.String()
}
