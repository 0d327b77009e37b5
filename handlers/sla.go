package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/flows"
)

// SLA job kinds.
const (
	// JobSLA is a ticket's next SLA step: the reminder before a deadline,
	// a rung of the escalation ladder after it. Keyed by ticket id,
	// scheduled at the step's time whenever the ticket is filed or
	// changes hands; each run has the job due again at the step after it.
	JobSLA = "sla"
	// JobOverdue sends a supervisor or manager one summary of what is
	// overdue in their centres, in place of steps that came due while
	// nobody could send them (the service was down). Keyed by Telegram id.
	JobOverdue = "overdue"
)

// slaGrace is how late a step may run and still be sent as itself; later
// steps go into the person's summary.
const slaGrace = 15 * time.Minute

// slaStep is one step of a ticket's SLA: the reminder (rung -1) or a rung
// of the ladder, for its claim or its resolution.
type slaStep struct {
	at      time.Time
	resolve bool
	rung    int
}

// slaSteps are t's steps as it stands, in time order: for its claim
// while it is new, for its resolution while staff hold it, none once it
// is closed. They count from slaStart.
func (h *Handler) slaSteps(t *shakwa.Ticket) []slaStep {
	sla := h.model.Target(t.Centre, t.Category)
	target, resolve := sla.Claim, false
	switch {
	case t.Status == shakwa.StatusNew:
	case working(t.Status):
		target, resolve = sla.Resolve, true
	default:
		return nil
	}
	if target <= 0 {
		return nil
	}
	start := slaStart(t)
	due := sla.Clock.Add(start, target)
	var out []slaStep
	if r := h.cfg().Escalation.RemindAt; r > 0 {
		out = append(out, slaStep{sla.Clock.Add(start, target*time.Duration(r)/100), resolve, -1})
	}
	for i, st := range h.cfg().Escalation.Ladder {
		at := due
		if st.After > 0 {
			at = sla.Clock.Add(due, time.Duration(st.After))
		}
		out = append(out, slaStep{at, resolve, i})
	}
	slices.SortStableFunc(out, func(a, b slaStep) int { return a.at.Compare(b.at) })
	return out
}

// slaStart is when t's deadlines count from: its filing, or the latest
// time its citizen put it back to work (a reopen, an amendment), which
// gives staff the whole target again. The centre's figures measure the
// first handling, from the filing, whatever came after.
func slaStart(t *shakwa.Ticket) time.Time {
	start := t.Created
	for _, at := range []time.Time{t.Reopened, t.Amended} {
		if at.After(start) {
			start = at
		}
	}
	return start
}

// scheduleSLA sets t's SLA job as it now stands, when it changed hands
// (filed, claimed, released, given, transferred, reopened): at its next
// step; or, with retell, at once when a rung of the ladder is already past
// (a ticket back in a queue, or in another centre's, after its deadline;
// a claim after the resolution's), so that whoever now answers for it
// hears it is late. A ticket given from one staff member to another
// (reassigned) is not retold: its ladder's people are who gave it, or
// heard already, and its new holder's copy says how late it is.
func (h *Handler) scheduleSLA(ctx context.Context, c *conv, t *shakwa.Ticket, retell bool) {
	now := h.now()
	var at time.Time
	for _, st := range h.slaSteps(t) {
		if !st.at.After(now) && st.rung >= 0 && retell {
			at = now
			break
		}
		if st.at.After(now) {
			at = st.at
			break
		}
	}
	if at.IsZero() {
		return
	}
	if err := h.store.ScheduleJob(ctx, JobSLA, t.ID, at); err != nil {
		c.fail(ctx, fmt.Errorf("schedule the SLA steps: %w", err))
	}
}

// slaDue is which of steps a run of the SLA job due at due takes, and
// when the one after it is due (zero: none). A run takes the steps due
// then (two rungs may share a time); a run that matches none was set when
// the ticket changed hands past a rung, and takes the latest rung passed.
func slaDue(steps []slaStep, due time.Time) (take []slaStep, next time.Time) {
	var passed []slaStep
	for _, st := range steps {
		switch d := st.at.Sub(due); {
		case d <= -time.Second:
			if st.rung >= 0 {
				passed = []slaStep{st}
			}
		case d < time.Second:
			take = append(take, st)
		case next.IsZero():
			next = st.at
		}
	}
	if len(take) == 0 {
		take = passed
	}
	return take, next
}

