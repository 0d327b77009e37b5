// Package handlers implements bot.Handler and bot.JobHandler: it decides
// who is speaking (citizen, staff, manager), runs their flow or command,
// stores the outcome and turns it into Replies through locales; and it
// runs the jobs the bot owes with no message to answer (closing resolved
// tickets nobody rated, ending idle conversations). Both build their
// messages to people through one Notifier.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/stats"
)

// SessionStore keeps conversation state under opaque names.
type SessionStore interface {
	Session(ctx context.Context, who string) ([]byte, error)
	SaveSession(ctx context.Context, who string, data []byte, ttl time.Duration) error
	DeleteSession(ctx context.Context, who string) error
	// SwapSession replaces who's session with data (nil: deletes it) for
	// ttl only if it is still old, and reports whether it did.
	SwapSession(ctx context.Context, who string, old, data []byte, ttl time.Duration) (bool, error)
}

// PeopleStore knows people by opaque ids and keeps their addresses and
// languages.
type PeopleStore interface {
	// PersonID is the opaque id of the person at a (no I/O).
	PersonID(a shakwa.Address) string
	// Person returns a person's record; shakwa.ErrNotFound when none.
	Person(ctx context.Context, id string) (shakwa.Person, error)
	Lang(ctx context.Context, a shakwa.Address) (string, error)
	SetLang(ctx context.Context, a shakwa.Address, lang string, now time.Time) error
}

// TicketStore keeps tickets. Transitions return the current ticket with an
// error wrapping shakwa.ErrConflict when the ticket is not in a state that
// allows them, and shakwa.ErrNotFound for unknown ids.
type TicketStore interface {
	CreateTicket(ctx context.Context, t *shakwa.Ticket, from shakwa.Address, once string) error
	Ticket(ctx context.Context, id string) (*shakwa.Ticket, error)
	Events(ctx context.Context, id string) ([]shakwa.Event, error)
	EventsOf(ctx context.Context, ids []string) ([][]shakwa.Event, error)
	Claim(ctx context.Context, id string, by shakwa.Staff, centres []string, now time.Time) (*shakwa.Ticket, error)
	Release(ctx context.Context, id string, by shakwa.Staff, now time.Time) (*shakwa.Ticket, error)
	RevealPhone(ctx context.Context, id string, by shakwa.Staff, now time.Time) (*shakwa.Ticket, error)
	Reply(ctx context.Context, id string, by shakwa.Staff, text string, now time.Time) (*shakwa.Ticket, error)
	Note(ctx context.Context, id string, by shakwa.Staff, text string, now time.Time) (*shakwa.Ticket, error)
	Info(ctx context.Context, id string, citizen shakwa.Address, text string, files []shakwa.Attachment, now time.Time) (*shakwa.Ticket, error)
	Resolve(ctx context.Context, id string, by shakwa.Staff, resolution string, now time.Time) (*shakwa.Ticket, error)
	CloseResolved(ctx context.Context, id, by string, now time.Time) (*shakwa.Ticket, error)
	Transfer(ctx context.Context, id string, by shakwa.Staff, to string, now time.Time) (*shakwa.Ticket, error)
	Rate(ctx context.Context, id string, citizen shakwa.Address, stars int, now time.Time) (*shakwa.Ticket, error)
	Reopen(ctx context.Context, id string, citizen shakwa.Address, gone string, now time.Time) (*shakwa.Ticket, error)
	Reject(ctx context.Context, id string, by shakwa.Staff, reason, text, of string, centres []string, now time.Time) (*shakwa.Ticket, error)
	Amend(ctx context.Context, id string, citizen shakwa.Address, text string, files []shakwa.Attachment, gone string, now time.Time) (*shakwa.Ticket, error)
	Withdraw(ctx context.Context, id string, citizen shakwa.Address, now time.Time) (*shakwa.Ticket, error)
	Reassign(ctx context.Context, id string, by, to shakwa.Staff, centres []string, now time.Time) (*shakwa.Ticket, error)
	MarkUndelivered(ctx context.Context, centre, id string, at time.Time) error
	Count(ctx context.Context, name string, window time.Duration, now time.Time) (int64, error)
	Undelivered(ctx context.Context, centres []string, since time.Time) ([]string, []time.Time, error)
	Queue(ctx context.Context, centre string, limit int) ([]*shakwa.Ticket, error)
	// NewestInQueue is Queue, newest first.
	NewestInQueue(ctx context.Context, centre string, limit int) ([]*shakwa.Ticket, error)
	OpenTickets(ctx context.Context, centre string, limit int) ([]*shakwa.Ticket, error)
	Held(ctx context.Context, staffID string) ([]*shakwa.Ticket, error)
	CitizenTickets(ctx context.Context, who shakwa.Address, limit int) ([]*shakwa.Ticket, error)
}

