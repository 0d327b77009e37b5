package handlers

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/export"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/stats"
)

// staffNamed is the staff member of centre a citizen's thanks names, as
// typed: their whole name, or words of it that fit one of them only,
// however it is spelled (hamza forms, taa marbuta, diacritics, case). ok
// is false when the name fits nobody, or more than one.
func (h words) staffNamed(centre, typed string) (id string, ok bool) {
	want := nameWords(typed)
	if len(want) == 0 {
		return "", false
	}
	var found []string
	for _, p := range h.cfg().People {
		if p.Role != shakwa.RoleStaff && p.Role != shakwa.RoleSupervisor || !p.Serves(centre) {
			continue
		}
		have := nameWords(p.Name)
		if slices.Equal(have, want) {
			return staffID(p), true
		}
		if containsAll(have, want) {
			found = append(found, staffID(p))
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

// staffID is the id a configured person acts under (shakwa.Staff.ID).
func staffID(p config.Person) string { return strconv.FormatInt(p.Telegram, 10) }

// nameWords are a name's words spelled one way (locales.Fold: hamza
// forms, taa marbuta, diacritics, case), punctuation between them as
// spaces.
func nameWords(s string) []string {
	return strings.FieldsFunc(locales.Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// staffFigures is one staff member's figures over a span, over every
// centre they worked in.
type staffFigures struct {
	ID, Name string
	stats.Figures
}

// staffOf reads the span's figures of the staff and supervisors of
// centres, in one round trip: each centre's breakdowns, summed per
// person. Only people in the configuration are listed.
func (h *Handler) staffOf(ctx context.Context, span stats.Span, centres []string) ([]staffFigures, error) {
	sums, err := h.sums(ctx, span, true, centres, nil)
	if err != nil {
		return nil, fmt.Errorf("staff figures: %w", err)
	}
	roster, err := h.roster(ctx)
	if err != nil {
		return nil, fmt.Errorf("staff figures: %w", err)
	}
	var people []config.Person
	for _, p := range roster {
		if p.Role != shakwa.RoleStaff && p.Role != shakwa.RoleSupervisor {
			continue
		}
		if slices.ContainsFunc(centres, p.Serves) {
			people = append(people, p)
		}
	}
	out := make([]staffFigures, len(people))
	for i, p := range people {
		out[i] = staffFigures{ID: staffID(p), Name: p.Name}
	}
	for _, sum := range sums {
		for i := range out {
			out[i].Figures.Add(stats.FiguresOf(sum, "s:"+out[i].ID+"|"))
		}
	}
	return out, nil
}

// minRated is how many ratings a staff member needs to be named for
// their satisfaction.
const minRated = 5

// staffInline is how many staff a /staff answer lists in its message;
// beyond, the whole list goes as a document.
const staffInline = 15

// staffCommand answers /staff [period] [centre]: who did the period's
// work, best first, with those to recognise named at the top.
func (h *Handler) staffCommand(ctx context.Context, c *conv, args string) {
	span, centres, ok := h.readerArgs(c, args, "team.usage")
	if !ok {
		return
	}
	ss, err := h.staffOf(ctx, span, centres)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	for _, r := range h.staffReplies(ctx, c.lang, span, len(centres), ss) {
		r.Channel, r.Chat = c.m.Channel, c.m.Chat
		c.Reply(r)
	}
}

// staffOrder sorts staff best first: most resolved, then the better
// average rating, then most thanks, then by name.
func staffOrder(ss []staffFigures) {
	slices.SortStableFunc(ss, func(a, b staffFigures) int {
		if c := cmp.Compare(b.Resolved, a.Resolved); c != 0 {
			return c
		}
		ra, _ := a.Rating()
		rb, _ := b.Rating()
		if c := cmp.Compare(rb, ra); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Thanks, a.Thanks); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// recognised names the period's top staff: most resolved, best rated (of
// at least minRated ratings), most thanked; one line per person, however
// many of these they are, in staffOrder's order. A tie goes the same way
// whatever the order of ss (see top), so that /staff and the reports name
// the same person.
func (h words) recognised(lang string, ss []staffFigures) []string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	ss = slices.Clone(ss)
	staffOrder(ss)
	var order []string
	what := map[string][]string{}
	name := map[string]string{}
	note := func(s staffFigures, text string) {
		if _, ok := what[s.ID]; !ok {
			order = append(order, s.ID)
		}
		what[s.ID] = append(what[s.ID], text)
		name[s.ID] = s.Name
	}
	rated := func(s staffFigures) float64 { avg, _ := s.Rating(); return avg }
	// top is the one of ss with the most of by, among those ok: a tie goes
	// to the better rated, then the more thanked, then the more resolved,
	// then by name, whichever title it is for.
	top := func(by func(staffFigures) float64, ok func(staffFigures) bool) (staffFigures, bool) {
		var best staffFigures
		found := false
		for _, s := range ss {
			if !ok(s) {
				continue
			}
			c := cmp.Compare(by(s), by(best))
			for _, tie := range []func(staffFigures) float64{rated,
				func(s staffFigures) float64 { return float64(s.Thanks) },
				func(s staffFigures) float64 { return float64(s.Resolved) }} {
				if c == 0 {
					c = cmp.Compare(tie(s), tie(best))
				}
			}
			if c == 0 {
				c = cmp.Compare(best.Name, s.Name)
			}
			if !found || c > 0 {
				best, found = s, true
			}
		}
		return best, found
	}
	if s, ok := top(func(s staffFigures) float64 { return float64(s.Resolved) },
		func(s staffFigures) bool { return s.Resolved > 0 }); ok {
		note(s, t("team.top_resolved", map[string]any{"Count": s.Resolved}))
	}
	if s, ok := top(rated, func(s staffFigures) bool { _, n := s.Rating(); return n >= minRated }); ok {
		avg, n := shownRating(s.Figures)
		note(s, t("team.top_rated", map[string]any{"Avg": ratingText(avg), "Count": n}))
	}
	if s, ok := top(func(s staffFigures) float64 { return float64(s.Thanks) },
		func(s staffFigures) bool { return s.Thanks > 0 }); ok {
		note(s, t("team.top_thanked", map[string]any{"Count": s.Thanks}))
	}
	out := make([]string, len(order))
	for i, id := range order {
		out[i] = t("team.recognised_line", map[string]any{"Name": isolate(name[id]),
			"What": strings.Join(what[id], t("team.recognised_separator", nil))})
	}
	return out
}

// staffReplies renders the staff figures: the head, those recognised,
// then one line per person (the first staffInline), and the whole list
// as a document when it is longer.
func (h *Handler) staffReplies(ctx context.Context, lang string, span stats.Span, centres int, ss []staffFigures) []bot.Reply {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	staffOrder(ss)
	head := h.spanTitle(lang, iconStaff, span, centres)
	parts := []string{head}
	active := slices.DeleteFunc(slices.Clone(ss), func(s staffFigures) bool {
		return s.Claimed == 0 && s.Resolved == 0 && s.Thanks == 0 && s.Replied == 0
	})
	if len(active) == 0 {
		parts = append(parts, t("team.none", nil))
		return []bot.Reply{{Text: strings.Join(parts, "\n\n"), Lang: lang}}
	}
	if rec := h.recognised(lang, active); len(rec) > 0 {
		parts = append(parts, t("team.recognised", nil)+"\n"+strings.Join(rec, "\n"))
	}
	lines := make([]string, 0, staffInline)
	for i, s := range active[:min(len(active), staffInline)] {
		lines = append(lines, h.staffLine(lang, i+1, s))
	}
	parts = append(parts, strings.Join(lines, "\n"))
	if idle := len(ss) - len(active); idle > 0 {
		parts = append(parts, t("team.idle", map[string]any{"Count": idle}))
	}
	out := []bot.Reply{{Text: strings.Join(parts, "\n\n"), Lang: lang}}
	if len(active) > staffInline {
		if doc, ok := h.staffTable(ctx, lang, span, ss); ok {
			out = append(out, doc)
		}
	}
	return out
}

// staffLine is one person's figures.
func (h words) staffLine(lang string, place int, s staffFigures) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	median := t("stats.none", nil)
	if v, ok := s.ResolveTime.Percentile(50); ok {
		median = h.shortDuration(lang, v)
	}
	rating := t("stats.none", nil)
	if avg, n := shownRating(s.Figures); n > 0 {
		rating = t("team.rating", map[string]any{"Avg": ratingText(avg), "Count": n})
	}
	return t("team.line", map[string]any{"Place": place, "Name": isolate(s.Name), "Claimed": s.Claimed,
		"Resolved": s.Resolved, "Median": median, "Rating": rating, "Thanks": s.Thanks})
}

// staffTable is every person's figures as a spreadsheet document.
func (h *Handler) staffTable(ctx context.Context, lang string, span stats.Span, ss []staffFigures) (bot.Reply, bool) {
	t := func(key string) string { return h.text.Text(lang, key, nil) }
	sheet := export.Sheet{Name: t("team.sheet"), RTL: lang == "ar", Location: h.cfg().Location}
	for _, k := range []string{"name", "claimed", "resolved", "median", "rating", "ratings", "reopened", "thanks"} {
		sheet.Header = append(sheet.Header, t("team.col."+k))
	}
	for _, s := range ss {
		rating, n := ratingCell(s.Figures)
		sheet.Rows = append(sheet.Rows, []export.Cell{export.Text(s.Name), export.Int(int(s.Claimed)),
			export.Int(int(s.Resolved)), hoursCell(s.ResolveTime, 50), rating, export.Int(int(n)), export.Int(int(s.Reopened)), export.Int(int(s.Thanks))})
	}
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, sheet); err != nil {
		h.log.ErrorContext(ctx, "staff table", "err", err)
		return bot.Reply{}, false
	}
	return h.document(ctx, lang, &buf, "staff", span, t("team.table_caption"))
}
