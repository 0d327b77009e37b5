package storage_test

import (
	"testing"
	"time"
)

// testWindow: a queue parked outside its person's window keeps its items,
// in order, hands out nothing, and goes when they write; a message sent
// and refused later for the window comes back first, held.
func testWindow(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	o := newOutbox(t, s)
	t0 := time.UnixMilli(1_800_000_000_000)
	const chat = "whatsapp:971501234567"
	if last, err := s.LastWrote(c, "whatsapp:x"); !last.IsZero() || err != nil {
		t.Errorf("LastWrote of a stranger = %v, %v; want zero", last, err)
	}
	o.enqueue(chat, t0, "owed 1", "owed 2")
	q := o.next(t0, time.Minute, "owed 1")
	if ok, err := s.Park(c, q, t0); !ok || err != nil {
		t.Fatalf("Park = %v, %v", ok, err)
	}
	o.next(t0.Add(48*time.Hour), time.Minute, "") // held
	o.enqueue(chat, t0.Add(time.Hour), "owed 3")
	o.next(t0.Add(48*time.Hour), time.Minute, "") // still held
	if unparked, err := s.Wrote(c, chat, t0.Add(49*time.Hour)); !unparked || err != nil {
		t.Errorf("Wrote = %v, %v; want the queue let go", unparked, err)
	}
	if last, _ := s.LastWrote(c, q); !last.Equal(t0.Add(49 * time.Hour)) {
		t.Errorf("LastWrote = %v; want when they wrote", last)
	}
	for _, want := range []string{"owed 1", "owed 2", "owed 3"} {
		q := o.next(t0.Add(49*time.Hour), time.Minute, want)
		if err := s.Sent(c, q, t0.Add(49*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// Sent, kept, then refused later for the window: back first, held.
	if err := s.KeepSent(c, "wamid.9", []byte("the reply"), time.Hour); err != nil {
		t.Fatal(err)
	}
	o.enqueue(chat, t0.Add(49*time.Hour), "later")
	if ok, err := s.Resend(c, chat, "wamid.9", t0.Add(50*time.Hour)); !ok || err != nil {
		t.Fatalf("Resend = %v, %v", ok, err)
	}
	if ok, _ := s.Resend(c, chat, "wamid.9", t0.Add(50*time.Hour)); ok {
		t.Errorf("Resend twice: true; want false (it was queued already)")
	}
	o.next(t0.Add(50*time.Hour), time.Minute, "") // held
	s.Wrote(c, chat, t0.Add(51*time.Hour))
	o.next(t0.Add(51*time.Hour), time.Minute, "the reply")
	pending(t, s, 2)
}

// testPagesAndDelivery: long lists' pages expire; delivery states only
// move forward.
func testPagesAndDelivery(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	if err := s.SavePage(c, "k1", []byte(`{"choices":[]}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Page(c, "k1"); string(got) != `{"choices":[]}` || err != nil {
		t.Errorf("Page = %q, %v", got, err)
	}
	if got, err := s.Page(c, "nope"); got != nil || err != nil {
		t.Errorf("Page of none = %q, %v; want nil", got, err)
	}
	t0 := time.UnixMilli(1_800_000_000_000)
	for _, st := range []string{"delivered", "sent", "read", "delivered", "unknown"} {
		if err := s.SetDelivery(c, "wamid.1", st, t0); err != nil {
			t.Fatal(err)
		}
	}
	if st, at, err := s.Delivery(c, "wamid.1"); st != "read" || !at.Equal(t0) || err != nil {
		t.Errorf("Delivery = %s, %v, %v; want read (reports never go back)", st, at, err)
	}
	if st, _, _ := s.Delivery(c, "wamid.2"); st != "" {
		t.Errorf("Delivery of none = %q", st)
	}
}
