package handlers

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/internal/golden"
)

// layla is a mystery shopper.
var layla = person{"700", "Layla", "ar"}

// qualityConfig is the test configuration with an evaluator and the
// quality programme: three standards and a form of three questions.
var qualityConfig = testConfig + qualityTail

// qualityTail is testdata/quality.yaml: it ends a configuration whose
// last section is people.
var qualityTail = func() string {
	b, err := os.ReadFile("../testdata/quality.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// TestAssessmentArabic records a month of the self-assessment in Arabic:
// it opens on the 1st at 09:00 in the supervisor's chat, one standard at
// a time; a partly met one asks why and who follows it up; she stops and
// goes on later; a button pressed twice changes nothing; the other centre
// is reminded after 3 days and its managers told after 7; next month the
// standard not met comes first, with last month's reason.
// testdata/assessment_ar.golden.
func TestAssessmentArabic(t *testing.T) {
	w := newWorldWith(t, qualityConfig)
	ctx := context.Background()
	if err := w.h.ScheduleAssessments(ctx); err != nil {
		t.Fatal(err)
	}
	due, ok, err := w.store.JobDue(ctx, JobAssess, "KRM")
	if want := time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC); err != nil || !ok || !due.Equal(want) {
		t.Fatalf("KRM's first assessment is due %v (%v, %v); want %v: the 1st, 09:00 in Dubai", due, ok, err, want)
	}
	w.wait(due.Sub(w.now))
	w.runJobs(JobAssess)

	w.press(noura, "qa:m:KRM:2026-12:queue_signs:met")
	w.press(noura, "qa:m:KRM:2026-12:queue_signs:met") // twice: nothing more
	undo := "qa:undo:KRM:2026-12:queue_signs:" + strconv.FormatInt(w.now.UnixMilli(), 36)
	w.press(noura, undo) // mis-tapped: asked again
	w.press(noura, undo) // twice: an old button
	w.press(noura, "qa:m:KRM:2026-12:queue_signs:met")
	w.press(noura, "qa:m:KRM:2026-12:wait_posted:partly")
	w.press(noura, "cancel") // back to the standard
	w.press(noura, "qa:m:KRM:2026-12:wait_posted:partly")
	w.text(noura, "لا")
	w.text(noura, "الشاشة معطلة منذ أسبوع، والزمن يُعلن شفهياً فقط")
	w.text(noura, "فريق الدعم الفني")
	w.press(noura, "qa:later:KRM:2026-12")
	w.text(fatima, "/assessment") // staff may not

	w.wait(3 * 24 * time.Hour)
	w.runJobs(JobAssess) // reminders: KRM 2 of 3, BRS none
	w.text(noura, "/assessment")
	w.press(noura, "qa:m:KRM:2026-12:feedback_box:unmet")
	w.text(noura, "صندوق الملاحظات أزيل أثناء الصيانة")
	w.text(noura, "إدارة المرافق")
	a, err := w.store.Assessment(ctx, "KRM", "2026-12")
	if err != nil || a.Done.IsZero() || len(a.Answers) != 3 || a.Answers["wait_posted"].Owner != "فريق الدعم الفني" {
		t.Fatalf("KRM's December: %+v, %v", a, err)
	}

	w.wait(4 * 24 * time.Hour)
	w.runJobs(JobAssess) // BRS still not done: the manager is told
	w.text(manager, "/assessment")
	w.text(manager, "/assessment KRM")

	// January: what was not met comes first, with December's reason.
	w.wait(time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC).Sub(w.now))
	w.runJobs(JobAssess)
	golden.Check(t, "assessment_ar.golden", w.script.String())
}

