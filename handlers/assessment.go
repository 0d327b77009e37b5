package handlers

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
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

// QualityStore keeps the quality programme's records: the centres'
// monthly self-assessments and the mystery shoppers' visits (see
// storage).
type QualityStore interface {
	OpenAssessment(ctx context.Context, centre, month string, at time.Time) (bool, error)
	// AnswerAssessment keeps a's answer unless the standard has one
	// (stored false); done reports that it completed the month.
	AnswerAssessment(ctx context.Context, centre, month string, a shakwa.Answer, all []string) (stored, done bool, err error)
	// WithdrawAnswer takes an answer of a month not done back.
	WithdrawAnswer(ctx context.Context, centre, month, criterion string) (bool, error)
	// FinishAssessment marks the month done when every standard of all
	// has its answer already (one was taken out of the configuration).
	FinishAssessment(ctx context.Context, centre, month string, at time.Time, by string, all []string) (bool, error)
	Assessment(ctx context.Context, centre, month string) (shakwa.Assessment, error)
	Assessments(ctx context.Context, centres []string, month string) ([]shakwa.Assessment, error)
	AssessmentMonths(ctx context.Context, centre string, months ...string) ([]shakwa.Assessment, error)
	AddVisit(ctx context.Context, v *shakwa.Visit, day time.Time, once string) error
	Visit(ctx context.Context, id string) (*shakwa.Visit, error)
	Visits(ctx context.Context, centres []string, from, to time.Time) ([]*shakwa.Visit, error)
	ReleaseVisit(ctx context.Context, id, by string, at time.Time) (*shakwa.Visit, bool, error)
	// DiscardVisit discards a visit filed by mistake unless it was
	// released or discarded before (discarded false).
	DiscardVisit(ctx context.Context, id, by string, at time.Time) (*shakwa.Visit, bool, error)
}

// JobAssess opens a centre's monthly self-assessment, reminds its
// supervisors and then tells its managers while it is not done; keyed by
// centre code. Each run schedules the next step.
const JobAssess = "assessment"

// Button data of the self-assessment: qa:m:CENTRE:MONTH:CODE:MARK answers
// a standard, qa:later:CENTRE:MONTH stops for now, qa:go:CENTRE:MONTH goes
// on.
const verbAssess = "qa"

// quality is the quality programme of the configuration in force.
func (h words) quality() *config.Quality { return &h.cfg().Quality }

// priorityWeights are the priorities' weights by code.
func (h words) priorityWeights() map[string]float64 {
	out := map[string]float64{}
	for _, p := range h.quality().Priorities {
		out[p.Code] = p.Weight
	}
	return out
}

func (h words) priorityName(code, lang string) string {
	if p, ok := h.quality().Priority(code); ok {
		return p.Name.In(lang)
	}
	return code
}

// centreLoc is the zone of a centre's days.
func (h words) centreLoc(centre string) *time.Location {
	return h.cfg().Calendar(centre).Loc
}

// monthOf is the month ("2026-11") t falls in at centre.
func (h words) monthOf(centre string, t time.Time) string {
	return t.In(h.centreLoc(centre)).Format("2006-01")
}

// monthName is a month as people read it: «نوفمبر 2026».
func (h words) monthName(lang, month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return h.text.Text(lang, "month."+strconv.Itoa(int(t.Month())), nil) + " " + strconv.Itoa(t.Year())
}

// prevMonth is the month before month.
func prevMonth(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return ""
	}
	return t.AddDate(0, -1, 0).Format("2006-01")
}

// NextAssessment is when centre's self-assessment opens next after
// after: quality.assessment.day at .at, in the centre's zone.
func (h *Handler) NextAssessment(centre string, after time.Time) time.Time {
	loc := h.centreLoc(centre)
	q := h.quality()
	hour, minute := q.AssessAt()
	a := after.In(loc)
	for i := 0; ; i++ {
		at := time.Date(a.Year(), a.Month()+time.Month(i), q.Assessment.Day, hour, minute, 0, 0, loc)
		if at.After(after) {
			return at
		}
	}
}

