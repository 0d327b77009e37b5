package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Some channels may write to a person only within a while of their last
// message (WhatsApp: 24 hours). The outbox keeps, under its hash tag:
//
//	ob:{outbox}:inbound  hash: queue -> when its person last wrote (ms)
//	ob:{outbox}:parked   hash: queue -> when it was parked (ms)
//	ob:{outbox}:sent:ID  string: "SEQ:ITEM" sent as platform message ID (opaque), for a
//	                     while; "resent" once queued again
//
// A parked queue keeps its items, in order, and is due again only once
// its person writes (Wrote).

// parkScript parks a leased queue: the lease ends, the head stays, and the
// queue is not due until Wrote; the chat's other lanes may go. KEYS: due,
// lease, parked, queue, the chat's busy mark. ARGV: queue, now (ms). Returns 1, or 0 when the head was not leased.
var parkScript = redis.NewScript(`
local head = redis.call('LINDEX', KEYS[4], 0)
if not head then return 0 end
local i = string.find(head, ':', 1, true)
if redis.call('HGET', KEYS[2], ARGV[1]) ~= string.sub(head, 1, i - 1) then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[5])
redis.call('ZADD', KEYS[1], '+inf', ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
`)

// Park holds queue (leased by NextDue) until its person writes: the head
// item stays first, and nothing of the queue is handed out meanwhile. It
// reports false when the head was not leased (another sender took over).
func (s *Store) Park(ctx context.Context, queue string, now time.Time) (bool, error) {
	lane, answers := laneOf(queue)
	keys := []string{s.due(lane), s.ob("lease"), s.ob("parked"), s.ob("q:" + queue), s.ob("busy:" + answers)}
	n, err := parkScript.Run(ctx, s.rdb, keys, queue, now.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("park %s: %w", queue, err)
	}
	return n == 1, nil
}

// wroteScript records when a queue's person wrote, keeping the latest,
// and unparks the queue if they wrote after it was parked (a late or
// repeated delivery of an older message does not count: the template that
// parked it has not been answered). The person's queues of every lane
// are unparked alike. KEYS: parked, inbound, parked queues' last
// additions. ARGV: queue (of the answer
// lane), when they wrote (ms), now (ms), then each lane's queue and due
// key.
var wroteScript = redis.NewScript(`
local at = tonumber(ARGV[2])
if at > tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
local n = 0
for i = 4, #ARGV, 2 do
  local q = ARGV[i]
  local parked = redis.call('HGET', KEYS[1], q)
  -- Platform times are whole seconds: a second of grace.
  if parked and at + 1000 > tonumber(parked) then
    redis.call('HDEL', KEYS[1], q)
    redis.call('HDEL', KEYS[3], q)
    redis.call('ZADD', ARGV[i + 1], ARGV[3], q)
    n = 1
  end
end
return n
`)

// Wrote records that the person of the queue named name (a chat address)
// wrote at at (the platform's time of their message), and lets the queue
// go if it was parked before they wrote. It reports whether it was.
func (s *Store) Wrote(ctx context.Context, name string, at, now time.Time) (bool, error) {
	args := []any{s.queueName(name), at.UnixMilli(), now.UnixMilli()}
	for _, lane := range Lanes {
		args = append(args, s.queueIn(name, lane), s.due(lane))
	}
	keys := []string{s.ob("parked"), s.ob("inbound"), s.ob("parkedadd")}
	n, err := wroteScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("record inbound: %w", err)
	}
	return n == 1, nil
}

// Invited reports whether another lane's queue of queue's person is
// parked: they were sent the invitation to write (the template) and have
// not written since, so a second one would only repeat it.
func (s *Store) Invited(ctx context.Context, queue string) (bool, error) {
	lane, answers := laneOf(queue)
	channel, rest, _ := strings.Cut(answers, ":")
	var others []string
	for _, l := range Lanes {
		if l == lane {
			continue
		}
		q := answers
		if l != LaneAnswer {
			q = channel + ":" + l + ":" + rest
		}
		others = append(others, q)
	}
	vs, err := s.rdb.HMGet(ctx, s.ob("parked"), others...).Result()
	if err != nil {
		return false, fmt.Errorf("parked lanes: %w", err)
	}
	for _, v := range vs {
		if v != nil {
			return true, nil
		}
	}
	return false, nil
}

