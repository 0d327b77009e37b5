package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/flows"
)

// refCard is the Ref prefix of a ticket's card in its centre's staff group.
const refCard = "card:"

// groupLang is the language of the staff group of centre: its
// group_lang, Arabic by default.
func (h words) groupLang(centre string) string {
	if ce, ok := h.cfg().Centre(centre); ok && ce.GroupLang != "" {
		return ce.GroupLang
	}
	return "ar"
}

// group answers a staff group: only buttons on ticket cards matter there.
func (h *Handler) group(ctx context.Context, c *conv) {
	verb, arg, _ := strings.Cut(c.m.Button, ":")
	if verb == "claim" {
		h.claim(ctx, c, arg)
	}
}

// staffButton handles the buttons of staff messages. It reports whether
// the press was one.
func (h *Handler) staffButton(ctx context.Context, c *conv, verb, id string) bool {
	switch verb {
	case "claim":
		h.claim(ctx, c, id)
	case "open":
		h.withHeld(ctx, c, id, func(t *shakwa.Ticket) { h.sendTicket(ctx, c, t) })
	case "close":
		h.withHeld(ctx, c, id, func(t *shakwa.Ticket) { h.startFlow(ctx, c, flows.Resolve, t.ID) })
	case "transfer":
		h.withHeld(ctx, c, id, func(t *shakwa.Ticket) { h.startFlow(ctx, c, flows.Transfer, t.ID) })
	case "release":
		h.withHeld(ctx, c, id, func(t *shakwa.Ticket) { h.release(ctx, c, t.ID) })
	case "phone":
		h.withHeld(ctx, c, id, func(t *shakwa.Ticket) { h.revealPhone(ctx, c, t) })
	case "reassign":
		h.reassign(ctx, c, id)
	case "show":
		h.showTicket(ctx, c, id)
	case "reject":
		h.mayReject(ctx, c, id, func(t *shakwa.Ticket) { h.startFlow(ctx, c, flows.Reject, t.ID) })
	case "answer":
		h.answerChosen(ctx, c, id)
	case "stats":
		h.stats(ctx, c, id) // a period (today, week, month), maybe a centre
	case verbAssess:
		h.assessPress(ctx, c, id)
	case verbRelease:
		h.releaseVisit(ctx, c, id)
	case verbDiscard:
		h.askDiscard(ctx, c, id)
	case verbDiscardYes:
		h.discardVisit(ctx, c, id)
	case verbDiscardNo:
		h.keepVisit(ctx, c, id)
	default:
		return false
	}
	return true
}

// withHeld runs fn on ticket id if the speaker holds it, so that nobody
// starts writing a resolution only to be refused at the end.
func (h *Handler) withHeld(ctx context.Context, c *conv, id string, fn func(*shakwa.Ticket)) {
	t, err := h.store.Ticket(ctx, id)
	switch {
	case err != nil:
		c.fail(ctx, err)
	case !c.isStaffOf(t.Centre):
		c.fail(ctx, shakwa.ErrForbidden)
	case t.Holder.ID != c.m.From.ID || !working(t.Status):
		h.sayConflict(c, t)
	default:
		fn(t)
	}
}

// working reports whether staff are working on a ticket in status s.
func working(s shakwa.Status) bool {
	return s == shakwa.StatusClaimed || s == shakwa.StatusInProgress
}

// sendTicket sends the whole ticket to the staff member who holds it.
func (h *Handler) sendTicket(ctx context.Context, c *conv, t *shakwa.Ticket) {
	if err := h.notify.Ticket(ctx, c, h.notify.staffAddress(t.Holder.ID), t); err != nil {
		c.fail(ctx, err)
	}
}

// staffView shows a ticket of their centre to the staff member speaking.
func (h *Handler) staffView(ctx context.Context, c *conv, t *shakwa.Ticket) {
	var more [][]flows.Choice
	if c.supervises(t.Centre) && t.Status.Open() && t.Holder.ID != c.m.From.ID {
		// A supervisor who opens it from an escalation can give it to
		// someone at once.
		more = append(more, []flows.Choice{{Key: "button.reassign", Data: "reassign:" + t.ID}})
	}
	if err := h.notify.Ticket(ctx, c, c.who, t, more...); err != nil {
		c.fail(ctx, err)
	}
}

