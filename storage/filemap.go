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

// Files cross channels by content (see package files). Storage remembers,
// for each file:
//
//	fsrc:{CHANNEL:ID}  string: the content of the file known as ID on CHANNEL
//	fon:{CONTENT}      hash: channel -> "EXPIRY(ms):ID", the file's id on that channel
//
// so that a file is fetched from where it came from once, and uploaded to
// each channel once.

// FileContent returns the content id of the file known as id on channel,
// or "" when it was never fetched.
func (s *Store) FileContent(ctx context.Context, channel, id string) (string, error) {
	v, err := s.rdb.Get(ctx, s.key("fsrc", channel+":"+id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("file content: %w", err)
	}
	return v, nil
}

// SetFileContent records that the file known as id on channel has content
// id content.
func (s *Store) SetFileContent(ctx context.Context, channel, id, content string) error {
	if err := s.rdb.Set(ctx, s.key("fsrc", channel+":"+id), content, 0).Err(); err != nil {
		return fmt.Errorf("set file content: %w", err)
	}
	return nil
}

// FileOn returns the id on channel of the file with content id content,
// or "" when it was never sent there or that id has expired.
func (s *Store) FileOn(ctx context.Context, content, channel string, now time.Time) (string, error) {
	v, err := s.rdb.HGet(ctx, s.key("fon", content), channel).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("file id on %s: %w", channel, err)
	}
	exp, id, ok := strings.Cut(v, ":")
	ms, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil {
		return "", fmt.Errorf("file id on %s: unreadable %q", channel, v)
	}
	if ms != 0 && now.UnixMilli() >= ms {
		return "", nil
	}
	return id, nil
}

// SetFileOn records that the file with content id content is id on
// channel, for ttl (0: for good), as the channel's own ids may expire
// (WhatsApp's last 30 days).
func (s *Store) SetFileOn(ctx context.Context, content, channel, id string, ttl time.Duration, now time.Time) error {
	var exp int64
	if ttl > 0 {
		exp = now.Add(ttl).UnixMilli()
	}
	if err := s.rdb.HSet(ctx, s.key("fon", content), channel, strconv.FormatInt(exp, 10)+":"+id).Err(); err != nil {
		return fmt.Errorf("set file id on %s: %w", channel, err)
	}
	return nil
}