// PrivacyStore erases personal data (see storage's EraseTicket).
type PrivacyStore interface {
	EraseTicket(ctx context.Context, id, by string, now time.Time) (*shakwa.Ticket, bool, error)
	EraseClosedBefore(ctx context.Context, cutoff, now time.Time, limit int, dryRun bool, erasedOne func(was *shakwa.Ticket)) (int, bool, error)
	ForgetPerson(ctx context.Context, a shakwa.Address) error
	// ForgetUntouched deletes, at most limit at a time, the records of
	// people last written before cutoff that no ticket keeps.
	ForgetUntouched(ctx context.Context, cutoff time.Time, limit int) (forgot int, more bool, err error)
	// ExpireOutbox drops the dead letters and the queues parked for a
	// person's window from before cutoff.
	ExpireOutbox(ctx context.Context, cutoff time.Time) (dead, parked int, err error)
	// FileUsed reports whether a ticket other than those of except has
	// the file among its attachments.
	FileUsed(ctx context.Context, file string, except ...string) (bool, error)
}

// RefStore maps sent messages back to what they were about.
type RefStore interface {
	RefOf(ctx context.Context, chat, messageID string) (string, error)
}

// Scheduler keeps the jobs the handlers owe later (see Job kinds).
type Scheduler interface {
	ScheduleJob(ctx context.Context, kind, key string, due time.Time) error
	UnscheduleJob(ctx context.Context, kind, key string) error
	// JobDue is when the job is due; ok is false when none is scheduled.
	JobDue(ctx context.Context, kind, key string) (due time.Time, ok bool, err error)
	// Take gives the work named name to owner for ttl unless someone took
	// it first, and returns who has it.
	Take(ctx context.Context, name, owner string, ttl time.Duration) (string, error)
	// Untake gives back what owner took of names.
	Untake(ctx context.Context, owner string, names ...string) error
}

// Store is everything the handlers need from storage.
type Store interface {
	SessionStore
	PeopleStore
	TicketStore
	ReportStore
	RefStore
	Scheduler
	PrivacyStore
	MemberStore
	QualityStore
}

// Preloader is a store's optional way to read what handling a Message
// will read in the round trip that begins it (see bot.Preloader): each
// call names one read, and does no I/O.
type Preloader interface {
	PreloadSession(ctx context.Context, who string)
	PreloadLang(ctx context.Context, a shakwa.Address)
	PreloadCount(ctx context.Context, name string, window time.Duration, now time.Time)
	PreloadMember(ctx context.Context, id int64)
	PreloadCitizenTickets(ctx context.Context, who shakwa.Address, limit int)
	PreloadParties(ctx context.Context, ticket string)
	PreloadClaim(ctx context.Context, ticket string, by shakwa.Staff, centres []string)
}

