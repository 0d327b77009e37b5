package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shakwa/shakwa"
)

// ErrWindowClosed is the error of a Send the platform refuses because the
// person has not written within its window (WhatsApp: 24 hours). The
// outbox then sends the channel's Reopener template instead and holds the
// chat's queue until the person writes.
var ErrWindowClosed = errors.New("outside the messaging window")

// ErrUnreachable marks a Channel's permanent error for a person who cannot
// be reached on the platform at all (they blocked the bot, or deleted
// their account): the outbox tells Undelivered so.
var ErrUnreachable = errors.New("the person cannot be reached")

// ErrNotTaken marks a Channel's permanent error (it wraps
// shakwa.ErrInvalid) for a file the platform does not take, of its kind or size (WhatsApp's media types, the 20 MB a
// Telegram bot may fetch to pass on): the outbox tells Undelivered so, and
// staff are asked for another form of it rather than shown an error.
var ErrNotTaken = fmt.Errorf("the platform does not take this file: %w", shakwa.ErrInvalid)

// Windowed is a Channel that may write to a person only within a while of
// their last message.
type Windowed interface {
	// Window is how long after a person's last message the channel may
	// still write to them freely.
	Window() time.Duration
}

// Reopener is a Windowed Channel's way back into a closed window: an
// approved message (WhatsApp: a template) that may be sent at any time and
// invites the person to write, so that what is owed to them can follow.
type Reopener interface {
	// Reopen sends the reader of r that invitation in place of r, and
	// returns the platform's id of what it sent. It reports false when the
	// channel has none configured; errors are as Send's.
	Reopen(ctx context.Context, r Reply) (id string, ok bool, err error)
}

// WindowStore keeps what the outbox needs for windowed channels.
type WindowStore interface {
	// LastWrote is when the person of a queue (as NextDue names it) last
	// wrote; zero when not known.
	LastWrote(ctx context.Context, queue string) (time.Time, error)
	// Park holds a leased queue, its head first, until its person writes.
	Park(ctx context.Context, queue string, now time.Time) (bool, error)
	// Invited reports whether another lane's queue of the person is
	// parked: they have the invitation already.
	Invited(ctx context.Context, queue string) (bool, error)
	// Wrote records that the person of the queue named by a chat address
	// wrote at at, and lets the queue go if it was parked before.
	Wrote(ctx context.Context, chat string, at, now time.Time) (bool, error)
	// KeepSent keeps the leased head of queue, sent as platform message
	// id; Resend queues it again in its place, the window taken for
	// closed unless the person wrote after at.
	KeepSent(ctx context.Context, queue, id string, item []byte, keep time.Duration) error
	Resend(ctx context.Context, chat, id string, at, now time.Time) (bool, error)
	// Sendable is how many items wait outside parked queues.
	Sendable(ctx context.Context) (int, error)
}

// windowMargin is how much of a window the outbox leaves unused: a message
// sent a minute before the window closes may arrive after.
const windowMargin = 5 * time.Minute

// Wrote tells the outbox that the person at chat (an address,
// "whatsapp:9715...") wrote at at (the platform's time; zero or later
// than now is now): their window is open, and what was held for them
// goes out.
func (o *Outbox) Wrote(ctx context.Context, chat string, at time.Time) error {
	if o.Window == nil {
		return nil
	}
	now := o.now()
	if at.IsZero() || at.After(now) {
		at = now
	}
	if _, err := o.Window.Wrote(ctx, chat, at, now); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	o.poke()
	return nil
}

// Resend queues again, in its place, the message sent to chat as platform
// message id, which the platform reports it refused at at for the window:
// the template goes first, and the message once the person writes. It
// reports false when the message is no longer kept; a repeated report
// reports true and changes nothing.
func (o *Outbox) Resend(ctx context.Context, chat, id string, at time.Time) (bool, error) {
	if o.Window == nil {
		return false, nil
	}
	now := o.now()
	if at.IsZero() || at.After(now) {
		at = now
	}
	ok, err := o.Window.Resend(ctx, chat, id, at, now)
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	if ok {
		o.poke()
	}
	return ok, nil
}

// windowClosed reports whether the window of the queue's person is closed
// on ch, by the store's record of when they last wrote.
func (o *Outbox) windowClosed(ctx context.Context, ch Channel, queue string) (bool, error) {
	w, ok := ch.(Windowed)
	if !ok || o.Window == nil {
		return false, nil
	}
	last, err := o.Window.LastWrote(ctx, queue)
	if err != nil {
		return false, err
	}
	return o.now().Sub(last) >= w.Window()-windowMargin, nil
}

// reopen sends the channel's invitation in place of r and parks the queue:
// r and what follows it wait until the person writes.
//
// A person is sent one invitation for all the bot owes them: when another
// lane of theirs waits on one already, the queue is parked without.
func (o *Outbox) reopen(ctx context.Context, ch Channel, queue string, attempts int, r *Reply) error {
	invited, err := o.Window.Invited(ctx, queue)
	if err != nil {
		return err
	}
	if invited {
		_, err := o.Window.Park(ctx, queue, o.now())
		return err
	}
	ro, ok := ch.(Reopener)
	var id string
	if ok {
		id, ok, err = ro.Reopen(ctx, *r)
	}
	if err == nil && !ok {
		return o.dead(ctx, queue, r, failure("outside the messaging window, and no template to reopen it"))
	}
	if err != nil {
		var re *RetryError
		if errors.As(err, &re) {
			return o.retry(ctx, queue, attempts, r, re)
		}
		o.log.WarnContext(ctx, "template refused", "channel", ch.Name(), "err", err)
		return o.dead(ctx, queue, r, failure("outside the messaging window; template refused: "+err.Error()))
	}
	if id != "" && r.Ref != "" {
		// The invitation stands for r: a report that it never arrived
		// leads back to what r is about (the ticket), whose holder is
		// told. Only that way: an edit of r's ref must not edit it.
		if err := o.store.SetRef(ctx, r.Channel+":"+r.Chat, r.Ref, id, true); err != nil {
			o.log.WarnContext(ctx, "set ref", "channel", r.Channel, "err", err)
		}
	}
	if _, err := o.Window.Park(ctx, queue, o.now()); err != nil {
		return err
	}
	return nil
}

// keepSent keeps what was sent on a windowed channel, for Resend.
func (o *Outbox) keepSent(ctx context.Context, ch Channel, queue, id string, item []byte) {
	w, ok := ch.(Windowed)
	if !ok || o.Window == nil || id == "" {
		return
	}
	if err := o.Window.KeepSent(ctx, queue, id, item, w.Window()+time.Hour); err != nil {
		o.log.WarnContext(ctx, "keep sent message", "channel", ch.Name(), "err", err)
	}
}

// Poke has the senders of the lanes of ps (none: every lane) look for
// work at once: what an update queued under a batch (see Batcher) is
// there only once it is committed.
func (o *Outbox) Poke(ps ...Priority) {
	if len(ps) == 0 {
		ps = priorities
	}
	for _, p := range ps {
		select {
		case o.wake[p] <- struct{}{}:
		default:
		}
	}
}

func (o *Outbox) poke() { o.Poke() }
