package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// An update's batch spends two round trips on what used to take eight:
// what handling the update will read is read in the round trip that
// begins it (Begin), and what it writes waits and goes in the one that
// finishes it (Commit), with its replies and the Finish that lets the
// chat's next update go.
//
// Under a batch, Session, Lang and Count answer from what was read ahead
// or written before in the same update; SaveSession, SwapSession,
// DeleteSession, SetLang, Count's addition, ScheduleJob, EnqueueAll and
// Finish wait for Commit (ScheduleJob survives a Discard). Everything else (a ticket's transition, say) is
// done at once, as without a batch: its result is needed to answer.
//
// On one Redis server the commit is one pipeline, in order. On a cluster
// the waiting writes and the replies go first and Finish after them: the
// next update of the chat, which may begin the moment Finish lands, must
// read what this one wrote, and the nodes of a pipeline do not wait for
// one another.
type batch struct {
	mu     sync.Mutex
	ahead  []read
	act    *act // a change made with the begin (see act)
	known  map[string]known
	writes []write
}

// read is one value to read ahead: a key, or a field of a hash.
type read struct {
	key, field string
	// zr, when set, reads a sorted set's members instead (kept joined by
	// newlines); field then names the range.
	zr *redis.ZRangeArgs
}

func (r read) name() string { return r.key + "#" + r.field }

// known is a value the update has read or written; absent when there is
// none.
type known struct {
	v      string
	absent bool
}

// write is one write waiting for the commit. check, when set, looks at
// its reply after the commit. last writes go after all the others;
// always writes survive Discard: they complete a change already made.
type write struct {
	add    func(ctx context.Context, p redis.Pipeliner) redis.Cmder
	check  func(redis.Cmder) error
	last   bool
	always bool
}

type batchKey struct{}

func batchOf(ctx context.Context) *batch {
	b, _ := ctx.Value(batchKey{}).(*batch)
	return b
}

// Batch returns ctx with a batch of its own (see batch): the store's reads
// registered by Preload* happen with the next Begin, and its writes wait
// for Commit or are dropped by Discard.
func (s *Store) Batch(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchKey{}, &batch{known: map[string]known{}})
}

// PreloadSession has who's session read with the batch's Begin.
func (s *Store) PreloadSession(ctx context.Context, who string) {
	batchOf(ctx).readAhead(read{key: s.sessionKey(who)})
}

// PreloadLang has the language of the person at a read with the batch's
// Begin.
func (s *Store) PreloadLang(ctx context.Context, a shakwa.Address) {
	batchOf(ctx).readAhead(read{key: s.personKey(s.PersonID(a)), field: pLang})
}

// PreloadCount has the counter Count(ctx, name, window, now) adds to read
// with the batch's Begin.
func (s *Store) PreloadCount(ctx context.Context, name string, window time.Duration, now time.Time) {
	key, _ := s.countKey(name, window, now)
	batchOf(ctx).readAhead(read{key: key})
}

func (b *batch) readAhead(r read) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ahead = append(b.ahead, r)
}

// forget drops what the update knows of key's reads: it wrote key behind
// the batch's back.
func (b *batch) forget(key string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for name := range b.known {
		if strings.HasPrefix(name, key+"#") {
			delete(b.known, name)
		}
	}
}

// lookup is get on a batch that may be nil.
func (b *batch) lookup(r read) (known, bool) {
	if b == nil {
		return known{}, false
	}
	return b.get(r)
}

// get returns what the update knows of r.
func (b *batch) get(r read) (known, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.known[r.name()]
	return k, ok
}

// set records what the update now knows of r.
func (b *batch) set(r read, k known) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.known[r.name()] = k
}

// keep is set on a batch that may be nil (none in ctx).
func (b *batch) keep(r read, k known) {
	if b != nil {
		b.set(r, k)
	}
}

// readVia reads r, from ctx's batch when the update knows it already,
// and keeps what it read there.
func (s *Store) readVia(ctx context.Context, r read) (known, error) {
	b := batchOf(ctx)
	if b != nil {
		if k, ok := b.get(r); ok {
			return k, nil
		}
	}
	var v string
	var err error
	if r.field != "" {
		v, err = s.rdb.HGet(ctx, r.key, r.field).Result()
	} else {
		v, err = s.rdb.Get(ctx, r.key).Result()
	}
	k := known{v: v}
	switch {
	case errors.Is(err, redis.Nil):
		k = known{absent: true}
	case err != nil:
		return known{}, err
	}
	b.keep(r, k)
	return k, nil
}