// Options are a Handler's settings.
type Options struct {
	// StaffChannel is the channel staff, supervisors and managers use:
	// their groups and private chats are there, and only there is a
	// sender looked up among the configured people. Default "telegram".
	StaffChannel string
	// MaxFileMB is the largest file kept, for the message that refuses a
	// larger one. Default 16.
	MaxFileMB int
	// Files keeps the documents the bot makes (a report's full table);
	// without it they are not sent.
	Files FileKeeper
	// Breached, when set, hears of each SLA escalation as it is taken:
	// the ticket's centre and the escalation's level (1 for the first
	// rung of the ladder). For metrics; it must be quick.
	Breached func(centre string, level int)
}

// Handler answers every Message and runs the handlers' jobs. Create it
// with New.
type Handler struct {
	words
	store     Store
	log       *slog.Logger
	notify    *Notifier
	maxFileMB int
	model     stats.Model
	cal       stats.Calendar
	files     FileKeeper
	breached  func(centre string, level int)
	newCode   func() (string, error) // invite codes
}

var (
	_ bot.Handler    = (*Handler)(nil)
	_ bot.JobHandler = (*Handler)(nil)
	_ bot.Preloader  = (*Handler)(nil)
)

// New returns a Handler. now is the clock; log receives one line per
// internal error.
func New(cfg *config.Config, store Store, text *locales.Bundle, now func() time.Time, log *slog.Logger, opts Options) *Handler {
	if opts.StaffChannel == "" {
		opts.StaffChannel = "telegram"
	}
	if opts.MaxFileMB <= 0 {
		opts.MaxFileMB = 16
	}
	model := TallyModel(cfg)
	conf := &atomic.Pointer[config.Config]{}
	conf.Store(cfg)
	w := words{conf: conf, text: text, now: now, model: model}
	return &Handler{words: w, store: store, log: log, maxFileMB: opts.MaxFileMB,
		notify: &Notifier{words: w, store: store, staffChannel: opts.StaffChannel},
		model:  model, cal: calendar(cfg), files: opts.Files, breached: opts.Breached,
		newCode: NewInviteCode}
}

// ErrReloadNeedsRestart is Reload's refusal of a configuration that
// counts tickets differently.
var ErrReloadNeedsRestart = errors.New("the time zone, the week, a centre or category, or an SLA target or its working hours changed: " +
	"restart the replicas: as they start, one of them rebuilds the tallies")

// Reload puts cfg in force for every Message and job from now on: people,
// names, limits, reports, escalation, retention. Conversations go on as
// they were: they live in the store. A configuration that would count
// tickets differently (see countedAs) is refused with
// ErrReloadNeedsRestart, and the one in force stays.
func (h *Handler) Reload(cfg *config.Config) error {
	if countedAs(cfg) != countedAs(h.cfg()) {
		return ErrReloadNeedsRestart
	}
	h.conf.Store(cfg)
	return nil
}

// Notifier returns the Handler's Notifier, for work outside a Message.
func (h *Handler) Notifier() *Notifier { return h.notify }

// Handle answers m; see bot.Handler.
func (h *Handler) Handle(ctx context.Context, w bot.Responder, m *bot.Message) {
	if plain := bot.Undirected(m.Text); plain != m.Text {
		// Marks the bot put in a ticket number or command come back when
		// it is copied: read what was typed without them.
		own := *m
		own.Text = plain
		m = &own
	}
	c := h.conv(ctx, m)
	defer c.flush(w)
	if c.failed != nil {
		return
	}
	switch {
	case m.Failed != nil:
		h.deliveryFailed(ctx, c)
		return
	case m.Unsupported == "file_too_large":
		c.say("error.file_too_large", map[string]any{"Count": h.maxFileMB})
		return
	case m.Unsupported == "file_unavailable":
		c.say("error.file_unavailable", nil)
		return
	case m.Unsupported == "edited":
		// The words were taken as first sent; where the person is in a
		// flow stays as it was.
		c.say("error.edited", nil)
		return
	case m.Unsupported != "" && strings.TrimSpace(m.Text) != "":
		// A caption on what the bot cannot keep (a video, a voice note on
		// Telegram): the words are taken, and the sender told that the
		// rest was not.
		c.say("error.media_not_kept", nil)
		own := *m
		own.Unsupported = ""
		m, c.m = &own, &own
	}
	if m.Group {
		h.group(ctx, c)
		return
	}
	h.keepUploads(ctx, c)
	if c.person == nil && m.Button == "" {
		// Presses answer what the bot asked; what floods is what is typed
		// or sent.
		h.countMessage(ctx, c)
	}
	h.private(ctx, c)
}

