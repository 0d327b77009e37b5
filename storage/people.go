package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Session returns the session saved for who, or nil when there is none
// (or it expired).
func (s *Store) Session(ctx context.Context, who string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.key("session", who)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session of %s: %w", who, err)
	}
	return b, nil
}

// SaveSession saves data as who's session for ttl; ttl <= 0 keeps it until
// it is deleted.
func (s *Store) SaveSession(ctx context.Context, who string, data []byte, ttl time.Duration) error {
	if ttl < 0 {
		ttl = 0
	}
	if err := s.rdb.Set(ctx, s.key("session", who), data, ttl).Err(); err != nil {
		return fmt.Errorf("save session of %s: %w", who, err)
	}
	return nil
}

// DeleteSession forgets who's session; it is not an error if there is none.
func (s *Store) DeleteSession(ctx context.Context, who string) error {
	if err := s.rdb.Del(ctx, s.key("session", who)).Err(); err != nil {
		return fmt.Errorf("delete session of %s: %w", who, err)
	}
	return nil
}

// Lang returns who's chosen language, or "" when they have not chosen.
func (s *Store) Lang(ctx context.Context, who string) (string, error) {
	l, err := s.rdb.HGet(ctx, s.key("prefs", who), "lang").Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("language of %s: %w", who, err)
	}
	return l, nil
}

// SetLang records who's language; "" forgets it.
func (s *Store) SetLang(ctx context.Context, who, lang string) error {
	key := s.key("prefs", who)
	var err error
	if lang == "" {
		err = s.rdb.HDel(ctx, key, "lang").Err()
	} else {
		err = s.rdb.HSet(ctx, key, "v", version, "lang", lang).Err()
	}
	if err != nil {
		return fmt.Errorf("set language of %s: %w", who, err)
	}
	return nil
}

// SetRef records that our message ref in chat is the platform message
// messageID, both ways. A ref sent again (an edit that became a new
// message) points at the newest id; older ids still lead back to the ref.
func (s *Store) SetRef(ctx context.Context, chat, ref, messageID string) error {
	err := s.rdb.HSet(ctx, s.key("refs", chat), "r:"+ref, messageID, "m:"+messageID, ref).Err()
	if err != nil {
		return fmt.Errorf("set ref %s in %s: %w", ref, chat, err)
	}
	return nil
}

// Ref returns the platform id of our message ref in chat, or "".
func (s *Store) Ref(ctx context.Context, chat, ref string) (string, error) {
	return s.refField(ctx, chat, "r:"+ref)
}

// RefOf returns our name for the platform message messageID in chat, or "".
func (s *Store) RefOf(ctx context.Context, chat, messageID string) (string, error) {
	return s.refField(ctx, chat, "m:"+messageID)
}

func (s *Store) refField(ctx context.Context, chat, field string) (string, error) {
	v, err := s.rdb.HGet(ctx, s.key("refs", chat), field).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("ref %s in %s: %w", field, chat, err)
	}
	return v, nil
}

// abortScript drops an intake lease but never a "done" mark.
var abortScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == 'lease' then return redis.call('DEL', KEYS[1]) end
return 0
`)

// beginScript takes the intake lease, or says why not: 1 taken, 0 done
// already, -1 leased by another worker.
var beginScript = redis.NewScript(`
if redis.call('SET', KEYS[1], 'lease', 'PX', ARGV[1], 'NX') then return 1 end
if redis.call('GET', KEYS[1]) == 'done' then return 0 end
return -1
`)

// BeginUpdate takes the intake lease on the platform update key for lease.
// It returns false when the update is done already; then the caller must
// not handle it. While another worker holds the lease it returns an error
// wrapping shakwa.ErrConflict: the update is not safe yet, so the caller
// must not acknowledge it either. A lease that expires (the worker
// crashed) lets a redelivery through: at least once.
func (s *Store) BeginUpdate(ctx context.Context, key string, lease time.Duration) (bool, error) {
	n, err := beginScript.Run(ctx, s.rdb, []string{s.key("update", key)}, positive(lease).Milliseconds()).Int()
	switch {
	case err != nil:
		return false, fmt.Errorf("begin update %s: %w", key, err)
	case n < 0:
		return false, fmt.Errorf("begin update %s: being handled: %w", key, shakwa.ErrConflict)
	}
	return n == 1, nil
}

// FinishUpdate marks update key done and keeps the mark for keep, during
// which BeginUpdate refuses it.
func (s *Store) FinishUpdate(ctx context.Context, key string, keep time.Duration) error {
	if err := s.rdb.Set(ctx, s.key("update", key), "done", positive(keep)).Err(); err != nil {
		return fmt.Errorf("finish update %s: %w", key, err)
	}
	return nil
}

// AbortUpdate drops the lease on update key so that a redelivery is
// handled; a key already done stays done.
func (s *Store) AbortUpdate(ctx context.Context, key string) error {
	if err := abortScript.Run(ctx, s.rdb, []string{s.key("update", key)}).Err(); err != nil {
		return fmt.Errorf("abort update %s: %w", key, err)
	}
	return nil
}

// positive keeps a TTL at one millisecond at least: a zero TTL would mean
// "for ever" to Redis.
func positive(d time.Duration) time.Duration {
	return max(d, time.Millisecond)
}