// TestVisitArabic records a mystery shopper's visit in Arabic: filed in
// chat (the day typed in Arabic digits, a wrong answer refused, a photo),
// seen by the manager with her name and by nobody of the centre; released
// once (a second press changes nothing), then the centre's supervisor is
// told, without her name. testdata/visit_ar.golden.
func TestVisitArabic(t *testing.T) {
	w := newWorldWith(t, qualityConfig)
	w.text(fatima, "/visit") // not an evaluator
	w.text(layla, "/help")
	w.text(layla, "/visit")
	w.press(layla, "centre:KRM")
	w.text(layla, "٢٠/١١")
	w.press(layla, "via:visit")
	w.text(layla, "نصف ساعة")
	w.text(layla, "٣٥")
	w.press(layla, "score:courtesy:4")
	w.press(layla, "score:accurate:1")
	w.do(layla, bot.Message{Attachments: []shakwa.Attachment{{Kind: "photo", ID: "AgAD-visit-1"}}})
	w.text(layla, "الموظف كان لطيفاً، لكن شاشة الأرقام معطلة ولا يُعلن زمن الانتظار.")
	w.press(layla, "confirm")
	vs, err := w.store.Visits(context.Background(), []string{"KRM"}, w.now.AddDate(0, -1, 0), w.now.AddDate(0, 0, 1))
	if err != nil || len(vs) != 1 {
		t.Fatalf("visits: %v, %v", vs, err)
	}
	v := vs[0]
	if v.Day != "2026-11-20" || v.Channel != "visit" || len(v.Scores) != 3 || v.Scores[0].Score != 0.5 || len(v.Attachments) != 1 {
		t.Fatalf("the visit as kept: %+v", v)
	}

	// Before it is released the centre sees nothing of it.
	const name = "ليلى السويدي"
	for _, p := range []person{noura, fatima} {
		rs := w.text(p, "/visits")
		if len(find(rs, p.id, v.ID)) != 0 || len(find(rs, p.id, name)) != 0 {
			t.Errorf("%s sees the visit before it is released: %v", p.name, texts(rs))
		}
	}
	if rs := w.text(manager, "/visits"); len(find(rs, manager.id, v.ID)) != 1 || len(find(rs, manager.id, name)) != 1 {
		t.Errorf("the manager's /visits: %v; want the visit, with who filed it", texts(rs))
	}
	w.text(manager, "/ranking")
	rs := w.press(manager, "vr:"+v.ID)
	if told := find(rs, noura.id, "النتيجة"); len(told) != 1 || strings.Contains(told[0].Text, name) || !strings.Contains(told[0].Text, v.ID) {
		t.Errorf("the supervisor told of the release: %v; want one message, without the evaluator's name", texts(told))
	}
	if again := w.press(manager, "vr:"+v.ID); len(find(again, noura.id, "")) != 0 {
		t.Errorf("released twice: %v", texts(again))
	}
	if rs := w.text(noura, "/visits"); len(find(rs, noura.id, v.ID)) != 1 || len(find(rs, noura.id, name)) != 0 {
		t.Errorf("the supervisor's /visits after the release: %v; want it, without the evaluator's name", texts(rs))
	}
	w.text(layla, "/visits")
	out := w.script.String()
	golden.Check(t, "visit_ar.golden", out)
}

