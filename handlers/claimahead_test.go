package handlers

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
)

// reloadAfterPreload is a Handler that has a configuration put in force
// between an update's Preload and its handling, as a SIGHUP may.
type reloadAfterPreload struct {
	*Handler
	next *config.Config
}

func (r reloadAfterPreload) Preload(ctx context.Context, m *bot.Message) context.Context {
	ctx = r.Handler.Preload(ctx, m)
	if err := r.Reload(r.next); err != nil {
		panic(err)
	}
	return ctx
}

// pressAnswers keeps what an update's answer says to the one who pressed.
type pressAnswers struct{ notices []string }

func (p *pressAnswers) Enqueue(ctx context.Context, once string, keep time.Duration, rs []bot.Reply) (bool, error) {
	for _, r := range rs {
		if r.Notice {
			p.notices = append(p.notices, r.Text)
		}
	}
	return true, nil
}

// A staff member's claim made with the update's begin stands, and is
// answered as made, when a reload between the begin and the handling no
// longer has them work the centre's tickets: the answer tells what was
// done, never "not yours to claim" over a claim made.
func TestClaimAheadOutlivesReload(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	gone, err := config.Parse([]byte(strings.Replace(testConfig, "  - {telegram: 111,", "  # gone: {telegram: 111,", 1)))
	if err != nil {
		t.Fatal(err)
	}
	out := &pressAnswers{}
	in := bot.NewIntake(w.store, reloadAfterPreload{w.h, gone}, out, func() time.Time { return w.now }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	m := &bot.Message{ID: "claim1", Channel: "telegram", Chat: "-1001", Group: true, Button: "claim:" + id,
		ButtonToken: "cb1", From: bot.User{ID: fatima.id, Name: fatima.name, Lang: fatima.lang}}
	if err := in.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if h := w.ticket(id).Holder.ID; h != fatima.id {
		t.Fatalf("ticket held by %q; want Fatima, who claimed it", h)
	}
	if len(out.notices) != 1 || !strings.Contains(out.notices[0], id) || out.notices[0] == w.tr("ar", "claim.forbidden", nil) {
		t.Fatalf("the press was answered %q; want the claim told as made", out.notices)
	}
	// The next press is read under the configuration in force: Fatima no
	// longer claims.
	other := w.fileComplaint(other, "KRM")
	m2 := *m
	m2.ID, m2.ButtonToken, m2.Button = "claim2", "cb2", "claim:"+other
	if err := in.Deliver(context.Background(), &m2); err != nil {
		t.Fatal(err)
	}
	if h := w.ticket(other).Holder.ID; h != "" {
		t.Fatalf("second ticket held by %q; want nobody", h)
	}
	if got := out.notices[len(out.notices)-1]; got != w.tr("ar", "claim.forbidden", nil) {
		t.Fatalf("second press answered %q; want claim.forbidden", got)
	}
}
