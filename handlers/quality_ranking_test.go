package handlers

import (
	"cmp"
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
)

// bruteShare is a share of the best the slow way, by README's definition:
// within each priority the items' values averaged by their weights, then
// the priorities averaged by theirs (the defaults: experience 40,
// efficiency 25, channels 20, culture 15).
func bruteShare(items []struct {
	priority      string
	weight, value float64
}) (float64, bool) {
	prio := map[string]float64{"experience": 40, "efficiency": 25, "channels": 20, "culture": 15}
	sum, w := map[string]float64{}, map[string]float64{}
	for _, it := range items {
		sum[it.priority] += it.weight * it.value
		w[it.priority] += it.weight
	}
	if len(sum) == 0 {
		return 0, false
	}
	var total, weights float64
	for p := range sum {
		total += prio[p] * sum[p] / w[p]
		weights += prio[p]
	}
	return total / weights, true
}

type item = struct {
	priority      string
	weight, value float64
}

// TestRankingWithQualityMatchesBruteForce: with the quality programme on,
// /ranking's stars are 60 parts complaints, 25 the latest self-assessment
// done in a month the period touches and 15 the released visits of the
// period, of those a centre has, each counted here the slow way from
// what was stored; a centre without an assessment is marked and scored
// without it; unreleased visits count for nothing. Then, for three
// schedules, the clock walks through the weeks around each month's due
// time (see rankingAroundDue).
func TestRankingWithQualityMatchesBruteForce(t *testing.T) {
	const n = 14
	w := newWorldWith(t, manyCentres(n)+qualityTail)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(13, 5))
	ts, fb := seedQuality(t, w, n, r)
	span, end := last30Days(t, w)
	standards := w.h.quality().Standards
	codes := w.h.quality().StandardCodes()
	marks := []string{shakwa.MarkMet, shakwa.MarkPartly, shakwa.MarkUnmet}
	assessed := map[string]float64{}
	for c := range n {
		code := qcode(c)
		// November done for most; October only for some (the period
		// touches it too); none for every fifth; November begun but not
		// done for one, whose October counts.
		months := []string{"2026-11"}
		switch {
		case c%5 == 4:
			months = nil
		case c%4 == 1:
			months = []string{"2026-10"}
		case c == 2:
			months = []string{"2026-10", "2026-11"}
		}
		for _, month := range months {
			var items []item
			for i, s := range standards {
				if c == 2 && month == "2026-11" && i > 0 {
					break // begun, not done
				}
				mark := marks[r.IntN(3)]
				ans := shakwa.Answer{Criterion: s.Code, Mark: mark, Priority: s.Priority, Weight: s.Weight, By: "114", At: w.now}
				if mark != shakwa.MarkMet {
					ans.Reason, ans.Owner = "…", "…"
				}
				if _, _, err := w.store.AnswerAssessment(ctx, code, month, ans, codes); err != nil {
					t.Fatal(err)
				}
				items = append(items, item{s.Priority, s.Weight, map[string]float64{"met": 1, "partly": 0.5, "unmet": 0}[mark]})
			}
			if len(items) == len(standards) {
				share, _ := bruteShare(items)
				assessed[code] = share // November after October: the latest done wins
			}
		}
	}
	// Visits: some in the period, some before it; most released.
	visits := map[string][]float64{}
	for c := range n {
		code := qcode(c)
		for k := range r.IntN(4) {
			day := w.now.AddDate(0, 0, -r.IntN(45))
			day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, w.h.centreLoc(code))
			v, items := randomVisit(w, r, code, day)
			if err := w.store.AddVisit(ctx, v, day, fmt.Sprint(code, k)); err != nil {
				t.Fatal(err)
			}
			released := r.Float64() < 0.7
			if released {
				if _, _, err := w.store.ReleaseVisit(ctx, v.ID, manager.id, w.now); err != nil {
					t.Fatal(err)
				}
			}
			if released && !day.Before(span.From) && day.Before(span.To) {
				share, _ := bruteShare(items)
				visits[code] = append(visits[code], share)
			}
		}
	}
	var want []rankedCentre
	var apart, unassessed []string
	for c := range n {
		code := qcode(c)
		complaints, received := bruteScore(ts, fb, code, span.From, end, time.Hour, 24*time.Hour)
		if received < 10 {
			apart = append(apart, code)
			continue
		}
		sum, weights := 60*complaints, 60.0
		if a, ok := assessed[code]; ok {
			sum, weights = sum+25*a, weights+25
		} else {
			unassessed = append(unassessed, code)
		}
		if vs := visits[code]; len(vs) > 0 {
			var avg float64
			for _, v := range vs {
				avg += v / float64(len(vs))
			}
			sum, weights = sum+15*avg, weights+15
		}
		want = append(want, rankedCentre{code, sum / weights, received})
	}
	if len(unassessed) == 0 || len(assessed) == 0 {
		t.Fatalf("the seed should leave some centres unassessed and assess others")
	}
	text := checkRanking(t, w.text(manager, "/ranking last 30 days"), want, apart)
	// Each centre named without an assessment carries the mark; no other.
	blocks := strings.Split(text, "\n")
	for i, l := range blocks {
		for c := range n {
			code := qcode(c)
			if !strings.Contains(l, "مركز "+code+"\u2069 · ⭐") {
				continue
			}
			marked := false
			for _, next := range blocks[i+1 : min(len(blocks), i+3)] {
				if strings.Contains(next, "دون تقييم ذاتي") {
					marked = true
				}
				if next == "" || strings.Contains(next, "⭐") {
					break
				}
			}
			if _, ok := assessed[code]; marked == ok {
				t.Errorf("%s: marked %v, assessed %v", code, marked, ok)
			}
		}
	}
	if !strings.Contains(text, "التقييم الذاتي الشهري بوزن 25") {
		t.Errorf("the ranking does not say how the quality programme weighs:\n%s", text)
	}

	// Around the due date: the default schedule, one opening late in the
	// month and due weeks later, and one at random.
	schedules := []struct {
		day, hh, mm int
		escalate    time.Duration
	}{
		{1, 9, 0, 7 * 24 * time.Hour},
		{28, 13, 30, 500 * time.Hour},
		{1 + r.IntN(28), r.IntN(24), r.IntN(60), time.Duration(2+r.IntN(27*24-2)) * time.Hour},
	}
	var saw dueSeen
	for i, s := range schedules {
		t.Run(fmt.Sprintf("day %d at %02d:%02d, due after %s", s.day, s.hh, s.mm, s.escalate), func(t *testing.T) {
			got := rankingAroundDue(t, rand.New(rand.NewPCG(uint64(i), 7)), s.day, s.hh, s.mm, s.escalate)
			saw.marked, saw.standIn, saw.unmarked = saw.marked+got.marked, saw.standIn+got.standIn, saw.unmarked+got.unmarked
		})
	}
	if saw.marked == 0 || saw.standIn == 0 || saw.unmarked == 0 {
		t.Errorf("the walks should see centres marked (%d), a month before the span standing in (%d) and centres "+
			"without an assessment, unmarked (%d)", saw.marked, saw.standIn, saw.unmarked)
	}
}

