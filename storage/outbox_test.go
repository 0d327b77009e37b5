package storage_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// next calls NextDue and checks what it hands out.
func next(t *testing.T, s *storage.Store, now time.Time, lease time.Duration, wantChat, wantItem string) {
	t.Helper()
	chat, item, ok, err := s.NextDue(ctx(t), now, lease)
	if err != nil {
		t.Fatalf("NextDue: %v", err)
	}
	if wantChat == "" {
		if ok {
			t.Errorf("NextDue = %s %q; want nothing due", chat, item)
		}
		return
	}
	if !ok || chat != wantChat || string(item) != wantItem {
		t.Errorf("NextDue = %s %q %v; want %s %q", chat, item, ok, wantChat, wantItem)
	}
}

func items(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func pending(t *testing.T, s *storage.Store, want int) {
	t.Helper()
	if n, err := s.Pending(ctx(t)); n != want || err != nil {
		t.Errorf("Pending = %d, %v; want %d", n, err, want)
	}
}

func testOutboxOrder(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	const lease = time.Minute
	next(t, s, t0, lease, "", "")
	binary := string([]byte{0, ':', 0xff, 0xfe, '\n'})
	for _, e := range []struct {
		chat  string
		items []string
		at    time.Time
	}{
		{"tg:2", []string{"2a", binary}, t0.Add(2 * time.Millisecond)},
		{"tg:1", []string{"1a"}, t0.Add(time.Millisecond)},
		{"tg:2", []string{"2c"}, t0}, // already scheduled: keeps its time
		{"tg:1", []string{"1b", "1c"}, t0.Add(time.Second)},
	} {
		if err := s.Enqueue(c, e.chat, items(e.items...), e.at); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	pending(t, s, 6)
	now := t0.Add(10 * time.Millisecond)
	want := []struct{ chat, item string }{
		{"tg:1", "1a"}, {"tg:2", "2a"}, {"tg:1", "1b"}, {"tg:2", binary}, {"tg:1", "1c"}, {"tg:2", "2c"},
	}
	for _, w := range want {
		next(t, s, now, lease, w.chat, w.item)
		// Paced: the chat is due again 1ms later, so the chats take turns.
		if err := s.Sent(c, w.chat, now.Add(time.Millisecond)); err != nil {
			t.Fatalf("Sent: %v", err)
		}
		now = now.Add(time.Millisecond)
	}
	next(t, s, now.Add(time.Hour), lease, "", "")
	pending(t, s, 0)
	if err := s.Enqueue(c, "tg:3", nil, now); err != nil {
		t.Errorf("Enqueue(nothing): %v", err)
	}
	pending(t, s, 0)
}

// testEnqueueAll: several chats at once, each in order.
func testEnqueueAll(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	if err := s.EnqueueAll(c, []string{"tg:1", "tg:-5", "tg:2"}, [][][]byte{items("a", "b"), items("card"), nil}, t0); err != nil {
		t.Fatalf("EnqueueAll: %v", err)
	}
	pending(t, s, 3)
	if err := s.EnqueueAll(c, []string{"tg:1"}, nil, t0); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("EnqueueAll with mismatched lists: %v; want ErrInvalid", err)
	}
	got := map[string][]string{}
	for range 3 {
		chat, item, ok, err := s.NextDue(c, t0, time.Minute)
		if err != nil || !ok {
			t.Fatalf("NextDue = %v, %v", ok, err)
		}
		got[chat] = append(got[chat], string(item))
		if err := s.Sent(c, chat, t0); err != nil {
			t.Fatalf("Sent: %v", err)
		}
	}
	if fmt.Sprint(got["tg:1"]) != "[a b]" || fmt.Sprint(got["tg:-5"]) != "[card]" || len(got) != 2 {
		t.Errorf("sent %v; want a, b to tg:1 and the card to tg:-5", got)
	}
}

// testOutboxPaceAcrossBatches: a chat whose queue emptied keeps its pace
// for what is enqueued next.
func testOutboxPaceAcrossBatches(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	lease := time.Minute
	if err := s.Enqueue(c, "tg:1", items("a"), t0); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	next(t, s, t0, lease, "tg:1", "a")
	if err := s.Sent(c, "tg:1", t0.Add(time.Second)); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	if err := s.Enqueue(c, "tg:1", items("b"), t0.Add(10*time.Millisecond)); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	next(t, s, t0.Add(500*time.Millisecond), lease, "", "") // still paced
	next(t, s, t0.Add(time.Second), lease, "tg:1", "b")
	if err := s.Sent(c, "tg:1", t0.Add(2*time.Second)); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	next(t, s, t0.Add(time.Hour), lease, "", "") // nothing left: dropped once due
	if err := s.Enqueue(c, "tg:1", items("c"), t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	next(t, s, t0.Add(2*time.Hour), lease, "tg:1", "c")
}

func testOutboxLease(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	if err := s.Enqueue(c, "tg:1", items("a", "b"), t0); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if err := s.Sent(c, "tg:1", t0); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("Sent without a lease: got %v; want ErrConflict", err)
	}
	next(t, s, t0, 30*time.Second, "tg:1", "a")
	next(t, s, t0.Add(29*time.Second), time.Minute, "", "") // leased
	next(t, s, t0.Add(30*time.Second), time.Minute, "tg:1", "a")
	if err := s.Sent(c, "tg:1", t0); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	// The first sender, late, finishes too: nothing more is dropped.
	if err := s.Sent(c, "tg:1", t0); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("second Sent: got %v; want ErrConflict", err)
	}
	pending(t, s, 1)
	next(t, s, t0.Add(time.Hour), time.Minute, "tg:1", "b")
	if err := s.Sent(c, "tg:1", t0); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	if err := s.Sent(c, "tg:1", t0); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Sent on an empty queue: got %v; want ErrNotFound", err)
	}
	if _, err := s.Retry(c, "tg:9", t0); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Retry on an unknown chat: got %v; want ErrNotFound", err)
	}
}

