package flows

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	t0  = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	cat = Catalog{
		Centres:    []string{"KRM", "BRS", "DRA", "QOZ", "A1", "A2", "A3", "A4", "A5", "A6"},
		Categories: []string{"waiting", "conduct", "other"},
		Idle:       30 * time.Minute,
	}
)

// move is one Input and what must follow it.
type move struct {
	in    Input
	state string   // state after the move; "" when the flow ended
	keys  []string // prompt keys shown, in order
}

func btn(d string) Input   { return Input{Button: d} }
func text(s string) Input  { return Input{Text: s, Digits: asciiDigits(s)} }
func photo(id string) File { return File{Kind: "photo", ID: id} }

var desc = "الانتظار تجاوز ساعتين في قاعة المعاملات"

func TestFlows(t *testing.T) {
	tests := []struct {
		name   string
		flow   string
		moves  []move
		submit *Submission
		cancel bool
	}{
		{
			name: "complaint happy path",
			flow: Complaint,
			moves: []move{
				{btn("centre:KRM"), "category", []string{"complaint.ask_category"}},
				{btn("cat:waiting"), "description", []string{"complaint.ask_description"}},
				{text(desc), "contact", []string{"complaint.ask_contact"}},
				{Input{Phone: "+971501234567"}, "confirm", []string{"complaint.summary"}},
				{btn("confirm"), "", nil},
			},
			submit: &Submission{Flow: Complaint, Centre: "KRM", Category: "waiting", Text: desc, Phone: "+971501234567"},
		},
		{
			name: "typed choices, photos, skip contact",
			flow: Complaint,
			moves: []move{
				{text("krm"), "category", []string{"complaint.ask_category"}},
				{text("2"), "description", []string{"complaint.ask_description"}},
				{Input{Files: []File{photo("p1")}}, "description", []string{"complaint.file_added", "complaint.ask_description"}},
				{Input{Text: desc, Digits: desc, Files: []File{photo("p2")}}, "contact", []string{"complaint.file_added", "complaint.ask_contact"}},
				{Input{Files: []File{photo("p3")}}, "contact", []string{"complaint.file_added", "complaint.ask_contact"}},
				{btn("skip"), "confirm", []string{"complaint.summary"}},
				{btn("confirm"), "", nil},
			},
			submit: &Submission{Flow: Complaint, Centre: "KRM", Category: "conduct", Text: desc,
				Files: []File{photo("p1"), photo("p2"), photo("p3")}},
		},
		{
			name: "bad input is re-asked",
			flow: Complaint,
			moves: []move{
				{Input{Other: "sticker"}, "centre", []string{"error.unsupported", "complaint.ask_centre"}},
				{text("nowhere"), "centre", []string{"error.pick_centre", "complaint.ask_centre"}},
				{btn("page:1"), "centre", []string{"complaint.ask_centre"}},
				{btn("centre:A6"), "category", []string{"complaint.ask_category"}},
				{btn("centre:KRM"), "category", []string{"error.stale_button", "complaint.ask_category"}},
				{text("parking"), "category", []string{"error.pick_category", "complaint.ask_category"}},
				{btn("cat:other"), "description", []string{"complaint.ask_description"}},
				{Input{Other: "voice"}, "description", []string{"error.unsupported", "complaint.ask_description"}},
				{text("قصير"), "description", []string{"error.too_short", "complaint.ask_description"}},
				{text(strings.Repeat("ب", MaxText+1)), "description", []string{"error.too_long", "complaint.ask_description"}},
				{text(strings.Repeat("ب", MaxText)), "contact", []string{"complaint.ask_contact"}},
				{text("call me"), "contact", []string{"error.phone", "complaint.ask_contact"}},
				{text("050 123 4567"), "confirm", []string{"complaint.summary"}},
				{text("yes"), "confirm", []string{"error.use_buttons", "complaint.summary"}},
				{btn("confirm"), "", nil},
			},
			submit: &Submission{Flow: Complaint, Centre: "A6", Category: "other", Text: strings.Repeat("ب", MaxText), Phone: "0501234567"},
		},
		{
			name: "a number from a form or a card is read as a typed one",
			flow: Complaint,
			moves: []move{
				{btn("centre:KRM"), "category", nil},
				{btn("cat:waiting"), "description", nil},
				{text(desc), "contact", nil},
				{Input{Phone: "1"}, "contact", []string{"error.phone", "complaint.ask_contact"}},
				{Input{Phone: "call me"}, "contact", []string{"error.phone", "complaint.ask_contact"}},
				{Input{Phone: "+971 (50) 123-4567"}, "confirm", []string{"complaint.summary"}},
				{btn("confirm"), "", nil},
			},
			submit: &Submission{Flow: Complaint, Centre: "KRM", Category: "waiting", Text: desc, Phone: "+971501234567"},
		},
		{
			name: "back and edit return to the summary",
			flow: Complaint,
			moves: []move{
				{btn("centre:KRM"), "category", nil},
				{btn("back"), "centre", []string{"complaint.ask_centre"}},
				{btn("centre:BRS"), "category", nil},
				{btn("cat:waiting"), "description", nil},
				{text(desc), "contact", nil},
				{btn("skip"), "confirm", nil},
				{btn("edit"), "edit", []string{"edit.ask"}},
				{btn("edit:category"), "category", []string{"complaint.ask_category"}},
				{btn("cat:conduct"), "confirm", []string{"complaint.summary"}},
				{btn("confirm"), "", nil},
			},
			submit: &Submission{Flow: Complaint, Centre: "BRS", Category: "conduct", Text: desc},
		},
		{
			name: "back while changing an answer returns to the summary",
			flow: Complaint,
			moves: []move{
				{btn("centre:KRM"), "category", nil},
				{btn("cat:waiting"), "description", nil},
				{text(desc), "contact", nil},
				{btn("skip"), "confirm", nil},
				{btn("edit"), "edit", []string{"edit.ask"}},
				{btn("edit:centre"), "centre", []string{"complaint.ask_centre"}},
				{btn("back"), "confirm", []string{"complaint.summary"}},
				{btn("edit"), "edit", []string{"edit.ask"}},
				{btn("edit:description"), "description", []string{"complaint.ask_description"}},
				{btn("back"), "confirm", []string{"complaint.summary"}},
				{btn("confirm"), "", nil},
			},
			submit: &Submission{Flow: Complaint, Centre: "KRM", Category: "waiting", Text: desc},
		},
		{
			name: "an album: one count, the question once",
			flow: Complaint,
			moves: []move{
				{btn("centre:KRM"), "category", nil},
				{btn("cat:waiting"), "description", nil},
				{Input{Files: []File{photo("a1")}, Album: "g1"}, "description", []string{"complaint.file_added", "complaint.ask_description"}},
				{Input{Files: []File{photo("a2")}, Album: "g1"}, "description", []string{"complaint.file_added"}},
				// A second album, its first photo captioned with the
				// description: that moves on, and the rest join it at the
				// next question, without that question again.
				{Input{Files: []File{photo("b1")}, Album: "g2", Text: desc, Digits: desc}, "contact",
					[]string{"complaint.file_added", "complaint.ask_contact"}},
				{Input{Files: []File{photo("b2")}, Album: "g2"}, "contact", []string{"complaint.file_added"}},
				{Input{Files: []File{photo("b3")}, Album: "g2"}, "contact", []string{"complaint.file_added"}},
				{btn("skip"), "confirm", nil},
				{btn("confirm"), "", nil},
			},
			submit: &Submission{Flow: Complaint, Centre: "KRM", Category: "waiting", Text: desc,
				Files: []File{photo("a1"), photo("a2"), photo("b1"), photo("b2"), photo("b3")}},
		},
		{
			name: "an album whose first file a question refused adds none",
			flow: Complaint,
			moves: []move{{Input{Files: []File{photo("c1")}, Album: "g3"}, "centre", []string{"error.no_files_here", "complaint.ask_centre"}},
				{Input{Files: []File{photo("c2")}, Album: "g3"}, "centre", []string{"error.no_files_here", "complaint.ask_centre"}},
				{btn("cancel"), "", nil}},
			cancel: true,
		},
		{
			name:   "cancel midway",
			flow:   Complaint,
			moves:  []move{{btn("centre:KRM"), "category", nil}, {btn("cancel"), "", nil}},
			cancel: true,
		},
		{
			name:   "back from the first question cancels",
			flow:   Complaint,
			moves:  []move{{btn("back"), "", nil}},
			cancel: true,
		},
		{
			name: "information with files",
			flow: Info,
			moves: []move{
				{Input{Other: "voice"}, "text", []string{"error.unsupported", "info.ask"}},
				{Input{Text: "رقم المعاملة 5521", Files: []File{photo("1")}}, "", []string{"complaint.file_added"}},
			},
			submit: &Submission{Flow: Info, Ticket: "KRM-000001", Text: "رقم المعاملة 5521", Files: []File{photo("1")}},
		},
		{
			name: "information: files alone, up to the limit",
			flow: Info,
			moves: []move{
				{Input{Files: []File{photo("1"), photo("2"), photo("3"), photo("4"), photo("5"), photo("6")}}, "",
					[]string{"complaint.file_added"}},
			},
			submit: &Submission{Flow: Info, Ticket: "KRM-000001",
				Files: []File{photo("1"), photo("2"), photo("3"), photo("4"), photo("5")}},
		},
		{
			name:   "amendment: a photo alone",
			flow:   Amend,
			moves:  []move{{Input{Files: []File{photo("receipt")}}, "", []string{"complaint.file_added"}}},
			submit: &Submission{Flow: Amend, Ticket: "KRM-000001", Files: []File{photo("receipt")}},
		},
		{
			name: "feedback with typed stars",
			flow: Feedback,
			moves: []move{
				{btn("centre:DRA"), "stars", []string{"feedback.ask_stars"}},
				{text("6"), "stars", []string{"error.stars", "feedback.ask_stars"}},
				{text("٤"), "comment", []string{"feedback.ask_comment"}},
				{btn("skip"), "", nil},
			},
			submit: &Submission{Flow: Feedback, Centre: "DRA", Stars: 4},
		},
		{
			name: "thanks naming a staff member",
			flow: Thanks,
			moves: []move{
				{btn("centre:QOZ"), "staff", []string{"thanks.ask_staff"}},
				{text("فاطمة"), "message", []string{"thanks.ask_message"}},
				{text("شكراً على حسن التعامل"), "", nil},
			},
			submit: &Submission{Flow: Thanks, Centre: "QOZ", Staff: "فاطمة", Text: "شكراً على حسن التعامل"},
		},
		{
			name: "resolution text",
			flow: Resolve,
			moves: []move{
				{text("تم"), "text", []string{"error.too_short", "resolve.ask"}},
				{Input{Other: "sticker"}, "text", []string{"error.unsupported", "resolve.ask"}},
				{text("تم تحديث الموعد وإبلاغ المتعامل"), "", nil},
			},
			submit: &Submission{Flow: Resolve, Ticket: "KRM-000001", Text: "تم تحديث الموعد وإبلاغ المتعامل"},
		},
		{
			name:   "transfer picks a centre",
			flow:   Transfer,
			moves:  []move{{btn("centre:BRS"), "", nil}},
			submit: &Submission{Flow: Transfer, Ticket: "KRM-000001", Centre: "BRS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ticket := ""
			if tt.flow == Info || tt.flow == Transfer || tt.flow == Resolve || tt.flow == Amend {
				ticket = "KRM-000001"
			}
			res, err := Start(tt.flow, ticket, t0, cat)
			if err != nil {
				t.Fatal(err)
			}
			now := t0
			for i, mv := range tt.moves {
				now = now.Add(time.Minute)
				if res, err = Step(res.Session, mv.in, now, cat); err != nil {
					t.Fatalf("move %d: %v", i, err)
				}
				if got := res.Session.State; got != mv.state {
					t.Fatalf("move %d: state %q; want %q", i, got, mv.state)
				}
				if mv.keys != nil {
					if got := keys(res.Prompts); !reflect.DeepEqual(got, mv.keys) {
						t.Errorf("move %d: prompts %v; want %v", i, got, mv.keys)
					}
				}
			}
			if !reflect.DeepEqual(res.Submit, tt.submit) {
				t.Errorf("submission %+v; want %+v", res.Submit, tt.submit)
			}
			if res.Cancelled != tt.cancel {
				t.Errorf("cancelled %v; want %v", res.Cancelled, tt.cancel)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	res, _ := Start(Complaint, "", t0, cat)
	res = mustStep(t, res.Session, btn("centre:KRM"), t0.Add(29*time.Minute))
	if res.Session.State != "category" {
		t.Fatalf("state %q; want category", res.Session.State)
	}
	res = mustStep(t, res.Session, btn("cat:waiting"), t0.Add(29*time.Minute+cat.Idle+time.Second))
	if !res.Expired || res.Session.Active() {
		t.Errorf("expired %v active %v; want expired and ended", res.Expired, res.Session.Active())
	}
}

// TestHeldOutlivesIdle: a Held session goes on past its idle limit until
// its hold ends, and expires after that like any other.
func TestHeldOutlivesIdle(t *testing.T) {
	res, _ := Start(Complaint, "", t0, cat)
	s := res.Session
	s.Held = t0.Add(48 * time.Hour)
	if got := s.Expires(cat.Idle); !got.Equal(s.Held) {
		t.Errorf("held session expires %v; want %v", got, s.Held)
	}
	if res := mustStep(t, s, btn("centre:KRM"), t0.Add(47*time.Hour)); res.Expired || res.Session.State != "category" {
		t.Errorf("an hour before its hold ends: expired %v, state %q; want it to go on", res.Expired, res.Session.State)
	}
	if res := mustStep(t, s, btn("centre:KRM"), t0.Add(48*time.Hour+time.Second)); !res.Expired {
		t.Errorf("past its hold: state %q; want expired", res.Session.State)
	}
}

func TestCentrePages(t *testing.T) {
	res, _ := Start(Complaint, "", t0, cat)
	for _, tc := range []struct {
		btn  string
		page int
	}{{"page:1", 1}, {"page:2", 1}, {"page:-1", 1}, {"page:0", 0}} {
		res = mustStep(t, res.Session, btn(tc.btn), t0)
		if got := res.Prompts[len(res.Prompts)-1].Page; got != tc.page {
			t.Errorf("%s: page %d; want %d", tc.btn, got, tc.page)
		}
	}
}

// mustStep is Step that fails the test on an error.
func mustStep(t *testing.T, s Session, in Input, now time.Time) Result {
	t.Helper()
	res, err := Step(s, in, now, cat)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBrokenSession: a session saved by another version, with a flow or a
// state this one lacks, is an error, not a silent cancel.
func TestBrokenSession(t *testing.T) {
	for _, s := range []Session{
		{Flow: "survey", State: "q1", Updated: t0},
		{Flow: Complaint, State: "signature", Updated: t0},
	} {
		res, err := Step(s, Input{Text: "x"}, t0, cat)
		if !errors.Is(err, ErrBrokenSession) || res.Cancelled {
			t.Errorf("Step(%s/%s) = %+v, %v; want ErrBrokenSession", s.Flow, s.State, res, err)
		}
	}
	// Cancel and back on the first question stay ordinary endings.
	res, _ := Start(Complaint, "", t0, cat)
	if r := mustStep(t, res.Session, btn(BtnCancel), t0); !r.Cancelled {
		t.Errorf("cancel: %+v; want cancelled", r)
	}
	if r := mustStep(t, res.Session, btn(BtnBack), t0); !r.Cancelled {
		t.Errorf("back on the first question: %+v; want cancelled", r)
	}
}

func TestPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+971 50 123 4567": "+971501234567", "050-123-4567": "0501234567", "123": "", "12a4567": "", "5+551234567": "",
		"050\u00a0123\u00a04567": "0501234567", "050\u2011123\u20114567": "0501234567", "+971–50–123–4567": "+971501234567",
		"(050) 123 4567": "0501234567", "\u200e+971 50 123 4567": "+971501234567", "050.123.4567": "0501234567",
		"++971501234567": "", "0501234567+": "",
	} {
		got, ok := phone(in)
		if got != want || ok != (want != "") {
			t.Errorf("phone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// asciiDigits stands in for the caller's digit folding.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '٠' && r <= '٩' {
			return '0' + r - '٠'
		}
		return r
	}, s)
}

func keys(ps []Prompt) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Key)
	}
	return out
}

