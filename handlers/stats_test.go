package handlers

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/export"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/stats"
)

// TestStatsWhoAndWhat: figures are for managers and supervisors (a
// supervisor's own centres), a period or a centre they do not have gets
// a clear answer, and the title names the period in the reader's words.
func TestStatsWhoAndWhat(t *testing.T) {
	w := newWorld(t)
	for _, p := range []person{citizen, fatima} {
		if rs := w.text(p, "/stats"); len(find(rs, p.id, "للمديرين والمشرفين فقط")) != 1 {
			t.Errorf("%s /stats: %v", p.name, texts(rs))
		}
	}
	if rs := w.text(manager, "/stats yearly"); len(find(rs, manager.id, "الأسبوع الماضي")) != 1 {
		t.Errorf("a period that is none: %v; want the usage, with examples", texts(rs))
	}
	for _, tc := range []struct{ args, want string }{
		{"", "هذا الشهر حتى الآن"},
		{"الأسبوع", "هذا الأسبوع حتى الآن"},
		{"last week", "الأسبوع الماضي"},
		{"آخر ٧ أيام", "آخر 7 أيام\n"},
		{"2026-10", "أكتوبر 2026"},
		{"اليوم krm", "مركز"},
	} {
		if rs := w.text(manager, "/stats "+tc.args); len(find(rs, manager.id, tc.want)) != 1 {
			t.Errorf("/stats %s: %v; want %q", tc.args, texts(rs), tc.want)
		}
	}
	// A supervisor of one centre asks for another.
	one := newWorldWith(t, strings.Replace(testConfig, "role: supervisor, centres: [KRM, BRS]", "role: supervisor, centres: [KRM]", 1))
	if rs := one.text(noura, "/stats brs"); len(find(rs, noura.id, "لا تشمل صلاحياتك")) != 1 {
		t.Errorf("a supervisor asking for another centre: %v", texts(rs))
	}
	rs := w.text(noura, "/stats")
	if len(rs) != 1 || !strings.Contains(rs[0].Text, "مركزان") {
		t.Errorf("a supervisor's /stats: %v; want their two centres inline", texts(rs))
	}
	// The period buttons under one centre's figures stay with it.
	w.text(noura, "/stats KRM")
	rs = find(w.press(noura, "stats:today KRM"), noura.id, "📊")
	if len(rs) != 1 || !strings.Contains(rs[0].Text, "الكرامة") || strings.Contains(rs[0].Text, "البرشاء") {
		t.Errorf("«اليوم» under /stats KRM: %v; want today's figures of KRM alone", texts(rs))
	}
	if len(rs) == 1 && (len(rs[0].Buttons) != 1 || rs[0].Buttons[0][1].Data != "stats:week KRM") {
		t.Errorf("buttons %+v; want each period of KRM", rs[0].Buttons)
	}
}

// TestStatsFigures: the figures /stats reads, for every kind of span,
// equal a count made from the tickets themselves; the backlog is the
// tickets open now, by age.
func TestStatsFigures(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	staff := shakwa.Staff{ID: fatima.id, Name: "فاطمة"}
	var ids []string
	for i := range 200 {
		created := w.now.Add(-time.Duration(r.Int64N(int64(45 * 24 * time.Hour))))
		tk := &shakwa.Ticket{Centre: []string{"KRM", "BRS"}[i%2], Category: "waiting", Text: "…", Created: created, Updated: created}
		who := shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(7000 + i)}
		if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
		at := created
		next := func() time.Time {
			at = at.Add(time.Duration(r.Int64N(int64(30 * time.Hour))))
			return at
		}
		if r.IntN(4) > 0 && next().Before(w.now) {
			w.store.Claim(ctx, tk.ID, staff, nil, at)
			if r.IntN(3) > 0 && next().Before(w.now) {
				w.store.Resolve(ctx, tk.ID, staff, "…", at)
				if r.IntN(2) == 0 && next().Before(w.now) {
					w.store.Rate(ctx, tk.ID, who, 1+r.IntN(5), at)
				}
			}
		}
	}
	var ts []*shakwa.Ticket
	for _, id := range ids {
		tk, err := w.store.Ticket(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tk)
	}
	for _, words := range []string{"today", "yesterday", "week", "last week", "month", "last month", "last 30 days"} {
		span, err := w.h.cal.Parse(words, w.now)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := w.h.figures(ctx, span, []string{"KRM", "BRS"})
		if err != nil {
			t.Fatal(err)
		}
		end := span.To
		if span.Now.Before(span.To) {
			end = span.Now
		}
		in := func(at time.Time) bool { return !at.IsZero() && !at.Before(span.From) && at.Before(end) }
		for _, c := range cs {
			var want centreFigures
			for _, tk := range ts {
				if tk.Centre != c.Code {
					continue
				}
				if in(tk.Created) {
					want.Received++
				}
				if in(tk.Claimed) {
					want.Claimed++
				}
				if (tk.Status == shakwa.StatusResolved || tk.Status == shakwa.StatusClosed) && in(tk.Resolved) {
					want.Resolved++
				}
				if tk.Rating > 0 && in(tk.Rated) {
					want.Ratings[tk.Rating-1]++
				}
				if tk.Status.Open() {
					want.Open++
					if w.now.Sub(tk.Created) > 3*24*time.Hour {
						want.Older[oldAge]++
					}
				}
			}
			got := fmt.Sprint(c.Received, c.Claimed, c.Resolved, c.Ratings, c.Open, c.Older[oldAge])
			if exp := fmt.Sprint(want.Received, want.Claimed, want.Resolved, want.Ratings, want.Open, want.Older[oldAge]); got != exp {
				t.Errorf("%s %s: received, claimed, resolved, ratings, open, old = %s; want %s", words, c.Code, got, exp)
			}
		}
	}
}

