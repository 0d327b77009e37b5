package bot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// channel records what it sends; fail decides the outcome of each send.
type channel struct {
	mu    sync.Mutex
	sent  []string // "chat:text" or "chat:text (edit ID)"
	at    []time.Time
	next  int
	fail  func(r bot.Reply) error
	calls int
	clock func() time.Time
}

func (c *channel) Name() string { return "telegram" }

// The test channel has no limits of its own; the types that embed it add
// theirs.
func (c *channel) Pace(bot.Reply) time.Duration { return 0 }
func (c *channel) PerSecond() float64           { return 0 }

func (c *channel) Send(ctx context.Context, r bot.Reply, editID string) (bot.Sent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.fail != nil {
		if err := c.fail(r); err != nil {
			return bot.Sent{}, err
		}
	}
	line := r.Chat + ":" + r.Text
	if c.clock != nil {
		c.at = append(c.at, c.clock())
	}
	if editID != "" {
		line += " (edit " + editID + ")"
		c.sent = append(c.sent, line)
		return bot.Sent{MessageID: editID}, nil
	}
	c.next++
	c.sent = append(c.sent, line)
	return bot.Sent{MessageID: strconv.Itoa(c.next)}, nil
}

func (c *channel) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

// enqueue queues rs without a once key.
func enqueue(t *testing.T, o *bot.Outbox, rs ...bot.Reply) {
	t.Helper()
	if _, err := o.Enqueue(context.Background(), "", 0, rs); err != nil {
		t.Fatal(err)
	}
}

// drain sends until nothing is due.
func drain(t *testing.T, o *bot.Outbox) {
	t.Helper()
	for range 1000 {
		busy, err := o.SendOne(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	t.Fatal("outbox still busy after 1000 sends")
}

func TestOutboxOrderRefsAndEdits(t *testing.T) {
	store := storagetest.Store(t)
	ch := &channel{}
	o := bot.NewOutbox(store, []bot.Channel{ch}, time.Now, quiet)
	ctx := context.Background()
	enqueue(t, o,
		bot.Reply{Channel: "telegram", Chat: "1", Text: "a"},
		bot.Reply{Channel: "telegram", Chat: "-5", Text: "card", Ref: "card:KRM-000001"},
		bot.Reply{Channel: "telegram", Chat: "1", Text: "b"},
		bot.Reply{Channel: "telegram", Chat: "1", Text: "c"},
	)
	drain(t, o)
	id, err := store.Ref(ctx, "telegram:-5", "card:KRM-000001")
	if err != nil || id == "" {
		t.Fatalf("Ref after sending the card = %q, %v; want its message id", id, err)
	}
	if ref, _ := store.RefOf(ctx, "telegram:-5", id); ref != "card:KRM-000001" {
		t.Errorf("RefOf(%s) = %q; want the card", id, ref)
	}
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "card claimed", Ref: "card:KRM-000001", Edit: true})
	drain(t, o)
	var one, group []string
	for _, l := range ch.lines() {
		if l[0] == '1' {
			one = append(one, l)
		} else {
			group = append(group, l)
		}
	}
	if want := []string{"1:a", "1:b", "1:c"}; !slices.Equal(one, want) {
		t.Errorf("chat 1 got %v; want %v", one, want)
	}
	if want := []string{"-5:card", "-5:card claimed (edit " + id + ")"}; !slices.Equal(group, want) {
		t.Errorf("group got %v; want %v", group, want)
	}
}

