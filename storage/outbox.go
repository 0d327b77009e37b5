package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// The outbox keeps, under one hash tag:
//
//	ob:{outbox}:q:CHAT  list: the chat's items, oldest first, each "SEQ:ITEM"
//	ob:{outbox}:due     sorted set: chats with items, by when they are due (ms)
//	ob:{outbox}:lease   hash: chat -> SEQ of the head NextDue handed out
//	ob:{outbox}:tries   hash: chat -> failed attempts of the head
//	ob:{outbox}:count   counter: items waiting
//	ob:{outbox}:seq     counter: item numbers
//	ob:{outbox}:dead    stream: dead letters (chat, reason, at, item)

// enqueueScript appends items to the queues of several chats at once. The
// queue keys are built from ARGV[2]; they share the hash tag of KEYS.
// KEYS: due, count, seq. ARGV: now (ms), queue key prefix, then per chat:
// chat, n, n items.
var enqueueScript = redis.NewScript(`
local i, total = 3, 0
while i <= #ARGV do
  local chat, n = ARGV[i], tonumber(ARGV[i + 1])
  local last = redis.call('INCRBY', KEYS[3], n)
  for j = 1, n do
    redis.call('RPUSH', ARGV[2] .. chat, tostring(last - n + j) .. ':' .. ARGV[i + 1 + j])
  end
  redis.call('ZADD', KEYS[1], 'NX', ARGV[1], chat)
  total = total + n
  i = i + 2 + n
end
redis.call('INCRBY', KEYS[2], total)
return total
`)

// nextScript leases the head of the earliest due chat. The queue key is
// built from ARGV[3]; it shares the hash tag of KEYS, so it is in the slot.
// KEYS: due, lease. ARGV: now (ms), lease end (ms), queue key prefix.
var nextScript = redis.NewScript(`
while true do
  local r = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, 1)
  if #r == 0 then return false end
  local chat = r[1]
  local head = redis.call('LINDEX', ARGV[3] .. chat, 0)
  if head then
    local i = string.find(head, ':', 1, true)
    redis.call('ZADD', KEYS[1], ARGV[2], chat)
    redis.call('HSET', KEYS[2], chat, string.sub(head, 1, i - 1))
    return {chat, string.sub(head, i + 1)}
  end
  redis.call('ZREM', KEYS[1], chat)
end
`)

// finishScript ends the lease on a chat's head: mode sent (drop it), retry
// (keep it) or dead (move it to the dead letters). It returns the attempts
// so far for retry, 0 otherwise, -1 when the queue is empty and -2 when the
// head is not leased.
// KEYS: due, queue, tries, lease, count, dead.
// ARGV: chat, mode, when the chat is due next (ms), reason, now (ms).
var finishScript = redis.NewScript(`
local chat, mode = ARGV[1], ARGV[2]
local head = redis.call('LINDEX', KEYS[2], 0)
if not head then return -1 end
local i = string.find(head, ':', 1, true)
if redis.call('HGET', KEYS[4], chat) ~= string.sub(head, 1, i - 1) then return -2 end
redis.call('HDEL', KEYS[4], chat)
if mode == 'retry' then
  redis.call('ZADD', KEYS[1], ARGV[3], chat)
  return redis.call('HINCRBY', KEYS[3], chat, 1)
end
redis.call('LPOP', KEYS[2])
redis.call('DECR', KEYS[5])
redis.call('HDEL', KEYS[3], chat)
if mode == 'dead' then
  redis.call('XADD', KEYS[6], '*', 'chat', chat, 'reason', ARGV[4], 'at', ARGV[5], 'item', string.sub(head, i + 1))
end
-- The chat stays scheduled at its next due time even when its queue is
-- empty, so that pacing holds for what is enqueued next (Enqueue adds with
-- NX); nextScript drops it once due with nothing to send.
redis.call('ZADD', KEYS[1], ARGV[3], chat)
return 0
`)

// DeadLetter is an outbox item that could not be delivered, kept with why.
type DeadLetter struct {
	Chat   string
	Item   []byte
	Reason string
	At     time.Time // as given to Dead, to the millisecond
}

// ob names an outbox key.
func (s *Store) ob(name string) string { return s.key("ob", "outbox") + ":" + name }

// Enqueue appends items to chat's queue, in order. A chat that is not
// scheduled already becomes due at now.
func (s *Store) Enqueue(ctx context.Context, chat string, items [][]byte, now time.Time) error {
	return s.EnqueueAll(ctx, []string{chat}, [][][]byte{items}, now)
}