// claim gives ticket id to the speaker if nobody has it yet.
func (h *Handler) claim(ctx context.Context, c *conv, id string) {
	by, centres, ahead := claimedAhead(ctx, id)
	if !ahead {
		if !c.works() {
			h.tellPresser(c, "claim.forbidden", nil)
			return
		}
		by, centres = c.staff(), c.person.Centres
	}
	// The claim itself checks the centre (a ticket of another is a
	// conflict, told below): no read of the ticket before it.
	t, err := h.store.Claim(ctx, id, by, centres, h.now())
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
		c.fail(ctx, err)
		return
	}
	h.scheduleSLA(ctx, c, t, true)
	h.tellPresser(c, "claim.ok", h.ticketData(c.lang, t))
	h.notify.EditCard(c, t, "card.claimed", nil)
	h.sendTicket(ctx, c, t)
	if err := h.notify.Citizen(ctx, c, t, "citizen.claimed", nil); err != nil {
		c.fail(ctx, err)
	}
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

func (h *Handler) release(ctx context.Context, c *conv, id string) {
	t, err := h.store.Release(ctx, id, c.staff(), h.now())
	if err != nil {
		h.conflict(ctx, c, t, err)
		return
	}
	h.scheduleSLA(ctx, c, t, true)
	c.say("staff.released", h.ticketData(c.lang, t))
	h.notify.EditCard(c, t, "card.new", nil)
}

// resolve closes a held ticket with the resolution text and asks the
// citizen to rate it. The ticket closes on its own after close_after
// without a rating: that job is scheduled first, so that no resolved
// ticket is left without one (a job that finds the ticket not resolved
// does nothing).
func (h *Handler) resolve(ctx context.Context, c *conv, id, text string) {
	if err := h.store.ScheduleJob(ctx, JobAutoClose, id, h.now().Add(h.notify.closeAfter())); err != nil {
		c.fail(ctx, fmt.Errorf("schedule the automatic close: %w", err))
		return
	}
	t, err := h.store.Resolve(ctx, id, c.staff(), text, h.now())
	if err != nil {
		h.conflict(ctx, c, t, err)
		return
	}
	c.say("staff.resolved", h.ticketData(c.lang, t))
	h.notify.EditCard(c, t, "card.resolved", nil)
	if err := h.notify.Citizen(ctx, c, t, "citizen.resolved", nil, starChoices(t.ID)); err != nil {
		c.fail(ctx, err)
	}
}

func (h *Handler) transfer(ctx context.Context, c *conv, id, to string) {
	old, err := h.store.Ticket(ctx, id)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if old.Centre == to {
		c.say("transfer.same", h.ticketData(c.lang, old))
		return
	}
	t, err := h.store.Transfer(ctx, id, c.staff(), to, h.now())
	if err != nil {
		h.conflict(ctx, c, t, err)
		return
	}
	h.scheduleSLA(ctx, c, t, true)
	c.say("staff.transferred", h.ticketData(c.lang, t))
	old.Updated = t.Updated
	h.notify.EditCard(c, old, "card.transferred", map[string]any{"To": h.centreName(to, h.groupLang(old.Centre))})
	h.notify.Card(c, t)
	if err := h.notify.Citizen(ctx, c, t, "citizen.transferred", nil); err != nil {
		c.fail(ctx, err)
	}
}

// conflict explains a refused transition: who holds the ticket, or where
// it stands.
func (h *Handler) conflict(ctx context.Context, c *conv, t *shakwa.Ticket, err error) {
	if errors.Is(err, shakwa.ErrConflict) && t != nil {
		h.sayConflict(c, t)
		return
	}
	c.fail(ctx, err)
}

// replyTo handles a reply to one of our messages about a ticket: staff
// answer the citizen, citizens add information. It reports whether the
// message was such a reply (or could not be told, which the person is
// told).
func (h *Handler) replyTo(ctx context.Context, c *conv) bool {
	ref, err := h.store.RefOf(ctx, c.who.String(), c.m.ReplyTo)
	if err != nil {
		c.fail(ctx, fmt.Errorf("what the reply answers: %w", err))
		return true
	}
	id, ok := strings.CutPrefix(ref, refTicket)
	if !ok {
		return false
	}
	t, err := h.store.Ticket(ctx, id)
	if errors.Is(err, shakwa.ErrNotFound) {
		return false
	}
	if err != nil {
		c.fail(ctx, err)
		return true
	}
	switch {
	case t.Citizen == c.id:
		h.addInfo(ctx, c, t.ID, strings.TrimSpace(c.m.Text), h.input(c).Files)
	case c.isStaffOf(t.Centre):
		h.staffReply(ctx, c, t.ID, strings.TrimSpace(c.m.Text))
	default:
		return false
	}
	return true
}