// TestOutboxStaleEdit: an edit of a message that a later edit, sent ahead
// of it by another lane, has changed already is dropped: a card claimed
// meanwhile is never turned back by an overdue notice queued before the
// claim.
func TestOutboxStaleEdit(t *testing.T) {
	store := storagetest.Store(t)
	ch := &channel{}
	o := bot.NewOutbox(store, []bot.Channel{ch}, time.Now, quiet)
	ctx := context.Background()
	const ref = "card:KRM-000001"
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "card", Ref: ref})
	drain(t, o)
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "card overdue, claim it", Ref: ref, Edit: true, Priority: bot.Bulk})
	time.Sleep(time.Millisecond) // queued later, by however little
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "card claimed", Ref: ref, Edit: true})
	for _, p := range []bot.Priority{bot.Answer, bot.Bulk} {
		if busy, err := o.SendOneIn(ctx, p); !busy || err != nil {
			t.Fatalf("SendOneIn(%v) = %v, %v; want the edit handled", p, busy, err)
		}
	}
	id, _ := store.Ref(ctx, "telegram:-5", ref)
	if want := []string{"-5:card", "-5:card claimed (edit " + id + ")"}; !slices.Equal(ch.lines(), want) {
		t.Errorf("group got %v; want %v, the overdue edit dropped", ch.lines(), want)
	}
	if n, _ := store.Pending(ctx); n != 0 {
		t.Errorf("%d left in the outbox; want none", n)
	}
	// An edit queued after the last one applied goes as ever.
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "card resolved", Ref: ref, Edit: true, Priority: bot.Bulk})
	time.Sleep(100 * time.Millisecond) // the bulk budget's spacing
	drain(t, o)
	if got := ch.lines(); got[len(got)-1] != "-5:card resolved (edit "+id+")" {
		t.Errorf("group got %v; want the later edit sent", got)
	}
}

// TestOutboxOnce: the replies of work that runs twice (its first run died
// after queueing them) are queued once.
func TestOutboxOnce(t *testing.T) {
	store := storagetest.Store(t)
	ch := &channel{}
	o := bot.NewOutbox(store, []bot.Channel{ch}, time.Now, quiet)
	rs := []bot.Reply{{Channel: "telegram", Chat: "1", Text: "a"}, {Channel: "telegram", Chat: "-5", Text: "card"}}
	for i, want := range []bool{true, false} {
		fresh, err := o.Enqueue(context.Background(), "in:telegram:77", time.Hour, rs)
		if err != nil || fresh != want {
			t.Errorf("Enqueue #%d = %v, %v; want %v", i+1, fresh, err, want)
		}
	}
	drain(t, o)
	if got := ch.lines(); len(got) != 2 {
		t.Errorf("sent %v; want each reply once", got)
	}
}

// TestOutboxNoticesSkipThePace: a chat's messages wait their pace, but the
// answer to a button press does not wait behind them.
func TestOutboxNoticesSkipThePace(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	ch := &pacedChannel{channel: &channel{}}
	o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "card"})
	drain(t, o)
	enqueue(t, o,
		bot.Reply{Channel: "telegram", Chat: "-5", Notice: true, ButtonToken: "cb1", Text: "taken"},
		bot.Reply{Channel: "telegram", Chat: "-5", Text: "card edited"},
	)
	drain(t, o)
	if got := ch.lines(); !slices.Equal(got, []string{"-5:card", "-5:taken"}) {
		t.Errorf("sent %v; want the notice at once and the message paced", got)
	}
	clk.add(3 * time.Second)
	drain(t, o)
	if got := ch.lines(); len(got) != 3 || got[2] != "-5:card edited" {
		t.Errorf("sent %v; want the paced message after 3s", got)
	}
}

// pacedChannel paces groups as Telegram does.
type pacedChannel struct{ *channel }

func (pacedChannel) Pace(r bot.Reply) time.Duration {
	if r.Notice {
		return 0
	}
	return 3 * time.Second
}
func (pacedChannel) PerSecond() float64 { return 1000 }

// budgetChannel allows 10 messages a second in all.
type budgetChannel struct{ *channel }

func (budgetChannel) Pace(bot.Reply) time.Duration { return 0 }
func (budgetChannel) PerSecond() float64           { return 10 }

