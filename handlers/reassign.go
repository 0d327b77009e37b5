package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// reassignCommand is /reassign KRM-000123, for a supervisor of the
// ticket's centre: its staff (the supervisor too) as buttons, to give the
// open ticket to one of them.
func (h *Handler) reassignCommand(ctx context.Context, c *conv, args string) {
	if !c.works() {
		h.help(c)
		return
	}
	ref, ok := parseTicket(strings.TrimSpace(args))
	if !ok || ref.prefix == "" {
		c.say("help.reassign", nil)
		return
	}
	h.reassignPicker(ctx, c, ref.id(ref.prefix))
}

// reassignPicker shows a supervisor of ticket id's centre its staff (the
// supervisor too) as buttons, to give the open ticket to one of them.
func (h *Handler) reassignPicker(ctx context.Context, c *conv, id string) {
	t, err := h.store.Ticket(ctx, id)
	switch {
	case err != nil:
		c.fail(ctx, err)
		return
	case !c.supervises(t.Centre):
		c.say("reassign.forbidden", h.ticketData(c.lang, t))
		return
	case !t.Status.Open():
		h.sayConflict(c, t)
		return
	}
	people, err := h.roster(ctx)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	var rows [][]bot.Button
	for _, p := range people {
		id := strconv.FormatInt(p.Telegram, 10)
		if p.Role != shakwa.RoleManager && p.Serves(t.Centre) && id != t.Holder.ID {
			rows = append(rows, []bot.Button{{Label: p.Name, Data: "reassign:" + t.ID + ":" + id}})
		}
	}
	if len(rows) == 0 {
		c.say("reassign.nobody", h.ticketData(c.lang, t))
		return
	}
	r := c.reply(c.t("reassign.ask", h.ticketData(c.lang, t)), nil)
	r.Buttons = append(rows, []bot.Button{{Label: c.t("button.cancel", nil), Data: "reassign:" + t.ID + ":" + reassignNone}})
	c.Reply(r)
}

// reassignNone is the picker's cancel, in place of a staff member's id.
const reassignNone = "-"

// reassign gives ticket id to the staff member of the button ("ID:USER")
// at a supervisor's word, or shows whom it may go to ("ID"), and tells
// both staff members: the new holder
// gets the ticket, the one it was taken from is told who has it now.
func (h *Handler) reassign(ctx context.Context, c *conv, arg string) {
	id, user, _ := strings.Cut(arg, ":")
	if user == "" {
		h.reassignPicker(ctx, c, id) // the ticket's own button: who to?
		return
	}
	t, err := h.store.Ticket(ctx, id)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if user == reassignNone && c.supervises(t.Centre) {
		// The picker put away: the ticket stays where it is.
		c.inPlace = c.m.Button != ""
		c.say("reassign.kept", h.ticketData(c.lang, t))
		return
	}
	uid, _ := strconv.ParseInt(user, 10, 64)
	p, ok, err := h.person(ctx, uid)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if !c.supervises(t.Centre) || !ok || !p.Serves(t.Centre) || p.Role == shakwa.RoleManager {
		c.say("reassign.forbidden", h.ticketData(c.lang, t))
		return
	}
	was := t.Holder
	to := shakwa.Staff{ID: user, Name: p.Name}
	t, err = h.store.Reassign(ctx, id, c.staff(), to, c.person.Centres, h.now())
	if err != nil {
		h.conflict(ctx, c, t, err)
		return
	}
	h.scheduleSLA(ctx, c, t, false)
	c.say("staff.reassigned", h.ticketData(c.lang, t))
	h.notify.EditCard(c, t, "card.claimed", nil)
	if to.ID != c.m.From.ID {
		if err := h.notify.Holder(ctx, c, t, "staff.given", map[string]any{"By": c.staff().Name}); err != nil {
			c.fail(ctx, err)
			return
		}
	}
	h.sendTicket(ctx, c, t)
	if was.ID != "" && was.ID != to.ID && was.ID != c.m.From.ID {
		gone := *t
		gone.Holder = was
		if err := h.notify.Holder(ctx, c, &gone, "staff.taken_away", map[string]any{"To": to.Name, "By": c.staff().Name}); err != nil {
			c.fail(ctx, err)
		}
	}
}
