package handlers

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/stats"
)

// qcode is the code of the i-th centre manyCentres adds: QAA, QAB, …
func qcode(i int) string { return fmt.Sprintf("Q%c%c", 'A'+i/26, 'A'+i%26) }

// manyCentres is the test configuration with n more centres, QAA…, each
// with targets of 1 h to claim and 24 h to resolve.
func manyCentres(n int) string {
	var more strings.Builder
	for i := range n {
		code := qcode(i)
		fmt.Fprintf(&more, "  - code: %s\n    name: {ar: \"مركز %s\", en: \"%s Centre\"}\n    staff_chat: -20%02d\n    sla: {claim: 1h, resolve: 24h}\n",
			code, code, code, i)
	}
	return strings.Replace(testConfig, "categories:\n", more.String()+"categories:\n", 1)
}

// seedQuality files tickets for centres QAA… over the 30 days before
// now, each centre better than the next: quicker, fewer reopened, rated
// higher, thanked more. The last centre gets too few tickets to rank.
// It returns every ticket as stored and the thanks given.
func seedQuality(t *testing.T, w *world, n int, r *rand.Rand) ([]*shakwa.Ticket, []*shakwa.Feedback) {
	t.Helper()
	ctx := context.Background()
	var ts []*shakwa.Ticket
	var fb []*shakwa.Feedback
	staff := shakwa.Staff{ID: "111", Name: "فاطمة"}
	for c := range n {
		code := qcode(c)
		q := 1 - float64(c)/float64(n) // quality, 1 is best
		count := 25 + r.IntN(15)
		if c == n-1 {
			count = 4
		}
		for i := range count {
			created := w.now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
			who := shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(10000 + c*100 + i)}
			tk := &shakwa.Ticket{Centre: code, Category: "waiting", Text: "…", Created: created, Updated: created}
			if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
				t.Fatal(err)
			}
			at := created.Add(time.Duration((1.2 - q) * float64(2*time.Hour) * r.Float64()))
			if at.Before(w.now) {
				w.store.Claim(ctx, tk.ID, staff, nil, at)
				at = at.Add(time.Duration((1.1 - q) * float64(60*time.Hour) * r.Float64()))
				if at.Before(w.now) {
					w.store.Resolve(ctx, tk.ID, staff, "…", at)
					if r.Float64() < 0.8 {
						at = at.Add(time.Minute)
						stars := min(5, max(1, int(math.Round(1+4*q+r.NormFloat64()*0.5))))
						w.store.Rate(ctx, tk.ID, who, stars, at)
					}
					if r.Float64() > 0.6+0.4*q {
						at = at.Add(time.Hour)
						w.store.Reopen(ctx, tk.ID, who, "", at)
					}
				}
			}
			if r.Float64() < 0.15*q && at.Before(w.now) {
				f := &shakwa.Feedback{Kind: shakwa.KindThanks, Centre: code, Staff: staff.ID, Text: "شكراً", Created: at}
				if err := w.store.AddFeedback(ctx, f, who); err != nil {
					t.Fatal(err)
				}
				fb = append(fb, f)
			}
			got, err := w.store.Ticket(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, got)
		}
	}
	return ts, fb
}

// bruteScore scores a centre the slow way, from its tickets and thanks,
// by the definition in README: five parts, weighted, those with nothing
// to measure left out.
func bruteScore(ts []*shakwa.Ticket, fb []*shakwa.Feedback, code string, from, to time.Time, claim, resolve time.Duration) (score float64, received int) {
	score, received, _ = bruteComplaints(ts, fb, code, from, to, claim, resolve)
	return score, received
}

