package stats

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Read is one tally hash of a centre to read for a span ("d:YYYYMMDD" or
// "m:YYYYMM"; with an x in front for the breakdowns), and how to count
// it: Sign -1 takes it away. Deadline fields of a day count only for the
// hours in [FromHour, ToHour); SLAOnly counts nothing else.
type Read struct {
	Key              string
	Sign             int64
	FromHour, ToHour int
	SLAOnly          bool
}

// Reads are the tally hashes that add up to span as far as it has got
// (span.Now), for each centre: whole months that have ended by their
// monthly hash; the current month, when the span covers all of it so far,
// by its monthly hash less the deadlines still to come; other days by
// their daily hash, the current one to the hour. dims asks for the
// breakdowns rather than the totals.
func (m Model) Reads(span Span, dims bool) []Read {
	x := ""
	if dims {
		x = "x"
	}
	months, days := span.Split()
	var out []Read
	for _, mo := range months {
		out = append(out, Read{Key: x + "m:" + mo.Format("200601"), Sign: 1, ToHour: 24})
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
			out = append(out, Read{Key: x + "m:" + today.Format("200601"), Sign: 1, ToHour: 24})
			// Deadlines of the month still to come are in it already.
			out = append(out, Read{Key: x + "d:" + today.Format("20060102"), Sign: -1,
				FromHour: now.In(m.loc()).Hour(), ToHour: 24, SLAOnly: true})
			end := first.AddDate(0, 1, 0)
			for d := today.AddDate(0, 0, 1); d.Before(end) && d.Sub(today) <= m.longestTarget()+24*time.Hour; d = d.AddDate(0, 0, 1) {
				out = append(out, Read{Key: x + "d:" + d.Format("20060102"), Sign: -1, ToHour: 24, SLAOnly: true})
			}
		}
	}
	for _, d := range days {
		r := Read{Key: x + "d:" + d.Format("20060102"), Sign: 1, ToHour: 24}
		if running && d.Equal(today) {
			r.ToHour = now.In(m.loc()).Hour()
		}
		out = append(out, r)
	}
	return out
}

// longestTarget is the longest SLA target of any centre.
func (m Model) longestTarget() time.Duration {
	var l time.Duration
	for _, s := range m.SLA {
		l = max(l, s.Claim, s.Resolve)
	}
	return l
}

// Sum is tallies added up: field -> count.
type Sum map[string]int64

// Add counts the fields of one read into s.
func (s Sum) Add(r Read, fields map[string]int64) {
	for f, n := range fields {
		if base, hour, ok := deadlineHour(f); ok {
			if hour >= r.FromHour && hour < r.ToHour {
				s[base] += r.Sign * n
			}
			continue
		}
		if !r.SLAOnly {
			s[f] += r.Sign * n
		}
	}
}

// Merge adds o to s.
func (s Sum) Merge(o Sum) {
	for f, n := range o {
		s[f] += n
	}
}

// deadlineHour splits a day's deadline field ("cd07", or "s:…|cd07") into
// its month field and hour.
func deadlineHour(f string) (string, int, bool) {
	i := strings.LastIndexByte(f, '|') + 1
	name := f[i:]
	if len(name) != 4 {
		return "", 0, false
	}
	switch name[:2] {
	case fClaimDue, fClaimMet, fResolveDue, fResolveMet:
	default:
		return "", 0, false
	}
	h, err := strconv.Atoi(name[2:])
	if err != nil || h < 0 || h > 23 {
		return "", 0, false
	}
	return f[:i] + name[:2], h, true
}

