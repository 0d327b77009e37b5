package handlers

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/charts"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/stats"
)

// Job kinds of the scheduled reports, keyed by the recipient's staff id
// (a manager's or supervisor's, never a citizen's).
const (
	JobReportDaily   = "report_daily"
	JobReportWeekly  = "report_weekly"
	JobReportMonthly = "report_monthly"
)

// reportKind is one of the reports: what it is called, what it covers
// (the day, week or month before it goes out) and its job.
type reportKind struct {
	Name string // daily, weekly, monthly
	Span stats.SpanKind
	Job  string
}

var reportKinds = []reportKind{
	{"daily", stats.SpanYesterday, JobReportDaily},
	{"weekly", stats.SpanLastWeek, JobReportWeekly},
	{"monthly", stats.SpanLastMonth, JobReportMonthly},
}

// reportWords are the words /report takes for each report.
var reportWords = map[string]string{
	"daily": "daily", "day": "daily", "يومي": "daily", "اليومي": "daily", "يوم": "daily",
	"weekly": "weekly", "week": "weekly", "أسبوعي": "weekly", "اسبوعي": "weekly", "الأسبوعي": "weekly", "الاسبوعي": "weekly",
	"monthly": "monthly", "month": "monthly", "شهري": "monthly", "الشهري": "monthly",
}

func reportNamed(name string) (reportKind, bool) {
	i := slices.IndexFunc(reportKinds, func(k reportKind) bool { return k.Name == name || k.Job == name })
	if i < 0 {
		return reportKind{}, false
	}
	return reportKinds[i], true
}

// ReportSlot is the latest time at or before t that report kind (a job
// kind) goes out by the configuration, and Next the first one after t.
func (h *Handler) ReportSlot(kind string, t time.Time) time.Time {
	next := h.NextReport(kind)
	// The slot before next: step back a period and go forward again.
	s := next(t.Add(-32 * 24 * time.Hour))
	for {
		n := next(s)
		if n.After(t) {
			return s
		}
		s = n
	}
}

// NextReport returns the schedule of report kind (a job kind): the first
// time after a given one that it goes out, at reports.at in the
// configured zone, on its day. It reads the configuration each time, so
// that a reload that moves reports.at moves the runs after the next.
func (h *Handler) NextReport(kind string) func(after time.Time) time.Time {
	return func(after time.Time) time.Time {
		loc := h.cfg().Location
		hour, minute := h.cfg().ReportsAt()
		a := after.In(loc)
		y, m, d := a.Date()
		for i := 0; ; i++ {
			at := time.Date(y, m, d+i, hour, minute, 0, 0, loc)
			if !at.After(after) {
				continue
			}
			switch kind {
			case JobReportWeekly:
				if at.Weekday() != h.cfg().WeeklyReportDay() {
					continue
				}
			case JobReportMonthly:
				if at.Day() != h.cfg().Reports.MonthlyOn {
					continue
				}
			}
			return at
		}
	}
}

// reportOn reports whether the configuration sends report kind.
func (h *Handler) reportOn(kind reportKind) bool {
	switch kind.Name {
	case "daily":
		return h.cfg().Reports.Daily
	case "weekly":
		return h.cfg().Reports.Weekly
	}
	return h.cfg().Reports.Monthly
}

// readers are the people reports go to: managers and supervisors, of
// the configuration and who joined with an invite.
func (h *Handler) readers(ctx context.Context) ([]config.Person, error) {
	people, err := h.roster(ctx)
	if err != nil {
		return nil, err
	}
	var out []config.Person
	for _, p := range people {
		if p.Role == shakwa.RoleManager || p.Role == shakwa.RoleSupervisor {
			out = append(out, p)
		}
	}
	return out, nil
}

// ScheduleReports makes sure every manager and supervisor has each
// report that is on scheduled: at its next time when none is; at the
// time the configuration now says for the period it will cover when that
// moved (never to a period whose report went already); a report left
// due (the service was down) stays due, to go out once. A report turned
// off is unscheduled. Every replica may run it at start and on reload: it
// is idempotent.
func (h *Handler) ScheduleReports(ctx context.Context) error {
	now := h.now()
	readers, err := h.readers(ctx)
	if err != nil {
		return fmt.Errorf("schedule reports: %w", err)
	}
	for _, p := range readers {
		if err := h.scheduleReportsOf(ctx, p, now); err != nil {
			return err
		}
	}
	return nil
}

