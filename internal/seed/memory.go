package seed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// UsedMemory is what Redis says it uses (used_memory of INFO memory), in
// bytes; on a cluster, the sum over its primaries.
func UsedMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	var total int64
	var mu sync.Mutex
	err := eachPrimary(ctx, rdb, func(ctx context.Context, c redis.UniversalClient) error {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return err
		}
		for line := range strings.Lines(info) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				mu.Lock()
				total += n
				mu.Unlock()
				return err
			}
		}
		return fmt.Errorf("no used_memory in INFO memory")
	})
	if err != nil {
		return 0, fmt.Errorf("used memory: %w", err)
	}
	return total, nil
}

// KeyKinds is the memory of keys by kind (see kindOf): bytes and keys.
type KeyKinds map[string]struct{ Bytes, Keys int64 }

// KeyMemory adds up MEMORY USAGE (of every element, not a sample) over
// the keys starting with prefix, by kind. It reads every key: seconds for
// a million tickets.
func KeyMemory(ctx context.Context, rdb redis.UniversalClient, prefix string) (KeyKinds, error) {
	out := KeyKinds{}
	var mu sync.Mutex
	err := eachPrimary(ctx, rdb, func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var keys []string
		flush := func() error {
			pipe := c.Pipeline()
			cmds := make([]*redis.IntCmd, len(keys))
			for i, k := range keys {
				cmds[i] = pipe.MemoryUsage(ctx, k, 0) // every element, not a sample
			}
			if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for i, k := range keys {
				kind := kindOf(strings.TrimPrefix(k, prefix))
				v := out[kind]
				v.Bytes += cmds[i].Val()
				v.Keys++
				out[kind] = v
			}
			keys = keys[:0]
			return nil
		}
		for iter.Next(ctx) {
			if keys = append(keys, iter.Val()); len(keys) == 1000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return nil, fmt.Errorf("key memory: %w", err)
	}
	return out, nil
}

// kindOf is a key without what names one of its kind: the hash tag's
// content and digits, so "t:{KRM-000001}:log" is "t:{}:log" and
// "agg:{KRM}:d:20261122" is "agg:{}:d:".
func kindOf(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i:], '}'); j >= 0 {
			key = key[:i+1] + key[i+j:]
		}
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, key)
}

// eachPrimary runs f on rdb, or on each primary of a cluster.
func eachPrimary(ctx context.Context, rdb redis.UniversalClient, f func(context.Context, redis.UniversalClient) error) error {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return f(ctx, c) })
	}
	return f(ctx, rdb)
}
