package storage_test

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// outbox drives a Store's outbox in a test and remembers which stored
// queue name each test name got, by the items that come out of it.
type outbox struct {
	t       *testing.T
	s       *storage.Store
	budgets map[string]time.Duration
	names   map[string]string // stored queue -> the test's name for it
}

func newOutbox(t *testing.T, s *storage.Store) *outbox {
	return &outbox{t: t, s: s, names: map[string]string{}}
}

// enqueue puts items on the queue name without a budget.
func (o *outbox) enqueue(name string, at time.Time, its ...string) {
	o.t.Helper()
	if err := o.s.Enqueue(ctx(o.t), name, "", items(its...), at); err != nil {
		o.t.Fatalf("Enqueue: %v", err)
	}
}

// next calls NextDue and checks that it hands out wantItem ("" for
// nothing); it returns the stored queue name.
func (o *outbox) next(now time.Time, lease time.Duration, wantItem string) string {
	o.t.Helper()
	q, item, _, _, err := o.s.NextDue(ctx(o.t), now, lease, o.budgets)
	if err != nil {
		o.t.Fatalf("NextDue: %v", err)
	}
	if wantItem == "" {
		if q != "" {
			o.t.Errorf("NextDue = %q from %s; want nothing due", item, q)
		}
		return ""
	}
	if q == "" || string(item) != wantItem {
		o.t.Errorf("NextDue = %q from %q; want %q", item, q, wantItem)
	}
	return q
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
	f := open(t)
	o, c := newOutbox(t, f.s), ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	const lease = time.Minute
	o.next(t0, lease, "")
	binary := string([]byte{0, ':', 0xff, 0xfe, '\n'})
	o.enqueue("telegram:2", t0.Add(2*time.Millisecond), "2a", binary)
	o.enqueue("telegram:1", t0.Add(time.Millisecond), "1a")
	o.enqueue("telegram:2", t0, "2c") // already scheduled: keeps its time
	o.enqueue("telegram:1", t0.Add(time.Second), "1b", "1c")
	pending(t, f.s, 6)
	now := t0.Add(10 * time.Millisecond)
	for _, want := range []string{"1a", "2a", "1b", binary, "1c", "2c"} {
		q := o.next(now, lease, want)
		// Paced: the queue is due again 1ms later, so the queues take turns.
		if err := f.s.Sent(c, q, now.Add(time.Millisecond)); err != nil {
			t.Fatalf("Sent: %v", err)
		}
		now = now.Add(time.Millisecond)
	}
	o.next(now.Add(time.Hour), lease, "")
	pending(t, f.s, 0)
	o.enqueue("telegram:3", now)
	pending(t, f.s, 0)
	// Stored queue names keep the channel and nothing of the chat (an
	// opaque name may start with a digit: the chat is a whole part).
	chat := regexp.MustCompile(`telegram:[123](:|$)`)
	for _, k := range f.keys(t, "*") {
		if chat.MatchString(k) {
			t.Errorf("key %q names a chat", k)
		}
	}
}