// LastWrote returns when the person of the queue (as NextDue names it)
// last wrote, or the zero time when not known.
func (s *Store) LastWrote(ctx context.Context, queue string) (time.Time, error) {
	_, answers := laneOf(queue)
	v, err := s.rdb.HGet(ctx, s.ob("inbound"), answers).Result()
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

// keepScript keeps the leased head of a queue, with its number and lane,
// under the platform's message id, as "LANE|SEQ:ITEM". KEYS: lease, sent.
// ARGV: queue, item, keep (ms), lane.
var keepScript = redis.NewScript(`
local seq = redis.call('HGET', KEYS[1], ARGV[1])
if not seq then return 0 end
redis.call('SET', KEYS[2], ARGV[4] .. '|' .. seq .. ':' .. ARGV[2], 'PX', ARGV[3])
return 1
`)

// KeepSent keeps item, the leased head of queue just sent as platform
// message id, for keep: a platform that reports later that it could not
// deliver it (WhatsApp's window) has it queued again, in its place, with
// Resend. It does nothing when the head is not leased.
func (s *Store) KeepSent(ctx context.Context, queue, id string, item []byte, keep time.Duration) error {
	keys := []string{s.ob("lease"), s.sentKey(id)}
	lane, _ := laneOf(queue)
	if err := keepScript.Run(ctx, s.rdb, keys, queue, item, positive(keep).Milliseconds(), lane).Err(); err != nil {
		return fmt.Errorf("keep sent: %w", err)
	}
	return nil
}

// resendScript puts a kept item back into its queue in the order it was
// first queued (never before a head being sent), marks it resent, and
// takes the window for closed unless the person wrote since the refusal.
// The kept item names its lane ("LANE|SEQ:ITEM"; one kept before lanes
// is "SEQ:ITEM", an answer), whose keys come from ARGV.
// KEYS: sent, parked, count, lease, inbound.
// ARGV: queue of the answer lane, when the refusal happened (ms), now
// (ms), then per lane: lane, queue, queue key, due key, count key.
// Returns 1 when queued, 2 when it was queued already, 0 when not kept.
var resendScript = redis.NewScript(`
local kept = redis.call('GET', KEYS[1])
if not kept then return 0 end
if kept == 'resent' then return 2 end
redis.call('SET', KEYS[1], 'resent', 'KEEPTTL')
local lane = ''
local bar = string.find(kept, '|', 1, true)
if bar and bar <= 2 then
  lane = string.sub(kept, 1, bar - 1)
  kept = string.sub(kept, bar + 1)
end
local q, qkey, due, count
for i = 4, #ARGV, 5 do
  if ARGV[i] == lane then q, qkey, due, count = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4] end
end
if not q then return 0 end
local seq = tonumber(string.sub(kept, 1, string.find(kept, ':', 1, true) - 1))
local leased = redis.call('HGET', KEYS[4], q)
local pivot
for j, it in ipairs(redis.call('LRANGE', qkey, 0, -1)) do
  local s = string.sub(it, 1, string.find(it, ':', 1, true) - 1)
  if not (j == 1 and s == leased) and tonumber(s) > seq then
    pivot = it
    break
  end
end
if pivot then
  redis.call('LINSERT', qkey, 'BEFORE', pivot, kept)
else
  redis.call('RPUSH', qkey, kept)
end
redis.call('INCR', KEYS[3])
if count ~= KEYS[3] then redis.call('INCR', count) end
if tonumber(redis.call('HGET', KEYS[5], ARGV[1]) or '0') <= tonumber(ARGV[2]) then
  redis.call('HDEL', KEYS[5], ARGV[1])
end
if not leased and redis.call('HEXISTS', KEYS[2], q) == 0 then
  redis.call('ZADD', due, 'LT', ARGV[3], q)
end
return 1
`)

// Resend puts the item kept as message id back into the queue named name
// (a chat address), where it was first queued, because the platform
// refused it at at for the person's window: unless they wrote since, the
// window counts as closed, so that the sender reopens it first. It reports
// false when no such item is kept (too long ago); a second report of the
// same refusal changes nothing and reports true.
func (s *Store) Resend(ctx context.Context, name, id string, at, now time.Time) (bool, error) {
	args := []any{s.queueName(name), at.UnixMilli(), now.UnixMilli()}
	for _, lane := range Lanes {
		q := s.queueIn(name, lane)
		args = append(args, lane, q, s.ob("q:"+q), s.due(lane), s.count(lane))
	}
	keys := []string{s.sentKey(id), s.ob("parked"), s.ob("count"), s.ob("lease"), s.ob("inbound")}
	n, err := resendScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("resend: %w", err)
	}
	return n > 0, nil
}

