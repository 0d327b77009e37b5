package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// faultyStore fails one kind of call, as a Redis that times out would.
type faultyStore struct {
	Store
	fail string
}

var errTimeout = errors.New("redis: i/o timeout")

func (f *faultyStore) check(name string) error {
	if f.fail == name {
		return errTimeout
	}
	return nil
}

func (f *faultyStore) Ticket(ctx context.Context, id string) (*shakwa.Ticket, error) {
	if err := f.check("Ticket"); err != nil {
		return nil, err
	}
	return f.Store.Ticket(ctx, id)
}

func (f *faultyStore) Events(ctx context.Context, id string) ([]shakwa.Event, error) {
	if err := f.check("Events"); err != nil {
		return nil, err
	}
	return f.Store.Events(ctx, id)
}

func (f *faultyStore) RefOf(ctx context.Context, chat, id string) (string, error) {
	if err := f.check("RefOf"); err != nil {
		return "", err
	}
	return f.Store.RefOf(ctx, chat, id)
}

func (f *faultyStore) Lang(ctx context.Context, a shakwa.Address) (string, error) {
	if err := f.check("Lang"); err != nil {
		return "", err
	}
	return f.Store.Lang(ctx, a)
}

func (f *faultyStore) Session(ctx context.Context, who string) ([]byte, error) {
	if err := f.check("Session"); err != nil {
		return nil, err
	}
	return f.Store.Session(ctx, who)
}

func (f *faultyStore) CitizenTickets(ctx context.Context, who shakwa.Address, limit int) ([]*shakwa.Ticket, error) {
	if err := f.check("CitizenTickets"); err != nil {
		return nil, err
	}
	return f.Store.CitizenTickets(ctx, who, limit)
}

func (f *faultyStore) Person(ctx context.Context, id string) (shakwa.Person, error) {
	if err := f.check("Person"); err != nil {
		return shakwa.Person{}, err
	}
	return f.Store.Person(ctx, id)
}

// TestStoreErrorsAreNotHidden: whatever read fails, the person gets the
// polite internal-error answer (not "not found", not silence, not a
// cancel), the handling Fails so that the update comes again, and one
// line is logged.
func TestStoreErrorsAreNotHidden(t *testing.T) {
	tests := []struct {
		name, fail string
		who        person
		msg        func(w *world, id string) bot.Message
	}{
		{"citizen types their ticket number", "Ticket", citizen, func(w *world, id string) bot.Message { return bot.Message{Text: id} }},
		{"citizen types a bare number", "CitizenTickets", citizen, func(w *world, id string) bot.Message { return bot.Message{Text: "١"} }},
		{"staff type a ticket number", "Ticket", khalid, func(w *world, id string) bot.Message { return bot.Message{Text: id} }},
		{"staff open a ticket: its additions", "Events", khalid, func(w *world, id string) bot.Message { return bot.Message{Text: id} }},
		{"a reply to the bot's message", "RefOf", citizen, func(w *world, id string) bot.Message {
			return bot.Message{Text: "إضافة", ReplyTo: w.lastIDs["telegram:"+citizen.id]}
		}},
		{"the speaker's language", "Lang", citizen, func(w *world, id string) bot.Message { return bot.Message{Text: "/start"} }},
		{"the running conversation", "Session", citizen, func(w *world, id string) bot.Message { return bot.Message{Text: "مرحبا"} }},
		{"the citizen's address, to tell them of a claim", "Person", fatima, func(w *world, id string) bot.Message {
			return bot.Message{Chat: "-1001", Button: "claim:" + id}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			id := w.fileComplaint(citizen, "KRM")
			fs := &faultyStore{Store: w.store, fail: tc.fail}
			w.h.store, w.h.notify.store = fs, fs
			w.mayFail = true
			m := tc.msg(w, id)
			w.nextID++
			m.ID, m.Channel, m.From = "f"+id, "telegram", bot.User{ID: tc.who.id, Lang: tc.who.lang}
			if m.Chat == "" {
				m.Chat = tc.who.id
			}
			m.Group = strings.HasPrefix(m.Chat, "-")
			if m.Button != "" {
				m.ButtonToken = "cb"
			}
			var rs bot.Replies
			w.h.Handle(context.Background(), &rs, &m)
			if !errors.Is(rs.Err, errTimeout) {
				t.Errorf("Fail = %v; want the store's error, so that the update comes again", rs.Err)
			}
			apology := w.tr("ar", "error.internal", nil)
			said := false
			for _, r := range rs.List {
				if r.Text == apology {
					said = true
				}
				if strings.Contains(r.Text, w.tr("ar", "error.not_found", nil)) {
					t.Errorf("told %q: a failing store is not a missing ticket", r.Text)
				}
			}
			if !said {
				t.Errorf("replies %v; want the internal-error apology", texts(rs.List))
			}
			if n := strings.Count(w.logs.String(), `"msg":"handle message"`); n != 1 {
				t.Errorf("%d log lines for the error; want 1:\n%s", n, w.logs.String())
			}
		})
	}
}

