package stats

import (
	"math"
	"slices"
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

// SumOf adds up one centre's reads (got[i] is what reads[i] read). The
// largest whole month's hash becomes the sum itself rather than being
// copied: got's maps are the sum's to change.
func SumOf(reads []Read, got []map[string]int64) Sum {
	base := -1
	for i, r := range reads {
		month := strings.HasPrefix(r.Key, "m:") || strings.HasPrefix(r.Key, "xm:")
		if month && r.Sign == 1 && !r.SLAOnly && r.FromHour == 0 && r.ToHour == 24 && (base < 0 || len(got[i]) > len(got[base])) {
			base = i
		}
	}
	s := Sum{}
	if base >= 0 && got[base] != nil {
		s = Sum(got[base])
	} else {
		base = -1
	}
	for i, r := range reads {
		if i != base {
			s.Add(r, got[i])
		}
	}
	return s
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
// "c:CAT|", "h:CHANNEL|" or "s:STAFF|" in the breakdowns) from s, in one
// pass over it.
func FiguresOf(s Sum, prefix string) Figures {
	var fg Figures
	var claim, reply, resolve []bucketCount
	for f, n := range s {
		if n == 0 || !strings.HasPrefix(f, prefix) {
			continue
		}
		name := f[len(prefix):]
		if prefix == "" && strings.IndexByte(name, '|') >= 0 {
			continue // a breakdown, not a total
		}
		if i := strings.IndexByte(name, ':'); i > 0 {
			var d *Durations
			var h *[]bucketCount
			switch name[:i] {
			case fClaimTime:
				d, h = &fg.ClaimTime, &claim
			case fReplyTime:
				d, h = &fg.ReplyTime, &reply
			case fResolveTime:
				d, h = &fg.ResolveTime, &resolve
			default:
				continue
			}
			switch rest := name[i+1:]; rest {
			case "n":
				d.N += n
			case "s":
				d.Seconds += n
			default:
				if b, err := strconv.Atoi(rest); err == nil {
					*h = append(*h, bucketCount{b, n})
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
		case fTransferred:
			fg.Transferred += n
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
		default:
			if len(name) == 2 && name[1] >= '1' && name[1] <= '5' {
				switch name[0] {
				case fRating[0]:
					fg.Ratings[name[1]-'1'] += n
				case fStars[0]:
					fg.Stars[name[1]-'1'] += n
				}
			}
		}
	}
	fg.ClaimTime.hist, fg.ReplyTime.hist, fg.ResolveTime.hist = sortBuckets(claim), sortBuckets(reply), sortBuckets(resolve)
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
	hist    []bucketCount // by bucket, ascending; nil for none
}

// bucketCount is one bucket of a histogram and how many it holds.
type bucketCount struct {
	b int
	n int64
}

func sortBuckets(h []bucketCount) []bucketCount {
	if len(h) == 0 {
		return nil
	}
	slices.SortFunc(h, func(x, y bucketCount) int { return x.b - y.b })
	return h
}

func (d *Durations) add(o Durations) {
	d.N += o.N
	d.Seconds += o.Seconds
	if len(o.hist) == 0 {
		return
	}
	if len(d.hist) == 0 {
		d.hist = slices.Clone(o.hist)
		return
	}
	merged := make([]bucketCount, 0, len(d.hist)+len(o.hist))
	i, j := 0, 0
	for i < len(d.hist) || j < len(o.hist) {
		switch {
		case j == len(o.hist) || i < len(d.hist) && d.hist[i].b < o.hist[j].b:
			merged = append(merged, d.hist[i])
			i++
		case i == len(d.hist) || o.hist[j].b < d.hist[i].b:
			merged = append(merged, o.hist[j])
			j++
		default:
			merged = append(merged, bucketCount{d.hist[i].b, d.hist[i].n + o.hist[j].n})
			i, j = i+1, j+1
		}
	}
	d.hist = merged
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
func RatingFields() []string {
	out := make([]string, 5)
	for i := range out {
		out[i] = fRating + strconv.Itoa(i+1)
	}
	return out
}
