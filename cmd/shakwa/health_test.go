package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestHealth: shakwa health succeeds while the server on HTTP_ADDR's port
// answers /healthz with 200, and fails, saying why, when it answers
// anything else, when nothing listens, or when HTTP_ADDR is no address.
func TestHealth(t *testing.T) {
	var (
		mu     sync.Mutex
		status int
		asked  []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.Method+" "+r.URL.Path)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	_, gone, _ := net.SplitHostPort(closed.Listener.Addr().String())
	closed.Close()

	for _, tc := range []struct {
		name, addr string
		status     int
		wantErr    string // "" wants nil
	}{
		{"every address", ":" + port, http.StatusOK, ""},
		{"unspecified address", "0.0.0.0:" + port, http.StatusOK, ""},
		{"loopback", "127.0.0.1:" + port, http.StatusOK, ""},
		{"not ok", ":" + port, http.StatusServiceUnavailable, "503 Service Unavailable"},
		{"not found", ":" + port, http.StatusNotFound, "404 Not Found"},
		{"nothing listens", ":" + gone, http.StatusOK, "connection refused"},
		{"no port", "127.0.0.1", http.StatusOK, "HTTP_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			status, asked = tc.status, nil
			mu.Unlock()
			var out bytes.Buffer
			env := map[string]string{"HTTP_ADDR": tc.addr}
			err := run(context.Background(), []string{"health"}, func(k string) string { return env[k] }, &out, &out)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v; want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v; want an error mentioning %q", err, tc.wantErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.wantErr == "" && (len(asked) != 1 || asked[0] != "GET /healthz") {
				t.Errorf("the server was asked %q; want GET /healthz once", asked)
			}
		})
	}
}

// TestHealthOfDemo: shakwa health reads the real /healthz of a running
// bot.
func TestHealthOfDemo(t *testing.T) {
	base, stop, _ := startDemo(t, t.Context())
	env := map[string]string{"HTTP_ADDR": strings.TrimPrefix(base, "http://")}
	if err := run(t.Context(), []string{"health"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Errorf("health of the demo: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"health"}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("health of the stopped demo: nil; want an error")
	}
}