// TestAssessmentOverviewMatchesBruteForce: a manager's /assessment for
// a month lists every centre done, by its share met counted here the slow
// way, best first; names those not done; and counts the standards most
// often not (fully) met over every answer given.
func TestAssessmentOverviewMatchesBruteForce(t *testing.T) {
	const n = 14
	w := newWorldWith(t, manyCentres(n)+qualityTail)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(21, 3))
	q := w.h.quality()
	marks := []string{shakwa.MarkMet, shakwa.MarkPartly, shakwa.MarkUnmet}
	type row struct {
		code  string
		share float64
	}
	var done []row
	var notDone []string
	gaps := map[string]int{}
	centres := w.h.cfg().CentreCodes()
	for _, code := range centres {
		answered := len(q.Standards)
		if k := r.IntN(5); k == 0 {
			answered = r.IntN(len(q.Standards)) // begun, or not at all
		}
		var items []item
		for _, s := range q.Standards[:answered] {
			mark := marks[r.IntN(3)]
			ans := shakwa.Answer{Criterion: s.Code, Mark: mark, Reason: "…", Owner: "…", Priority: s.Priority, Weight: s.Weight,
				By: noura.id, At: w.now}
			if _, _, err := w.store.AnswerAssessment(ctx, code, "2026-11", ans, q.StandardCodes()); err != nil {
				t.Fatal(err)
			}
			items = append(items, item{s.Priority, s.Weight, map[string]float64{"met": 1, "partly": 0.5, "unmet": 0}[mark]})
			if mark != shakwa.MarkMet {
				gaps[s.Code]++
			}
		}
		if answered == len(q.Standards) {
			share, _ := bruteShare(items)
			done = append(done, row{code, share})
		} else {
			notDone = append(notDone, code)
		}
	}
	slices.SortStableFunc(done, func(a, b row) int {
		if a.share != b.share {
			return cmp.Compare(b.share, a.share)
		}
		return cmp.Compare(a.code, b.code)
	})
	got := find(w.text(manager, "/assessment 2026-11"), manager.id, "📋")
	if len(got) != 1 {
		t.Fatalf("/assessment: no overview")
	}
	text := got[0].Text
	t.Logf("\n%s", text)
	percent := func(v float64) string {
		return w.tr("ar", "stats.percent", map[string]any{"N": strconv.Itoa(int(math.Round(v * 100)))})
	}
	var want []string
	for i, d := range done {
		want = append(want, w.tr("ar", "assess.row", map[string]any{"Place": i + 1,
			"Name": "\u2068" + w.h.centreName(d.code, "ar") + "\u2069", "P": percent(d.share)}))
	}
	if len(notDone) == 0 || len(done) == 0 {
		t.Fatalf("the seed should leave some centres done and some not")
	}
	lines := strings.Split(text, "\n")
	var rows []string
	for _, l := range lines {
		if len(l) > 0 && l[0] >= '0' && l[0] <= '9' {
			rows = append(rows, l)
		}
	}
	if !slices.Equal(rows, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	for _, code := range notDone {
		if !strings.Contains(text, "\u2068"+w.h.centreName(code, "ar")+"\u2069") {
			t.Errorf("%s is not done; not named", code)
		}
	}
	for _, s := range q.Standards {
		if gaps[s.Code] == 0 {
			continue
		}
		line := w.tr("ar", "assess.unmet_row", map[string]any{"Standard": s.Text.AR, "Count": gaps[s.Code]})
		if !slices.Contains(lines, line) {
			t.Errorf("want the line %q", line)
		}
	}
}

