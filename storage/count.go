package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Count adds one to the counter name (hash tagged by it) for the fixed
// window of length window that now falls in, and returns the count so far
// in that window: one round trip. A window's counter lives two windows.
func (s *Store) Count(ctx context.Context, name string, window time.Duration, now time.Time) (int64, error) {
	key, life := s.countKey(name, window, now)
	if b := batchOf(ctx); b != nil {
		// Read ahead (PreloadCount): the addition waits for the commit.
		// The updates of one chat come one at a time, so what was read
		// is still the count.
		if k, ok := b.get(read{key: key}); ok {
			n, _ := strconv.ParseInt(k.v, 10, 64)
			n++
			b.set(read{key: key}, known{v: strconv.FormatInt(n, 10)})
			b.later(write{add: func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
				p.Incr(ctx, key)
				return p.PExpire(ctx, key, life)
			}})
			return n, nil
		}
	}
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, key)
		p.PExpire(ctx, key, life)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", name, err)
	}
	return n.Val(), nil
}

// countKey is the key of name's counter for the window now falls in, and
// how long it lives: two windows.
func (s *Store) countKey(name string, window time.Duration, now time.Time) (string, time.Duration) {
	w := max(window.Milliseconds(), 1)
	return s.key("count", name) + ":" + strconv.FormatInt(now.UnixMilli()/w, 10), 2 * time.Duration(w) * time.Millisecond
}