// runSLA takes the steps of ticket id that the run due at due has, if the
// ticket still has them (claimed, resolved or closed meanwhile: it has
// not), and returns when its next step is due. A step that runs much
// later than due (the service was down) is not sent on its own: its
// people get one summary.
func (h *Handler) runSLA(ctx context.Context, w bot.Responder, id string, due time.Time) (time.Time, error) {
	t, err := h.store.Ticket(ctx, id)
	if errors.Is(err, shakwa.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	take, next := slaDue(h.slaSteps(t), due)
	late := h.now().Sub(due) > slaGrace
	rungs := false
	for _, st := range take {
		if err := h.slaStepRun(ctx, w, t, st, late); err != nil {
			return time.Time{}, err
		}
		rungs = rungs || st.rung >= 0
	}
	if rungs && !late {
		h.notify.EditCard(w, t, cardKey(t), nil) // it says how late, now
	}
	return next, nil
}

// slaStepRun takes one step of t.
func (h *Handler) slaStepRun(ctx context.Context, w bot.Responder, t *shakwa.Ticket, st slaStep, late bool) error {
	if st.rung < 0 {
		if late {
			return nil // a reminder is no use once the deadline is near or past
		}
		return h.remind(ctx, w, t, st)
	}
	if h.breached != nil {
		h.breached(t.Centre, st.rung+1)
	}
	people, err := h.ladder(ctx, t.Centre, h.cfg().Escalation.Ladder[st.rung].To)
	if err != nil {
		return err
	}
	if late {
		for _, p := range people {
			if err := h.store.ScheduleJob(ctx, JobOverdue, strconv.FormatInt(p.Telegram, 10), h.now().Add(time.Minute)); err != nil {
				return err
			}
		}
		return nil
	}
	together, err := h.stepTogether(ctx, w, t, st)
	if err != nil || len(together) == 0 {
		return err // none: said with another ticket's
	}
	for _, p := range people {
		if len(together) == 1 {
			err = h.escalate(ctx, w, t, st, p)
		} else {
			err = h.escalateMany(ctx, w, together, st, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stepTogether takes step st of t, with the same step of the other
// tickets of its centre (its queue for a claim's, those held for a
// resolution's) due within remindTogether and not taken yet: what one
// message says, t first. It returns none when another ticket's run took
// t's step already; a run tried again finds what it took as its own. A
// step is named with its ticket's last change, so that the same rung told
// again after the ticket changed hands (released, transferred) is a step
// of its own. What it takes is given back when w's replies are dropped:
// a run tried again may no longer have t's step (claimed meanwhile), and
// the others' own runs then say theirs.
func (h *Handler) stepTogether(ctx context.Context, w bot.Responder, t *shakwa.Ticket, st slaStep) ([]*shakwa.Ticket, error) {
	name := func(tk *shakwa.Ticket, at time.Time) string {
		return "sla:" + tk.ID + "@" + strconv.FormatInt(at.UnixMilli(), 10) + ":" + strconv.Itoa(st.rung) +
			"/" + strconv.FormatInt(tk.Updated.UnixMilli(), 10)
	}
	owner := name(t, st.at)
	var taken []string
	w.Undo(func(ctx context.Context) {
		if err := h.store.Untake(ctx, owner, taken...); err != nil {
			h.log.WarnContext(ctx, "give back SLA steps", "err", err)
		}
	})
	take := func(tk *shakwa.Ticket, at time.Time) (bool, error) {
		n := name(tk, at)
		who, err := h.store.Take(ctx, n, owner, remindKept)
		if who == owner {
			taken = append(taken, n)
		}
		return who == owner, err
	}
	if mine, err := take(t, st.at); err != nil || !mine {
		return nil, err
	}
	together := []*shakwa.Ticket{t}
	var others []*shakwa.Ticket
	var err error
	if st.resolve {
		others, err = h.store.OpenTickets(ctx, t.Centre, togetherRead)
	} else {
		others, err = h.store.NewestInQueue(ctx, t.Centre, togetherRead)
	}
	if err != nil {
		return nil, err
	}
	now := h.now()
	for _, o := range others {
		if len(together) == remindMost {
			break
		}
		if o.ID == t.ID {
			continue
		}
		for _, s := range h.slaSteps(o) {
			if s.rung != st.rung || s.resolve != st.resolve || s.at.After(now.Add(remindTogether)) || now.Sub(s.at) > slaGrace {
				continue
			}
			if ok, err := take(o, s.at); err != nil {
				return nil, err
			} else if ok {
				together = append(together, o)
			}
		}
	}
	return together, nil
}

// cardKey is the card message of an open ticket.
func cardKey(t *shakwa.Ticket) string {
	if t.Status == shakwa.StatusNew {
		return "card.new"
	}
	return "card.claimed"
}

// ladder are the people a rung tells about a ticket of centre: its
// supervisors, or the managers who oversee it.
func (h *Handler) ladder(ctx context.Context, centre, to string) ([]config.Person, error) {
	role := shakwa.RoleSupervisor
	if to == config.ToManagers {
		role = shakwa.RoleManager
	}
	people, err := h.roster(ctx)
	if err != nil {
		return nil, err
	}
	var out []config.Person
	for _, p := range people {
		if p.Role == role && p.Serves(centre) {
			out = append(out, p)
		}
	}
	return out, nil
}

// remind tells whoever must act before the deadline: the centre's group
// while nobody holds the ticket, else its holder.
func (h *Handler) remind(ctx context.Context, w bot.Responder, t *shakwa.Ticket, st slaStep) error {
	if !st.resolve {
		return h.remindGroup(ctx, w, t, st)
	}
	return h.notify.Holder(ctx, w, t, "sla.remind_resolve", nil)
}

// escalateMany tells p, privately and in their language, that the tickets
// ts of one centre are past the deadline of step st, in one message with a
// button to open each.
func (h *Handler) escalateMany(ctx context.Context, w bot.Responder, ts []*shakwa.Ticket, st slaStep, p config.Person) error {
	to := h.notify.staffAddress(strconv.FormatInt(p.Telegram, 10))
	lang, err := h.notify.langOf(ctx, to, "")
	if err != nil {
		return err
	}
	head, line := "sla.late_claim_many", "sla.late_claim_line"
	if st.resolve {
		head, line = "sla.late_resolve_many", "sla.late_resolve_line"
	}
	first := h.ticketData(lang, ts[0])
	text, buttons := h.manyTickets(lang, h.text.Text(lang, head, map[string]any{"Count": len(ts), "Centre": first["Centre"]}),
		line, "button.show_one", "show:", ts)
	w.Reply(bot.Reply{Channel: to.Channel, Chat: to.Chat, Lang: lang, Text: text, Buttons: buttons})
	return nil
}

// manyTickets is one message in lang naming the tickets ts: head, then
// the line message of each, with a button labelled by the button message
// whose data is action and the ticket's id.
func (h *Handler) manyTickets(lang, head, line, button, action string, ts []*shakwa.Ticket) (string, [][]bot.Button) {
	lines := []string{head}
	var buttons [][]bot.Button
	for _, t := range ts {
		d := h.ticketData(lang, t)
		lines = append(lines, h.text.Text(lang, line, d))
		buttons = append(buttons, []bot.Button{{Label: h.text.Text(lang, button, d), Data: action + t.ID}})
	}
	return strings.Join(lines, "\n"), buttons
}

// Reminders due close together go to a centre's group as one message:
// tickets filed overnight all count from the opening, and would otherwise
// each have their reminder at the same minute.
const (
	remindTogether = time.Minute // how much sooner than its own a reminder is said with another's
	remindMost     = 10          // tickets one reminder names at most
	remindKept     = 48 * time.Hour
	// togetherRead is how many of a centre's tickets a step looks at for
	// others due with it: the newest of its queue (those filed overnight
	// are, and an old backlog is not due now), the oldest held.
	togetherRead = 100
)

// remindGroup reminds the centre's group that t is not claimed yet, with
// the other tickets of its queue whose reminders are due within
// remindTogether and not said yet: one message, a claim button each. A
// ticket whose reminder another's said already is not reminded again; a
// run tried again finds what it took as its own.
func (h *Handler) remindGroup(ctx context.Context, w bot.Responder, t *shakwa.Ticket, st slaStep) error {
	chat, ok := h.notify.groupChat(t.Centre)
	if !ok {
		return nil
	}
	together, err := h.stepTogether(ctx, w, t, st)
	if err != nil || len(together) == 0 {
		return err // none: said with another ticket's
	}
	lang := h.notify.groupLang(t.Centre)
	if len(together) == 1 {
		w.Reply(bot.Reply{Channel: h.notify.staffChannel, Chat: chat, Lang: lang,
			Text:    h.text.Text(lang, "sla.remind_claim", h.ticketData(lang, t)),
			Buttons: h.claimRow(lang, t.ID)})
		return nil
	}
	text, buttons := h.manyTickets(lang, h.text.Text(lang, "sla.remind_claim_many", map[string]any{"Count": len(together)}),
		"sla.remind_claim_line", "button.claim_one", "claim:", together)
	w.Reply(bot.Reply{Channel: h.notify.staffChannel, Chat: chat, Lang: lang, Text: text, Buttons: buttons})
	return nil
}

// escalate tells p, privately and in their language, that t is past its
// deadline: how long, how old it is, who holds it, with a button to open
// it.
func (h *Handler) escalate(ctx context.Context, w bot.Responder, t *shakwa.Ticket, st slaStep, p config.Person) error {
	key := "sla.late_claim"
	if st.resolve {
		key = "sla.late_resolve"
	}
	return h.notify.Staff(ctx, w, strconv.FormatInt(p.Telegram, 10), t, key, nil, showChoice(t.ID))
}

// showChoice is the button that shows ticket id to staff who oversee it.
func showChoice(id string) []flows.Choice {
	return []flows.Choice{{Key: "button.show", Data: "show:" + id}}
}

// overdueItem is an open ticket near or past its deadline.
type overdueItem struct {
	t   *shakwa.Ticket
	due time.Time
}

// overdue are the open tickets of centres past their deadline, or past
// their reminder, the latest first.
func (h *Handler) overdue(ctx context.Context, centres []string) ([]overdueItem, error) {
	var ts []*shakwa.Ticket
	for _, c := range centres {
		// Every open ticket, also those of a holder who has left.
		open, err := h.store.OpenTickets(ctx, c, overdueRead)
		if err != nil {
			return nil, err
		}
		ts = append(ts, open...)
	}
	var out []overdueItem
	for _, t := range ts {
		steps := h.slaSteps(t)
		if len(steps) == 0 || steps[0].at.After(h.now()) {
			continue
		}
		claim, resolve := h.model.Deadlines(t.Centre, t.Category, slaStart(t))
		due := claim
		if working(t.Status) {
			due = resolve
		}
		out = append(out, overdueItem{t, due})
	}
	slices.SortFunc(out, func(a, b overdueItem) int { return cmp.Or(a.due.Compare(b.due), strings.Compare(a.t.ID, b.t.ID)) })
	return out, nil
}

// overdueText lists items for a reader in lang, at most max lines.
func (h *Handler) overdueText(lang string, items []overdueItem, max int) string {
	if len(items) == 0 {
		return h.text.Text(lang, "overdue.none", nil)
	}
	lines := []string{h.text.Text(lang, "overdue.head", map[string]any{"Count": len(items)})}
	for i, it := range items {
		if i == max {
			lines = append(lines, h.text.Text(lang, "overdue.more", map[string]any{"Count": len(items) - max}))
			break
		}
		data := h.ticketData(lang, it.t)
		data["Centre"] = it.t.Centre
		lines = append(lines, h.text.Text(lang, "overdue.line", data))
	}
	return strings.Join(lines, "\n")
}

// overdueCommand is /overdue: a supervisor's or manager's open tickets
// near or past their deadline, the latest first.
func (h *Handler) overdueCommand(ctx context.Context, c *conv) {
	centres, ok := h.overseen(c)
	if !ok {
		h.help(c)
		return
	}
	items, err := h.overdue(ctx, centres)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.Reply(c.reply(h.overdueText(c.lang, items, overdueMax), nil))
}

// overdueRead is how many of a centre's open tickets, the oldest, an
// overdue list looks at: the late are among them.
const overdueRead = 1000

// overdueMax is how many tickets one overdue list names.
const overdueMax = 20

// overseen are the centres a supervisor or manager answers for.
func (h *Handler) overseen(c *conv) ([]string, bool) {
	if !c.oversees() {
		return nil, false
	}
	return h.servedBy(*c.person), true
}

// sendOverdue is JobOverdue: one summary for the person keyed, when
// something is overdue in their centres.
func (h *Handler) sendOverdue(ctx context.Context, w bot.Responder, key string) error {
	uid, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return nil // not a person: nothing to send
	}
	p, ok, err := h.person(ctx, uid)
	if err != nil {
		return err
	}
	if !ok || p.Role == shakwa.RoleStaff {
		return nil
	}
	items, err := h.overdue(ctx, h.servedBy(p))
	if err != nil || len(items) == 0 {
		return err
	}
	to := h.notify.staffAddress(key)
	lang, err := h.notify.langOf(ctx, to, "")
	if err != nil {
		return err
	}
	w.Reply(bot.Reply{Channel: to.Channel, Chat: to.Chat, Lang: lang, Text: h.overdueText(lang, items, overdueMax)})
	return nil
}

// showTicket sends ticket id whole to a staff member of its centre, or a
// supervisor or manager who oversees it: the button under an escalation.
func (h *Handler) showTicket(ctx context.Context, c *conv, id string) {
	t, err := h.store.Ticket(ctx, id)
	switch {
	case err != nil:
		c.fail(ctx, err)
	case c.person == nil || !c.person.Serves(t.Centre):
		c.fail(ctx, shakwa.ErrForbidden)
	default:
		h.staffView(ctx, c, t)
	}
}