// TestAssessmentNotYetDue: a month's self-assessment is owed only once
// it is due (opened on the 1st at 09:00, due 7 days later, when managers
// are told). On 2 December nobody owes December's: the ranking marks no
// centre, and November's, done, still counts, so the stars do not jump on
// the 1st; one done early counts at once. Once December's is due it is
// owed, and November's no longer stands in for it.
func TestAssessmentNotYetDue(t *testing.T) {
	w := newWorldWith(t, manyCentres(3)+qualityTail)
	ctx := context.Background()
	w.now = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC) // 12:00 in Dubai
	seedQuality(t, w, 3, rand.New(rand.NewPCG(3, 1)))
	assess := func(code, month, mark string) float64 {
		var items []item
		for _, s := range w.h.quality().Standards {
			ans := shakwa.Answer{Criterion: s.Code, Mark: mark, Reason: "…", Owner: "…", Priority: s.Priority, Weight: s.Weight,
				By: noura.id, At: w.now}
			if _, _, err := w.store.AnswerAssessment(ctx, code, month, ans, w.h.quality().StandardCodes()); err != nil {
				t.Fatal(err)
			}
			items = append(items, item{s.Priority, s.Weight, shakwa.MarkValue(mark)})
		}
		share, _ := bruteShare(items)
		return share
	}
	// QAA did November's; QAB did none; QAC did November's and, early,
	// December's.
	novQAA := assess("QAA", "2026-11", shakwa.MarkPartly)
	assess("QAC", "2026-11", shakwa.MarkUnmet)
	decQAC := assess("QAC", "2026-12", shakwa.MarkMet)
	// marked: without an assessment done while one is owed.
	type want struct {
		assessed, marked bool
		share            float64
	}
	check := func(when, period string, wants map[string]want) {
		t.Helper()
		span, err := w.h.cal.Parse(period, w.now)
		if err != nil {
			t.Fatal(err)
		}
		cs := []centreFigures{{Code: "QAA"}, {Code: "QAB"}, {Code: "QAC"}}
		if err := w.h.withQuality(ctx, span, cs); err != nil {
			t.Fatal(err)
		}
		for _, f := range cs {
			q, wt := f.Quality, wants[f.Code]
			marked := q.Expected && !q.Assessed
			if q.Assessed != wt.assessed || marked != wt.marked || wt.assessed && math.Abs(q.Assessment-wt.share) > 1e-9 {
				t.Errorf("%s, %q: %s assessed %v (%v), marked %v; want %v (%v), %v", when, period, f.Code,
					q.Assessed, q.Assessment, marked, wt.assessed, wt.share, wt.marked)
			}
		}
	}
	check("2 December", "", map[string]want{"QAA": {true, false, novQAA}, "QAB": {}, "QAC": {true, false, decQAC}})
	check("2 December", "today", map[string]want{"QAA": {true, false, novQAA}, "QAB": {}, "QAC": {true, false, decQAC}})
	check("2 December", "last 30 days", map[string]want{"QAA": {true, false, novQAA}, "QAB": {false, true, 0},
		"QAC": {true, false, decQAC}})
	for _, cmd := range []string{"/ranking", "/ranking today", "/report daily", "/report weekly"} {
		for _, r := range find(w.text(manager, cmd), manager.id, "") {
			if strings.Contains(r.Text, "دون تقييم ذاتي") {
				t.Errorf("2 December, %s marks a centre whose assessment is not due yet:\n%s", cmd, r.Text)
			}
		}
	}
	if text := find(w.text(manager, "/ranking last 30 days"), manager.id, "🏆"); len(text) != 1 ||
		strings.Count(text[0].Text, "دون تقييم ذاتي") != 1 {
		t.Errorf("2 December, /ranking last 30 days: %v; want QAB marked for November's", texts(text))
	}

	// 8 December, 09:00 in Dubai: December's is due.
	w.now = time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC)
	check("8 December", "", map[string]want{"QAA": {false, true, 0}, "QAB": {false, true, 0}, "QAC": {true, false, decQAC}})
}

