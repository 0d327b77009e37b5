package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrWindowClosed is the error of a Send the platform refuses because the
// person has not written within its window (WhatsApp: 24 hours). The
// outbox then sends the channel's Reopener template instead and holds the
// chat's queue until the person writes.
var ErrWindowClosed = errors.New("outside the messaging window")

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
	// Reopen sends the reader of r that invitation in place of r. It
	// reports false when the channel has none configured; errors are as
	// Send's.
	Reopen(ctx context.Context, r Reply) (bool, error)
}

// WindowStore keeps what the outbox needs for windowed channels.
type WindowStore interface {
	// LastWrote is when the person of a queue (as NextDue names it) last
	// wrote; zero when not known.
	LastWrote(ctx context.Context, queue string) (time.Time, error)
	// Park holds a leased queue, its head first, until its person writes.
	Park(ctx context.Context, queue string, now time.Time) (bool, error)
	// Wrote records that the person of the queue named by a chat address
	// wrote, and lets the queue go if it was parked.
	Wrote(ctx context.Context, chat string, now time.Time) (bool, error)
	// KeepSent keeps what was sent as platform message id, and Resend
	// queues it again, first, parked.
	KeepSent(ctx context.Context, id string, item []byte, keep time.Duration) error
	Resend(ctx context.Context, chat, id string, now time.Time) (bool, error)
}

// windowMargin is how much of a window the outbox leaves unused: a message
// sent a minute before the window closes may arrive after.
const windowMargin = 5 * time.Minute

// Wrote tells the outbox that the person at chat (an address,
// "whatsapp:9715...") wrote now: their window is open, and what was held
// for them goes out.
func (o *Outbox) Wrote(ctx context.Context, chat string) error {
	if o.Window == nil {
		return nil
	}
	if _, err := o.Window.Wrote(ctx, chat, o.now()); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	o.poke()
	return nil
}

// Resend queues again, first and held until its person writes, the message
// sent to chat as platform message id, which the platform reports it
// refused for the window. It reports false when the message is no longer
// kept.
func (o *Outbox) Resend(ctx context.Context, chat, id string) (bool, error) {
	if o.Window == nil {
		return false, nil
	}
	ok, err := o.Window.Resend(ctx, chat, id, o.now())
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
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
func (o *Outbox) reopen(ctx context.Context, ch Channel, queue string, attempts int, r *Reply) error {
	ro, ok := ch.(Reopener)
	var err error
	if ok {
		ok, err = ro.Reopen(ctx, *r)
	}
	if err == nil && !ok {
		return o.dead(ctx, queue, r, "outside the messaging window, and no template to reopen it")
	}
	if err != nil {
		var re *RetryError
		if errors.As(err, &re) {
			return o.retry(ctx, queue, attempts, r, re)
		}
		o.log.WarnContext(ctx, "template refused", "channel", ch.Name(), "err", err)
		return o.dead(ctx, queue, r, "outside the messaging window; template refused: "+err.Error())
	}
	if _, err := o.Window.Park(ctx, queue, o.now()); err != nil {
		return err
	}
	return nil
}

// keepSent keeps what was sent on a windowed channel, for Resend.
func (o *Outbox) keepSent(ctx context.Context, ch Channel, id string, item []byte) {
	w, ok := ch.(Windowed)
	if !ok || o.Window == nil || id == "" {
		return
	}
	if err := o.Window.KeepSent(ctx, id, item, w.Window()+time.Hour); err != nil {
		o.log.WarnContext(ctx, "keep sent message", "channel", ch.Name(), "err", err)
	}
}

func (o *Outbox) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}