// assessmentSlot is the latest opening at or before t.
func (h *Handler) assessmentSlot(centre string, t time.Time) time.Time {
	next := h.NextAssessment(centre, t)
	return h.NextAssessment(centre, next.AddDate(0, -2, 0))
}

// openMonth is the month whose self-assessment is the one to fill in at
// centre now: the month of the latest opening (with a late opening day,
// on the 2nd that is still last month's).
func (h *Handler) openMonth(centre string) string {
	return h.monthOf(centre, h.assessmentSlot(centre, h.now()))
}

// answerable reports whether a press may answer centre's month: the open
// month, or the one before while it is not done (late, but still owed).
func (h *Handler) answerable(centre, month string, a shakwa.Assessment) bool {
	open := h.openMonth(centre)
	return month == open || month == prevMonth(open) && !a.Opened.IsZero()
}

// ScheduleAssessments makes sure every centre has its self-assessment
// job when standards are configured: a job already there stays (it may
// be a reminder's). Every replica may run it at start.
func (h *Handler) ScheduleAssessments(ctx context.Context) error {
	if len(h.quality().Standards) == 0 {
		return nil
	}
	for _, ce := range h.cfg().Centres {
		_, ok, err := h.store.JobDue(ctx, JobAssess, ce.Code)
		if err == nil && !ok {
			err = h.store.ScheduleJob(ctx, JobAssess, ce.Code, h.NextAssessment(ce.Code, h.now()))
		}
		if err != nil {
			return fmt.Errorf("schedule assessments: %w", err)
		}
	}
	return nil
}

// runAssessment is a run of a centre's self-assessment job: at the
// opening it sends the checklist to the centre's supervisors; after
// remind_after, if not done, it reminds them; after escalate_after it
// tells the centre's managers. A done assessment waits for the next month.
// It returns when the job is due again.
func (h *Handler) runAssessment(ctx context.Context, w bot.Responder, centre string, due time.Time) (time.Time, error) {
	q := h.quality()
	if _, ok := h.cfg().Centre(centre); !ok || len(q.Standards) == 0 {
		return time.Time{}, nil // the centre or the programme is gone
	}
	at := h.now()
	if due.After(at) {
		at = due
	}
	open := h.assessmentSlot(centre, at)
	month := h.monthOf(centre, open)
	next := h.NextAssessment(centre, at)
	m, err := h.readMonth(ctx, centre, month)
	if err != nil {
		return time.Time{}, err
	}
	a := m.now
	if a.Done.IsZero() && !a.Opened.IsZero() {
		// Every standard answered, but the month not done: one was taken
		// out of the configuration before its answer.
		done, err := h.store.FinishAssessment(ctx, centre, month, at, shakwa.SystemActor, q.StandardCodes())
		if err != nil {
			return time.Time{}, err
		}
		if done {
			return next, nil
		}
	}
	if !a.Done.IsZero() {
		return next, nil
	}
	remind, escalate := open.Add(time.Duration(q.Assessment.RemindAfter)), open.Add(time.Duration(q.Assessment.EscalateAfter))
	switch {
	case a.Opened.IsZero():
		// The opening itself (on time, or late after downtime: then its
		// supervisors get the checklist now, and the steps that are
		// still ahead).
		if _, err := h.store.OpenAssessment(ctx, centre, month, at); err != nil {
			return time.Time{}, err
		}
		if err := h.toAssessors(ctx, w, m, "assess.opened"); err != nil {
			return time.Time{}, err
		}
		for _, step := range []time.Time{remind, escalate} {
			if at.Before(step) {
				return step, nil
			}
		}
		return next, nil
	case at.Before(remind):
		if _, err := h.store.OpenAssessment(ctx, centre, month, open); err != nil {
			return time.Time{}, err
		}
		if err := h.toAssessors(ctx, w, m, "assess.opened"); err != nil {
			return time.Time{}, err
		}
		return remind, nil
	case at.Before(escalate):
		if err := h.toAssessors(ctx, w, m, "assess.reminder"); err != nil {
			return time.Time{}, err
		}
		return escalate, nil
	}
	if err := h.escalateAssessment(ctx, w, centre, month, a); err != nil {
		return time.Time{}, err
	}
	return next, nil
}

