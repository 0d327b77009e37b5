package handlers

import (
	"errors"
	"strconv"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/flows"
)

// refCard is the Ref prefix of a ticket's card in its centre's staff group.
const refCard = "card:"

// groupLang is the language of staff group cards.
const groupLang = "ar"

// group answers a staff group: only buttons on ticket cards matter there.
func (h *Handler) group(c *conv) {
	verb, arg, _ := strings.Cut(c.m.Button, ":")
	if verb == "claim" {
		h.claim(c, arg)
	}
}

// staffButton handles the buttons of staff messages. It reports whether
// the press was one.
func (h *Handler) staffButton(c *conv, verb, id string) bool {
	switch verb {
	case "claim":
		h.claim(c, id)
	case "open":
		h.withHeld(c, id, func(t *shakwa.Ticket) { h.sendTicket(c, t) })
	case "close":
		h.withHeld(c, id, func(t *shakwa.Ticket) { h.startFlow(c, flows.Resolve, t.ID) })
	case "transfer":
		h.withHeld(c, id, func(t *shakwa.Ticket) { h.startFlow(c, flows.Transfer, t.ID) })
	case "release":
		h.withHeld(c, id, func(t *shakwa.Ticket) { h.release(c, t.ID) })
	default:
		return false
	}
	return true
}

// withHeld runs fn on ticket id if the speaker holds it, so that nobody
// starts writing a resolution only to be refused at the end.
func (h *Handler) withHeld(c *conv, id string, fn func(*shakwa.Ticket)) {
	t, err := h.store.Ticket(c.ctx, id)
	switch {
	case err != nil:
		c.fail(err)
	case !c.isStaffOf(t.Centre):
		c.fail(shakwa.ErrForbidden)
	case t.Holder.ID != c.m.From.ID || !working(t.Status):
		c.say("staff.conflict", h.ticketData(c.lang, t))
	default:
		fn(t)
	}
}

// working reports whether staff are working on a ticket in status s.
func working(s shakwa.Status) bool {
	return s == shakwa.StatusClaimed || s == shakwa.StatusInProgress
}

// claim gives ticket id to the speaker if nobody has it yet.
func (h *Handler) claim(c *conv, id string) {
	t, err := h.store.Ticket(c.ctx, id)
	if err != nil {
		c.fail(err)
		return
	}
	if !c.isStaffOf(t.Centre) {
		h.tellPresser(c, "claim.forbidden", nil)
		return
	}
	t, err = h.store.Claim(c.ctx, id, c.staff(), c.person.Centres, h.now())
	if errors.Is(err, shakwa.ErrConflict) && t != nil {
		key := "claim.taken"
		switch {
		case t.Holder.ID == c.m.From.ID:
			key = "claim.yours"
		case !t.Status.Open():
			key = "claim.closed"
		case !c.isStaffOf(t.Centre):
			key = "claim.forbidden" // transferred away meanwhile
		}
		h.tellPresser(c, key, h.ticketData(c.lang, t))
		return
	}
	if err != nil {
		c.fail(err)
		return
	}
	h.tellPresser(c, "claim.ok", h.ticketData(c.lang, t))
	h.editCard(c, t, "card.claimed")
	h.sendTicket(c, t)
	h.tellCitizen(c, t, "citizen.claimed", nil)
}

// tellPresser answers a button press: a notice in groups, a message in
// private chats.
func (h *Handler) tellPresser(c *conv, key string, data map[string]any) {
	if c.m.Group {
		c.notice = c.t(key, data)
		return
	}
	c.say(key, data)
}

func (h *Handler) release(c *conv, id string) {
	t, err := h.store.Release(c.ctx, id, c.staff(), h.now())
	if err != nil {
		h.conflict(c, t, err)
		return
	}
	c.say("staff.released", h.ticketData(c.lang, t))
	h.editCard(c, t, "card.new")
}

// resolve closes a held ticket with the resolution text and asks the
// citizen to rate it.
func (h *Handler) resolve(c *conv, id, text string) {
	t, err := h.store.Resolve(c.ctx, id, c.staff(), text, h.now())
	if err != nil {
		h.conflict(c, t, err)
		return
	}
	c.say("staff.resolved", h.ticketData(c.lang, t))
	h.editCard(c, t, "card.resolved")
	lang := h.citizenLang(c, t)
	c.send(bot.Reply{Channel: t.Citizen.Channel, Chat: t.Citizen.Chat, Ref: refTicket + t.ID,
		Text:    h.text.Text(lang, "citizen.resolved", h.ticketData(lang, t)),
		Buttons: renderButtons(h, lang, [][]flows.Choice{h.starChoices(t.ID)})})
}

