package bot_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// windowChannel is a channel that may write only within a day of a
// person's last message, reopening with a template.
type windowChannel struct {
	mu        sync.Mutex
	sent      []string
	templates []string
	refuse    bool // Send answers ErrWindowClosed, as Meta may
}

func (c *windowChannel) Name() string                 { return "whatsapp" }
func (c *windowChannel) Pace(bot.Reply) time.Duration { return 0 }
func (c *windowChannel) PerSecond() float64           { return 0 }
func (c *windowChannel) Window() time.Duration        { return 24 * time.Hour }
func (c *windowChannel) Send(_ context.Context, r bot.Reply, _ string) (bot.Sent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refuse {
		c.refuse = false
		return bot.Sent{}, bot.ErrWindowClosed
	}
	c.sent = append(c.sent, r.Text)
	return bot.Sent{MessageID: "wamid." + r.Text}, nil
}

func (c *windowChannel) Reopen(_ context.Context, r bot.Reply) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.templates = append(c.templates, r.Ref)
	return "wamid.template" + strconv.Itoa(len(c.templates)), true, nil
}

func (c *windowChannel) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent)
}

// TestOutboxWindow: what is owed to a person outside their window waits,
// once the template invited them, and follows, in order, when they write;
// a message the platform refuses for the window, at once or later, goes
// the same way.
func TestOutboxWindow(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	ch := &windowChannel{}
	o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	o.Window = store
	ctx := context.Background()
	const chat = "whatsapp:971501234567"
	if err := o.Wrote(ctx, chat, time.Time{}); err != nil {
		t.Fatal(err)
	}
	enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971501234567", Text: "in time"})
	drain(t, o)
	clk.add(25 * time.Hour) // the window closed
	enqueue(t, o,
		bot.Reply{Channel: "whatsapp", Chat: "971501234567", Text: "staff reply", Ref: "ticket:KRM-000007"},
		bot.Reply{Channel: "whatsapp", Chat: "971501234567", Text: "resolution", Ref: "ticket:KRM-000007"})
	drain(t, o)
	clk.add(time.Hour)
	drain(t, o)
	if got := ch.texts(); !slices.Equal(got, []string{"in time"}) || !slices.Equal(ch.templates, []string{"ticket:KRM-000007"}) {
		t.Fatalf("sent %v, templates %v; want only the first, and one template for the owed ones", got, ch.templates)
	}
	// A process stopping now has nothing to send: what is held waits for
	// the person, not for it.
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := o.Drain(dctx); err != nil {
		t.Errorf("Drain with only held replies: %v; want nil at once", err)
	}
	clk.add(3 * 24 * time.Hour) // days go by: nothing owed is dropped
	if err := o.Wrote(ctx, chat, time.Time{}); err != nil {
		t.Fatal(err)
	}
	drain(t, o)
	if got := ch.texts(); !slices.Equal(got, []string{"in time", "staff reply", "resolution"}) {
		t.Errorf("after the person wrote: %v; want what was owed, in order", got)
	}
	// Refused by the platform at once, though the window looked open.
	ch.refuse = true
	enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971501234567", Text: "refused"})
	drain(t, o)
	if len(ch.templates) != 2 || len(ch.texts()) != 3 {
		t.Errorf("templates %v, sent %v; want a second template and nothing sent", ch.templates, ch.texts())
	}
	o.Wrote(ctx, chat, time.Time{})
	drain(t, o)
	// Accepted, then reported refused for the window (twice, as Meta may):
	// a template, and the message again once they wrote.
	for range 2 {
		if ok, err := o.Resend(ctx, chat, "wamid.refused", clk.Now()); !ok || err != nil {
			t.Fatalf("Resend = %v, %v", ok, err)
		}
	}
	drain(t, o)
	if len(ch.templates) != 3 || len(ch.texts()) != 4 {
		t.Errorf("after a late refusal: templates %v, sent %v; want a third template and nothing sent", ch.templates, ch.texts())
	}
	clk.add(time.Minute)
	o.Wrote(ctx, chat, time.Time{})
	drain(t, o)
	if got := ch.texts(); !slices.Equal(got, []string{"in time", "staff reply", "resolution", "refused", "refused"}) {
		t.Errorf("after a late refusal: %v; want the message once more when they wrote", got)
	}
}

// windowed is an outbox on a windowed channel, and a person who wrote to
// it at the clock's start.
type windowed struct {
	store *storage.Store
	clk   *clock
	ch    *windowChannel
	o     *bot.Outbox
}

const windowChat = "whatsapp:971501234567"

func newWindowed(t *testing.T) windowed {
	t.Helper()
	w := windowed{store: storagetest.Store(t), clk: newClock(), ch: &windowChannel{}}
	w.o = bot.NewOutbox(w.store, []bot.Channel{w.ch}, w.clk.Now, quiet)
	w.o.Window = w.store
	if err := w.o.Wrote(context.Background(), windowChat, time.Time{}); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestOutboxWindowOneInvitation: what every lane owes a person outside
// their window waits on one template, not one a lane (each is billed, and
// repeats hurt the number's quality), and all of it follows when they
// write.
func TestOutboxWindowOneInvitation(t *testing.T) {
	w := newWindowed(t)
	clk, ch, o, ctx, chat := w.clk, w.ch, w.o, context.Background(), windowChat
	clk.add(25 * time.Hour)
	for _, p := range []bot.Priority{bot.Answer, bot.Notify, bot.Bulk} {
		enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971501234567", Text: p.String(), Ref: "ticket:KRM-00000" + strconv.Itoa(int(p)), Priority: p})
		drain(t, o)
	}
	if len(ch.templates) != 1 || len(ch.texts()) != 0 {
		t.Fatalf("templates %v, sent %v; want one template and nothing sent", ch.templates, ch.texts())
	}
	if err := o.Wrote(ctx, chat, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for range 3 { // bulk goes at its own budget
		drain(t, o)
		clk.add(time.Second)
	}
	if got := ch.texts(); len(got) != 3 {
		t.Errorf("after the person wrote: %v; want all three lanes' messages", got)
	}
}

// TestOutboxTemplateLeadsBack: the template sent in place of a reply about
// a ticket leads back to that ticket, so that a report that it never
// arrived reaches the ticket's holder; the ticket's ref still names the
// last message sent about it, which an edit may change, not the template.
func TestOutboxTemplateLeadsBack(t *testing.T) {
	w := newWindowed(t)
	store, clk, ch, o, ctx, chat := w.store, w.clk, w.ch, w.o, context.Background(), windowChat
	enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971501234567", Text: "claimed", Ref: "ticket:KRM-000007"})
	drain(t, o)
	clk.add(25 * time.Hour)
	enqueue(t, o, bot.Reply{Channel: "whatsapp", Chat: "971501234567", Text: "staff reply", Ref: "ticket:KRM-000007"})
	drain(t, o)
	if len(ch.templates) != 1 {
		t.Fatalf("templates %v; want one", ch.templates)
	}
	if ref, err := store.RefOf(ctx, chat, "wamid.template1"); ref != "ticket:KRM-000007" || err != nil {
		t.Errorf("the template leads back to %q, %v; want the ticket", ref, err)
	}
	if id, _ := store.Ref(ctx, chat, "ticket:KRM-000007"); id != "wamid.claimed" {
		t.Errorf("the ticket's ref names %q; want the last message sent about it", id)
	}
}