// overseers are centre's supervisors and the managers who oversee it,
// of the configuration and who joined by invite: one read of the roster.
func (h *Handler) overseers(ctx context.Context, centre string) (supervisors, managers []config.Person, err error) {
	people, err := h.roster(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range people {
		switch {
		case p.Role == shakwa.RoleSupervisor && p.Serves(centre):
			supervisors = append(supervisors, p)
		case p.Role == shakwa.RoleManager && p.Serves(centre):
			managers = append(managers, p)
		}
	}
	return supervisors, managers, nil
}

// assesses reports whether the speaker is one who fills in centre's
// self-assessment (see assessors): its supervisor, or a manager of a
// centre that has none among people (the roster).
func assesses(c *conv, centre string, people []config.Person) bool {
	if c.supervises(centre) {
		return true
	}
	if c.person == nil || c.person.Role != shakwa.RoleManager || !c.person.Serves(centre) {
		return false
	}
	for _, p := range people {
		if p.Role == shakwa.RoleSupervisor && p.Serves(centre) {
			return false
		}
	}
	return true
}

// assessors are who fill in a centre's self-assessment: its supervisors,
// or its managers when it has none.
func assessors(supervisors, managers []config.Person) []config.Person {
	if len(supervisors) == 0 {
		return managers
	}
	return supervisors
}

// privateTo is a reply to p's private chat, in their language.
func (h *Handler) privateTo(ctx context.Context, p config.Person) (bot.Reply, error) {
	to := shakwa.Address{Channel: h.notify.staffChannel, Chat: staffID(p)}
	lang, err := h.notify.langOf(ctx, to, "")
	if err != nil {
		return bot.Reply{}, err
	}
	return bot.Reply{Channel: to.Channel, Chat: to.Chat, Lang: lang}, nil
}

// toAssessors sends each assessor of centre the message key and the next
// standard to answer.
func (h *Handler) toAssessors(ctx context.Context, w bot.Responder, m assessed, key string) error {
	a, centre, month := m.now, m.now.Centre, m.now.Month
	sup, man, err := h.overseers(ctx, centre)
	if err != nil {
		return err
	}
	people := assessors(sup, man)
	if len(people) == 0 {
		h.log.WarnContext(ctx, "self-assessment: nobody to send it to", "centre", centre)
		return nil
	}
	for _, p := range people {
		r, err := h.privateTo(ctx, p)
		if err != nil {
			return err
		}
		head := h.text.Text(r.Lang, key, map[string]any{"Centre": isolate(h.centreName(centre, r.Lang)),
			"Month": h.monthName(r.Lang, month), "Done": len(a.Answers), "Total": len(h.quality().Standards)})
		q := h.criterionReply(r.Lang, centre, month, a, m.last)
		r.Text, r.Buttons = head+"\n\n"+q.Text, q.Buttons
		w.Reply(r)
	}
	return nil
}

// escalateAssessment tells the centre's managers that its assessment is
// not done.
func (h *Handler) escalateAssessment(ctx context.Context, w bot.Responder, centre, month string, a shakwa.Assessment) error {
	sup, people, err := h.overseers(ctx, centre)
	if err != nil {
		return err
	}
	assigned := assessors(sup, people)
	names := make([]string, len(assigned))
	for i, p := range assigned {
		names[i] = isolate(p.Name)
	}
	for _, p := range people {
		r, err := h.privateTo(ctx, p)
		if err != nil {
			return err
		}
		r.Text = h.text.Text(r.Lang, "assess.escalated", map[string]any{"Centre": isolate(h.centreName(centre, r.Lang)),
			"Month": h.monthName(r.Lang, month), "Done": len(a.Answers), "Total": len(h.quality().Standards),
			"After": h.exactDuration(r.Lang, time.Duration(h.quality().Assessment.EscalateAfter)),
			"Names": strings.Join(names, h.text.Text(r.Lang, "stats.separator", nil))})
		w.Reply(r)
	}
	return nil
}

// checklist is the standards in the order asked: those not fully met last
// month first, then the rest in the configuration's order.
func (h words) checklist(last shakwa.Assessment) []config.Standard {
	var carried, rest []config.Standard
	for _, s := range h.quality().Standards {
		if a, ok := last.Answers[s.Code]; ok && a.Mark != shakwa.MarkMet {
			carried = append(carried, s)
		} else {
			rest = append(rest, s)
		}
	}
	return append(carried, rest...)
}

// criterionReply asks the first standard a has no answer to, or says the
// assessment is done. Text and buttons only: the caller addresses it.
func (h *Handler) criterionReply(lang, centre, month string, a shakwa.Assessment, last shakwa.Assessment) bot.Reply {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	list := h.checklist(last)
	for _, s := range list {
		if _, ok := a.Answers[s.Code]; ok {
			continue
		}
		text := t("assess.criterion", map[string]any{"N": len(a.Answers) + 1, "Total": len(list),
			"Priority": h.priorityName(s.Priority, lang), "Standard": s.Text.In(lang)})
		if was, ok := last.Answers[s.Code]; ok && was.Mark != shakwa.MarkMet {
			text += "\n\n" + t("assess.carried", map[string]any{"Mark": t("assess.mark."+was.Mark, nil),
				"Reason": was.Reason, "Owner": isolate(was.Owner)})
		}
		pfx := strings.Join([]string{verbAssess, "m", centre, month, s.Code}, ":") + ":"
		rows := [][]flows.Choice{
			{{Key: "assess.button.met", Data: pfx + shakwa.MarkMet}},
			{{Key: "assess.button.partly", Data: pfx + shakwa.MarkPartly}, {Key: "assess.button.unmet", Data: pfx + shakwa.MarkUnmet}},
			{{Key: "assess.button.later", Data: strings.Join([]string{verbAssess, "later", centre, month}, ":")}},
		}
		if prev, ok := lastAnswer(a); ok {
			rows = append(rows, []flows.Choice{{Key: "assess.button.undo",
				Data: strings.Join([]string{verbAssess, "undo", centre, month, prev.Criterion, strconv.FormatInt(prev.At.UnixMilli(), 36)}, ":")}})
		}
		return bot.Reply{Text: text, Buttons: h.renderButtons(lang, rows)}
	}
	return bot.Reply{Text: h.assessmentText(lang, a, true)}
}

// lastAnswer is the answer of a given last, which its checklist offers to
// take back.
func lastAnswer(a shakwa.Assessment) (shakwa.Answer, bool) {
	var last shakwa.Answer
	for _, ans := range a.Answers {
		if ans.At.After(last.At) || ans.At.Equal(last.At) && ans.Criterion > last.Criterion {
			last = ans
		}
	}
	return last, last.Criterion != ""
}

// assessPress answers the self-assessment's buttons.
func (h *Handler) assessPress(ctx context.Context, c *conv, arg string) {
	parts := strings.Split(arg, ":")
	if len(parts) < 3 {
		c.notice = c.t("error.stale_button", nil)
		return
	}
	action, centre, month := parts[0], parts[1], parts[2]
	if !h.mayAssess(c, centre) {
		c.fail(ctx, shakwa.ErrForbidden)
		return
	}
	m, err := h.readMonth(ctx, centre, month)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	a := m.now
	switch {
	case !a.Done.IsZero():
		c.inPlace = true
		c.Reply(c.reply(h.assessmentText(c.lang, a, true), nil))
	case !h.answerable(centre, month, a):
		c.notice = c.t("error.stale_button", nil) // a month not open: forged, or long past
	case action == "later":
		c.inPlace = true
		c.Reply(c.reply(c.t("assess.paused", map[string]any{"Done": len(a.Answers), "Total": len(h.quality().Standards)}),
			[][]flows.Choice{{{Key: "assess.button.go", Data: strings.Join([]string{verbAssess, "go", centre, month}, ":")}}}))
	case action == "go":
		c.inPlace = true
		h.showNext(c, m)
	case action == "m" && len(parts) == 5:
		h.answerCriterion(ctx, c, m, parts[3], parts[4])
	case action == "undo" && len(parts) == 5:
		h.withdrawAnswer(ctx, c, m, parts[3], parts[4])
	default:
		c.notice = c.t("error.stale_button", nil)
	}
}

// mayAssess reports whether the speaker fills in centre's
// self-assessment: a supervisor of it, or a manager overseeing it.
func (h *Handler) mayAssess(c *conv, centre string) bool {
	p := c.person
	return p != nil && (p.Role == shakwa.RoleSupervisor || p.Role == shakwa.RoleManager) && p.Serves(centre)
}

// assessed is a centre's month and the one before it, which the checklist
// shows the carried-over gaps of.
type assessed struct{ now, last shakwa.Assessment }

// readMonth reads centre's month and the one before, in one round trip.
func (h *Handler) readMonth(ctx context.Context, centre, month string) (assessed, error) {
	as, err := h.store.AssessmentMonths(ctx, centre, month, prevMonth(month))
	if err != nil {
		return assessed{}, err
	}
	return assessed{as[0], as[1]}, nil
}

// askCriterion shows the next standard of a's month to the speaker.
func (h *Handler) askCriterion(ctx context.Context, c *conv, a shakwa.Assessment) {
	as, err := h.store.AssessmentMonths(ctx, a.Centre, prevMonth(a.Month))
	if err != nil {
		c.fail(ctx, err)
		return
	}
	h.showNext(c, assessed{a, as[0]})
}

// showNext shows the next standard of m's month to the speaker.
func (h *Handler) showNext(c *conv, m assessed) {
	r := h.criterionReply(c.lang, m.now.Centre, m.now.Month, m.now, m.last)
	r.Channel, r.Chat = c.m.Channel, c.m.Chat
	c.Reply(r)
}

// answerCriterion keeps a mark: met at once; partly or not met once the
// speaker has said why and who follows it up (the gap flow).
func (h *Handler) answerCriterion(ctx context.Context, c *conv, m assessed, code, mark string) {
	centre, month := m.now.Centre, m.now.Month
	if _, ok := h.quality().Standard(code); !ok || (mark != shakwa.MarkMet && mark != shakwa.MarkPartly && mark != shakwa.MarkUnmet) {
		c.notice = c.t("error.stale_button", nil)
		return
	}
	if mark != shakwa.MarkMet {
		res := flows.StartGap(code, mark, h.now(), h.catalogFor(c))
		res.Session.Centre, res.Session.Day = centre, month
		c.notice = c.t("assess.mark."+mark, nil)
		h.apply(ctx, c, res)
		return
	}
	c.inPlace = true
	h.keepAnswer(ctx, c, m, shakwa.Answer{Criterion: code, Mark: mark})
}

// withdrawAnswer takes the month's last answer, on standard code and given
// at at (base 36 ms), back and asks it again: the press of a mis-tapped
// answer's undo. An answer given since, the same standard's answered anew
// included (the button is old), is not taken back.
func (h *Handler) withdrawAnswer(ctx context.Context, c *conv, m assessed, code, at string) {
	if last, ok := lastAnswer(m.now); !ok || last.Criterion != code || strconv.FormatInt(last.At.UnixMilli(), 36) != at {
		c.notice = c.t("error.stale_button", nil)
		return
	}
	taken, err := h.store.WithdrawAnswer(ctx, m.now.Centre, m.now.Month, code)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.inPlace = true
	if !taken {
		// Done meanwhile (the last standard answered elsewhere): it
		// stands, as it is now.
		if m, err = h.readMonth(ctx, m.now.Centre, m.now.Month); err != nil {
			c.fail(ctx, err)
			return
		}
		c.Reply(c.reply(h.assessmentText(c.lang, m.now, true), nil))
		return
	}
	delete(m.now.Answers, code)
	c.notice = c.t("assess.undone", nil)
	h.showNext(c, m)
}

// keepAnswer stores an answer in m's month, read just before, and shows
// what comes next: the next standard, or the result when it was the last.
func (h *Handler) keepAnswer(ctx context.Context, c *conv, m assessed, ans shakwa.Answer) {
	centre, month := m.now.Centre, m.now.Month
	s, _ := h.quality().Standard(ans.Criterion)
	ans.Priority, ans.Weight, ans.By, ans.At = s.Priority, s.Weight, c.m.From.ID, h.now()
	ans.PriorityWeight = h.priorityWeights()[s.Priority]
	stored, done, err := h.store.AnswerAssessment(ctx, centre, month, ans, h.quality().StandardCodes())
	if err != nil {
		c.fail(ctx, err)
		return
	}
	a := m.now
	switch {
	case stored:
		// What the script changed, without reading it back.
		a.Answers[ans.Criterion] = ans
		if done {
			a.Done, a.DoneBy = ans.At, ans.By
		}
	default:
		// Answered by someone else meanwhile: what stands is theirs.
		c.notice = c.t("assess.answered_before", nil)
		if m, err = h.readMonth(ctx, centre, month); err != nil {
			c.fail(ctx, err)
			return
		}
		a = m.now
	}
	if done {
		c.Reply(c.reply(c.t("assess.done", map[string]any{"Centre": isolate(h.centreName(centre, c.lang)),
			"Month": h.monthName(c.lang, month)})+"\n\n"+h.assessmentText(c.lang, a, false), nil))
		return
	}
	h.showNext(c, assessed{a, m.last})
}

// gapDone keeps what the gap flow gathered.
func (h *Handler) gapDone(ctx context.Context, c *conv, s *flows.Submission) {
	if !h.mayAssess(c, s.Centre) {
		c.fail(ctx, shakwa.ErrForbidden)
		return
	}
	c.notice = ""
	m, err := h.readMonth(ctx, s.Centre, s.Day)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	h.keepAnswer(ctx, c, m, shakwa.Answer{Criterion: s.Criterion, Mark: s.Reason, Reason: s.Text, Owner: s.Staff})
}

// assessmentShare is a's share met, and whether it has answers.
func (h words) assessmentShare(a shakwa.Assessment) (float64, bool) {
	return stats.AssessmentShare(a.Answers, h.priorityWeights())
}

// wholePercent renders a share 0..1 as a whole percentage.
func (h words) wholePercent(lang string, v float64) string {
	n := shown(math.Round(v*100), 100, v < 1, v > 0)
	return h.text.Text(lang, "stats.percent", map[string]any{"N": strconv.Itoa(int(n))})
}

// assessmentText is one centre's month: its share met, by priority, and
// what is not met with why and who follows it up.
func (h words) assessmentText(lang string, a shakwa.Assessment, head bool) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	var lines []string
	if head {
		lines = append(lines, t("assess.title", map[string]any{"Centre": isolate(h.centreName(a.Centre, lang)),
			"Month": h.monthName(lang, a.Month)}))
	}
	share, ok := h.assessmentShare(a)
	switch {
	case a.Opened.IsZero() && !ok:
		return strings.Join(append(lines, t("assess.none", nil)), "\n")
	case a.Done.IsZero():
		lines = append(lines, t("assess.progress", map[string]any{"Done": len(a.Answers), "Total": len(h.quality().Standards)}))
	default:
		lines = append(lines, t("assess.score", map[string]any{"P": h.wholePercent(lang, share), "At": h.localTime(a.Done)}))
	}
	if !ok {
		return strings.Join(lines, "\n")
	}
	byP := stats.PriorityShares(a.Answers)
	var ps []string
	for _, p := range h.quality().Priorities {
		if v, ok := byP[p.Code]; ok {
			ps = append(ps, t("assess.priority", map[string]any{"Name": p.Name.In(lang), "P": h.wholePercent(lang, v)}))
		}
	}
	lines = append(lines, strings.Join(ps, t("stats.separator", nil)))
	var gaps []string
	for _, s := range h.quality().Standards {
		if ans, ok := a.Answers[s.Code]; ok && ans.Mark != shakwa.MarkMet {
			gaps = append(gaps, t("assess.gap", map[string]any{"Icon": t("assess.icon."+ans.Mark, nil),
				"Standard": s.Text.In(lang), "Reason": ans.Reason, "Owner": isolate(ans.Owner)}))
		}
	}
	if len(gaps) > 0 {
		lines = append(lines, "", t("assess.gaps", map[string]any{"Count": len(gaps)}))
		lines = append(lines, gaps...)
	}
	return strings.Join(lines, "\n")
}

