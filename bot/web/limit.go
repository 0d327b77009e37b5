package web

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limiter is a token bucket per key, in memory: each key may take perMinute
// tokens at once and gets them back at perMinute a minute. Buckets that
// are full again are forgotten now and then.
type limiter struct {
	perSecond float64
	burst     float64

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute int) *limiter {
	return &limiter{perSecond: float64(perMinute) / 60, burst: float64(perMinute), buckets: map[string]*bucket{}}
}

// take takes a token of key at now. When there is none it returns how long
// until there is one.
func (l *limiter) take(key string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.refill(now, l)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.perSecond * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// give returns a token taken from key.
func (l *limiter) give(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[key]; b != nil {
		b.tokens = min(b.tokens+1, l.burst)
	}
}

func (b *bucket) refill(now time.Time, l *limiter) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(b.tokens+d.Seconds()*l.perSecond, l.burst)
		b.at = now
	}
}

// sweep forgets full buckets, at most once a minute.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if b.refill(now, l); b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// allow takes a message token of visitor and of r's client address, or
// answers 429 with Retry-After and returns false.
func (c *Channel) allow(w http.ResponseWriter, r *http.Request, visitor string) bool {
	now := c.now()
	ok, wait := c.visitors.take(visitor, now)
	if ok {
		if ok, wait = c.ips.take(c.clientKey(r), now); !ok {
			c.visitors.give(visitor)
		}
	}
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(wait, time.Second).Seconds()))))
	http.Error(w, "too many requests", http.StatusTooManyRequests)
	return false
}

// clientKey is the key of r's client in the per-address limits (see
// ClientKey).
func (c *Channel) clientKey(r *http.Request) string { return ClientKey(r, c.trustProxy) }

// ClientKey is the key of r's client address (see ClientIP) in a limit per
// address: an IPv4 address itself, an IPv4-mapped IPv6 one (::ffff:a.b.c.d)
// as that IPv4 address, any other IPv6 address as its /64, which one
// client commonly holds whole and could go through address by address;
// anything that is not an address as it is.
func ClientKey(r *http.Request, trustProxy bool) string {
	return addressKey(ClientIP(r, trustProxy))
}

// addressKey is ClientKey's key of address ip.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// ClientIP is the address r came from: the last X-Forwarded-For entry
// when a proxy is trusted (it appends the address it saw), else the peer.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := strings.TrimSpace(last); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
