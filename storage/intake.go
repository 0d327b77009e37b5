package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Intake keeps, per chat, under the chat's opaque name as hash tag:
//
//	in:{CHAT}:line   sorted set: updates of the chat being handled or waiting, by arrival
//	in:{CHAT}:hold   hash: update -> "TOKEN:EXPIRY(ms)", who holds its place; "#seq" the arrival counter
//	in:{CHAT}:done   sorted set: updates handled, by when (ms), trimmed to the keep window
//	in:{CHAT}:fails  hash: update -> failed handlings so far
//
// The head of the line is the update being handled; the others wait their
// turn in arrival order. Every place is held by a token with an expiry that
// its holder renews: a place whose holder stopped renewing (the process
// died) is taken over by a copy of the same update, and at the head it is
// dropped, so the chat moves on within one lease.

func (s *Store) inKeys(chat string, names ...string) []string {
	tag := s.key("in", s.chatName(chat))
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = tag + ":" + n
	}
	return keys
}

// beginScript joins or finds update ARGV[1] in the line and tells where it
// stands: done, busy (a copy holds its place), turn, or wait.
// KEYS: line, hold, done. ARGV: update, token, now (ms), lease (ms).
var beginScript = redis.NewScript(beginLua + `
return begin(KEYS, ARGV)
`)

// beginLua is beginScript's work as a Lua function of its keys and
// arguments, for the scripts that run it.
const beginLua = `
local function begin(K, A)
  if redis.call('ZSCORE', K[3], A[1]) then return 'done' end
  local now, lease = tonumber(A[3]), tonumber(A[4])
  local function expiry(h)
    if not h then return 0 end
    return tonumber(string.match(h, ':(%d+)$')) or 0
  end
  local h = redis.call('HGET', K[2], A[1])
  if h then
    if string.sub(h, 1, #A[2] + 1) ~= A[2] .. ':' and expiry(h) > now then return 'busy' end
  else
    redis.call('ZADD', K[1], redis.call('HINCRBY', K[2], '#seq', 1), A[1])
  end
  redis.call('HSET', K[2], A[1], A[2] .. ':' .. (now + lease))
  redis.call('PEXPIRE', K[1], 4 * lease)
  redis.call('PEXPIRE', K[2], 4 * lease)
  while true do
    local head = redis.call('ZRANGE', K[1], 0, 0)[1]
    if head == A[1] then return 'turn' end
    if expiry(redis.call('HGET', K[2], head)) > now then return 'wait' end
    redis.call('ZREM', K[1], head)
    redis.call('HDEL', K[2], head)
  end
end
`

// Begin puts update id of chat in the chat's line, or finds it there, under
// token (the caller's, new for each handling) for lease. It reports done
// when the update was handled already: the caller drops it. Otherwise it
// reports wait while an earlier update of the chat is ahead: the caller
// calls Begin again a little later, which also renews its place. When
// neither is set it is the update's turn: the caller handles it, renews
// its hold with Renew while it works, and ends with Finish or Abort.
//
// While a copy of the update holds its place under another token, Begin
// returns an error wrapping shakwa.ErrConflict: the update is not safe
// yet, so the caller must not acknowledge it. A holder that stops
// renewing loses its place after lease: a copy then takes it over.
func (s *Store) Begin(ctx context.Context, chat, id, token string, now time.Time, lease time.Duration) (done, wait bool, err error) {
	keys := s.inKeys(chat, "line", "hold", "done")
	args := []any{id, token, now.UnixMilli(), positive(lease).Milliseconds()}
	var res string
	if b := batchOf(ctx); b.readsAhead() {
		res, err = s.beginReading(ctx, b, keys, args, now)
	} else {
		res, err = beginScript.Run(ctx, s.rdb, keys, args...).Text()
	}
	if err != nil {
		return false, false, fmt.Errorf("begin update: %w", err)
	}
	switch res {
	case "done":
		return true, false, nil
	case "wait":
		return false, true, nil
	case "turn":
		return false, false, nil
	case "busy":
		return false, false, fmt.Errorf("begin update: being handled: %w", shakwa.ErrConflict)
	}
	return false, false, fmt.Errorf("begin update: unexpected script reply %q", res)
}

// beginReading runs beginScript, or aheadScript when the batch has an act
// to make, and the batch's reads ahead in one pipeline. The reads are
// kept only when it is the update's turn: read before, they may be older
// than what the update ahead writes.
func (s *Store) beginReading(ctx context.Context, b *batch, keys []string, args []any, now time.Time) (string, error) {
	script, a := beginScript, b.pending()
	if a != nil {
		var err error
		if keys, args, err = s.aheadArgs(ctx, a, keys, args, now); err != nil {
			return "", err
		}
		script = aheadScript
	}
	var begin *redis.Cmd
	var reads []redis.Cmder
	// Each command's error is looked at on its own: the pipeline's is
	// the first of them.
	s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		begin = script.EvalSha(ctx, p, keys, args...)
		reads = b.addReads(ctx, p)
		return nil
	})
	if redis.HasErrorPrefix(begin.Err(), "NOSCRIPT") {
		// The server does not have the script (it restarted): load it
		// with the begin itself, and read after.
		begin = script.Run(ctx, s.rdb, keys, args...)
		reads = nil
	}
	res, err := s.begun(b, a, begin)
	if err != nil || res != "turn" {
		return res, err
	}
	if reads == nil && b.readsAhead() {
		return s.beginReading(ctx, b, keys[:3], args[:4], now) // its turn still, and the act made
	}
	if err := b.keepReads(reads); err != nil {
		// The update fails here, and nothing of its batch is
		// committed: a change made with the begin is indexed now.
		return res, errors.Join(err, s.settleAct(ctx, true))
	}
	return res, nil
}

