package storage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Undelivered messages are kept per centre, under its hash tag:
//
//	und:{C}   sorted set: ticket ids whose message to the citizen the platform refused, by when (ms)
//
// trimmed to UndeliveredKeep, so that supervisors can list what did not
// reach citizens lately.

// UndeliveredKeep is how long an undelivered message stays listed.
const UndeliveredKeep = 7 * 24 * time.Hour

// MarkUndelivered records that a message about ticket id, of centre, did
// not reach its citizen at at. Marking it again moves it to the latest
// time.
func (s *Store) MarkUndelivered(ctx context.Context, centre, id string, at time.Time) error {
	key := s.key("und", centre)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, key, redis.Z{Score: score(at), Member: id})
		p.ZRemRangeByScore(ctx, key, "-inf", "("+strconv.FormatInt(at.Add(-UndeliveredKeep).UnixMilli(), 10))
		p.PExpire(ctx, key, UndeliveredKeep)
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark undelivered %s: %w", id, err)
	}
	return nil
}

// Undelivered are the tickets of centres whose message to the citizen was
// refused since since, the latest first, each with when: one round trip.
func (s *Store) Undelivered(ctx context.Context, centres []string, since time.Time) (ids []string, at []time.Time, err error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.ZSliceCmd, len(centres))
	for i, c := range centres {
		cmds[i] = pipe.ZRangeByScoreWithScores(ctx, s.key("und", c), &redis.ZRangeBy{
			Min: strconv.FormatInt(since.UnixMilli(), 10), Max: "+inf"})
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, nil, fmt.Errorf("undelivered: %w", err)
	}
	type item struct {
		id string
		at float64
	}
	var all []item
	for _, c := range cmds {
		for _, z := range c.Val() {
			id, _ := z.Member.(string)
			all = append(all, item{id, z.Score})
		}
	}
	// The latest first, over every centre.
	slices.SortStableFunc(all, func(a, b item) int { return cmp.Compare(b.at, a.at) })
	for _, it := range all {
		ids = append(ids, it.id)
		at = append(at, time.UnixMilli(int64(it.at)).UTC())
	}
	return ids, at, nil
}