// TestFilingIsOnceAfterAFailedMark: the update that files a ticket fails
// after the ticket is stored (remembering the filing fails); when it
// comes again it gets the same ticket, not a second one.
func TestFilingIsOnceAfterAFailedMark(t *testing.T) {
	w := newWorld(t)
	w.toSummary(citizen, "KRM")
	fs := &markFails{Store: w.store}
	w.h.store = fs
	confirm := bot.Message{ID: "u-confirm", Channel: "telegram", Chat: citizen.id,
		From: bot.User{ID: citizen.id}, Button: "confirm", ButtonToken: "cb"}
	var first bot.Replies
	m := confirm
	w.h.Handle(context.Background(), &first, &m)
	if first.Err == nil {
		t.Fatalf("a failed filing mark did not Fail the handling")
	}
	var again bot.Replies
	m = confirm
	w.h.Handle(context.Background(), &again, &m)
	if again.Err != nil || len(find(again.List, citizen.id, "KRM-000001")) != 1 {
		t.Errorf("the update again: %v, %v; want KRM-000001", texts(again.List), again.Err)
	}
	if ts, _ := w.store.CitizenTickets(context.Background(), addr(citizen), 10); len(ts) != 1 {
		t.Errorf("%d tickets; want 1", len(ts))
	}
}

// markFails fails the first SaveSession of a filing mark.
type markFails struct {
	Store
	failed bool
}

func (f *markFails) SaveSession(ctx context.Context, who string, data []byte, ttl time.Duration) error {
	if strings.HasPrefix(who, "filed:") && !f.failed {
		f.failed = true
		return errTimeout
	}
	return f.Store.SaveSession(ctx, who, data, ttl)
}

// TestDeliveryFailures: a platform's report that a message about a ticket
// never reached its citizen (or the outbox giving up on it) reaches the
// ticket's holder, with the platform's reason; a failure in a staff
// member's own chat is only logged.
func TestDeliveryFailures(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.text(fatima, "/reply "+id+" هل ما زلت في المركز؟")
	replyID := w.lastIDs["telegram:"+citizen.id]
	rs := w.do(citizen, bot.Message{Failed: &bot.Failure{MessageID: replyID, Code: 131026, Blocked: true,
		Reason: "(#131026) Message undeliverable"}})
	if got := find(rs, fatima.id, "(#131026) Message undeliverable"); len(got) != 1 || !strings.Contains(got[0].Text, id) ||
		!strings.Contains(got[0].Text, "لا يمكن الوصول إليه") {
		t.Errorf("holder told %v; want the ticket, that the citizen cannot be reached, and the reason", texts(rs))
	}
	if got := find(rs, noura.id, "(#131026) Message undeliverable"); len(got) != 1 || !strings.Contains(got[0].Text, id) {
		t.Errorf("supervisor told %v; want the ticket and the reason too", texts(rs))
	}
	rs = w.do(citizen, bot.Message{Failed: &bot.Failure{Ref: refTicket + id, Reason: "(#100) Invalid parameter"}})
	if got := find(rs, fatima.id, "لم تصل رسالتك"); len(got) != 1 || !strings.Contains(got[0].Text, "(#100) Invalid parameter") {
		t.Errorf("holder told %v; want the message that did not arrive, and why", texts(rs))
	}
	// A file the platform does not take: what to send instead, not the
	// words of an error.
	rs = w.do(citizen, bot.Message{Failed: &bot.Failure{Ref: refTicket + id, NotTaken: true,
		Reason: "whatsapp: a image/tiff of 900 bytes is not a file WhatsApp takes: invalid"}})
	want := w.tr("ar", "staff.delivery_not_taken", w.h.ticketData("ar", w.ticket(id)))
	if got := find(rs, fatima.id, want); len(got) != 1 || strings.Contains(got[0].Text, "tiff") {
		t.Errorf("holder told %v; want %q", texts(rs), want)
	}
	// The supervisor lists it; a staff member may not; the other centre's
	// staff see none of it.
	if rs := w.text(noura, "/undelivered"); len(find(rs, noura.id, id)) != 1 || len(find(rs, noura.id, "فاطمة")) != 1 {
		t.Errorf("/undelivered for the supervisor: %v; want %s, held by Fatima", texts(rs), id)
	}
	if rs := w.text(fatima, "/undelivered"); len(find(rs, fatima.id, id)) != 0 {
		t.Errorf("/undelivered for staff: %v; want the help, not the list", texts(rs))
	}
	if rs := w.do(fatima, bot.Message{Failed: &bot.Failure{Ref: refTicket + id, Reason: "blocked"}}); len(rs) != 0 {
		t.Errorf("a failure in the staff member's chat: %v; want nothing sent", texts(rs))
	}
	if rs := w.do(citizen, bot.Message{Failed: &bot.Failure{MessageID: "unknown"}}); len(rs) != 0 {
		t.Errorf("a failure of a message about no ticket: %v; want nothing sent", texts(rs))
	}
}