// scheduleReportsOf is ScheduleReports for one reader.
func (h *Handler) scheduleReportsOf(ctx context.Context, p config.Person, now time.Time) error {
	key := staffID(p)
	for _, k := range reportKinds {
		next := h.NextReport(k.Job)(now)
		due, ok, err := h.store.JobDue(ctx, k.Job, key)
		if err != nil {
			return fmt.Errorf("schedule reports: %w", err)
		}
		switch {
		case !h.reportOn(k):
			if ok {
				err = h.store.UnscheduleJob(ctx, k.Job, key)
			}
		case !ok:
			err = h.store.ScheduleJob(ctx, k.Job, key, next)
		case due.After(now):
			if at := h.reportTime(k, next, due); !at.Equal(due) {
				err = h.store.ScheduleJob(ctx, k.Job, key, at)
			}
		}
		if err != nil {
			return fmt.Errorf("schedule reports: %w", err)
		}
	}
	return nil
}

// reportTime is when the report scheduled for due goes out by the
// configuration as it is now, next being its next time: the same period's
// report, at the new time. A period's report is known by the span it
// covers; when next would send the period before due's again (reports.at
// moved later on a day its report went), the run after next is taken.
// When the new schedule has no run for due's period, due stays.
func (h *Handler) reportTime(k reportKind, next, due time.Time) time.Time {
	period := func(t time.Time) time.Time { return h.cal.Named(k.Span, t).From }
	after := h.NextReport(k.Job)
	at := next
	for i := 0; i < 400 && period(at).Before(period(due)); i++ {
		at = after(at)
	}
	if !period(at).Equal(period(due)) {
		return due
	}
	return at
}

// sendReport runs a report job: the report of the latest time it was
// due, to the person keyed. Run late (after downtime) it sends the latest
// report missed, once; the runner schedules the next.
func (h *Handler) sendReport(ctx context.Context, w bot.Responder, j *shakwa.Job) error {
	kind, _ := reportNamed(j.Kind)
	id, err := strconv.ParseInt(j.Key, 10, 64)
	if err != nil {
		return nil // not a key we make: nobody to send it to
	}
	p, ok, err := h.person(ctx, id)
	if err != nil {
		return err
	}
	if !ok || len(h.scope(&p)) == 0 || !h.reportOn(kind) {
		return nil // no longer a reader, or the report is off
	}
	at := h.now()
	if j.Due.After(at) {
		at = j.Due
	}
	slot := h.ReportSlot(kind.Job, at)
	to := shakwa.Address{Channel: h.notify.staffChannel, Chat: j.Key}
	lang, err := h.store.Lang(ctx, to)
	if err != nil {
		return err
	}
	if lang == "" {
		lang = "ar"
	}
	rs, err := h.report(ctx, lang, kind, h.cal.Named(kind.Span, slot), h.scope(&p), p.Role == shakwa.RoleManager)
	if err != nil {
		return err
	}
	for _, r := range rs {
		r.Channel, r.Chat = to.Channel, to.Chat
		w.Reply(r)
	}
	return nil
}

// reportOver is the report a period without a report's name asks for:
// the weekly over a week, the monthly over a month, else the daily.
func reportOver(k stats.SpanKind) reportKind {
	name := "daily"
	switch k {
	case stats.SpanThisWeek, stats.SpanLastWeek:
		name = "weekly"
	case stats.SpanThisMonth, stats.SpanLastMonth, stats.SpanMonth:
		name = "monthly"
	}
	kind, _ := reportNamed(name)
	return kind
}

// reportCommand answers /report daily|weekly|monthly [period] [centre]:
// the report that went out last (or would have), now; with a period, the
// same report over it.
func (h *Handler) reportCommand(ctx context.Context, c *conv, args string) {
	centres := h.scope(c.person)
	if len(centres) == 0 {
		c.say("stats.forbidden", nil)
		return
	}
	kind, centre, named := reportKinds[0], "", false
	var rest []string
	for _, w := range strings.Fields(args) {
		if name, found := reportWords[strings.ToLower(w)]; found && len(rest) == 0 && !named {
			kind, _ = reportNamed(name)
			named = true
		} else if _, found := h.cfg().Centre(strings.ToUpper(w)); found && centre == "" {
			centre = strings.ToUpper(w)
		} else {
			rest = append(rest, w)
		}
	}
	span := h.cal.Named(kind.Span, h.now())
	if len(rest) > 0 {
		var err error
		if span, err = h.cal.Parse(strings.Join(rest, " "), h.now()); err != nil {
			c.say("report.usage", nil)
			return
		}
		if !named {
			kind = reportOver(span.Kind)
		}
	}
	centres, ok := within(c, centres, centre)
	if !ok {
		return
	}
	rs, err := h.report(ctx, c.lang, kind, span, centres, c.person.Role == shakwa.RoleManager)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	for _, r := range rs {
		r.Channel, r.Chat = c.m.Channel, c.m.Chat
		c.Reply(r)
	}
}

