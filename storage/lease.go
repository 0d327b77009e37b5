package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// lease:{NAME} is a string: the holder of the lease NAME, expiring with it.

// leaseScript takes the lease for ARGV[1], or renews it if ARGV[1] has it.
// KEYS: lease. ARGV: holder, ttl (ms).
var leaseScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

// unleaseScript drops the lease if ARGV[1] has it. KEYS: lease.
var unleaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// Lease takes the lease name for holder for ttl, or renews it when holder
// has it already, and reports whether holder has it now. Holders name
// themselves (a random id per process); a lease nobody renews ends after
// ttl, and another holder may take it.
func (s *Store) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{s.key("lease", name)}, holder, positive(ttl).Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return n == 1, nil
}

// Unlease gives the lease name up, if holder has it.
func (s *Store) Unlease(ctx context.Context, name, holder string) error {
	if err := unleaseScript.Run(ctx, s.rdb, []string{s.key("lease", name)}, holder).Err(); err != nil {
		return fmt.Errorf("unlease %s: %w", name, err)
	}
	return nil
}
