package handlers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/stats"
)

// periods maps the typed period words (in either language) to a Period.
var periods = []stats.Period{"today", "week", "month"}

// stats answers /stats [today|week|month] for managers.
func (h *Handler) stats(ctx context.Context, c *conv, args string) {
	if c.person == nil || c.person.Role != shakwa.RoleManager {
		c.say("stats.forbidden", nil)
		return
	}
	period := stats.Period("today")
	if args != "" {
		period = ""
		for _, p := range periods {
			if h.text.Is("words."+string(p), args) {
				period = p
			}
		}
		if period == "" {
			c.say("stats.usage", nil)
			return
		}
	}
	rep, err := h.report(ctx, *c.person, period)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	for _, text := range h.reportText(c.lang, period, rep) {
		c.Reply(c.reply(text, nil))
	}
}

// reportText renders a report in lang: a title, then one message with a
// block per centre and the total.
func (h words) reportText(lang string, period stats.Period, rep stats.Report) []string {
	title := h.text.Text(lang, "stats.title", map[string]any{"Period": h.text.Text(lang, "period."+string(period), nil),
		"From": h.localTime(rep.From), "To": h.localTime(rep.To)})
	var blocks []string
	for _, cs := range rep.Centres {
		blocks = append(blocks, h.centreStats(lang, h.centreName(cs.Centre, lang), cs))
	}
	blocks = append(blocks, h.centreStats(lang, h.text.Text(lang, "stats.total", nil), rep.Total))
	return []string{title, h.text.Text(lang, "stats.body", map[string]any{"Body": strings.Join(blocks, "\n\n")})}
}

// report gathers the window's tickets and feedback and computes metrics
// for the centres the manager p oversees. It needs no conversation: a
// scheduled report is built the same way.
func (h *Handler) report(ctx context.Context, p config.Person, period stats.Period) (stats.Report, error) {
	from, to, err := stats.Window(period, h.now(), h.cfg.Location)
	if err != nil {
		return stats.Report{}, err
	}
	in := stats.Input{From: from, To: to, SLA: map[string]stats.SLA{}}
	if in.Created, err = h.store.TicketsCreated(ctx, from, to); err != nil {
		return stats.Report{}, fmt.Errorf("created tickets: %w", err)
	}
	if in.Resolved, err = h.store.TicketsResolved(ctx, from, to); err != nil {
		return stats.Report{}, fmt.Errorf("resolved tickets: %w", err)
	}
	if in.Open, err = h.store.OpenTickets(ctx); err != nil {
		return stats.Report{}, fmt.Errorf("open tickets: %w", err)
	}
	if in.Feedback, err = h.store.FeedbackCreated(ctx, from, to); err != nil {
		return stats.Report{}, fmt.Errorf("feedback: %w", err)
	}
	for _, ce := range h.cfg.Centres {
		if len(p.Centres) == 0 || p.Serves(ce.Code) {
			in.Centres = append(in.Centres, ce.Code)
		}
		in.SLA[ce.Code] = stats.SLA{Claim: time.Duration(ce.SLA.Claim), Resolve: time.Duration(ce.SLA.Resolve)}
	}
	return stats.Compute(in), nil
}

// centreStats renders one centre's block of a report.
func (h words) centreStats(lang, name string, s stats.CentreStats) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	none := t("stats.none", nil)
	dur := func(ok bool, d time.Duration) string {
		if !ok {
			return none
		}
		return h.duration(lang, d)
	}
	pct := func(n, of int) string {
		if of == 0 {
			return none
		}
		return t("stats.percent", map[string]any{"N": n * 100 / of})
	}
	rated := t("stats.no_ratings", nil)
	if s.Rated > 0 {
		rated = t("stats.ratings", map[string]any{"Count": s.Rated, "Rating": oneDecimal(s.AvgRating())})
	}
	stars := none
	if s.FeedbackRated > 0 {
		stars = t("stats.stars", map[string]any{"N": oneDecimal(s.AvgFeedbackStars())})
	}
	return t("stats.centre", map[string]any{
		"Centre": name, "Received": s.Received, "Resolved": s.Resolved, "Open": s.Open,
		"ClaimMedian": dur(s.HasClaim(), s.ClaimMedian), "ClaimP90": dur(s.HasClaim(), s.ClaimP90),
		"ResolveMedian": dur(s.HasResolve(), s.ResolveMedian), "ResolveP90": dur(s.HasResolve(), s.ResolveP90),
		"ClaimSLA": pct(s.ClaimWithinSLA, s.ClaimSamples), "ResolveSLA": pct(s.ResolveWithinSLA, s.ResolveSamples),
		"Rated": rated, "Feedback": s.Feedback, "FeedbackStars": stars, "Thanks": s.Thanks,
	})
}

func oneDecimal(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
