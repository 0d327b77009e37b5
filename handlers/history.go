package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/shakwa/shakwa"
)

// historyShown is how many of a ticket's latest entries /history shows;
// an export has them all.
const historyShown = 60

// historyCommand shows a ticket's history, oldest first, to the staff and
// supervisors of its centre and to managers: /history KRM-000123 (a number
// alone is looked for among the tickets the speaker holds). Every entry
// says when, what, who and from which channel; nothing in the bot edits
// them.
func (h *Handler) historyCommand(ctx context.Context, c *conv, args string) {
	if c.person == nil {
		h.help(c)
		return
	}
	ref, ok := parseTicket(args)
	if !ok {
		c.say("help.history", nil)
		return
	}
	t, err := h.typedTicket(ctx, c, ref)
	if err == nil && !c.person.Serves(t.Centre) {
		err = shakwa.ErrForbidden
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	evs, err := h.store.Events(ctx, t.ID)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	lines := []string{c.t("history.title", map[string]any{"Ticket": t.ID, "Count": len(evs)})}
	if n := len(evs) - historyShown; n > 0 {
		lines = append(lines, c.t("history.earlier", map[string]any{"Count": n}))
		evs = evs[n:]
	}
	for _, e := range evs {
		lines = append(lines, h.historyLine(c.lang, t, e))
	}
	c.say("history.text", map[string]any{"Lines": strings.Join(lines, "\n")})
}

// historyLine renders one entry of t's history in lang: when, what, and
// from which channel.
func (h words) historyLine(lang string, t *shakwa.Ticket, e shakwa.Event) string {
	return h.text.Text(lang, "history.line", map[string]any{"When": h.localTime(e.At), "What": h.historyWhat(lang, t, e),
		"Via": h.viaName(lang, e.Via)})
}

// viaName is what a channel is called in lang; "" for none (the system).
func (h words) viaName(lang, via string) string {
	if via == "" {
		return ""
	}
	return h.text.Text(lang, "via."+via, nil)
}

// historyWhat says what an entry of t's history is, and who did it.
func (h words) historyWhat(lang string, t *shakwa.Ticket, e shakwa.Event) string {
	data := map[string]any{"Who": h.actorName(lang, e.By, t), "Text": excerpt(e.Text, 200)}
	switch e.Kind {
	case "transferred":
		data["Centre"] = h.centreName(e.Text, lang)
	case "reassigned":
		data["Staff"] = h.actorName(lang, e.Text, t)
	case "rated":
		data["Stars"] = e.Text
	case "rejected":
		code, words, _ := strings.Cut(e.Text, " ")
		data["Reason"], data["Text"] = h.reasonName(code, lang), excerpt(strings.TrimSpace(words), 200)
	}
	if e.Kind == "erased" && e.By == shakwa.SystemActor {
		return h.text.Text(lang, "history.erased_retention", nil)
	}
	if h.text.Has("history." + e.Kind) {
		return h.text.Text(lang, "history."+e.Kind, data)
	}
	return h.text.Text(lang, "history.other", map[string]any{"Kind": e.Kind})
}

// actorName names who an entry's By is: a configured person by name, the
// ticket's citizen, the system, or a former member of staff.
func (h words) actorName(lang, by string, t *shakwa.Ticket) string {
	switch {
	case by == shakwa.SystemActor:
		return h.text.Text(lang, "history.system", nil)
	case by == t.Citizen:
		return h.text.Text(lang, "history.citizen", nil)
	}
	if id, err := strconv.ParseInt(by, 10, 64); err == nil {
		if p, ok := h.cfg().Person(id); ok {
			return p.Name
		}
	}
	if by == t.Holder.ID && t.Holder.Name != "" {
		return t.Holder.Name
	}
	return h.text.Text(lang, "history.former_staff", nil)
}
