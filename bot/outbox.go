package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// OutboxStore keeps queued replies durably, per chat and in order.
type OutboxStore interface {
	// EnqueueAll appends items[i] to the queue of chats[i], all or none.
	EnqueueAll(ctx context.Context, chats []string, items [][][]byte, now time.Time) error
	NextDue(ctx context.Context, now time.Time, lease time.Duration) (chat string, item []byte, ok bool, err error)
	Sent(ctx context.Context, chat string, next time.Time) error
	Retry(ctx context.Context, chat string, at time.Time) (attempts int, err error)
	Dead(ctx context.Context, chat string, reason string, now time.Time) error
	SetRef(ctx context.Context, chat, ref, messageID string) error
	Ref(ctx context.Context, chat, ref string) (string, error)
}

// Pacer is a Channel's optional knowledge of its platform's rate limits.
type Pacer interface {
	// Pace is how long to wait after sending r before the next message to
	// the same chat.
	Pace(r Reply) time.Duration
	// PerSecond is how many messages the channel may send in all.
	PerSecond() float64
}

// Outbox sends queued Replies through their Channels: one chat's replies in
// order, paced per chat and per channel, retried with backoff when the
// platform asks, and kept as dead letters when they can never be delivered.
type Outbox struct {
	store    OutboxStore
	channels map[string]Channel
	limits   map[string]*limiter
	now      func() time.Time
	log      *slog.Logger
	wake     chan struct{}

	mu    sync.Mutex
	tries map[string]int // chat -> consecutive failures, for backoff

	// Workers is how many chats are served at once; Lease how long one
	// send may take before another worker may take the chat; MaxAttempts
	// how many failures make a dead letter; Idle how often an idle worker
	// looks for due work.
	Workers     int
	Lease       time.Duration
	MaxAttempts int
	Idle        time.Duration
}

// NewOutbox returns an Outbox over channels.
func NewOutbox(store OutboxStore, channels []Channel, now func() time.Time, log *slog.Logger) *Outbox {
	o := &Outbox{store: store, channels: map[string]Channel{}, limits: map[string]*limiter{},
		now: now, log: log, wake: make(chan struct{}, 1), tries: map[string]int{},
		Workers: 4, Lease: time.Minute, MaxAttempts: 12, Idle: 250 * time.Millisecond}
	for _, ch := range channels {
		o.channels[ch.Name()] = ch
		rate := 30.0
		if p, ok := ch.(Pacer); ok {
			rate = p.PerSecond()
		}
		o.limits[ch.Name()] = &limiter{gap: time.Duration(float64(time.Second) / rate)}
	}
	return o
}

// noticeQueue names a chat's queue of notices (see Reply.Notice): apart
// from its messages, and never paced.
const noticeQueue = "notices"

// Enqueue queues replies, grouped by chat in the order given, all in one
// step: a failure queues none, so a redelivered update sends nothing twice.
func (o *Outbox) Enqueue(ctx context.Context, replies []Reply) error {
	var order []string
	byChat := map[string][][]byte{}
	for _, r := range replies {
		data, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("encode reply: %w", err)
		}
		chat := r.Channel + ":" + r.Chat
		if r.Notice {
			// Answers to button presses go at once, not paced behind the
			// chat's messages: the platform waits only seconds for them.
			chat = r.Channel + ":" + noticeQueue + ":" + r.Chat
		}
		if _, ok := byChat[chat]; !ok {
			order = append(order, chat)
		}
		byChat[chat] = append(byChat[chat], data)
	}
	items := make([][][]byte, len(order))
	for i, chat := range order {
		items[i] = byChat[chat]
	}
	if err := o.store.EnqueueAll(ctx, order, items, o.now()); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if len(order) > 0 {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// channelOf names a chat for errors and logs without its id.
func channelOf(chat string) string {
	for i := range len(chat) {
		if chat[i] == ':' {
			return chat[:i]
		}
	}
	return chat
}

// Run sends until ctx is done, then waits for sends in flight.
func (o *Outbox) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.work(ctx)
		}()
	}
	wg.Wait()
	return nil
}

func (o *Outbox) work(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		busy, err := o.SendOne(ctx)
		if err != nil && ctx.Err() == nil {
			o.log.WarnContext(ctx, "outbox", "err", err)
		}
		if busy {
			continue
		}
		timer.Reset(o.Idle)
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
	}
}

// SendOne sends the next due reply, if any, and reports whether there was
// one.
func (o *Outbox) SendOne(ctx context.Context) (bool, error) {
	chat, item, ok, err := o.store.NextDue(ctx, o.now(), o.Lease)
	if err != nil || !ok {
		return false, err
	}
	var r Reply
	if err := json.Unmarshal(item, &r); err != nil {
		return true, o.store.Dead(ctx, chat, "undecodable: "+err.Error(), o.now())
	}
	ch, ok := o.channels[r.Channel]
	if !ok {
		return true, o.store.Dead(ctx, chat, "no channel "+r.Channel, o.now())
	}
	editID := ""
	if r.Edit && r.Ref != "" {
		if editID, err = o.store.Ref(ctx, chat, r.Ref); err != nil {
			return true, o.retry(ctx, chat, err)
		}
	}
	if err := o.limits[r.Channel].wait(ctx); err != nil {
		return true, nil // shutting down; the lease runs out and the item is sent later
	}
	sent, err := ch.Send(ctx, r, editID)
	if err != nil {
		return true, o.failed(ctx, chat, err)
	}
	o.forget(chat)
	if r.Ref != "" && sent.MessageID != "" {
		if err := o.store.SetRef(ctx, chat, r.Ref, sent.MessageID); err != nil {
			o.log.WarnContext(ctx, "set ref", "channel", r.Channel, "err", err)
		}
	}
	var pace time.Duration
	if p, ok := ch.(Pacer); ok {
		pace = p.Pace(r)
	}
	return true, o.store.Sent(ctx, chat, o.now().Add(pace))
}

// failed retries what may pass and keeps the rest as a dead letter.
func (o *Outbox) failed(ctx context.Context, chat string, err error) error {
	var re *RetryError
	if !errors.As(err, &re) {
		o.forget(chat)
		o.log.WarnContext(ctx, "undeliverable", "channel", channelOf(chat), "err", err)
		return o.store.Dead(ctx, chat, err.Error(), o.now())
	}
	return o.retry(ctx, chat, err)
}

func (o *Outbox) retry(ctx context.Context, chat string, err error) error {
	n, delay := o.attempt(chat)
	if n >= o.MaxAttempts {
		o.forget(chat)
		o.log.WarnContext(ctx, "gave up", "channel", channelOf(chat), "attempts", n, "err", err)
		return o.store.Dead(ctx, chat, err.Error(), o.now())
	}
	var re *RetryError
	if errors.As(err, &re) && re.After > delay {
		delay = re.After
	}
	_, err = o.store.Retry(ctx, chat, o.now().Add(delay))
	return err
}

// attempt counts a failure of chat's head and returns the failures so far
// and the backoff: doubling from one second, up to 5 minutes. The count is
// this process's: after a restart an item gets MaxAttempts again.
func (o *Outbox) attempt(chat string) (int, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.tries[chat]
	o.tries[chat] = n + 1
	return n + 1, min(time.Second<<min(n, 9), 5*time.Minute)
}

func (o *Outbox) forget(chat string) {
	o.mu.Lock()
	delete(o.tries, chat)
	o.mu.Unlock()
}

// limiter spaces sends at least gap apart.
type limiter struct {
	mu   sync.Mutex
	next time.Time
	gap  time.Duration
}

func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.gap)
	l.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
