package bot_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// gateChannel holds every send to a chat whose name starts with a held
// prefix until the gate opens, and records the others as they go.
type gateChannel struct {
	*channel
	held string
	gate chan struct{}
	sent chan string
}

func (g gateChannel) Send(ctx context.Context, r bot.Reply, editID string) (bot.Sent, error) {
	if strings.HasPrefix(r.Chat, g.held) {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return bot.Sent{}, &bot.RetryError{Err: ctx.Err()}
		}
	}
	s, err := g.channel.Send(ctx, r, editID)
	g.sent <- r.Chat + ":" + r.Text
	return s, err
}

// TestOutboxLanesApart: while every sender of one lane is stuck (a
// backlog of reports, or a platform that hangs on them), the other lanes
// go on: an answer to a citizen who just wrote leaves at once, however
// many reports wait before it, and so does a notification; and an answer
// backlog does not stop reports either.
func TestOutboxLanesApart(t *testing.T) {
	for _, stuck := range []bot.Priority{bot.Bulk, bot.Answer} {
		t.Run(stuck.String()+" stuck", func(t *testing.T) {
			store := storagetest.Store(t)
			g := gateChannel{channel: &channel{}, held: "stuck", gate: make(chan struct{}), sent: make(chan string, 2000)}
			o := bot.NewOutbox(store, []bot.Channel{g}, time.Now, quiet)
			o.SendTimeout = time.Minute
			var backlog []bot.Reply
			for i := range 500 {
				backlog = append(backlog, bot.Reply{Channel: "telegram", Chat: "stuck" + strconv.Itoa(i), Text: "m", Priority: stuck})
			}
			enqueue(t, o, backlog...)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { _ = o.Run(ctx) })
			defer func() {
				close(g.gate)
				cancel()
				wg.Wait()
			}()
			want := map[string]bool{}
			for _, p := range []bot.Priority{bot.Answer, bot.Notify, bot.Bulk} {
				if p == stuck {
					continue
				}
				r := bot.Reply{Channel: "telegram", Chat: "free-" + p.String(), Text: p.String(), Priority: p}
				enqueue(t, o, r)
				want[r.Chat+":"+r.Text] = true
			}
			timeout := time.After(30 * time.Second)
			for len(want) > 0 {
				select {
				case s := <-g.sent:
					if !want[s] {
						t.Fatalf("sent %q while the %s lane is stuck; want only the other lanes' replies", s, stuck)
					}
					delete(want, s)
				case <-timeout:
					t.Fatalf("still not sent with the %s lane stuck: %v", stuck, want)
				}
			}
		})
	}
}

// TestOutboxRetryAfterSlowsBulk: when the platform answers 429 with how
// long to wait, the chat's queue waits that long and the bot's bulk waits
// with it, across replicas, while answers to other chats still go.
func TestOutboxRetryAfterSlowsBulk(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	floods := 0
	ch := &channel{fail: func(r bot.Reply) error {
		if r.Chat == "flood" && floods == 0 {
			floods++
			return &bot.RetryError{After: 5 * time.Second, Err: errors.New("429 Too Many Requests: retry after 5")}
		}
		return nil
	}}
	a := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	b := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet) // another replica
	enqueue(t, a, bot.Reply{Channel: "telegram", Chat: "flood", Text: "x"})
	drain(t, a)
	enqueue(t, b,
		bot.Reply{Channel: "telegram", Chat: "m1", Text: "report", Priority: bot.Bulk},
		bot.Reply{Channel: "telegram", Chat: "c1", Text: "answer"},
	)
	drain(t, b)
	if got := strings.Join(ch.lines(), " "); got != "c1:answer" {
		t.Fatalf("right after the 429: sent %q; want the answer only, the report waiting", got)
	}
	clk.add(5 * time.Second)
	drain(t, a)
	if got := strings.Join(ch.lines(), " "); !strings.Contains(got, "m1:report") {
		t.Errorf("5 s after the 429: sent %q; want the report too", got)
	}
}

// TestOutboxRetryAfterHoldsTheChat: a 429 with retry_after on one lane of
// a chat holds the chat's other lanes too (the platform counts the chat,
// not the lane), while other chats' answers go on.
func TestOutboxRetryAfterHoldsTheChat(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	floods := 0
	ch := &channel{fail: func(r bot.Reply) error {
		if r.Chat == "-5" && floods == 0 {
			floods++
			return &bot.RetryError{After: 30 * time.Second, Err: errors.New("429 Too Many Requests: retry after 30")}
		}
		return nil
	}}
	o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "card", Priority: bot.Notify})
	drain(t, o)
	clk.add(2 * time.Second)
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "-5", Text: "notice"}, bot.Reply{Channel: "telegram", Chat: "7", Text: "answer"})
	drain(t, o)
	if got := strings.Join(ch.lines(), " "); got != "7:answer" {
		t.Fatalf("2 s into the chat's 30 s wait: sent %q; want only the other chat's answer", got)
	}
	clk.add(29 * time.Second)
	drain(t, o)
	clk.add(2 * time.Second)
	drain(t, o)
	// Then the answer lane first, as always.
	if got := strings.Join(ch.lines(), " "); got != "7:answer -5:notice -5:card" {
		t.Errorf("after the wait: sent %q; want the notice and the card", got)
	}
}

