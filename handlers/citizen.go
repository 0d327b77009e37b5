package handlers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
)

// refTicket is the Ref prefix of messages about a ticket in a private chat:
// a reply to such a message is about that ticket.
const refTicket = "ticket:"

// button handles buttons that mean the same whatever flow is running.
// It reports whether it handled the press.
func (h *Handler) button(ctx context.Context, c *conv) bool {
	verb, arg, _ := strings.Cut(c.m.Button, ":")
	// The main menu's question, and the language one, make way for what
	// was chosen; the receipt's way home does not: it holds the number.
	c.inPlace = c.m.Button != menuHome && (strings.HasPrefix(c.m.Button, "menu:") || verb == "lang")
	switch c.m.Button {
	case menuComplaint, menuFeedback, menuThanks:
		h.tellDropped(ctx, c)
		h.startFlow(ctx, c, strings.TrimPrefix(c.m.Button, "menu:"), "")
		return true
	case menuFollow:
		h.tellDropped(ctx, c)
		if h.endSession(ctx, c) {
			h.myTickets(ctx, c)
		}
		return true
	case menuLang:
		h.askLang(c)
		return true
	case menuHome:
		h.tellDropped(ctx, c)
		if h.endSession(ctx, c) {
			h.menu(c, "")
		}
		return true
	}
	switch verb {
	case "lang":
		h.setLang(ctx, c, arg)
	case "view":
		h.withOwn(ctx, c, arg, func(t *shakwa.Ticket) { h.show(c, t) })
	case "info":
		h.tellDropped(ctx, c)
		h.startInfo(ctx, c, arg)
	case "rate":
		id, stars, _ := strings.Cut(arg, ":")
		h.rate(ctx, c, id, stars)
	case "reopen":
		h.reopen(ctx, c, arg)
	case "amend":
		h.startAmend(ctx, c, arg)
	case "dup":
		h.duplicate(ctx, c, arg)
	case "withdraw":
		h.askWithdraw(ctx, c, arg)
	case "withdrawn":
		h.withdraw(ctx, c, arg)
	case "forget":
		h.forget(ctx, c)
	default:
		return h.staffButton(ctx, c, verb, arg)
	}
	return true
}

// tellDropped tells the citizen, when a press on an older message (the
// menu, a ticket's buttons) is about to end what they were writing, that
// it was not sent: a complaint, feedback or information with something
// in it already. Unread, the press goes on all the same.
func (h *Handler) tellDropped(ctx context.Context, c *conv) {
	st, _, err := h.readSession(ctx, c.id)
	if err != nil || st.Expired || !st.Active() {
		return
	}
	s := st.Session
	if s.Text != "" || len(s.Files) > 0 || s.Stars > 0 || s.Centre != "" {
		c.say("flow.dropped", nil)
	}
}

func (h *Handler) setLang(ctx context.Context, c *conv, lang string) {
	if lang != "ar" && lang != "en" {
		c.fail(ctx, shakwa.ErrInvalid)
		return
	}
	if err := h.store.SetLang(ctx, c.who, lang, h.now()); err != nil {
		c.fail(ctx, fmt.Errorf("set lang: %w", err))
		return
	}
	c.lang = lang
	// The menu it shows starts over, as /start does: a flow left running
	// would take the next words for answers to a question no longer on
	// the screen, and expire in the language it began in.
	if h.endSession(ctx, c) {
		h.menu(c, "lang.set")
	}
}

// submit stores what a completed flow gathered.
func (h *Handler) submit(ctx context.Context, c *conv, s *flows.Submission) {
	switch s.Flow {
	case flows.Complaint:
		h.fileComplaint(ctx, c, s)
	case flows.Feedback, flows.Thanks:
		h.giveFeedback(ctx, c, s)
	case flows.Info:
		h.addInfo(ctx, c, s.Ticket, s.Text, s.Files)
	case flows.Resolve:
		h.resolve(ctx, c, s.Ticket, s.Text)
	case flows.Transfer:
		h.transfer(ctx, c, s.Ticket, s.Centre)
	case flows.Reject:
		h.reject(ctx, c, s.Ticket, s.Reason, s.Text)
	case flows.Amend:
		h.amend(ctx, c, s.Ticket, s.Text, s.Files)
	case flows.Gap:
		h.gapDone(ctx, c, s)
	case flows.Visit:
		h.fileVisit(ctx, c, s)
	}
}

