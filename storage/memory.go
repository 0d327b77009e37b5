package storage

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// memoryTick is how often the in-memory server's TTLs follow the clock: a
// key expires at most this late.
const memoryTick = 50 * time.Millisecond

// OpenMemory starts an in-process Redis-compatible server (miniredis) and
// returns a Store on it, and a func that stops it. The data lives in
// memory only and is lost on exit. It is meant for `shakwa demo` and
// tests, not for production: there is no persistence and no cluster.
//
// The server listens on a free loopback port and wants a random password,
// so other local processes cannot use it. (In-memory pipes would need no
// port, but they deadlock on large pipelines.) Keys expire as the wall
// clock passes their TTL, as on Redis, up to 50ms late. stop closes the
// Store and then stops the server; closing the Store before is fine.
func OpenMemory(ctx context.Context, opts ...Option) (*Store, func(), error) {
	m := miniredis.NewMiniRedis()
	pw := rand.Text()
	m.RequireAuth(pw)
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, nil, fmt.Errorf("start in-memory redis: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), Password: pw, ContextTimeoutEnabled: true})
	s, err := New(ctx, rdb, opts...)
	if err != nil {
		_ = rdb.Close() // the ping error is the one worth reporting
		m.Close()
		return nil, nil, fmt.Errorf("open in-memory redis: %w", err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { followClock(m, done) })
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = s.Close() // an error means the caller closed it already
			close(done)
			wg.Wait()
			m.Close()
		})
	}
	return s, stop, nil
}

// followClock moves m's TTLs on as the wall clock passes, until done.
// miniredis's own ClockTTL does this on every command, at a cost that
// grows with the number of keys; a tick keeps that cost bounded.
func followClock(m *miniredis.Miniredis, done <-chan struct{}) {
	t := time.NewTicker(memoryTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			m.FastForward(now.Sub(last))
			last = now
		}
	}
}
