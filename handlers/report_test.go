package handlers

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/stats"
)

// TestReportTimes: reports go out at reports.at in the configured zone,
// the weekly on its day, the monthly on its date.
func TestReportTimes(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, "reopen_days: 7", "reopen_days: 7\nreports: {at: \"07:30\", weekly_on: monday, monthly_on: 2}", 1))
	dubai := w.h.cfg().Location
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, dubai) }
	now := at(2026, 11, 22, 12, 0) // a Sunday
	for _, tc := range []struct {
		kind       string
		now        time.Time
		slot, next time.Time
	}{
		{JobReportDaily, now, at(2026, 11, 22, 7, 30), at(2026, 11, 23, 7, 30)},
		{JobReportDaily, at(2026, 11, 22, 7, 30), at(2026, 11, 22, 7, 30), at(2026, 11, 23, 7, 30)},
		{JobReportDaily, at(2026, 11, 22, 7, 29), at(2026, 11, 21, 7, 30), at(2026, 11, 22, 7, 30)},
		{JobReportWeekly, now, at(2026, 11, 16, 7, 30), at(2026, 11, 23, 7, 30)},
		{JobReportMonthly, now, at(2026, 11, 2, 7, 30), at(2026, 12, 2, 7, 30)},
		{JobReportMonthly, at(2026, 12, 31, 23, 0), at(2026, 12, 2, 7, 30), at(2027, 1, 2, 7, 30)},
	} {
		if got := w.h.ReportSlot(tc.kind, tc.now); !got.Equal(tc.slot) {
			t.Errorf("%s slot at %v = %v; want %v", tc.kind, tc.now, got, tc.slot)
		}
		if got := w.h.NextReport(tc.kind)(tc.now); !got.Equal(tc.next) {
			t.Errorf("%s next after %v = %v; want %v", tc.kind, tc.now, got, tc.next)
		}
	}
}

// reportWorld is a world with a file store for charts and tables, and
// tickets over the 40 days before now on every channel.
func reportWorld(t *testing.T, yaml string) (*world, []*shakwa.Ticket, *files.Store) {
	t.Helper()
	w := newWorldWith(t, yaml)
	fs, err := files.Open(t.TempDir(), 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	w.h.files = fs
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 12))
	var ts []*shakwa.Ticket
	staff := shakwa.Staff{ID: "111"}
	for i := range 300 {
		created := w.now.Add(-time.Duration(r.Int64N(int64(40 * 24 * time.Hour))))
		who := shakwa.Address{Channel: stats.Channels[r.IntN(3)], Chat: fmt.Sprint(30000 + i)}
		tk := &shakwa.Ticket{Centre: []string{"KRM", "BRS"}[r.IntN(2)], Category: "waiting", Text: "…", Created: created, Updated: created}
		if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
			t.Fatal(err)
		}
		at := created.Add(time.Duration(r.Int64N(int64(2 * time.Hour))))
		if at.Before(w.now) {
			w.store.Claim(ctx, tk.ID, staff, nil, at)
			at = at.Add(time.Duration(r.Int64N(int64(60 * time.Hour))))
			if at.Before(w.now) {
				w.store.Resolve(ctx, tk.ID, staff, "…", at)
				if at = at.Add(time.Hour); at.Before(w.now) {
					w.store.Rate(ctx, tk.ID, who, 1+r.IntN(5), at)
				}
			}
		}
		got, err := w.store.Ticket(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, got)
	}
	return w, ts, fs
}

