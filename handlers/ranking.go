package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/stats"
)

// rankingSize is how many centres a ranking names at each end.
const rankingSize = 5

// apartLimit is how many centres with too few tickets a ranking names.
const apartLimit = 10

// ranking answers /ranking [period]: the best five and the worst five of
// the centres one oversees by their score (see stats.ScoreOf), each with
// what pulled it up or down; centres with too few tickets apart, and
// those with nothing to score (stats.Score.Unrated).
func (h *Handler) ranking(ctx context.Context, c *conv, args string) {
	centres := h.scope(c.person)
	if len(centres) == 0 {
		c.say("stats.forbidden", nil)
		return
	}
	span, err := h.cal.Parse(args, h.now())
	if err != nil {
		c.say("ranking.usage", nil)
		return
	}
	cs, err := h.scoreFigures(ctx, span, centres)
	if err == nil {
		err = h.withQuality(ctx, span, cs)
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.Reply(c.reply(h.rankingText(c.lang, span, cs), nil))
}

// scores scores centres' figures against their resolution targets.
func (h *Handler) scores(cs []centreFigures) ([]stats.Score, map[string]int64) {
	scores := make([]stats.Score, len(cs))
	received := make(map[string]int64, len(cs))
	for i, f := range cs {
		target := h.model.SLA[f.Code].Resolve
		scores[i] = stats.ScoreOf(f.Code, f.Figures, target)
		if h.qualityOn() {
			scores[i] = scores[i].WithQuality(f.Quality, h.qualityWeights())
		}
		received[f.Code] = f.Received
	}
	return scores, received
}

// rankingText renders a ranking: the head, the best, the worst, those
// apart and how the score is made.
func (h *Handler) rankingText(lang string, span stats.Span, cs []centreFigures) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	byCode := make(map[string]centreFigures, len(cs))
	for _, f := range cs {
		byCode[f.Code] = f
	}
	ranked, apart := stats.Ranking(h.scores(cs))
	avg := stats.PartAverages(ranked)
	parts := []string{h.spanTitle(lang, iconRanking, span, len(cs))}
	best, worst := stats.BestWorst(ranked, rankingSize)
	line := func(place int, s stats.Score, up bool) string {
		why := ""
		pull, ok := s.Weakest(avg)
		if up {
			pull, ok = s.Strongest(avg)
		}
		if ok {
			arrow := "rank.down"
			if up {
				arrow = "rank.up"
			}
			why = t(arrow, map[string]any{"What": h.partText(lang, pull, byCode[s.Code])})
		}
		if s.Unassessed {
			why += t("rank.unassessed", nil)
		}
		return t("rank.line", map[string]any{"Place": place, "Stars": strconv.FormatFloat(s.Stars, 'f', 1, 64),
			"Name": isolate(h.centreName(s.Code, lang)), "Why": why})
	}
	var few, unrated []stats.Score
	for _, s := range apart {
		if s.Unrated {
			unrated = append(unrated, s)
		} else {
			few = append(few, s)
		}
	}
	if len(ranked) == 0 && (len(few) > 0 || len(unrated) == 0) {
		parts = append(parts, t("rank.none", map[string]any{"Min": stats.MinRanked, "Count": stats.MinRanked}))
	} else if len(ranked) > 0 {
		lines := []string{t("rank.best", map[string]any{"Count": len(best)})}
		for i, s := range best {
			lines = append(lines, line(i+1, s, true))
		}
		parts = append(parts, strings.Join(lines, "\n"))
		if len(worst) > 0 {
			lines = []string{t("rank.worst", map[string]any{"Count": len(worst)})}
			for i := len(worst) - 1; i >= 0; i-- {
				lines = append(lines, line(len(ranked)-len(worst)+i+1, worst[i], false))
			}
			parts = append(parts, strings.Join(lines, "\n"))
		}
	}
	if len(few) > 0 {
		parts = append(parts, h.apartText(lang, "rank.apart", few))
	}
	if len(unrated) > 0 {
		parts = append(parts, h.apartText(lang, "rank.unrated", unrated))
	}
	w := h.quality().Weights
	how := map[string]any{"Complaints": w.Complaints, "Assessment": w.Assessment, "Visits": w.Visits}
	switch {
	case !h.qualityOn():
		parts = append(parts, t("rank.how", nil))
	case w.Complaints > 0:
		parts = append(parts, t("rank.how", nil), t("rank.how_quality", how))
	default: // the stars are the quality programme's alone
		parts = append(parts, t("rank.how_quality_only", how))
	}
	return strings.Join(parts, "\n\n")
}