// report is a report over span for centres: the figures (the table as a
// document for many centres), the ranking, the staff to thank, and three
// charts: tickets per day by channel, time to resolve per centre, and
// satisfaction per day.
func (h *Handler) report(ctx context.Context, lang string, kind reportKind, span stats.Span, centres []string, manager bool) ([]bot.Reply, error) {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	cs, err := h.figures(ctx, span, centres)
	if err == nil {
		err = h.withQuality(ctx, span, cs)
	}
	if err != nil {
		return nil, err
	}
	ss, err := h.staffOf(ctx, span, centres)
	if err != nil {
		return nil, err
	}
	rs := h.statsReplies(ctx, lang, span, cs)
	rs[0].Text = t("report.title."+kind.Name, nil) + "\n" + rs[0].Text
	if len(cs) > 1 {
		rs = append(rs, bot.Reply{Text: h.rankingText(lang, span, cs), Lang: lang})
	}
	if kind.Name == "monthly" && h.qualityOn() {
		text, err := h.qualityText(ctx, lang, span, cs)
		if err != nil {
			return nil, err
		}
		rs = append(rs, bot.Reply{Text: text, Lang: lang})
		if manager {
			rs = append(rs, h.waitingText(lang, cs)...)
		}
	}
	if rec := h.recognised(lang, ss); len(rec) > 0 {
		rs = append(rs, bot.Reply{Text: t("team.recognised", nil) + "\n" + strings.Join(rec, "\n"), Lang: lang})
	}
	if h.files == nil {
		return rs, nil
	}
	days := reportDays(kind, span)
	volume, rating, err := h.daily(ctx, days, centres)
	if err != nil {
		return nil, err
	}
	resolution, height := h.resolutionChart(lang, cs)
	volumes, ratings := h.volumeChart(lang, days, volume), h.satisfactionChart(lang, days, rating)
	for _, c := range []struct {
		name    string
		chart   pictured
		height  int
		caption string
		empty   bool
	}{
		{"volume", volumes, charts.DefaultHeight, t("report.chart.volume", nil), len(volumes.Series) == 0},
		{"resolution", resolution, height, t("report.chart.resolution", nil), len(resolution.Values) == 0},
		{"satisfaction", ratings, charts.DefaultHeight, t("report.chart.satisfaction", nil), !hasValue(ratings.Series[0].Values)},
	} {
		if c.empty {
			continue // a chart of nothing says nothing
		}
		var buf bytes.Buffer
		if err := c.chart.PNG(&buf, charts.DefaultWidth, c.height); err != nil {
			h.log.ErrorContext(ctx, "report chart", "chart", c.name, "err", err)
			continue
		}
		id, size, err := h.files.Put(ctx, &buf, "image/png")
		if err != nil {
			h.log.ErrorContext(ctx, "keep report chart", "chart", c.name, "err", err)
			continue
		}
		name := c.name + "-" + span.From.Format("20060102") + ".png"
		rs = append(rs, bot.Reply{Text: c.caption, Lang: lang, Attachments: []shakwa.Attachment{{
			Kind: "photo", ID: id, From: fileOrigin, File: id, Name: name, Mime: "image/png", Size: size}}})
	}
	return rs, nil
}

func hasValue(vs []float64) bool {
	return slices.ContainsFunc(vs, func(v float64) bool { return !math.IsNaN(v) })
}

// pictured is a chart.
type pictured interface {
	PNG(w io.Writer, width, height int) error
}

// reportDays are the days a report's charts run over: the week up to the
// day of a daily report, the days of a weekly or monthly one.
func reportDays(kind reportKind, span stats.Span) []time.Time {
	days := span.Days()
	if kind.Name == "daily" && len(days) == 1 {
		y, m, d := days[0].Date()
		days = nil
		for i := -6; i <= 0; i++ {
			days = append(days, time.Date(y, m, d+i, 0, 0, 0, 0, span.From.Location()))
		}
	}
	return days
}