// later queues w for the commit.
func (b *batch) later(w write) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, w)
}

// readsAhead reports whether b (which may be nil) has reads to make, or
// acts, with the begin.
func (b *batch) readsAhead() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.ahead) > 0 || b.act != nil && b.act.res == nil
}

// addReads puts the batch's reads ahead into p and returns their
// commands, in order.
func (b *batch) addReads(ctx context.Context, p redis.Pipeliner) []redis.Cmder {
	b.mu.Lock()
	defer b.mu.Unlock()
	cmds := make([]redis.Cmder, len(b.ahead))
	for i, r := range b.ahead {
		if r.zr != nil {
			cmds[i] = p.ZRangeArgs(ctx, *r.zr)
		} else if r.field != "" {
			cmds[i] = p.HGet(ctx, r.key, r.field)
		} else {
			cmds[i] = p.Get(ctx, r.key)
		}
	}
	return cmds
}

// keepReads records the replies to addReads' commands.
func (b *batch) keepReads(cmds []redis.Cmder) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, c := range cmds {
		var v string
		var err error
		switch c := c.(type) {
		case *redis.StringSliceCmd:
			var vs []string
			vs, err = c.Result()
			v = strings.Join(vs, "\n")
		case *redis.StringCmd:
			v, err = c.Result()
		}
		switch {
		case errors.Is(err, redis.Nil):
			b.known[b.ahead[i].name()] = known{absent: true}
		case err != nil:
			return err
		default:
			b.known[b.ahead[i].name()] = known{v: v}
		}
	}
	b.ahead = nil
	return nil
}

// Commit sends the writes waiting in ctx's batch (see batch) and empties
// it. An error means some may have been made and others not: the update
// is handled again, and every write is one that may be made twice (the
// replies go under their once key). An error wrapping shakwa.ErrConflict
// says only that Finish found the update's turn lost (a copy took it
// over); everything else was written.
func (s *Store) Commit(ctx context.Context) error {
	b := batchOf(ctx)
	if b == nil {
		return nil
	}
	if err := s.settleAct(ctx, false); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	b.mu.Lock()
	writes := b.writes
	b.writes = nil
	b.mu.Unlock()
	var first, last []write
	for _, w := range writes {
		if w.last {
			last = append(last, w)
		} else {
			first = append(first, w)
		}
	}
	if _, cluster := s.rdb.(*redis.ClusterClient); !cluster {
		first, last = append(first, last...), nil
	}
	for _, ws := range [][]write{first, last} {
		if err := s.send(ctx, ws); err != nil {
			return err
		}
	}
	return nil
}

// send writes ws in one pipeline and checks their replies.
func (s *Store) send(ctx context.Context, ws []write) error {
	if len(ws) == 0 {
		return nil
	}
	cmds := make([]redis.Cmder, len(ws))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, w := range ws {
			cmds[i] = w.add(ctx, p)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("commit: %w", err)
	}
	var conflict error
	for i, w := range ws {
		if w.check == nil {
			continue
		}
		if err := w.check(cmds[i]); errors.Is(err, shakwa.ErrConflict) {
			conflict = err
		} else if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	return conflict
}

// Discard drops the writes waiting in ctx's batch: the update failed, and
// nothing it meant to write is kept, but what completes a change already
// made (a new ticket's indexes and tallies), which a Commit still makes.
func (s *Store) Discard(ctx context.Context) {
	if b := batchOf(ctx); b != nil {
		b.mu.Lock()
		kept := b.writes[:0]
		for _, w := range b.writes {
			if w.always {
				kept = append(kept, w)
			}
		}
		b.writes = kept
		b.mu.Unlock()
	}
}

// evalLater is a script run in a commit: the script itself rather than
// its hash, so that a server that lost its script cache (it restarted)
// still runs it in order with the rest.
func evalLater(sc *redis.Script, keys []string, args ...any) func(context.Context, redis.Pipeliner) redis.Cmder {
	return func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return sc.Eval(ctx, p, keys, args...) }
}
