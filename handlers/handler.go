// Package handlers implements bot.Handler: it decides who is speaking
// (citizen, staff, manager), runs their flow or command, stores the outcome
// and turns it into Replies through locales.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/locales"
)

// SessionStore keeps conversation state and preferences.
type SessionStore interface {
	Session(ctx context.Context, who string) ([]byte, error)
	SaveSession(ctx context.Context, who string, data []byte, ttl time.Duration) error
	DeleteSession(ctx context.Context, who string) error
	Lang(ctx context.Context, who string) (string, error)
	SetLang(ctx context.Context, who, lang string) error
}

// TicketStore keeps tickets. Transitions return the current ticket with an
// error wrapping shakwa.ErrConflict when the ticket is not in a state that
// allows them, and shakwa.ErrNotFound for unknown ids.
type TicketStore interface {
	CreateTicket(ctx context.Context, t *shakwa.Ticket) error
	Ticket(ctx context.Context, id string) (*shakwa.Ticket, error)
	Events(ctx context.Context, id string) ([]shakwa.Event, error)
	Claim(ctx context.Context, id string, by shakwa.Staff, centres []string, now time.Time) (*shakwa.Ticket, error)
	Release(ctx context.Context, id string, by shakwa.Staff, now time.Time) (*shakwa.Ticket, error)
	Reply(ctx context.Context, id string, by shakwa.Staff, text string, now time.Time) (*shakwa.Ticket, error)
	Note(ctx context.Context, id string, by shakwa.Staff, text string, now time.Time) (*shakwa.Ticket, error)
	Info(ctx context.Context, id string, citizen shakwa.Address, text string, files []shakwa.Attachment, now time.Time) (*shakwa.Ticket, error)
	Resolve(ctx context.Context, id string, by shakwa.Staff, resolution string, now time.Time) (*shakwa.Ticket, error)
	Transfer(ctx context.Context, id string, by shakwa.Staff, to string, now time.Time) (*shakwa.Ticket, error)
	Rate(ctx context.Context, id string, citizen shakwa.Address, stars int, now time.Time) (*shakwa.Ticket, error)
	Reopen(ctx context.Context, id string, citizen shakwa.Address, now time.Time) (*shakwa.Ticket, error)
	Queue(ctx context.Context, centre string, limit int) ([]*shakwa.Ticket, error)
	Held(ctx context.Context, staffID string) ([]*shakwa.Ticket, error)
	CitizenTickets(ctx context.Context, who shakwa.Address, limit int) ([]*shakwa.Ticket, error)
}

// ReportStore gives the raw material of service metrics.
type ReportStore interface {
	AddFeedback(ctx context.Context, f *shakwa.Feedback) error
	TicketsCreated(ctx context.Context, from, to time.Time) ([]*shakwa.Ticket, error)
	TicketsResolved(ctx context.Context, from, to time.Time) ([]*shakwa.Ticket, error)
	OpenTickets(ctx context.Context) ([]*shakwa.Ticket, error)
	FeedbackCreated(ctx context.Context, from, to time.Time) ([]*shakwa.Feedback, error)
}

// RefStore maps sent messages back to what they were about.
type RefStore interface {
	RefOf(ctx context.Context, chat, messageID string) (string, error)
}

// Store is everything the handlers need from storage.
type Store interface {
	SessionStore
	TicketStore
	ReportStore
	RefStore
}

// Handler answers every Message. Create it with New.
type Handler struct {
	cfg   *config.Config
	store Store
	text  *locales.Bundle
	now   func() time.Time
	log   *slog.Logger

	// StaffChannel is the channel staff, supervisors and managers use:
	// their groups and private chats are there, and only there is a
	// sender looked up among the configured people. Default "telegram".
	StaffChannel string
}

var _ bot.Handler = (*Handler)(nil)

// New returns a Handler. now is the clock; log receives one line per
// internal error.
func New(cfg *config.Config, store Store, text *locales.Bundle, now func() time.Time, log *slog.Logger) *Handler {
	return &Handler{cfg: cfg, store: store, text: text, now: now, log: log, StaffChannel: "telegram"}
}

// Handle answers m; see bot.Handler.
func (h *Handler) Handle(ctx context.Context, w bot.Responder, m *bot.Message) {
	c := h.conv(ctx, m)
	defer c.flush(w)
	if m.Group {
		h.group(c)
		return
	}
	h.private(c)
}

// conv is one Message being answered: who sent it, in which language, and
// the replies made so far.
type conv struct {
	ctx    context.Context
	h      *Handler
	m      *bot.Message
	who    shakwa.Address
	lang   string
	person *config.Person // nil for citizens
	out    []bot.Reply
	notice string
	failed error // an internal error: the Message should be delivered again
}

func (h *Handler) conv(ctx context.Context, m *bot.Message) *conv {
	c := &conv{ctx: ctx, h: h, m: m, who: m.Address()}
	if m.Channel == h.StaffChannel {
		if id, err := strconv.ParseInt(m.From.ID, 10, 64); err == nil {
			if p, ok := h.cfg.Person(id); ok {
				c.person = &p
			}
		}
	}
	// A person's language is kept under their private address; in a group,
	// that is their user id.
	c.lang = h.langOf(ctx, shakwa.Address{Channel: m.Channel, Chat: m.From.ID}, m.From.Lang)
	return c
}

// langOf is the stored choice of the person at a, else their platform hint.
func (h *Handler) langOf(ctx context.Context, a shakwa.Address, hint string) string {
	if l, err := h.store.Lang(ctx, a.String()); err == nil && l != "" {
		return l
	}
	return locales.Lang(hint)
}

// flush writes the replies, with the answer to a button press first.
func (c *conv) flush(w bot.Responder) {
	if c.failed != nil {
		w.Fail(c.failed)
	}
	if c.m.ButtonToken != "" {
		w.Reply(bot.Reply{Channel: c.m.Channel, Chat: c.m.Chat, Notice: true,
			ButtonToken: c.m.ButtonToken, Text: c.notice})
	}
	for _, r := range c.out {
		w.Reply(r)
	}
}

// t renders key in the speaker's language.
func (c *conv) t(key string, data map[string]any) string { return c.h.text.Text(c.lang, key, data) }

// say replies in the speaker's chat.
func (c *conv) say(key string, data map[string]any, buttons ...[]bot.Button) {
	c.send(bot.Reply{Channel: c.m.Channel, Chat: c.m.Chat, Text: c.t(key, data), Buttons: buttons})
}

func (c *conv) send(r bot.Reply) { c.out = append(c.out, r) }

// fail tells the person what went wrong, in their words: one table from
// error kind to message; internal errors are logged once here.
func (c *conv) fail(err error) {
	key := "error.internal"
	switch {
	case errors.Is(err, shakwa.ErrNotFound):
		key = "error.not_found"
	case errors.Is(err, shakwa.ErrConflict):
		key = "error.conflict"
	case errors.Is(err, shakwa.ErrForbidden):
		key = "error.forbidden"
	case errors.Is(err, shakwa.ErrInvalid):
		key = "error.invalid"
	default:
		c.h.log.ErrorContext(c.ctx, "handle message", "channel", c.m.Channel, "err", err)
		c.failed = err
	}
	if c.m.ButtonToken != "" && c.m.Group {
		c.notice = c.t(key, nil)
		return
	}
	c.say(key, nil)
}

// staff is the speaker as a ticket records them.
func (c *conv) staff() shakwa.Staff {
	return shakwa.Staff{ID: c.m.From.ID, Name: c.person.Name}
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