// assessmentCommand answers /assessment [month] [centre]: a supervisor
// with the month open goes on with the checklist; otherwise the month's
// result of one centre, or, for several, every centre's score and the
// standards most often not met.
func (h *Handler) assessmentCommand(ctx context.Context, c *conv, args string) {
	centres := h.scope(c.person)
	switch {
	case len(centres) == 0:
		c.say("assess.forbidden", nil)
		return
	case len(h.quality().Standards) == 0:
		c.say("assess.off", nil)
		return
	}
	if args == "" && h.goOn(ctx, c, centres) {
		return
	}
	month, centre, ok := h.readMonthCentre(args, centres[0])
	if !ok {
		c.say("assess.usage", nil)
		return
	}
	if centres, ok = within(c, centres, centre); !ok {
		return
	}
	as, err := h.store.Assessments(ctx, centres, month)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if len(as) == 1 {
		a := as[0]
		current := month == h.openMonth(a.Centre)
		people, err := h.roster(ctx)
		if err != nil {
			c.fail(ctx, err)
			return
		}
		if current && a.Done.IsZero() && assesses(c, a.Centre, people) {
			h.goOnWith(ctx, c, a) // their own month to fill in
			return
		}
		c.Reply(c.reply(h.assessmentText(c.lang, a, true), nil))
		return
	}
	c.Reply(c.reply(h.assessmentsText(c.lang, month, as), nil))
}