// staffReply sends text to the ticket's citizen in the centre's name.
func (h *Handler) staffReply(ctx context.Context, c *conv, id, text string) {
	if text == "" && len(c.m.Attachments) == 0 {
		c.say("staff.reply_empty", nil)
		return
	}
	t, err := h.store.Reply(ctx, id, c.staff(), text, h.now())
	if err != nil {
		h.conflict(ctx, c, t, err)
		return
	}
	if err := h.notify.Citizen(ctx, c, t, "citizen.staff_reply", map[string]any{"Text": text}); err != nil {
		c.fail(ctx, err)
		return
	}
	to, lang, err := h.notify.CitizenAddress(ctx, t)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	h.notify.Files(c, c.m.Channel, to, t.ID, c.m.Attachments, lang)
	c.say("staff.reply_sent", h.ticketData(c.lang, t))
}

// replyCommand is "/reply <number> <text>".
func (h *Handler) replyCommand(ctx context.Context, c *conv, args string) {
	if t, text, ok := h.heldArg(ctx, c, args, "help.reply"); ok {
		h.staffReply(ctx, c, t.ID, text)
	}
}

// noteCommand is "/note <number> <text>": an internal note.
func (h *Handler) noteCommand(ctx context.Context, c *conv, args string) {
	t, text, ok := h.heldArg(ctx, c, args, "help.note")
	if !ok {
		return
	}
	if text == "" {
		c.say("help.note", nil)
		return
	}
	if _, err := h.store.Note(ctx, t.ID, c.staff(), text, h.now()); err != nil {
		c.fail(ctx, err)
		return
	}
	c.say("staff.note_saved", h.ticketData(c.lang, t))
}

// heldArg reads "<number> <text>" and finds the ticket among the speaker's
// centres (a number without prefix among the tickets they hold).
func (h *Handler) heldArg(ctx context.Context, c *conv, args, usage string) (*shakwa.Ticket, string, bool) {
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
	t, err := h.typedTicket(ctx, c, ref)
	if err == nil && !c.isStaffOf(t.Centre) {
		err = shakwa.ErrForbidden
	}
	var amb *ambiguous
	switch {
	case errors.As(err, &amb):
		c.say("staff.which", map[string]any{"Tickets": amb.ids(c.t("stats.separator", nil))})
		return nil, "", false
	case err != nil:
		c.fail(ctx, err)
		return nil, "", false
	}
	return t, strings.TrimSpace(text), true
}

// typedTicket finds the ticket a staff member typed: by its number, or by
// a number without prefix among the tickets they hold.
func (h *Handler) typedTicket(ctx context.Context, c *conv, ref ticketRef) (*shakwa.Ticket, error) {
	if ref.prefix != "" {
		return h.store.Ticket(ctx, ref.id(ref.prefix))
	}
	held, err := h.store.Held(ctx, c.m.From.ID)
	if err != nil {
		return nil, err
	}
	return resolveTicket(ref, held)
}

// queue lists the unclaimed tickets of the speaker's centres, oldest first.
func (h *Handler) queue(ctx context.Context, c *conv) {
	if !c.works() {
		h.help(c)
		return
	}
	var all []*shakwa.Ticket
	for _, code := range c.person.Centres {
		ts, err := h.store.Queue(ctx, code, 20)
		if err != nil {
			c.fail(ctx, fmt.Errorf("queue %s: %w", code, err))
			return
		}
		all = append(all, ts...)
	}
	slices.SortFunc(all, func(a, b *shakwa.Ticket) int { return a.Created.Compare(b.Created) })
	h.list(c, all, "queue", "claim:")
}

