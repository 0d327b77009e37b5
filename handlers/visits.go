package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/stats"
)

// verbRelease is the button that releases a visit to its centre:
// vr:VISIT.
const verbRelease = "vr"

// visitsLimit is how many visits /visits lists.
const visitsLimit = 20

// question is the visit form's question with the given code.
func (h words) question(code string) (config.Question, bool) {
	for _, q := range h.quality().VisitForm {
		if q.Code == code {
			return q, true
		}
	}
	return config.Question{}, false
}

// visitCommand starts filing a visit: evaluators only, when the form has
// questions.
func (h *Handler) visitCommand(ctx context.Context, c *conv) {
	if c.person == nil || c.person.Role != shakwa.RoleEvaluator {
		c.say("visit.only_evaluators", nil)
		return
	}
	if len(h.quality().VisitForm) == 0 {
		c.say("visit.no_form", nil)
		return
	}
	h.startFlow(ctx, c, flows.Visit, "")
}

// fileVisit keeps what the visit flow gathered, scored by the form in
// force, and tells the centre's managers, who alone see it until one of
// them releases it.
func (h *Handler) fileVisit(ctx context.Context, c *conv, s *flows.Submission) {
	if c.person == nil || !c.person.Evaluates(s.Centre) {
		c.keep = true
		c.say("visit.not_yours", map[string]any{"Centre": isolate(h.centreName(s.Centre, c.lang))})
		return
	}
	day, err := time.ParseInLocation(time.DateOnly, s.Day, h.centreLoc(s.Centre))
	if err != nil {
		c.fail(ctx, fmt.Errorf("visit day: %w", shakwa.ErrInvalid))
		return
	}
	v := &shakwa.Visit{Centre: s.Centre, Day: s.Day, Channel: s.Via, Notes: s.Text,
		Attachments: attachments(s.Files), By: c.m.From.ID, Filed: h.now()}
	for _, q := range h.quality().VisitForm {
		if val, ok := s.Scores[q.Code]; ok {
			v.Scores = append(v.Scores, shakwa.VisitScore{Question: q.Code, Value: val, Score: q.Score(val),
				Priority: q.Priority, Weight: q.Weight, PriorityWeight: h.priorityWeights()[q.Priority]})
		}
	}
	if err := h.store.AddVisit(ctx, v, day, updateOf(c.m)); err != nil {
		c.fail(ctx, err)
		return
	}
	c.Reply(c.reply(c.t("visit.filed", map[string]any{"ID": isolate(v.ID), "Centre": isolate(h.centreName(v.Centre, c.lang))}),
		[][]flows.Choice{{{Key: "menu.home", Data: menuHome}}}))
	_, managers, err := h.overseers(ctx, v.Centre)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if err := h.tellVisit(ctx, c, managers, "visit.new", v, c.person.Name, visitButtons(v.ID)); err != nil {
		c.fail(ctx, err)
	}
}

// releaseVisit releases visit id to its centre: a manager overseeing it
// may. The centre's supervisors are told, without who filed it.
// A discarded visit is not: the manager is told so.
func (h *Handler) releaseVisit(ctx context.Context, c *conv, id string) {
	if _, ok := h.managedVisit(ctx, c, id); !ok {
		return
	}
	v, released, err := h.store.ReleaseVisit(ctx, id, c.m.From.ID, h.now())
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if !released {
		key := "visit.released_before"
		if !v.Discarded.IsZero() {
			key = "visit.discarded_before"
		}
		c.notice = c.t(key, nil)
		return
	}
	if c.m.Button != "" {
		c.inPlace = true
		c.Reply(c.reply(h.visitText(c.lang, v, h.evaluatorName(ctx, v.By)), nil))
	} else {
		c.say("visit.released", map[string]any{"ID": isolate(v.ID)})
	}
	supervisors, _, err := h.overseers(ctx, v.Centre)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if err := h.tellVisit(ctx, c, supervisors, "visit.to_centre", v, "", nil); err != nil {
		c.fail(ctx, err)
	}
}

