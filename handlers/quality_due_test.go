package handlers

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/stats"
)

// randomVisit is a visit to code on day with random answers to the form,
// and its answers scored the slow way (README: minutes good 10, bad 60;
// a scale 1 to 5 as 0 to 1; yes 1).
func randomVisit(w *world, r *rand.Rand, code string, day time.Time) (*shakwa.Visit, []item) {
	v := &shakwa.Visit{Centre: code, Day: day.Format(time.DateOnly), Channel: "visit", By: layla.id, Filed: w.now}
	var items []item
	for _, q := range w.h.quality().VisitForm {
		val, score := float64(r.IntN(2)), 0.0
		switch q.Kind {
		case "minutes":
			val = float64(r.IntN(90))
			score = min(1, max(0, (60-val)/50))
		case "scale":
			val = float64(1 + r.IntN(5))
			score = (val - 1) / 4
		default:
			score = val
		}
		v.Scores = append(v.Scores, shakwa.VisitScore{Question: q.Code, Value: val, Score: q.Score(val), Priority: q.Priority, Weight: q.Weight})
		items = append(items, item{q.Priority, q.Weight, score})
	}
	return v, items
}

// dueWalk is the state of rankingAroundDue: the world, the schedule,
// and what was stored, as the test keeps it.
type dueWalk struct {
	w        *world
	r        *rand.Rand
	n        int // centres QAA…
	day      int
	hour     int
	minute   int
	escalate time.Duration
	zone     *time.Location
	ts       []*shakwa.Ticket
	fb       []*shakwa.Feedback
	// answered are each centre's answers by month, in the order given.
	answered map[string]map[string][]item
	// visits are each centre's released visits: day and share.
	visits map[string][]dayShare
}

// dayShare is a visit's day and share.
type dayShare struct {
	day   string
	share float64
}

// opens is when month's ("2026-11") self-assessment opens, and due when
// it is owed: the opening plus escalate_after.
func (d *dueWalk) opens(month string) time.Time {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		panic(err)
	}
	return time.Date(m.Year(), m.Month(), d.day, d.hour, d.minute, 0, 0, d.zone)
}

func (d *dueWalk) due(month string) time.Time { return d.opens(month).Add(d.escalate) }

// done is the share of code's assessment of month, when every standard
// has an answer.
func (d *dueWalk) done(code, month string, standards int) (float64, bool) {
	items := d.answered[code][month]
	if len(items) < standards {
		return 0, false
	}
	return bruteShare(items)
}

// expected is a centre's score as dueWalk.expect counts it: its stars,
// when it has anything to score, and its self-assessment part.
type expected struct {
	stars            float64
	scored           bool
	assessed, marked bool
	share            float64
	month            string // the month whose assessment counts
}

// expect is code's score at now over span, counted the slow way: the
// months the span touches are those of its days; the centre owes an
// assessment when one of them is due; the latest of them done counts;
// when none is done and none is owed, the months before count, latest
// first, down to the first one due; a centre that owes one and has none
// is marked. complaints is the complaints' score, when measured.
func (d *dueWalk) expect(code string, now time.Time, span stats.Span, complaints float64, measured bool, standards int) expected {
	var touched []string // earliest first
	for day := span.From; day.Before(span.To); day = day.AddDate(0, 0, 1) {
		if m := day.In(d.zone).Format("2006-01"); !slices.Contains(touched, m) {
			touched = append(touched, m)
		}
	}
	owes := false
	for _, m := range touched {
		owes = owes || !now.Before(d.due(m))
	}
	var e expected
	for i := len(touched) - 1; i >= 0 && !e.assessed; i-- {
		e.month = touched[i]
		e.share, e.assessed = d.done(code, e.month, standards)
	}
	if !e.assessed && !owes {
		m, _ := time.Parse("2006-01", touched[0])
		for {
			m = m.AddDate(0, -1, 0)
			e.month = m.Format("2006-01")
			if e.share, e.assessed = d.done(code, e.month, standards); e.assessed || !now.Before(d.due(e.month)) {
				break
			}
		}
	}
	e.marked = owes && !e.assessed
	var sum, weights float64
	if measured {
		sum, weights = 60*complaints, 60
	}
	if e.assessed {
		sum, weights = sum+25*e.share, weights+25
	}
	first, last := span.From.In(d.zone).Format(time.DateOnly), span.To.In(d.zone).Format(time.DateOnly)
	var visits []float64
	for _, v := range d.visits[code] {
		if v.day >= first && v.day < last {
			visits = append(visits, v.share)
		}
	}
	if len(visits) > 0 {
		var avg float64
		for _, v := range visits {
			avg += v / float64(len(visits))
		}
		sum, weights = sum+15*avg, weights+15
	}
	if weights > 0 {
		e.scored, e.stars = true, math.Round((1+6*sum/weights)*10)/10
	}
	return e
}