// sendableScript counts the items waiting outside parked queues.
// KEYS: count, parked. ARGV: queue key prefix.
var sendableScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
for _, q in ipairs(redis.call('HKEYS', KEYS[2])) do
  n = n - redis.call('LLEN', ARGV[1] .. q)
end
return n
`)

// Sendable returns how many items wait in the outbox that are not held
// for a person's closed window.
func (s *Store) Sendable(ctx context.Context) (int, error) {
	n, err := sendableScript.Run(ctx, s.rdb, []string{s.ob("count"), s.ob("parked")}, s.ob("q:")).Int()
	if err != nil {
		return 0, fmt.Errorf("sendable: %w", err)
	}
	return n, nil
}

// sentKey names an item kept under the platform's message id, opaquely:
// a WhatsApp message id encodes the phone number it went to.
func (s *Store) sentKey(id string) string { return s.ob("sent:" + s.opaque("sent:"+id)) }

// dropQueueScript drops a queue and what the outbox keeps of it, in one
// step; with a cutoff, only if it is still parked since before it and was
// last added to before it. KEYS: queue, due (of its lane), count, the
// lane's count (count again for answers), lease, tries, budget, parked,
// parked queues' last additions. ARGV: queue, cutoff (ms; "" for none).
// Returns how many items went, or -1 when the cutoff kept it.
var dropQueueScript = redis.NewScript(`
if ARGV[2] ~= '' then
  local cutoff = tonumber(ARGV[2])
  local parked = tonumber(redis.call('HGET', KEYS[8], ARGV[1]) or '')
  local added = tonumber(redis.call('HGET', KEYS[9], ARGV[1]) or '0')
  if parked == nil or parked >= cutoff or added >= cutoff then return -1 end
end
local n = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if n > 0 then
  redis.call('DECRBY', KEYS[3], n)
  if KEYS[4] ~= KEYS[3] then redis.call('DECRBY', KEYS[4], n) end
end
for i = 5, 9 do redis.call('HDEL', KEYS[i], ARGV[1]) end
return n
`)

// dropKeys are dropQueueScript's keys for queue q.
func (s *Store) dropKeys(q string) []string {
	lane, _ := laneOf(q)
	return []string{s.ob("q:" + q), s.due(lane), s.ob("count"), s.count(lane), s.ob("lease"), s.ob("tries"),
		s.ob("budget"), s.ob("parked"), s.ob("parkedadd")}
}

// dropQueues drops what waits for the chat named name (a chat address)
// in every lane, parked or not.
func (s *Store) dropQueues(ctx context.Context, name string) error {
	for _, lane := range Lanes {
		q := s.queueIn(name, lane)
		if err := dropQueueScript.Run(ctx, s.rdb, s.dropKeys(q), q, "").Err(); err != nil {
			return fmt.Errorf("drop queue: %w", err)
		}
	}
	// When they last wrote stays (a time under an opaque name): the
	// answer to the message that asked for this goes within their window.
	return nil
}

// ExpireOutbox drops what the outbox kept from before cutoff that holds a
// person's address and words and would otherwise stay for ever: dead
// letters, and queues parked for a person's window since, and added to
// only before it (WhatsApp: the person never wrote again after the
// template that invited them). It returns how many of each went.
func (s *Store) ExpireOutbox(ctx context.Context, cutoff time.Time) (dead, parked int, err error) {
	n, err := s.rdb.XTrimMinID(ctx, s.ob("dead"), strconv.FormatInt(cutoff.UnixMilli(), 10)).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("expire dead letters: %w", err)
	}
	since, err := s.rdb.HGetAll(ctx, s.ob("parked")).Result()
	if err != nil {
		return int(n), 0, fmt.Errorf("expire parked queues: %w", err)
	}
	for q, at := range since {
		ms, _ := strconv.ParseInt(at, 10, 64)
		if ms >= cutoff.UnixMilli() {
			continue
		}
		dropped, err := dropQueueScript.Run(ctx, s.rdb, s.dropKeys(q), q, cutoff.UnixMilli()).Int()
		if err != nil {
			return int(n), parked, fmt.Errorf("expire parked queue: %w", err)
		}
		if dropped >= 0 {
			parked++
		}
	}
	return int(n), parked, nil
}
