package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
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
	outbox.Undelivered = func(_ context.Context, r bot.Reply, f bot.Failure) error {
		told = append(told, f.Reason)
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

// TestDoubleTakesWhatWeSend: every file type the adapter sends (sendable)
// is one the double, written from Meta's supported media types, takes:
// a type the adapter sends that Meta refused would be news to a tester.
func TestDoubleTakesWhatWeSend(t *testing.T) {
	h := newHarness(t)
	kinds := map[string]string{"image": "photo", "audio": "audio", "video": "video", "document": "document"}
	sent := 0
	for typ, mimes := range sendable {
		for mt := range mimes {
			before := len(h.api.Calls(whatsapptest.Match{To: citizen, Type: typ}))
			id, _, err := h.files.Put(context.Background(), strings.NewReader("bytes of a "+mt), mt)
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.ch.Send(context.Background(), bot.Reply{Chat: citizen,
				Attachments: []shakwa.Attachment{{Kind: kinds[typ], File: id, Name: "file", Mime: mt}}}, "")
			if err != nil {
				t.Errorf("%s as %s: %v; want it sent", mt, typ, err)
			}
			if n := len(h.api.Calls(whatsapptest.Match{To: citizen, Type: typ})); n != before+1 {
				t.Errorf("%s as %s: the double took %d messages of the type; want one more than %d", mt, typ, n, before)
			}
			sent++
		}
	}
	if sent < 10 {
		t.Errorf("sent %d types; want every type the adapter sends", sent)
	}
}

// TestReopenTemplateAsREADME: the template the adapter sends to reopen
// the window is the one README has operators register: its name (as
// config.example.yaml sets it), its languages and its body's parameters.
// The double refuses any other as Meta does.
func TestReopenTemplateAsREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var langs []string
	params := -1
	_, table, _ := strings.Cut(string(readme), "| language | body | button |")
	table, _, _ = strings.Cut(table, "\n\n")
	for _, row := range strings.Split(table, "\n") {
		cells := strings.Split(row, "|")
		if len(cells) < 4 || !strings.Contains(cells[1], "`") {
			continue
		}
		_, code, _ := strings.Cut(cells[1], "`")
		code, _, _ = strings.Cut(code, "`")
		langs = append(langs, code)
		n := strings.Count(cells[2], "{{") // {{1}}, {{2}}...
		if params >= 0 && n != params {
			t.Errorf("README: the template's languages have %d and %d parameters", params, n)
		}
		params = n
	}
	if len(langs) != 2 || params != 1 {
		t.Fatalf("README's template table: languages %v, %d parameters; want two languages, one parameter", langs, params)
	}
	h := newHarness(t)
	name := h.ch.cfg.Template.Name
	if !strings.Contains(string(example), "name: "+name) {
		t.Errorf("config.example.yaml names no template %q", name)
	}
	h.api.Template(name, params, langs...)
	for lang, code := range h.ch.cfg.Template.Languages {
		if !slices.Contains(langs, code) {
			t.Errorf("template language %s is %q; README has %v", lang, code, langs)
		}
		if _, ok, err := h.ch.Reopen(context.Background(), bot.Reply{Chat: "971500000000", Lang: lang, Ref: "ticket:KRM-000042"}); err != nil || !ok {
			t.Errorf("Reopen in %s: %v, %v; want Meta to take it", lang, ok, err)
		}
	}

	// What Meta answers a template it does not have, or of another shape:
	// permanent (the outbox keeps a dead letter and staff are told).
	for _, tc := range []struct {
		name   string
		params int
		code   int
	}{{"another_template", params, 132001}, {name, params + 1, 132000}} {
		h := newHarness(t)
		h.api.Template(tc.name, tc.params, langs...)
		_, _, err := h.ch.Reopen(context.Background(), bot.Reply{Chat: "971500000000", Lang: "ar", Ref: "ticket:KRM-000042"})
		var ge *GraphError
		var re *bot.RetryError
		if !errors.As(err, &ge) || ge.Code != tc.code || errors.As(err, &re) {
			t.Errorf("template %s of %d parameters approved: %v; want a permanent %d", tc.name, tc.params, err, tc.code)
		}
	}
}