// TestMonthlyReportQuality: the monthly report names each centre's stars
// and what moved them: requests resolved, satisfaction, the month's
// self-assessment (or the mark of none), the visits released and the
// staff thanked by name.
func TestMonthlyReportQuality(t *testing.T) {
	w := newWorldWith(t, qualityConfig)
	ctx := context.Background()
	oct := time.Date(2026, 10, 14, 8, 0, 0, 0, time.UTC)
	who := shakwa.Address{Channel: "telegram", Chat: citizen.id}
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: oct, Updated: oct}
	if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
		t.Fatal(err)
	}
	staff := shakwa.Staff{ID: fatima.id, Name: "فاطمة المنصوري"}
	must := func(_ *shakwa.Ticket, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.store.Claim(ctx, tk.ID, staff, nil, oct.Add(10*time.Minute)))
	must(w.store.Resolve(ctx, tk.ID, staff, "تم", oct.Add(time.Hour)))
	must(w.store.Rate(ctx, tk.ID, who, 5, oct.Add(2*time.Hour)))
	f := &shakwa.Feedback{Kind: shakwa.KindThanks, Centre: "KRM", StaffID: fatima.id, Staff: "فاطمة", Text: "شكراً", Created: oct.Add(3 * time.Hour)}
	if err := w.store.AddFeedback(ctx, f, who); err != nil {
		t.Fatal(err)
	}
	for code, mark := range map[string]string{"queue_signs": "met", "wait_posted": "met", "feedback_box": "unmet"} {
		s, _ := w.h.quality().Standard(code)
		ans := shakwa.Answer{Criterion: code, Mark: mark, Priority: s.Priority, Weight: s.Weight, By: noura.id, At: oct}
		if _, _, err := w.store.AnswerAssessment(ctx, "KRM", "2026-10", ans, w.h.quality().StandardCodes()); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 10, 20, 0, 0, 0, 0, w.h.centreLoc("KRM"))
	v := &shakwa.Visit{Centre: "KRM", Day: "2026-10-20", Channel: "visit", By: layla.id, Filed: oct,
		Scores: []shakwa.VisitScore{{Question: "courtesy", Value: 5, Score: 1, Priority: "culture", Weight: 1}}}
	if err := w.store.AddVisit(ctx, v, day, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.store.ReleaseVisit(ctx, v.ID, manager.id, oct); err != nil {
		t.Fatal(err)
	}
	unreleased := &shakwa.Visit{Centre: "BRS", Day: "2026-10-21", Channel: "phone", By: layla.id, Filed: oct,
		Scores: []shakwa.VisitScore{{Question: "courtesy", Value: 1, Score: 0, Priority: "culture", Weight: 1}}}
	if err := w.store.AddVisit(ctx, unreleased, day.AddDate(0, 0, 1), ""); err != nil {
		t.Fatal(err)
	}
	rs := w.text(manager, "/report monthly")
	if len(find(rs, manager.id, "تنتظر اعتمادك")) != 1 || len(find(rs, manager.id, unreleased.ID)) != 1 {
		t.Errorf("the manager's monthly report does not name the visit awaiting release: %v", texts(rs))
	}
	if rs := w.text(noura, "/report monthly"); len(find(rs, noura.id, unreleased.ID)) != 0 {
		t.Errorf("the supervisor's monthly report names a visit not released: %v", texts(rs))
	}
	got := find(rs, manager.id, "⭐ النجوم وما حرّكها")
	if len(got) != 1 {
		t.Fatalf("the monthly report has no quality section: %v", texts(rs))
	}
	// The share met: experience 1 (40), efficiency 1 (25), channels 0 (20).
	want := []string{"\u2068مركز سعادة المتعاملين - الكرامة\u2069: طلب واحد عولج، الرضا 5.00، التقييم الذاتي 76%، زيارة سرية واحدة 100%، شُكر: \u2068فاطمة المنصوري\u2069 (1)",
		"\u2068مركز سعادة المتعاملين - البرشاء\u2069: لم يُعالج طلب، ⚠️ دون تقييم ذاتي"}
	for _, line := range want {
		if !strings.Contains(got[0].Text, line) {
			t.Errorf("the quality section:\n%s\nwant a line with\n%s", got[0].Text, line)
		}
	}
	if rs := w.text(manager, "/report daily"); len(find(rs, manager.id, "⭐ النجوم وما حرّكها")) != 0 {
		t.Errorf("the daily report has the monthly quality section")
	}
	// The section names the month it covers: the monthly report covers
	// the month before it goes out, not "this month".
	for _, c := range []struct{ cmd, head string }{
		{"/report monthly", "⭐ النجوم وما حرّكها في أكتوبر 2026:"},
		{"/report شهري 2026-09", "⭐ النجوم وما حرّكها في سبتمبر 2026:"},
		{"/report شهري هذا الشهر", "⭐ النجوم وما حرّكها في نوفمبر 2026 حتى الآن:"},
		{"/report شهري 2026-10-05..2026-10-20", "⭐ النجوم وما حرّكها في 5–20 أكتوبر 2026:"},
	} {
		got := find(w.text(manager, c.cmd), manager.id, "⭐ النجوم وما حرّكها")
		if len(got) != 1 || !strings.HasPrefix(got[0].Text, c.head+"\n") {
			t.Errorf("%s: the quality section %v; want it headed %q", c.cmd, texts(got), c.head)
		}
	}
}