// bruteComplaints is bruteScore, and whether any of the five parts had
// something to measure.
func bruteComplaints(ts []*shakwa.Ticket, fb []*shakwa.Feedback, code string, from, to time.Time, claim, resolve time.Duration) (score float64, received int, measured bool) {
	in := func(at time.Time) bool { return !at.IsZero() && !at.Before(from) && at.Before(to) }
	var ratingSum, ratings, claimDue, claimMet, resDue, resMet, resolved, reopened, reopenBase, thanks int
	var durations []time.Duration
	for _, tk := range ts {
		if tk.Centre != code {
			continue
		}
		if in(tk.Created) {
			received++
		}
		final := tk.Status == shakwa.StatusResolved || tk.Status == shakwa.StatusClosed
		if final && in(tk.Resolved) {
			resolved++
			durations = append(durations, tk.Resolved.Sub(tk.Created))
		}
		if tk.Rating > 0 && in(tk.Rated) { // the latest, reopened since or not
			ratingSum += tk.Rating
			ratings++
		}
		if tk.Reopens > 0 && in(tk.Reopened) {
			reopened++
		}
		// What reopenings are a share of: each ticket once, by its
		// reopening, else by its resolution.
		if tk.Reopens > 0 && in(tk.Reopened) || tk.Reopens == 0 && final && in(tk.Resolved) {
			reopenBase++
		}
		if due := tk.Created.Add(claim); in(due) {
			claimDue++
			if !tk.Claimed.IsZero() && !tk.Claimed.After(due) {
				claimMet++
			}
		}
		if due := tk.Created.Add(resolve); in(due) {
			resDue++
			if final && !tk.Resolved.After(due) {
				resMet++
			}
		}
	}
	for _, f := range fb {
		if f.Centre == code && in(f.Created) {
			thanks++
		}
	}
	type part struct{ weight, value float64 }
	var parts []part
	clamp := func(v float64) float64 { return math.Max(0, math.Min(1, v)) }
	if ratings > 0 {
		parts = append(parts, part{0.30, clamp((float64(ratingSum)/float64(ratings) - 1) / 4)})
	}
	var sla []float64
	if claimDue > 0 {
		sla = append(sla, float64(claimMet)/float64(claimDue))
	}
	if resDue > 0 {
		sla = append(sla, float64(resMet)/float64(resDue))
	}
	if len(sla) == 2 {
		parts = append(parts, part{0.25, (sla[0] + sla[1]) / 2})
	} else if len(sla) == 1 {
		parts = append(parts, part{0.25, sla[0]})
	}
	if len(durations) > 0 {
		sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
		median := durations[(len(durations)+1)/2-1] // nearest rank
		parts = append(parts, part{0.20, clamp(1 - float64(median)/float64(2*resolve))})
	}
	if reopenBase > 0 {
		parts = append(parts, part{0.15, clamp(1 - 5*float64(reopened)/float64(reopenBase))})
	}
	if received > 0 {
		parts = append(parts, part{0.10, clamp(10 * float64(thanks) / float64(received))})
	}
	var sum, weights float64
	for _, p := range parts {
		sum += p.weight * p.value
		weights += p.weight
	}
	if weights == 0 {
		return 0, received, false
	}
	return sum / weights, received, true
}

// TestRankingMatchesBruteForce: /ranking names the best five and the
// worst five in the order, and with the stars, a count made from the
// tickets gives; a centre with too few tickets is apart; each line says
// what pulled the centre up or down.
func TestRankingMatchesBruteForce(t *testing.T) {
	const n = 14
	w := newWorldWith(t, manyCentres(n))
	r := rand.New(rand.NewPCG(8, 1))
	ts, fb := seedQuality(t, w, n, r)
	span, end := last30Days(t, w)
	var want []rankedCentre
	var apart []string
	for c := range n {
		code := qcode(c)
		s, received := bruteScore(ts, fb, code, span.From, end, time.Hour, 24*time.Hour)
		if received < 10 {
			apart = append(apart, code)
			continue
		}
		want = append(want, rankedCentre{code, s, received})
	}
	checkRanking(t, w.text(manager, "/ranking last 30 days"), want, apart)
}

// last30Days is the span "last 30 days" at the world's now, and where
// it ends for what happened: now.
func last30Days(t *testing.T, w *world) (stats.Span, time.Time) {
	t.Helper()
	span, err := w.h.cal.Parse("last 30 days", w.now)
	if err != nil {
		t.Fatal(err)
	}
	end := span.To
	if !span.Now.IsZero() && span.Now.Before(end) {
		end = span.Now
	}
	return span, end
}

// rankedCentre is a centre's score counted the slow way.
type rankedCentre struct {
	code  string
	score float64
	n     int
}

// checkRanking checks /ranking's answer rs against scores counted the
// slow way: the best five and the worst five in their order, with their
// stars and a reason under each; those apart listed; those between not
// named. It returns the ranking's text.
func checkRanking(t *testing.T, rs []bot.Reply, want []rankedCentre, apart []string) string {
	t.Helper()
	slices.SortStableFunc(want, func(a, b rankedCentre) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return b.n - a.n
	})
	msg := find(rs, manager.id, "⭐")
	if len(msg) != 1 {
		t.Fatalf("/ranking: no ranking")
	}
	text := msg[0].Text
	t.Logf("\n%s", text)
	lines := strings.Split(text, "\n")
	for i, pos := range []int{0, 1, 2, 3, 4, len(want) - 5, len(want) - 4, len(want) - 3, len(want) - 2, len(want) - 1} {
		wr := want[pos]
		// The speed part reads the median from a histogram (within
		// 2.5 %): the stars may round a tenth either way.
		stars := math.Round((1+6*wr.score)*10) / 10
		var heads []string
		for _, s := range []float64{stars - 0.1, stars, stars + 0.1} {
			heads = append(heads, fmt.Sprintf("%d. \u2068مركز %s\u2069 · ⭐ %.1f من 7", pos+1, wr.code, s))
		}
		at := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, fmt.Sprintf("%d. ", pos+1)) })
		if at < 0 || !slices.Contains(heads, lines[at]) {
			got := ""
			if at >= 0 {
				got = lines[at]
			}
			t.Errorf("place %d: %q; want %q (score %.4f)", pos+1, got, heads[1], wr.score)
			continue
		}
		arrow := "↑"
		if i >= 5 {
			arrow = "↓"
		}
		if at+1 >= len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[at+1]), arrow) {
			t.Errorf("place %d: no %s reason under it", pos+1, arrow)
		}
	}
	for _, code := range apart {
		if !strings.Contains(text, "خارج الترتيب") || !strings.Contains(text, "مركز "+code) {
			t.Errorf("%s has too few tickets; want it listed apart", code)
		}
	}
	// Those not in the best or worst five are not named.
	for _, wr := range want[5 : len(want)-5] {
		if strings.Contains(text, "مركز "+wr.code+"\u2069") {
			t.Errorf("%s is in the middle; named anyway", wr.code)
		}
	}
	return text
}

