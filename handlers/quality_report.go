package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/stats"
)

// qualityLimit is how many centres the monthly report's quality section
// names, best first; the rest are counted.
const qualityLimit = 20

// qualityText is the monthly report's account of each centre's stars and
// what moved them: complaints handled, satisfaction, the self-assessment,
// the visits released, and the staff thanked by name.
func (h *Handler) qualityText(ctx context.Context, lang string, span stats.Span, cs []centreFigures) (string, error) {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	centres := make([]string, len(cs))
	byCode := map[string]centreFigures{}
	for i, f := range cs {
		centres[i] = f.Code
		byCode[f.Code] = f
	}
	thanked, err := h.thankedByCentre(ctx, span, centres)
	if err != nil {
		return "", err
	}
	// In the ranking's order; those with too few requests to rank, or
	// with nothing to score, come after, marked so and without stars,
	// never among the best: what their quality programme found still
	// counts.
	ranked, apart := stats.Ranking(h.scores(cs))
	scores := append(ranked, apart...)
	lines := []string{t("quality.title", map[string]any{"Span": h.qualitySpan(lang, span)})}
	sep := t("stats.separator", nil)
	for _, s := range scores[:min(len(scores), qualityLimit)] {
		f := byCode[s.Code]
		var what []string
		what = append(what, t("quality.handled", map[string]any{"Count": f.Resolved}))
		if avg, n := shownRating(f.Figures); n > 0 {
			what = append(what, t("quality.satisfaction", map[string]any{"Avg": ratingText(avg)}))
		}
		switch {
		case f.Quality.Assessed:
			what = append(what, t("quality.assessment", map[string]any{"P": h.wholePercent(lang, f.Quality.Assessment)}))
		case f.Quality.Expected:
			what = append(what, t("quality.unassessed", nil))
		}
		if f.Quality.Visits > 0 {
			what = append(what, t("quality.visits", map[string]any{"Count": f.Quality.Visits, "P": h.wholePercent(lang, f.Quality.Visit)}))
		}
		if names := thanked[s.Code]; len(names) > 0 {
			what = append(what, t("quality.thanked", map[string]any{"Names": strings.Join(names, sep)}))
		}
		key := "quality.centre"
		switch {
		case s.Unrated:
			key = "quality.centre_unrated"
		case !s.Ranked:
			key = "quality.centre_apart"
		}
		lines = append(lines, t(key, map[string]any{"Stars": strconv.FormatFloat(s.Stars, 'f', 1, 64),
			"Name": isolate(h.centreName(s.Code, lang)), "What": strings.Join(what, sep), "Min": stats.MinRanked}))
	}
	if more := len(scores) - qualityLimit; more > 0 {
		lines = append(lines, t("quality.more", map[string]any{"Count": more}))
	}
	return strings.Join(lines, "\n"), nil
}

// qualitySpan names what a quality section covers: its month, «أكتوبر
// 2026» (so far, while it is under way), as the monthly report covers the
// month before it goes out; or its days, for a period that is not one
// calendar month.
func (h words) qualitySpan(lang string, span stats.Span) string {
	first, last := span.From, span.Last()
	if first.Day() != 1 || last.Month() != first.Month() || last.Year() != first.Year() || last.AddDate(0, 0, 1).Day() != 1 {
		return h.spanDates(lang, span)
	}
	name := h.monthName(lang, first.Format("2006-01"))
	if !span.Now.IsZero() && span.Now.Before(span.To) {
		name = h.text.Text(lang, "span.so_far", map[string]any{"Span": name})
	}
	return name
}

// thankedByCentre names, for each centre, its staff who received thanks
// over span, most thanked first, with how many: «فاطمة (3)».
func (h *Handler) thankedByCentre(ctx context.Context, span stats.Span, centres []string) (map[string][]string, error) {
	sums, err := h.sums(ctx, span, true, centres, nil)
	if err != nil {
		return nil, fmt.Errorf("thanks by centre: %w", err)
	}
	roster, err := h.roster(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for i, code := range centres {
		type one struct {
			name string
			n    int64
		}
		var got []one
		for _, p := range roster {
			if p.Role != shakwa.RoleStaff && p.Role != shakwa.RoleSupervisor || !p.Serves(code) {
				continue
			}
			if n := stats.FiguresOf(sums[i], "s:"+staffID(p)+"|").Thanks; n > 0 {
				got = append(got, one{p.Name, n})
			}
		}
		slices.SortStableFunc(got, func(a, b one) int { return cmp.Compare(b.n, a.n) })
		for _, g := range got {
			out[code] = append(out[code], isolate(g.name)+" ("+strconv.FormatInt(g.n, 10)+")")
		}
	}
	return out, nil
}

// waitingText is, for a manager's monthly report, the visits of the month
// still waiting for release: the report's stars count only released ones,
// and nobody else may know of the others. None: no reply.
func (h words) waitingText(lang string, cs []centreFigures) []bot.Reply {
	var ids []string
	for _, f := range cs {
		for _, id := range f.Waiting {
			ids = append(ids, isolate(id))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	text := h.text.Text(lang, "quality.unreleased", map[string]any{"Count": len(ids),
		"List": strings.Join(ids, h.text.Text(lang, "stats.separator", nil))})
	return []bot.Reply{{Text: text, Lang: lang}}
}
