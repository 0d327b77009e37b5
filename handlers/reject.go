package handlers

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/flows"
)

// rejectCommand is /reject KRM-000123: the reasons to pick from, for the
// staff member who holds the ticket or a supervisor of its centre.
func (h *Handler) rejectCommand(ctx context.Context, c *conv, args string) {
	id, _, _ := strings.Cut(strings.TrimSpace(args), " ")
	if !c.works() {
		h.help(c)
		return
	}
	ref, ok := parseTicket(id)
	if !ok || ref.prefix == "" {
		c.say("help.reject", nil)
		return
	}
	h.mayReject(ctx, c, ref.id(ref.prefix), func(t *shakwa.Ticket) { h.startFlow(ctx, c, flows.Reject, t.ID) })
}

// supervises reports whether the speaker is a supervisor of centre.
func (c *conv) supervises(centre string) bool {
	return c.person != nil && c.person.Role == shakwa.RoleSupervisor && c.person.Serves(centre)
}

// mayReject runs fn on ticket id if the speaker may reject it: they hold
// it, or supervise its centre and it is open.
func (h *Handler) mayReject(ctx context.Context, c *conv, id string, fn func(*shakwa.Ticket)) {
	t, err := h.store.Ticket(ctx, id)
	switch {
	case err != nil:
		c.fail(ctx, err)
	case c.supervises(t.Centre) && t.Status.Open():
		fn(t)
	case !c.isStaffOf(t.Centre):
		c.fail(ctx, shakwa.ErrForbidden)
	case t.Holder.ID == c.m.From.ID && working(t.Status):
		fn(t)
	case t.Status.Open() && t.Holder.ID != c.m.From.ID:
		c.say("reject.forbidden", h.ticketData(c.lang, t))
	default:
		h.sayConflict(c, t)
	}
}

// reject closes ticket id unresolved for reason, tells the citizen why in
// their language (with the staff member's words, and for a reason that
// allows it the button to add what is missing), and marks the card.
func (h *Handler) reject(ctx context.Context, c *conv, id, reason, note string) {
	var centres []string
	if old, err := h.store.Ticket(ctx, id); err == nil && c.supervises(old.Centre) {
		centres = c.person.Centres
	}
	var of string
	var original *shakwa.Ticket
	if r, _ := h.cfg().RejectReason(reason); r.Duplicate {
		if original = h.namedTicket(ctx, c, note, id); original != nil {
			of = original.ID
		}
	}
	t, err := h.store.Reject(ctx, id, c.staff(), reason, note, of, centres, h.now())
	if err != nil {
		h.conflict(ctx, c, t, err)
		return
	}
	if of != "" {
		// The one followed up says what joined it.
		if _, err := h.store.Note(ctx, of, c.staff(), c.t("reject.linked_note", map[string]any{"Ticket": id}), h.now()); err != nil {
			c.fail(ctx, err)
			return
		}
	}
	c.say("staff.rejected", h.ticketData(c.lang, t))
	h.notify.EditCard(c, t, "card.rejected", map[string]any{"Holder": c.staff().Name})
	var rows [][]flows.Choice
	if h.amendable(t) {
		rows = append(rows, []flows.Choice{{Key: "button.amend", Data: "amend:" + t.ID}})
	}
	if err := h.notify.Citizen(ctx, c, t, "citizen.rejected", map[string]any{"Note": note, "Amend": len(rows) > 0, "Of": ownOf(original, t)}, rows...); err != nil {
		c.fail(ctx, err)
	}
}

// startAmend starts adding what a rejection asked for, when the citizen's
// ticket is still rejected for a reason that allows it and was not
// amended before.
func (h *Handler) startAmend(ctx context.Context, c *conv, id string) {
	h.withOwn(ctx, c, id, func(t *shakwa.Ticket) {
		if !h.amendable(t) {
			c.say("amend.closed", h.ticketData(c.lang, t))
			return
		}
		h.startFlow(ctx, c, flows.Amend, t.ID)
	})
}

// amendable reports whether t's citizen may add what its rejection asked
// for.
func (h *Handler) amendable(t *shakwa.Ticket) bool {
	r, _ := h.cfg().RejectReason(t.Reason)
	return t.Status == shakwa.StatusRejected && r.Amend && t.Amended.IsZero()
}

// amend adds what the citizen sent to their rejected ticket and puts it
// back to work: with its holder, who is told, or in the centre's queue,
// with a new card.
func (h *Handler) amend(ctx context.Context, c *conv, id, text string, files []flows.File) {
	var ok bool
	var gone string
	h.withOwn(ctx, c, id, func(t *shakwa.Ticket) {
		if ok = h.amendable(t); !ok {
			c.say("amend.closed", h.ticketData(c.lang, t))
			return
		}
		var err error
		if gone, err = h.holderGone(ctx, t); err != nil {
			ok = false
			c.fail(ctx, err)
		}
	})
	if !ok {
		return
	}
	if text == "" {
		// Files alone: the holder is told how many, as with an addition.
		text = c.t("info.files_only", map[string]any{"Count": len(files)})
	}
	t, err := h.store.Amend(ctx, id, c.who, text, attachments(files), gone, h.now())
	if errors.Is(err, shakwa.ErrConflict) && t != nil {
		c.say("amend.closed", h.ticketData(c.lang, t))
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	h.scheduleSLA(ctx, c, t, true)
	c.say("amend.done", h.ticketData(c.lang, t))
	if t.Status == shakwa.StatusNew {
		h.notify.Card(c, t)
		return
	}
	if err := h.notify.Holder(ctx, c, t, "staff.amended", map[string]any{"Text": text}); err != nil {
		c.fail(ctx, err)
		return
	}
	h.notify.EditCard(c, t, "card.claimed", nil)
	h.sendTicket(ctx, c, t)
}

// ownOf is the number of original when it is the citizen's own as t is,
// and still open: another citizen's ticket is never named to them, and a
// closed one follows nothing up.
func ownOf(original, t *shakwa.Ticket) string {
	if original == nil || original.Citizen != t.Citizen || !original.Status.Open() {
		return "" // not theirs, or no longer followed up
	}
	return original.ID
}

// ticketNamed finds ticket numbers in a staff member's words: a centre
// code, maybe a hyphen or a space, digits (Arabic-Indic too), wherever
// punctuation puts it: «(KRM-000001)», «رقم:KRM-000001», «KRM-000001؟».
var ticketNamed = regexp.MustCompile(`\b([A-Za-z]{2,6})[\p{Pd}\x{2212} ]?([0-9٠-٩۰-۹]+)`)

// namedTicket is the first ticket named in text, other than self, of a
// centre the speaker serves; nil for none. A number no ticket has is
// passed over.
func (h *Handler) namedTicket(ctx context.Context, c *conv, text, self string) *shakwa.Ticket {
	for _, m := range ticketNamed.FindAllStringSubmatch(text, -1) {
		ref, ok := parseTicket(m[1] + m[2])
		if !ok || ref.id(ref.prefix) == self || !h.centreCode(ref.prefix) {
			continue // no ticket's number: not worth a read
		}
		if t, err := h.store.Ticket(ctx, ref.id(ref.prefix)); err == nil && c.person != nil && c.person.Serves(t.Centre) {
			return t
		}
	}
	return nil
}
