package handlers

import (
	"context"
	"errors"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/flows"
)

// askWithdraw asks the citizen to confirm withdrawing their open ticket.
func (h *Handler) askWithdraw(ctx context.Context, c *conv, id string) {
	h.withOwn(ctx, c, id, func(t *shakwa.Ticket) {
		if !t.Status.Open() {
			c.say("withdraw.closed", h.ticketData(c.lang, t))
			return
		}
		c.Reply(c.reply(c.t("withdraw.ask", h.ticketData(c.lang, t)), [][]flows.Choice{
			{{Key: "button.withdraw_yes", Data: "withdrawn:" + t.ID}},
			{{Key: "button.withdraw_no", Data: "view:" + t.ID}},
		}))
	})
}

// withdraw closes the citizen's open ticket at their word, and tells the
// staff: the holder, and the centre's group on the card.
func (h *Handler) withdraw(ctx context.Context, c *conv, id string) {
	h.withOwn(ctx, c, id, func(t *shakwa.Ticket) {
		t, err := h.store.Withdraw(ctx, t.ID, c.who, h.now())
		if errors.Is(err, shakwa.ErrConflict) && t != nil {
			c.say("withdraw.closed", h.ticketData(c.lang, t))
			return
		}
		if err != nil {
			c.fail(ctx, err)
			return
		}
		c.Reply(c.reply(c.t("withdraw.done", h.ticketData(c.lang, t)), homeRow()))
		h.notify.EditCard(c, t, "card.withdrawn", nil)
		if err := h.notify.Holder(ctx, c, t, "staff.withdrawn", nil); err != nil {
			c.fail(ctx, err)
		}
	})
}