// TestRankingComplaintsWeighNothing: with quality.weights.complaints 0
// the stars are the quality programme's alone. A centre with a
// self-assessment or a visit is ranked on it, however few its requests;
// one with neither, however many requests it had, has nothing to score:
// it is listed as not rated, never with stars (not its complaints', not
// 0, not NaN), in /ranking and in the monthly report.
func TestRankingComplaintsWeighNothing(t *testing.T) {
	const n = 4
	tail := strings.Replace(qualityTail, "quality:\n", "quality:\n  weights: {complaints: 0}\n", 1)
	w := newWorldWith(t, manyCentres(n)+tail)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(4, 4))
	seedQuality(t, w, n, r) // QAD: four requests
	q := w.h.quality()
	// QAA and QAD did November's, QAB had a visit, QAC (thirty-odd
	// requests), KRM and BRS have neither.
	var share float64
	for _, code := range []string{"QAA", "QAD"} {
		var items []item
		for _, s := range q.Standards {
			ans := shakwa.Answer{Criterion: s.Code, Mark: shakwa.MarkPartly, Reason: "…", Owner: "…", Priority: s.Priority,
				Weight: s.Weight, By: noura.id, At: w.now}
			if _, _, err := w.store.AnswerAssessment(ctx, code, "2026-11", ans, q.StandardCodes()); err != nil {
				t.Fatal(err)
			}
			items = append(items, item{s.Priority, s.Weight, 0.5})
		}
		share, _ = bruteShare(items)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, w.h.centreLoc("QAB"))
	v, items := randomVisit(w, r, "QAB", day)
	if err := w.store.AddVisit(ctx, v, day, "QAB-visit"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.store.ReleaseVisit(ctx, v.ID, manager.id, w.now); err != nil {
		t.Fatal(err)
	}
	visit, _ := bruteShare(items)
	stars := func(v float64) string { return strconv.FormatFloat(math.Round((1+6*v)*10)/10, 'f', 1, 64) }

	text := find(w.text(manager, "/ranking last 30 days"), manager.id, "🏆")
	if len(text) != 1 {
		t.Fatalf("/ranking: no ranking")
	}
	got := text[0].Text
	t.Logf("\n%s", got)
	for _, c := range []struct{ code, stars string }{{"QAA", stars(share)}, {"QAB", stars(visit)}, {"QAD", stars(share)}} {
		if !strings.Contains(got, "مركز "+c.code+"\u2069 · ⭐ "+c.stars+" من 7") {
			t.Errorf("%s: want it ranked with ⭐ %s", c.code, c.stars)
		}
	}
	if strings.Contains(got, "NaN") || strings.Contains(got, "مركز QAC\u2069 · ⭐") {
		t.Errorf("QAC has nothing to score; ranked anyway")
	}
	unrated := "بلا نجوم لعدم وجود تقييم ذاتي أو زيارة معتمدة في هذه الفترة، 3 مراكز: " + strings.Join([]string{
		isolate(w.h.centreName("BRS", "ar")), isolate(w.h.centreName("KRM", "ar")), isolate("مركز QAC")}, "، ")
	if !slices.Contains(strings.Split(got, "\n"), unrated) {
		t.Errorf("want the line %q", unrated)
	}
	if strings.Contains(got, "خارج الترتيب لقلة الطلبات") || strings.Contains(got, "رضا المتعاملين (30%)") ||
		!strings.Contains(got, "من برنامج الجودة وحده: التقييم الذاتي الشهري بوزن 25، وزيارات المتسوق السري المعتمدة بوزن 15، ولا تُحتسب الطلبات.") {
		t.Errorf("requests weigh nothing: no centre is apart for too few, and the stars are said to be the quality programme's alone")
	}

	// The monthly report of November, on 1 December.
	w.now = time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC)
	report := find(w.text(manager, "/report monthly"), manager.id, "النجوم وما حرّكها")
	if len(report) != 1 {
		t.Fatalf("/report monthly: no quality section")
	}
	lines := strings.Split(report[0].Text, "\n")
	for _, code := range []string{"QAA", "QAB", "QAC", "QAD"} {
		i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "مركز "+code+"\u2069") })
		if i < 0 {
			t.Errorf("the monthly report does not name %s:\n%s", code, report[0].Text)
			continue
		}
		want := map[string]string{"QAA": stars(share), "QAB": stars(visit), "QAD": stars(share)}[code]
		if want != "" && !strings.HasPrefix(lines[i], want+"★ ") ||
			want == "" && (strings.Contains(lines[i], "★") || !strings.HasSuffix(lines[i], " — بلا نجوم لعدم وجود تقييم ذاتي أو زيارة معتمدة في الفترة")) {
			t.Errorf("the monthly report: %q; want ⭐ %q (none: not rated)", lines[i], want)
		}
	}
}