// TestFigureWords: durations and shares are rounded, never cut, and read
// in the reader's words.
func TestFigureWords(t *testing.T) {
	w := newWorld(t)
	h := w.h.words
	for _, tc := range []struct {
		d      time.Duration
		ar, en string
	}{
		{10 * time.Second, "أقل من دقيقة", "under a minute"},
		{59*time.Minute + 40*time.Second, "1 س", "1 h"},
		{time.Hour + 59*time.Minute + 20*time.Second, "1 س 59 د", "1 h 59 min"},
		{71*time.Hour + 59*time.Minute, "3 ي", "3 d"},
		{26*time.Hour + 40*time.Minute, "1 ي 3 س", "1 d 3 h"},
		{23*time.Hour + 59*time.Minute + 50*time.Second, "1 ي", "1 d"},
	} {
		if got := h.shortDuration("ar", tc.d); got != tc.ar {
			t.Errorf("%v in Arabic = %q; want %q", tc.d, got, tc.ar)
		}
		if got := h.shortDuration("en", tc.d); got != tc.en {
			t.Errorf("%v in English = %q; want %q", tc.d, got, tc.en)
		}
	}
	for _, tc := range []struct {
		met, due int64
		want     string
	}{
		{199, 200, "99.5%"}, {1999, 2000, "99.9%"}, {19999, 20000, "99.9%"}, {200, 200, "100%"},
		{1, 20000, "0.1%"}, {0, 5, "0%"}, {46, 50, "92%"}, {0, 0, "—"},
	} {
		if got := h.percent("en", stats.Share{Met: tc.met, Due: tc.due}); got != tc.want {
			t.Errorf("%d of %d = %q; want %q", tc.met, tc.due, got, tc.want)
		}
	}
	for hundredths, want := range map[int64]string{495: "4.95", 401: "4.01", 500: "5.00", 100: "1.00", 105: "1.05", 7: "0.07"} {
		if got := ratingText(hundredths); got != want {
			t.Errorf("%d hundredths = %q; want %q", hundredths, got, want)
		}
	}
}

// TestStatsManyCentres: with more centres than a phone screen holds,
// /stats is one message (the total and the centres that need attention,
// worst first) and the whole table as a spreadsheet.
func TestStatsManyCentres(t *testing.T) {
	yaml := testConfig
	var more strings.Builder
	for i, code := range []string{"DXB", "SHJ", "AJM", "RAK"} {
		fmt.Fprintf(&more, "  - code: %s\n    name: {ar: \"مركز %s\", en: \"%s Centre\"}\n    staff_chat: -10%d\n", code, code, code, 10+i)
	}
	yaml = strings.Replace(yaml, "categories:\n", more.String()+"categories:\n", 1)
	w := newWorldWith(t, yaml)
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	w.h.files = fs
	ctx := context.Background()
	// SHJ misses its targets, AJM has tickets waiting for days.
	for i := range 10 {
		for _, c := range []string{"SHJ", "AJM", "DXB"} {
			created := w.now.Add(-time.Duration(5*24+i) * time.Hour)
			tk := &shakwa.Ticket{Centre: c, Category: "waiting", Text: "…", Created: created, Updated: created}
			if err := w.store.CreateTicket(ctx, tk, shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(8000 + i)}, ""); err != nil {
				t.Fatal(err)
			}
			by := shakwa.Staff{ID: "111"}
			switch c {
			case "SHJ":
				w.store.Claim(ctx, tk.ID, by, nil, created.Add(3*time.Hour))
				w.store.Resolve(ctx, tk.ID, by, "…", created.Add(4*24*time.Hour))
			case "DXB":
				w.store.Claim(ctx, tk.ID, by, nil, created.Add(5*time.Minute))
				w.store.Resolve(ctx, tk.ID, by, "…", created.Add(time.Hour))
			}
		}
	}
	rs := w.text(manager, "/stats last 30 days")
	if len(rs) != 2 {
		t.Fatalf("/stats with 6 centres: %v; want a summary and a document", texts(rs))
	}
	sum := rs[0].Text
	if !strings.Contains(sum, "إلى متابعة") || !strings.Contains(sum, "مركز SHJ") || !strings.Contains(sum, "مركز AJM") ||
		strings.Contains(sum, "مركز DXB") {
		t.Errorf("summary:\n%s\nwant SHJ and AJM named as needing attention, DXB not", sum)
	}
	doc := rs[1]
	if len(doc.Attachments) != 1 || doc.Attachments[0].Kind != "document" || !strings.HasSuffix(doc.Attachments[0].Name, ".xlsx") {
		t.Fatalf("document reply %+v", doc)
	}
	rc, _, _, err := fs.Open(ctx, doc.Attachments[0].File)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	book, err := excelize.OpenReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows(book.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+6+1 || rows[0][0] != "المركز" || rows[len(rows)-1][1] != "30" {
		t.Errorf("table rows %v; want a header, six centres and the total of 30 received", rows)
	}
}

