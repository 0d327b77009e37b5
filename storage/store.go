package storage

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Store keeps shakwa's state in Redis. It is safe for concurrent use; create
// it with New or Open.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	logCap  int
	deadCap int
	idKey   []byte    // keys the opaque names of people and chats
	macs    sync.Pool // of hash.Hash keyed with idKey
	tallier Tallier
	events  func(centre, kind string)
}

// Option configures a Store.
type Option func(*Store)

// WithHook has every command and pipeline the store sends go through h
// (go-redis' hooks: for metrics), on each node of a cluster too.
func WithHook(h redis.Hook) Option {
	return func(s *Store) { s.rdb.AddHook(h) }
}

// WithTicketEvents has the store call fn with a ticket's centre and the
// kind of event (see shakwa.Event) each time it files or changes one:
// for metrics. fn must be quick.
func WithTicketEvents(fn func(centre, kind string)) Option {
	return func(s *Store) { s.events = fn }
}

// ticketEvent tells the WithTicketEvents function, if any.
func (s *Store) ticketEvent(centre, kind string) {
	if s.events != nil {
		s.events(centre, kind)
	}
}

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

// WithDeadCap keeps about n dead letters (the newest); the default is
// DefaultDeadCap. Redis trims in whole blocks, so a few more may stay.
func WithDeadCap(n int) Option {
	return func(s *Store) {
		if n > 0 {
			s.deadCap = n
		}
	}
}

// New returns a Store on rdb; its Close closes rdb. It reads (or, on a new
// Redis, makes) the deployment's secret id key, so it needs Redis to
// answer. rdb should have ContextTimeoutEnabled set, so that request
// deadlines bound Redis calls (ParseURL sets it).
func New(ctx context.Context, rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	s := &Store{rdb: rdb, logCap: 500, deadCap: DefaultDeadCap}
	for _, o := range opts {
		o(s)
	}
	if strings.ContainsAny(s.prefix, "{}") {
		return nil, fmt.Errorf("storage: prefix with braces: %w", shakwa.ErrInvalid)
	}
	if err := s.loadIDKey(ctx); err != nil {
		return nil, err
	}
	if err := s.loadScripts(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// scripts are the store's Lua scripts.
var scripts = []*redis.Script{beginScript, renewScript, finishScript, abortScript, scheduleScript, claimScript,
	endScript, leaseScript, unleaseScript, enqueueScript, nextScript, obFinishScript, holdScript, deliveryScript,
	swapScript, createScript, reserveScript, transitionScript, parkScript, wroteScript, keepScript, resendScript,
	sendableScript, eraseScript, answerScript, decideScript, untouchedScript, dropEntryScript,
	assessDoneScript, dropQueueScript, forgetRecordScript, takeScript, untakeScript, withdrawScript, aheadScript,
	queueLineScript, popLineScript}

// loadScripts has every node hold the store's scripts, so that their
// first use is one round trip like the others. A node that loses them (it
// restarted) is sent them again on first use.
func (s *Store) loadScripts(ctx context.Context) error {
	// One at a time: Script.Load keeps the hash the server gives back,
	// which a pipeline gives only later; a cluster's client loads each on
	// every primary.
	for _, sc := range scripts {
		if err := sc.Load(ctx, s.rdb).Err(); err != nil {
			return fmt.Errorf("load scripts: %w", err)
		}
	}
	return nil
}

// Open connects to the Redis named by url (see ParseURL) and returns a
// Store that owns the connection.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewUniversalClient(o)
	s, err := New(ctx, rdb, opts...)
	if err != nil {
		_ = rdb.Close() // the first error is the one worth reporting
		return nil, fmt.Errorf("open redis: %w", err)
	}
	return s, nil
}

// idKeyName is the key of the secret that keys opaque names: made once per
// deployment (per prefix), at random, by the first Store that finds none.
const idKeyName = "meta:idkey"

func (s *Store) loadIDKey(ctx context.Context) error {
	key := s.plain(idKeyName)
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return fmt.Errorf("storage: id key: %w", err)
	}
	// SET NX GET: our fresh key if there was none, else the one there is.
	old, err := s.rdb.SetArgs(ctx, key, fresh, redis.SetArgs{Mode: "NX", Get: true}).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		s.idKey = fresh
	case err != nil:
		return fmt.Errorf("storage: id key: %w", err)
	case len(old) < 16:
		return fmt.Errorf("storage: id key %s of %d bytes is too short", key, len(old))
	default:
		s.idKey = old
	}
	return nil
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

// opaqueEncoding writes opaque names: lower case, no padding, nothing a
// key, a log line or a URL must escape.
var opaqueEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// opaque turns a name that may be personal (a chat id, which on WhatsApp is
// a phone number; "telegram:5001") into one that is not: 96 bits of an
// HMAC under the deployment's id key, the same for the same name on every
// replica, and useless for guessing the name without the key.
func (s *Store) opaque(name string) string {
	// A MAC keyed once and reset for each name: opaque names are made
	// several times an update.
	m, _ := s.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, s.idKey)
	}
	m.Reset()
	m.Write([]byte(name))
	var sum [sha256.Size]byte
	name = opaqueEncoding.EncodeToString(m.Sum(sum[:0])[:12])
	s.macs.Put(m)
	return name
}

// PersonID returns the opaque id of the person at a: what tickets, events,
// indexes and keys know them by. It does no I/O.
func (s *Store) PersonID(a shakwa.Address) string {
	return "p" + s.opaque("person:"+a.String())
}

// chatName returns the opaque name of a chat address ("telegram:-1001",
// "telegram:5001"), for keys that belong to a chat rather than a person.
func (s *Store) chatName(chat string) string {
	return s.opaque("chat:" + chat)
}