// testEnqueueAll: several queues at once, each in order; a batch with a
// once key is queued once.
func testEnqueueAll(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	o := newOutbox(t, s)
	t0 := time.UnixMilli(1_800_000_000_000)
	queues, budgets := []string{"telegram:1", "telegram:-5", "telegram:2"}, []string{"", "", ""}
	batch := [][][]byte{items("a", "b"), items("card"), nil}
	if fresh, err := s.EnqueueAll(c, "in:telegram:77", time.Hour, queues, nil, budgets, batch, t0); err != nil || !fresh {
		t.Fatalf("EnqueueAll = %v, %v; want fresh", fresh, err)
	}
	pending(t, s, 3)
	if fresh, err := s.EnqueueAll(c, "in:telegram:77", time.Hour, queues, nil, budgets, batch, t0); err != nil || fresh {
		t.Errorf("EnqueueAll again with the same once key = %v, %v; want not fresh, nothing queued", fresh, err)
	}
	pending(t, s, 3)
	if _, err := s.EnqueueAll(c, "", 0, []string{"telegram:1"}, nil, []string{""}, nil, t0); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("EnqueueAll with mismatched lists: %v; want ErrInvalid", err)
	}
	got := map[string][]string{}
	for range 3 {
		q, item, _, _, err := s.NextDue(c, t0, time.Minute, nil)
		if err != nil || q == "" {
			t.Fatalf("NextDue = %q, %v", q, err)
		}
		got[q] = append(got[q], string(item))
		if err := s.Sent(c, q, t0); err != nil {
			t.Fatalf("Sent: %v", err)
		}
	}
	var lists []string
	for _, l := range got {
		lists = append(lists, fmt.Sprint(l))
	}
	slices.Sort(lists)
	if fmt.Sprint(lists) != "[[a b] [card]]" {
		t.Errorf("sent %v; want a, b to one queue and the card to another", got)
	}
	o.next(t0.Add(time.Hour), time.Minute, "")
}

// testOutboxPaceAcrossBatches: a queue that emptied keeps its pace for
// what is enqueued next.
func testOutboxPaceAcrossBatches(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	o := newOutbox(t, s)
	t0 := time.UnixMilli(1_800_000_000_000)
	lease := time.Minute
	o.enqueue("telegram:1", t0, "a")
	q := o.next(t0, lease, "a")
	if err := s.Sent(c, q, t0.Add(time.Second)); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	o.enqueue("telegram:1", t0.Add(10*time.Millisecond), "b")
	o.next(t0.Add(500*time.Millisecond), lease, "") // still paced
	q = o.next(t0.Add(time.Second), lease, "b")
	if err := s.Sent(c, q, t0.Add(2*time.Second)); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	o.next(t0.Add(time.Hour), lease, "") // nothing left: dropped once due
	o.enqueue("telegram:1", t0.Add(2*time.Hour), "c")
	o.next(t0.Add(2*time.Hour), lease, "c")
}

func testOutboxLease(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	o := newOutbox(t, s)
	t0 := time.UnixMilli(1_800_000_000_000)
	o.enqueue("telegram:1", t0, "a", "b")
	q := o.next(t0, 30*time.Second, "a")
	o.next(t0.Add(29*time.Second), time.Minute, "") // leased
	o.next(t0.Add(30*time.Second), time.Minute, "a")
	if err := s.Sent(c, q, t0); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	// The first sender, late, finishes too: nothing more is dropped.
	if err := s.Sent(c, q, t0); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("second Sent: got %v; want ErrConflict", err)
	}
	pending(t, s, 1)
	o.next(t0.Add(time.Hour), time.Minute, "b")
	// Put back (the sender stops): due again at once, with no failure.
	if err := s.PutBack(c, q, t0.Add(time.Hour)); err != nil {
		t.Fatalf("PutBack: %v", err)
	}
	if _, _, n, _, err := s.NextDue(c, t0.Add(time.Hour), time.Minute, nil); n != 0 || err != nil {
		t.Errorf("attempts after PutBack = %d, %v; want 0", n, err)
	}
	if err := s.Sent(c, q, t0); err != nil {
		t.Fatalf("Sent: %v", err)
	}
	if err := s.Sent(c, q, t0); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Sent on an empty queue: got %v; want ErrNotFound", err)
	}
	if _, err := s.Retry(c, "telegram:unknown", t0); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Retry on an unknown queue: got %v; want ErrNotFound", err)
	}
}

