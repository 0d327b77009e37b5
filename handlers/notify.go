package handlers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/flows"
)

// cardData is a ticket's template data as a staff group sees it: the phone
// masked, the text cut short.
func (h *Handler) cardData(t *shakwa.Ticket) map[string]any {
	data := h.ticketData(groupLang, t)
	data["Phone"] = maskPhone(t.Phone)
	if t.Phone == "" {
		data["Phone"] = h.text.Text(groupLang, "summary.no_phone", nil)
	}
	return data
}

// postCard posts a new ticket's card, with its Claim button, to the staff
// group of the ticket's centre.
func (h *Handler) postCard(c *conv, t *shakwa.Ticket) {
	chat, ok := h.groupChat(t.Centre)
	if !ok {
		return
	}
	c.send(bot.Reply{Channel: h.staffChannel(), Chat: chat, Ref: refCard + t.ID,
		Text:    h.text.Text(groupLang, "card.new", h.cardData(t)),
		Buttons: [][]bot.Button{{{Label: h.text.Text(groupLang, "button.claim", nil), Data: "claim:" + t.ID}}}})
}

// editCard rewrites a ticket's card to show where it stands.
func (h *Handler) editCard(c *conv, t *shakwa.Ticket, key string) {
	h.editCardOf(c, t, key, nil)
}

func (h *Handler) editCardOf(c *conv, t *shakwa.Ticket, key string, extra map[string]any) {
	chat, ok := h.groupChat(t.Centre)
	if !ok {
		return
	}
	data := h.cardData(t)
	for k, v := range extra {
		data[k] = v
	}
	r := bot.Reply{Channel: h.staffChannel(), Chat: chat, Ref: refCard + t.ID, Edit: true,
		Text: h.text.Text(groupLang, key, data)}
	if t.Status == shakwa.StatusNew && key == "card.new" {
		r.Buttons = [][]bot.Button{{{Label: h.text.Text(groupLang, "button.claim", nil), Data: "claim:" + t.ID}}}
	}
	c.send(r)
}

// postFeedback shows feedback and thanks to the centre's staff: good words
// are meant to be read by the people they name.
func (h *Handler) postFeedback(c *conv, f *shakwa.Feedback) {
	chat, ok := h.groupChat(f.Centre)
	if !ok {
		return
	}
	data := map[string]any{"Centre": h.centreName(f.Centre, groupLang), "Count": f.Stars,
		"Staff": f.Staff, "Text": f.Text}
	c.send(bot.Reply{Channel: h.staffChannel(), Chat: chat,
		Text: h.text.Text(groupLang, "card."+string(f.Kind), data)})
}

// sendTicket sends the whole ticket, its attachments and actions to the
// staff member who holds it.
func (h *Handler) sendTicket(c *conv, t *shakwa.Ticket) {
	h.sendTicketTo(c, h.staffAddress(t.Holder.ID), t)
}

// staffView shows a ticket of their centre to the staff member speaking.
func (h *Handler) staffView(c *conv, t *shakwa.Ticket) {
	h.sendTicketTo(c, c.who, t)
}

// sendTicketTo sends the whole ticket to a staff member's chat, with the
// actions open to them: claim when it is new, close, release and transfer
// when they hold it.
func (h *Handler) sendTicketTo(c *conv, to shakwa.Address, t *shakwa.Ticket) {
	lang := h.langOf(c.ctx, to, "")
	data := h.ticketData(lang, t)
	data["Phone"] = t.Phone
	if t.Phone == "" {
		data["Phone"] = h.text.Text(lang, "summary.no_phone", nil)
	}
	text := h.text.Text(lang, "ticket.full", data)
	if extra := h.additions(c, t.ID); extra != "" {
		text += "\n\n" + h.text.Text(lang, "ticket.additions", nil) + "\n" + extra
	}
	var rows [][]flows.Choice
	switch {
	case t.Status == shakwa.StatusNew:
		rows = [][]flows.Choice{{{Key: "button.claim", Data: "claim:" + t.ID}}}
	case working(t.Status) && h.staffAddress(t.Holder.ID) == to:
		rows = [][]flows.Choice{
			{{Key: "button.close", Data: "close:" + t.ID}},
			{{Key: "button.release", Data: "release:" + t.ID}, {Key: "button.transfer", Data: "transfer:" + t.ID}},
		}
	}
	c.send(bot.Reply{Channel: to.Channel, Chat: to.Chat, Ref: refTicket + t.ID, Text: text,
		Buttons: renderButtons(h, lang, rows)})
	c.sendFiles(t.Citizen.Channel, to, t.ID, t.Attachments)
}

