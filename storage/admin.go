package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Reindex puts every ticket back in each index it belongs in (see
// entries), after a crash or a Redis that lost writes left one out, and
// every person's record in the people index (see ForgetUntouched), where
// a record written by an older version, or whose entry was lost, is
// missing: by its own time, or, when it has none (an older version's),
// by now, so that it goes a retention period from now unless a ticket
// keeps it or its person writes again. It scans the records' own keys,
// on every node of a cluster, so that one no index names is found too.
// It returns how many entries it added (or, with dryRun, found missing).
// Entries that no longer belong are left to the readers, which drop them
// as they meet them. A visit's photos are put back in the file use index
// (see FileUsed) unless it was discarded: visits filed by an older version
// are not there. progress, when not nil, hears the records (tickets,
// visits, then people) done so far.
func (s *Store) Reindex(ctx context.Context, now time.Time, dryRun bool, progress func(done int)) (added int, err error) {
	done := 0
	// each reads the ids of the keys pattern matches, a batch at a time,
	// and has batch index them.
	each := func(ctx context.Context, c redis.Cmdable, kind string, batch func(context.Context, []string) (int, error)) error {
		iter := c.Scan(ctx, 0, s.prefix+kind+":{*}", 500).Iterator()
		var ids []string
		flush := func() error {
			n, err := batch(ctx, ids)
			added += n
			done += len(ids)
			ids = ids[:0]
			if progress != nil {
				progress(done)
			}
			return err
		}
		for iter.Next(ctx) {
			k := iter.Val()
			if !strings.HasSuffix(k, "}") { // a ticket's history, t:{ID}:log
				continue
			}
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(k, s.prefix+kind+":{"), "}"))
			if len(ids) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	scan := func(ctx context.Context, c redis.Cmdable) error {
		if err := each(ctx, c, "t", func(ctx context.Context, ids []string) (int, error) {
			return s.reindexBatch(ctx, ids, dryRun)
		}); err != nil {
			return err
		}
		if err := each(ctx, c, "visit", func(ctx context.Context, ids []string) (int, error) {
			return s.reindexVisits(ctx, ids, dryRun)
		}); err != nil {
			return err
		}
		return each(ctx, c, "person", func(ctx context.Context, ids []string) (int, error) {
			return s.reindexPeople(ctx, ids, now, dryRun)
		})
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			mu.Lock() // one node at a time: the counts are shared
			defer mu.Unlock()
			return scan(ctx, n)
		})
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return added, fmt.Errorf("reindex: %w", err)
	}
	return added, nil
}

// reindexBatch adds the tickets ids to the indexes they belong in and
// says how many entries were missing.
func (s *Store) reindexBatch(ctx context.Context, ids []string, dryRun bool) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	ts, err := s.loadTickets(ctx, ids)
	if err != nil {
		return 0, err
	}
	var adds []*redis.IntCmd
	var scores []*redis.FloatCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range ts {
			if t == nil {
				continue
			}
			for _, e := range s.entries(t) {
				if dryRun {
					scores = append(scores, p.ZScore(ctx, e.key, t.ID))
				} else {
					adds = append(adds, p.ZAddNX(ctx, e.key, redis.Z{Score: e.score, Member: t.ID}))
				}
			}
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	return missing(adds, scores), nil
}

// missing is what a reindex pass found missing: the entries it added, or,
// in a dry run, those it found none of.
func missing(adds []*redis.IntCmd, scores []*redis.FloatCmd) int {
	n := 0
	for _, c := range adds {
		n += int(c.Val())
	}
	for _, c := range scores {
		if errors.Is(c.Err(), redis.Nil) {
			n++
		}
	}
	return n
}

// reindexVisits adds the photos of the visits ids that were not discarded
// to the file use index where they are missing, and says how many were.
// ids may name the counter of visit numbers, which is no visit.
func (s *Store) reindexVisits(ctx context.Context, ids []string, dryRun bool) (int, error) {
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !strings.HasPrefix(id, "V-") })
	if len(ids) == 0 {
		return 0, nil
	}
	vs, err := s.loadVisits(ctx, ids)
	if err != nil {
		return 0, err
	}
	var adds []*redis.IntCmd
	var scores []*redis.FloatCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, v := range vs {
			if v == nil || !v.Discarded.IsZero() {
				continue
			}
			for _, file := range visitFiles(v) {
				if dryRun {
					scores = append(scores, p.ZScore(ctx, s.fileUseKey(file), v.ID))
				} else {
					adds = append(adds, p.ZAddNX(ctx, s.fileUseKey(file), redis.Z{Score: score(v.Filed), Member: v.ID}))
				}
			}
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	return missing(adds, scores), nil
}

// reindexPeople adds the records of the people ids to the people index
// where they are missing, by their own time or, lacking one, by now, and
// says how many were missing.
func (s *Store) reindexPeople(ctx context.Context, ids []string, now time.Time, dryRun bool) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	index := s.plain(peopleKey)
	ats := make([]*redis.StringCmd, len(ids))
	scores := make([]*redis.FloatCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			ats[i] = p.HGet(ctx, s.personKey(id), pAt)
			scores[i] = p.ZScore(ctx, index, id)
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	var missing []redis.Z
	for i, id := range ids {
		if !errors.Is(scores[i].Err(), redis.Nil) {
			continue
		}
		at, err := strconv.ParseInt(ats[i].Val(), 10, 64)
		if err != nil {
			at = now.UnixMilli()
		}
		missing = append(missing, redis.Z{Score: float64(at), Member: id})
	}
	if dryRun || len(missing) == 0 {
		return len(missing), nil
	}
	// NX: an entry a write added meanwhile is newer.
	n, err := s.rdb.ZAddNX(ctx, index, missing...).Result()
	return int(n), err
}

// RetryDead puts the dead letters kept since since back in the outbox, in
// their order, each once (under the once key of its dead letter), and
// drops them from the dead letters; with dryRun it only counts them.
// enqueue is the outbox's (bot.Outbox.Enqueue), which knows the queues.
func (s *Store) RetryDead(ctx context.Context, since time.Time, dryRun bool,
	enqueue func(ctx context.Context, once string, item []byte) error, progress func(done, total int)) (int, error) {
	all, err := s.rdb.XRange(ctx, s.ob("dead"), "-", "+").Result()
	if err != nil {
		return 0, fmt.Errorf("retry dead letters: %w", err)
	}
	// By the time Dead was given, not the stream's own.
	var msgs []redis.XMessage
	for _, m := range all {
		at, _ := m.Values["at"].(string)
		if ms, err := strconv.ParseInt(at, 10, 64); err == nil && ms >= since.UnixMilli() {
			msgs = append(msgs, m)
		}
	}
	for i, m := range msgs {
		if !dryRun {
			item, _ := m.Values["item"].(string)
			if err := enqueue(ctx, "dead:"+m.ID, []byte(item)); err != nil {
				return i, fmt.Errorf("retry dead letter %s: %w", m.ID, err)
			}
			if err := s.rdb.XDel(ctx, s.ob("dead"), m.ID).Err(); err != nil {
				return i, fmt.Errorf("retry dead letter %s: %w", m.ID, err)
			}
		}
		if progress != nil {
			progress(i+1, len(msgs))
		}
	}
	return len(msgs), nil
}