// fileComplaint files the ticket. The ticket number is reserved for the
// update in the same step that takes it: if the update comes again (we
// stopped before its replies were queued), it files nothing new and gets
// the same ticket.
func (h *Handler) fileComplaint(ctx context.Context, c *conv, s *flows.Submission) {
	if h.holdComplaint(ctx, c, s) {
		return
	}
	now := h.now()
	t := &shakwa.Ticket{
		Centre: s.Centre, Category: s.Category, Text: s.Text, Phone: s.Phone,
		Lang: c.lang, Created: now, Updated: now,
	}
	t.Attachments = attachments(s.Files)
	if err := h.store.CreateTicket(ctx, t, c.who, filedKey(c.m)); err != nil {
		c.fail(ctx, fmt.Errorf("create ticket: %w", err))
		return
	}
	// Remember which update filed it: if we stop after the session ends but
	// before the replies are queued, the update comes again with no session
	// to finish, and finds the ticket here (see replay).
	if err := h.store.SaveSession(ctx, filedKey(c.m), []byte(t.ID), filedTTL); err != nil {
		c.fail(ctx, fmt.Errorf("remember filing: %w", err))
		return
	}
	h.scheduleSLA(ctx, c, t, true)
	h.confirmFiled(c, t)
}

// filedTTL is how long a filing is remembered: longer than intake waits
// for a redelivery.
const filedTTL = 48 * time.Hour

func filedKey(m *bot.Message) string { return "filed:" + m.Channel + ":" + m.ID }

// replay answers an update that already filed a ticket (its first handling
// stopped before its replies were queued) with the same confirmation and
// card. It reports whether it answered m.
func (h *Handler) replay(ctx context.Context, c *conv) bool {
	id, err := h.store.Session(ctx, filedKey(c.m))
	if err != nil {
		c.fail(ctx, fmt.Errorf("look for a filing: %w", err))
		return true
	}
	if len(id) == 0 {
		return false
	}
	t, err := h.store.Ticket(ctx, string(id))
	if err != nil {
		c.fail(ctx, fmt.Errorf("filed ticket: %w", err))
		return true
	}
	h.confirmFiled(c, t)
	return true
}

// confirmFiled gives the citizen their ticket number and posts the card.
func (h *Handler) confirmFiled(c *conv, t *shakwa.Ticket) {
	data := h.ticketData(c.lang, t)
	sla := h.model.Target(t.Centre, t.Category)
	working := !sla.Clock.EveryHour()
	span := h.duration
	if working {
		span = h.workingDuration
	}
	data["Response"], data["Resolve"], data["Working"] = span(c.lang, sla.Claim), span(c.lang, sla.Resolve), working
	c.Reply(c.reply(c.t("complaint.done", data), [][]flows.Choice{{{Key: "menu.home", Data: menuHome}}}))
	h.notify.Card(c, t)
}

func (h *Handler) giveFeedback(ctx context.Context, c *conv, s *flows.Submission) {
	f := &shakwa.Feedback{Kind: shakwa.Kind(s.Flow), Centre: s.Centre, Stars: s.Stars,
		Staff: s.Staff, Text: s.Text, Created: h.now()}
	if f.Kind == shakwa.KindThanks {
		f.StaffID, _ = h.staffNamed(s.Centre, s.Staff)
	}
	if err := h.store.AddFeedback(ctx, f, c.who); err != nil {
		c.fail(ctx, fmt.Errorf("add feedback: %w", err))
		return
	}
	c.Reply(c.reply(c.t(s.Flow+".done", map[string]any{"Centre": h.centreName(s.Centre, c.lang)}),
		[][]flows.Choice{{{Key: "menu.home", Data: menuHome}}}))
	h.notify.Feedback(c, f)
}

// myTickets lists the citizen's latest five requests.
func (h *Handler) myTickets(ctx context.Context, c *conv) {
	ts, err := h.store.CitizenTickets(ctx, c.who, relayRead)
	if err != nil {
		c.fail(ctx, fmt.Errorf("list tickets: %w", err))
		return
	}
	if len(ts) == 0 {
		c.Reply(c.reply(c.t("follow.none", nil), [][]flows.Choice{{{Key: "menu.complaint", Data: menuComplaint}}}))
		return
	}
	h.listTickets(c, "follow.list", ts)
}

