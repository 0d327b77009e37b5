package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// TestAccountBlocked: Meta blocking the business account (368, 131031,
// 131042) is a wait for every chat, not a message's failure; the channel
// is degraded, naming the code and not the person, said in the log once;
// a read receipt Meta takes meanwhile does not lift it, a message does.
func TestAccountBlocked(t *testing.T) {
	for _, tc := range []struct {
		code   int
		status int
		title  string
	}{
		{368, 403, "Temporarily blocked for policies violations"},
		{131031, 403, "Account has been locked"},
		{131042, 400, "Business eligibility payment issue"},
	} {
		t.Run(tc.title, func(t *testing.T) {
			h := newHarness(t)
			send := func() error {
				_, err := h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "رد الموظف"}, "")
				return err
			}
			for range 2 {
				h.api.Fail(nil, tc.status, tc.code, tc.title+" for +"+citizen)
				err := send()
				var re *bot.RetryError
				if !errors.As(err, &re) || re.After < time.Minute || re.Scope != bot.ScopeChannel {
					t.Fatalf("code %d: %v (%+v); want a wait of a minute at least, for the whole channel", tc.code, err, re)
				}
			}
			d := h.ch.Degraded()
			if d == nil || !strings.Contains(d.Error(), fmt.Sprint(tc.code)) || strings.Contains(d.Error(), citizen) {
				t.Errorf("degraded %v; want why, by code %d, without the number", d, tc.code)
			}
			logs := h.logs.String()
			if n := strings.Count(logs, "business account cannot send"); n != 1 || !strings.Contains(logs, "code="+fmt.Sprint(tc.code)) ||
				strings.Contains(logs, citizen) {
				t.Errorf("logged %d times, log %q; want once, by code, without the number", n, logs)
			}
			if err := h.ch.markRead(context.Background(), "wamid.in"); err != nil || h.ch.Degraded() == nil {
				t.Errorf("after a read receipt Meta took (%v): degraded %v; want still degraded", err, h.ch.Degraded())
			}
			if err := send(); err != nil || h.ch.Degraded() != nil {
				t.Errorf("after a message Meta took (%v): degraded %v; want no longer", err, h.ch.Degraded())
			}
		})
	}
}

// TestRateLimitWaits: Meta's rate limits say no Retry-After; each is a
// wait of its own length and reach, which the outbox does not count as a
// failure: the number's throughput and the account's and app's call limits
// hold the channel, the pair rate limit the one person's chat.
func TestRateLimitWaits(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		code  int
		least time.Duration
		scope bot.Scope
	}{
		{130429, time.Second, bot.ScopeChannel},
		{131056, 6 * time.Second, bot.ScopeChat},
		{80007, time.Minute, bot.ScopeChannel},
		{4, time.Minute, bot.ScopeChannel},
		{131048, 5 * time.Minute, bot.ScopeChannel},
	} {
		h.api.Fail(nil, 429, tc.code, "Rate limit hit")
		_, err := h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
		var re *bot.RetryError
		if !errors.As(err, &re) || re.After < tc.least || re.Scope != tc.scope {
			t.Errorf("code %d: %v (%+v); want a wait of %v at least, scope %d", tc.code, err, re, tc.least, tc.scope)
		}
	}
}

// TestUnreachableEitherWay: Meta saying a message cannot be delivered
// (131026) at once, or in a delivery report, reaches staff the same way:
// the person cannot be reached.
func TestUnreachableEitherWay(t *testing.T) {
	h := newHarness(t)
	h.api.Fail(nil, 400, 131026, "Message Undeliverable")
	_, err := h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
	var re *bot.RetryError
	if !errors.Is(err, bot.ErrUnreachable) || errors.As(err, &re) {
		t.Errorf("at once: %v; want a permanent bot.ErrUnreachable", err)
	}
	h.notify(whatsapptest.Statuses(whatsapptest.Status("wamid.late", "failed", citizen, t0, 131026, "Message Undeliverable")))
	ms := h.got.list()
	if len(ms) != 1 || ms[0].Failed == nil || !ms[0].Failed.Blocked {
		t.Errorf("in a delivery report: delivered %v; want the failure, the person unreachable", ms)
	}
}

// TestAccountBlockedHoldsTheQueue: while Meta blocks the account, what
// is owed to citizens waits in the outbox, none of it a dead letter nor
// news to staff however long the block lasts, and all of it goes once
// Meta takes messages again.
func TestAccountBlockedHoldsTheQueue(t *testing.T) {
	store := storagetest.Store(t)
	clk := &clock{now: t0}
	fs, _ := files.Open(t.TempDir(), 1<<20)
	api := whatsapptest.NewServer(t, testToken, testPhoneID)
	api.SetClock(clk.Now)
	var outbox *bot.Outbox
	ch, err := New(Config{Token: testToken, PhoneID: testPhoneID, AppSecret: testSecret, VerifyToken: testVerify,
		APIURL: api.URL(), Files: fs, Pages: store, Outbox: later{&outbox}, Labels: testLabels,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}, (&delivered{}).deliver)
	if err != nil {
		t.Fatal(err)
	}
	outbox = bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	outbox.MaxAttempts = 3
	var told []string
	outbox.Undelivered = func(_ context.Context, r bot.Reply, reason string, _ bool) error {
		told = append(told, reason)
		return nil
	}
	people := []string{"971500000001", "971500000002", "971500000003"}
	blocked := func(whatsapptest.Call) bool { return true }
	for _, p := range people {
		api.Inbound(p, clk.Now())
		if _, err := outbox.Enqueue(context.Background(), "", 0, []bot.Reply{{Channel: Name, Chat: p, Text: "رد المركز",
			Lang: "ar", Ref: "ticket:KRM-000001"}}); err != nil {
			t.Fatal(err)
		}
	}
	drain := func() {
		t.Helper()
		for range 50 {
			busy, err := outbox.SendOne(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !busy {
				return
			}
		}
	}
	for range 10 { // ten minutes blocked
		api.Fail(blocked, 403, 368, "Temporarily blocked for policies violations")
		drain()
		clk.add(time.Minute + time.Second)
	}
	refused := len(api.Calls(whatsapptest.Match{Method: "messages"}))
	if refused > 12 || ch.Degraded() == nil {
		t.Errorf("ten minutes blocked: %d refused messages, degraded %v; want about one a minute, and degraded", refused, ch.Degraded())
	}
	for range 3 { // Meta may refuse one more: the block's last minute
		clk.add(time.Minute + time.Second)
		for range 5 {
			drain()
			clk.add(100 * time.Millisecond)
		}
	}
	outbox.Wait()
	if sent := api.Calls(whatsapptest.Match{Method: "messages", Sent: true}); len(sent) != len(people) {
		t.Errorf("once Meta lifted the block: sent %d messages; want %d", len(sent), len(people))
	}
	if dead, _ := store.DeadLetters(context.Background(), 10); len(dead) != 0 || len(told) != 0 || ch.Degraded() != nil {
		t.Errorf("%d dead letters, staff told %v, degraded %v; want none", len(dead), told, ch.Degraded())
	}
}
