package bot_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
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

// collect is an Enqueuer that keeps what it is given (each once key once,
// as the outbox does), or fails when told; with lost, it keeps what it is
// given and then fails, that many times (the answer lost on the way).
type collect struct {
	mu   sync.Mutex
	got  []bot.Reply
	once map[string]bool
	fail error
	lost int
}

func (c *collect) Enqueue(ctx context.Context, once string, keep time.Duration, rs []bot.Reply) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return false, c.fail
	}
	if c.once == nil {
		c.once = map[string]bool{}
	}
	if once != "" && c.once[once] {
		return false, nil
	}
	c.once[once] = true
	c.got = append(c.got, rs...)
	if c.lost > 0 {
		c.lost--
		return false, errors.New("i/o timeout")
	}
	return true, nil
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

// clock is a test clock that only moves when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.UnixMilli(1_800_000_000_000)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestIntakeDropsDuplicates(t *testing.T) {
	out := &collect{}
	in := bot.NewIntake(storagetest.Store(t), echo, out, time.Now, quiet)
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
	in := bot.NewIntake(storagetest.Store(t), echo, out, time.Now, quiet)
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
// first is still being handled, by this process or another, is not
// acknowledged, so that it is resent if the first fails.
func TestIntakeCopyWhileHandling(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		close(entered)
		<-release
	})
	store := storagetest.Store(t)
	in := bot.NewIntake(store, h, &collect{}, time.Now, quiet)
	other := bot.NewIntake(store, h, &collect{}, time.Now, quiet)
	done := make(chan error)
	go func() { done <- in.Deliver(context.Background(), msg("5", "1", "x")) }()
	<-entered
	for name, i := range map[string]*bot.Intake{"this process": in, "another process": other} {
		if err := i.Deliver(context.Background(), msg("5", "1", "x")); err == nil {
			t.Errorf("copy delivered to %s while the first is handled: got nil; want an error (not safe yet)", name)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := other.Deliver(context.Background(), msg("5", "1", "x")); err != nil {
		t.Errorf("copy after the first was handled: %v; want nil", err)
	}
}

// TestIntakeRetriesFailedHandling: a handler that Fails (storage down) has
// the update delivered again; after Tries attempts, whichever process
// makes them, its apology goes out.
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
	store := storagetest.Store(t)
	procs := []*bot.Intake{bot.NewIntake(store, h, out, time.Now, quiet), bot.NewIntake(store, h, out, time.Now, quiet)}
	ctx := context.Background()
	tries := procs[0].Tries
	for i := 1; i < tries; i++ {
		if err := procs[i%2].Deliver(ctx, msg("8", "1", "x")); err == nil {
			t.Fatalf("attempt %d of a failing handling returned nil; want an error (deliver again)", i)
		}
	}
	if err := procs[tries%2].Deliver(ctx, msg("8", "1", "x")); err != nil {
		t.Fatalf("last attempt: %v; want nil, with the apology sent", err)
	}
	if got := out.texts(); !slices.Equal(got, []string{"sorry"}) {
		t.Errorf("replies %v; want one apology after %d attempts across two processes", got, tries)
	}
	down = false
	for _, id := range []string{"9", "10"} {
		if err := procs[0].Deliver(ctx, msg(id, "1", "x")); err != nil {
			t.Fatal(err)
		}
	}
}

// sorryHandler panics, and has an apology for it.
type sorryHandler struct{}

func (sorryHandler) Handle(ctx context.Context, w bot.Responder, m *bot.Message) {
	w.Reply(bot.Reply{Text: "half"})
	panic("boom")
}

func (sorryHandler) Apology(m *bot.Message) []bot.Reply {
	return []bot.Reply{{Channel: m.Channel, Chat: m.Chat, Text: "sorry"}}
}

// TestIntakeRecoversPanics: a handler that panics loses what it half did;
// the person hears its apology when it has one, and the chat goes on.
func TestIntakeRecoversPanics(t *testing.T) {
	out := &collect{}
	boom := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		w.Reply(bot.Reply{Text: "half"})
		panic("boom")
	})
	in := bot.NewIntake(storagetest.Store(t), boom, out, time.Now, quiet)
	if err := in.Deliver(context.Background(), msg("1", "1", "x")); err != nil {
		t.Fatalf("Deliver after a panic: %v; want nil (not retried)", err)
	}
	if got := out.texts(); len(got) != 0 {
		t.Errorf("replies of a panicking handler were queued: %v", got)
	}
	if err := in.Deliver(context.Background(), msg("2", "1", "y")); err != nil {
		t.Errorf("next update of the chat after a panic: %v; want its turn", err)
	}
	sorry := bot.NewIntake(storagetest.Store(t), sorryHandler{}, out, time.Now, quiet)
	if err := sorry.Deliver(context.Background(), msg("3", "1", "x")); err != nil {
		t.Fatal(err)
	}
	if got := out.texts(); !slices.Equal(got, []string{"sorry"}) {
		t.Errorf("replies after a panic with an apology: %v; want only the apology", got)
	}
}