// releaseCommand answers /release V-000123.
func (h *Handler) releaseCommand(ctx context.Context, c *conv, args string) {
	id, ok := visitArg(args)
	if !ok {
		c.say("visit.release_usage", nil)
		return
	}
	h.releaseVisit(ctx, c, id)
}

// visitArg reads a visit number typed after a command: V-000123, in any
// digits and case.
func visitArg(args string) (string, bool) {
	id := strings.ToUpper(strings.TrimSpace(locales.Digits(args)))
	if !strings.HasPrefix(id, "V-") {
		return "", false
	}
	if _, err := strconv.Atoi(id[2:]); err != nil {
		return "", false
	}
	return id, true
}

// evaluatorName is the name of the evaluator with staff id id, of the
// configuration or who joined by invite; the id when neither knows them.
func (h *Handler) evaluatorName(ctx context.Context, id string) string {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return id
	}
	p, ok, err := h.person(ctx, n)
	if err != nil || !ok {
		return id
	}
	return p.Name
}

// visitText renders a visit, and its filing and release when by, who
// filed it, is given: for managers and the evaluator only.
func (h words) visitText(lang string, v *shakwa.Visit, by string) string {
	full := by != ""
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	share, _ := stats.VisitShare(v.Scores, h.priorityWeights())
	lines := []string{t("visit.head", map[string]any{"ID": isolate(v.ID), "Centre": isolate(h.centreName(v.Centre, lang)),
		"Day": isolate(v.Day), "Via": t("visit.via."+v.Channel, nil), "P": h.wholePercent(lang, share)})}
	lines = append(lines, h.scoreLines(lang, v.Scores)...)
	if v.Notes != "" {
		lines = append(lines, t("visit.notes", map[string]any{"Text": v.Notes}))
	}
	if full {
		lines = append(lines, t("visit.by", map[string]any{"Name": isolate(by), "At": h.localTime(v.Filed)}))
		if v.Released.IsZero() {
			lines = append(lines, t("visit.unreleased", nil))
		} else {
			lines = append(lines, t("visit.released_at", map[string]any{"At": h.localTime(v.Released)}))
		}
	}
	return strings.Join(lines, "\n")
}

// scoreLines are a visit's answers, one a line.
func (h words) scoreLines(lang string, scores []shakwa.VisitScore) []string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	var out []string
	for _, s := range scores {
		// A question removed from the form since keeps its answers:
		// named as removed, with its code.
		name := t("visit.removed_question", map[string]any{"Code": isolate(s.Question)})
		kind := config.KindScale
		if q, ok := h.question(s.Question); ok {
			name, kind = q.Text.In(lang), q.Kind
		}
		var val string
		switch kind {
		case config.KindMinutes:
			val = t("visit.value.minutes", map[string]any{"Count": int(s.Value)})
		case config.KindYesNo:
			val = t("visit.value.no", nil)
			if s.Value >= 1 {
				val = t("visit.value.yes", nil)
			}
		default:
			val = t("visit.value.scale", map[string]any{"N": int(s.Value)})
		}
		out = append(out, t("visit.answer", map[string]any{"Question": name, "Value": val}))
	}
	return out
}

