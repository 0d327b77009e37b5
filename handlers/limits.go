package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/flows"
)

// limitsRead is how many of a citizen's latest tickets the limits look at.
const limitsRead = 200

// limitHold is how long a complaint stopped at a limit waits for its
// citizen: they are told to confirm it later, or tomorrow, and two days
// reach the end of tomorrow whenever today it was stopped.
const limitHold = 48 * time.Hour

// holdComplaint stops a complaint from being filed, keeping it at its
// summary, when the citizen is past a limit (open tickets, tickets in a
// day) or has an open ticket of the same centre and category filed lately:
// then they are asked whether it is the same matter. It reports whether
// it stopped the filing (or failed, which the person is told).
func (h *Handler) holdComplaint(ctx context.Context, c *conv, s *flows.Submission) bool {
	if c.force {
		return false
	}
	ts, err := h.store.CitizenTickets(ctx, c.who, limitsRead)
	if err != nil {
		c.fail(ctx, fmt.Errorf("the citizen's tickets: %w", err))
		return true
	}
	lim := h.cfg().Limits
	var open, today int
	var same *shakwa.Ticket
	for _, t := range ts {
		if t.Status.Open() {
			open++
			if same == nil && t.Centre == s.Centre && t.Category == s.Category && lim.DuplicateWithin > 0 &&
				h.now().Sub(t.Created) < time.Duration(lim.DuplicateWithin) {
				same = t
			}
		}
		if h.now().Sub(t.Created) < 24*time.Hour {
			today++
		}
	}
	switch {
	case open >= lim.OpenTickets:
		c.keep, c.holdUntil = true, h.now().Add(limitHold)
		c.Reply(c.reply(c.t("limit.open", map[string]any{"Count": open}),
			[][]flows.Choice{{{Key: "menu.follow", Data: menuFollow}}, {{Key: "menu.home", Data: menuHome}}}))
	case today >= lim.TicketsPerDay:
		c.keep, c.holdUntil = true, h.now().Add(limitHold)
		c.say("limit.day", map[string]any{"Count": today})
	case same != nil:
		c.keep = true
		c.Reply(c.reply(c.t("dup.ask", h.ticketData(c.lang, same)), [][]flows.Choice{
			{{Key: "button.dup_same", Data: "dup:same:" + same.ID}},
			{{Key: "button.dup_new", Data: "dup:new"}},
		}))
	default:
		return false
	}
	return true
}

// duplicate answers the duplicate question: "same:ID" adds what the
// complaint gathered to that ticket and ends the conversation, "new" files
// it as a new ticket.
func (h *Handler) duplicate(ctx context.Context, c *conv, arg string) {
	s, ok := h.loadSession(ctx, c)
	if !ok {
		return
	}
	if s.Flow != flows.Complaint || s.State != "confirm" {
		c.notice = c.t("error.stale_button", nil)
		h.menu(c, "")
		return
	}
	confirm := flows.Input{Button: flows.BtnConfirm}
	id, same := strings.CutPrefix(arg, "same:")
	if !same {
		c.force = true
		h.stepWith(ctx, c, s, confirm)
		return
	}
	res, err := flows.Step(s, confirm, h.now(), h.catalogFor(c))
	if err != nil || res.Submit == nil {
		c.fail(ctx, fmt.Errorf("the complaint to add: %v", err))
		return
	}
	h.withOwn(ctx, c, id, func(t *shakwa.Ticket) {
		if !t.Status.Open() {
			// Closed meanwhile: nothing to add to, so it is a new one.
			c.force = true
			h.stepWith(ctx, c, s, confirm)
			return
		}
		if h.addInfo(ctx, c, t.ID, res.Submit.Text, res.Submit.Files); c.failed == nil {
			h.endSession(ctx, c)
		}
	})
}
