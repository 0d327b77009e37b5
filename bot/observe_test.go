package bot_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// heard records what an Observer hears.
type heard struct {
	mu       sync.Mutex
	outcomes []bot.Outcome
	sends    []bot.SendResult
}

func (h *heard) Update(channel string, o bot.Outcome, took time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.outcomes = append(h.outcomes, o)
}

func (h *heard) Send(channel string, lane bot.Priority, r bot.SendResult) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sends = append(h.sends, r)
}

func (h *heard) Job(string, bool, time.Duration, time.Time) {}

// TestIntakeObserved: each way a delivery ends is heard once, as what it
// was.
func TestIntakeObserved(t *testing.T) {
	down, boom := true, false
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Responder, m *bot.Message) {
		switch {
		case boom:
			panic("boom")
		case m.Text == "fail" && down:
			w.Fail(errors.New("redis: connection refused"))
		}
		w.Reply(bot.Reply{Text: "ok"})
	})
	out := &collect{}
	in := bot.NewIntake(storagetest.Store(t), h, out, time.Now, quiet)
	obs := &heard{}
	in.Observe = obs
	ctx := context.Background()
	in.Deliver(ctx, msg("1", "1", "hello"))
	in.Deliver(ctx, msg("1", "1", "hello"))
	for range in.Tries {
		in.Deliver(ctx, msg("2", "1", "fail"))
	}
	boom = true
	in.Deliver(ctx, msg("3", "1", "x"))
	boom = false
	out.fail = errors.New("redis down")
	in.Deliver(ctx, msg("4", "1", "x"))
	want := []bot.Outcome{bot.Handled, bot.Duplicate}
	for range in.Tries - 1 {
		want = append(want, bot.Retry)
	}
	want = append(want, bot.Apologized, bot.Panicked, bot.Errored)
	if !slices.Equal(obs.outcomes, want) {
		t.Errorf("heard %v; want %v", obs.outcomes, want)
	}
}