// TestOutboxRetryAfterIsNoFailure: however many times the platform says
// to wait, the message waits and is sent when it may, never dropped as
// undeliverable: a 429 is not a failure of the message.
func TestOutboxRetryAfterIsNoFailure(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	floods := 20
	ch := &channel{fail: func(r bot.Reply) error {
		if floods > 0 {
			floods--
			return &bot.RetryError{After: 10 * time.Second, Err: errors.New("429 Too Many Requests: retry after 10")}
		}
		return nil
	}}
	o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	o.MaxAttempts = 4
	enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "1", Text: "x"})
	for range 25 {
		drain(t, o)
		clk.add(11 * time.Second)
	}
	if dead, _ := store.DeadLetters(context.Background(), 10); len(dead) != 0 {
		t.Errorf("dead letters after 20 waits: %v; want none", dead)
	}
	if got := ch.lines(); len(got) != 1 || got[0] != "1:x" || ch.calls != 21 {
		t.Errorf("sent %v in %d calls; want x once, after 20 waits", got, ch.calls)
	}
}

// TestOutboxWaitScopes: a wait the platform says is the channel's (its
// account blocked for a while) holds every chat of the channel across the
// fleet, counts as no failure however long it lasts, and what waited goes
// when it lifts; one it says is the chat's (a limit on messages to one
// person) holds that chat only, not the bot's bulk.
func TestOutboxWaitScopes(t *testing.T) {
	t.Run("channel", func(t *testing.T) {
		store := storagetest.Store(t)
		clk := newClock()
		blocked := true
		ch := &channel{fail: func(bot.Reply) error {
			if blocked {
				return &bot.RetryError{After: time.Minute, Scope: bot.ScopeChannel, Err: errors.New("graph error 368")}
			}
			return nil
		}}
		a := bot.NewOutbox(store, []bot.Channel{budgetChannel{ch}}, clk.Now, quiet)
		b := bot.NewOutbox(store, []bot.Channel{budgetChannel{ch}}, clk.Now, quiet) // another replica
		a.MaxAttempts, b.MaxAttempts = 3, 3
		var told []string
		a.Undelivered = func(_ context.Context, r bot.Reply, f bot.Failure) error {
			told = append(told, r.Text+": "+f.Reason)
			return nil
		}
		enqueue(t, a, bot.Reply{Channel: "telegram", Chat: "1", Text: "first"})
		drain(t, a)
		enqueue(t, b, bot.Reply{Channel: "telegram", Chat: "2", Text: "answer"},
			bot.Reply{Channel: "telegram", Chat: "3", Text: "card", Priority: bot.Notify},
			bot.Reply{Channel: "telegram", Chat: "4", Text: "report", Priority: bot.Bulk})
		clk.add(time.Second) // past the channel's own spacing of sends
		drain(t, b)
		if ch.calls != 1 {
			t.Fatalf("while the channel waits: %d sends; want only the first, refused", ch.calls)
		}
		for range 10 { // ten minutes blocked: ten refusals at least, more than MaxAttempts
			clk.add(time.Minute)
			drain(t, a)
			drain(t, b)
		}
		blocked = false
		clk.add(time.Minute)
		for range 10 {
			drain(t, a)
			drain(t, b)
			clk.add(time.Second)
		}
		a.Wait()
		got := ch.lines()
		slices.Sort(got)
		if want := []string{"1:first", "2:answer", "3:card", "4:report"}; !slices.Equal(got, want) {
			t.Errorf("once the block lifted: sent %v; want %v", got, want)
		}
		if dead, _ := store.DeadLetters(context.Background(), 10); len(dead) != 0 || len(told) != 0 {
			t.Errorf("dead letters %v, staff told %v; want none", dead, told)
		}
		if ch.calls > 4+11 {
			t.Errorf("%d sends over eleven minutes; want about one a minute while blocked", ch.calls)
		}
	})
	t.Run("chat", func(t *testing.T) {
		store := storagetest.Store(t)
		clk := newClock()
		limited := true
		ch := &channel{fail: func(r bot.Reply) error {
			if r.Chat == "1" && limited {
				limited = false
				return &bot.RetryError{After: 6 * time.Second, Scope: bot.ScopeChat, Err: errors.New("graph error 131056")}
			}
			return nil
		}}
		o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
		enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "1", Text: "x"})
		drain(t, o)
		enqueue(t, o, bot.Reply{Channel: "telegram", Chat: "1", Text: "card", Priority: bot.Notify},
			bot.Reply{Channel: "telegram", Chat: "2", Text: "report", Priority: bot.Bulk})
		drain(t, o)
		if got := strings.Join(ch.lines(), " "); got != "2:report" {
			t.Errorf("right after the chat's limit: sent %q; want the other chat's report, the chat waiting", got)
		}
		clk.add(6 * time.Second)
		drain(t, o)
		if got := strings.Join(ch.lines(), " "); got != "2:report 1:x 1:card" {
			t.Errorf("after the wait: sent %q; want the chat's message and card too", got)
		}
	})
}

// TestOutboxBulkBudget: bulk goes at its own budget (here 10 a second,
// fleet-wide), answers beside it at theirs.
func TestOutboxBulkBudget(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	ch := &channel{clock: clk.Now}
	a := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	b := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	a.BulkPerSecond, b.BulkPerSecond = 10, 10
	var rs []bot.Reply
	for i := range 40 {
		rs = append(rs, bot.Reply{Channel: "telegram", Chat: "m" + strconv.Itoa(i), Text: "report", Priority: bot.Bulk},
			bot.Reply{Channel: "telegram", Chat: "c" + strconv.Itoa(i), Text: "answer"})
	}
	enqueue(t, a, rs...)
	for range 40 { // 40 × 25 ms: one second
		drain(t, a)
		drain(t, b)
		clk.add(25 * time.Millisecond)
	}
	reports, answers := 0, 0
	for _, l := range ch.lines() {
		switch {
		case strings.HasSuffix(l, ":report"):
			reports++
		case strings.HasSuffix(l, ":answer"):
			answers++
		}
	}
	if reports != 10 || answers != 40 {
		t.Errorf("in one second: %d reports and %d answers; want 10 (the bulk budget) and all 40", reports, answers)
	}
}
