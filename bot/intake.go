package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/shakwa/shakwa"
)

// IntakeStore keeps, for every chat, the line of its updates being handled
// or waiting, which updates were handled, and how often each failed. It is
// shared by every process that delivers the chat's updates, so it is what
// keeps one chat's updates one at a time and in order across replicas.
type IntakeStore interface {
	// Begin joins or finds update id in chat's line, holding its place
	// with token for lease. done: handled already, drop it. wait: an
	// earlier update is ahead; call again later (that renews the place).
	// Neither: it is this update's turn. An error wrapping
	// shakwa.ErrConflict means a copy of the update holds its place.
	Begin(ctx context.Context, chat, id, token string, now time.Time, lease time.Duration) (done, wait bool, err error)
	// Renew extends token's hold on update id for lease; false: lost.
	Renew(ctx context.Context, chat, id, token string, now time.Time, lease time.Duration) (bool, error)
	// Finish marks update id handled, remembered for keep, and lets the
	// chat's next update go.
	Finish(ctx context.Context, chat, id, token string, now time.Time, keep time.Duration) (bool, error)
	// Abort gives the update's place up without marking it handled.
	Abort(ctx context.Context, chat, id, token string) error
	// Failed counts a failed handling of update id and returns the
	// failures so far.
	Failed(ctx context.Context, chat, id string, keep time.Duration) (int, error)
}

// Batcher is an IntakeStore's optional way to spend fewer round trips on
// an update: reads a Preloader names are made in the round trip that
// begins it, and its writes (the Handler's, the replies' and Finish) wait
// under ctx and go together.
type Batcher interface {
	// Batch returns ctx with a batch of its own.
	Batch(ctx context.Context) context.Context
	// Commit makes the writes waiting in ctx's batch. An error wrapping
	// shakwa.ErrConflict means only that the update's turn was found lost
	// as it finished (see Finish).
	Commit(ctx context.Context) error
	// Discard drops them, but for those that complete a change already
	// made, which a Commit then makes.
	Discard(ctx context.Context)
}

// Preloader is a Handler's optional word on what handling m will read:
// Intake calls it under the update's batch (see Batcher), before the
// update begins, so that the store reads it with the begin. The context
// it returns is the one m is handled under: what Preload decided from
// (the configuration it read, say) can go with it to Handle.
type Preloader interface {
	Preload(ctx context.Context, m *Message) context.Context
}

// Apologizer is a Handler's optional word for a person whose Message it
// could not handle at all (it panicked): Intake sends that instead.
type Apologizer interface {
	// Apology renders the replies for m without touching any store.
	Apology(m *Message) []Reply
}

// Enqueuer takes the replies to one Message (or one job), durably.
type Enqueuer interface {
	// Enqueue queues replies, all or none. once names the work they
	// answer: replies queued under the same once key within keep are not
	// queued again, and Enqueue reports fresh false.
	Enqueue(ctx context.Context, once string, keep time.Duration, replies []Reply) (fresh bool, err error)
}

// Intake runs Messages through a Handler at least once and at most once
// while remembered: each update is deduplicated on its platform id, the
// Messages of one chat are handled one at a time in arrival order (across
// every process sharing the store), and the replies are queued before the
// update counts as handled.
type Intake struct {
	store   IntakeStore
	handler Handler
	out     Enqueuer
	log     *slog.Logger
	now     func() time.Time
	turns   turns

	// Timeout bounds one Handle call. Lease is how long a chat's turn (or
	// a place in its line) is held without renewal: how soon the chat
	// moves on after its process died. Keep is how long a handled update
	// is remembered (Meta resends for up to 7 days; the marks are a sorted
	// set per chat, small). OnceKeep is how long the outbox remembers an
	// update's replies were queued: it closes the moment between queueing
	// them and marking the update handled, which a copy of the update
	// meets within minutes.
	Timeout, Lease, Keep, OnceKeep time.Duration
	// Tries is how many times a Message whose handling Fails is handled
	// before its replies go out anyway.
	Tries int
	// Observe, when set, hears how each Deliver ended and how long it took.
	Observe Observer
}

