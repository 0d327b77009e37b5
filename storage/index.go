package storage

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// entry is one index a ticket belongs in, with its score there.
type entry struct {
	key   string
	score float64
}

// entries lists the indexes t belongs in, given its state.
func (s *Store) entries(t *shakwa.Ticket) []entry {
	c := score(t.Created)
	es := []entry{{s.plain("created"), c}}
	if t.Citizen != "" && t.Citizen != shakwa.ErasedCitizen {
		es = append(es, entry{s.key("citizen", t.Citizen), c})
	}
	for _, a := range t.Attachments {
		if a.File != "" {
			es = append(es, entry{s.fileUseKey(a.File), c})
		}
	}
	switch t.Status {
	case shakwa.StatusNew:
		es = append(es, entry{s.key("queue", t.Centre), c})
	case shakwa.StatusClaimed, shakwa.StatusInProgress:
		if t.Holder.ID != "" {
			es = append(es, entry{s.key("held", t.Holder.ID), c})
		}
	}
	return es
}

// fileUseKey names the index of the tickets and visits whose attachments
// keep file's bytes in the file store: files are kept once by content, so
// two citizens' identical files are one.
func (s *Store) fileUseKey(file string) string { return s.key("fileuse", file) }

// FileUsed reports whether a ticket or visit other than those of except
// (ids) has file among its attachments, so that its bytes must stay. An
// erased ticket and a discarded visit have none; but under a batch a
// ticket's index entries go only at the commit, so a caller that erases
// several tickets of one file names them all.
func (s *Store) FileUsed(ctx context.Context, file string, except ...string) (bool, error) {
	ids, err := s.rdb.ZRange(ctx, s.fileUseKey(file), 0, int64(len(except))).Result()
	if err != nil {
		return false, fmt.Errorf("file used: %w", err)
	}
	for _, id := range ids {
		if !slices.Contains(except, id) {
			return true, nil
		}
	}
	return false, nil
}

// entryIn returns t's entry in the index key, if t belongs there.
func (s *Store) entryIn(t *shakwa.Ticket, key string) (entry, bool) {
	if t == nil {
		return entry{}, false
	}
	for _, e := range s.entries(t) {
		if e.key == key {
			return e, true
		}
	}
	return entry{}, false
}

// belongs reports whether t belongs in the index key.
func (s *Store) belongs(t *shakwa.Ticket, key string) bool {
	_, ok := s.entryIn(t, key)
	return ok
}

// index adds ticket after to the indexes it belongs in and removes it from
// those only before belonged in (before may be nil), and replaces its
// tallies, in one round trip. A removal is followed by a fresh read of the
// ticket: if a concurrent change made it belong there again, the entry is
// restored, so racing writers never lose an entry.
func (s *Store) index(ctx context.Context, before, after *shakwa.Ticket) error {
	var gone []string
	var settle func() error
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		gone = s.indexIn(ctx, p, before, after)
		var err error
		settle, err = s.tallyTicket(ctx, p, after, before)
		return err
	}); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	if err := settle(); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	return s.restore(ctx, gone, []string{after.ID})
}

// indexSoon is index, made with the commit of ctx's batch when there is
// one (see batch): its pipeline goes with the update's other writes, and
// what follows it (settling the tallies, restoring entries) after them.
func (s *Store) indexSoon(ctx context.Context, before, after *shakwa.Ticket) error {
	b := batchOf(ctx)
	if b == nil {
		return s.index(ctx, before, after)
	}
	var gone []string
	var settle func() error
	var err error
	var commit context.Context
	var reread *redis.MapStringStringCmd
	_, cluster := s.rdb.(*redis.ClusterClient)
	b.later(write{
		always: true, // the ticket exists: its indexes and tallies must follow
		add: func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
			commit = ctx
			gone = s.indexIn(ctx, p, before, after)
			settle, err = s.tallyTicket(ctx, p, after, before)
			if len(gone) > 0 && !cluster {
				// One server runs a pipeline in order: the ticket read
				// after the removals is as good as a read of its own.
				reread = p.HGetAll(ctx, s.ticketKey(after.ID))
			}
			return nil
		},
		check: func(redis.Cmder) error {
			if err == nil {
				err = settle()
			}
			if err == nil && reread != nil {
				err = s.restoreFrom(commit, gone, reread)
			} else if err == nil {
				err = s.restore(commit, gone, []string{after.ID})
			}
			if err != nil {
				return fmt.Errorf("index %s: %w", after.ID, err)
			}
			return nil
		},
	})
	return nil
}