// TestOutboxBudgetAcrossProcesses: two outboxes on one store (two
// replicas) send 10 messages a second between them, not each; answers to
// button presses are outside the budget.
func TestOutboxBudgetAcrossProcesses(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	ch := &channel{clock: clk.Now}
	a := bot.NewOutbox(store, []bot.Channel{budgetChannel{ch}}, clk.Now, quiet)
	b := bot.NewOutbox(store, []bot.Channel{budgetChannel{ch}}, clk.Now, quiet)
	for i := range 30 {
		enqueue(t, a, bot.Reply{Channel: "telegram", Chat: strconv.Itoa(i), Text: "m"})
	}
	enqueue(t, b, bot.Reply{Channel: "telegram", Chat: "1", Notice: true, ButtonToken: "q", Text: "notice"})
	perTick := map[int]int{}
	for tick := range 40 { // 40 × 25ms: one second
		n := len(ch.lines())
		drain(t, a)
		drain(t, b)
		perTick[tick] = len(ch.lines()) - n
		clk.add(25 * time.Millisecond)
	}
	got := ch.lines()
	messages := 0
	for _, l := range got {
		if strings.HasSuffix(l, ":m") {
			messages++
		}
	}
	if messages != 10 || !slices.Contains(got, "1:notice") {
		t.Errorf("in one second two processes sent %d messages and %v; want 10 and the notice", messages, got)
	}
}

// splitChannel cuts a reply into parts of 5 characters, as Telegram cuts
// at 4,096.
type splitChannel struct{ *channel }

func (splitChannel) Split(r bot.Reply) []bot.Reply {
	var out []bot.Reply
	for len(r.Text) > 5 {
		p := r
		p.Text, p.Buttons, p.Edit, p.Trail = r.Text[:5], nil, false, true
		out = append(out, p)
		r.Text = r.Text[5:]
	}
	return append(out, r)
}
func (splitChannel) Pace(bot.Reply) time.Duration { return time.Second }
func (splitChannel) PerSecond() float64           { return 30 }

// TestOutboxRetriesOnlyTheFailedPart: a long reply goes part by part, paced
// per chat; a 429 on a later part retries that part only, and the
// message's ref names the last part.
func TestOutboxRetriesOnlyTheFailedPart(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	refused := false
	ch := &channel{clock: clk.Now, fail: func(r bot.Reply) error {
		if r.Text == "BBBBB" && !refused {
			refused = true
			return &bot.RetryError{After: 2 * time.Second, Err: errors.New("429 Too Many Requests")}
		}
		return nil
	}}
	o := bot.NewOutbox(store, []bot.Channel{splitChannel{ch}}, clk.Now, quiet)
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "1", Text: "AAAAABBBBBCC", Ref: "ticket:KRM-000001"})
	for range 10 {
		drain(t, o)
		clk.add(500 * time.Millisecond)
	}
	if got := ch.lines(); !slices.Equal(got, []string{"1:AAAAA", "1:BBBBB", "1:CC"}) {
		t.Errorf("sent %v; want each part once, in order", got)
	}
	for i := 1; i < len(ch.at); i++ {
		if gap := ch.at[i].Sub(ch.at[i-1]); gap < time.Second {
			t.Errorf("part %d went %v after the one before; want at least the 1s pace", i+1, gap)
		}
	}
	ctx := context.Background()
	id, _ := store.Ref(ctx, "telegram:1", "ticket:KRM-000001")
	if id != "3" {
		t.Errorf("ref names message %q; want 3, the last part", id)
	}
	for _, part := range []string{"1", "3"} {
		if ref, _ := store.RefOf(ctx, "telegram:1", part); ref != "ticket:KRM-000001" {
			t.Errorf("message %s leads back to %q; want the ticket", part, ref)
		}
	}
}

// TestOutboxAttemptsSurviveRestart: the failures of an item are counted in
// the store, so a new process (a restart) gives up at the same count.
func TestOutboxAttemptsSurviveRestart(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	ch := &channel{fail: func(bot.Reply) error { return &bot.RetryError{Err: errors.New("502")} }}
	enqueue(t, bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet), bot.Reply{Channel: "telegram", Chat: "1", Text: "x"})
	for range 6 {
		o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet) // a fresh process each time
		o.MaxAttempts = 4
		drain(t, o)
		clk.add(10 * time.Minute)
	}
	if dead, _ := store.DeadLetters(context.Background(), 10); len(dead) != 1 || ch.calls != 4 {
		t.Errorf("after 4 failures in 4 processes: %d dead letters, %d calls; want 1 and 4", len(dead), ch.calls)
	}
}