// TestApology: a person whose message broke the handler hears the
// internal-error apology in their platform's language; a press in a staff
// group is answered on the button, not in front of the group.
func TestApology(t *testing.T) {
	w := newWorld(t)
	private := w.h.Apology(&bot.Message{Channel: "telegram", Chat: "5001", From: bot.User{ID: "5001", Lang: "en-GB"}})
	if len(private) != 1 || private[0].Text != w.tr("en", "error.internal", nil) || private[0].Chat != "5001" || private[0].Notice {
		t.Errorf("private apology %+v; want one English message to the chat", private)
	}
	press := w.h.Apology(&bot.Message{Channel: "telegram", Chat: "-100", Group: true, ButtonToken: "cb",
		From: bot.User{ID: "7001", Lang: "ar"}})
	if len(press) != 1 || !press[0].Notice || press[0].ButtonToken != "cb" || press[0].Text != w.tr("ar", "error.internal", nil) {
		t.Errorf("group press apology %+v; want one Arabic notice on the button", press)
	}
	tap := w.h.Apology(&bot.Message{Channel: "telegram", Chat: "5001", ButtonToken: "cb", From: bot.User{ID: "5001"}})
	if len(tap) != 2 || !tap[0].Notice || tap[1].Notice || tap[1].Text != w.tr("ar", "error.internal", nil) {
		t.Errorf("private press apology %+v; want the button answered and the apology said, in Arabic", tap)
	}
}

// TestDeliveryReportErrors: a delivery report the store cannot place says
// nothing in the chat that did not receive (that would go the same way),
// and Fails so that it comes again.
func TestDeliveryReportErrors(t *testing.T) {
	for _, fail := range []string{"RefOf", "Ticket"} {
		t.Run(fail, func(t *testing.T) {
			w := newWorld(t)
			id := w.fileComplaint(citizen, "KRM")
			fs := &faultyStore{Store: w.store, fail: fail}
			w.h.store, w.h.notify.store = fs, fs
			f := &bot.Failure{MessageID: "m1", Code: 131026, Reason: "undeliverable"}
			if fail == "Ticket" {
				f = &bot.Failure{Ref: "ticket:" + id, Code: -1, Reason: "blocked"}
			}
			m := bot.Message{ID: "r1", Channel: "telegram", Chat: citizen.id, From: bot.User{ID: citizen.id}, Failed: f}
			var rs bot.Replies
			w.h.Handle(context.Background(), &rs, &m)
			if !errors.Is(rs.Err, errTimeout) {
				t.Errorf("Fail = %v; want the store's error", rs.Err)
			}
			if len(rs.List) != 0 {
				t.Errorf("replies %v; want none (the chat did not receive the last one)", texts(rs.List))
			}
		})
	}
}

// TestChangeCompletedWhenDeliveredAgain: a press or an answer whose
// handling failed after its change was stored (here the citizen's record
// could not be read) comes again, as intake delivers it; the second
// handling says everything the first should have: the change is this
// update's own, not somebody else's. A second press (another update)
// still hears that it was done already.
func TestChangeCompletedWhenDeliveredAgain(t *testing.T) {
	t.Run("claim", func(t *testing.T) {
		w := newWorld(t)
		id := w.fileComplaint(citizen, "KRM")
		fs := &faultyStore{Store: w.store, fail: "Person"}
		w.h.store, w.h.notify.store = fs, fs
		w.mayFail = true
		w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
		fs.fail, w.mayFail = "", false
		rs := w.again(fatima)
		if len(find(rs, fatima.id, "📄")) == 0 {
			t.Errorf("claim delivered again: %q; want the ticket sent to its holder", texts(rs))
		}
		if len(find(rs, "-1001", "لدى")) == 0 {
			t.Errorf("claim delivered again: %q; want the card edited", texts(rs))
		}
		if len(find(rs, citizen.id, id)) == 0 {
			t.Errorf("claim delivered again: %q; want the citizen told", texts(rs))
		}
		rs = w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
		if len(find(rs, citizen.id, "")) != 0 {
			t.Errorf("a second press: %q; want the citizen told nothing more", texts(rs))
		}
	})
	t.Run("resolution", func(t *testing.T) {
		w := newWorld(t)
		id := w.fileComplaint(citizen, "KRM")
		w.press(fatima, "claim:"+id)
		w.press(fatima, "close:"+id)
		fs := &faultyStore{Store: w.store, fail: "Person"}
		w.h.store, w.h.notify.store = fs, fs
		w.mayFail = true
		w.text(fatima, "تم تحديث موعدك إلى الغد الساعة العاشرة")
		fs.fail, w.mayFail = "", false
		rs := w.again(fatima)
		if len(find(rs, citizen.id, "تم تحديث موعدك")) == 0 {
			t.Errorf("resolution delivered again: %q; want the citizen given the resolution", texts(rs))
		}
	})
}