// daily reads, for each day, the tickets received on each channel
// (stats.Channels order) and the ratings given, over centres: one round
// trip, two small reads per centre and day.
func (h *Handler) daily(ctx context.Context, days []time.Time, centres []string) (volume [][]int64, rating []stats.Figures, err error) {
	channels := make([]string, len(stats.Channels))
	for i, c := range stats.Channels {
		channels[i] = stats.ReceivedOn(c)
	}
	ratings := stats.RatingFields()
	var keys []shakwa.TallyKey
	for _, d := range days {
		day := d.Format("20060102")
		for _, c := range centres {
			keys = append(keys, shakwa.TallyKey{Centre: c, Key: "xd:" + day, Fields: channels},
				shakwa.TallyKey{Centre: c, Key: "d:" + day, Fields: ratings})
		}
	}
	got, err := h.store.ReadTallies(ctx, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("daily figures: %w", err)
	}
	volume = make([][]int64, len(days))
	rating = make([]stats.Figures, len(days))
	for i := range days {
		var sum stats.Sum
		for j := range centres {
			at := 2 * (i*len(centres) + j)
			for _, fields := range got[at : at+2] {
				if err := sum.Add(stats.Whole, fields); err != nil {
					return nil, nil, fmt.Errorf("daily figures of %s: %w", centres[j], err)
				}
			}
		}
		volume[i] = make([]int64, len(stats.Channels))
		for k, ch := range stats.Channels {
			volume[i][k] = stats.FiguresOf(sum, "h:"+ch+"|").Received
		}
		rating[i] = stats.FiguresOf(sum, "")
	}
	return volume, rating, nil
}

// dayLabels are the days as a chart labels them: 30/11.
func dayLabels(days []time.Time) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = strconv.Itoa(d.Day()) + "/" + strconv.Itoa(int(d.Month()))
	}
	return out
}

// volumeChart is the tickets received per day, stacked by channel; the
// channels with none are left out.
func (h *Handler) volumeChart(lang string, days []time.Time, volume [][]int64) charts.Bars {
	b := charts.Bars{Title: h.text.Text(lang, "report.chart.volume", nil), Labels: dayLabels(days), Stacked: true, RTL: lang == "ar"}
	for k, ch := range stats.Channels {
		s := charts.Series{Name: h.text.Text(lang, "report.channel."+ch, nil), Values: make([]float64, len(days))}
		var any int64
		for i := range days {
			s.Values[i] = float64(volume[i][k])
			any += volume[i][k]
		}
		if any > 0 {
			b.Series = append(b.Series, s)
		}
	}
	return b
}

// resolutionLimit is how many centres the resolution chart shows: the
// slowest, when there are more.
const resolutionLimit = 15

// resolutionChart is each centre's median time to resolve, in hours,
// slowest first (the slowest resolutionLimit when there are more), those
// over their target in another colour, and the target when all share it.
func (h *Handler) resolutionChart(lang string, cs []centreFigures) (charts.HBars, int) {
	type row struct {
		code   string
		median time.Duration
	}
	var rows []row
	for _, f := range cs {
		if m, ok := f.ResolveTime.Percentile(50); ok {
			rows = append(rows, row{f.Code, m})
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(b.median, a.median) })
	title := "report.chart.resolution"
	if len(rows) > resolutionLimit {
		rows, title = rows[:resolutionLimit], "report.chart.resolution_slowest"
	}
	hb := charts.HBars{Title: h.text.Text(lang, title, map[string]any{"Count": resolutionLimit}), RTL: lang == "ar"}
	targets := map[time.Duration]bool{}
	for i, r := range rows {
		target := h.model.SLA[r.code].Resolve
		targets[target] = true
		hb.Labels = append(hb.Labels, h.centreName(r.code, lang))
		hb.Values = append(hb.Values, math.Round(r.median.Hours()*10)/10)
		hb.ValueLabels = append(hb.ValueLabels, h.shortDuration(lang, r.median))
		if target > 0 && r.median > target {
			hb.Highlight = append(hb.Highlight, i)
		}
	}
	if len(targets) == 1 {
		for target := range targets {
			hb.Target = target.Hours()
		}
	}
	return hb, max(charts.DefaultHeight, 160+56*len(rows))
}

// satisfactionChart is the average rating per day, a gap on days with
// none.
func (h *Handler) satisfactionChart(lang string, days []time.Time, rating []stats.Figures) charts.Lines {
	s := charts.Series{Name: h.text.Text(lang, "report.chart.rating_series", nil), Values: make([]float64, len(days))}
	for i := range days {
		s.Values[i] = math.NaN()
		if avg, n := shownRating(rating[i]); n > 0 {
			s.Values[i] = ratingNumber(avg)
		}
	}
	return charts.Lines{Title: h.text.Text(lang, "report.chart.satisfaction", nil), Labels: dayLabels(days),
		Series: []charts.Series{s}, Min: 1, Max: 5, RTL: lang == "ar"}
}
