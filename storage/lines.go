package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// A line is what one sender sent that waits for work done after the
// webhook answered (WhatsApp media to fetch), and what the sender sent
// after it, in order. Each line is drained by a job of the line's kind
// whose key is the line's opaque name; the line and those jobs share the
// kind's hash tag, so that a line and its job change together:
//
//	line:{KIND}:OPAQUE   list: the items, oldest first, with a TTL
//
// A line that holds anything always has its job (see QueueLine and
// PopLine), scheduled or claimed.

// lineLife bounds how long a line is kept after its last item came: a
// line whose job cannot drain it (its store broken for days) goes rather
// than keep what people sent for ever. Meta's media last as long.
const lineLife = 7 * 24 * time.Hour

// ErrLineFull is the error of an item a line has no room for.
var ErrLineFull = errors.New("line full")

func (s *Store) lineKeys(kind, line string) []string {
	return append([]string{s.key("line", kind) + ":" + line}, s.jobKeys(kind)...)
}

// queueLineScript appends an item to a line when the line holds anything
// or ARGV[2] is "1", and gives the line its job unless it has one.
// KEYS: line, jobs, orig, tries. ARGV: item, wait, max, now (ms), TTL (ms),
// the line's name. Reply: 1 queued, 0 not (nothing waits), -1 full.
var queueLineScript = redis.NewScript(`
local n = redis.call('LLEN', KEYS[1])
if n == 0 and ARGV[2] ~= '1' then return 0 end
if n >= tonumber(ARGV[3]) then return -1 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if not redis.call('ZSCORE', KEYS[2], ARGV[6]) then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
  redis.call('HDEL', KEYS[3], ARGV[6])
  redis.call('HDEL', KEYS[4], ARGV[6])
end
return 1
`)

// popLineScript removes a line's first item if it is ARGV[1], and the
// line's job once the line is empty, claimed or not.
// KEYS: line, jobs, orig, tries. ARGV: item, the line's name.
// Reply: the items left.
var popLineScript = redis.NewScript(`
if ARGV[1] ~= '' and redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then redis.call('LPOP', KEYS[1]) end
local n = redis.call('LLEN', KEYS[1])
if n == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('HDEL', KEYS[3], ARGV[2])
  redis.call('HDEL', KEYS[4], ARGV[2])
end
return n
`)

// QueueLine appends item to sender's line of kind when the line holds
// anything already, or when wait is set (the item itself must wait), and
// reports whether it did; a line that holds nothing and gets nothing
// says its sender's next message need not wait. The line's job, due now
// if it is new, has as key the line's name (LineName), never the sender.
// A line holding max items takes no more: ErrLineFull.
func (s *Store) QueueLine(ctx context.Context, kind, sender string, item []byte, wait bool, now time.Time, max int) (bool, error) {
	if !validCode(kind) || sender == "" || len(item) == 0 {
		return false, fmt.Errorf("queue %s line: %w", kind, shakwa.ErrInvalid)
	}
	name := s.LineName(kind, sender)
	flag := "0"
	if wait {
		flag = "1"
	}
	n, err := queueLineScript.Run(ctx, s.rdb, s.lineKeys(kind, name), item, flag, max, now.UnixMilli(),
		lineLife.Milliseconds(), name).Int()
	switch {
	case err != nil:
		return false, fmt.Errorf("queue %s line: %w", kind, err)
	case n < 0:
		return false, fmt.Errorf("queue %s line: %w", kind, ErrLineFull)
	}
	return n == 1, nil
}

// LineName is the opaque name of sender's line of kind: the key of the
// job that drains it.
func (s *Store) LineName(kind, sender string) string { return s.opaque("line:" + kind + ":" + sender) }

// LineHead returns the first item of line, nil when the line is empty.
func (s *Store) LineHead(ctx context.Context, kind, line string) ([]byte, error) {
	b, err := s.rdb.LIndex(ctx, s.lineKeys(kind, line)[0], 0).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s line head: %w", kind, err)
	}
	return b, nil
}

// PopLine removes the first item of line if it is item (a drain run twice
// removes it once), and returns how many are left. When none are, the
// line's job is gone with it: a later QueueLine makes a new one. A nil
// item removes nothing, and ends the job of a line found empty.
func (s *Store) PopLine(ctx context.Context, kind, line string, item []byte) (int, error) {
	n, err := popLineScript.Run(ctx, s.rdb, s.lineKeys(kind, line), item, line).Int()
	if err != nil {
		return 0, fmt.Errorf("pop %s line: %w", kind, err)
	}
	return n, nil
}