func TestOutboxRetriesThenSends(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	failures := 2
	ch := &channel{fail: func(r bot.Reply) error {
		if failures > 0 {
			failures--
			return &bot.RetryError{After: 3 * time.Second, Err: errors.New("429")}
		}
		return nil
	}}
	o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "1", Text: "x"}, bot.Reply{Channel: "telegram", Chat: "1", Text: "y"})
	drain(t, o)
	if len(ch.lines()) != 0 {
		t.Fatalf("sent before the retry time: %v", ch.lines())
	}
	for range 4 {
		clk.add(5 * time.Second)
		drain(t, o)
	}
	if got := ch.lines(); !slices.Equal(got, []string{"1:x", "1:y"}) {
		t.Errorf("sent %v; want x then y after two retries", got)
	}
}

func TestOutboxKeepsUndeliverable(t *testing.T) {
	store := storagetest.Store(t)
	ch := &channel{fail: func(r bot.Reply) error {
		switch r.Text {
		case "blocked":
			return fmt.Errorf("%w: Forbidden: bot was blocked by the user", bot.ErrUnreachable)
		case "a tiff":
			return fmt.Errorf("whatsapp: a image/tiff of 900 bytes: %w: %w", bot.ErrNotTaken, shakwa.ErrInvalid)
		}
		return nil
	}}
	clk := newClock()
	o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	var told []string
	o.Undelivered = func(_ context.Context, r bot.Reply, f bot.Failure) error {
		told = append(told, fmt.Sprintf("%s: %s (unreachable %v, not taken %v)", r.Text, f.Reason, f.Blocked, f.NotTaken))
		return nil
	}
	ctx := context.Background()
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "1", Text: "blocked"}, bot.Reply{Channel: "telegram", Chat: "1", Text: "next"})
	drain(t, o)
	clk.add(10 * time.Millisecond)
	drain(t, o)
	o.Wait()
	if !slices.Equal(told, []string{"blocked: the person cannot be reached: Forbidden: bot was blocked by the user (unreachable true, not taken false)"}) {
		t.Errorf("Undelivered heard %v; want the blocked message, with why", told)
	}
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "2", Text: "a tiff"})
	drain(t, o)
	o.Wait()
	if len(told) != 2 || !strings.HasSuffix(told[1], "(unreachable false, not taken true)") {
		t.Errorf("Undelivered heard %v; want the file not taken", told)
	}
	dead, err := store.DeadLetters(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 || !slices.ContainsFunc(dead, func(d storage.DeadLetter) bool {
		return strings.HasPrefix(d.Queue, "telegram:") && d.Reason != "" && strings.Contains(string(d.Item), "blocked")
	}) {
		t.Errorf("dead letters %+v; want the blocked message with its reason", dead)
	}
	if got := ch.lines(); !slices.Equal(got, []string{"1:next"}) {
		t.Errorf("sent %v; want the next message to go on", got)
	}
}

// TestOutboxDrain: Drain returns once everything queued was sent by the
// running workers, and says what is left when its time runs out.
func TestOutboxDrain(t *testing.T) {
	store := storagetest.Store(t)
	ch := &channel{}
	o := bot.NewOutbox(store, []bot.Channel{budgetChannel{ch}}, time.Now, quiet)
	for i := range 5 {
		enqueue(t, o, bot.Reply{Channel: "telegram", Chat: strconv.Itoa(i), Text: "m"})
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Drain(dctx); err != nil {
		t.Errorf("Drain: %v", err)
	}
	if n := len(ch.lines()); n != 5 {
		t.Errorf("sent %d when Drain returned; want all 5", n)
	}
	stop()
	<-done
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "1", Text: "late"})
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if err := o.Drain(short); err == nil || !strings.Contains(err.Error(), "1 still queued") {
		t.Errorf("Drain with nobody sending: %v; want an error counting 1 reply left", err)
	}
}
