package storage_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// line drives one chat's intake line in a test.
type line struct {
	t    *testing.T
	s    *storage.Store
	chat string
}

// begin calls Begin and wants the given outcome: "done", "wait", "turn"
// or "busy".
func (l line) begin(id, token string, now time.Time, lease time.Duration, want string) {
	l.t.Helper()
	done, wait, err := l.s.Begin(ctx(l.t), l.chat, id, token, now, lease)
	got := "turn"
	switch {
	case errors.Is(err, shakwa.ErrConflict):
		got = "busy"
	case err != nil:
		l.t.Fatalf("Begin(%s): %v", id, err)
	case done:
		got = "done"
	case wait:
		got = "wait"
	}
	if got != want {
		l.t.Errorf("Begin(%s, %s) at %v: %s; want %s", id, token, now.Format("15:04:05.000"), got, want)
	}
}

func (l line) finish(id, token string, now time.Time, keep time.Duration, wantHeld bool) {
	l.t.Helper()
	held, err := l.s.Finish(ctx(l.t), l.chat, id, token, now, keep)
	if err != nil || held != wantHeld {
		l.t.Errorf("Finish(%s, %s) = %v, %v; want %v", id, token, held, err, wantHeld)
	}
}

func (l line) want(ids ...string) {
	l.t.Helper()
	got, err := l.s.Line(ctx(l.t), l.chat)
	if err != nil || !slices.Equal(got, ids) && !(len(got) == 0 && len(ids) == 0) {
		l.t.Errorf("Line = %v, %v; want %v", got, err, ids)
	}
}

// testIntakeLine: one update of a chat at a time, in arrival order; a copy
// of an update being handled is refused; a handled update is done.
func testIntakeLine(t *testing.T, open opener) {
	s := open(t).s
	a, b := line{t, s, "telegram:1001"}, line{t, s, "telegram:2002"}
	t0 := time.UnixMilli(1_800_000_000_000)
	const lease, keep = 10 * time.Second, time.Hour
	a.begin("u1", "x1", t0, lease, "turn")
	a.begin("u2", "x2", t0, lease, "wait")
	a.begin("u3", "x3", t0, lease, "wait")
	b.begin("u9", "x9", t0, lease, "turn") // another chat goes ahead
	a.begin("u1", "copy", t0, lease, "busy")
	// The refusal does not name the update: a WhatsApp message id
	// encodes the sender's number, and errors are logged.
	w := line{t, s, "whatsapp:971501234567"}
	w.begin("wa:wamid.HBgMOTcx", "x", t0, lease, "turn")
	if _, _, err := s.Begin(ctx(t), w.chat, "wa:wamid.HBgMOTcx", "copy", t0, lease); !errors.Is(err, shakwa.ErrConflict) ||
		strings.Contains(err.Error(), "wamid") {
		t.Errorf("a copy of an update being handled: %v; want a conflict that does not name it", err)
	}
	a.begin("u2", "copy", t0, lease, "busy") // a copy of a waiting one, too
	a.begin("u2", "x2", t0, lease, "wait")   // its own poll keeps its place
	a.want("u1", "u2", "u3")
	a.finish("u1", "x1", t0, keep, true)
	a.begin("u3", "x3", t0, lease, "wait") // arrival order: u2 first
	a.begin("u2", "x2", t0, lease, "turn")
	a.begin("u1", "copy", t0, lease, "done")
	if err := s.Abort(ctx(t), a.chat, "u2", "x2"); err != nil {
		t.Fatal(err)
	}
	a.begin("u3", "x3", t0, lease, "turn") // aborted: the next goes
	a.begin("u2", "resent", t0, lease, "wait")
	a.want("u3", "u2")
	a.finish("u3", "x3", t0, keep, true)
	a.begin("u2", "resent", t0, lease, "turn")
	a.finish("u2", "resent", t0, keep, true)
	a.want()
	b.finish("u9", "x9", t0, keep, true)
	// Done marks last keep: later ones trim the old.
	a.finish("u7", "x7", t0.Add(2*keep), keep, false)
	a.begin("u1", "late copy", t0.Add(2*keep), lease, "turn")
	a.begin("u7", "copy", t0.Add(2*keep), lease, "done")
}