func testOutboxRetryDead(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	o := newOutbox(t, s)
	t0 := time.UnixMilli(1_800_000_000_000)
	o.enqueue("telegram:1", t0, "a", "b")
	var q string
	for i := 1; i <= 3; i++ {
		now := t0.Add(time.Duration(i) * time.Minute)
		var item []byte
		var attempts int
		var err error
		q, item, attempts, _, err = s.NextDue(c, now, time.Second, nil)
		if err != nil || string(item) != "a" || attempts != i-1 {
			t.Fatalf("NextDue = %q, %d attempts, %v; want a after %d", item, attempts, err, i-1)
		}
		n, err := s.Retry(c, q, now.Add(time.Minute))
		if err != nil || n != i {
			t.Fatalf("Retry = %d, %v; want %d", n, err, i)
		}
		o.next(now.Add(time.Minute-time.Millisecond), time.Second, "") // backing off
	}
	if _, err := s.Retry(c, q, t0); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("Retry without a lease: got %v; want ErrConflict", err)
	}
	dead := t0.Add(4 * time.Minute)
	o.next(dead, time.Second, "a")
	if err := s.Dead(c, q, "403 blocked", dead); err != nil {
		t.Fatalf("Dead: %v", err)
	}
	pending(t, s, 1)
	// The rest is due now, and starts with no failed attempts.
	o.next(dead, time.Second, "b")
	if n, err := s.Retry(c, q, dead); n != 1 || err != nil {
		t.Errorf("Retry of the next item = %d, %v; want 1", n, err)
	}
	o.next(dead, time.Second, "b")
	if err := s.Dead(c, q, "400 bad request", dead.Add(time.Second)); err != nil {
		t.Fatalf("Dead: %v", err)
	}
	pending(t, s, 0)
	o.next(dead.Add(time.Hour), time.Second, "")
	for i := range 3 {
		o.enqueue("telegram:2", dead, fmt.Sprint(i))
		q2 := o.next(dead.Add(time.Hour), time.Second, fmt.Sprint(i))
		if err := s.Dead(c, q2, "x", dead.Add(time.Duration(2+i)*time.Second)); err != nil {
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
	if last.Queue != q || string(last.Item) != "a" || last.Reason != "403 blocked" || !last.At.Equal(dead) {
		t.Errorf("oldest dead letter = %+v; want %s a, 403 blocked at %v", last, q, dead)
	}
	if got[0].Item == nil || string(got[0].Item) != "2" {
		t.Errorf("newest dead letter = %+v; want item 2", got[0])
	}
}

// testOutboxBudget: a budget spaces the sends drawn on it, whoever asks;
// queues on other budgets, or none, go meanwhile.
func testOutboxBudget(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	other, err := f.reopen(c, storage.WithPrefix(f.prefix)) // a second process
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	t0 := time.UnixMilli(1_800_000_000_000)
	budgets := map[string]time.Duration{"telegram": 100 * time.Millisecond}
	for i := range 4 {
		if err := s.Enqueue(c, fmt.Sprintf("telegram:%d", i), "telegram", items(fmt.Sprint("m", i)), t0); err != nil {
			t.Fatal(err)
		}
	}
	// Due a little later, so that the first send is a message.
	if err := s.Enqueue(c, "telegram:notices:1", "", items("notice"), t0.Add(5*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	take := func(st *storage.Store, now time.Time) (string, time.Duration) {
		t.Helper()
		q, item, _, wait, err := st.NextDue(c, now, time.Minute, budgets)
		if err != nil {
			t.Fatal(err)
		}
		if q != "" {
			if err := st.Sent(c, q, now); err != nil {
				t.Fatal(err)
			}
		}
		return string(item), wait
	}
	var sent []string
	item, _ := take(s, t0)
	sent = append(sent, item)
	// Within the interval, from the other process: only the free queue.
	if item, _ := take(other, t0.Add(10*time.Millisecond)); item != "notice" {
		t.Errorf("second send 10ms later = %q; want the notice (no budget)", item)
	}
	if item, wait := take(other, t0.Add(20*time.Millisecond)); item != "" || wait != 80*time.Millisecond {
		t.Errorf("third send 20ms later = %q, wait %v; want nothing, wait 80ms", item, wait)
	}
	for _, at := range []time.Duration{100, 200, 300} {
		item, _ := take(other, t0.Add(at*time.Millisecond))
		sent = append(sent, item)
	}
	slices.Sort(sent)
	if fmt.Sprint(sent) != "[m0 m1 m2 m3]" {
		t.Errorf("sent %v; want each message once, 100ms apart", sent)
	}
}

// testDeadCap: the dead letters are capped.
func testDeadCap(t *testing.T, open opener) {
	s, c := open(t, storage.WithDeadCap(10)).s, ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	for i := range 400 {
		if err := s.Enqueue(c, "telegram:1", "", items(fmt.Sprint(i)), t0); err != nil {
			t.Fatal(err)
		}
		q, _, _, _, err := s.NextDue(c, t0, time.Minute, nil)
		if err != nil || q == "" {
			t.Fatalf("NextDue = %q, %v", q, err)
		}
		if err := s.Dead(c, q, "x", t0); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.DeadLetters(c, 0)
	if err != nil || len(all) >= 400 || len(all) < 10 {
		t.Errorf("DeadLetters after 400 with a cap of 10: %d, %v; want about 10 (at most a block more)", len(all), err)
	}
	if len(all) > 0 && string(all[0].Item) != "399" {
		t.Errorf("newest dead letter %q; want 399", all[0].Item)
	}
}

// testOutboxLanes: a chat has a queue in each lane, handed out apart
// (NextDueIn), counted apart (OutboxBacklog); the person's writing
// unparks every lane's queue, and a refused bulk item goes back to the
// bulk lane.
func testOutboxLanes(t *testing.T, open opener) {
	s := open(t).s
	c := ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	const chat = "whatsapp:9715"
	lanes := []string{storage.LaneAnswer, storage.LaneNotify, storage.LaneBulk}
	if _, err := s.EnqueueAll(c, "", 0, []string{chat, chat, chat}, lanes, []string{"", "", ""},
		[][][]byte{items("a1", "a2"), items("n1"), items("b1", "b2", "b3")}, t0); err != nil {
		t.Fatal(err)
	}
	bl, err := s.OutboxBacklog(c, t0.Add(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{2, 1, 3} {
		if bl[i].Items != want || bl[i].Overdue != 3*time.Second {
			t.Errorf("backlog of lane %q = %+v; want %d items, 3s overdue", bl[i].Lane, bl[i], want)
		}
	}
	if _, err := s.EnqueueAll(c, "", 0, []string{chat}, []string{"x"}, []string{""}, [][][]byte{items("?")}, t0); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("EnqueueAll to lane x: %v; want ErrInvalid", err)
	}
	got := map[string][]string{}
	queues := map[string]string{}
	for _, lane := range lanes {
		for {
			q, item, _, _, err := s.NextDueIn(c, lane, t0, time.Minute, nil)
			if err != nil {
				t.Fatal(err)
			}
			if q == "" {
				break
			}
			queues[lane] = q
			got[lane] = append(got[lane], string(item))
			if lane == storage.LaneBulk && len(got[lane]) == 1 {
				// The platform refuses it for the window, later: it is
				// kept, and its queue parked.
				if err := s.KeepSent(c, q, "wamid.b1", item, time.Hour); err != nil {
					t.Fatal(err)
				}
				if err := s.Sent(c, q, t0); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if lane == storage.LaneNotify {
				if ok, err := s.Park(c, q, t0); !ok || err != nil {
					t.Fatalf("Park = %v, %v", ok, err)
				}
				break
			}
			if err := s.Sent(c, q, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string][]string{"": {"a1", "a2"}, "n": {"n1"}, "b": {"b1", "b2", "b3"}}
	for lane, w := range want {
		if !slices.Equal(got[lane], w) {
			t.Errorf("lane %q handed out %v; want %v", lane, got[lane], w)
		}
	}
	if queues[""] == queues["b"] || !strings.HasPrefix(queues["b"], "whatsapp:b:") {
		t.Errorf("queues %v: want the bulk lane's own, named for its channel", queues)
	}
	if ok, err := s.Resend(c, chat, "wamid.b1", t0, t0); !ok || err != nil {
		t.Fatalf("Resend = %v, %v", ok, err)
	}
	bl, _ = s.OutboxBacklog(c, t0)
	if bl[0].Items != 0 || bl[1].Items != 1 || bl[2].Items != 1 {
		t.Errorf("backlog after sending, parking and a resend: %+v; want 0, 1 (parked), 1 (resent)", bl)
	}
	if q, item, _, _, _ := s.NextDueIn(c, storage.LaneBulk, t0, time.Minute, nil); string(item) != "b1" {
		t.Errorf("bulk lane after the resend: %q from %q; want b1 again", item, q)
	}
	if q, _, _, _, _ := s.NextDueIn(c, storage.LaneNotify, t0, time.Minute, nil); q != "" {
		t.Errorf("the parked notify queue was handed out: %q", q)
	}
	if unparked, err := s.Wrote(c, chat, t0.Add(time.Minute), t0.Add(time.Minute)); !unparked || err != nil {
		t.Fatalf("Wrote = %v, %v; want the notify queue unparked", unparked, err)
	}
	if q, item, _, _, _ := s.NextDueIn(c, storage.LaneNotify, t0.Add(time.Minute), time.Minute, nil); string(item) != "n1" {
		t.Errorf("notify lane after the person wrote: %q from %q; want n1", item, q)
	}
}

// testOutboxPaceAcrossLanes: a chat's pace holds for all its lanes: a
// report waits its turn after an answer to the same chat.
func testOutboxPaceAcrossLanes(t *testing.T, open opener) {
	s := open(t).s
	c := ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	const chat = "telegram:-1001"
	if _, err := s.EnqueueAll(c, "", 0, []string{chat, chat}, []string{storage.LaneAnswer, storage.LaneBulk},
		[]string{"", ""}, [][][]byte{items("claimed"), items("report")}, t0); err != nil {
		t.Fatal(err)
	}
	q, _, _, _, err := s.NextDueIn(c, storage.LaneAnswer, t0, time.Minute, nil)
	if err != nil || q == "" {
		t.Fatalf("NextDueIn answers = %q, %v", q, err)
	}
	if err := s.Sent(c, q, t0.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Duration{0, 2 * time.Second} {
		if q, item, _, _, _ := s.NextDueIn(c, storage.LaneBulk, t0.Add(at), time.Minute, nil); q != "" {
			t.Errorf("bulk %v after an answer to the same group: %q; want nothing before its 3 s pace", at, item)
		}
	}
	if _, item, _, _, _ := s.NextDueIn(c, storage.LaneBulk, t0.Add(3*time.Second), time.Minute, nil); string(item) != "report" {
		t.Errorf("bulk 3 s after: %q; want the report", item)
	}

	// Items of every lane due at once: one is handed out, and the other
	// lanes wait for the pace its send sets, not for each its own
	// (three a pace would be three times what a group takes).
	const group = "telegram:-1002"
	if _, err := s.EnqueueAll(c, "", 0, []string{group, group, group}, []string{storage.LaneAnswer, storage.LaneNotify, storage.LaneBulk},
		[]string{"", "", ""}, [][][]byte{items("claimed"), items("card"), items("reminder")}, t0); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(10 * time.Second)
	var out []string
	var aq string
	for _, lane := range storage.Lanes {
		if q, item, _, _, _ := s.NextDueIn(c, lane, at, time.Minute, nil); q != "" {
			out, aq = append(out, string(item)), q
		}
	}
	if len(out) != 1 || out[0] != "claimed" {
		t.Fatalf("every lane asked at once: %q; want the answer alone", out)
	}
	if err := s.Sent(c, aq, at.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, lane := range []string{storage.LaneNotify, storage.LaneBulk} {
		if q, item, _, _, _ := s.NextDueIn(c, lane, at.Add(2*time.Second), time.Minute, nil); q != "" {
			t.Errorf("lane %q 2 s after the answer was sent: %q; want nothing before its pace", lane, item)
		}
	}
	out = nil
	for _, lane := range []string{storage.LaneNotify, storage.LaneBulk} {
		if q, item, _, _, _ := s.NextDueIn(c, lane, at.Add(3*time.Second), time.Minute, nil); q != "" {
			out = append(out, string(item))
		}
	}
	if len(out) != 1 || out[0] != "card" {
		t.Errorf("at the pace: %q; want one, the notification", out)
	}

	// Answers first within a chat: a reminder due before a press's answer
	// was queued waits for it.
	const busyGroup = "telegram:-1003"
	if _, err := s.EnqueueAll(c, "", 0, []string{busyGroup}, []string{storage.LaneBulk},
		[]string{""}, [][][]byte{items("reminder")}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnqueueAll(c, "", 0, []string{busyGroup}, []string{storage.LaneAnswer},
		[]string{""}, [][][]byte{items("claimed by Fatima")}, at.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	later := at.Add(time.Minute)
	if _, item, _, _, _ := s.NextDueIn(c, storage.LaneBulk, later, time.Minute, nil); string(item) == "reminder" {
		t.Errorf("bulk while the group's answer waits: %q; want the answer first", item)
	}
	q, item, _, _, _ := s.NextDueIn(c, storage.LaneAnswer, later, time.Minute, nil)
	if string(item) != "claimed by Fatima" {
		t.Fatalf("answers: %q; want the claim's answer", item)
	}
	if err := s.Sent(c, q, later.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, item, _, _, _ := s.NextDueIn(c, storage.LaneBulk, later.Add(3*time.Second), time.Minute, nil); string(item) != "reminder" {
		t.Errorf("bulk at the pace after the answer: %q; want the reminder", item)
	}

	// An answer that waits out a retry does not hold the chat's other
	// lanes back meanwhile.
	const failing = "telegram:-1004"
	if _, err := s.EnqueueAll(c, "", 0, []string{failing, failing}, []string{storage.LaneAnswer, storage.LaneNotify},
		[]string{"", ""}, [][][]byte{items("refused answer"), items("card")}, later); err != nil {
		t.Fatal(err)
	}
	q, item, _, _, _ = s.NextDueIn(c, storage.LaneAnswer, later, time.Minute, nil)
	if string(item) != "refused answer" {
		t.Fatalf("answers: %q; want the answer", item)
	}
	if _, err := s.Retry(c, q, later.Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, item, _, _, _ := s.NextDueIn(c, storage.LaneNotify, later.Add(time.Second), time.Minute, nil); string(item) != "card" {
		t.Errorf("notifications while the chat's answer waits out a retry: %q; want the card", item)
	}
}

// testOutboxWait: Wait keeps the head for when the platform allows, counts
// no failure, and holds the chat's other lanes as long; a send of another
// lane meanwhile does not shorten the wait.
func testOutboxWait(t *testing.T, open opener) {
	s := open(t).s
	c := ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	const chat = "telegram:-1001"
	if _, err := s.EnqueueAll(c, "", 0, []string{chat}, []string{storage.LaneNotify},
		[]string{""}, [][][]byte{items("card")}, t0); err != nil {
		t.Fatal(err)
	}
	q, _, _, _, err := s.NextDueIn(c, storage.LaneNotify, t0, time.Minute, nil)
	if err != nil || q == "" {
		t.Fatalf("NextDueIn notifications = %q, %v", q, err)
	}
	if err := s.Wait(c, q, t0.Add(30*time.Second), t0); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if _, err := s.EnqueueAll(c, "", 0, []string{chat}, []string{storage.LaneAnswer},
		[]string{""}, [][][]byte{items("notice")}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, lane := range []string{storage.LaneAnswer, storage.LaneNotify} {
		if q, item, _, _, _ := s.NextDueIn(c, lane, t0.Add(29*time.Second), time.Minute, nil); q != "" {
			t.Errorf("lane %q 29 s into a 30 s wait: %q; want nothing", lane, item)
		}
	}
	// After the wait the chat's answer goes first, then the card.
	if q, item, _, _, _ := s.NextDueIn(c, storage.LaneNotify, t0.Add(30*time.Second), time.Minute, nil); q != "" {
		t.Errorf("notifications after the wait, an answer waiting: %q; want the answer first", item)
	}
	q, item, _, _, _ := s.NextDueIn(c, storage.LaneAnswer, t0.Add(30*time.Second), time.Minute, nil)
	if string(item) != "notice" {
		t.Fatalf("answers after the wait: %q; want the notice", item)
	}
	if err := s.Sent(c, q, t0.Add(31*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, item, attempts, _, err := s.NextDueIn(c, storage.LaneNotify, t0.Add(31*time.Second), time.Minute, nil)
	if string(item) != "card" || attempts != 0 || err != nil {
		t.Errorf("at the answer's pace: %q with %d attempts, %v; want the card, no attempt counted", item, attempts, err)
	}
}

// testSentRef: SentRef records the message's ref both ways and drops the
// head, so that the queue's next item is handed out at the pace given
// and finds the ref; a second SentRef of the same head is refused as Sent
// refuses it, and works after the server lost its scripts.
func testSentRef(t *testing.T, open opener) {
	f := open(t)
	o, c := newOutbox(t, f.s), ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	const lease, chat = time.Minute, "telegram:7"
	o.enqueue(chat, t0, "question", "edit of the question", "third")
	q := o.next(t0, lease, "question")
	refErr, err := f.s.SentRef(c, q, t0.Add(time.Second), chat, "flow", "501", false, 0)
	if refErr != nil || err != nil {
		t.Fatalf("SentRef: %v, %v", refErr, err)
	}
	if id, err := f.s.Ref(c, chat, "flow"); id != "501" || err != nil {
		t.Errorf("Ref after SentRef = %q, %v; want 501", id, err)
	}
	if ref, err := f.s.RefOf(c, chat, "501"); ref != "flow" || err != nil {
		t.Errorf("RefOf after SentRef = %q, %v; want flow", ref, err)
	}
	o.next(t0.Add(999*time.Millisecond), lease, "") // paced
	q = o.next(t0.Add(time.Second), lease, "edit of the question")
	if _, err := f.s.SentRef(c, q, t0.Add(2*time.Second), chat, "flow", "502", true, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SentRef(c, q, t0.Add(2*time.Second), chat, "flow", "502", true, 0); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("SentRef of a head no longer leased: %v; want a conflict", err)
	}
	if id, _ := f.s.Ref(c, chat, "flow"); id != "501" {
		t.Errorf("a trailing part moved the ref to %q; want 501", id)
	}
	if err := f.rdb.ScriptFlush(c).Err(); err != nil {
		t.Fatal(err)
	}
	q = o.next(t0.Add(2*time.Second), lease, "third")
	if refErr, err := f.s.SentRef(c, q, t0.Add(3*time.Second), chat, "third", "503", false, 7); refErr != nil || err != nil {
		t.Fatalf("SentRef after the scripts were lost: %v, %v", refErr, err)
	}
	if id, _ := f.s.Ref(c, chat, "third"); id != "503" {
		t.Errorf("Ref after the scripts were lost = %q; want 503", id)
	}
	if id, queued, err := f.s.RefAt(c, chat, "third"); id != "503" || queued != 7 || err != nil {
		t.Errorf("RefAt = %q, %d, %v; want 503, queued 7", id, queued, err)
	}
	if id, queued, err := f.s.RefAt(c, chat, "flow"); id != "501" || queued != 0 || err != nil {
		t.Errorf("RefAt of a ref kept without its time = %q, %d, %v; want 501, 0", id, queued, err)
	}
	pending(t, f.s, 0)
}

// testOutboxForgotten: what the outbox holds for a person goes when they
// are forgotten, parked or not; and retention drops, from before its
// cutoff, the dead letters and the queues parked for a window that never
// opened again, so that neither keeps a number and words for ever.
func testOutboxForgotten(t *testing.T, open opener) {
	s := open(t).s
	c := ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	const parkedChat, waiting, other = "whatsapp:971500000001", "whatsapp:971500000002", "telegram:7"
	if _, err := s.EnqueueAll(c, "", 0, []string{parkedChat, parkedChat, waiting, other},
		[]string{storage.LaneAnswer, storage.LaneBulk, storage.LaneNotify, storage.LaneAnswer},
		[]string{"", "", "", ""}, [][][]byte{items("resolution"), items("report"), items("reply"), items("dead one")}, t0); err != nil {
		t.Fatal(err)
	}
	for _, lane := range []string{storage.LaneAnswer, storage.LaneBulk} {
		q, item, _, _, err := s.NextDueIn(c, lane, t0, time.Minute, nil)
		if err != nil || q == "" {
			t.Fatalf("NextDueIn(%q) = %q, %v", lane, q, err)
		}
		switch string(item) {
		case "dead one":
			if err := s.Dead(c, q, "refused", t0); err != nil {
				t.Fatal(err)
			}
			if q, _, _, _, _ = s.NextDueIn(c, lane, t0.Add(time.Second), time.Minute, nil); q == "" {
				t.Fatal("the resolution was not handed out")
			}
			fallthrough
		default:
			if ok, err := s.Park(c, q, t0); !ok || err != nil {
				t.Fatalf("Park(%s) = %v, %v", item, ok, err)
			}
		}
	}
	pending(t, s, 3)
	if dead, parked, err := s.ExpireOutbox(c, time.Now().Add(-time.Hour)); dead != 0 || parked != 0 || err != nil {
		t.Errorf("ExpireOutbox before anything was kept = %d, %d, %v; want nothing", dead, parked, err)
	}
	// Added to after the cutoff, a parked queue stays, all of it.
	if _, err := s.EnqueueAll(c, "", 0, []string{parkedChat}, []string{storage.LaneAnswer}, []string{""},
		[][][]byte{items("a newer notice")}, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if dead, parked, err := s.ExpireOutbox(c, t0.Add(time.Hour)); dead != 1 || parked != 1 || err != nil {
		t.Errorf("ExpireOutbox after = %d dead, %d parked, %v; want 1 and the bulk queue parked", dead, parked, err)
	}
	pending(t, s, 3)
	if dead, parked, err := s.ExpireOutbox(c, t0.Add(3*time.Hour)); dead != 0 || parked != 1 || err != nil {
		t.Errorf("ExpireOutbox past the newer notice = %d dead, %d parked, %v; want the answer queue", dead, parked, err)
	}
	pending(t, s, 1)
	if dl, _ := s.DeadLetters(c, 0); len(dl) != 0 {
		t.Errorf("dead letters after their retention: %d; want none", len(dl))
	}
	// They wrote to be forgotten: the answer to that goes in their window.
	if _, err := s.Wrote(c, waiting, t0.Add(time.Minute), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetPerson(c, shakwa.Address{Channel: "whatsapp", Chat: "971500000002"}); err != nil {
		t.Fatal(err)
	}
	pending(t, s, 0)
	if q, item, _, _, _ := s.NextDueIn(c, storage.LaneNotify, t0.Add(time.Minute), time.Minute, nil); q != "" {
		t.Errorf("after ForgetPerson the outbox handed out %q", item)
	}
	if _, err := s.EnqueueAll(c, "", 0, []string{waiting}, []string{storage.LaneAnswer}, []string{""},
		[][][]byte{items("forgotten")}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	q, _, _, _, _ := s.NextDueIn(c, storage.LaneAnswer, t0.Add(2*time.Minute), time.Minute, nil)
	if at, err := s.LastWrote(c, q); !at.Equal(t0.Add(time.Minute)) || err != nil {
		t.Errorf("LastWrote after ForgetPerson = %v, %v; want when they wrote, so that the answer goes", at, err)
	}
}
