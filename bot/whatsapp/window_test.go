package whatsapp

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// clock is the one clock of the window test: the outbox's and Meta's.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

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

// TestWindow: a staff reply 25 hours after the citizen last wrote goes out
// as the approved template (Meta refuses free-form messages then), and
// the reply itself follows when the citizen answers the template; nothing
// owed is dropped. Then the same when Meta accepts a message and reports
// it refused later.
func TestWindow(t *testing.T) {
	store := storagetest.Store(t)
	clk := &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	fs, _ := files.Open(t.TempDir(), 1<<20)
	api := whatsapptest.NewServer(t, testToken, testPhoneID)
	api.SetClock(clk.Now)
	api.Template("shakwa_reply_waiting", 1, "ar")
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	var outbox *bot.Outbox
	got := &delivered{}
	ch, err := New(Config{Token: testToken, PhoneID: testPhoneID, AppSecret: testSecret, VerifyToken: testVerify,
		APIURL: api.URL(), Files: fs, Pages: store, Outbox: later{&outbox}, Labels: testLabels,
		Template: Template{Name: "shakwa_reply_waiting", Languages: map[string]string{"ar": "ar"}}}, got.deliver)
	if err != nil {
		t.Fatal(err)
	}
	outbox = bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	outbox.Window = store
	h := &harness{t: t, api: api, ch: ch, got: got}
	h.hook = newHook(t, ch)
	drain := func() {
		t.Helper()
		clk.add(2 * time.Second) // past the pace between two messages to one person
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
	write := func(m map[string]any) {
		api.Inbound(citizen, clk.Now())
		h.notify(whatsapptest.Inbound(citizen, "سالم", m))
	}
	owe := func(text string) {
		t.Helper()
		if _, err := outbox.Enqueue(context.Background(), "", 0, []bot.Reply{{Channel: Name, Chat: citizen,
			Text: text, Lang: "ar", Ref: "ticket:KRM-000001"}}); err != nil {
			t.Fatal(err)
		}
	}

	write(whatsapptest.Text(citizen, "wamid.w1", clk.Now(), "مرحبا"))
	clk.add(25 * time.Hour)
	owe("💬 رد من المركز بخصوص طلبك KRM-000001: تم حل المشكلة")
	drain()
	sent := api.Calls(whatsapptest.Match{To: citizen, Sent: true})
	if len(sent) != 1 || sent[0].Type != "template" || !contains(sent[0].Body, "KRM-000001") {
		t.Fatalf("25 hours on: sent %v; want the template, with the ticket", sent)
	}
	clk.add(2 * time.Hour)
	drain()
	if n := len(api.Calls(whatsapptest.Match{To: citizen, Sent: true})); n != 1 {
		t.Errorf("while the citizen has not answered: %d messages; want the template only", n)
	}
	write(whatsapptest.TemplateButton(citizen, "wamid.w2", clk.Now(), sent[0].ID, "wa:resume", "عرض"))
	drain()
	sent = api.Calls(whatsapptest.Match{To: citizen, Sent: true})
	if len(sent) != 2 || sent[1].Type != "text" || sent[1].Text() != "💬 رد من المركز بخصوص طلبك KRM-000001: تم حل المشكلة" {
		t.Fatalf("after the citizen answered: %v; want the staff reply itself", sent)
	}

	// Accepted by Meta, then reported refused for the window (Meta's
	// delivery report, through the webhook): the template again, and the
	// message once the citizen writes.
	api.Webhook(h.hook.URL, testSecret)
	api.FailLater(func(c whatsapptest.Call) bool { return c.Type == "text" }, 131047, "Re-engagement message")
	owe("✅ تمت معالجة طلبك KRM-000001")
	drain()
	sent = api.Calls(whatsapptest.Match{To: citizen, Sent: true})
	clk.add(30 * time.Hour)
	if n := api.Report(t); n != 1 {
		t.Fatalf("Meta reported %d failures; want the one message's", n)
	}
	drain()
	if now := api.Calls(whatsapptest.Match{To: citizen, Sent: true}); len(now) != len(sent)+1 || now[len(now)-1].Type != "template" {
		t.Errorf("after the late refusal: %v; want the template and nothing more until the citizen writes", now[len(sent):])
	}
	write(whatsapptest.Text(citizen, "wamid.w3", clk.Now(), "شكراً"))
	drain()
	sent = api.Calls(whatsapptest.Match{To: citizen, Sent: true})
	if got := sent[len(sent)-1]; got.Text() != "✅ تمت معالجة طلبك KRM-000001" {
		t.Errorf("after the citizen wrote: last %q; want the refused message again", got.Text())
	}
	if len(got.list()) != 2 {
		t.Errorf("delivered %d messages to the bot: %v; want the citizen's two texts (a press of the template's button opens the window and asks nothing; a late refusal is not news to staff)",
			len(got.list()), got.list())
	}
}

// later lets a channel made before its outbox talk to it.
type later struct{ o **bot.Outbox }

func (l later) Wrote(ctx context.Context, chat string, at time.Time) error {
	return (*l.o).Wrote(ctx, chat, at)
}
func (l later) Resend(ctx context.Context, chat, id string, at time.Time) (bool, error) {
	return (*l.o).Resend(ctx, chat, id, at)
}

func contains(body map[string]any, s string) bool {
	return len(s) > 0 && len(body) > 0 && containsString(body, s)
}

func containsString(v any, s string) bool {
	switch x := v.(type) {
	case string:
		return x == s
	case map[string]any:
		for _, y := range x {
			if containsString(y, s) {
				return true
			}
		}
	case []any:
		for _, y := range x {
			if containsString(y, s) {
				return true
			}
		}
	}
	return false
}