// goOn continues the checklist of the first of centres the speaker
// supervises whose month is not done, opening it if need be; false when
// there is none (or reading failed, which the person has been told).
func (h *Handler) goOn(ctx context.Context, c *conv, centres []string) bool {
	people, err := h.roster(ctx)
	if err != nil {
		c.fail(ctx, err)
		return true
	}
	var mine []string
	for _, ce := range centres {
		if assesses(c, ce, people) {
			mine = append(mine, ce)
		}
	}
	if len(mine) == 0 {
		return false
	}
	month := h.openMonth(mine[0])
	as, err := h.store.Assessments(ctx, mine, month)
	if err != nil {
		c.fail(ctx, err)
		return true
	}
	for _, a := range as {
		if a.Done.IsZero() {
			h.goOnWith(ctx, c, a)
			return true
		}
	}
	return false
}

// goOnWith shows where a stands and asks its next standard, opening it if
// it was not (the service started mid-month).
func (h *Handler) goOnWith(ctx context.Context, c *conv, a shakwa.Assessment) {
	if _, err := h.store.OpenAssessment(ctx, a.Centre, a.Month, h.now()); err != nil {
		c.fail(ctx, err)
		return
	}
	if a.Opened.IsZero() {
		a.Opened = h.now()
	}
	done, err := h.store.FinishAssessment(ctx, a.Centre, a.Month, h.now(), c.m.From.ID, h.quality().StandardCodes())
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if done {
		// Nothing left to ask: the standards changed since the last answer.
		a.Done, a.DoneBy = h.now(), c.m.From.ID
	}
	c.Reply(c.reply(h.assessmentText(c.lang, a, true), nil))
	if !done {
		h.askCriterion(ctx, c, a)
	}
}

