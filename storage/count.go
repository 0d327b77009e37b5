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
	w := max(window.Milliseconds(), 1)
	key := s.key("count", name) + ":" + strconv.FormatInt(now.UnixMilli()/w, 10)
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, key)
		p.PExpire(ctx, key, 2*time.Duration(w)*time.Millisecond)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", name, err)
	}
	return n.Val(), nil
}
