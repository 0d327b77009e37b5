package handlers

import (
	"context"
	"strconv"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/flows"
)

// Button data of a visit's discard: vd:VISIT asks the manager to confirm,
// vdy:VISIT discards it, vdn:VISIT keeps it (the question gives way to
// the visit with its buttons again).
const (
	verbDiscard    = "vd"
	verbDiscardYes = "vdy"
	verbDiscardNo  = "vdn"
)

// visitButtons are the buttons of a visit its managers have not decided
// on: release it, or discard it.
func visitButtons(id string) [][]flows.Choice {
	return [][]flows.Choice{
		{{Key: "visit.release", Data: verbRelease + ":" + id}},
		{{Key: "visit.discard", Data: verbDiscard + ":" + id}},
	}
}

// managedVisit reads visit id for a manager overseeing its centre; ok is
// false when the speaker was answered (not a manager of it, no such
// visit).
func (h *Handler) managedVisit(ctx context.Context, c *conv, id string) (v *shakwa.Visit, ok bool) {
	if c.person == nil || c.person.Role != shakwa.RoleManager {
		c.fail(ctx, shakwa.ErrForbidden) // before reading: not even whether it exists
		return nil, false
	}
	v, err := h.store.Visit(ctx, id)
	if err != nil {
		c.fail(ctx, err)
		return nil, false
	}
	if !c.person.Serves(v.Centre) {
		c.fail(ctx, shakwa.ErrForbidden)
		return nil, false
	}
	return v, true
}

// decided tells the manager that visit v was decided on already, when it
// was: discarded, or (when it is about discarding it) released. It
// reports whether it told them.
func decided(c *conv, v *shakwa.Visit) bool {
	switch {
	case !v.Discarded.IsZero():
		c.notice = c.t("visit.discarded_before", nil)
	case !v.Released.IsZero():
		c.notice = c.t("visit.released_no_discard", nil)
	default:
		return false
	}
	return true
}

// askDiscard asks the manager to confirm discarding visit id, in place of
// the visit's message when they pressed its button.
func (h *Handler) askDiscard(ctx context.Context, c *conv, id string) {
	v, ok := h.managedVisit(ctx, c, id)
	if !ok || decided(c, v) {
		return
	}
	c.inPlace = c.m.Button != ""
	text := c.t("visit.discard_ask", map[string]any{"ID": isolate(v.ID)}) + "\n\n" + h.visitText(c.lang, v, h.evaluatorName(ctx, v.By))
	c.Reply(c.reply(text, [][]flows.Choice{
		{{Key: "visit.discard_yes", Data: verbDiscardYes + ":" + v.ID}},
		{{Key: "visit.discard_no", Data: verbDiscardNo + ":" + v.ID}},
	}))
}

// keepVisit answers "keep it" to the question of askDiscard: the visit
// as it came, with its buttons while it is not decided on.
func (h *Handler) keepVisit(ctx context.Context, c *conv, id string) {
	v, ok := h.managedVisit(ctx, c, id)
	if !ok {
		return
	}
	var rows [][]flows.Choice
	if v.Discarded.IsZero() && v.Released.IsZero() {
		rows = visitButtons(v.ID)
	}
	c.inPlace = true
	c.Reply(c.reply(c.t("visit.new", nil)+"\n\n"+h.visitText(c.lang, v, h.evaluatorName(ctx, v.By)), rows))
}

// discardVisit discards visit id, as a manager overseeing it confirmed:
// of two presses, or two managers, one does, and the other is told it was
// discarded already. The evaluator who filed it is told, without who
// discarded it (evaluators never learn which manager did what), and so are
// the centre's other managers; its photos' bytes go unless something
// else has them.
func (h *Handler) discardVisit(ctx context.Context, c *conv, id string) {
	if _, ok := h.managedVisit(ctx, c, id); !ok {
		return
	}
	v, discarded, err := h.store.DiscardVisit(ctx, id, c.m.From.ID, h.now())
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if !discarded {
		decided(c, v)
		return
	}
	h.removeUnused(ctx, visitFiles(v))
	c.inPlace = c.m.Button != ""
	data := map[string]any{"ID": isolate(v.ID), "Centre": isolate(h.centreName(v.Centre, c.lang))}
	c.Reply(c.reply(c.t("visit.discarded", data), nil))
	if err := h.tellDiscarded(ctx, c, v); err != nil {
		// The discard stands: failing now would have the redelivery find
		// it discarded already, and tell nobody.
		h.log.WarnContext(ctx, "discarded visit not told", "visit", v.ID, "err", err)
	}
}

// tellDiscarded tells the evaluator who filed visit v, and the managers
// of its centre other than the speaker, that the speaker discarded it.
func (h *Handler) tellDiscarded(ctx context.Context, c *conv, v *shakwa.Visit) error {
	_, managers, err := h.overseers(ctx, v.Centre)
	if err != nil {
		return err
	}
	for _, p := range managers {
		if staffID(p) == c.m.From.ID {
			continue
		}
		r, err := h.privateTo(ctx, p)
		if err != nil {
			return err
		}
		r.Text = h.text.Text(r.Lang, "visit.discarded_by", map[string]any{"ID": isolate(v.ID),
			"Centre": isolate(h.centreName(v.Centre, r.Lang)), "Name": isolate(c.person.Name)})
		c.Reply(r)
	}
	n, err := strconv.ParseInt(v.By, 10, 64)
	if err != nil {
		return nil // filed by no one the bot can write to
	}
	p, ok, err := h.person(ctx, n)
	if err != nil || !ok {
		if !ok {
			h.log.InfoContext(ctx, "discarded visit: its evaluator is no longer known", "visit", v.ID)
		}
		return err
	}
	r, err := h.privateTo(ctx, p)
	if err != nil {
		return err
	}
	r.Text = h.text.Text(r.Lang, "visit.discarded_to_evaluator", map[string]any{"ID": isolate(v.ID),
		"Centre": isolate(h.centreName(v.Centre, r.Lang)), "Day": isolate(v.Day)})
	c.Reply(r)
	return nil
}

// discardCommand answers /discard V-000123: it asks to confirm.
func (h *Handler) discardCommand(ctx context.Context, c *conv, args string) {
	id, ok := visitArg(args)
	if !ok {
		c.say("visit.discard_usage", nil)
		return
	}
	h.askDiscard(ctx, c, id)
}

// visitFiles are the files of the file store that v's photos keep.
func visitFiles(v *shakwa.Visit) []string {
	var out []string
	for _, a := range v.Attachments {
		if a.File != "" {
			out = append(out, a.File)
		}
	}
	return out
}