// dueSeen counts the cases a walk met: centres marked, a month before
// the span standing in, centres without an assessment and unmarked.
type dueSeen struct{ marked, standIn, unmarked int }

// rankingAroundDue walks the clock from 25 November to 5 January, up to
// three days at a time and to a minute either side of each month's due
// time, with the self-assessment opening on day at hh:mm and due escalate
// later. At each step each centre, as diligent as it happens to be,
// answers a standard or more of a month already open (so months are
// begun, done early, done late or never), and a period picked at random
// is ranked: every centre's stars, its self-assessment part and its mark
// are counted the slow way (dueWalk.expect) and compared.
func rankingAroundDue(t *testing.T, r *rand.Rand, day, hh, mm int, escalate time.Duration) dueSeen {
	const n = 8
	tail := strings.Replace(qualityTail, "quality:\n", fmt.Sprintf(
		"quality:\n  assessment: {day: %d, at: \"%02d:%02d\", remind_after: 1h, escalate_after: %s}\n", day, hh, mm, escalate), 1)
	w := newWorldWith(t, manyCentres(n)+tail)
	ctx := context.Background()
	zone, err := time.LoadLocation("Asia/Dubai")
	if err != nil {
		t.Fatal(err)
	}
	d := &dueWalk{w: w, r: r, n: n, day: day, hour: hh, minute: mm, escalate: escalate, zone: zone,
		answered: map[string]map[string][]item{}, visits: map[string][]dayShare{}}
	// The tickets are filed two days before the walk begins, so that no
	// deadline falls in an hour under way during the walk: the counts of
	// that hour expire by the real clock, and this one is behind it.
	w.now = time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)
	d.ts, d.fb = seedQuality(t, w, n, r)
	standards := len(w.h.quality().Standards)
	months := []string{"2026-09", "2026-10", "2026-11", "2026-12", "2027-01"}
	diligence := make([]float64, n)
	for c := range n {
		code := qcode(c)
		diligence[c] = r.Float64() * 0.4
		if c%4 == 3 {
			diligence[c] = 0 // never
		}
		// What was done by 23 November: any of the months open by then.
		for _, m := range months {
			if !w.now.Before(d.opens(m)) && r.Float64() < 0.6 {
				d.answer(t, code, m, 1+r.IntN(standards))
			}
		}
		for k := range r.IntN(3) {
			day := w.now.AddDate(0, 0, -r.IntN(40)).In(zone)
			day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, zone)
			v, items := randomVisit(w, r, code, day)
			if err := w.store.AddVisit(ctx, v, day, fmt.Sprint(code, k)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.store.ReleaseVisit(ctx, v.ID, manager.id, w.now); err != nil {
				t.Fatal(err)
			}
			share, _ := bruteShare(items)
			d.visits[code] = append(d.visits[code], dayShare{v.Day, share})
		}
	}
	// The instants: a random walk, and a minute either side of each due.
	start, end := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC), time.Date(2027, 1, 6, 0, 0, 0, 0, time.UTC)
	var instants []time.Time
	for at := start; at.Before(end); at = at.Add(time.Duration(r.Int64N(int64(3 * 24 * time.Hour)))) {
		instants = append(instants, at)
	}
	for _, m := range months {
		if due := d.due(m); due.After(start) && due.Before(end) {
			instants = append(instants, due.Add(-time.Minute), due.Add(time.Minute))
		}
	}
	slices.SortFunc(instants, func(a, b time.Time) int { return a.Compare(b) })
	periods := []string{"", "today", "yesterday", "week", "last week", "month", "last month", "last 7 days", "last 30 days"}
	var saw dueSeen
	for _, at := range instants {
		w.now = at
		for c := range n {
			for _, m := range months {
				if !w.now.Before(d.opens(m)) && r.Float64() < diligence[c] {
					d.answer(t, qcode(c), m, 1+r.IntN(2))
				}
			}
		}
		d.check(t, periods[r.IntN(len(periods))], &saw)
	}
	return saw
}