// sendFiles sends a ticket's files, kept on channel from, to a chat, one
// message each, so that each can be retried on its own; a reply to any of
// them is about the ticket. A file id means something only on its own
// channel: files go nowhere else (the ticket's text still counts them).
func (c *conv) sendFiles(from string, to shakwa.Address, id string, files []shakwa.Attachment) {
	if from != to.Channel {
		return
	}
	for _, f := range files {
		c.send(bot.Reply{Channel: to.Channel, Chat: to.Chat, Ref: refTicket + id, Attachments: []shakwa.Attachment{f}})
	}
}

// additions lists what the citizen added to the ticket, oldest first.
func (h *Handler) additions(c *conv, id string) string {
	evs, err := h.store.Events(c.ctx, id)
	if err != nil {
		return ""
	}
	var lines []string
	for _, e := range evs {
		if e.Kind == "info" {
			lines = append(lines, "• "+excerpt(e.Text, 500))
		}
	}
	return strings.Join(lines, "\n")
}

// tellHolder sends the holder of t a message about it.
func (h *Handler) tellHolder(c *conv, t *shakwa.Ticket, key string, extra map[string]any) {
	if t.Holder.ID == "" {
		return
	}
	to := h.staffAddress(t.Holder.ID)
	lang := h.langOf(c.ctx, to, "")
	data := h.ticketData(lang, t)
	for k, v := range extra {
		data[k] = v
	}
	c.send(bot.Reply{Channel: to.Channel, Chat: to.Chat, Ref: refTicket + t.ID, Text: h.text.Text(lang, key, data)})
}

// tellCitizen sends the citizen of t a message about it, in their language.
func (h *Handler) tellCitizen(c *conv, t *shakwa.Ticket, key string, extra map[string]any) {
	lang := h.citizenLang(c, t)
	data := h.ticketData(lang, t)
	for k, v := range extra {
		data[k] = v
	}
	c.send(bot.Reply{Channel: t.Citizen.Channel, Chat: t.Citizen.Chat, Ref: refTicket + t.ID,
		Text: h.text.Text(lang, key, data)})
}

// citizenLang is the language the citizen of t chose last, or the one they
// filed t in.
func (h *Handler) citizenLang(c *conv, t *shakwa.Ticket) string {
	return h.langOf(c.ctx, t.Citizen, t.Lang)
}

// queue lists the unclaimed tickets of the speaker's centres, oldest first.
func (h *Handler) queue(c *conv) {
	if c.person == nil || c.person.Role == shakwa.RoleManager {
		h.help(c)
		return
	}
	var all []*shakwa.Ticket
	for _, code := range c.person.Centres {
		ts, err := h.store.Queue(c.ctx, code, 20)
		if err != nil {
			c.fail(fmt.Errorf("queue %s: %w", code, err))
			return
		}
		all = append(all, ts...)
	}
	slices.SortFunc(all, func(a, b *shakwa.Ticket) int { return a.Created.Compare(b.Created) })
	h.list(c, all, "queue", "claim:")
}

// mine lists the tickets the speaker holds.
func (h *Handler) mine(c *conv) {
	if c.person == nil || c.person.Role == shakwa.RoleManager {
		h.help(c)
		return
	}
	ts, err := h.store.Held(c.ctx, c.m.From.ID)
	if err != nil {
		c.fail(fmt.Errorf("held: %w", err))
		return
	}
	h.list(c, ts, "mine", "open:")
}

// list shows tickets, one line each, with a button per ticket (at most 10).
func (h *Handler) list(c *conv, ts []*shakwa.Ticket, key, action string) {
	if len(ts) == 0 {
		c.say(key+".empty", nil)
		return
	}
	lines := []string{c.t(key+".title", map[string]any{"Count": len(ts)})}
	var rows [][]bot.Button
	for i, t := range ts {
		lines = append(lines, c.t("staff.line", h.ticketData(c.lang, t)))
		if i < 10 {
			rows = append(rows, []bot.Button{{Label: t.ID, Data: action + t.ID}})
		}
	}
	r := c.reply(strings.Join(lines, "\n"), nil)
	r.Buttons = rows
	c.send(r)
}