// Preload names what handling m reads of every update of its kind: the
// speaker's language and, in a private chat, their session, the filing an
// earlier handling of m may have left and the count of their messages;
// for a press that may file a complaint, the citizen's latest tickets. A
// claim it has made with the update's begin goes with the context it
// returns (see claimedAhead).
func (h *Handler) Preload(ctx context.Context, m *bot.Message) context.Context {
	p, ok := h.store.(Preloader)
	if !ok {
		return ctx
	}
	p.PreloadLang(ctx, shakwa.Address{Channel: m.Channel, Chat: m.From.ID})
	if m.Channel == h.notify.staffChannel {
		if id, err := strconv.ParseInt(m.From.ID, 10, 64); err == nil {
			if _, ok := h.cfg().Person(id); !ok {
				p.PreloadMember(ctx, id) // who joined with an invite
			}
		}
	}
	if id, ok := strings.CutPrefix(m.Button, "claim:"); ok {
		// A claim tells the ticket's holder its history and its citizen.
		p.PreloadParties(ctx, id)
		if a, ok := h.claimsAhead(m, id); ok {
			p.PreloadClaim(ctx, id, a.by, a.centres)
			ctx = context.WithValue(ctx, aheadKey{}, a)
		}
	}
	if m.Group {
		return ctx
	}
	id := h.store.PersonID(m.Address())
	p.PreloadSession(ctx, id)
	p.PreloadSession(ctx, filedKey(m))
	if m.Button == "" {
		p.PreloadCount(ctx, countName(id), time.Minute, h.now())
	}
	if m.Button == flows.BtnConfirm || m.Button == "dup:new" {
		// Filing checks the citizen's limits against their tickets.
		p.PreloadCitizenTickets(ctx, m.Address(), limitsRead)
	}
	return ctx
}

// aheadClaim is a claim Preload has the update's begin make: of which
// ticket, by whom, in which centres, as the configuration read then has it.
type aheadClaim struct {
	ticket  string
	by      shakwa.Staff
	centres []string
}

// aheadKey is the context key of an aheadClaim.
type aheadKey struct{}

// claimedAhead is the claim of ticket id that Preload had made with the
// update's begin, if it had one made. The handling claims as that claim
// did, whatever a reload since says of the speaker: the begin made it
// (or, when the update did not have its turn then, the handling's Claim
// makes it) under the configuration Preload read, and the answer must
// tell what was done.
func claimedAhead(ctx context.Context, id string) (shakwa.Staff, []string, bool) {
	a, ok := ctx.Value(aheadKey{}).(aheadClaim)
	if !ok || a.ticket != id {
		return shakwa.Staff{}, nil, false
	}
	return a.by, a.centres, true
}

// claimsAhead reports whether handling m, a press of claim on ticket id,
// is sure to claim it, and as whom: a press in a staff group by someone
// the configuration has work tickets, the one case group answers (see
// Handle) with nothing read first. The claim is then made with the
// update's begin (see storage's PreloadClaim); one who joined with an
// invite is read first, and claims in the handling.
func (h *Handler) claimsAhead(m *bot.Message, id string) (aheadClaim, bool) {
	if !m.Group || m.Failed != nil || m.Unsupported != "" || m.Channel != h.notify.staffChannel {
		return aheadClaim{}, false
	}
	from, err := strconv.ParseInt(m.From.ID, 10, 64)
	if err != nil {
		return aheadClaim{}, false
	}
	p, ok := h.cfg().Person(from)
	if !ok || !works(&p) {
		return aheadClaim{}, false
	}
	return aheadClaim{ticket: id, by: staffOf(&p, m), centres: p.Centres}, true
}