// TestSharesNeverPerfectWhenMissed: a share shown as 100 % means none was
// missed, in the message, the spreadsheet and the quality scores alike;
// 0 % means none was met.
func TestSharesNeverPerfectWhenMissed(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		s    stats.Share
		text string
		cell float64
	}{
		{stats.Share{Met: 1999, Due: 2000}, "99.9%", 99.9},
		{stats.Share{Met: 2000, Due: 2000}, "100%", 100},
		{stats.Share{Met: 1, Due: 5000}, "0.1%", 0.1},
		{stats.Share{Met: 0, Due: 5000}, "0%", 0},
		{stats.Share{Met: 2, Due: 3}, "66.7%", 66.7},
	} {
		if got := w.h.percent("en", tc.s); got != tc.text {
			t.Errorf("%+v in a message: %q; want %q", tc.s, got, tc.text)
		}
		f := centreFigures{Code: "KRM"}
		f.ClaimSLA = tc.s
		sheet := w.h.centresSheet("en", []centreFigures{f}, f)
		col := slices.Index(sheet.Header, w.tr("en", "stats.col.claim_sla", nil))
		if got := sheet.Rows[0][col]; got != export.Number(tc.cell) {
			t.Errorf("%+v in the spreadsheet: %+v; want %v", tc.s, got, tc.cell)
		}
	}
	for v, want := range map[float64]string{0.996: "99%", 1: "100%", 0.004: "1%", 0: "0%", 0.5: "50%"} {
		if got := w.h.wholePercent("en", v); got != want {
			t.Errorf("quality share %v: %q; want %q", v, got, want)
		}
	}
}

// TestSpanFileName: a spreadsheet's name gives the days it covers, as its
// title does: a month under way ends today.
func TestSpanFileName(t *testing.T) {
	loc := time.FixedZone("GST", 4*3600)
	cal := stats.Calendar{Loc: loc}
	now := time.Date(2026, 11, 22, 15, 0, 0, 0, loc)
	for kind, want := range map[stats.SpanKind]string{
		stats.SpanThisMonth: "20261101-20261122",
		stats.SpanLastMonth: "20261001-20261031",
		stats.SpanToday:     "20261122-20261122",
		stats.SpanYesterday: "20261121-20261121",
	} {
		if got := spanName(cal.Named(kind, now)); got != want {
			t.Errorf("%v on 22 November: %s; want %s", kind, got, want)
		}
	}
}