// listTickets says head (counted) and a line for each ticket, with a
// button to show each.
func (h *Handler) listTickets(c *conv, head string, ts []*shakwa.Ticket) {
	lines := []string{c.t(head, map[string]any{"Count": len(ts)})}
	var rows [][]bot.Button
	for _, t := range ts {
		lines = append(lines, c.t("follow.line", h.ticketData(c.lang, t)))
		rows = append(rows, []bot.Button{{Label: t.ID, Data: "view:" + t.ID}})
	}
	r := c.reply(strings.Join(lines, "\n"), nil)
	r.Buttons = rows
	c.Reply(r)
}

// followTyped shows the ticket whose number was typed: a citizen's own, or
// for staff one of their centres'. It reports false when the text is no
// ticket of theirs, such as a number typed in answer to staff («٤٥»), or
// words before a number that are no centre's code («Gate 4»), so that it
// is passed on instead.
func (h *Handler) followTyped(ctx context.Context, c *conv, text string) bool {
	ref, ok := parseTicket(text)
	if !ok {
		return false
	}
	if ref.prefix != "" && !h.centreCode(ref.prefix) {
		return false
	}
	if c.person != nil && ref.prefix != "" {
		t, err := h.store.Ticket(ctx, ref.id(ref.prefix))
		switch {
		case err == nil && c.isStaffOf(t.Centre):
			h.staffView(ctx, c, t)
			return true
		case err != nil && !errors.Is(err, shakwa.ErrNotFound):
			c.fail(ctx, fmt.Errorf("look up %s: %w", ref.id(ref.prefix), err))
			return true
		}
	}
	t, err := h.ownTicket(ctx, c, ref)
	var amb *ambiguous
	switch {
	case err == nil:
		h.show(c, t)
	case errors.As(err, &amb):
		h.listTickets(c, "follow.which", amb.tickets) // to choose one
	case errors.Is(err, shakwa.ErrNotFound) && ref.prefix == "", errors.Is(err, errToStaff):
		return false
	default:
		c.fail(ctx, err)
	}
	return true
}

// withOwn runs fn on the speaker's ticket numbered as typed, or says it
// was not found.
func (h *Handler) withOwn(ctx context.Context, c *conv, typed string, fn func(*shakwa.Ticket)) {
	ref, ok := parseTicket(typed)
	if !ok {
		c.fail(ctx, shakwa.ErrNotFound)
		return
	}
	t, err := h.ownTicket(ctx, c, ref)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	fn(t)
}

// ownTicket finds a ticket of the speaker's by its typed number. Another
// citizen's ticket is not found, exactly as one that does not exist; a
// store that fails is an error of its own.
func (h *Handler) ownTicket(ctx context.Context, c *conv, ref ticketRef) (*shakwa.Ticket, error) {
	if ref.prefix != "" {
		id := ref.id(ref.prefix)
		t, err := h.store.Ticket(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("look up %s: %w", id, err)
		}
		if t.Citizen != c.id {
			return nil, fmt.Errorf("ticket %s of another citizen: %w", id, shakwa.ErrNotFound)
		}
		return t, nil
	}
	ts, err := h.latestTickets(ctx, c)
	if err != nil {
		return nil, err
	}
	if c.person == nil {
		// A bare number while staff work on one of theirs is the answer
		// to what staff asked («which counter?» «٤»), as relay takes it.
		if beingWorked(ts) != nil {
			return nil, errToStaff
		}
	}
	return resolveTicket(ref, ts)
}

// latestTickets are the speaker's latest tickets, limitsRead of them, read
// once in an update: a typed number is looked at as a rating, then as a
// ticket number, then as an answer to staff, from one read.
func (h *Handler) latestTickets(ctx context.Context, c *conv) ([]*shakwa.Ticket, error) {
	if c.tickets == nil {
		ts, err := h.store.CitizenTickets(ctx, c.who, limitsRead)
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		if ts == nil {
			ts = []*shakwa.Ticket{} // read: not nil, even when none
		}
		c.tickets = ts
	}
	return c.tickets, nil
}

// errToStaff is ownTicket's: a bare number that answers staff.
var errToStaff = errors.New("a number in answer to staff")

// relayRead is how many of a citizen's latest tickets relay looks at.
const relayRead = 5

// beingWorked is the newest ticket of ts (a citizen's, newest first) that
// staff work on, among its relayRead latest: the one whose holder what the
// citizen types now answers; nil when there is none.
func beingWorked(ts []*shakwa.Ticket) *shakwa.Ticket {
	for _, t := range ts[:min(len(ts), relayRead)] {
		if working(t.Status) {
			return t
		}
	}
	return nil
}