// Figures is what a manager reads about a centre, or all of them, or one
// category, channel or staff member of a centre, over a span. See Model
// for which event places each in the span.
type Figures struct {
	Received, Claimed, Replied, Resolved, Reopened, Transferred int64
	ClaimTime, ReplyTime, ResolveTime                           Durations
	ClaimSLA, ResolveSLA                                        Share
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
// "c:CAT|", "h:CHANNEL|" or "s:STAFF|" in the breakdowns) from s.
func FiguresOf(s Sum, prefix string) Figures {
	g := func(f string) int64 { return s[prefix+f] }
	fg := Figures{
		Received: g(fReceived), Claimed: g(fClaimed), Replied: g(fReplied), Resolved: g(fResolved),
		Reopened: g(fReopened), Transferred: g(fTransferred), RatedResolved: g(fRatedRes),
		ClaimTime: durationsOf(s, prefix+fClaimTime), ReplyTime: durationsOf(s, prefix+fReplyTime),
		ResolveTime: durationsOf(s, prefix+fResolveTime),
		ClaimSLA:    Share{Met: g(fClaimMet), Due: g(fClaimDue)}, ResolveSLA: Share{Met: g(fResolveMet), Due: g(fResolveDue)},
		Feedback: g(fFeedback), Thanks: g(fThanks),
	}
	for i := range 5 {
		fg.Ratings[i] = g(fRating + strconv.Itoa(i+1))
		fg.Stars[i] = g(fStars + strconv.Itoa(i+1))
	}
	return fg
}

// Add adds o's counts to f (for a total over centres): durations merge
// their histograms, so percentiles stay true to all the samples.
func (f *Figures) Add(o Figures) {
	f.Received += o.Received
	f.Claimed += o.Claimed
	f.Replied += o.Replied
	f.Resolved += o.Resolved
	f.Reopened += o.Reopened
	f.Transferred += o.Transferred
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

// RatingResponse is the share of the resolutions that were rated.
func (f Figures) RatingResponse() Share { return Share{Met: f.RatedResolved, Due: f.Resolved} }

func starsAvg(c [5]int64) (float64, int64) {
	var n, sum int64
	for i, k := range c {
		n += k
		sum += int64(i+1) * k
	}
	if n == 0 {
		return 0, 0
	}
	return float64(sum) / float64(n), n
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
	hist    map[int]int64
}

func durationsOf(s Sum, name string) Durations {
	d := Durations{N: s[name+":n"], Seconds: s[name+":s"]}
	p := name + ":"
	for f, n := range s {
		if n == 0 || !strings.HasPrefix(f, p) {
			continue
		}
		b, err := strconv.Atoi(f[len(p):])
		if err != nil {
			continue // :s and :n
		}
		if d.hist == nil {
			d.hist = map[int]int64{}
		}
		d.hist[b] += n
	}
	return d
}

func (d *Durations) add(o Durations) {
	d.N += o.N
	d.Seconds += o.Seconds
	for b, n := range o.hist {
		if d.hist == nil {
			d.hist = map[int]int64{}
		}
		d.hist[b] += n
	}
}

// Mean is the average, to the second; zero when there are none.
func (d Durations) Mean() time.Duration {
	if d.N <= 0 {
		return 0
	}
	return time.Duration(math.Round(float64(d.Seconds)/float64(d.N))) * time.Second
}

// Percentile is the p-th percentile by the nearest rank (as Percentile
// is over samples), read from the histogram: within 1 % of the true value
// (or a second). When every sample is in one bucket, it is their mean,
// which is exact for one sample. ok is false when there is no histogram
// or no sample.
func (d Durations) Percentile(p float64) (time.Duration, bool) {
	var n int64
	for _, k := range d.hist {
		n += k
	}
	if n == 0 {
		return 0, false
	}
	if len(d.hist) == 1 && n == d.N {
		return d.Mean(), true
	}
	rank := int64(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	bs := make([]int, 0, len(d.hist))
	for b := range d.hist {
		bs = append(bs, b)
	}
	sort.Ints(bs)
	var seen int64
	for _, b := range bs {
		if seen += d.hist[b]; seen >= rank {
			return bucketValue(b), true
		}
	}
	return bucketValue(bs[len(bs)-1]), true
}

// Channels are the channels tickets arrive on, in the order reports show
// them.
var Channels = []string{"telegram", "whatsapp", "web"}

// ReceivedOn is the breakdown field ("xd:" and "xm:" hashes) counting the
// tickets received on channel.
func ReceivedOn(channel string) string { return "h:" + clean(channel) + "|" + fReceived }

// RatingFields are the fields of a totals hash that count the ratings
// given, by stars: read them and FiguresOf gives the Rating.
func RatingFields() []string {
	out := make([]string, 5)
	for i := range out {
		out[i] = fRating + strconv.Itoa(i+1)
	}
	return out
}