// countName names the counter of a person's messages.
func countName(id string) string { return "msg:" + id }

// countMessage counts a citizen's message in the minute; past the limit
// it is still handled, but its answers to them are left out, but for one
// word asking them to slow down (see flush).
func (h *Handler) countMessage(ctx context.Context, c *conv) {
	n, err := h.store.Count(ctx, countName(c.id), time.Minute, h.now())
	if err != nil {
		// Counting is a guard, not a gate: the message is answered.
		h.log.WarnContext(ctx, "count messages", "channel", c.m.Channel, "err", err)
		return
	}
	if limit := int64(h.cfg().Limits.MessagesPerMinute); n > limit {
		c.flood = n - limit
	}
}

// Apology is what a person hears when their Message broke the handler:
// the apology for an internal error, in the platform's language hint (the
// stores are not asked: they may be what failed), as fail says it.
func (h *Handler) Apology(m *bot.Message) []bot.Reply {
	lang := locales.Lang(m.From.Lang)
	text := h.text.Text(lang, "error.internal", nil)
	var rs []bot.Reply
	if m.ButtonToken != "" {
		rs = append(rs, bot.Reply{Channel: m.Channel, Chat: m.Chat, Notice: true, ButtonToken: m.ButtonToken, Text: text, Lang: lang})
		if m.Group {
			return rs
		}
	}
	return append(rs, bot.Reply{Channel: m.Channel, Chat: m.Chat, Text: text, Lang: lang})
}

// conv is one Message being answered: who sent it, in which language, and
// the replies made so far. It holds no context: every step is given the
// update's.
type conv struct {
	h      *Handler
	m      *bot.Message
	who    shakwa.Address // where they wrote from
	id     string         // who they are to the store: their opaque person id
	lang   string
	person *config.Person // nil for citizens
	// typed is the Message's text folded (locales.Fold), once: see says.
	typed  *string
	out    []bot.Reply
	notice string
	failed error // an internal error: the Message should be delivered again
	// before is the session this Message found, kept with the one it
	// leaves (see stored.Before).
	before *flows.Session
	// keep has a completed flow's session kept as it was found: what it
	// gathered waits for the person (a limit stopped it, or a question).
	keep bool
	// holdUntil keeps that session past its idle limit, to then: a limit
	// told the person it would wait for them.
	holdUntil time.Time
	// force files a complaint past the duplicate question.
	force bool
	// flood is how far past the citizen's messages a minute this one is
	// (0: within).
	flood int64
	// inPlace has the answer to a press replace the message pressed on,
	// when it is one message (see inPlace).
	inPlace bool
	// dropKeyboard has the first message to the speaker take away the
	// contact keyboard of the question they answered.
	dropKeyboard bool
	// tickets are the citizen's latest tickets (limitsRead of them) once
	// read in this update (see latestTickets); nil before.
	tickets []*shakwa.Ticket
}