// NewIntake returns an Intake with the default timeouts. now is the clock
// of leases and marks.
func NewIntake(store IntakeStore, h Handler, out Enqueuer, now func() time.Time, log *slog.Logger) *Intake {
	return &Intake{store: store, handler: h, out: out, log: log, now: now,
		Timeout: 30 * time.Second, Lease: 10 * time.Second, Keep: 8 * 24 * time.Hour, OnceKeep: 24 * time.Hour, Tries: 3}
}

// errStopping is returned for an update whose turn did not come before
// its context ended.
var errStopping = errors.New("stopped before its turn")

// Deliver handles m. It returns nil once m is handled and its replies are
// queued, or when m was handled before; an error means m must be delivered
// again (the webhook answers 5xx, the poller does not advance), which is
// also the answer to a copy of m that arrives while m is being handled.
func (in *Intake) Deliver(ctx context.Context, m *Message) error {
	start := time.Now()
	outcome, err := in.deliver(ctx, m)
	observed(in.Observe).Update(m.Channel, outcome, time.Since(start))
	return err
}

// deliver is Deliver, saying how it ended.
func (in *Intake) deliver(ctx context.Context, m *Message) (Outcome, error) {
	chat := m.Channel + ":" + m.Chat
	token := rand.Text()
	ctx = shakwa.WithUpdate(ctx, chat+":"+m.ID)
	batch, batched := in.store.(Batcher)
	if batched {
		ctx = context.WithValue(batch.Batch(ctx), committedLater{}, true)
		if p, ok := in.handler.(Preloader); ok {
			ctx = p.Preload(ctx, m)
		}
	}
	done, err := in.wait(ctx, chat, m.ID, token)
	switch {
	case err != nil:
		return Errored, err
	case done:
		return Duplicate, nil
	}
	defer in.turns.pass(chat)
	rs, panicked := in.handle(ctx, chat, m, token)
	outcome := Handled
	if panicked {
		outcome = Panicked
	}
	if rs.Err != nil {
		if batched {
			// What the failed handling meant to write is dropped; what
			// completes a change it made is written.
			batch.Discard(ctx)
			if err := batch.Commit(ctx); err != nil {
				in.log.WarnContext(ctx, "commit after a failed handling", "channel", m.Channel, "err", err)
			}
		}
		n, err := in.store.Failed(ctx, chat, m.ID, in.Keep)
		if err != nil || n < in.Tries {
			rs.Dropped(ctx)
		}
		switch {
		case err != nil:
			return Errored, in.abort(chat, m.ID, token, fmt.Errorf("handle: %w (and count the failure: %v)", rs.Err, err))
		case n < in.Tries:
			return Retry, in.abort(chat, m.ID, token, fmt.Errorf("handle: %w", rs.Err))
		}
		// Tried enough: the apology goes out and the update is done.
		outcome = Apologized
	}
	rs.List = takeInline(ctx, m, rs.List)
	for i := range rs.List {
		if r := &rs.List[i]; r.Priority == Answer && (r.Channel != m.Channel || r.Chat != m.Chat) {
			r.Priority = Notify // not the person who wrote: after their answer
		}
	}
	if _, err := in.out.Enqueue(ctx, "in:"+m.Channel+":"+m.ID, in.OnceKeep, rs.List); err != nil {
		rs.Dropped(ctx)
		return Errored, in.abort(chat, m.ID, token, fmt.Errorf("enqueue replies: %w", err))
	}
	held, err := in.store.Finish(ctx, chat, m.ID, token, in.now(), in.Keep)
	if batched && err == nil {
		err = batch.Commit(ctx)
		if errors.Is(err, shakwa.ErrConflict) {
			held, err = false, nil
		} else if err != nil {
			// Some writes may be made: the redelivery is handled again,
			// and its replies are queued once.
			return Errored, in.abort(chat, m.ID, token, fmt.Errorf("commit update: %w", err))
		}
		if p, ok := in.out.(interface{ Poke(...Priority) }); ok {
			p.Poke(lanesOf(rs.List)...) // the replies are there now
		}
	}
	if err != nil {
		// The replies are queued under the update's once key: a redelivery
		// is handled again but sends nothing twice.
		in.log.WarnContext(ctx, "finish update", "channel", m.Channel, "err", err)
	} else if !held {
		in.log.WarnContext(ctx, "update's turn was lost while it was handled", "channel", m.Channel)
	}
	return outcome, nil
}

