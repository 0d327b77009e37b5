package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// What a staff member writes in their private chat, not as a reply to a
// ticket's message nor a command, answers the ticket they hold: the only
// one at once, or the one they choose when they hold several, the text
// waiting for the choice (answerWait) under its own key beside the
// session.

// answerWait is how long a written answer waits for its ticket to be
// chosen.
const answerWait = 15 * time.Minute

// pendingAnswer is a written answer waiting for its ticket.
type pendingAnswer struct {
	Text string `json:"text"`
}

func answerKey(who string) string { return "answer:" + who }

// staffAnswer answers the ticket the speaker holds with what they wrote;
// it reports false when the speaker is not staff, or sent nothing to pass.
func (h *Handler) staffAnswer(ctx context.Context, c *conv) bool {
	if !c.works() {
		return false
	}
	text := strings.TrimSpace(c.m.Text)
	if text == "" && len(c.m.Attachments) == 0 {
		return false
	}
	held, err := h.store.Held(ctx, c.m.From.ID)
	if err != nil {
		c.fail(ctx, fmt.Errorf("held: %w", err))
		return true
	}
	var open []*shakwa.Ticket
	for _, t := range held {
		if working(t.Status) {
			open = append(open, t)
		}
	}
	switch {
	case len(open) == 0:
		c.say("answer.none", nil)
		return true
	case len(open) == 1:
		h.staffReply(ctx, c, open[0].ID, text)
		return true
	case len(c.m.Attachments) > 0:
		// A file cannot wait: it is the message's own.
		c.say("answer.which_file", nil)
		return true
	}
	data, err := json.Marshal(pendingAnswer{Text: text})
	if err == nil {
		err = h.store.SaveSession(ctx, answerKey(c.id), data, answerWait)
	}
	if err != nil {
		c.fail(ctx, fmt.Errorf("keep the answer: %w", err))
		return true
	}
	lines := []string{c.t("answer.which", map[string]any{"Count": len(open), "Excerpt": excerpt(text, 60)})}
	var rows [][]bot.Button
	for i, t := range open {
		lines = append(lines, c.t("staff.line", h.ticketData(c.lang, t)))
		if i < 10 {
			rows = append(rows, []bot.Button{{Label: t.ID, Data: "answer:" + t.ID}})
		}
	}
	rows = append(rows, []bot.Button{{Label: c.t("button.cancel", nil), Data: "answer:-", Nav: true}})
	r := c.reply(strings.Join(lines, "\n"), nil)
	r.Buttons = rows
	c.Reply(r)
	return true
}

// answerChosen sends the waiting answer to ticket id ("-" drops it).
func (h *Handler) answerChosen(ctx context.Context, c *conv, id string) {
	data, err := h.store.Session(ctx, answerKey(c.id))
	if err != nil {
		c.fail(ctx, fmt.Errorf("the waiting answer: %w", err))
		return
	}
	var p pendingAnswer
	if len(data) == 0 || json.Unmarshal(data, &p) != nil || p.Text == "" {
		// Sent already (the button pressed twice), dropped, or too old.
		c.notice = c.t("answer.gone", nil)
		return
	}
	if err := h.store.DeleteSession(ctx, answerKey(c.id)); err != nil {
		c.fail(ctx, fmt.Errorf("the waiting answer: %w", err))
		return
	}
	if id == "-" {
		c.say("answer.dropped", nil)
		return
	}
	h.staffReply(ctx, c, id, p.Text)
}