func (h *Handler) transfer(c *conv, id, to string) {
	old, err := h.store.Ticket(c.ctx, id)
	if err != nil {
		c.fail(err)
		return
	}
	if old.Centre == to {
		c.say("transfer.same", h.ticketData(c.lang, old))
		return
	}
	t, err := h.store.Transfer(c.ctx, id, c.staff(), to, h.now())
	if err != nil {
		h.conflict(c, t, err)
		return
	}
	c.say("staff.transferred", h.ticketData(c.lang, t))
	old.Updated = t.Updated
	h.editCardOf(c, old, "card.transferred", map[string]any{"To": h.centreName(to, groupLang)})
	h.postCard(c, t)
	h.tellCitizen(c, t, "citizen.transferred", nil)
}

// conflict explains a refused transition: who holds the ticket, or where
// it stands.
func (h *Handler) conflict(c *conv, t *shakwa.Ticket, err error) {
	if errors.Is(err, shakwa.ErrConflict) && t != nil {
		c.say("staff.conflict", h.ticketData(c.lang, t))
		return
	}
	c.fail(err)
}

// replyTo handles a reply to one of our messages about a ticket: staff
// answer the citizen, citizens add information. It reports whether the
// message was such a reply.
func (h *Handler) replyTo(c *conv) bool {
	ref, err := h.store.RefOf(c.ctx, c.who.String(), c.m.ReplyTo)
	id, ok := strings.CutPrefix(ref, refTicket)
	if err != nil || !ok {
		return false
	}
	t, err := h.store.Ticket(c.ctx, id)
	if err != nil {
		return false
	}
	switch {
	case t.Citizen == c.who:
		h.addInfo(c, t.ID, strings.TrimSpace(c.m.Text), h.input(c).Files)
	case c.isStaffOf(t.Centre):
		h.staffReply(c, t.ID, strings.TrimSpace(c.m.Text))
	default:
		return false
	}
	return true
}

// staffReply sends text to the ticket's citizen in the centre's name.
func (h *Handler) staffReply(c *conv, id, text string) {
	if text == "" && len(c.m.Attachments) == 0 {
		c.say("staff.reply_empty", nil)
		return
	}
	t, err := h.store.Reply(c.ctx, id, c.staff(), text, h.now())
	if err != nil {
		h.conflict(c, t, err)
		return
	}
	h.tellCitizen(c, t, "citizen.staff_reply", map[string]any{"Text": text})
	c.sendFiles(c.m.Channel, t.Citizen, t.ID, c.m.Attachments)
	c.say("staff.reply_sent", h.ticketData(c.lang, t))
}

// replyCommand is "/reply <number> <text>".
func (h *Handler) replyCommand(c *conv, args string) {
	if t, text, ok := h.heldArg(c, args, "help.reply"); ok {
		h.staffReply(c, t.ID, text)
	}
}

// noteCommand is "/note <number> <text>": an internal note.
func (h *Handler) noteCommand(c *conv, args string) {
	t, text, ok := h.heldArg(c, args, "help.note")
	if !ok {
		return
	}
	if text == "" {
		c.say("help.note", nil)
		return
	}
	if _, err := h.store.Note(c.ctx, t.ID, c.staff(), text, h.now()); err != nil {
		c.fail(err)
		return
	}
	c.say("staff.note_saved", h.ticketData(c.lang, t))
}

// heldArg reads "<number> <text>" and finds the ticket among the speaker's
// centres (a number without prefix among the tickets they hold).
func (h *Handler) heldArg(c *conv, args, usage string) (*shakwa.Ticket, string, bool) {
	if c.person == nil {
		h.help(c)
		return nil, "", false
	}
	num, text, _ := strings.Cut(args, " ")
	ref, ok := parseTicket(num)
	if !ok {
		c.say(usage, nil)
		return nil, "", false
	}
	var t *shakwa.Ticket
	var err error
	if ref.prefix != "" {
		t, err = h.store.Ticket(c.ctx, ref.id(ref.prefix))
	} else {
		var held []*shakwa.Ticket
		if held, err = h.store.Held(c.ctx, c.m.From.ID); err == nil {
			t, err = resolveTicket(ref, held)
		}
	}
	if err == nil && !c.isStaffOf(t.Centre) {
		err = shakwa.ErrForbidden
	}
	if err != nil {
		c.fail(err)
		return nil, "", false
	}
	return t, strings.TrimSpace(text), true
}

// staffAddress is where a staff member is reached privately.
func (h *Handler) staffAddress(id string) shakwa.Address {
	return shakwa.Address{Channel: h.staffChannel(), Chat: id}
}

func (h *Handler) staffChannel() string { return h.StaffChannel }

// groupChat is the staff group of centre, as a chat id.
func (h *Handler) groupChat(centre string) (string, bool) {
	ce, ok := h.cfg.Centre(centre)
	if !ok || ce.StaffChat == 0 {
		return "", false
	}
	return strconv.FormatInt(ce.StaffChat, 10), true
}
