package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// The outbox keeps, under one hash tag:
//
//	ob:{outbox}:q:QUEUE   list: the queue's items, oldest first, each "SEQ:ITEM"
//	ob:{outbox}:due       sorted set: queues of the answer lane with items, by when they are due (ms)
//	ob:{outbox}:due:LANE  the same for the lanes "n" (notifications) and "b" (bulk)
//	ob:{outbox}:budget    hash: queue -> the send budget it draws from
//	ob:{outbox}:rate:B    string: when budget B may send next (ms)
//	ob:{outbox}:lease     hash: queue -> SEQ of the head NextDue handed out
//	ob:{outbox}:tries     hash: queue -> failed attempts of the head
//	ob:{outbox}:count     counter: items waiting
//	ob:{outbox}:count:LANE counter: items waiting in lanes "n" and "b"
//	ob:{outbox}:seq       counter: item numbers
//	ob:{outbox}:once:KEY  string: a batch with this key was queued
//	ob:{outbox}:pace:Q    string: when the chat of answer-lane queue Q may be sent to next (ms), for every lane
//	ob:{outbox}:busy:Q    string: the lease end (ms) of the chat's item being sent, in whichever lane: one at a time
//	ob:{outbox}:dead      stream: dead letters (queue, reason, at, item), capped
//	ob:{outbox}:parkedadd hash: parked queue -> when it was last added to (ms)
//
// QUEUE is "CHANNEL:" and the opaque name of what the caller called the
// queue (a chat address, which may be a phone number): a queue's name is
// never stored as given. A queue of another lane than answers is
// "CHANNEL:LANE:" and the same opaque name: a chat has a queue in each
// lane, and the lanes are sent from apart (see NextDueIn), so that a
// backlog in one never holds up another.

// DefaultDeadCap is about how many dead letters the outbox keeps (see
// WithDeadCap): the oldest go first.
const DefaultDeadCap = 10000

// enqueueScript appends items to several queues at once, unless a batch
// with the same once key was queued before. Queue, due and count keys are
// built from ARGV[2] and the key names given; they share the hash tag of
// KEYS.
// A queue parked for its person's window keeps when it was last added to
// (see ExpireOutbox).
// KEYS: due, count, seq, budget, once (or a dummy in the slot), parked,
// parked queues' last additions.
// ARGV: now (ms), queue key prefix, once TTL (ms, 0 = no once key), then
// per queue: queue, budget, its lane's due key, its lane's count key (""
// for answers), n, n items.
var enqueueScript = redis.NewScript(`
if tonumber(ARGV[3]) > 0 then
  if not redis.call('SET', KEYS[5], '1', 'PX', ARGV[3], 'NX') then return -1 end
end
local i, total = 4, 0
while i <= #ARGV do
  local q, budget, due, count, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  local last = redis.call('INCRBY', KEYS[3], n)
  for j = 1, n do
    redis.call('RPUSH', ARGV[2] .. q, tostring(last - n + j) .. ':' .. ARGV[i + 4 + j])
  end
  redis.call('ZADD', due, 'NX', ARGV[1], q)
  if redis.call('HEXISTS', KEYS[6], q) == 1 then redis.call('HSET', KEYS[7], q, ARGV[1]) end
  if count ~= '' then redis.call('INCRBY', count, n) end
  if budget ~= '' then redis.call('HSET', KEYS[4], q, budget) else redis.call('HDEL', KEYS[4], q) end
  total = total + n
  i = i + 5 + n
end
redis.call('INCRBY', KEYS[2], total)
return total
`)

// busyRecheck is how soon (ms) a queue whose chat has an item of another
// lane out being sent is looked at again (see nextScript).
const busyRecheck = "200"