// partText says how a centre did on one part of its score, in figures.
func (h *Handler) partText(lang string, p stats.Part, f centreFigures) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	switch p {
	case stats.PartSatisfaction:
		avg, _ := shownRating(f.Figures)
		return t("rank.part.satisfaction", map[string]any{"Avg": ratingText(avg)})
	case stats.PartSLA:
		return t("rank.part.sla", map[string]any{"Claim": h.percent(lang, f.ClaimSLA), "Resolve": h.percent(lang, f.ResolveSLA)})
	case stats.PartSpeed:
		med, _ := f.ResolveTime.Percentile(50)
		return t("rank.part.speed", map[string]any{"Median": h.shortDuration(lang, med),
			"Target": h.shortDuration(lang, h.model.SLA[f.Code].Resolve)})
	case stats.PartReopen:
		return t("rank.part.reopen", map[string]any{"P": h.percent(lang, f.ReopenShare())})
	case stats.PartThanks:
		return t("rank.part.thanks", map[string]any{"Count": f.Thanks})
	case stats.PartAssessment:
		return t("rank.part.assessment", map[string]any{"P": h.wholePercent(lang, f.Quality.Assessment)})
	case stats.PartVisits:
		return t("rank.part.visits", map[string]any{"P": h.wholePercent(lang, f.Quality.Visit), "Count": f.Quality.Visits})
	}
	return ""
}

// qualityOn reports whether the quality programme has anything to score:
// standards to assess, or a visit form.
func (h words) qualityOn() bool {
	q := h.quality()
	return len(q.Standards) > 0 || len(q.VisitForm) > 0
}

func (h words) qualityWeights() stats.Weights {
	w := h.quality().Weights
	return stats.Weights{Complaints: w.Complaints, Assessment: w.Assessment, Visits: w.Visits}
}

// withQuality reads what the quality programme measured over span for
// cs's centres: their self-assessments (see withAssessments) and the
// visits released, of days in the span. One round trip per month (two
// more at most before the span), and two for the visits.
func (h *Handler) withQuality(ctx context.Context, span stats.Span, cs []centreFigures) error {
	if !h.qualityOn() || len(cs) == 0 {
		return nil
	}
	centres := make([]string, len(cs))
	for i, f := range cs {
		centres[i] = f.Code
	}
	if len(h.quality().Standards) > 0 {
		if err := h.withAssessments(ctx, span, cs); err != nil {
			return err
		}
	}
	vs, err := h.visitsOver(ctx, centres, span)
	if err != nil {
		return fmt.Errorf("visits: %w", err)
	}
	by, waiting := map[string][]*shakwa.Visit{}, map[string][]string{}
	for _, v := range vs {
		if v.Released.IsZero() {
			waiting[v.Centre] = append(waiting[v.Centre], v.ID) // for managers' eyes only
		} else {
			by[v.Centre] = append(by[v.Centre], v)
		}
	}
	for i := range cs {
		cs[i].Quality.Visit, cs[i].Quality.Visits = stats.VisitsShare(by[cs[i].Code], h.priorityWeights())
		cs[i].Waiting = waiting[cs[i].Code]
	}
	return nil
}

// assessmentLookBack is how many months before a span withAssessments
// reads, at most, for a centre whose months in the span are not due yet:
// a month is due within 28 days of its opening, so two are enough.
const assessmentLookBack = 2