// readMonthCentre reads /assessment's words: a month (2026-11, 11/2026,
// «الماضي», "last"; default this month at centre) and a centre code.
func (h *Handler) readMonthCentre(args, centre string) (month, code string, ok bool) {
	month = h.openMonth(centre)
	for _, w := range strings.Fields(args) {
		d := strings.ToLower(locales.Digits(w))
		switch {
		case d == "last" || d == "الماضي" || d == "السابق":
			month = prevMonth(h.openMonth(centre))
		case d == "this" || d == "الحالي":
		default:
			if t, err := time.Parse("2006-01", d); err == nil {
				month = t.Format("2006-01")
			} else if t, err := time.Parse("1/2006", d); err == nil {
				month = t.Format("2006-01")
			} else if _, found := h.cfg().Centre(strings.ToUpper(w)); found && code == "" {
				code = strings.ToUpper(w)
			} else {
				return "", "", false
			}
		}
	}
	return month, code, true
}

// mostUnmet is how many standards the overview names as most often not
// (fully) met.
const mostUnmet = 5

// assessmentsText is every centre's score for month, best first, those
// not done marked, and the standards most often not met.
func (h words) assessmentsText(lang, month string, as []shakwa.Assessment) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	type row struct {
		code  string
		share float64
		done  bool
	}
	var rows []row
	var missing []string
	gaps := map[string]int{}
	for _, a := range as {
		for code, ans := range a.Answers {
			if ans.Mark != shakwa.MarkMet {
				gaps[code]++
			}
		}
		if a.Done.IsZero() {
			missing = append(missing, isolate(h.centreName(a.Centre, lang)))
			continue
		}
		share, _ := h.assessmentShare(a)
		rows = append(rows, row{a.Centre, share, true})
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := cmp.Compare(b.share, a.share); c != 0 {
			return c
		}
		return cmp.Compare(a.code, b.code)
	})
	lines := []string{t("assess.overview", map[string]any{"Month": h.monthName(lang, month), "Done": len(rows), "Total": len(as)})}
	for i, r := range rows {
		lines = append(lines, t("assess.row", map[string]any{"Place": i + 1, "Name": isolate(h.centreName(r.code, lang)),
			"P": h.wholePercent(lang, r.share)}))
	}
	if len(missing) > 0 {
		lines = append(lines, "", t("assess.missing", map[string]any{"Count": len(missing),
			"List": strings.Join(missing, t("stats.separator", nil))}))
	}
	type gap struct {
		code string
		n    int
	}
	var gs []gap
	for code, n := range gaps {
		gs = append(gs, gap{code, n})
	}
	slices.SortFunc(gs, func(a, b gap) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.code, b.code)
	})
	if len(gs) > 0 {
		lines = append(lines, "", t("assess.most_unmet", nil))
		for _, g := range gs[:min(len(gs), mostUnmet)] {
			// A standard removed from the configuration since keeps
			// its answers: named as removed, with its code.
			text := t("assess.removed_standard", map[string]any{"Code": isolate(g.code)})
			if s, ok := h.quality().Standard(g.code); ok {
				text = s.Text.In(lang)
			}
			lines = append(lines, t("assess.unmet_row", map[string]any{"Standard": text, "Count": g.n}))
		}
	}
	return strings.Join(lines, "\n")
}
