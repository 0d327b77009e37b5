package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Reindex puts every ticket back in each index it belongs in (see
// entries), after a crash or a Redis that lost writes left one out: it
// scans the tickets' own keys, on every node of a cluster, so that a
// ticket no index names is found too. It returns how many entries it
// added (or, with dryRun, found missing). Entries that no longer belong
// are left to the readers, which drop them as they meet them. progress,
// when not nil, hears the tickets done so far.
func (s *Store) Reindex(ctx context.Context, dryRun bool, progress func(done int)) (added int, err error) {
	done := 0
	scan := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, s.prefix+"t:{*}", 500).Iterator()
		var ids []string
		flush := func() error {
			n, err := s.reindexBatch(ctx, ids, dryRun)
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
			if !strings.HasSuffix(k, "}") { // its history, t:{ID}:log
				continue
			}
			ids = append(ids, strings.TrimSuffix(strings.TrimPrefix(k, s.prefix+"t:{"), "}"))
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
	n := 0
	for _, c := range adds {
		n += int(c.Val())
	}
	for _, c := range scores {
		if errors.Is(c.Err(), redis.Nil) {
			n++
		}
	}
	return n, nil
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