// check ranks the centres over period at the world's clock and compares
// each centre with what expect counts; saw counts the cases met.
func (d *dueWalk) check(t *testing.T, period string, saw *dueSeen) {
	t.Helper()
	ctx := context.Background()
	span, err := d.w.h.cal.Parse(period, d.w.now)
	if err != nil {
		t.Fatal(err)
	}
	until := span.To
	if !span.Now.IsZero() && span.Now.Before(until) {
		until = span.Now
	}
	wants := map[string]expected{}
	centres := make([]string, d.n)
	for c := range d.n {
		code := qcode(c)
		centres[c] = code
		complaints, _, measured := bruteComplaints(d.ts, d.fb, code, span.From, until, time.Hour, 24*time.Hour)
		wants[code] = d.expect(code, d.w.now, span, complaints, measured, len(d.w.h.quality().Standards))
	}
	cs, err := d.w.h.scoreFigures(ctx, span, centres)
	if err == nil {
		err = d.w.h.withQuality(ctx, span, cs)
	}
	if err != nil {
		t.Fatal(err)
	}
	scores, _ := d.w.h.scores(cs)
	when := fmt.Sprintf("%s, %q", d.w.now.In(d.zone).Format("2 Jan 15:04"), period)
	if len(scores) != len(wants) {
		t.Errorf("%s: %d centres scored; want the %d counted", when, len(scores), len(wants))
	}
	for _, s := range scores {
		e, known := wants[s.Code]
		if !known {
			t.Errorf("%s: %s scored; not a centre counted", when, s.Code)
			continue
		}
		if !e.scored && s.Ranked {
			t.Errorf("%s: %s ranked; want it not, nothing to score", when, s.Code)
		}
		part, assessed := s.Parts[stats.PartAssessment]
		if s.Unassessed != e.marked || assessed != e.assessed || assessed && math.Abs(part-e.share) > 1e-9 {
			t.Errorf("%s: %s assessed %v (%.4f), marked %v; want %v (%.4f), %v; answered %v", when, s.Code,
				assessed, part, s.Unassessed, e.assessed, e.share, e.marked, d.answered[s.Code])
		}
		// The speed part reads the median from a histogram: the
		// stars may round a tenth either way.
		if e.scored && math.Abs(s.Stars-e.stars) > 0.1+1e-9 {
			t.Errorf("%s: %s ⭐ %.1f; want %.1f", when, s.Code, s.Stars, e.stars)
		}
		switch {
		case e.marked:
			saw.marked++
		case e.assessed && e.month < span.From.In(d.zone).Format("2006-01"):
			saw.standIn++
		case !e.assessed:
			saw.unmarked++
		}
	}
	ranked := 0
	for _, s := range scores {
		if s.Ranked {
			ranked++
		}
	}
	checkDueText(t, when, d.w.text(manager, strings.TrimSpace("/ranking "+period)), wants, ranked)
}

// answer has code's supervisor answer the next k standards of month's
// self-assessment, each mark at random.
func (d *dueWalk) answer(t *testing.T, code, month string, k int) {
	t.Helper()
	q := d.w.h.quality()
	marks := []string{shakwa.MarkMet, shakwa.MarkPartly, shakwa.MarkUnmet}
	if d.answered[code] == nil {
		d.answered[code] = map[string][]item{}
	}
	got := d.answered[code][month]
	for _, s := range q.Standards[len(got):min(len(q.Standards), len(got)+k)] {
		mark := marks[d.r.IntN(3)]
		ans := shakwa.Answer{Criterion: s.Code, Mark: mark, Priority: s.Priority, Weight: s.Weight, By: noura.id, At: d.w.now}
		if mark != shakwa.MarkMet {
			ans.Reason, ans.Owner = "…", "…"
		}
		if _, _, err := d.w.store.AnswerAssessment(context.Background(), code, month, ans, q.StandardCodes()); err != nil {
			t.Fatal(err)
		}
		got = append(got, item{s.Priority, s.Weight, map[string]float64{"met": 1, "partly": 0.5, "unmet": 0}[mark]})
	}
	d.answered[code][month] = got
}

// checkDueText checks each centre /ranking names with stars against
// wants: the stars, within a tenth, and the mark under it.
func checkDueText(t *testing.T, when string, rs []bot.Reply, wants map[string]expected, ranked int) {
	t.Helper()
	msg := find(rs, manager.id, "🏆")
	if len(msg) != 1 {
		t.Errorf("%s: /ranking: %v", when, texts(rs))
		return
	}
	lines := strings.Split(msg[0].Text, "\n")
	checked := 0
	defer func() {
		if checked < min(ranked, 1) {
			t.Errorf("%s: /ranking names no centre with its stars:\n%s", when, msg[0].Text)
		}
	}()
	for i, l := range lines {
		code, stars, ok := strings.Cut(l, "\u2069 · ⭐ ")
		if !ok {
			continue
		}
		checked++
		code = code[strings.LastIndex(code, " ")+1:]
		stars, _, _ = strings.Cut(stars, " ")
		got, err := strconv.ParseFloat(stars, 64)
		e, known := wants[code]
		if err != nil || !known {
			t.Errorf("%s: %q: no centre and stars", when, l)
			continue
		}
		marked := false
		for _, next := range lines[i+1 : min(len(lines), i+3)] {
			if strings.Contains(next, "⭐") || next == "" {
				break
			}
			marked = marked || strings.Contains(next, "دون تقييم ذاتي")
		}
		if marked != e.marked || math.Abs(got-e.stars) > 0.1+1e-9 {
			t.Errorf("%s: %q: marked %v; want ⭐ %.1f, marked %v", when, l, marked, e.stars, e.marked)
		}
	}
}