// show tells a citizen where their ticket stands, with what they can do.
func (h *Handler) show(c *conv, t *shakwa.Ticket) {
	var rows [][]flows.Choice
	switch {
	case t.Status.Open():
		rows = append(rows, []flows.Choice{{Key: "button.add_info", Data: "info:" + t.ID}},
			[]flows.Choice{{Key: "button.withdraw", Data: "withdraw:" + t.ID}})
	case t.Status == shakwa.StatusResolved:
		rows = append(rows, starChoices(t.ID))
	case h.amendable(t):
		rows = append(rows, []flows.Choice{{Key: "button.amend", Data: "amend:" + t.ID}})
	}
	if h.canReopen(t) {
		rows = append(rows, []flows.Choice{{Key: "button.reopen", Data: "reopen:" + t.ID}})
	}
	rows = append(rows, []flows.Choice{{Key: "menu.home", Data: menuHome}})
	r := c.reply(c.t("follow.ticket", h.ticketData(c.lang, t)), rows)
	r.Ref = refTicket + t.ID
	c.Reply(r)
}

func starChoices(id string) []flows.Choice {
	row := make([]flows.Choice, 0, 5)
	for n := 1; n <= 5; n++ {
		row = append(row, flows.Choice{Key: "button.stars", Count: n, Data: "rate:" + id + ":" + strconv.Itoa(n)})
	}
	return row
}

func (h *Handler) canReopen(t *shakwa.Ticket) bool {
	if t.Status != shakwa.StatusResolved && t.Status != shakwa.StatusClosed {
		return false
	}
	return h.now().Sub(t.Resolved) <= time.Duration(h.cfg().ReopenDays)*24*time.Hour
}

// startInfo lets the citizen add to an open ticket of theirs.
func (h *Handler) startInfo(ctx context.Context, c *conv, id string) {
	h.withOwn(ctx, c, id, func(t *shakwa.Ticket) {
		if !t.Status.Open() {
			c.say("info.closed", h.ticketData(c.lang, t))
			return
		}
		h.startFlow(ctx, c, flows.Info, t.ID)
	})
}

// maxAdded is the longest addition to a ticket taken as it comes: a
// message as long as the platforms send one. Telegram's apps send a longer
// text as several messages of up to 4,096 characters, and each is passed
// on, so that staff read it whole.
const maxAdded = 4096

