package handlers

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// trips counts what a Redis client sends: every command sent alone and
// every pipeline is one round trip.
type trips struct {
	mu          sync.Mutex
	trips, cmds int
	names       []string
}

func (c *trips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *trips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.add(cmd)
		return next(ctx, cmd)
	}
}

func (c *trips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.add(cmds...)
		return next(ctx, cmds)
	}
}

func (c *trips) add(cmds ...redis.Cmder) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trips++
	var names []string
	for _, cmd := range cmds {
		names = append(names, cmd.Name())
	}
	c.cmds += len(cmds)
	c.names = append(c.names, strings.Join(names, "+"))
}

func (c *trips) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trips, c.cmds, c.names = 0, 0, nil
}

func (c *trips) read() (int, int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trips, c.cmds, c.names
}

// TestRoundTrips counts the Redis round trips of each kind of update as
// intake handles it, replies queued and all, and fails above the budget:
// round trips are most of an update's cost. An update reads what it needs
// with the begin of its turn and writes everything with its finish (see
// storage's batch); on a cluster the finish is a round trip of its own.
// Filing and claiming still change the ticket on their own, in several
// steps.
func TestRoundTrips(t *testing.T) {
	budget := map[string]int{"start": 2, "button": 2, "text step": 2, "confirm": 3, "claim": 2,
		"send": 2, "send with ref": 2, "edit": 2, "edit by ref": 3}
	stores := map[string]func(testing.TB, redis.Hook, ...storage.Option) *storage.Store{
		"redis": storagetest.Hooked, "cluster": storagetest.HookedCluster,
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			extra := map[string]int{}
			if name == "cluster" {
				// The finish goes last, on its own; a ticket's
				// indexes are read back in a round trip of their own
				// (see storage's indexSoon); and a new ticket is made
				// at once, after its index entries (see CreateTicket).
				extra = map[string]int{"start": 1, "button": 1, "text step": 1, "confirm": 3, "claim": 3,
					"send with ref": 1, "edit by ref": 1}
			}
			for kind, g := range countTrips(t, open) {
				if g.trips > budget[kind]+extra[kind] {
					t.Errorf("%s: %d round trips; want at most %d: %v", kind, g.trips, budget[kind]+extra[kind], g.names)
				}
				t.Logf("%-10s %d round trips, %d commands: %v", kind, g.trips, g.cmds, g.names)
			}
		})
	}
}

// tripsOf is what one update cost.
type tripsOf struct {
	trips, cmds int
	names       []string
}

// countTrips runs two citizens through a complaint and a staff member's
// claim of each, through intake on a store open makes, and returns what
// the second of each kind of update cost (the first loads the scripts).
func countTrips(t *testing.T, open func(testing.TB, redis.Hook, ...storage.Option) *storage.Store) map[string]tripsOf {
	counter := &trips{}
	w := newWorldOn(t, testConfig, func(opts ...storage.Option) *storage.Store {
		return open(t, counter, opts...)
	})
	clock := func() time.Time { return w.now }
	log := slog.New(slog.NewJSONHandler(w.logs, nil))
	sends := &countingChannel{}
	outbox := bot.NewOutbox(w.store, []bot.Channel{sends}, clock, log)
	intake := bot.NewIntake(w.store, w.h, outbox, clock, log)
	n := 0
	deliver := func(p person, m bot.Message) tripsOf {
		t.Helper()
		n++
		m.ID, m.Channel = "rt"+strconv.Itoa(n), "telegram"
		m.From = bot.User{ID: p.id, Name: p.name, Lang: p.lang}
		if m.Chat == "" {
			m.Chat = p.id
		}
		m.Group = strings.HasPrefix(m.Chat, "-")
		if m.Button != "" {
			// As Telegram does: the press names the message its button
			// is on.
			m.ButtonToken, m.ReplyTo = "cb"+m.ID, "100"
		}
		counter.reset()
		if err := intake.Deliver(context.Background(), &m); err != nil {
			t.Fatalf("deliver %+v: %v", m, err)
		}
		tr, cmds, names := counter.read()
		return tripsOf{tr, cmds, names}
	}
	got := map[string]tripsOf{}
	flow := func(p person) {
		got["start"] = deliver(p, bot.Message{Text: "/start"})
		got["button"] = deliver(p, bot.Message{Button: menuComplaint})
		deliver(p, bot.Message{Button: "centre:KRM"})
		deliver(p, bot.Message{Button: "cat:waiting"})
		got["text step"] = deliver(p, bot.Message{Text: "انتظرت أكثر من ساعتين دون أن يُنادى رقمي"})
		deliver(p, bot.Message{Button: "skip"})
		got["confirm"] = deliver(p, bot.Message{Button: "confirm"})
	}
	flow(citizen)
	flow(other)
	for _, p := range []person{citizen, other} {
		ts := w.ticketsOf(p)
		if len(ts) != 1 {
			t.Fatalf("%s filed %d tickets; want 1", p.name, len(ts))
		}
		got["claim"] = deliver(fatima, bot.Message{Chat: "-1001", Button: "claim:" + ts[0].ID})
		if h := w.ticket(ts[0].ID).Holder.ID; h != fatima.id {
			t.Fatalf("%s's ticket is held by %q; want Fatima", p.name, h)
		}
	}
	// The outbox sends what was queued, one message at a time, as each
	// lane's senders do: a message of its own, one with a ref that later
	// messages look up (the citizen's notice), and an edit in place (the
	// staff group's card, whose button was pressed); a chat's next message
	// waits for its pace.
	for _, lane := range []bot.Priority{bot.Answer, bot.Notify} {
		for {
			w.now = w.now.Add(time.Minute)
			counter.reset()
			sent, err := outbox.SendOneIn(context.Background(), lane)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if !sent {
				break
			}
			tr, cmds, names := counter.read()
			got[sends.last] = tripsOf{tr, cmds, names}
		}
	}
	for _, kind := range []string{"send", "send with ref", "edit"} {
		if _, ok := got[kind]; !ok {
			t.Errorf("no %s was sent", kind)
		}
	}
	return got
}

// countingChannel answers every send with a new message id and says what
// kind of send the last one was.
type countingChannel struct {
	n    int
	last string
}

func (c *countingChannel) Name() string { return "telegram" }

func (c *countingChannel) Send(_ context.Context, r bot.Reply, editID string) (bot.Sent, error) {
	c.n++
	switch {
	case r.Edit && r.EditOf != "":
		c.last = "edit" // in place: the id is the pressed message's
	case r.Edit && editID != "":
		c.last = "edit by ref"
	case r.Ref != "":
		c.last = "send with ref"
	default:
		c.last = "send"
	}
	return bot.Sent{MessageID: strconv.Itoa(1000 + c.n)}, nil
}