// begun is the answer to a begin, cmd, of beginScript or, when a is not
// nil, of aheadScript for a.
func (s *Store) begun(b *batch, a *act, cmd *redis.Cmd) (string, error) {
	if a == nil {
		return cmd.Text()
	}
	res, err := cmd.Slice()
	if err != nil {
		return "", err
	}
	return s.keepAct(b, a, res)
}

// renewScript moves the expiry of a place its token still holds.
// KEYS: line, hold. ARGV: update, token, until (ms), key life (ms).
var renewScript = redis.NewScript(`
local h = redis.call('HGET', KEYS[2], ARGV[1])
if not h or string.sub(h, 1, #ARGV[2] + 1) ~= ARGV[2] .. ':' then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
-- The line lives as long as its longest hold: a long handling must not
-- outlive it.
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`)

// Renew extends token's hold on update id of chat to now+lease. It reports
// false when the hold was lost (it expired and a copy took it over).
func (s *Store) Renew(ctx context.Context, chat, id, token string, now time.Time, lease time.Duration) (bool, error) {
	n, err := renewScript.Run(ctx, s.rdb, s.inKeys(chat, "line", "hold"), id, token, now.Add(positive(lease)).UnixMilli(),
		4*positive(lease).Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("renew update: %w", err)
	}
	return n == 1, nil
}

// finishScript marks an update done and, if token still holds its place,
// leaves the line. KEYS: line, hold, done, fails. ARGV: update, token, now
// (ms), keep (ms).
var finishScript = redis.NewScript(`
local now, keep = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - keep)
redis.call('PEXPIRE', KEYS[3], keep)
redis.call('HDEL', KEYS[4], ARGV[1])
local h = redis.call('HGET', KEYS[2], ARGV[1])
local mine = h and string.sub(h, 1, #ARGV[2] + 1) == ARGV[2] .. ':'
if mine then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
  return 1
end
return 0
`)

// Finish marks update id of chat handled, remembered for keep, and gives
// the chat's turn to the next update. It reports false when token no
// longer held the place (a copy took it over): the update is done all the
// same.
func (s *Store) Finish(ctx context.Context, chat, id, token string, now time.Time, keep time.Duration) (bool, error) {
	keys := s.inKeys(chat, "line", "hold", "done", "fails")
	if b := batchOf(ctx); b != nil {
		b.later(write{last: true, add: evalLater(finishScript, keys, id, token, now.UnixMilli(), positive(keep).Milliseconds()),
			check: func(c redis.Cmder) error {
				if n, err := c.(*redis.Cmd).Int(); err != nil {
					return fmt.Errorf("finish update: %w", err)
				} else if n != 1 {
					return fmt.Errorf("finish update: turn lost: %w", shakwa.ErrConflict)
				}
				return nil
			}})
		return true, nil
	}
	n, err := finishScript.Run(ctx, s.rdb, keys, id, token, now.UnixMilli(), positive(keep).Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("finish update: %w", err)
	}
	return n == 1, nil
}

// abortScript leaves the line if token holds the place.
// KEYS: line, hold. ARGV: update, token.
var abortScript = redis.NewScript(`
local h = redis.call('HGET', KEYS[2], ARGV[1])
if not h or string.sub(h, 1, #ARGV[2] + 1) ~= ARGV[2] .. ':' then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1
`)

// Abort gives up token's place for update id of chat, without marking it
// done, so that a redelivery is handled. The chat's next update goes
// ahead.
func (s *Store) Abort(ctx context.Context, chat, id, token string) error {
	if err := abortScript.Run(ctx, s.rdb, s.inKeys(chat, "line", "hold"), id, token).Err(); err != nil {
		return fmt.Errorf("abort update: %w", err)
	}
	return nil
}

// Failed counts a failed handling of update id of chat and returns the
// failures so far, this one included. The count is kept for keep, or until
// Finish.
func (s *Store) Failed(ctx context.Context, chat, id string, keep time.Duration) (int, error) {
	key := s.inKeys(chat, "fails")[0]
	var n *redis.IntCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		n = p.HIncrBy(ctx, key, id, 1)
		p.PExpire(ctx, key, positive(keep))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count failure of update: %w", err)
	}
	return int(n.Val()), nil
}

// Line returns the updates of chat in its line, the one being handled
// first.
func (s *Store) Line(ctx context.Context, chat string) ([]string, error) {
	ids, err := s.rdb.ZRange(ctx, s.inKeys(chat, "line")[0], 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read line: %w", err)
	}
	return ids, nil
}