// testIntakeExpiry: a holder that stops renewing (its process died) loses
// its place within a lease: at the head it is dropped, and a copy of the
// update takes its place over.
func testIntakeExpiry(t *testing.T, open opener) {
	s := open(t).s
	a := line{t, s, "web:visitor"}
	t0 := time.UnixMilli(1_800_000_000_000)
	const lease, keep = 10 * time.Second, time.Hour
	a.begin("u1", "x1", t0, lease, "turn")
	a.begin("u2", "x2", t0.Add(time.Second), lease, "wait")
	if ok, err := s.Renew(ctx(t), a.chat, "u1", "x1", t0.Add(5*time.Second), lease); !ok || err != nil {
		t.Errorf("Renew = %v, %v; want true", ok, err)
	}
	a.begin("u2", "x2", t0.Add(12*time.Second), lease, "wait") // renewed: still u1's turn
	a.begin("u2", "x2", t0.Add(16*time.Second), lease, "turn") // u1's holder died
	// A copy of u1 arrives: u1 is not done, so it joins the line again.
	a.begin("u1", "copy", t0.Add(16*time.Second), lease, "wait")
	if ok, _ := s.Renew(ctx(t), a.chat, "u1", "x1", t0.Add(16*time.Second), lease); ok {
		t.Errorf("Renew by the dead holder: true; want false (its place was dropped)")
	}
	a.finish("u2", "x2", t0.Add(17*time.Second), keep, true)
	a.begin("u1", "copy", t0.Add(17*time.Second), lease, "turn")
	// The copy's holder dies while u3 waits; another copy takes the
	// place over, keeping it ahead of u3.
	a.begin("u3", "x3", t0.Add(18*time.Second), lease, "wait")
	a.begin("u1", "copy2", t0.Add(20*time.Second), lease, "busy") // not expired yet
	a.begin("u1", "copy2", t0.Add(40*time.Second), lease, "turn")
	a.want("u1", "u3")
	a.finish("u1", "copy", t0.Add(41*time.Second), keep, false) // the old holder, late
	a.begin("u1", "copy3", t0.Add(41*time.Second), lease, "done")
}