// TestEvaluatorRights: an evaluator files visits and does nothing else:
// no tickets (even of the centres they visit), no invites, no staff
// answers; the visit flow offers only the centres they may visit.
func TestEvaluatorRights(t *testing.T) {
	w := newWorldWith(t, strings.Replace(qualityConfig, "role: evaluator}", "role: evaluator, centres: [KRM]}", 1))
	id := w.fileComplaint(citizen, "KRM")
	for _, cmd := range []string{"/queue", "/mine", "/overdue", "/reject " + id, "/reassign " + id, "/history " + id,
		"/invite manager", "/revoke 111", "نص حر", "/stats", "/ranking", "/assessment"} {
		rs := w.text(layla, cmd)
		for _, r := range rs {
			if strings.Contains(r.Text, id) || strings.Contains(r.Text, "ساعتين") || strings.Contains(r.Text, "رمز الدعوة") {
				t.Errorf("evaluator %q: %q", cmd, r.Text)
			}
		}
	}
	for _, id := range []string{"V-000001", "V-999999"} {
		if rs := w.text(noura, "/release "+id); len(find(rs, noura.id, w.tr("ar", "error.forbidden", nil))) != 1 {
			t.Errorf("a supervisor's /release %s: %v; want the same refusal whether it exists or not", id, texts(rs))
		}
	}
	rs := w.text(layla, "/visit")
	if len(rs) != 1 || len(rs[0].Buttons) != 2 || rs[0].Buttons[0][0].Data != "centre:KRM" {
		t.Errorf("the visit's centres for an evaluator of KRM: %+v; want KRM, then cancel", rs)
	}
	if rs := w.press(layla, "centre:BRS"); len(find(rs, layla.id, "في أي يوم")) != 0 {
		t.Errorf("an evaluator of KRM went on with BRS: %v", texts(rs))
	}
}

// TestAssessmentMonths: a press for a month that is not open (forged, or
// long past) changes nothing; with a late opening day, /assessment early
// in the next month fills in last month's; a run after downtime past the
// reminder still opens the month and sends the checklist, not a reminder.
func TestAssessmentMonths(t *testing.T) {
	w := newWorldWith(t, strings.Replace(qualityConfig, "quality:\n", "quality:\n  assessment: {day: 28}\n", 1))
	ctx := context.Background()
	w.press(noura, "qa:m:KRM:2031-05:queue_signs:met")
	if a, _ := w.store.Assessment(ctx, "KRM", "2031-05"); !a.Opened.IsZero() || len(a.Answers) != 0 {
		t.Errorf("a forged month was written: %+v", a)
	}
	// 22 November: the latest opening was 28 October.
	w.wait(10 * 24 * time.Hour) // 2 December, before anything ran
	rs := w.text(noura, "/assessment")
	if len(find(rs, noura.id, "نوفمبر 2026")) == 0 {
		t.Errorf("/assessment on 2 December with openings on the 28th: %v; want November's", texts(rs))
	}
	if err := w.h.ScheduleAssessments(ctx); err != nil {
		t.Fatal(err)
	}
	// The December opening's job runs four days late, past the reminder.
	w.wait(30*24*time.Hour + 5*time.Hour)
	rs = w.runJobs(JobAssess)
	if len(find(rs, noura.id, "حان موعد التقييم الذاتي")) != 2 || len(find(rs, noura.id, "تذكير")) != 0 {
		t.Errorf("a late opening: %v; want the checklist of each centre, no reminder", texts(rs))
	}
	for _, ce := range []string{"KRM", "BRS"} {
		if a, _ := w.store.Assessment(ctx, ce, "2026-12"); a.Opened.IsZero() {
			t.Errorf("%s's December was not opened by the late run", ce)
		}
	}
}