// wait joins m's chat line and waits for its turn. It reports done for an
// update handled before.
func (in *Intake) wait(ctx context.Context, chat, id, token string) (done bool, err error) {
	// A chat's turn passes within a lease even when its holder died; an
	// update still waiting after a whole handling's time is asked for
	// again rather than held.
	ctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	pause := 5 * time.Millisecond
	for {
		wake := in.turns.watch(chat)
		done, wait, err := in.store.Begin(ctx, chat, id, token, in.now(), in.Lease)
		if err != nil {
			return false, fmt.Errorf("begin update: %w", err)
		}
		if done || !wait {
			return done, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, in.abort(chat, id, token, errStopping)
		case <-wake: // a turn of the chat ended here: look at once
		case <-t.C:
		}
		t.Stop()
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// abort gives the update's place up so that it is handled when
// redelivered.
func (in *Intake) abort(chat, id, token string, err error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if aerr := in.store.Abort(ctx, chat, id, token); aerr != nil {
		in.log.Warn("abort update", "err", aerr)
	}
	return err
}

// handle calls the Handler under the update's deadline, renewing its turn
// meanwhile, and turns a panic into a log line. A turn lost to a copy of
// the update (this process stalled past the lease) ends the handling.
func (in *Intake) handle(ctx context.Context, chat string, m *Message, token string) (rs *Replies, panicked bool) {
	hctx, cancel := context.WithTimeout(ctx, in.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { in.renew(hctx, cancel, stop, chat, m.ID, token) })
	defer func() {
		close(stop)
		wg.Wait()
	}()
	rs = &Replies{}
	defer func() {
		if p := recover(); p != nil {
			in.log.ErrorContext(ctx, "handler panic", "channel", m.Channel, "panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
			// Whatever was half done is dropped, and undone; the person
			// is not left without an answer.
			rs.Dropped(ctx)
			rs, panicked = &Replies{}, true
			if a, ok := in.handler.(Apologizer); ok {
				rs.List = a.Apology(m)
			}
		}
	}()
	in.handler.Handle(hctx, rs, m)
	return rs, false
}

// renew keeps the update's turn until stop, every third of the lease.
func (in *Intake) renew(ctx context.Context, lost context.CancelFunc, stop <-chan struct{}, chat, id, token string) {
	t := time.NewTicker(max(in.Lease/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		held, err := in.store.Renew(ctx, chat, id, token, in.now(), in.Lease)
		switch {
		case err != nil:
			in.log.WarnContext(ctx, "renew update's turn", "err", err) // try again next tick
		case !held:
			in.log.WarnContext(ctx, "update's turn lost: a copy is handled elsewhere")
			lost()
			return
		}
	}
}

// turns lets the updates of a chat waiting in this process look again at
// once when one of the chat's turns ends here; waiters in other processes
// find out by polling.
type turns struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

// watch returns a channel closed when a turn of chat next ends here.
func (w *turns) watch(chat string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]chan struct{}{}
	}
	c, ok := w.m[chat]
	if !ok {
		c = make(chan struct{})
		w.m[chat] = c
	}
	return c
}

// pass wakes the watchers of chat.
func (w *turns) pass(chat string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.m[chat]; ok {
		close(c)
		delete(w.m, chat)
	}
}
