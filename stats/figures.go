package stats

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Read is one tally hash of a centre to read for a span ("d:YYYYMMDD",
// "m:YYYYMM" or "n:YYYYMMDD"; with an x in front for the breakdowns), and
// how to count it: Sign -1 takes it away. Deadlines count only for the
// elements in [From, To) of their vectors: hours of the day, or, in a
// day's recent counts (Minutes, an "n:" hash), minutes of the day.
// SLAOnly counts nothing else, and then Fields are the only fields to read
// (Deadlines).
type Read struct {
	Key      string
	Sign     int64
	From, To int
	Minutes  bool
	SLAOnly  bool
	Fields   []string
}

// Reads are the tally hashes that add up to span as far as it has got
// (span.Now), for each centre: whole months that have ended by their
// monthly hash; the current month, when the span covers all of it so far,
// by its monthly hash less the deadlines still to come; other days by
// their daily hash, the current one to the minute (its hours that have
// ended by the day's hash, the current hour by its recent counts), so
// that a deadline counts as soon as the minute it fell in has passed.
// dims asks for the breakdowns rather than the totals.
func (m Model) Reads(span Span, dims bool) []Read {
	x := ""
	if dims {
		x = "x"
	}
	months, days := span.Split()
	var out []Read
	for _, mo := range months {
		out = append(out, Read{Key: x + "m:" + mo.Format("200601"), Sign: 1, To: 24})
	}
	now := span.Now
	running := !now.IsZero() && now.Before(span.To)
	var today time.Time
	if running {
		y, mo, d := now.In(m.loc()).Date()
		today = time.Date(y, mo, d, 0, 0, 0, 0, m.loc())
	}
	// The current month so far, whole in days: its monthly hash instead.
	if running && len(days) >= today.Day() {
		first := today.AddDate(0, 0, 1-today.Day())
		at := sort.Search(len(days), func(i int) bool { return !days[i].Before(first) })
		if at+today.Day() == len(days) && days[len(days)-1].Equal(today) {
			days = days[:at]
			out = append(out, Read{Key: x + "m:" + today.Format("200601"), Sign: 1, To: 24})
			// Deadlines of the month still to come are in it already:
			// those of today's hours after this one, and of this hour's
			// minutes from now on.
			hour, minute := clock(now.In(m.loc()))
			out = append(out, Read{Key: x + "d:" + today.Format("20060102"), Sign: -1,
				From: hour + 1, To: 24, SLAOnly: true, Fields: Deadlines})
			if !dims { // deadlines are the centre's alone: no breakdown has any
				out = append(out, Read{Key: "n:" + today.Format("20060102"), Sign: -1,
					From: minute, To: (hour + 1) * 60, Minutes: true, SLAOnly: true, Fields: Deadlines})
			}
			end := first.AddDate(0, 1, 0)
			last := m.lastDue(now)
			for d := today.AddDate(0, 0, 1); d.Before(end) && !d.After(last); d = d.AddDate(0, 0, 1) {
				out = append(out, Read{Key: x + "d:" + d.Format("20060102"), Sign: -1, To: 24, SLAOnly: true, Fields: DeadlineTotals})
			}
		}
	}
	for _, d := range days {
		r := Read{Key: x + "d:" + d.Format("20060102"), Sign: 1, To: 24}
		if running && d.Equal(today) {
			hour, minute := clock(now.In(m.loc()))
			r.To = hour
			if !dims {
				out = append(out, Read{Key: "n:" + d.Format("20060102"), Sign: 1,
					From: hour * 60, To: minute, Minutes: true, SLAOnly: true, Fields: Deadlines})
			}
		}
		out = append(out, r)
	}
	return out
}

// clock is t's hour of the day, and its minute of the day.
func clock(t time.Time) (hour, minute int) { return t.Hour(), t.Hour()*60 + t.Minute() }

// lastDue is the latest deadline a ticket filed by now can have, at any
// centre and category: targets on working hours may span weekends and
// holidays.
func (m Model) lastDue(now time.Time) time.Time {
	last := now
	for c := range m.SLA {
		for _, cat := range append(slices.Collect(maps.Keys(m.CategorySLA)), "") {
			claim, resolve := m.Deadlines(c, cat, now)
			last = later(last, claim, resolve)
		}
	}
	return last
}

// later is the latest of ts.
func later(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// Sum is tallies added up: counts by field, and histograms by field. The
// zero Sum is empty and ready.
type Sum struct {
	counts  map[string]int64
	vectors map[string][]bucketCount // histograms, and counts by stars
}

// Whole is a Read that counts all of a hash.
var Whole = Read{Sign: 1, To: 24}

// Add counts the fields of one read into s, as storage returns them (see
// shakwa.TallyKey). A value that is neither a count nor a vector is an
// error: the tallies were changed by hand.
func (s *Sum) Add(r Read, fields map[string]string) error {
	if s.counts == nil {
		s.counts = make(map[string]int64, len(fields))
	}
	whole := r.wholeDays()
	for f, v := range fields {
		if strings.IndexByte(v, ':') < 0 {
			name, total := strings.CutSuffix(f, totalSuffix)
			total = total && isDeadline(name)
			if r.SLAOnly && !total || total && !whole {
				continue // not deadlines; or deadlines counted by the hour
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("tally %s: %w", f, err)
			}
			s.counts[name] += r.Sign * n
			continue
		}
		deadline := isDeadline(f)
		if r.SLAOnly && !deadline || deadline && whole {
			continue // not deadlines; or whole days, counted by their totals
		}
		if deadline {
			// By the hour it falls in: only those of the read's hours.
			if err := sumHours(v, r.From, r.To, func(n int64) { s.counts[f] += r.Sign * n }); err != nil {
				return fmt.Errorf("tally %s: %w", f, err)
			}
			continue
		}
		vec, err := parseVector(v)
		if err != nil {
			return fmt.Errorf("tally %s: %w", f, err)
		}
		if s.vectors == nil {
			s.vectors = map[string][]bucketCount{}
		}
		s.vectors[f] = mergeBuckets(s.vectors[f], vec, r.Sign)
	}
	return nil
}

// Deadlines are the fields that count SLA deadlines, by the hour they fall
// in: what a read of deadlines only (Read.SLAOnly) of part of a day asks
// for; DeadlineTotals count them whole, for a read of whole days.
var (
	Deadlines      = []string{fClaimDue, fClaimMet, fResolveDue, fResolveMet}
	DeadlineTotals = []string{fClaimDue + totalSuffix, fClaimMet + totalSuffix, fResolveDue + totalSuffix, fResolveMet + totalSuffix}
)

// wholeDays reports whether r counts every hour of its hash.
func (r Read) wholeDays() bool { return !r.Minutes && r.From <= 0 && r.To >= 24 }

// Need is which of fields r should read: the deadlines by the hour only
// for part of a day, their totals only for whole days.
func (r Read) Need(fields []string) []string {
	whole := r.wholeDays()
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		name, total := strings.CutSuffix(f, totalSuffix)
		switch {
		case total && isDeadline(name) && !whole, !total && isDeadline(f) && whole:
			continue
		}
		out = append(out, f)
	}
	return out
}

// sumHours calls fn with each count of the deadline vector v whose
// element (an hour, or a minute) is in [from, to).
func sumHours(v string, from, to int, fn func(int64)) error {
	vec, err := parseVector(v)
	if err != nil {
		return err
	}
	for _, c := range vec {
		if c.b >= from && c.b < to {
			fn(c.n)
		}
	}
	return nil
}

// isDeadline reports whether f counts deadlines (in the totals, or in a
// breakdown).
func isDeadline(f string) bool {
	return slices.Contains(Deadlines, f[strings.LastIndexByte(f, '|')+1:])
}

// SumOf adds up one centre's reads (got[i] is what reads[i] read).
func SumOf(reads []Read, got []map[string]string) (Sum, error) {
	size := 0
	for _, g := range got {
		size = max(size, len(g))
	}
	s := Sum{counts: make(map[string]int64, size)}
	for i, r := range reads {
		if err := s.Add(r, got[i]); err != nil {
			return Sum{}, fmt.Errorf("%s: %w", r.Key, err)
		}
	}
	return s, nil
}

// Merge adds o to s.
func (s *Sum) Merge(o Sum) {
	if s.counts == nil {
		s.counts = make(map[string]int64, len(o.counts))
	}
	for f, n := range o.counts {
		s.counts[f] += n
	}
	for f, h := range o.vectors {
		if s.vectors == nil {
			s.vectors = map[string][]bucketCount{}
		}
		s.vectors[f] = mergeBuckets(s.vectors[f], h, 1)
	}
}

// histSuffix ends the name of a histogram's field.
const histSuffix = ":h"

// parseVector reads a vector as storage keeps it: "I:N,I:N", indexes in
// any order, each once, counts perhaps negative; it returns them by index.
// It is on the path of every figure read, once per centre and vector, so
// it reads bytes rather than splitting strings.
func parseVector(v string) ([]bucketCount, error) {
	if v == "" {
		return nil, nil
	}
	out := make([]bucketCount, 0, strings.Count(v, ",")+1)
	bad := func() ([]bucketCount, error) { return nil, fmt.Errorf("vector %q: %w", v, strconv.ErrSyntax) }
	sorted := true
	for i := 0; i < len(v); i++ {
		// The index, up to ':'.
		start, b := i, 0
		for ; i < len(v) && v[i] >= '0' && v[i] <= '9' && i-start < 9; i++ {
			b = 10*b + int(v[i]-'0')
		}
		if i == start || i == len(v) || v[i] != ':' {
			return bad()
		}
		// The count, up to ',' or the end.
		i++
		neg := i < len(v) && v[i] == '-'
		if neg {
			i++
		}
		start = i
		var n int64
		for ; i < len(v) && v[i] >= '0' && v[i] <= '9' && i-start < 18; i++ {
			n = 10*n + int64(v[i]-'0')
		}
		if i == start || i < len(v) && v[i] != ',' || i == len(v)-1 {
			return bad()
		}
		if neg {
			n = -n
		}
		sorted = sorted && (len(out) == 0 || b > out[len(out)-1].b)
		out = append(out, bucketCount{b, n})
	}
	if !sorted && !placeInOrder(out) {
		slices.SortFunc(out, func(x, y bucketCount) int { return x.b - y.b })
		for j := 1; j < len(out); j++ {
			if out[j].b == out[j-1].b {
				return bad()
			}
		}
	}
	return out, nil
}

// placeBound bounds the indexes placeInOrder orders by placing: stars and
// hours are below it, and so is every histogram bucket (a year is bucket
// 354 at 5 % a bucket).
const placeBound = 512

// placeInOrder orders the elements of a vector by index without sorting
// (a vector's elements are few and their indexes small): each count is
// placed at its index in a table on the stack, then read back in order.
// It reports false, leaving out as it was, when an index is too large for
// that or repeated.
func placeInOrder(out []bucketCount) bool {
	var counts [placeBound]int64
	var in [placeBound / 64]uint64
	lo, hi := placeBound, 0
	for _, c := range out {
		if c.b >= placeBound || in[c.b/64]&(1<<(c.b%64)) != 0 {
			return false
		}
		in[c.b/64] |= 1 << (c.b % 64)
		counts[c.b] = c.n
		lo, hi = min(lo, c.b), max(hi, c.b)
	}
	k := 0
	for b := lo; b <= hi; b++ { // a histogram's buckets lie close together
		if in[b/64]&(1<<(b%64)) != 0 {
			out[k] = bucketCount{b, counts[b]}
			k++
		}
	}
	return true
}

// mergeBuckets is a with sign times b added, buckets that come to nothing
// left out. Neither is changed: the result is new, or one of them when
// the other is empty.
func mergeBuckets(a, b []bucketCount, sign int64) []bucketCount {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 && sign == 1 {
		return b
	}
	out := make([]bucketCount, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c bucketCount
		switch {
		case j == len(b) || i < len(a) && a[i].b < b[j].b:
			c = a[i]
			i++
		case i == len(a) || b[j].b < a[i].b:
			c = bucketCount{b[j].b, sign * b[j].n}
			j++
		default:
			c = bucketCount{a[i].b, a[i].n + sign*b[j].n}
			i, j = i+1, j+1
		}
		if c.n != 0 {
			out = append(out, c)
		}
	}
	return out
}

// Figures is what a manager reads about a centre, or all of them, or one
// category, channel or staff member of a centre, over a span. See Model
// for which event places each in the span.
type Figures struct {
	Received, Claimed, Replied, Resolved, Reopened, Transferred int64
	// ReopenBase is the tickets resolved or reopened, each once: what
	// Reopened is a share of (see ReopenShare).
	ReopenBase int64
	// Rejected and Withdrawn are counted apart from the others: they have
	// no SLA deadlines.
	Rejected, Withdrawn               int64
	ClaimTime, ReplyTime, ResolveTime Durations
	ClaimSLA, ResolveSLA              Share
	// Ratings counts the ratings given, by stars (index 0 is 1 star);
	// RatedResolved is how many of Resolved were rated.
	Ratings       [5]int64
	RatedResolved int64
	// Stars counts feedback by its stars; Feedback is all feedback, with
	// or without stars; Thanks the thanks given.
	Stars            [5]int64
	Feedback, Thanks int64
}

// FiguresOf reads the figures of prefix ("" for a centre's totals,
// "c:CAT|", "h:CHANNEL|" or "s:STAFF|" in the breakdowns) from s, in one
// pass over it.
func FiguresOf(s Sum, prefix string) Figures {
	var fg Figures
	for f, v := range s.vectors {
		name, ok := strings.CutPrefix(f, prefix)
		if !ok || prefix == "" && strings.IndexByte(name, '|') >= 0 {
			continue
		}
		switch name {
		case fRating, fStars:
			counts := &fg.Ratings
			if name == fStars {
				counts = &fg.Stars
			}
			for _, c := range v {
				if c.b >= 1 && c.b <= 5 {
					counts[c.b-1] += c.n
				}
			}
		default:
			if d := fg.durations(strings.TrimSuffix(name, histSuffix)); d != nil {
				d.hist = v
			}
		}
	}
	for f, n := range s.counts {
		if n == 0 || !strings.HasPrefix(f, prefix) {
			continue
		}
		name := f[len(prefix):]
		if prefix == "" && strings.IndexByte(name, '|') >= 0 {
			continue // a breakdown, not a total
		}
		if i := strings.IndexByte(name, ':'); i > 0 {
			if d := fg.durations(name[:i]); d != nil {
				switch name[i+1:] {
				case "n":
					d.N += n
				case "s":
					d.Seconds += n
				}
			}
			continue
		}
		switch name {
		case fReceived:
			fg.Received += n
		case fClaimed:
			fg.Claimed += n
		case fReplied:
			fg.Replied += n
		case fResolved:
			fg.Resolved += n
		case fReopened:
			fg.Reopened += n
		case fReopenBase:
			fg.ReopenBase += n
		case fTransferred:
			fg.Transferred += n
		case fRejected:
			fg.Rejected += n
		case fWithdrawn:
			fg.Withdrawn += n
		case fRatedRes:
			fg.RatedResolved += n
		case fClaimMet:
			fg.ClaimSLA.Met += n
		case fClaimDue:
			fg.ClaimSLA.Due += n
		case fResolveMet:
			fg.ResolveSLA.Met += n
		case fResolveDue:
			fg.ResolveSLA.Due += n
		case fFeedback:
			fg.Feedback += n
		case fThanks:
			fg.Thanks += n
		}
	}
	return fg
}

// durations is the duration of f named by its tally name ("tc"), nil for
// none.
func (f *Figures) durations(name string) *Durations {
	switch name {
	case fClaimTime:
		return &f.ClaimTime
	case fReplyTime:
		return &f.ReplyTime
	case fResolveTime:
		return &f.ResolveTime
	}
	return nil
}

// Add adds o's counts to f (for a total over centres): durations merge
// their histograms, so percentiles stay true to all the samples.
func (f *Figures) Add(o Figures) {
	f.Received += o.Received
	f.Claimed += o.Claimed
	f.Replied += o.Replied
	f.Resolved += o.Resolved
	f.Reopened += o.Reopened
	f.ReopenBase += o.ReopenBase
	f.Transferred += o.Transferred
	f.Rejected += o.Rejected
	f.Withdrawn += o.Withdrawn
	f.ClaimTime.add(o.ClaimTime)
	f.ReplyTime.add(o.ReplyTime)
	f.ResolveTime.add(o.ResolveTime)
	f.ClaimSLA.Met += o.ClaimSLA.Met
	f.ClaimSLA.Due += o.ClaimSLA.Due
	f.ResolveSLA.Met += o.ResolveSLA.Met
	f.ResolveSLA.Due += o.ResolveSLA.Due
	for i := range 5 {
		f.Ratings[i] += o.Ratings[i]
		f.Stars[i] += o.Stars[i]
	}
	f.RatedResolved += o.RatedResolved
	f.Feedback += o.Feedback
	f.Thanks += o.Thanks
}

// Rating is the average rating given and how many were given.
func (f Figures) Rating() (avg float64, n int64) { return starsAvg(f.Ratings) }

// FeedbackStars is the average feedback stars and how many carried stars.
func (f Figures) FeedbackStars() (avg float64, n int64) { return starsAvg(f.Stars) }

// ReopenShare is the share of the tickets resolved that were reopened:
// never above 1, however the period cuts between a resolution and its
// reopening.
func (f Figures) ReopenShare() Share { return Share{Met: f.Reopened, Due: f.ReopenBase} }

// RatingResponse is the share of the resolutions that were rated.
func (f Figures) RatingResponse() Share { return Share{Met: f.RatedResolved, Due: f.Resolved} }

func starsAvg(c [5]int64) (float64, int64) {
	sum, n := starsTotal(c)
	if n == 0 {
		return 0, 0
	}
	return float64(sum) / float64(n), n
}

// starsTotal is the stars counted by c (c[i] with i+1 stars), added up,
// and how many there were.
func starsTotal(c [5]int64) (sum, n int64) {
	for i, k := range c {
		n += k
		sum += int64(i+1) * k
	}
	return sum, n
}

// Share is a part of a whole: Met of Due.
type Share struct{ Met, Due int64 }

// Percent is the share in percent; ok is false when nothing was due.
func (s Share) Percent() (p float64, ok bool) {
	if s.Due <= 0 {
		return 0, false
	}
	return 100 * float64(s.Met) / float64(s.Due), true
}

// Durations is a set of durations as the tallies keep them: how many, the
// sum of their whole seconds, and a log-scale histogram (when the tallies
// have one: centre totals, and staff members' resolutions).
type Durations struct {
	N       int64
	Seconds int64
	hist    []bucketCount // by bucket, ascending; nil for none
}

// bucketCount is one bucket of a histogram and how many it holds.
type bucketCount struct {
	b int
	n int64
}

func (d *Durations) add(o Durations) {
	d.N += o.N
	d.Seconds += o.Seconds
	d.hist = mergeBuckets(d.hist, o.hist, 1)
}

// Mean is the average, to the second; zero when there are none.
func (d Durations) Mean() time.Duration {
	if d.N <= 0 {
		return 0
	}
	return time.Duration(math.Round(float64(d.Seconds)/float64(d.N))) * time.Second
}

// Percentile is the p-th percentile by the nearest rank (as Percentile
// is over samples), read from the histogram: within 2.5 % of the true value
// (or a second). When every sample is in one bucket, it is their mean,
// which is exact for one sample. ok is false when there is no histogram
// or no sample.
func (d Durations) Percentile(p float64) (time.Duration, bool) {
	var n int64
	for _, c := range d.hist {
		n += c.n
	}
	if n == 0 {
		return 0, false
	}
	if len(d.hist) == 1 && n == d.N {
		return d.Mean(), true
	}
	rank := int64(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	var seen int64
	for _, c := range d.hist {
		if seen += c.n; seen >= rank {
			return bucketValue(c.b), true
		}
	}
	return bucketValue(d.hist[len(d.hist)-1].b), true
}

// Channels are the channels tickets arrive on, in the order reports show
// them.
var Channels = []string{"telegram", "whatsapp", "web"}

// ReceivedOn is the breakdown field ("xd:" and "xm:" hashes) counting the
// tickets received on channel.
func ReceivedOn(channel string) string { return "h:" + clean(channel) + "|" + fReceived }

// RatingFields are the fields of a totals hash that count the ratings
// given, by stars: read them and FiguresOf gives the Rating.
func RatingFields() []string { return []string{fRating} }

// ScoreFields are the only fields a centre's Score needs (see ScoreOf):
// reading just them leaves out the histograms of claim and first reply
// times, most of what a busy month's hash holds.
func ScoreFields() []string {
	return append(append([]string{fReceived, fResolved, fReopened, fReopenBase, fThanks, fRating,
		fResolveTime + histSuffix, fResolveTime + ":n", fResolveTime + ":s"}, Deadlines...), DeadlineTotals...)
}