// TestVisitsInTheCentresZone: a visit's day is its centre's date. With
// the configured zone Asia/Dubai and a centre in Asia/Kolkata (90 minutes
// ahead), its visit on 1 November is November's, in /visits and in the
// stars, and one on 1 December is not; a centre in the configured zone
// keeps its own days.
func TestVisitsInTheCentresZone(t *testing.T) {
	yaml := strings.Replace(qualityConfig, "    sla: {claim: 30m, resolve: 48h}\n",
		"    sla: {claim: 30m, resolve: 48h}\n    timezone: Asia/Kolkata\n", 1)
	w := newWorldWith(t, yaml)
	if w.h.centreLoc("KRM").String() != "Asia/Kolkata" {
		t.Fatalf("KRM's zone is %v", w.h.centreLoc("KRM"))
	}
	ctx := context.Background()
	w.now = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	ids := map[string]string{}
	for _, v := range []struct{ centre, day string }{
		{"KRM", "2026-10-31"}, {"KRM", "2026-11-01"}, {"KRM", "2026-11-30"}, {"KRM", "2026-12-01"},
		{"BRS", "2026-10-31"}, {"BRS", "2026-11-01"},
	} {
		day, err := time.ParseInLocation(time.DateOnly, v.day, w.h.centreLoc(v.centre))
		if err != nil {
			t.Fatal(err)
		}
		visit := &shakwa.Visit{Centre: v.centre, Day: v.day, Channel: "visit", By: layla.id, Filed: w.now,
			Scores: []shakwa.VisitScore{{Question: "courtesy", Value: 5, Score: 1, Priority: "culture", Weight: 1}}}
		if err := w.store.AddVisit(ctx, visit, day, ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.store.ReleaseVisit(ctx, visit.ID, manager.id, w.now); err != nil {
			t.Fatal(err)
		}
		ids[v.centre+" "+v.day] = visit.ID
	}
	for _, c := range []struct {
		period string
		want   []string
	}{
		{"2026-10", []string{"KRM 2026-10-31", "BRS 2026-10-31"}},
		{"2026-11", []string{"KRM 2026-11-01", "KRM 2026-11-30", "BRS 2026-11-01"}},
		{"2026-11-01", []string{"KRM 2026-11-01", "BRS 2026-11-01"}},
		{"هذا الشهر", []string{"KRM 2026-12-01"}},
	} {
		rs := w.text(manager, "/visits "+c.period)
		for key, id := range ids {
			want := slices.Contains(c.want, key)
			if got := len(find(rs, manager.id, id)) == 1; got != want {
				t.Errorf("/visits %s: the visit of %s shown %v; want %v", c.period, key, got, want)
			}
		}
		span, err := w.h.cal.Parse(c.period, w.now)
		if err != nil {
			t.Fatal(err)
		}
		cs := []centreFigures{{Code: "KRM"}, {Code: "BRS"}}
		if err := w.h.withQuality(ctx, span, cs); err != nil {
			t.Fatal(err)
		}
		for _, f := range cs {
			want := 0
			for _, key := range c.want {
				if strings.HasPrefix(key, f.Code+" ") {
					want++
				}
			}
			if f.Quality.Visits != want {
				t.Errorf("%s, the stars of %s count %d visits; want %d", c.period, f.Code, f.Quality.Visits, want)
			}
		}
	}
}

// TestAssessmentEscalatedAfter: the managers are told how long after the
// opening the assessment is still not done, never cut to whole days:
// escalate_after 36h reads 36 hours, not "a day".
func TestAssessmentEscalatedAfter(t *testing.T) {
	w := newWorldWith(t, strings.Replace(qualityConfig, "quality:\n",
		"quality:\n  assessment: {remind_after: 12h, escalate_after: 36h}\n", 1))
	ctx := context.Background()
	if err := w.h.ScheduleAssessments(ctx); err != nil {
		t.Fatal(err)
	}
	w.wait(time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC).Sub(w.now)) // the opening
	w.runJobs(JobAssess)
	w.wait(12 * time.Hour)
	w.runJobs(JobAssess) // the reminders
	w.wait(24 * time.Hour)
	rs := w.runJobs(JobAssess)
	if got := find(rs, manager.id, "لم يكتمل بعد 36 ساعة من موعده"); len(got) != 2 {
		t.Errorf("the managers told after 36 hours: %v; want both centres, «بعد 36 ساعة»", texts(find(rs, manager.id, "")))
	}
	for _, c := range []struct {
		d      time.Duration
		ar, en string
	}{
		{168 * time.Hour, "7 أيام", "7 days"},
		{48 * time.Hour, "يومين", "2 days"},
		{24 * time.Hour, "يوم واحد", "1 day"},
		{36 * time.Hour, "36 ساعة", "36 hours"},
		{90 * time.Minute, "90 دقيقة", "90 minutes"},
	} {
		if got := w.h.exactDuration("ar", c.d); got != c.ar {
			t.Errorf("%v in Arabic: %q; want %q", c.d, got, c.ar)
		}
		if got := w.h.exactDuration("en", c.d); got != c.en {
			t.Errorf("%v in English: %q; want %q", c.d, got, c.en)
		}
	}
}