func testOutboxRetryDead(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	if err := s.Enqueue(c, "tg:1", items("a", "b"), t0); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	for i := 1; i <= 3; i++ {
		now := t0.Add(time.Duration(i) * time.Minute)
		next(t, s, now, time.Second, "tg:1", "a")
		n, err := s.Retry(c, "tg:1", now.Add(time.Minute))
		if err != nil || n != i {
			t.Fatalf("Retry = %d, %v; want %d", n, err, i)
		}
		next(t, s, now.Add(time.Minute-time.Millisecond), time.Second, "", "") // backing off
	}
	if _, err := s.Retry(c, "tg:1", t0); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("Retry without a lease: got %v; want ErrConflict", err)
	}
	dead := t0.Add(4 * time.Minute)
	next(t, s, dead, time.Second, "tg:1", "a")
	if err := s.Dead(c, "tg:1", "403 blocked", dead); err != nil {
		t.Fatalf("Dead: %v", err)
	}
	pending(t, s, 1)
	// The rest is due now, and starts with no failed attempts.
	next(t, s, dead, time.Second, "tg:1", "b")
	if n, err := s.Retry(c, "tg:1", dead); n != 1 || err != nil {
		t.Errorf("Retry of the next item = %d, %v; want 1", n, err)
	}
	next(t, s, dead, time.Second, "tg:1", "b")
	if err := s.Dead(c, "tg:1", "400 bad request", dead.Add(time.Second)); err != nil {
		t.Fatalf("Dead: %v", err)
	}
	pending(t, s, 0)
	next(t, s, dead.Add(time.Hour), time.Second, "", "")
	for i := range 3 {
		if err := s.Enqueue(c, "tg:2", items(fmt.Sprint(i)), dead); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		next(t, s, dead.Add(time.Hour), time.Second, "tg:2", fmt.Sprint(i))
		if err := s.Dead(c, "tg:2", "x", dead.Add(time.Duration(2+i)*time.Second)); err != nil {
			t.Fatalf("Dead: %v", err)
		}
	}
	got, err := s.DeadLetters(c, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("DeadLetters(3) = %v, %v; want 3", got, err)
	}
	all, _ := s.DeadLetters(c, 0)
	if len(all) != 5 {
		t.Errorf("DeadLetters(0) has %d; want 5", len(all))
	}
	last := all[len(all)-1]
	if last.Chat != "tg:1" || string(last.Item) != "a" || last.Reason != "403 blocked" || !last.At.Equal(dead) {
		t.Errorf("oldest dead letter = %+v; want tg:1 a, 403 blocked at %v", last, dead)
	}
	if got[0].Item == nil || string(got[0].Item) != "2" {
		t.Errorf("newest dead letter = %+v; want item 2", got[0])
	}
}