// EnqueueAll appends items[i] to the queue of chats[i], for every i, in
// one step: all of them or none. A chat that is not scheduled already
// becomes due at now.
func (s *Store) EnqueueAll(ctx context.Context, chats []string, items [][][]byte, now time.Time) error {
	if len(chats) != len(items) {
		return fmt.Errorf("enqueue: %d chats, %d item lists: %w", len(chats), len(items), shakwa.ErrInvalid)
	}
	args := []any{now.UnixMilli(), s.ob("q:")}
	for i, chat := range chats {
		if len(items[i]) == 0 {
			continue
		}
		args = append(args, chat, len(items[i]))
		for _, it := range items[i] {
			args = append(args, it)
		}
	}
	if len(args) == 2 {
		return nil
	}
	keys := []string{s.ob("due"), s.ob("count"), s.ob("seq")}
	if err := enqueueScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
		return fmt.Errorf("enqueue to %d chats: %w", len(chats), err)
	}
	return nil
}

// NextDue returns the chat due earliest, at or before now, with the item at
// the head of its queue, leaving the item there. It leases the head: the
// chat is not due again before now+lease, and only the lease holder's Sent,
// Retry or Dead act on it. The lease must outlast the send; a sender still
// busy when it expires may send the item a second time. ok is false when no
// chat is due.
func (s *Store) NextDue(ctx context.Context, now time.Time, lease time.Duration) (chat string, item []byte, ok bool, err error) {
	keys := []string{s.ob("due"), s.ob("lease")}
	until := now.Add(positive(lease)).UnixMilli()
	res, err := nextScript.Run(ctx, s.rdb, keys, now.UnixMilli(), until, s.ob("q:")).Slice()
	if errors.Is(err, redis.Nil) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("next due: %w", err)
	}
	if len(res) != 2 {
		return "", nil, false, fmt.Errorf("next due: unexpected reply of %d items", len(res))
	}
	chat, _ = res[0].(string)
	it, _ := res[1].(string)
	return chat, []byte(it), true, nil
}

// Sent drops the head of chat's queue after it was delivered. If more items
// wait, the chat is due at next (per-chat pacing); otherwise it is no longer
// scheduled. The attempt count starts again for the next item. It returns an
// error wrapping shakwa.ErrConflict when the head is not under a lease from
// NextDue (a repeated call, or another sender took over) and
// shakwa.ErrNotFound when the queue is empty; nothing changes then.
func (s *Store) Sent(ctx context.Context, chat string, next time.Time) error {
	_, err := s.finish(ctx, chat, "sent", next, "", time.Time{})
	return err
}

// Retry keeps the head of chat's queue for another attempt at at, and
// returns how many attempts have failed so far, this one included. Errors
// are as Sent describes.
func (s *Store) Retry(ctx context.Context, chat string, at time.Time) (attempts int, err error) {
	return s.finish(ctx, chat, "retry", at, "", time.Time{})
}

// Dead moves the head of chat's queue to the dead letters with reason and
// now, where DeadLetters shows it, and makes the rest of the queue due at
// now. Errors are as Sent describes.
func (s *Store) Dead(ctx context.Context, chat string, reason string, now time.Time) error {
	_, err := s.finish(ctx, chat, "dead", now, reason, now)
	return err
}

func (s *Store) finish(ctx context.Context, chat, mode string, due time.Time, reason string, now time.Time) (int, error) {
	keys := []string{s.ob("due"), s.ob("q:" + chat), s.ob("tries"), s.ob("lease"), s.ob("count"), s.ob("dead")}
	n, err := finishScript.Run(ctx, s.rdb, keys, chat, mode, due.UnixMilli(), reason, now.UnixMilli()).Int()
	switch {
	case err != nil:
		return 0, fmt.Errorf("outbox %s %s: %w", mode, chat, err)
	case n == -1:
		return 0, fmt.Errorf("outbox %s %s: queue empty: %w", mode, chat, shakwa.ErrNotFound)
	case n == -2:
		return 0, fmt.Errorf("outbox %s %s: head not leased: %w", mode, chat, shakwa.ErrConflict)
	}
	return n, nil
}

// DeadLetters returns up to limit dead letters, newest first; limit <= 0
// returns all.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	var msgs []redis.XMessage
	var err error
	if limit > 0 {
		msgs, err = s.rdb.XRevRangeN(ctx, s.ob("dead"), "+", "-", int64(limit)).Result()
	} else {
		msgs, err = s.rdb.XRevRange(ctx, s.ob("dead"), "+", "-").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("dead letters: %w", err)
	}
	out := make([]DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		d := DeadLetter{}
		d.Chat, _ = m.Values["chat"].(string)
		d.Reason, _ = m.Values["reason"].(string)
		it, _ := m.Values["item"].(string)
		d.Item = []byte(it)
		at, _ := m.Values["at"].(string)
		ms, err := strconv.ParseInt(at, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("dead letter %s: time %q: %w", m.ID, at, err)
		}
		d.At = time.UnixMilli(ms).UTC()
		out = append(out, d)
	}
	return out, nil
}

// Pending returns how many items wait in the outbox.
func (s *Store) Pending(ctx context.Context) (int, error) {
	n, err := s.rdb.Get(ctx, s.ob("count")).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pending: %w", err)
	}
	return n, nil
}