// TestRemovedFromTheForm: a standard or a visit question removed from
// the configuration keeps its answers, and is named as removed, with its
// code, rather than by the bare code.
func TestRemovedFromTheForm(t *testing.T) {
	w := newWorldWith(t, qualityConfig)
	ctx := context.Background()
	codes := append(w.h.quality().StandardCodes(), "lobby")
	for _, code := range codes {
		ans := shakwa.Answer{Criterion: code, Mark: shakwa.MarkUnmet, Reason: "…", Owner: "…", Priority: "experience",
			Weight: 1, By: noura.id, At: w.now}
		if _, _, err := w.store.AnswerAssessment(ctx, "KRM", "2026-11", ans, codes); err != nil {
			t.Fatal(err)
		}
	}
	got := find(w.text(manager, "/assessment 2026-11"), manager.id, "📋")
	if len(got) != 1 || !strings.Contains(got[0].Text, "\n• معيار محذوف (\u2068lobby\u2069) — في مركز واحد") {
		t.Errorf("the overview with a removed standard: %v; want it named «معيار محذوف (lobby)»", texts(got))
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, w.h.centreLoc("KRM"))
	v := &shakwa.Visit{Centre: "KRM", Day: "2026-11-20", Channel: "visit", By: layla.id, Filed: w.now,
		Scores: []shakwa.VisitScore{{Question: "smile", Value: 4, Score: 0.75, Priority: "culture", Weight: 1}}}
	if err := w.store.AddVisit(ctx, v, day, ""); err != nil {
		t.Fatal(err)
	}
	got = find(w.text(manager, "/visits"), manager.id, v.ID)
	if len(got) != 1 || !strings.Contains(got[0].Text, "\n• سؤال محذوف (\u2068smile\u2069): 4 من 5\n") {
		t.Errorf("a visit with a removed question: %v; want it named «سؤال محذوف (smile)»", texts(got))
	}
}