// TestReportCommand: /report weekly is the figures, the ranking, the
// staff to thank and three charts as pictures; the chart figures are
// what the tickets count; a word that is no report gets the usage.
func TestReportCommand(t *testing.T) {
	w, ts, fs := reportWorld(t, testConfig)
	ctx := context.Background()
	if rs := w.text(manager, "/report yearly"); len(find(rs, manager.id, "/report أسبوعي KRM")) != 1 {
		t.Errorf("/report yearly: %v; want the usage", texts(rs))
	}
	if rs := w.text(fatima, "/report"); len(find(rs, fatima.id, "للمديرين والمشرفين فقط")) != 1 {
		t.Errorf("staff /report: %v", texts(rs))
	}
	rs := w.text(manager, "/report أسبوعي")
	if len(rs) < 4 || !strings.HasPrefix(rs[0].Text, "📋 التقرير الأسبوعي\n📊 الأسبوع الماضي") {
		t.Fatalf("/report weekly: %v", texts(rs))
	}
	var pictures []shakwa.Attachment
	for _, r := range rs {
		for _, a := range r.Attachments {
			if a.Kind == "photo" {
				pictures = append(pictures, a)
			}
		}
	}
	if len(pictures) != 3 {
		t.Fatalf("/report weekly: %d pictures; want 3", len(pictures))
	}
	dir := artifacts(t, "reports")
	for _, a := range pictures {
		rc, _, _, err := fs.Open(ctx, a.File)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil || img.Bounds().Dx() < 1000 {
			t.Errorf("%s: not a chart: %v", a.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "weekly-"+a.Name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The per-day figures the charts draw, against the tickets.
	span := w.h.cal.Named(stats.SpanLastWeek, w.now)
	days := reportDays(reportKinds[1], span)
	volume, rating, err := w.h.daily(ctx, days, []string{"KRM", "BRS"})
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range days {
		next := d.AddDate(0, 0, 1)
		want := make([]int64, len(stats.Channels))
		var stars, n int64
		for _, tk := range ts {
			if !tk.Created.Before(d) && tk.Created.Before(next) {
				for k, ch := range stats.Channels {
					if tk.Channel == ch {
						want[k]++
					}
				}
			}
			if tk.Rating > 0 && !tk.Rated.Before(d) && tk.Rated.Before(next) {
				stars += int64(tk.Rating)
				n++
			}
		}
		if fmt.Sprint(volume[i]) != fmt.Sprint(want) {
			t.Errorf("%s received by channel %v; want %v", d.Format("2006-01-02"), volume[i], want)
		}
		avg, got := rating[i].Rating()
		if got != n || n > 0 && fmt.Sprintf("%.4f", avg) != fmt.Sprintf("%.4f", float64(stars)/float64(n)) {
			t.Errorf("%s ratings %d avg %.4f; want %d avg %.4f", d.Format("2006-01-02"), got, avg, n, float64(stars)/float64(n))
		}
	}
	// A period without the report's name takes the report of its length;
	// only the first report word names the report.
	for args, want := range map[string]string{
		"last week":     "📋 التقرير الأسبوعي\n📊 الأسبوع الماضي",
		"الشهر الماضي":  "📋 التقرير الشهري\n📊 الشهر الماضي",
		"أمس":           "📋 التقرير اليومي\n📊 أمس",
		"monthly today": "📋 التقرير الشهري\n📊 اليوم",
		"weekly day":    "📋 التقرير الأسبوعي\n📊",
	} {
		if rs := w.text(manager, "/report "+args); len(rs) == 0 || !strings.HasPrefix(rs[0].Text, want) {
			t.Errorf("/report %s: %v; want %q", args, texts(rs[:min(len(rs), 1)]), want)
		}
	}
	// In English, one centre, daily: the week up to yesterday.
	w.text(manager, "/lang")
	w.press(manager, "lang:en")
	rs = w.text(manager, "/report daily krm")
	if len(rs) < 2 || !strings.HasPrefix(rs[0].Text, "📋 Daily report\n📊 Yesterday") || strings.Contains(rs[0].Text, "Barsha") {
		t.Errorf("/report daily krm in English: %v", texts(rs))
	}
}

// artifacts is a directory for files to look at after the tests:
// $SHAKWA_ARTIFACTS/name, or artifacts/name at the top of the project.
func artifacts(t *testing.T, name string) string {
	t.Helper()
	root := os.Getenv("SHAKWA_ARTIFACTS")
	if root == "" {
		root = filepath.Join("..", "artifacts")
	}
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// queued records what job runs queue, by once key, as the outbox would
// take it.
type queued struct {
	mu    sync.Mutex
	calls map[string]int
	list  []bot.Reply
}

func (q *queued) Enqueue(_ context.Context, once string, _ time.Duration, rs []bot.Reply) (bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls[once]++
	if q.calls[once] > 1 {
		return false, nil
	}
	q.list = append(q.list, rs...)
	return true, nil
}

// TestScheduledReports: with two replicas running the jobs on one Redis,
// each manager and supervisor gets each report once at its time, over
// three weeks of a clock; after three days down, the latest daily report
// missed goes out once, and the schedule goes on from there.
func TestScheduledReports(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	clock := struct {
		sync.Mutex
		now time.Time
	}{now: time.Date(2026, 11, 20, 0, 0, 0, 0, w.h.cfg().Location)}
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.now }
	out := &queued{calls: map[string]int{}}
	var runners []*bot.Jobs
	for range 2 {
		h := New(w.h.cfg(), w.store, w.h.text, now, slog.New(slog.DiscardHandler), Options{})
		if err := h.ScheduleReports(ctx); err != nil {
			t.Fatal(err)
		}
		jobs := bot.NewJobs(w.store, out, now, slog.New(slog.DiscardHandler))
		for _, k := range reportKinds {
			jobs.Recur(k.Job, h, h.NextReport(k.Job))
		}
		runners = append(runners, jobs)
	}
	runBoth := func() {
		var wg sync.WaitGroup
		for _, r := range runners {
			wg.Go(func() {
				if _, err := r.RunDue(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	step := func(to time.Time) {
		for now().Before(to) {
			clock.Lock()
			clock.now = clock.now.Add(30 * time.Minute)
			clock.Unlock()
			runBoth()
		}
	}
	step(time.Date(2026, 12, 10, 0, 0, 0, 0, w.h.cfg().Location))
	// Readers: Noura (supervisor) and Saeed (manager). From 20 Nov to 10
	// Dec: 20 daily reports, 3 weekly (Sundays 22 and 29 Nov, 6 Dec), 1
	// monthly (1 Dec).
	count := func(title string) map[string]int {
		n := map[string]int{}
		for _, r := range out.list {
			if strings.HasPrefix(r.Text, title) {
				n[r.Chat]++
			}
		}
		return n
	}
	for title, want := range map[string]int{"📋 التقرير اليومي": 20, "📋 التقرير الأسبوعي": 3, "📋 التقرير الشهري": 1} {
		got := count(title)
		if got[noura.id] != want || got[manager.id] != want || len(got) != 2 {
			t.Errorf("%s: sent %v; want %d each to %s and %s", title, got, want, noura.id, manager.id)
		}
	}
	for once, n := range out.calls {
		if n != 1 {
			t.Errorf("%s queued %d times", once, n)
		}
	}
	// Down from 10 Dec 00:00 to 13 Dec 10:00: one daily report, of the
	// 12th, and the next on the 14th.
	clock.Lock()
	clock.now = time.Date(2026, 12, 13, 10, 0, 0, 0, w.h.cfg().Location)
	clock.Unlock()
	before := len(out.list)
	runBoth()
	var late []bot.Reply
	for _, r := range out.list[before:] {
		if strings.HasPrefix(r.Text, "📋 التقرير اليومي") {
			late = append(late, r)
		}
	}
	if len(late) != 2 || !strings.Contains(late[0].Text, "12 ديسمبر 2026") {
		t.Errorf("after downtime: %v; want the report of 12 December once to each", texts(late))
	}
	due, ok, err := w.store.JobDue(ctx, JobReportDaily, manager.id)
	if err != nil || !ok || !due.Equal(time.Date(2026, 12, 14, 8, 0, 0, 0, w.h.cfg().Location)) {
		t.Errorf("next daily report due %v, %v, %v; want 14 December 08:00", due, ok, err)
	}
}

// TestReportTimeReloaded: reports.at moved by a reload moves the daily
// report from the next run on, earlier or later, and no day's report goes
// out twice or is skipped.
func TestReportTimeReloaded(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	loc := w.h.cfg().Location
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, loc)
	clock := func() time.Time { return now }
	h := New(w.h.cfg(), w.store, w.h.text, clock, slog.New(slog.DiscardHandler), Options{})
	if err := h.ScheduleReports(ctx); err != nil {
		t.Fatal(err)
	}
	out := &queued{calls: map[string]int{}}
	jobs := bot.NewJobs(w.store, out, clock, slog.New(slog.DiscardHandler))
	for _, k := range reportKinds {
		jobs.Recur(k.Job, h, h.NextReport(k.Job))
	}
	sent := map[string][]string{} // day covered → times sent, to the manager
	step := func(to time.Time) {
		for now.Before(to) {
			now = now.Add(15 * time.Minute)
			before := len(out.list)
			if _, err := jobs.RunDue(ctx); err != nil {
				t.Fatal(err)
			}
			for _, r := range out.list[before:] {
				if r.Chat == manager.id && strings.HasPrefix(r.Text, "📋 التقرير اليومي") {
					day := now.In(loc).AddDate(0, 0, -1).Format("01-02")
					sent[day] = append(sent[day], now.In(loc).Format("15:04"))
				}
			}
		}
	}
	reload := func(at string) {
		cfg := *h.cfg()
		cfg.Reports.At = at
		if err := h.Reload(&cfg); err != nil {
			t.Fatal(err)
		}
		if err := h.ScheduleReports(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step(time.Date(2026, 11, 21, 6, 0, 0, 0, loc))
	reload("07:00") // earlier, before today's went
	step(time.Date(2026, 11, 23, 9, 0, 0, 0, loc))
	reload("10:00") // later, after today's went
	step(time.Date(2026, 11, 25, 6, 0, 0, 0, loc))
	reload("11:30") // later, before today's went
	step(time.Date(2026, 11, 26, 0, 0, 0, 0, loc))
	want := map[string][]string{
		"11-19": {"08:00"}, "11-20": {"07:00"}, "11-21": {"07:00"}, "11-22": {"07:00"},
		"11-23": {"10:00"}, "11-24": {"11:30"},
	}
	if fmt.Sprint(sent) != fmt.Sprint(want) {
		t.Errorf("daily reports to the manager, by day covered: %v; want %v", sent, want)
	}
}