// TestIntakeOrdersPerChat holds the first message of chat A inside the
// handler: A's next messages, delivered to two processes in turn, wait for
// it in arrival order, while chat B goes ahead.
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
	store := storagetest.Store(t)
	procs := []*bot.Intake{bot.NewIntake(store, h, &collect{}, time.Now, quiet), bot.NewIntake(store, h, &collect{}, time.Now, quiet)}
	ctx := context.Background()
	var wg sync.WaitGroup
	deliver := func(p int, id, chat, text string) {
		wg.Go(func() {
			if err := procs[p].Deliver(ctx, msg(id, chat, text)); err != nil {
				t.Error(err)
			}
		})
	}
	// inLine waits until n updates of chat A are in its line: the last one
	// has arrived.
	inLine := func(n int) {
		t.Helper()
		waitFor(t, func() bool {
			ids, err := store.Line(ctx, "telegram:A")
			return err == nil && len(ids) == n
		})
	}
	deliver(0, "0", "A", "A0")
	inLine(1)
	for i := 1; i <= 5; i++ {
		deliver(i%2, strconv.Itoa(i), "A", "A"+strconv.Itoa(i))
		inLine(i + 1)
	}
	deliver(1, "9", "B", "B0")
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(order) == 1 })
	close(release)
	wg.Wait()
	want := []string{"B0", "A0", "A1", "A2", "A3", "A4", "A5"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v; want %v", order, want)
	}
}

// TestIntakeDeadHolder: the process handling a chat's update dies (it
// stops renewing); within a lease the chat's next update goes, and the
// copy Telegram sends again is handled.
func TestIntakeDeadHolder(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	out := &collect{}
	in := bot.NewIntake(store, echo, out, clk.Now, quiet)
	ctx := context.Background()
	// The dead process took the update's turn, then nothing.
	if _, _, err := store.Begin(ctx, "telegram:1", "40", "dead", clk.Now(), in.Lease); err != nil {
		t.Fatal(err)
	}
	if err := in.Deliver(ctx, msg("40", "1", "copy")); err == nil {
		t.Errorf("copy within the lease: nil; want an error (the first may still finish)")
	}
	done := make(chan error)
	go func() { done <- in.Deliver(ctx, msg("41", "1", "next")) }()
	waitFor(t, func() bool { ids, _ := store.Line(ctx, "telegram:1"); return len(ids) == 2 })
	clk.add(in.Lease + time.Millisecond)
	if err := <-done; err != nil {
		t.Fatalf("next update after the holder's lease: %v", err)
	}
	if err := in.Deliver(ctx, msg("40", "1", "copy")); err != nil {
		t.Errorf("copy after the lease: %v; want it handled", err)
	}
	if got := out.texts(); !slices.Equal(got, []string{"next", "copy"}) {
		t.Errorf("replies %v; want next, then the copy", got)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestIntakeUndo: what a handling asked to undo is undone when its
// replies are dropped for a redelivery (the handling failed, or its
// replies could not be queued), not when they go.
func TestIntakeUndo(t *testing.T) {
	out := &collect{}
	var undone []string
	fail := map[string]bool{"1": true}
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		w.Undo(func(context.Context) { undone = append(undone, m.ID) })
		w.Reply(bot.Reply{Text: "done"})
		if fail[m.ID] {
			w.Fail(errors.New("redis: connection refused"))
		}
		if m.ID == "4" {
			panic("boom")
		}
	})
	in := bot.NewIntake(storagetest.Store(t), h, out, time.Now, quiet)
	ctx := context.Background()
	in.Deliver(ctx, msg("1", "1", "x")) // failed
	in.Deliver(ctx, msg("2", "1", "x")) // sent
	out.fail = errors.New("redis down")
	in.Deliver(ctx, msg("3", "1", "x")) // not queued
	out.fail = nil
	in.Deliver(ctx, msg("4", "1", "x")) // panicked: its replies dropped
	if want := []string{"1", "3", "4"}; !slices.Equal(undone, want) {
		t.Errorf("undone %v; want %v", undone, want)
	}
	// Failing every time: dropped for each redelivery; the last try's
	// replies (the apology) go, and what it did stays.
	undone, fail["5"] = nil, true
	for range in.Tries {
		in.Deliver(ctx, msg("5", "1", "x"))
	}
	if len(undone) != in.Tries-1 {
		t.Errorf("undone %d times over %d tries; want each but the last", len(undone), in.Tries)
	}
}