// nextScript leases the head of the earliest due queue whose send budget
// allows a send now, and spends the budget. Budgets are strict spacing: a
// budget of interval I sends at most once every I ms across the fleet.
// A chat's pace holds across its lanes: a queue whose chat was sent to
// by another lane too lately is moved to when it may be; and one whose
// chat has an item of another lane out being sent is looked at again in
// busyRecheck ms, since the pace that send sets is not known yet
// (otherwise each lane's sender would take one of a group's items at the
// same moment, three at a time). Within a chat answers go first: a
// notification or bulk item waits while the chat's answer queue is due
// (not while it waits out a retry, nor parked for a window), so a staff
// group's reminders never take the pace its members' presses are
// answered at.
// KEYS: due, lease, tries, budget, the answer lane's due. ARGV: now (ms), lease end (ms), queue
// key prefix, rate key prefix, pace key prefix, busy key prefix, then
// budget name and interval (ms) pairs.
// Reply: {queue, item, attempts so far} or {”, ms until a budget frees}.
var nextScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local intervals = {}
for i = 7, #ARGV, 2 do intervals[ARGV[i]] = tonumber(ARGV[i + 1]) end
local wait = -1
local cands = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, 64)
for _, q in ipairs(cands) do
  local head = redis.call('LINDEX', ARGV[3] .. q, 0)
  local ch, rest = string.match(q, '^([^:]+):[nb]:(.+)$')
  local base = q
  if ch then base = ch .. ':' .. rest end
  local paced, busy = 0, 0
  if head then paced = tonumber(redis.call('GET', ARGV[5] .. base) or '0') end
  if head and paced <= now then busy = tonumber(redis.call('GET', ARGV[6] .. base) or '0') end
  -- Looked at only when nothing else holds the queue back.
  local function answering()
    if not ch then return false end
    local d = tonumber(redis.call('ZSCORE', KEYS[5], base) or '')
    return d ~= nil and d <= now and redis.call('LLEN', ARGV[3] .. base) > 0
  end
  if not head then
    redis.call('ZREM', KEYS[1], q)
    redis.call('HDEL', KEYS[4], q)
  elseif paced > now then
    redis.call('ZADD', KEYS[1], paced, q)
  elseif busy > now then
    redis.call('ZADD', KEYS[1], math.min(busy, now + ` + busyRecheck + `), q)
  elseif answering() then
    redis.call('ZADD', KEYS[1], now + ` + busyRecheck + `, q)
  else
    local b = redis.call('HGET', KEYS[4], q)
    local iv = b and intervals[b]
    local ok = true
    if iv then
      local rk = ARGV[4] .. b
      local at = tonumber(redis.call('GET', rk) or '0')
      if at > now then
        ok = false
        if wait < 0 or at - now < wait then wait = at - now end
      else
        redis.call('SET', rk, tostring(now + iv), 'PX', math.max(iv, 1000))
      end
    end
    if ok then
      local i = string.find(head, ':', 1, true)
      redis.call('ZADD', KEYS[1], ARGV[2], q)
      redis.call('HSET', KEYS[2], q, string.sub(head, 1, i - 1))
      redis.call('SET', ARGV[6] .. base, ARGV[2], 'PX', math.max(1, tonumber(ARGV[2]) - now))
      return {q, string.sub(head, i + 1), tonumber(redis.call('HGET', KEYS[3], q) or '0')}
    end
  end
end
return {'', tostring(wait)}
`)

// obFinishScript ends the lease on a queue's head: mode sent (drop it),
// retry (keep it, count a failure), release (keep it, count nothing), wait
// (keep it, count nothing, and hold every lane of the chat until it is
// due: the platform said so) or dead (move it to the dead letters). It returns the attempts so far for
// retry, 0 otherwise, -1 when the queue is empty and -2 when the head is
// not leased.
// KEYS: due (of the queue's lane), queue, tries, lease, count, dead, the
// lane's count (count again for answers), the chat's pace, the chat's
// busy mark (which goes: the chat's other lanes may go).
// ARGV: queue, mode, when the queue is due next (ms), reason, now (ms), dead cap.
var obFinishScript = redis.NewScript(`
local q, mode = ARGV[1], ARGV[2]
local head = redis.call('LINDEX', KEYS[2], 0)
if not head then return -1 end
local i = string.find(head, ':', 1, true)
if redis.call('HGET', KEYS[4], q) ~= string.sub(head, 1, i - 1) then return -2 end
redis.call('HDEL', KEYS[4], q)
redis.call('DEL', KEYS[9])
if mode == 'retry' or mode == 'release' or mode == 'wait' then
  redis.call('ZADD', KEYS[1], ARGV[3], q)
  if mode == 'wait' then
    local due = tonumber(ARGV[3])
    if due > tonumber(redis.call('GET', KEYS[8]) or '0') then
      redis.call('SET', KEYS[8], ARGV[3], 'PX', math.max(60000, due - tonumber(ARGV[5]) + 60000))
    end
  end
  if mode ~= 'retry' then return 0 end
  return redis.call('HINCRBY', KEYS[3], q, 1)
