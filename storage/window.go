package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Some channels may write to a person only within a while of their last
// message (WhatsApp: 24 hours). The outbox keeps, under its hash tag:
//
//	ob:{outbox}:inbound  hash: queue -> when its person last wrote (ms)
//	ob:{outbox}:parked   hash: queue -> when it was parked (ms)
//	ob:{outbox}:sent:ID  string: what was sent as platform message ID, for a while
//
// A parked queue keeps its items, in order, and is due again only once
// its person writes (Wrote).

// parkScript parks a leased queue: the lease ends, the head stays, and the
// queue is not due until Wrote. KEYS: due, lease, parked, queue. ARGV:
// queue, now (ms). Returns 1, or 0 when the head was not leased.
var parkScript = redis.NewScript(`
local head = redis.call('LINDEX', KEYS[4], 0)
if not head then return 0 end
local i = string.find(head, ':', 1, true)
if redis.call('HGET', KEYS[2], ARGV[1]) ~= string.sub(head, 1, i - 1) then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], '+inf', ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
`)

// Park holds queue (leased by NextDue) until its person writes: the head
// item stays first, and nothing of the queue is handed out meanwhile. It
// reports false when the head was not leased (another sender took over).
func (s *Store) Park(ctx context.Context, queue string, now time.Time) (bool, error) {
	keys := []string{s.ob("due"), s.ob("lease"), s.ob("parked"), s.ob("q:" + queue)}
	n, err := parkScript.Run(ctx, s.rdb, keys, queue, now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("park %s: %w", queue, err)
	}
	return n == 1, nil
}

// wroteScript records when a queue's person wrote and unparks the queue.
// KEYS: due, parked, inbound. ARGV: queue, now (ms).
var wroteScript = redis.NewScript(`
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0
`)

// Wrote records that the person of the queue named name (a chat address)
// wrote at now, and lets the queue go if it was parked. It reports whether
// it was.
func (s *Store) Wrote(ctx context.Context, name string, now time.Time) (bool, error) {
	q := s.queueName(name)
	keys := []string{s.ob("due"), s.ob("parked"), s.ob("inbound")}
	n, err := wroteScript.Run(ctx, s.rdb, keys, q, now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("record inbound: %w", err)
	}
	return n == 1, nil
}

// LastWrote returns when the person of the queue (as NextDue names it)
// last wrote, or the zero time when not known.
func (s *Store) LastWrote(ctx context.Context, queue string) (time.Time, error) {
	v, err := s.rdb.HGet(ctx, s.ob("inbound"), queue).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last inbound: %w", err)
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("last inbound: %q", v)
	}
	return time.UnixMilli(ms), nil
}

// KeepSent keeps item, sent as platform message id, for keep: a platform
// that reports later that it could not deliver it (WhatsApp's window) has
// it queued again with Resend.
func (s *Store) KeepSent(ctx context.Context, id string, item []byte, keep time.Duration) error {
	if err := s.rdb.Set(ctx, s.ob("sent:"+id), item, positive(keep)).Err(); err != nil {
		return fmt.Errorf("keep sent: %w", err)
	}
	return nil
}

// resendScript puts a kept item back at the head of its queue, parked.
// KEYS: sent, queue, due, parked, count, seq. ARGV: queue, now (ms).
var resendScript = redis.NewScript(`
local item = redis.call('GET', KEYS[1])
if not item then return 0 end
redis.call('DEL', KEYS[1])
local n = redis.call('INCR', KEYS[6])
redis.call('LPUSH', KEYS[2], tostring(n) .. ':' .. item)
redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[3], '+inf', ARGV[1])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
return 1
`)

// Resend puts the item kept as message id back first in the queue named
// name (a chat address), and parks the queue until its person writes. It
// reports false when no such item is kept (it was resent already, or too
// long ago).
func (s *Store) Resend(ctx context.Context, name, id string, now time.Time) (bool, error) {
	q := s.queueName(name)
	keys := []string{s.ob("sent:" + id), s.ob("q:" + q), s.ob("due"), s.ob("parked"), s.ob("count"), s.ob("seq")}
	n, err := resendScript.Run(ctx, s.rdb, keys, q, now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("resend: %w", err)
	}
	return n == 1, nil
}
