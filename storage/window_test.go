package storage_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// testWindow: a queue parked outside its person's window keeps its items,
// in order, hands out nothing, and goes when they write after it was
// parked; a message sent and refused later for the window comes back in
// its place, once, with the window taken for closed.
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
	if n, err := s.Sendable(c); n != 0 || err != nil {
		t.Errorf("Sendable = %d, %v; want 0 (all of it waits for the person)", n, err)
	}
	pending(t, s, 3)
	// A message from before the park, delivered late, is no answer to it.
	if unparked, err := s.Wrote(c, chat, t0.Add(-time.Hour), t0.Add(48*time.Hour)); unparked || err != nil {
		t.Errorf("Wrote of an older message = %v, %v; want the queue kept", unparked, err)
	}
	if unparked, err := s.Wrote(c, chat, t0.Add(49*time.Hour), t0.Add(49*time.Hour)); !unparked || err != nil {
		t.Errorf("Wrote = %v, %v; want the queue let go", unparked, err)
	}
	s.Wrote(c, chat, t0.Add(47*time.Hour), t0.Add(49*time.Hour)) // late, out of order
	if last, _ := s.LastWrote(c, q); !last.Equal(t0.Add(49 * time.Hour)) {
		t.Errorf("LastWrote = %v; want when they last wrote", last)
	}
	if n, _ := s.Sendable(c); n != 3 {
		t.Errorf("Sendable = %d; want 3", n)
	}
	for _, want := range []string{"owed 1", "owed 2", "owed 3"} {
		q := o.next(t0.Add(49*time.Hour), time.Minute, want)
		if err := s.Sent(c, q, t0.Add(49*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// Sent, kept, then refused later for the window: back in its place,
	// before what was queued after it, not before a head being sent.
	now := t0.Add(49 * time.Hour)
	o.enqueue(chat, now, "first", "second")
	q = o.next(now, time.Minute, "first")
	if err := s.KeepSent(c, q, "wamid.1", []byte("first"), time.Hour); err != nil {
		t.Fatal(err)
	}
	s.Sent(c, q, now)
	q = o.next(now, time.Minute, "second")
	s.KeepSent(c, q, "wamid.2", []byte("second"), time.Hour)
	s.Sent(c, q, now)
	o.enqueue(chat, now, "third", "fourth")
	q = o.next(now, time.Minute, "third") // being sent
	for _, id := range []string{"wamid.2", "wamid.1", "wamid.1"} {
		if ok, err := s.Resend(c, chat, id, now, now); !ok || err != nil {
			t.Fatalf("Resend %s = %v, %v", id, ok, err)
		}
	}
	if ok, _ := s.Resend(c, chat, "wamid.unknown", now, now); ok {
		t.Errorf("Resend of what was never kept: true")
	}
	pending(t, s, 4)
	if last, _ := s.LastWrote(c, q); !last.IsZero() {
		t.Errorf("LastWrote after a refusal = %v; want none (the window is closed)", last)
	}
	s.Sent(c, q, now)
	for _, want := range []string{"first", "second", "fourth"} {
		q := o.next(now.Add(time.Minute), time.Minute, want)
		s.Sent(c, q, now)
	}
	// A refusal reported after the person wrote again leaves the window open.
	o.enqueue(chat, now, "fifth")
	q = o.next(now.Add(time.Minute), time.Minute, "fifth")
	s.KeepSent(c, q, "wamid.5", []byte("fifth"), time.Hour)
	s.Sent(c, q, now)
	s.Wrote(c, chat, now.Add(2*time.Minute), now.Add(2*time.Minute))
	s.Resend(c, chat, "wamid.5", now.Add(time.Minute), now.Add(3*time.Minute))
	if last, _ := s.LastWrote(c, q); !last.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("LastWrote = %v; want their later message kept", last)
	}
	o.next(now.Add(3*time.Minute), time.Minute, "fifth")
}

// testPagesAndDelivery: long lists' pages expire; delivery states only
// move forward; neither names a key by what it was given (a WhatsApp
// message id encodes a phone number).
func testPagesAndDelivery(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	if err := s.SavePage(c, "k1", []byte(`{"choices":[]}`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Page(c, "k1"); string(got) != `{"choices":[]}` || err != nil {
		t.Errorf("Page = %q, %v", got, err)
	}
	if got, err := s.Page(c, "nope"); got != nil || err != nil {
		t.Errorf("Page of none = %q, %v; want nil", got, err)
	}
	// A mark taken once, until dropped.
	for i, want := range []bool{true, false} {
		if got, err := s.TakePage(c, "seen:x", time.Hour); got != want || err != nil {
			t.Errorf("TakePage #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	if err := s.DropPage(c, "seen:x"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.TakePage(c, "seen:x", time.Hour); !got || err != nil {
		t.Errorf("TakePage after DropPage = %v, %v; want it taken", got, err)
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
	for id, want := range map[string]bool{"wamid.1": true, "wamid.2": false} {
		if got, err := s.Delivered(c, id); got != want || err != nil {
			t.Errorf("Delivered(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
	// A record that cannot be read is said to be so, not a failure that
	// may pass.
	if err := storage.SetDeliveryRaw(c, s, "wamid.3", "garbage"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Delivery(c, "wamid.3"); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("Delivery of an unreadable record: %v; want ErrInvalid", err)
	}
	const wamid = "wamid.HBgMOTcxNTAxMjM0NTY3FQIAERgSQzRFMEI2QkY1RTk2"
	if err := s.SetDelivery(c, wamid, "sent", t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePage(c, "seen:"+wamid, []byte("1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	// An item kept under the id of the message it went as, to resend.
	o := newOutbox(t, s)
	o.enqueue("whatsapp:971500000001", t0, "a resolution")
	q := o.next(t0, time.Minute, "a resolution")
	if err := s.KeepSent(c, q, wamid, []byte("a resolution"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if keys := f.keys(t, "ob:*sent:*"); len(keys) != 1 {
		t.Fatalf("items kept to resend: %v; want one", keys)
	}
	for _, k := range f.keys(t, "*") {
		if strings.Contains(k, "wamid") || strings.Contains(k, "HBgM") || strings.Contains(k, "k1") {
			t.Errorf("key %q names what it keeps", k)
		}
	}
}

// testOutboxHold: a held lease keeps the head from other senders past the
// first lease, and only its holder may hold it.
func testOutboxHold(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	o := newOutbox(t, s)
	t0 := time.UnixMilli(1_800_000_000_000)
	o.enqueue("whatsapp:1", t0, "big file")
	q := o.next(t0, 10*time.Second, "big file")
	if ok, err := s.Hold(c, q, t0.Add(2*time.Minute)); !ok || err != nil {
		t.Fatalf("Hold = %v, %v", ok, err)
	}
	o.next(t0.Add(time.Minute), 10*time.Second, "") // still held
	o.next(t0.Add(2*time.Minute), 10*time.Second, "big file")
	s.Sent(c, q, t0)
	if ok, err := s.Hold(c, q, t0.Add(time.Hour)); ok || err != nil {
		t.Errorf("Hold after Sent = %v, %v; want false", ok, err)
	}
}