// TestInPlace: a press that moves the flow to its next question may have
// that question replace the one pressed on; a typed answer, a refusal, the
// contact question and the summary's own buttons may not.
func TestInPlace(t *testing.T) {
	res, _ := Start(Complaint, "", t0, cat)
	for _, tc := range []struct {
		name string
		in   Input
		want bool
	}{
		{"turn a page", btn("page:1"), true},
		{"pick a centre", btn("centre:KRM"), true},
		{"a stale button, refused", btn("centre:KRM"), false},
		{"back", btn(BtnBack), true},
		{"typed centre", text("krm"), false},
		{"pick a category", btn("cat:waiting"), true},
		{"typed description", text(desc), false},
		{"typed skip, to the summary", Input{Button: BtnSkip}, false},
		{"edit, from the summary", btn(BtnEdit), false},
		{"a field to edit", btn(PfxEdit + "category"), true},
		{"back to the summary", btn("cat:conduct"), true},
		{"confirm", btn(BtnConfirm), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := mustStep(t, res.Session, tc.in, t0)
			if next.InPlace != tc.want {
				t.Errorf("InPlace %v; want %v (prompts %d, contact %v)", next.InPlace, tc.want,
					len(next.Prompts), len(next.Prompts) > 0 && next.Prompts[len(next.Prompts)-1].Contact)
			}
			if tc.name != "a stale button, refused" {
				res = next
			}
		})
	}
	// The contact question is pressed on by no inline button of its own,
	// and one pressed on an older question must not leave its keyboard.
	contact := Session{Flow: Complaint, State: "contact", Centre: "KRM", Category: "waiting", Text: desc, Updated: t0}
	if r := mustStep(t, contact, btn(BtnBack), t0); r.InPlace {
		t.Error("back from the contact question: in place; want a new message")
	}
	if r := mustStep(t, contact, btn(BtnCancel), t0); !r.Cancelled || r.InPlace {
		t.Errorf("cancel from the contact question: %+v; want cancelled, not in place", r)
	}
	start, _ := Start(Complaint, "", t0, cat)
	if r := mustStep(t, start.Session, btn(BtnCancel), t0); !r.InPlace {
		t.Error("cancel pressed on the centre question: not in place")
	}
}

