package main

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/shakwa/shakwa/bot/web"
)

// guard limits, per source address (an IPv6 one's /64: see
// web.ClientKey), the requests to a webhook that fail its check (a wrong
// Telegram secret, a bad Meta signature: 401 or 403): past limit such
// failures in a window, the address gets 429 for the rest of it, before
// its request is read. A request that passes the check is
// never counted, so Telegram's and Meta's own deliveries, which always
// pass, are never refused; a flood of forged ones is, cheaply.
type guard struct {
	limit      int
	window     time.Duration
	trustProxy bool
	now        func() time.Time

	mu      sync.Mutex
	start   time.Time
	refused map[string]int
}

// maxGuarded bounds the addresses a window remembers; past it the window
// starts again (a flood from that many addresses is beyond this guard).
const maxGuarded = 100_000

func newGuard(trustProxy bool) *guard {
	return &guard{limit: 20, window: time.Minute, trustProxy: trustProxy, now: time.Now, refused: map[string]int{}}
}

// wrap guards h.
func (g *guard) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := web.ClientKey(r, g.trustProxy)
		if wait := g.blocked(ip); wait > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			http.Error(w, "too many refused requests", http.StatusTooManyRequests)
			return
		}
		rec := &statusOf{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		if rec.code == http.StatusUnauthorized || rec.code == http.StatusForbidden {
			g.count(ip)
		}
	})
}

// blocked says how long ip is still refused, or 0.
func (g *guard) blocked(ip string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.roll()
	if g.refused[ip] < g.limit {
		return 0
	}
	return g.start.Add(g.window).Sub(g.now())
}

func (g *guard) count(ip string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.roll()
	if len(g.refused) >= maxGuarded {
		g.start, g.refused = g.now(), map[string]int{}
	}
	g.refused[ip]++
}

// roll starts a new window when the current one is over. g.mu is held.
func (g *guard) roll() {
	if now := g.now(); now.Sub(g.start) >= g.window {
		g.start = now
		clear(g.refused)
	}
}

// statusOf remembers the status a handler answered with.
type statusOf struct {
	http.ResponseWriter
	code int
}

func (s *statusOf) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush passes a flush through, for handlers that stream.
func (s *statusOf) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