// testIntakeFailures: failures are counted in Redis, per update, until it
// is done.
func testIntakeFailures(t *testing.T, open opener) {
	f := open(t)
	other, err := f.reopen(ctx(t), storage.WithPrefix(f.prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i, st := range []*storage.Store{f.s, other, f.s} {
		n, err := st.Failed(ctx(t), "telegram:1", "u1", time.Hour)
		if err != nil || n != i+1 {
			t.Errorf("Failed #%d = %d, %v; want %d", i+1, n, err, i+1)
		}
	}
	if n, _ := f.s.Failed(ctx(t), "telegram:1", "u2", time.Hour); n != 1 {
		t.Errorf("Failed of another update = %d; want 1", n)
	}
	if _, err := f.s.Finish(ctx(t), "telegram:1", "u1", "x", time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.s.Failed(ctx(t), "telegram:1", "u1", time.Hour); n != 1 {
		t.Errorf("Failed after Finish = %d; want 1 (counted afresh)", n)
	}
}

// testLease: one holder at a time; it renews, gives up, or loses the lease
// when it stops renewing.
func testLease(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	take := func(holder string, ttl time.Duration, want bool) {
		t.Helper()
		if got, err := s.Lease(c, "poll:telegram:1", holder, ttl); got != want || err != nil {
			t.Errorf("Lease(%s) = %v, %v; want %v", holder, got, err, want)
		}
	}
	take("a", time.Minute, true)
	take("b", time.Minute, false)
	take("a", time.Minute, true) // renewed
	if err := s.Unlease(c, "poll:telegram:1", "b"); err != nil {
		t.Fatal(err)
	}
	take("b", time.Minute, false) // b could not give up what it does not hold
	if err := s.Unlease(c, "poll:telegram:1", "a"); err != nil {
		t.Fatal(err)
	}
	take("b", 50*time.Millisecond, true)
	time.Sleep(150 * time.Millisecond) // Redis's own clock runs the TTL
	take("a", time.Minute, true)
}

// testCreateOnce: a ticket filed again by the same update (after a crash)
// is the same ticket; other updates file their own.
func testCreateOnce(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	file := func(once string, at time.Time) *shakwa.Ticket {
		t.Helper()
		tk := &shakwa.Ticket{Centre: "KRM", Category: "delay", Text: fmt.Sprint("filed at ", at.Unix()), Created: at, Updated: at}
		if err := s.CreateTicket(c, tk, citizen, once); err != nil {
			t.Fatalf("CreateTicket: %v", err)
		}
		return tk
	}
	first := file("in:telegram:41", at(0))
	again := file("in:telegram:41", at(1))
	if again.ID != first.ID || !again.Created.Equal(first.Created) || again.Text != first.Text {
		t.Errorf("filed again by the same update: %s created %v; want %s as first stored", again.ID, again.Created, first.ID)
	}
	if other := file("in:telegram:42", at(2)); other.ID == first.ID {
		t.Errorf("another update got the same ticket %s", other.ID)
	}
	if ts, _ := s.CitizenTickets(c, citizen, 0); len(ts) != 2 {
		t.Errorf("citizen has %d tickets; want 2", len(ts))
	}
}

// testNoAddressInKeys: after a citizen's whole ticket, their session,
// language, feedback, intake and outbox, no key names their chat.
func testNoAddressInKeys(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	who := shakwa.Address{Channel: "whatsapp", Chat: "971501234567"}
	if err := s.SaveSession(c, who.String(), []byte("{}"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLang(c, who, "en", time.Now()); err != nil {
		t.Fatal(err)
	}
	id := newTicket(t, s, "KRM", who, at(0)).ID
	if _, err := s.Info(c, id, who, "more", nil, at(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddFeedback(c, &shakwa.Feedback{Kind: shakwa.KindThanks, Centre: "KRM", Created: at(2)}, who); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Begin(c, who.String(), "wamid.1", "x", at(3), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(c, who.String(), "whatsapp", items("reply"), at(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRef(c, who.String(), "ticket:"+id, "wamid.2", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Failed(c, who.String(), "wamid.1", time.Hour); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(c, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if strings.Contains(e.By, who.Chat) || strings.Contains(e.Text, who.Chat) {
			t.Errorf("event %+v names the chat", e)
		}
	}
	keys := f.keys(t, "*")
	if len(keys) < 8 {
		t.Fatalf("keys = %v; want those of a whole ticket", keys)
	}
	for _, k := range keys {
		if strings.Contains(k, "971501234567") {
			t.Errorf("key %q names the chat", k)
		}
	}
	if tk := mustGet(t, s, id); strings.Contains(tk.Citizen, who.Chat) || tk.Channel != "whatsapp" {
		t.Errorf("ticket citizen %q, channel %q; want an opaque id on whatsapp", tk.Citizen, tk.Channel)
	}
}

// testIntakeRenewKeepsLine: renewing a turn keeps the chat's line in
// Redis as long as the turn: a handling longer than the first lease does
// not find its line gone, and the next update still waits for it.
func testIntakeRenewKeepsLine(t *testing.T, open opener) {
	s := open(t).s
	a := line{t, s, "web:slow"}
	t0 := time.UnixMilli(1_800_000_000_000)
	a.begin("u1", "x1", t0, 100*time.Millisecond, "turn") // the line's keys live 400ms
	if ok, err := s.Renew(ctx(t), a.chat, "u1", "x1", t0, 5*time.Second); !ok || err != nil {
		t.Fatalf("Renew = %v, %v", ok, err)
	}
	time.Sleep(600 * time.Millisecond) // past the first keys' life, in Redis's own time
	a.begin("u2", "x2", t0.Add(time.Second), 5*time.Second, "wait")
}