// TestPiecesOfALongText: a text over 4,096 characters reaches the bot from
// Telegram as several messages within a second. The first piece over the
// limit is refused, and the pieces after it with it, quietly: the
// description is never the text's last piece. A text sent after the gap is
// read as the answer it is.
func TestPiecesOfALongText(t *testing.T) {
	res, _ := Start(Complaint, "", t0, cat)
	s := mustStep(t, res.Session, btn("centre:KRM"), t0).Session
	s = mustStep(t, s, btn("cat:waiting"), t0).Session
	sent := t0.Add(time.Minute)
	piece := func(n int, at time.Time) Input {
		in := text(strings.Repeat("ب", n))
		in.At = at
		return in
	}
	moves := []struct {
		in    Input
		state string
		keys  []string
	}{
		{piece(4096, sent), "description", []string{"error.too_long", "complaint.ask_description"}},
		{piece(4096, sent), "description", nil},
		{piece(1808, sent.Add(time.Second)), "description", nil}, // short enough, but a piece
		{piece(300, sent.Add(time.Second+PieceGap+time.Second)), "contact", []string{"complaint.ask_contact"}},
	}
	for i, mv := range moves {
		// Handled a little later than sent, as under load.
		res := mustStep(t, s, mv.in, sent.Add(5*time.Second))
		if got := keys(res.Prompts); res.Session.State != mv.state || len(got)+len(mv.keys) > 0 && !reflect.DeepEqual(got, mv.keys) {
			t.Fatalf("piece %d: state %q, prompts %v; want %q, %v", i, res.Session.State, keys(res.Prompts), mv.state, mv.keys)
		}
		s = res.Session
	}
	if s.Text != strings.Repeat("ب", 300) {
		t.Errorf("description of %d characters; want the text sent after the gap", len([]rune(s.Text)))
	}

	// Without a platform time, the time of the step.
	s = mustStep(t, res.Session, btn("centre:KRM"), t0).Session
	s = mustStep(t, s, btn("cat:waiting"), t0).Session
	s = mustStep(t, s, text(strings.Repeat("ب", MaxText+1)), t0).Session
	if res := mustStep(t, s, text(desc), t0.Add(PieceGap+time.Second)); res.Session.State != "contact" {
		t.Errorf("a text after the gap: state %q; want contact", res.Session.State)
	}
	if res := mustStep(t, s, text(desc), t0.Add(time.Second)); res.Session.State != "description" || len(res.Prompts) != 0 {
		t.Errorf("a text within the gap: state %q, prompts %v; want description, quiet", res.Session.State, keys(res.Prompts))
	}
}
