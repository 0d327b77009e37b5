package bot_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage/storagetest"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

// echo replies to every message with its text.
var echo = bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
	w.Reply(bot.Reply{Channel: m.Channel, Chat: m.Chat, Text: m.Text})
})

// collect is an Enqueuer that keeps what it is given, or fails when told.
type collect struct {
	mu   sync.Mutex
	got  []bot.Reply
	fail error
}

func (c *collect) Enqueue(ctx context.Context, rs []bot.Reply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	c.got = append(c.got, rs...)
	return nil
}

func (c *collect) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.got {
		out = append(out, r.Text)
	}
	return out
}

func msg(id, chat, text string) *bot.Message {
	return &bot.Message{ID: id, Channel: "telegram", Chat: chat, Text: text}
}

func TestIntakeDropsDuplicates(t *testing.T) {
	out := &collect{}
	in := bot.NewIntake(storagetest.Store(t), echo, out, quiet)
	ctx := context.Background()
	for range 3 {
		if err := in.Deliver(ctx, msg("42", "1", "hello")); err != nil {
			t.Fatal(err)
		}
	}
	if got := out.texts(); len(got) != 1 {
		t.Errorf("replies %v; want one", got)
	}
}

func TestIntakeRedeliversAfterFailedEnqueue(t *testing.T) {
	out := &collect{fail: errors.New("redis down")}
	in := bot.NewIntake(storagetest.Store(t), echo, out, quiet)
	ctx := context.Background()
	if err := in.Deliver(ctx, msg("7", "1", "hi")); err == nil {
		t.Fatal("Deliver with a failing outbox returned nil; want an error so the update is redelivered")
	}
	out.fail = nil
	if err := in.Deliver(ctx, msg("7", "1", "hi")); err != nil {
		t.Fatal(err)
	}
	if got := out.texts(); len(got) != 1 {
		t.Errorf("replies after redelivery %v; want one", got)
	}
}

// TestIntakeCopyWhileHandling: a copy of an update that arrives while the
// first is still being handled is not acknowledged, so that it is resent
// if the first fails.
func TestIntakeCopyWhileHandling(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		close(entered)
		<-release
	})
	in := bot.NewIntake(storagetest.Store(t), h, &collect{}, quiet)
	done := make(chan error)
	go func() { done <- in.Deliver(context.Background(), msg("5", "1", "x")) }()
	<-entered
	if err := in.Deliver(context.Background(), msg("5", "1", "x")); err == nil {
		t.Error("copy delivered while the first is handled: got nil; want an error (not safe yet)")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := in.Deliver(context.Background(), msg("5", "1", "x")); err != nil {
		t.Errorf("copy after the first was handled: %v; want nil", err)
	}
}

// TestIntakeRetriesFailedHandling: a handler that Fails (storage down) has
// the update delivered again; after Tries attempts its apology goes out.
func TestIntakeRetriesFailedHandling(t *testing.T) {
	out := &collect{}
	down := true
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		if down {
			w.Reply(bot.Reply{Text: "sorry"})
			w.Fail(errors.New("redis: connection refused"))
			return
		}
		w.Reply(bot.Reply{Text: "done"})
	})
	in := bot.NewIntake(storagetest.Store(t), h, out, quiet)
	ctx := context.Background()
	for i := 1; i < in.Tries; i++ {
		if err := in.Deliver(ctx, msg("8", "1", "x")); err == nil {
			t.Fatalf("attempt %d of a failing handling returned nil; want an error (deliver again)", i)
		}
	}
	if err := in.Deliver(ctx, msg("8", "1", "x")); err != nil {
		t.Fatalf("last attempt: %v; want nil, with the apology sent", err)
	}
	if got := out.texts(); !equal(got, []string{"sorry"}) {
		t.Errorf("replies %v; want one apology after %d attempts", got, in.Tries)
	}
	down = false
	if err := in.Deliver(ctx, msg("9", "1", "x")); err != nil {
		t.Fatal(err)
	}
	if err := in.Deliver(ctx, msg("10", "1", "x")); err != nil {
		t.Fatal(err)
	}
}

func TestIntakeRecoversPanics(t *testing.T) {
	out := &collect{}
	boom := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		w.Reply(bot.Reply{Text: "half"})
		panic("boom")
	})
	in := bot.NewIntake(storagetest.Store(t), boom, out, quiet)
	if err := in.Deliver(context.Background(), msg("1", "1", "x")); err != nil {
		t.Fatalf("Deliver after a panic: %v; want nil (not retried)", err)
	}
	if got := out.texts(); len(got) != 0 {
		t.Errorf("replies of a panicking handler were queued: %v", got)
	}
}

// TestIntakeOrdersPerChat holds the first message of chat A inside the
// handler: A's next messages wait for it, in arrival order, while chat B
// goes ahead.
func TestIntakeOrdersPerChat(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var order []string
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		if m.Text == "A0" {
			<-release
		}
		mu.Lock()
		order = append(order, m.Text)
		mu.Unlock()
	})
	in := bot.NewIntake(storagetest.Store(t), h, &collect{}, quiet)
	ctx := context.Background()
	var wg sync.WaitGroup
	deliver := func(id, chat, text string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.Deliver(ctx, msg(id, chat, text)); err != nil {
				t.Error(err)
			}
		}()
	}
	deliver("0", "A", "A0")
	waitFor(t, func() bool { return true }) // A0 is in the handler or about to be
	time.Sleep(50 * time.Millisecond)
	for i := 1; i <= 5; i++ {
		deliver(strconv.Itoa(i), "A", "A"+strconv.Itoa(i))
		time.Sleep(10 * time.Millisecond) // arrival order
	}
	deliver("9", "B", "B0")
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 1 })
	close(release)
	wg.Wait()
	want := []string{"B0", "A0", "A1", "A2", "A3", "A4", "A5"}
	if len(order) != len(want) {
		t.Fatalf("order %v; want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v; want %v", order, want)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