// indexIn queues index's additions and removals on p and returns the
// indexes after was removed from, for restore.
func (s *Store) indexIn(ctx context.Context, p redis.Pipeliner, before, after *shakwa.Ticket) (gone []string) {
	for _, e := range s.entries(after) {
		p.ZAdd(ctx, e.key, redis.Z{Score: e.score, Member: after.ID})
	}
	if before != nil {
		for _, e := range s.entries(before) {
			if !s.belongs(after, e.key) {
				gone = append(gone, e.key)
				p.ZRem(ctx, e.key, after.ID)
			}
		}
	}
	return gone
}

// prune removes ids from the index key, where they were found not to
// belong, then restores any that belong there again by now.
func (s *Store) prune(ctx context.Context, key string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := s.rdb.ZRem(ctx, key, toAny(ids)...).Err(); err != nil {
		return fmt.Errorf("prune index: %w", err)
	}
	return s.restore(ctx, []string{key}, ids)
}

// restore re-reads the tickets ids after they were removed from the
// indexes keys and adds back those that belong there by now.
func (s *Store) restore(ctx context.Context, keys, ids []string) error {
	if len(keys) == 0 || len(ids) == 0 {
		return nil
	}
	ts, err := s.loadTickets(ctx, ids)
	if err != nil {
		return fmt.Errorf("index: restore: %w", err)
	}
	return s.readd(ctx, keys, ts)
}

// restoreFrom is restore with the ticket already read, by cmd, after
// its removal from the indexes keys.
func (s *Store) restoreFrom(ctx context.Context, keys []string, cmd *redis.MapStringStringCmd) error {
	m, err := cmd.Result()
	if err != nil {
		return fmt.Errorf("index: restore: %w", err)
	}
	if len(m) == 0 {
		return nil // gone meanwhile: it belongs nowhere
	}
	t, err := parseTicket(m)
	if err != nil {
		return fmt.Errorf("index: restore: %w", err)
	}
	return s.readd(ctx, keys, []*shakwa.Ticket{t})
}

// readd adds each of ts (nil for a missing one) back to those of keys it
// belongs in.
func (s *Store) readd(ctx context.Context, keys []string, ts []*shakwa.Ticket) error {
	pipe := s.rdb.Pipeline()
	for _, t := range ts {
		for _, k := range keys {
			if e, ok := s.entryIn(t, k); ok {
				pipe.ZAdd(ctx, k, redis.Z{Score: e.score, Member: t.ID})
			}
		}
	}
	if pipe.Len() == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("index: restore: %w", err)
	}
	return nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// query is a read of one index: a score range, a direction and a limit.
type query struct {
	key      string
	min, max string // scores, as ZRANGE BYSCORE takes them
	rev      bool   // highest score first
	limit    int    // at most this many tickets; <= 0 for all
	// keep filters tickets that belong in the index (e.g. an exact time
	// range); nil keeps all.
	keep func(*shakwa.Ticket) bool
	// first, when read is set, is the reply to the first ZRANGE, read
	// already (see PreloadCitizenTickets).
	first []string
	read  bool
}

// batch is how many index entries a read takes at a time: a few more than
// it needs, to allow for stale ones, and at most 500.
func (q query) batch() int64 {
	if q.limit <= 0 || q.limit > 250 {
		return 500
	}
	return int64(2*q.limit + 8)
}

// scan reads the tickets an index names, in index order, keeps those that
// belong there (and pass q.keep) and prunes the others.
func (s *Store) scan(ctx context.Context, q query) ([]*shakwa.Ticket, error) {
	var out []*shakwa.Ticket
	var stale []string
	seen := map[string]bool{}
	for offset := int64(0); q.limit <= 0 || len(out) < q.limit; offset += q.batch() {
		ids, err := q.first, error(nil)
		if offset > 0 || !q.read {
			ids, err = s.rdb.ZRangeArgs(ctx, q.args(offset)).Result()
		}
		if err != nil {
			return nil, fmt.Errorf("read index: %w", err)
		}
		ts, err := s.loadTickets(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i, t := range ts {
			switch {
			case seen[ids[i]]:
			case !s.belongs(t, q.key):
				stale = append(stale, ids[i])
			case (q.keep == nil || q.keep(t)) && (q.limit <= 0 || len(out) < q.limit):
				out = append(out, t)
			}
			seen[ids[i]] = true
		}
		if int64(len(ids)) < q.batch() {
			break
		}
	}
	if err := s.prune(ctx, q.key, stale); err != nil {
		return nil, err
	}
	return out, nil
}

// args is the ZRANGE of one batch of q.
func (q query) args(offset int64) redis.ZRangeArgs {
	a := redis.ZRangeArgs{Key: q.key, Start: q.min, Stop: q.max, ByScore: true, Offset: offset, Count: q.batch()}
	if q.rev {
		a.Start, a.Stop, a.Rev = q.max, q.min, true
	}
	return a
}
