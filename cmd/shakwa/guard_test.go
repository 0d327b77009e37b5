package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestGuard: a source whose webhook requests fail the check 20 times in a
// minute gets 429 for the rest of it, without its requests reaching the
// handler; requests that pass are never counted, from any source; another
// source is not touched; the next minute starts afresh.
func TestGuard(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	g := newGuard(false)
	g.now = func() time.Time { return now }
	reached := 0
	h := g.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		if r.Header.Get("X-Telegram-Bot-Api-Secret-Token") != "right" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	do := func(addr, secret string) int {
		req := httptest.NewRequest("POST", "/tg/hook", nil)
		req.RemoteAddr = addr
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	const telegram, forger, other = "149.154.167.220:443", "203.0.113.9:5555", "198.51.100.7:1234"
	for i := range 1000 {
		if code := do(telegram, "right"); code != http.StatusOK {
			t.Fatalf("good request %d: %d; want 200", i, code)
		}
	}
	for i := range 20 {
		if code := do(forger, "guess"); code != http.StatusUnauthorized {
			t.Fatalf("forged request %d: %d; want 401", i, code)
		}
	}
	before := reached
	for _, secret := range []string{"guess", "right"} {
		if code := do(forger, secret); code != http.StatusTooManyRequests {
			t.Errorf("past the limit, secret %q: %d; want 429", secret, code)
		}
	}
	if reached != before {
		t.Errorf("a refused source's requests reached the handler %d times; want none", reached-before)
	}
	if code := do(telegram, "right"); code != http.StatusOK {
		t.Errorf("the platform's delivery meanwhile: %d; want 200", code)
	}
	if code := do(other, "guess"); code != http.StatusUnauthorized {
		t.Errorf("another source's first failure: %d; want 401", code)
	}
	now = now.Add(time.Minute)
	if code := do(forger, "right"); code != http.StatusOK {
		t.Errorf("the next minute: %d; want 200", code)
	}
}

// TestGuardByNetwork: a forger that takes a new IPv6 address for each
// request within its /64 is counted as one source; another /64 is not
// touched.
func TestGuardByNetwork(t *testing.T) {
	g := newGuard(false)
	h := g.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	}))
	do := func(addr string) int {
		req := httptest.NewRequest("POST", "/tg/hook", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 20 {
		if code := do(fmt.Sprintf("[2001:db8:1:2::%x]:5555", i+1)); code != http.StatusUnauthorized {
			t.Fatalf("forged request %d: %d; want 401", i, code)
		}
	}
	if code := do("[2001:db8:1:2:ffff::1]:5555"); code != http.StatusTooManyRequests {
		t.Errorf("past the limit, another address of the /64: %d; want 429", code)
	}
	if code := do("[2001:db8:1:3::1]:5555"); code != http.StatusUnauthorized {
		t.Errorf("another /64's first failure: %d; want 401", code)
	}
}
