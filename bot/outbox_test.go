package bot_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// channel records what it sends; fail decides the outcome of each send.
type channel struct {
	mu    sync.Mutex
	sent  []string // "chat:text" or "chat:text (edit ID)"
	next  int
	fail  func(r bot.Reply) error
	calls int
}

func (c *channel) Name() string { return "telegram" }

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

// drain sends until nothing is due.
func drain(t *testing.T, o *bot.Outbox) {
	t.Helper()
	for i := 0; i < 100; i++ {
		busy, err := o.SendOne(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	t.Fatal("outbox still busy after 100 sends")
}

func TestOutboxOrderRefsAndEdits(t *testing.T) {
	store := storagetest.Store(t)
	ch := &channel{}
	o := bot.NewOutbox(store, []bot.Channel{ch}, time.Now, quiet)
	ctx := context.Background()
	err := o.Enqueue(ctx, []bot.Reply{
		{Channel: "telegram", Chat: "1", Text: "a"},
		{Channel: "telegram", Chat: "-5", Text: "card", Ref: "card:KRM-000001"},
		{Channel: "telegram", Chat: "1", Text: "b"},
		{Channel: "telegram", Chat: "1", Text: "c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, o)
	id, err := store.Ref(ctx, "telegram:-5", "card:KRM-000001")
	if err != nil || id == "" {
		t.Fatalf("Ref after sending the card = %q, %v; want its message id", id, err)
	}
	if ref, _ := store.RefOf(ctx, "telegram:-5", id); ref != "card:KRM-000001" {
		t.Errorf("RefOf(%s) = %q; want the card", id, ref)
	}
	if err := o.Enqueue(ctx, []bot.Reply{{Channel: "telegram", Chat: "-5", Text: "card claimed", Ref: "card:KRM-000001", Edit: true}}); err != nil {
		t.Fatal(err)
	}
	drain(t, o)
	var one, group []string
	for _, l := range ch.lines() {
		if l[0] == '1' {
			one = append(one, l)
		} else {
			group = append(group, l)
		}
	}
	if want := []string{"1:a", "1:b", "1:c"}; !equal(one, want) {
		t.Errorf("chat 1 got %v; want %v", one, want)
	}
	if want := []string{"-5:card", "-5:card claimed (edit " + id + ")"}; !equal(group, want) {
		t.Errorf("group got %v; want %v", group, want)
	}
}

// TestOutboxNoticesSkipThePace: a chat's messages wait their pace, but the
// answer to a button press does not wait behind them.
func TestOutboxNoticesSkipThePace(t *testing.T) {
	store := storagetest.Store(t)
	now := time.Now()
	ch := &pacedChannel{channel: &channel{}}
	o := bot.NewOutbox(store, []bot.Channel{ch}, func() time.Time { return now }, quiet)
	ctx := context.Background()
	if err := o.Enqueue(ctx, []bot.Reply{{Channel: "telegram", Chat: "-5", Text: "card"}}); err != nil {
		t.Fatal(err)
	}
	drain(t, o)
	err := o.Enqueue(ctx, []bot.Reply{
		{Channel: "telegram", Chat: "-5", Notice: true, ButtonToken: "cb1", Text: "taken"},
		{Channel: "telegram", Chat: "-5", Text: "card edited"},
	})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, o)
	if got := ch.lines(); !equal(got, []string{"-5:card", "-5:taken"}) {
		t.Errorf("sent %v; want the notice at once and the message paced", got)
	}
	now = now.Add(3 * time.Second)
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

func TestOutboxRetriesThenSends(t *testing.T) {
	store := storagetest.Store(t)
	now := time.Now()
	clock := func() time.Time { return now }
	failures := 2
	ch := &channel{fail: func(r bot.Reply) error {
		if failures > 0 {
			failures--
			return &bot.RetryError{After: 3 * time.Second, Err: errors.New("429")}
		}
		return nil
	}}
	o := bot.NewOutbox(store, []bot.Channel{ch}, clock, quiet)
	ctx := context.Background()
	if err := o.Enqueue(ctx, []bot.Reply{{Channel: "telegram", Chat: "1", Text: "x"}, {Channel: "telegram", Chat: "1", Text: "y"}}); err != nil {
		t.Fatal(err)
	}
	drain(t, o)
	if len(ch.lines()) != 0 {
		t.Fatalf("sent before the retry time: %v", ch.lines())
	}
	for range 2 {
		now = now.Add(5 * time.Second)
		drain(t, o)
	}
	now = now.Add(5 * time.Second)
	drain(t, o)
	if got := ch.lines(); !equal(got, []string{"1:x", "1:y"}) {
		t.Errorf("sent %v; want x then y after two retries", got)
	}
}

func TestOutboxKeepsUndeliverable(t *testing.T) {
	store := storagetest.Store(t)
	ch := &channel{fail: func(r bot.Reply) error {
		if r.Text == "blocked" {
			return errors.New("Forbidden: bot was blocked by the user")
		}
		return nil
	}}
	o := bot.NewOutbox(store, []bot.Channel{ch}, time.Now, quiet)
	ctx := context.Background()
	if err := o.Enqueue(ctx, []bot.Reply{{Channel: "telegram", Chat: "1", Text: "blocked"}, {Channel: "telegram", Chat: "1", Text: "next"}}); err != nil {
		t.Fatal(err)
	}
	drain(t, o)
	time.Sleep(10 * time.Millisecond)
	drain(t, o)
	dead, err := store.DeadLetters(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Chat != "telegram:1" || dead[0].Reason == "" {
		t.Errorf("dead letters %+v; want the blocked message with its reason", dead)
	}
	if got := ch.lines(); !equal(got, []string{"1:next"}) {
		t.Errorf("sent %v; want the next message to go on", got)
	}
}

func TestOutboxGivesUpAfterMaxAttempts(t *testing.T) {
	store := storagetest.Store(t)
	now := time.Now()
	ch := &channel{fail: func(bot.Reply) error { return &bot.RetryError{Err: errors.New("502")} }}
	o := bot.NewOutbox(store, []bot.Channel{ch}, func() time.Time { return now }, quiet)
	o.MaxAttempts = 3
	ctx := context.Background()
	if err := o.Enqueue(ctx, []bot.Reply{{Channel: "telegram", Chat: "1", Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		drain(t, o)
		now = now.Add(10 * time.Minute)
	}
	if dead, _ := store.DeadLetters(ctx, 10); len(dead) != 1 || ch.calls != 3 {
		t.Errorf("after 3 failures: %d dead letters, %d calls; want 1 and 3", len(dead), ch.calls)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