func (h *Handler) conv(ctx context.Context, m *bot.Message) *conv {
	c := &conv{h: h, m: m, who: m.Address(), lang: locales.Lang(m.From.Lang)}
	c.id = h.store.PersonID(c.who)
	if m.Channel == h.notify.staffChannel {
		if id, err := strconv.ParseInt(m.From.ID, 10, 64); err == nil {
			p, ok, err := h.person(ctx, id)
			if err != nil {
				c.fail(ctx, fmt.Errorf("who is speaking: %w", err))
				return c
			}
			if ok {
				c.person = &p
			}
		}
	}
	// A person's language is kept under their private address; in a group,
	// that is their user id. The first hint a person's platform (or their
	// words) gives is remembered, in a group too (Telegram's hint is the
	// user's own): WhatsApp says nothing of it, a button press carries no
	// words to guess from, and a staff member whose first act is a claim
	// in the group reads the ticket in their own language.
	self := shakwa.Address{Channel: m.Channel, Chat: m.From.ID}
	stored, err := h.store.Lang(ctx, self)
	if err != nil {
		c.fail(ctx, fmt.Errorf("language: %w", err))
		return c
	}
	switch {
	case stored != "":
		c.lang = stored
	case m.From.Lang != "":
		c.lang = locales.Lang(m.From.Lang)
		if err := h.store.SetLang(ctx, self, c.lang, h.now()); err != nil {
			c.fail(ctx, fmt.Errorf("remember language: %w", err))
		}
	}
	return c
}

// Reply adds r to the answer: conv is where a Notifier writes while a
// Message is answered.
func (c *conv) Reply(r bot.Reply) { c.out = append(c.out, r) }

// flush writes the replies, with the answer to a button press first: a
// notice where the platform has them (the press has a token), else a
// message of its own. Replies to the speaker's chat are in their language.
func (c *conv) flush(w bot.Responder) {
	if c.failed != nil {
		w.Fail(c.failed)
	}
	switch {
	case c.m.ButtonToken != "":
		w.Reply(bot.Reply{Channel: c.m.Channel, Chat: c.m.Chat, Notice: true,
			ButtonToken: c.m.ButtonToken, Text: c.notice, Lang: c.lang})
	case c.notice != "":
		w.Reply(bot.Reply{Channel: c.m.Channel, Chat: c.m.Chat, Text: c.notice, Lang: c.lang})
	}
	if c.flood == 1 {
		w.Reply(bot.Reply{Channel: c.m.Channel, Chat: c.m.Chat, Text: c.t("limit.flood", nil), Lang: c.lang})
	}
	c.replacePressed()
	c.editPressedCard()
	drop := c.dropKeyboard
	for _, r := range c.out {
		own := r.Channel == c.m.Channel && r.Chat == c.m.Chat
		if own && c.flood > 0 {
			continue // left out: they are asked to slow down
		}
		if drop && own && !r.Notice && !r.Edit && !r.AskContact {
			r.DropKeyboard, drop = true, false // the first message says it
		}
		if r.Lang == "" && own {
			r.Lang = c.lang
		}
		w.Reply(r)
	}
}

// replacePressed has the answer to a press edit the message pressed on,
// where the handling allowed it (inPlace): a menu's question becomes the
// next one, and the chat keeps one message where it had a row of them. Only
// a lone answer of text and inline buttons does: a contact keyboard or
// files need a message of their own, and two answers would read out of
// order with the first one above the person's earlier messages.
func (c *conv) replacePressed() {
	if !c.inPlace || c.m.Group || c.m.Button == "" || c.m.ReplyTo == "" || c.flood > 0 {
		return
	}
	own := -1
	for i, r := range c.out {
		if r.Channel != c.m.Channel || r.Chat != c.m.Chat {
			continue
		}
		if own >= 0 {
			return
		}
		own = i
	}
	if own < 0 {
		return
	}
	r := &c.out[own]
	if r.Notice || r.Edit || r.AskContact || len(r.Attachments) > 0 || r.Text == "" {
		return
	}
	r.Edit, r.EditOf = true, c.m.ReplyTo
}

// editPressedCard has an edit of a ticket's card in its staff group, made
// while answering a press on that card's own button, edit the message
// pressed on: its id is in the press, so the edit neither looks it up nor
// waits for the card's id to be recorded (the press may come in before
// the bot has heard back that the card was sent, and then an edit by its
// ref would post a second card).
func (c *conv) editPressedCard() {
	_, id, ok := strings.Cut(c.m.Button, ":")
	if !c.m.Group || !ok || c.m.ReplyTo == "" {
		return
	}
	for i := range c.out {
		r := &c.out[i]
		if r.Edit && r.EditOf == "" && r.Ref == refCard+id && r.Channel == c.m.Channel && r.Chat == c.m.Chat {
			r.EditOf = c.m.ReplyTo
		}
	}
}

