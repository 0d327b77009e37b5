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

// page:{KEY} is a string: the choices of a long WhatsApp list, for its
// later pages, with a TTL.

// SavePage keeps data as page key for ttl.
func (s *Store) SavePage(ctx context.Context, key string, data []byte, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.pageKey(key), data, positive(ttl)).Err(); err != nil {
		return fmt.Errorf("save page: %w", err)
	}
	return nil
}

// TakePage keeps a mark as page key for ttl unless one is kept there, and
// reports whether this call kept it: one of several copies of a page turn
// answers it.
func (s *Store) TakePage(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.pageKey(key), "1", positive(ttl)).Result()
	if err != nil {
		return false, fmt.Errorf("take page: %w", err)
	}
	return ok, nil
}

// DropPage forgets page key.
func (s *Store) DropPage(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.pageKey(key)).Err(); err != nil {
		return fmt.Errorf("drop page: %w", err)
	}
	return nil
}

// Page returns page key, or nil when it is not kept (any more).
func (s *Store) Page(ctx context.Context, key string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.pageKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read page: %w", err)
	}
	return b, nil
}

// dlv:{ID} is a string "STATUS:AT(ms)": how far our message ID got (sent,
// delivered, read, failed), for 30 days.

// deliveryOrder ranks delivery states: a report never moves a message
// back (Meta's arrive out of order, and twice).
var deliveryOrder = map[string]int{"sent": 1, "delivered": 2, "read": 3, "played": 4, "failed": 5}

// deliveryScript moves a message's state forward. KEYS: dlv. ARGV: state,
// rank, at (ms), ttl (ms).
var deliveryScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local rank = tonumber(string.match(cur, '^%d+'))
  if rank and rank >= tonumber(ARGV[2]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2] .. ':' .. ARGV[1] .. ':' .. ARGV[3], 'PX', ARGV[4])
return 1
`)

// pageKey and deliveryKey name what is kept under a name or a platform
// message id opaquely: a WhatsApp message id encodes the phone number it
// was to or from, and phone numbers are never in keys.
func (s *Store) pageKey(key string) string    { return s.key("page", s.opaque("page:"+key)) }
func (s *Store) deliveryKey(id string) string { return s.key("dlv", s.opaque("dlv:"+id)) }

// deliveryTTL is how long delivery states are kept.
const deliveryTTL = 30 * 24 * time.Hour

// SetDelivery records that our platform message id reached state (sent,
// delivered, read, played, failed) at at; a report of a state it had
// passed already changes nothing.
func (s *Store) SetDelivery(ctx context.Context, id, state string, at time.Time) error {
	rank, ok := deliveryOrder[state]
	if !ok {
		return nil // a state Meta adds later: nothing to rank it by
	}
	err := deliveryScript.Run(ctx, s.rdb, []string{s.deliveryKey(id)}, state, rank, at.UnixMilli(), deliveryTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("set delivery: %w", err)
	}
	return nil
}

// Delivered reports whether a delivery report said our platform message
// id reached the person (delivered, read, played). A record that cannot
// be read is an error wrapping shakwa.ErrInvalid.
func (s *Store) Delivered(ctx context.Context, id string) (bool, error) {
	state, _, err := s.Delivery(ctx, id)
	return state != "failed" && deliveryOrder[state] >= deliveryOrder["delivered"], err
}

// Delivery returns how far our platform message id got and when, or ""
// when no report came.
func (s *Store) Delivery(ctx context.Context, id string) (string, time.Time, error) {
	v, err := s.rdb.Get(ctx, s.deliveryKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("delivery: %w", err)
	}
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return "", time.Time{}, fmt.Errorf("delivery: unreadable %q: %w", v, shakwa.ErrInvalid)
	}
	ms, _ := strconv.ParseInt(parts[2], 10, 64)
	return parts[1], time.UnixMilli(ms), nil
}