// TestRankingFew: with fewer ranked centres than ten, no centre is named
// twice; with none, the answer says why; staff may not ask.
func TestRankingFew(t *testing.T) {
	w := newWorldWith(t, manyCentres(4))
	if rs := w.text(fatima, "/ranking"); len(find(rs, fatima.id, "للمديرين والمشرفين فقط")) != 1 {
		t.Errorf("staff /ranking: %v", texts(rs))
	}
	if rs := w.text(manager, "/ranking"); len(find(rs, manager.id, "فلا ترتيب")) != 1 {
		t.Errorf("/ranking with no tickets: %v", texts(rs))
	}
	if rs := w.text(manager, "/ranking forever"); len(find(rs, manager.id, "/ranking الشهر الماضي")) != 1 {
		t.Errorf("/ranking with a period that is none: %v; want the usage", texts(rs))
	}
	seedQuality(t, w, 4, rand.New(rand.NewPCG(2, 2)))
	rs := w.text(manager, "/ranking last 30 days")
	msg := find(rs, manager.id, "⭐")
	if len(msg) != 1 {
		t.Fatalf("/ranking: %v", texts(rs))
	}
	for _, code := range []string{qcode(0), qcode(1), qcode(2)} {
		if n := strings.Count(msg[0].Text, "مركز "+code+"\u2069 ·"); n != 1 {
			t.Errorf("%s named %d times in\n%s", code, n, msg[0].Text)
		}
	}
}

// TestHelpListsTheFigures: a manager's and a supervisor's help name every
// command of the figures.
func TestHelpListsTheFigures(t *testing.T) {
	w := newWorld(t)
	for _, p := range []person{manager, noura} {
		rs := w.text(p, "/help")
		if len(rs) != 1 {
			t.Fatalf("%s /help: %v", p.name, texts(rs))
		}
		for _, c := range []string{"/stats", "/ranking", "/staff", "/report", "/export"} {
			if !strings.Contains(rs[0].Text, c) {
				t.Errorf("%s /help does not name %s:\n%s", p.name, c, rs[0].Text)
			}
		}
	}
}

// TestQualityOrderIsTheRanking: the monthly quality section lists centres
// in the ranking's order (a tie goes to the centre with more requests)
// and names those with too few requests to rank apart, never among the
// best.
func TestQualityOrderIsTheRanking(t *testing.T) {
	w := newWorldWith(t, manyCentres(3))
	fig := func(code string, n int64) centreFigures {
		f := centreFigures{Code: code}
		f.Received, f.Resolved = n, n
		return f
	}
	few, small, big := fig(qcode(0), 2), fig(qcode(1), 12), fig(qcode(2), 40) // equal scores
	span := w.h.cal.Named(stats.SpanLastMonth, w.now)
	got, err := w.h.qualityText(context.Background(), "en", span, []centreFigures{few, small, big})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(got, "\n")
	at := func(code string) int {
		for i, l := range lines {
			if strings.Contains(l, code+" Centre") {
				return i
			}
		}
		return -1
	}
	if !(at(big.Code) > 0 && at(big.Code) < at(small.Code)) {
		t.Errorf("the tie: %s at line %d, %s at %d; want the one with more requests first:\n%s", big.Code, at(big.Code), small.Code, at(small.Code), got)
	}
	apart := w.tr("en", "quality.centre_apart", map[string]any{"Name": "\u2068" + few.Code + " Centre\u2069",
		"What": w.tr("en", "quality.handled", map[string]any{"Count": 2}), "Min": stats.MinRanked})
	if at(few.Code) != len(lines)-1 || lines[len(lines)-1] != apart {
		t.Errorf("the centre with 2 requests: line %d %q; want it last, marked apart: %q\n%s", at(few.Code), lines[max(0, at(few.Code))], apart, got)
	}
}