// visitsCommand answers /visits [period] [centre]: managers see every
// visit to their centres, released or not, and who filed it; supervisors
// and staff the released ones of theirs; an evaluator their own.
func (h *Handler) visitsCommand(ctx context.Context, c *conv, args string) {
	p := c.person
	if p == nil {
		c.say("visit.forbidden", nil)
		return
	}
	var centres []string
	for _, ce := range h.cfg().Centres {
		if p.Serves(ce.Code) || p.Evaluates(ce.Code) {
			centres = append(centres, ce.Code)
		}
	}
	if len(centres) == 0 {
		c.say("visit.forbidden", nil)
		return
	}
	span, centre, err := h.statsArgs(args, h.now())
	if err != nil {
		c.say("visit.usage", nil)
		return
	}
	centres, ok := within(c, centres, centre)
	if !ok {
		return
	}
	vs, err := h.visitsOver(ctx, centres, span)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	manager := p.Role == shakwa.RoleManager
	var shown []*shakwa.Visit
	for _, v := range vs {
		switch {
		case manager:
		case p.Role == shakwa.RoleEvaluator && v.By != c.m.From.ID:
			continue
		case p.Role != shakwa.RoleEvaluator && v.Released.IsZero():
			continue // not the centre's to see yet
		}
		shown = append(shown, v)
	}
	head := h.spanTitle(c.lang, iconVisits, span, len(centres))
	if len(shown) == 0 {
		c.Reply(c.reply(head+"\n\n"+c.t("visit.none", nil), nil))
		return
	}
	parts := []string{head + "\n" + c.t("visit.count", map[string]any{"Count": len(shown)})}
	from := max(0, len(shown)-visitsLimit)
	for _, v := range shown[from:] {
		by := ""
		if manager || p.Role == shakwa.RoleEvaluator {
			by = h.evaluatorName(ctx, v.By)
		}
		parts = append(parts, h.visitText(c.lang, v, by))
	}
	if from > 0 {
		parts = append(parts, c.t("visit.more", map[string]any{"Count": from}))
	}
	c.Reply(c.reply(strings.Join(parts, "\n\n"), nil))
}

// visitsOver are the visits to centres whose day is one of span's days.
// A visit's day is its centre's date, kept at midnight in the centre's
// zone, while span runs between midnights of the configured zone: so the
// search runs from the earliest of the centres' midnights starting span's
// first day to the latest ending its last, and keeps the visits whose day
// falls within: a visit on 1 November in Kolkata is November's, never
// October's, whatever the configured zone.
func (h *Handler) visitsOver(ctx context.Context, centres []string, span stats.Span) ([]*shakwa.Visit, error) {
	first, last := span.From.Format(time.DateOnly), span.Last().Format(time.DateOnly)
	fy, fm, fd := span.From.Date()
	ty, tm, td := span.To.Date()
	var from, to time.Time
	for i, ce := range centres {
		loc := h.centreLoc(ce)
		f, t := time.Date(fy, fm, fd, 0, 0, 0, 0, loc), time.Date(ty, tm, td, 0, 0, 0, 0, loc)
		if i == 0 || f.Before(from) {
			from = f
		}
		if i == 0 || t.After(to) {
			to = t
		}
	}
	vs, err := h.store.Visits(ctx, centres, from, to)
	if err != nil {
		return nil, err
	}
	out := vs[:0]
	for _, v := range vs {
		if v.Day >= first && v.Day <= last {
			out = append(out, v)
		}
	}
	return out, nil
}

// tellVisit tells each of people privately, in their language, the
// message key with visit v (by, who filed it, for managers only: see
// visitText) and buttons rows, and then its photos.
func (h *Handler) tellVisit(ctx context.Context, c *conv, people []config.Person, key string, v *shakwa.Visit, by string,
	rows [][]flows.Choice) error {
	for _, p := range people {
		r, err := h.privateTo(ctx, p)
		if err != nil {
			return err
		}
		r.Text = h.text.Text(r.Lang, key, nil) + "\n\n" + h.visitText(r.Lang, v, by)
		r.Buttons = h.renderButtons(r.Lang, rows)
		c.Reply(r)
		if len(v.Attachments) > 0 {
			c.Reply(bot.Reply{Channel: r.Channel, Chat: r.Chat, Lang: r.Lang, Attachments: v.Attachments,
				Text: h.text.Text(r.Lang, "visit.photos", map[string]any{"ID": isolate(v.ID)})})
		}
	}
	return nil
}