// addInfo records the citizen's addition and passes it to the holder; one
// with neither words nor files is refused, and nothing is passed on.
func (h *Handler) addInfo(ctx context.Context, c *conv, id, text string, files []flows.File) {
	if n := utf8.RuneCountInString(text); n > maxAdded {
		c.say("error.too_long", map[string]any{"Count": n, "Max": maxAdded})
		return
	}
	if text == "" && len(files) == 0 {
		// A voice note, a sticker, a location: nothing we can pass on.
		c.say("error.unsupported", nil)
		return
	}
	if text == "" {
		text = c.t("info.files_only", map[string]any{"Count": len(files)})
	}
	atts := attachments(files)
	t, err := h.store.Info(ctx, id, c.who, text, atts, h.now())
	if errors.Is(err, shakwa.ErrConflict) && t != nil {
		c.say("info.closed", h.ticketData(c.lang, t))
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.say("info.sent", h.ticketData(c.lang, t))
	if t.Holder.ID != "" {
		if err := h.notify.Holder(ctx, c, t, "relay.citizen", map[string]any{"Text": text}); err != nil {
			c.fail(ctx, err)
			return
		}
		to := h.notify.staffAddress(t.Holder.ID)
		lang, err := h.notify.langOf(ctx, to, "")
		if err != nil {
			c.fail(ctx, err)
			return
		}
		h.notify.Files(c, c.m.Channel, to, t.ID, atts, lang)
	}
}

// relay passes free text to the staff member holding the citizen's latest
// open ticket. It reports whether there was one.
func (h *Handler) relay(ctx context.Context, c *conv) bool {
	if c.m.Text == "" && len(c.m.Attachments) == 0 {
		return false
	}
	ts := c.tickets // read already for a typed number
	if ts == nil {
		var err error
		if ts, err = h.store.CitizenTickets(ctx, c.who, relayRead); err != nil {
			c.fail(ctx, fmt.Errorf("list tickets: %w", err))
			return true
		}
	}
	t := beingWorked(ts)
	if t == nil {
		return false
	}
	h.addInfo(ctx, c, t.ID, strings.TrimSpace(c.m.Text), h.input(c).Files)
	return true
}

// typedRating takes a digit from 1 to 5 typed by a citizen whose latest
// resolved ticket waits for its rating (the question under its
// resolution) as that rating, as if its star were pressed; not while staff
// work on one of their tickets (it answers them), nor when one of their
// tickets has that number (it is that ticket). It reports whether it did.
func (h *Handler) typedRating(ctx context.Context, c *conv, text string) bool {
	if c.person != nil || len(c.m.Attachments) > 0 {
		return false
	}
	digits := locales.Digits(text)
	if len(digits) != 1 || digits[0] < '1' || digits[0] > '5' {
		return false
	}
	ts, err := h.latestTickets(ctx, c)
	if err != nil {
		c.fail(ctx, err)
		return true
	}
	if beingWorked(ts) != nil {
		return false // an answer to staff (relay)
	}
	ref, _ := parseTicket(digits)
	var waiting *shakwa.Ticket
	for _, t := range ts {
		switch {
		case ref.matches(t.ID):
			return false // the number of one of theirs: that ticket (followTyped)
		case t.Status == shakwa.StatusResolved && waiting == nil:
			waiting = t
		}
	}
	if waiting == nil {
		return false
	}
	h.rate(ctx, c, waiting.ID, digits)
	return true
}

// rate records the citizen's rating of a resolved ticket.
func (h *Handler) rate(ctx context.Context, c *conv, id, stars string) {
	n, err := strconv.Atoi(stars)
	if err != nil {
		c.fail(ctx, shakwa.ErrInvalid)
		return
	}
	t, err := h.store.Rate(ctx, id, c.who, n, h.now())
	// Rated already: this resolution, not one before a reopening (whose
	// rating no longer counts).
	if errors.Is(err, shakwa.ErrConflict) && t != nil && t.Rating > 0 && !t.Rated.Before(t.Resolved) {
		c.notice = c.t("rating.already", map[string]any{"Count": t.Rating})
		return
	}
	if errors.Is(err, shakwa.ErrConflict) && t != nil && t.Status == shakwa.StatusClosed {
		// Closed unrated after close_after: a star pressed on the old
		// question is told so, and where an opinion still goes.
		c.say("rating.closed", h.ticketData(c.lang, t))
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	var rows [][]flows.Choice
	key := "rating.thanks"
	if n <= 2 && h.canReopen(t) {
		key = "rating.low"
		rows = append(rows, []flows.Choice{{Key: "button.reopen", Data: "reopen:" + t.ID}})
	}
	rows = append(rows, []flows.Choice{{Key: "menu.home", Data: menuHome}})
	c.Reply(c.reply(c.t(key, h.ticketData(c.lang, t)), rows))
	if err := h.notify.Holder(ctx, c, t, "staff.rated", map[string]any{"Count": n}); err != nil {
		c.fail(ctx, err)
	}
}

// reopen returns a resolved ticket to its holder, or to the queue.
func (h *Handler) reopen(ctx context.Context, c *conv, id string) {
	h.withOwn(ctx, c, id, func(t *shakwa.Ticket) {
		if t.Status.Open() {
			// Pressed again, or on an older message: it is being followed
			// already, whatever the days since it was resolved.
			c.notice = c.t("reopen.already_open", h.ticketData(c.lang, t))
			h.show(c, t)
			return
		}
		if !h.canReopen(t) {
			c.say("reopen.too_late", map[string]any{"Count": h.cfg().ReopenDays})
			return
		}
		gone, err := h.holderGone(ctx, t)
		if err != nil {
			c.fail(ctx, err)
			return
		}
		t, err = h.store.Reopen(ctx, t.ID, c.who, gone, h.now())
		if err != nil {
			c.fail(ctx, err)
			return
		}
		c.say("reopen.done", h.ticketData(c.lang, t))
		h.scheduleSLA(ctx, c, t, true)
		if t.Status == shakwa.StatusNew {
			h.notify.Card(c, t)
			return
		}
		if err := h.notify.Holder(ctx, c, t, "staff.reopened", nil); err != nil {
			c.fail(ctx, err)
			return
		}
		if err := h.notify.Ticket(ctx, c, h.notify.staffAddress(t.Holder.ID), t); err != nil {
			c.fail(ctx, err)
		}
	})
}