// TestAttentionAsShown: a centre is flagged for what its figures show,
// so a reason never contradicts its own figure: 89.95 % shows as 90 %
// and is not "under 90 %", 89.94 % shows as 89.9 % and is; an average of
// 3.497 shows as 3.50 and is not "under 3.5", 3.494 shows as 3.49 and is.
func TestAttentionAsShown(t *testing.T) {
	w := newWorld(t)
	// ratings of 1000 people, adding to sum stars: threes and fours.
	ratings := func(sum int64) [5]int64 { return [5]int64{0, 0, 4000 - sum, sum - 3000, 0} }
	for _, tc := range []struct {
		name    string
		claim   stats.Share
		resolve stats.Share
		stars   int64 // the sum of 1000 ratings; 0: none
		want    string
	}{
		{"claims 89.95%", stats.Share{Met: 1799, Due: 2000}, stats.Share{}, 0, ""},
		{"claims 89.94%", stats.Share{Met: 8994, Due: 10000}, stats.Share{}, 0, "الاستلام ضمن الهدف 89.9%"},
		{"resolved 89.95%", stats.Share{}, stats.Share{Met: 1799, Due: 2000}, 0, ""},
		{"resolved 89%", stats.Share{}, stats.Share{Met: 89, Due: 100}, 0, "المعالجة ضمن الهدف 89%"},
		{"rating 3.497", stats.Share{}, stats.Share{}, 3497, ""},
		{"rating 3.494", stats.Share{}, stats.Share{}, 3494, "الرضا 3.49 من 5"},
	} {
		f := centreFigures{Code: "KRM"}
		f.ClaimSLA, f.ResolveSLA = tc.claim, tc.resolve
		if tc.stars > 0 {
			f.Ratings = ratings(tc.stars)
		}
		got := w.h.attention("ar", []centreFigures{f})
		if tc.want == "" {
			if want := "✅ لا يحتاج أي مركز إلى متابعة: الأهداف متحققة ولا طلبات متأخرة."; got != want {
				t.Errorf("%s: %q; want no centre flagged", tc.name, got)
			}
			continue
		}
		if want := "• \u2068مركز سعادة المتعاملين - الكرامة\u2069: " + tc.want; !strings.HasSuffix(got, "\n"+want) {
			t.Errorf("%s: %q; want the line %q", tc.name, got, want)
		}
	}
}

// TestRatingShownExactly: an average that is an exact half in hundredths
// is rounded up wherever it is shown, from the stars themselves: 169
// stars over 40 ratings (4.225) read 4.23 in /stats, in /staff and in the
// export's figures, spreadsheet and CSV alike, where rounding the
// floating-point average gives 4.22.
func TestRatingShownExactly(t *testing.T) {
	w := newWorld(t)
	fs, err := files.Open(t.TempDir(), 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	w.h.files = fs
	ctx := context.Background()
	const rated, fives = 40, 9 // 31 fours and 9 fives: 169 stars
	stars := 4*rated + fives
	if got := math.Round(float64(stars)/rated*100) / 100; got != 4.22 {
		t.Fatalf("the float average rounds to %v; the case no longer tells exact rounding from it", got)
	}
	const want = "4.23"
	if got := big.NewRat(int64(stars), rated).FloatString(2); got != want {
		t.Fatalf("%d/%d = %s; want %s", stars, rated, got, want)
	}
	staff := shakwa.Staff{ID: fatima.id, Name: "فاطمة"}
	for i := range rated {
		created := w.now.Add(-time.Duration(3*i+10) * time.Minute)
		who := shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(9000 + i)}
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: created, Updated: created}
		if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.store.Claim(ctx, tk.ID, staff, nil, created.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.store.Resolve(ctx, tk.ID, staff, "…", created.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		n := 4
		if i < fives {
			n = 5
		}
		if _, err := w.store.Rate(ctx, tk.ID, who, n, created.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	rs := w.text(manager, "/stats krm")
	if len(rs) != 1 || !strings.Contains(rs[0].Text, want+" من 5 · 40 تقييماً") {
		t.Errorf("/stats krm: %v; want the rating %s of 5 from 40", texts(rs), want)
	}
	rs = w.text(manager, "/staff krm")
	if len(rs) == 0 || !strings.Contains(rs[0].Text, "⭐ "+want+" (40)") {
		t.Errorf("/staff krm: %v; want fatima's rating %s (40)", texts(rs), want)
	}
	files, _, err := w.h.Export(ctx, "ar", w.h.cal.Named(stats.SpanThisMonth, w.now), []string{"KRM"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("export: %d files; want a spreadsheet and three CSV files", len(files))
	}
	book, err := excelize.OpenReader(strings.NewReader(string(files[0].Data)))
	if err != nil {
		t.Fatal(err)
	}
	sheet, err := book.GetRows(book.GetSheetList()[1])
	if err != nil {
		t.Fatal(err)
	}
	table, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(files[2].Data), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for name, rows := range map[string][][]string{"spreadsheet": sheet, "CSV": table} {
		if len(rows) != 3 { // the header, KRM, the total
			t.Errorf("export %s: %q; want a header, KRM and the total", name, rows)
			continue
		}
		col := slices.Index(rows[0], w.tr("ar", "stats.col.rating", nil))
		for _, row := range rows[1:] {
			if col < 0 || col >= len(row) || row[col] != want {
				t.Errorf("export %s: row %q, rating column %d; want %s", name, row, col, want)
			}
		}
	}
}
