package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// IntakeStore remembers which updates were handled.
type IntakeStore interface {
	// BeginUpdate takes a lease on key; false means the update was handled
	// already. While another worker holds the lease it returns an error:
	// the update is not safe yet.
	BeginUpdate(ctx context.Context, key string, lease time.Duration) (bool, error)
	// FinishUpdate marks key handled, remembered for keep.
	FinishUpdate(ctx context.Context, key string, keep time.Duration) error
	// AbortUpdate drops the lease so a redelivery is handled.
	AbortUpdate(ctx context.Context, key string) error
}

// Enqueuer takes the replies to one Message, durably.
type Enqueuer interface {
	Enqueue(ctx context.Context, replies []Reply) error
}

// Intake runs Messages through a Handler at least once and at most once
// while remembered: each update is deduplicated on its platform id, the
// Messages of one chat are handled one at a time in arrival order, and the
// replies are queued before the update counts as handled.
type Intake struct {
	store   IntakeStore
	handler Handler
	out     Enqueuer
	log     *slog.Logger
	locks   chatLocks

	mu    sync.Mutex
	fails map[string]int // update key -> failed attempts, while it fails

	// Timeout bounds one Handle call. Lease is how long a crashed handling
	// blocks a redelivery; Keep how long a handled id is remembered.
	Timeout, Lease, Keep time.Duration
	// Tries is how many times a Message whose handling Fails is handled
	// before its replies go out anyway.
	Tries int
}

// NewIntake returns an Intake with the default timeouts.
func NewIntake(store IntakeStore, h Handler, out Enqueuer, log *slog.Logger) *Intake {
	return &Intake{store: store, handler: h, out: out, log: log, fails: map[string]int{},
		Timeout: 30 * time.Second, Lease: 2 * time.Minute, Keep: 48 * time.Hour, Tries: 3}
}

// Deliver handles m. It returns nil once m is handled and its replies are
// queued, or when m was handled before; an error means m must be delivered
// again (the webhook answers 5xx, the poller does not advance), which is
// also the answer to a copy of m that arrives while m is being handled.
func (in *Intake) Deliver(ctx context.Context, m *Message) error {
	key := "in:" + m.Channel + ":" + m.ID
	first, err := in.store.BeginUpdate(ctx, key, in.Lease)
	if err != nil {
		return fmt.Errorf("begin update: %w", err)
	}
	if !first {
		return nil
	}
	unlock, err := in.locks.lock(ctx, m.Channel+":"+m.Chat)
	if err != nil {
		return in.abort(key, err)
	}
	defer unlock()
	hctx, cancel := context.WithTimeout(ctx, in.Timeout)
	rs := in.handle(hctx, m)
	cancel()
	if rs.Err != nil && in.again(key) {
		return in.abort(key, fmt.Errorf("handle: %w", rs.Err))
	}
	in.forget(key)
	if err := in.out.Enqueue(ctx, rs.List); err != nil {
		return in.abort(key, fmt.Errorf("enqueue replies: %w", err))
	}
	if err := in.store.FinishUpdate(ctx, key, in.Keep); err != nil {
		in.log.WarnContext(ctx, "finish update", "channel", m.Channel, "err", err)
	}
	return nil
}

// again counts a failed handling of key and reports whether it should be
// tried again.
func (in *Intake) again(key string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.fails[key]++
	return in.fails[key] < in.Tries
}

func (in *Intake) forget(key string) {
	in.mu.Lock()
	delete(in.fails, key)
	in.mu.Unlock()
}

// abort releases the lease so the update is handled when redelivered.
func (in *Intake) abort(key string, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if aerr := in.store.AbortUpdate(ctx, key); aerr != nil {
		in.log.Warn("abort update", "err", aerr)
	}
	return err
}

// handle calls the Handler, turning a panic into a log line.
func (in *Intake) handle(ctx context.Context, m *Message) (rs *Replies) {
	rs = &Replies{}
	defer func() {
		if p := recover(); p != nil {
			in.log.ErrorContext(ctx, "handler panic", "channel", m.Channel, "panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
			rs = &Replies{}
		}
	}()
	in.handler.Handle(ctx, rs, m)
	return rs
}

// chatLocks serialises work per chat, first come first served.
type chatLocks struct {
	mu sync.Mutex
	m  map[string]*chatQueue
}

type chatQueue struct {
	waiting []chan struct{}
}

// lock waits for the chat's turn; unlock hands it to the next waiter.
func (l *chatLocks) lock(ctx context.Context, chat string) (func(), error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*chatQueue)
	}
	q, busy := l.m[chat]
	if !busy {
		l.m[chat] = &chatQueue{}
		l.mu.Unlock()
		return func() { l.unlock(chat) }, nil
	}
	turn := make(chan struct{})
	q.waiting = append(q.waiting, turn)
	l.mu.Unlock()
	select {
	case <-turn:
		return func() { l.unlock(chat) }, nil
	case <-ctx.Done():
		l.mu.Lock()
		for i, w := range q.waiting {
			if w == turn {
				q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
				l.mu.Unlock()
				return nil, ctx.Err()
			}
		}
		l.mu.Unlock()
		l.unlock(chat) // our turn came as we gave up: pass it on
		return nil, ctx.Err()
	}
}

func (l *chatLocks) unlock(chat string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.m[chat]
	if len(q.waiting) == 0 {
		delete(l.m, chat)
		return
	}
	next := q.waiting[0]
	q.waiting = q.waiting[1:]
	close(next)
}