end
redis.call('LPOP', KEYS[2])
redis.call('DECR', KEYS[5])
if KEYS[7] ~= KEYS[5] then redis.call('DECR', KEYS[7]) end
if mode == 'sent' then
  -- Every lane's queue of the chat waits as long (a minute outlives any
  -- pace), unless a wait the platform asked for holds it longer.
  if tonumber(ARGV[3]) > tonumber(redis.call('GET', KEYS[8]) or '0') then
    redis.call('SET', KEYS[8], ARGV[3], 'PX', 60000)
  end
end
redis.call('HDEL', KEYS[3], q)
if mode == 'dead' then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', 'queue', q, 'reason', ARGV[4], 'at', ARGV[5],
    'item', string.sub(head, i + 1))
end
-- The queue stays scheduled at its next due time even when it is empty,
-- so that pacing holds for what is enqueued next (enqueue adds with NX);
-- nextScript drops it once due with nothing to send.
redis.call('ZADD', KEYS[1], ARGV[3], q)
return 0
`)

// DeadLetter is an outbox item that could not be delivered, kept with why.
type DeadLetter struct {
	Queue  string // as NextDue named it
	Item   []byte
	Reason string
	At     time.Time // as given to Dead, to the millisecond
}

// ob names an outbox key.
func (s *Store) ob(name string) string { return s.key("ob", "outbox") + ":" + name }

// The outbox's lanes (see NextDueIn): answers, notifications, bulk.
const (
	LaneAnswer = ""
	LaneNotify = "n"
	LaneBulk   = "b"
)

// Lanes are the outbox's lanes, the first first.
var Lanes = []string{LaneAnswer, LaneNotify, LaneBulk}

func validLane(lane string) bool { return lane == LaneAnswer || lane == LaneNotify || lane == LaneBulk }

// queueName is the stored name of the queue the caller calls name in the
// answer lane: its channel (the text before the first colon) and an opaque
// rest.
func (s *Store) queueName(name string) string { return s.queueIn(name, LaneAnswer) }

// queueIn is the stored name of the queue name in lane.
func (s *Store) queueIn(name, lane string) string {
	channel, _, _ := strings.Cut(name, ":")
	if lane != LaneAnswer {
		channel += ":" + lane
	}
	return channel + ":" + s.opaque("queue:"+name)
}

// laneOf is the lane of a stored queue name, and the name of the chat's
// queue in the answer lane (its person's windows are kept under that).
func laneOf(queue string) (lane, answers string) {
	parts := strings.SplitN(queue, ":", 3)
	if len(parts) == 3 {
		return parts[1], parts[0] + ":" + parts[2]
	}
	return LaneAnswer, queue
}

// due is the key of lane's due queues; count the counter of its items
// (the total for answers, which are what the others leave of it).
func (s *Store) due(lane string) string {
	if lane == LaneAnswer {
		return s.ob("due")
	}
	return s.ob("due:" + lane)
}

func (s *Store) count(lane string) string {
	if lane == LaneAnswer {
		return s.ob("count")
	}
	return s.ob("count:" + lane)
}

// Enqueue appends items to the queue name, in order, drawing on budget.
func (s *Store) Enqueue(ctx context.Context, name, budget string, items [][]byte, now time.Time) error {
	_, err := s.EnqueueAll(ctx, "", 0, []string{name}, nil, []string{budget}, [][][]byte{items}, now)
	return err
}

// EnqueueAll appends items[i] to the queue named queues[i] (a chat
// address, say "telegram:5001": it is stored only in opaque form) in lane
// lanes[i] (nil: all answers), drawing on the send budget budgets[i] (""
// for none, see NextDue), for every i, in one step: all of them or none. A
// queue that is not scheduled already becomes due at now.
//
// With a once key, the batch is queued only if no batch with the same key
// was queued in the last keep: EnqueueAll then reports fresh false and
// queues nothing. An update or a job that runs twice (its first run died
// after queueing) thus sends its replies once.
func (s *Store) EnqueueAll(ctx context.Context, once string, keep time.Duration, queues, lanes, budgets []string, items [][][]byte, now time.Time) (fresh bool, err error) {
	if len(queues) != len(items) || len(budgets) != len(items) || (lanes != nil && len(lanes) != len(items)) {
		return false, fmt.Errorf("enqueue: %d queues, %d lanes, %d budgets, %d item lists: %w",
			len(queues), len(lanes), len(budgets), len(items), shakwa.ErrInvalid)
	}
	ttl := int64(0)
	onceKey := s.ob("once:")
	if once != "" {
		ttl, onceKey = positive(keep).Milliseconds(), s.ob("once:"+once)
	}
	args := []any{now.UnixMilli(), s.ob("q:"), ttl}
	for i, name := range queues {
		if len(items[i]) == 0 {
			continue
		}
		lane, count := LaneAnswer, ""
		if lanes != nil {
			lane = lanes[i]
		}
		if !validLane(lane) {
			return false, fmt.Errorf("enqueue: lane %q: %w", lane, shakwa.ErrInvalid)
		}
		if lane != LaneAnswer {
			count = s.count(lane)
		}
		args = append(args, s.queueIn(name, lane), budgets[i], s.due(lane), count, len(items[i]))
		for _, it := range items[i] {
			args = append(args, it)
		}
	}
	if len(args) == 3 && once == "" {
		return true, nil
	}
	keys := []string{s.ob("due"), s.ob("count"), s.ob("seq"), s.ob("budget"), onceKey, s.ob("parked"), s.ob("parkedadd")}
	if b := batchOf(ctx); b != nil {
		// A batch sent twice (the update came again) queues nothing
		// the second time: its once key says so.
		b.later(write{add: evalLater(enqueueScript, keys, args...)})
		return true, nil
	}
	n, err := enqueueScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("enqueue to %d queues: %w", len(queues), err)
	}
	return n >= 0, nil
}

// NextDue returns the head of the queue due earliest, at or before now,
// whose send budget allows a send now, leaving the item there, with the
// number of failed attempts to send it so far. queue is the queue's stored
// name, for Sent, Retry, PutBack and Dead; it is "" when nothing can be
// sent now, and then wait, if positive, is how long until a send budget
// that holds due items frees.
//
// It leases the head: the queue is not due again before now+lease, and
// only the lease holder's Sent, Retry, PutBack or Dead act on it. The lease
// must outlast the send; a sender still busy when it expires may send the
// item a second time.
//
// budgets maps budget names to the least time between two sends drawn on
// them, across every process that shares this Redis; handing out an item
// spends its budget. A queue whose budget is not in budgets is not
// limited.
func (s *Store) NextDue(ctx context.Context, now time.Time, lease time.Duration, budgets map[string]time.Duration) (queue string, item []byte, attempts int, wait time.Duration, err error) {
	return s.NextDueIn(ctx, LaneAnswer, now, lease, budgets)
}

// NextDueIn is NextDue for the queues of lane: each lane's queues are
// handed out apart, so that senders of each lane never wait behind
// another's backlog.
func (s *Store) NextDueIn(ctx context.Context, lane string, now time.Time, lease time.Duration, budgets map[string]time.Duration) (queue string, item []byte, attempts int, wait time.Duration, err error) {
	if !validLane(lane) {
		return "", nil, 0, 0, fmt.Errorf("next due: lane %q: %w", lane, shakwa.ErrInvalid)
	}
	keys := []string{s.due(lane), s.ob("lease"), s.ob("tries"), s.ob("budget"), s.due(LaneAnswer)}
	until := now.Add(positive(lease)).UnixMilli()
	args := []any{now.UnixMilli(), until, s.ob("q:"), s.ob("rate:"), s.ob("pace:"), s.ob("busy:")}
	for name, gap := range budgets {
		// Whole milliseconds, rounded up: a budget is never exceeded.
		args = append(args, name, (positive(gap) + time.Millisecond - 1).Milliseconds())
	}
	res, err := nextScript.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return "", nil, 0, 0, fmt.Errorf("next due: %w", err)
	}
	if len(res) == 2 {
		w, _ := res[1].(string)
		n, _ := strconv.ParseInt(w, 10, 64)
		return "", nil, 0, time.Duration(n) * time.Millisecond, nil
	}
	if len(res) != 3 {
		return "", nil, 0, 0, fmt.Errorf("next due: unexpected reply of %d items", len(res))
	}
	queue, _ = res[0].(string)
	it, _ := res[1].(string)
	n, _ := res[2].(int64)
	return queue, []byte(it), int(n), 0, nil
}

// Sent drops the head of queue after it was delivered. If more items wait,
// the queue is due at next (per-chat pacing); otherwise it is no longer
// scheduled. The attempt count starts again for the next item. It returns
// an error wrapping shakwa.ErrConflict when the head is not under a lease
// from NextDue (a repeated call, or another sender took over) and
// shakwa.ErrNotFound when the queue is empty; nothing changes then.
func (s *Store) Sent(ctx context.Context, queue string, next time.Time) error {
	_, err := s.finish(ctx, queue, "sent", next, "", time.Time{})
	return err
}

// SentRef is SetRef(chat, ref, messageID, trail) and then Sent(queue,
// next): on one server in one transaction, one round trip, so that the
// chat's next item, which may edit the message ref, finds its id. A
// Cluster's nodes do not wait for one another: there the ref goes first,
// on its own. refErr is SetRef's failure; err is Sent's, as Sent
// describes, and is the only one that leaves the head leased.
func (s *Store) SentRef(ctx context.Context, queue string, next time.Time, chat, ref, messageID string, trail bool, queued int64) (refErr, err error) {
	if _, cluster := s.rdb.(*redis.ClusterClient); cluster {
		refErr = s.setRef(ctx, chat, ref, messageID, trail, queued)
		return refErr, s.Sent(ctx, queue, next)
	}
	keys, args := s.finishArgs(queue, "sent", next, "", time.Time{})
	var sent *redis.Cmd
	var refs []redis.Cmder
	_, perr := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		refs = s.setRefIn(ctx, p, chat, ref, messageID, trail, queued)
		sent = obFinishScript.EvalSha(ctx, p, keys, args...)
		return nil
	})
	for _, c := range refs {
		if c.Err() != nil {
			refErr = fmt.Errorf("set ref %s: %w", ref, c.Err())
			break
		}
	}
	if redis.HasErrorPrefix(sent.Err(), "NOSCRIPT") {
		// The server lost its scripts (it restarted): Sent loads it.
		return refErr, s.Sent(ctx, queue, next)
	}
	if perr != nil && sent.Err() == nil {
		perr = nil // the ref's failure alone
	}
	if perr != nil {
		return refErr, fmt.Errorf("outbox sent %s: %w", queue, perr)
	}
	n, _ := sent.Int()
	return refErr, finishErr(queue, "sent", n)
}

// holdScript extends the lease on a queue's head, and its chat's busy
// mark (kept an hour at most: its value is what counts). KEYS: due, queue,
// lease, busy. ARGV: queue, lease end (ms). Returns 1, or 0 when the head
// is not leased.
var holdScript = redis.NewScript(`
local head = redis.call('LINDEX', KEYS[2], 0)
if not head then return 0 end
if redis.call('HGET', KEYS[3], ARGV[1]) ~= string.sub(head, 1, string.find(head, ':', 1, true) - 1) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('SET', KEYS[4], ARGV[2], 'PX', 3600000)
return 1
`)

// Hold extends the lease NextDue gave on queue's head until until, for a
// send that takes long (a large file). It reports false when the head is
// no longer leased.
func (s *Store) Hold(ctx context.Context, queue string, until time.Time) (bool, error) {
	lane, answers := laneOf(queue)
	keys := []string{s.due(lane), s.ob("q:" + queue), s.ob("lease"), s.ob("busy:" + answers)}
	n, err := holdScript.Run(ctx, s.rdb, keys, queue, until.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("outbox hold %s: %w", queue, err)
	}
	return n == 1, nil
}

// Retry keeps the head of queue for another attempt at at, and returns how
// many attempts have failed so far, this one included. Errors are as Sent
// describes.
func (s *Store) Retry(ctx context.Context, queue string, at time.Time) (attempts int, err error) {
	return s.finish(ctx, queue, "retry", at, "", time.Time{})
}

// Wait keeps the head of queue to be sent at until, without counting a
// failure, and holds the chat's other lanes until then too: the platform
// asked the bot to wait (a 429 with retry_after), which is no fault of the
// message and holds for the whole chat. Errors are as Sent describes.
func (s *Store) Wait(ctx context.Context, queue string, until, now time.Time) error {
	_, err := s.finish(ctx, queue, "wait", until, "", now)
	return err
}

// PutBack gives the lease on queue's head back, to be sent at at, without
// counting a failure: the sender is stopping. Errors are as Sent
// describes.
func (s *Store) PutBack(ctx context.Context, queue string, at time.Time) error {
	_, err := s.finish(ctx, queue, "release", at, "", time.Time{})
	return err
}

// Dead moves the head of queue to the dead letters with reason and now,
// where DeadLetters shows it, and makes the rest of the queue due at now.
// About DefaultDeadCap dead letters are kept (see WithDeadCap). Errors are as Sent describes.
func (s *Store) Dead(ctx context.Context, queue string, reason string, now time.Time) error {
	_, err := s.finish(ctx, queue, "dead", now, reason, now)
	return err
}

func (s *Store) finish(ctx context.Context, queue, mode string, due time.Time, reason string, now time.Time) (int, error) {
	keys, args := s.finishArgs(queue, mode, due, reason, now)
	n, err := obFinishScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("outbox %s %s: %w", mode, queue, err)
	}
	return n, finishErr(queue, mode, n)
}

// finishArgs are obFinishScript's keys and arguments.
func (s *Store) finishArgs(queue, mode string, due time.Time, reason string, now time.Time) ([]string, []any) {
	lane, answers := laneOf(queue)
	keys := []string{s.due(lane), s.ob("q:" + queue), s.ob("tries"), s.ob("lease"), s.ob("count"), s.ob("dead"), s.count(lane),
		s.ob("pace:" + answers), s.ob("busy:" + answers)}
	return keys, []any{queue, mode, due.UnixMilli(), reason, now.UnixMilli(), s.deadCap}
}

// finishErr is the error obFinishScript's reply n means.
func finishErr(queue, mode string, n int) error {
	switch n {
	case -1:
		return fmt.Errorf("outbox %s %s: queue empty: %w", mode, queue, shakwa.ErrNotFound)
	case -2:
		return fmt.Errorf("outbox %s %s: head not leased: %w", mode, queue, shakwa.ErrConflict)
	}
	return nil
}

// DeadLetters returns up to limit dead letters, newest first; limit <= 0
// returns all that are kept.
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
		d.Queue, _ = m.Values["queue"].(string)
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

// LaneBacklog is what waits in one lane of the outbox.
type LaneBacklog struct {
	Lane  string
	Items int
	// Overdue is how long the queue due earliest has been due: in a
	// backlog, about the age of the oldest item waiting. Zero when nothing
	// is late (queues held for a person's window are not).
	Overdue time.Duration
}

// OutboxBacklog returns what waits in each lane, in the order of Lanes, in one
// round trip.
func (s *Store) OutboxBacklog(ctx context.Context, now time.Time) ([]LaneBacklog, error) {
	counts := make([]*redis.StringCmd, len(Lanes))
	firsts := make([]*redis.ZSliceCmd, len(Lanes))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, lane := range Lanes {
			counts[i] = p.Get(ctx, s.count(lane))
			firsts[i] = p.ZRangeByScoreWithScores(ctx, s.due(lane), &redis.ZRangeBy{
				Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10), Count: 1})
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("backlog: %w", err)
	}
	out := make([]LaneBacklog, len(Lanes))
	others := 0
	for i, lane := range Lanes {
		n, _ := strconv.Atoi(counts[i].Val())
		out[i] = LaneBacklog{Lane: lane, Items: n}
		if i > 0 {
			others += n
		}
		if zs := firsts[i].Val(); len(zs) == 1 {
			out[i].Overdue = max(0, now.Sub(time.UnixMilli(int64(zs[0].Score))))
		}
	}
	out[0].Items = max(0, out[0].Items-others) // the total counts every lane
	return out, nil
}

// SlowBudget keeps the send budget named budget from sending before
// until, across the fleet: the platform asked to wait (a 429's
// retry_after).
func (s *Store) SlowBudget(ctx context.Context, budget string, until, now time.Time) error {
	if !until.After(now) {
		return nil
	}
	if err := s.rdb.Set(ctx, s.ob("rate:"+budget), until.UnixMilli(), until.Sub(now)).Err(); err != nil {
		return fmt.Errorf("slow budget %s: %w", budget, err)
	}
	return nil
}