// mine lists the tickets the speaker holds.
func (h *Handler) mine(ctx context.Context, c *conv) {
	if !c.works() {
		h.help(c)
		return
	}
	ts, err := h.store.Held(ctx, c.m.From.ID)
	if err != nil {
		c.fail(ctx, fmt.Errorf("held: %w", err))
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
	c.Reply(r)
}

// deliveryFailed tells the holder of a ticket that what we sent its
// citizen about it did not arrive, and why: the platform reported the
// message undelivered (Message.Failed). A report about a message that was
// not about a ticket is logged only.
func (h *Handler) deliveryFailed(ctx context.Context, c *conv) {
	f := c.m.Failed
	ref := f.Ref
	if ref == "" && f.MessageID != "" {
		var err error
		if ref, err = h.store.RefOf(ctx, c.who.String(), f.MessageID); err != nil {
			c.failQuietly(ctx, fmt.Errorf("what the failed message was: %w", err))
			return
		}
	}
	id, ok := strings.CutPrefix(ref, refTicket)
	if !ok {
		h.log.WarnContext(ctx, "message not delivered", "channel", c.m.Channel, "code", f.Code)
		return
	}
	t, err := h.store.Ticket(ctx, id)
	if errors.Is(err, shakwa.ErrNotFound) {
		return
	}
	if err != nil {
		c.failQuietly(ctx, err)
		return
	}
	if t.Citizen != c.id {
		// A staff member's own chat refused a message: telling them about
		// it would only go the same way.
		h.log.WarnContext(ctx, "message to staff not delivered", "channel", c.m.Channel, "ticket", t.ID)
		return
	}
	key := "staff.delivery_failed"
	switch {
	case f.Blocked:
		key = "staff.delivery_blocked"
	case f.NotTaken:
		key = "staff.delivery_not_taken" // what they can do, not an error's words
	}
	if err := h.store.MarkUndelivered(ctx, t.Centre, t.ID, h.now()); err != nil {
		c.failQuietly(ctx, err)
		return
	}
	extra := map[string]any{"Reason": f.Reason, "Channel": c.m.Channel}
	if err := h.notify.Holder(ctx, c, t, key, extra); err != nil {
		c.failQuietly(ctx, err)
		return
	}
	// The centre's supervisors hear of it too: the holder may be away,
	// and nobody holds a new ticket.
	supervisors, err := h.ladder(ctx, t.Centre, config.ToSupervisors)
	if err != nil {
		c.failQuietly(ctx, err)
		return
	}
	for _, p := range supervisors {
		if id := strconv.FormatInt(p.Telegram, 10); id != t.Holder.ID {
			if err := h.notify.Staff(ctx, c, id, t, key, extra, showChoice(t.ID)); err != nil {
				c.failQuietly(ctx, err)
				return
			}
		}
	}
}

// undeliveredWeek is how far back /undelivered looks (the store keeps a
// week).
const undeliveredWeek = 7 * 24 * time.Hour

// undeliveredCommand is /undelivered: the tickets of a supervisor's or
// manager's centres whose messages did not reach their citizens in the
// last week, the latest first.
func (h *Handler) undeliveredCommand(ctx context.Context, c *conv) {
	centres, ok := h.overseen(c)
	if !ok {
		h.help(c)
		return
	}
	ids, at, err := h.store.Undelivered(ctx, centres, h.now().Add(-undeliveredWeek))
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if len(ids) == 0 {
		c.say("undelivered.none", nil)
		return
	}
	lines := []string{c.t("undelivered.head", map[string]any{"Count": len(ids)})}
	for i, id := range ids {
		if i == overdueMax {
			lines = append(lines, c.t("overdue.more", map[string]any{"Count": len(ids) - i}))
			break
		}
		t, err := h.store.Ticket(ctx, id)
		if err != nil {
			continue // erased meanwhile
		}
		data := h.ticketData(c.lang, t)
		data["At"] = h.localTime(at[i])
		lines = append(lines, c.t("undelivered.line", data))
	}
	c.Reply(c.reply(strings.Join(lines, "\n"), nil))
}

// revealPhone shows the holder of t its citizen's whole phone number,
// which their view of the ticket masks, and records in the history that
// they were shown it.
func (h *Handler) revealPhone(ctx context.Context, c *conv, t *shakwa.Ticket) {
	if t.Phone == "" {
		c.say("phone.none", h.ticketData(c.lang, t))
		return
	}
	t, err := h.store.RevealPhone(ctx, t.ID, c.staff(), h.now())
	if errors.Is(err, shakwa.ErrConflict) && t != nil {
		h.sayConflict(c, t)
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	data := h.ticketData(c.lang, t)
	data["Phone"] = t.Phone
	c.say("phone.revealed", data)
}

// sayConflict tells the speaker that t is not as the action needs it: its
// state now and, when it is someone else, who holds it.
func (h *Handler) sayConflict(c *conv, t *shakwa.Ticket) {
	data := h.ticketData(c.lang, t)
	if t.Holder.ID == c.m.From.ID {
		delete(data, "Holder") // the speaker: "held by you" says nothing
	}
	c.say("staff.conflict", data)
}