// t renders key in the speaker's language, in their channel's own words
// where it has them (see keyFor).
func (c *conv) t(key string, data map[string]any) string {
	return c.h.text.Text(c.lang, c.h.keyFor(key, c.m.Channel), data)
}

// says reports whether the Message's text is one of the words of key
// (see locales.Bundle.Is), folding the text once for every list it is
// matched against.
func (c *conv) says(key string) bool {
	if c.typed == nil {
		f := locales.Fold(c.m.Text)
		c.typed = &f
	}
	return c.h.text.IsFolded(key, *c.typed)
}

// say replies in the speaker's chat.
func (c *conv) say(key string, data map[string]any, buttons ...[]bot.Button) {
	c.Reply(bot.Reply{Channel: c.m.Channel, Chat: c.m.Chat, Text: c.t(key, data), Buttons: buttons})
}

// fail tells the person what went wrong, in their words: one table from
// error kind to message. Internal errors (a store that does not answer)
// are logged once here and make intake deliver the
// Message again.
func (c *conv) fail(ctx context.Context, err error) {
	key := errorKey(err)
	if key == "error.internal" {
		c.h.log.ErrorContext(ctx, "handle message", "channel", c.m.Channel, "err", err)
		c.failed = err
	}
	if c.m.ButtonToken != "" && c.m.Group {
		c.notice = c.t(key, nil)
		return
	}
	c.say(key, nil)
}

// failQuietly is fail for a Message nobody wrote (a delivery report):
// nothing is said in its chat, which is the one that did not receive.
// Internal errors still have intake deliver it again.
func (c *conv) failQuietly(ctx context.Context, err error) {
	c.h.log.ErrorContext(ctx, "handle report", "channel", c.m.Channel, "err", err)
	if errorKey(err) == "error.internal" {
		c.failed = err
	}
}

// errorKey is the one table from error kind to the message people see.
func errorKey(err error) string {
	switch {
	case errors.Is(err, shakwa.ErrNotFound):
		return "error.not_found"
	case errors.Is(err, shakwa.ErrConflict):
		return "error.conflict"
	case errors.Is(err, shakwa.ErrForbidden):
		return "error.forbidden"
	case errors.Is(err, shakwa.ErrInvalid):
		return "error.invalid"
	}
	return "error.internal"
}

// staff is the speaker as a ticket records them.
func (c *conv) staff() shakwa.Staff { return staffOf(c.person, c.m) }

// staffOf is p, who sent m, as a ticket records staff.
func staffOf(p *config.Person, m *bot.Message) shakwa.Staff {
	return shakwa.Staff{ID: m.From.ID, Name: p.Name, Via: m.Channel}
}

// works reports whether the speaker works tickets: staff or a supervisor.
func (c *conv) works() bool { return works(c.person) }

// works reports whether p (nil for a citizen) works tickets.
func works(p *config.Person) bool {
	return p != nil && (p.Role == shakwa.RoleStaff || p.Role == shakwa.RoleSupervisor)
}

// oversees reports whether the speaker oversees centres: a supervisor or a
// manager.
func (c *conv) oversees() bool {
	return c.person != nil && (c.person.Role == shakwa.RoleSupervisor || c.person.Role == shakwa.RoleManager)
}

// isStaffOf reports whether the speaker may act on tickets of centre.
func (c *conv) isStaffOf(centre string) bool {
	if c.person == nil {
		return false
	}
	switch c.person.Role {
	case shakwa.RoleStaff, shakwa.RoleSupervisor:
		return c.person.Serves(centre)
	}
	return false
}