// withAssessments sets cs's self-assessments over span: the latest done
// in a month the span touches counts. A month's assessment is owed only
// once it is due (assessmentDue: its managers have been told it is not
// done); a centre that owes one of the span's months and has none done
// is marked (stats.Quality.Expected). Until a month is due its absence
// is no fault: when none of the span's months is due yet (the first days
// of a month, before its assessment's deadline), the latest assessment
// done in the months before, back to the latest one due, stands in, and
// without one the part is left out unmarked. So the stars do not jump on
// the 1st, and again as centres finish, and no centre is marked for what
// it still has days to do.
func (h *Handler) withAssessments(ctx context.Context, span stats.Span, cs []centreFigures) error {
	now := h.now()
	// pending are the centres still without an assessment done, by
	// index in cs.
	pending := make([]int, len(cs))
	for i := range cs {
		pending[i] = i
	}
	read := func(month string, look func(i int, a shakwa.Assessment, due bool) (settled bool)) error {
		if len(pending) == 0 {
			return nil
		}
		centres := make([]string, len(pending))
		for k, i := range pending {
			centres[k] = cs[i].Code
		}
		as, err := h.store.Assessments(ctx, centres, month)
		if err != nil {
			return fmt.Errorf("assessments of %s: %w", month, err)
		}
		left := pending[:0]
		for k, i := range pending {
			due := !now.Before(h.assessmentDue(cs[i].Code, month))
			if !look(i, as[k], due) {
				left = append(left, i)
			}
		}
		pending = left
		return nil
	}
	done := func(i int, a shakwa.Assessment) bool {
		if a.Done.IsZero() {
			return false
		}
		share, ok := h.assessmentShare(a)
		if ok {
			cs[i].Quality.Assessed, cs[i].Quality.Assessment = true, share
		}
		return ok
	}
	months := spanMonths(span, h.cfg().Location)
	for _, month := range months {
		// A centre that owes a month stays pending: an earlier month of
		// the span, done, still counts for it.
		if err := read(month, func(i int, a shakwa.Assessment, due bool) bool {
			cs[i].Quality.Expected = cs[i].Quality.Expected || due
			return done(i, a)
		}); err != nil {
			return err
		}
	}
	// Centres that owe nothing in the span: the months before stand in.
	owing := pending[:0]
	for _, i := range pending {
		if !cs[i].Quality.Expected {
			owing = append(owing, i)
		}
	}
	pending = owing
	month := months[len(months)-1]
	for range assessmentLookBack {
		month = prevMonth(month)
		if err := read(month, func(i int, a shakwa.Assessment, due bool) bool {
			return done(i, a) || due // a due month ends the look back, done or not
		}); err != nil {
			return err
		}
	}
	return nil
}

// assessmentDue is when centre's self-assessment of month ("2026-11") is
// owed: its opening (quality.assessment.day at .at, in the centre's zone)
// plus escalate_after, when the centre's managers are told it is not done.
func (h words) assessmentDue(centre, month string) time.Time {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		return time.Time{}
	}
	q := h.quality()
	hour, minute := q.AssessAt()
	open := time.Date(m.Year(), m.Month(), q.Assessment.Day, hour, minute, 0, 0, h.centreLoc(centre))
	return open.Add(time.Duration(q.Assessment.EscalateAfter))
}

// spanMonths are the months ("2026-11") span touches, latest first.
func spanMonths(span stats.Span, loc *time.Location) []string {
	var out []string
	last := span.To.Add(-time.Nanosecond).In(loc)
	m := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, loc)
	for !m.Before(time.Date(span.From.In(loc).Year(), span.From.In(loc).Month(), 1, 0, 0, 0, 0, loc)) {
		out = append(out, m.Format("2006-01"))
		m = m.AddDate(0, -1, 0)
	}
	return out
}

// apartText names the centres not ranked, with the message key that
// says why: rank.apart (too few requests) or rank.unrated (nothing to
// score).
func (h *Handler) apartText(lang, key string, apart []stats.Score) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	names := make([]string, 0, apartLimit)
	for _, s := range apart[:min(len(apart), apartLimit)] {
		names = append(names, isolate(h.centreName(s.Code, lang)))
	}
	list := strings.Join(names, t("stats.separator", nil))
	if more := len(apart) - len(names); more > 0 {
		list += t("rank.more", map[string]any{"Count": more})
	}
	return t(key, map[string]any{"Count": len(apart), "Min": stats.MinRanked, "List": list})
}
