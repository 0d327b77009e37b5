package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// staffRevokedKey names the sorted set of web staff sign-ins revoked:
// person id -> when, in Unix milliseconds.
const staffRevokedKey = "webstaff:revoked"

// RevokeStaff voids every web staff panel sign-in of person made at or
// before at: the sign-in links made for them until then, and the sign-ins
// those links made. A link made after at is not touched. A revocation's
// time only moves on: an earlier one given after a later one (another
// machine's clock) leaves the later. An empty person wraps
// shakwa.ErrInvalid.
func (s *Store) RevokeStaff(ctx context.Context, person string, at time.Time) error {
	if person == "" {
		return fmt.Errorf("revoke staff: no person: %w", shakwa.ErrInvalid)
	}
	z := redis.Z{Score: float64(at.UnixMilli()), Member: person}
	if err := s.rdb.ZAddGT(ctx, s.plain(staffRevokedKey), z).Err(); err != nil {
		return fmt.Errorf("revoke staff: %w", err)
	}
	return nil
}

// StaffRevoked returns when person's web staff sign-ins were last revoked
// (RevokeStaff), to the millisecond, or the zero time if they never were.
// It is one read.
func (s *Store) StaffRevoked(ctx context.Context, person string) (time.Time, error) {
	ms, err := s.rdb.ZScore(ctx, s.plain(staffRevokedKey), person).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("staff revoked: %w", err)
	}
	return time.UnixMilli(int64(ms)), nil
}
