package storage

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Store keeps shakwa's state in Redis. It is safe for concurrent use; create
// it with New or Open.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	logCap int
}

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts p in front of every key, outside the hash tag, so that
// several deployments (or tests) can share one Redis. p must not contain
// braces.
func WithPrefix(p string) Option {
	return func(s *Store) { s.prefix = p }
}

// WithLogCap keeps at most n events per ticket (the newest); the default is
// 500.
func WithLogCap(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.logCap = n
		}
	}
}

// New returns a Store on rdb; its Close closes rdb. rdb should have
// ContextTimeoutEnabled set, so that request deadlines bound Redis calls
// (ParseURL sets it).
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, logCap: 500}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Open connects to the Redis named by url (see ParseURL), pings it once and
// returns a Store that owns the connection.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewUniversalClient(o)
	s := New(rdb, opts...)
	if err := s.Ping(ctx); err != nil {
		_ = rdb.Close() // the ping error is the one worth reporting
		return nil, fmt.Errorf("open redis: %w", err)
	}
	return s, nil
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// Close closes the Redis client.
func (s *Store) Close() error {
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("close redis: %w", err)
	}
	return nil
}

// key joins the prefix, a key kind and a hash-tagged name: key("t", "X")
// is "PREFIXt:{X}".
func (s *Store) key(kind, tag string) string {
	return s.prefix + kind + ":{" + tag + "}"
}

// plain returns a key without a hash tag.
func (s *Store) plain(name string) string {
	return s.prefix + name
}