// TestVisitTypedWords: an evaluator may type what the buttons say: «أمس»
// for the day, «لا» or «نعم» to a yes-or-no question.
func TestVisitTypedWords(t *testing.T) {
	w := newWorldWith(t, qualityConfig)
	w.text(layla, "/visit")
	w.press(layla, "centre:KRM")
	w.text(layla, "أمس")
	w.press(layla, "via:visit")
	w.text(layla, "نصف ساعة")
	w.text(layla, "٣٥")
	w.press(layla, "score:courtesy:4")
	rs := w.text(layla, "لا")
	if len(find(rs, layla.id, w.tr("ar", "visit.bad_yesno", nil))) != 0 {
		t.Fatalf("«لا» to a yes-or-no question: %v; want it taken", texts(rs))
	}
	raw, err := w.store.Session(context.Background(), w.store.PersonID(shakwa.Address{Channel: "telegram", Chat: layla.id}))
	var s flows.Session
	if err != nil || json.Unmarshal(raw, &s) != nil {
		t.Fatalf("the visit's session: %q, %v", raw, err)
	}
	if v, ok := s.Scores["accurate"]; !ok || v != 0 {
		t.Errorf("the answer to «accurate»: %v (%v); want no (0)", v, ok)
	}
	if want := w.now.Add(4*time.Hour).AddDate(0, 0, -1).Format(time.DateOnly); s.Day != want {
		t.Errorf("«أمس» for the day: %q; want %s", s.Day, want)
	}
}

// TestManagerAssesses: a centre without a supervisor has its managers
// fill in its self-assessment, and /assessment goes on with it for them,
// as it does for a supervisor.
func TestManagerAssesses(t *testing.T) {
	cfg := strings.Replace(qualityConfig, `role: supervisor, centres: [KRM, BRS]}`, `role: supervisor, centres: [BRS]}`, 1)
	if cfg == qualityConfig {
		t.Fatal("the supervisor's centres are not in the test configuration as expected")
	}
	w := newWorldWith(t, cfg)
	openAssessments(t, w)
	w.press(manager, "qa:m:KRM:2026-12:queue_signs:met")
	rs := w.text(manager, "/assessment KRM")
	pressable := 0
	for _, r := range rs {
		for _, row := range r.Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Data, "qa:m:KRM:2026-12:") {
					pressable++
				}
			}
		}
	}
	if pressable == 0 {
		t.Errorf("/assessment KRM from the manager who fills it in: %v; want the next standard to answer", texts(rs))
	}
}

// TestStandardTakenOutMidMonth: a standard taken out of the configuration
// while the month waits only for its answer leaves nothing to answer: the
// month is done at the next look (the job, or /assessment), not reminded
// and escalated for ever.
func TestStandardTakenOutMidMonth(t *testing.T) {
	w := newWorldWith(t, qualityConfig)
	ctx := context.Background()
	openAssessments(t, w)
	w.press(noura, "qa:m:KRM:2026-12:queue_signs:met")
	w.press(noura, "qa:m:KRM:2026-12:wait_posted:met")
	gone := "    - code: feedback_box\n      text: {ar: \"وسيلة لتلقي الملاحظات متاحة في القاعة\", en: \"A way to give feedback is at hand in the hall\"}\n      priority: channels\n"
	if !strings.Contains(qualityConfig, gone) {
		t.Fatal("the standard is not in the test configuration as expected")
	}
	cfg, err := config.Parse([]byte(strings.Replace(qualityConfig, gone, "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.h.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if rs := w.text(noura, "/assessment KRM"); len(rs) == 0 {
		t.Fatal("no answer to /assessment")
	}
	a, err := w.store.Assessment(ctx, "KRM", "2026-12")
	if err != nil || a.Done.IsZero() {
		t.Errorf("KRM's December after its last unanswered standard went: done %v (%v); want done", a.Done, err)
	}
	w.wait(8 * 24 * time.Hour)
	if rs := w.runJobs(JobAssess); len(find(rs, manager.id, "KRM")) != 0 {
		t.Errorf("the manager was told of a month with nothing left to answer: %v", texts(rs))
	}
}

// openAssessments schedules the self-assessments and runs the first
// opening, KRM's.
func openAssessments(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	if err := w.h.ScheduleAssessments(ctx); err != nil {
		t.Fatal(err)
	}
	due, ok, err := w.store.JobDue(ctx, JobAssess, "KRM")
	if err != nil || !ok {
		t.Fatalf("KRM's assessment is not scheduled (%v)", err)
	}
	w.wait(due.Sub(w.now))
	w.runJobs(JobAssess)
}
