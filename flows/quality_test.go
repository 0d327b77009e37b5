package flows

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var qcat = func() Catalog {
	c := cat
	c.Form = []Question{{"wait", "minutes"}, {"courtesy", "scale"}, {"accurate", "yesno"}}
	c.Channels = []string{"visit", "phone", "website", "app", "whatsapp", "telegram"}
	c.Loc = time.FixedZone("GST", 4*3600)
	return c
}()

// walk applies inputs in turn, checking each move's state and prompts.
func walk(t *testing.T, s Session, moves []move, c Catalog) Result {
	t.Helper()
	var res Result
	for i, mv := range moves {
		var err error
		res, err = Step(s, mv.in, t0.Add(time.Duration(i)*time.Minute), c)
		if err != nil {
			t.Fatalf("move %d (%+v): %v", i, mv.in, err)
		}
		if res.Session.State != mv.state || strings.Join(keys(res.Prompts), ",") != strings.Join(mv.keys, ",") {
			t.Fatalf("move %d (%+v): state %q, prompts %v; want %q, %v", i, mv.in, res.Session.State, keys(res.Prompts), mv.state, mv.keys)
		}
		s = res.Session
	}
	return res
}

func TestVisitFlow(t *testing.T) {
	res, err := Start(Visit, "", t0, qcat)
	if err != nil || res.Session.State != "centre" {
		t.Fatalf("Start = %+v, %v", res, err)
	}
	// t0 is 2026-11-20 09:00 UTC: 13:00 on the 20th in the centre's zone.
	end := walk(t, res.Session, []move{
		{btn("centre:KRM"), "day", []string{"visit.ask_day"}},
		{text("٣١/١٢"), "day", []string{"visit.day_range", "visit.ask_day"}}, // 31/12 of last year: too long ago
		{text("31/2"), "day", []string{"visit.bad_day", "visit.ask_day"}},
		{text("sticker?"), "day", []string{"visit.bad_day", "visit.ask_day"}},
		{text("١٨/١١"), "via", []string{"visit.ask_via"}},
		{text("9"), "via", []string{"visit.pick_via", "visit.ask_via"}},
		{btn("via:phone"), "q_wait", []string{"visit.ask_minutes"}},
		{text("ربع ساعة"), "q_wait", []string{"visit.bad_minutes", "visit.ask_minutes"}},
		{text("٧٠٠"), "q_wait", []string{"visit.bad_minutes", "visit.ask_minutes"}},
		{text("٢٥"), "q_courtesy", []string{"visit.ask_scale"}},
		{btn("score:wait:3"), "q_courtesy", []string{"error.stale_button", "visit.ask_scale"}},
		{btn("score:courtesy:4"), "q_accurate", []string{"visit.ask_yesno"}},
		{btn(BtnBack), "q_courtesy", []string{"visit.ask_scale"}},
		{text("٥"), "q_accurate", []string{"visit.ask_yesno"}},
		{text("2"), "notes", []string{"visit.ask_notes"}},
		{Input{Files: []File{photo("p1")}}, "notes", []string{"complaint.file_added", "visit.ask_notes"}},
		{text("الموظف لطيف لكن الانتظار طويل"), stateConfirm, []string{"visit.summary"}},
		{btn(BtnConfirm), "", nil},
	}, qcat)
	got := end.Submit
	want := &Submission{Flow: Visit, Centre: "KRM", Day: "2026-11-18", Via: "phone", Text: "الموظف لطيف لكن الانتظار طويل",
		Files: []File{photo("p1")}, Scores: map[string]float64{"wait": 25, "courtesy": 5, "accurate": 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("submission\n%+v\nwant\n%+v", got, want)
	}
}

func TestVisitDays(t *testing.T) {
	res, _ := Start(Visit, "", t0, qcat)
	s := mustStepIn(t, res.Session, btn("centre:KRM"), qcat)
	for in, want := range map[string]string{
		"day:0": "2026-11-20", "day:1": "2026-11-19", "2026-11-01": "2026-11-01", "1/11/2026": "2026-11-01",
		"21/11": "", "2026-09-20": "", "day:7": "",
	} {
		i := text(in)
		if len(in) > 4 && in[:4] == "day:" {
			i = btn(in)
		}
		r := mustStepIn(t, s, i, qcat)
		if r.Day != want {
			t.Errorf("day %q: %q; want %q", in, r.Day, want)
		}
	}
}

func mustStepIn(t *testing.T, s Session, in Input, c Catalog) Session {
	t.Helper()
	res, err := Step(s, in, t0, c)
	if err != nil {
		t.Fatal(err)
	}
	return res.Session
}

func TestGapFlow(t *testing.T) {
	res := StartGap("queue_signs", "partly", t0, qcat)
	if res.Session.State != "why" || keys(res.Prompts)[0] != "assess.ask_reason" {
		t.Fatalf("StartGap = %+v", res)
	}
	res.Session.Centre, res.Session.Day = "KRM", "2026-11"
	end := walk(t, res.Session, []move{
		{text("لا"), "why", []string{"error.too_short", "assess.ask_reason"}},
		{Input{Other: "sticker"}, "why", []string{"error.unsupported", "assess.ask_reason"}},
		{text("اللوحات القديمة أزيلت أثناء الصيانة"), "owner", []string{"assess.ask_owner"}},
		{btn(BtnBack), "why", []string{"assess.ask_reason"}},
		{text("اللوحات أزيلت أثناء الصيانة"), "owner", []string{"assess.ask_owner"}},
		{text("فريق المرافق"), "", nil},
	}, qcat)
	want := &Submission{Flow: Gap, Centre: "KRM", Day: "2026-11", Criterion: "queue_signs", Reason: "partly",
		Text: "اللوحات أزيلت أثناء الصيانة", Staff: "فريق المرافق"}
	if !reflect.DeepEqual(end.Submit, want) {
		t.Errorf("submission %+v; want %+v", end.Submit, want)
	}
}
