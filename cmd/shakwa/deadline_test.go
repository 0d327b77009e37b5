package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowTimeout is bodyTimeout and idleTimeout in the tests of slow clients.
const slowTimeout = 200 * time.Millisecond

// startSlowServer serves newServer with bodyTimeout and idleTimeout
// shortened (idleTimeout to idle) and returns its address. Its routes:
// POST /read reads the body, then waits three body deadlines and answers
// "ok", or "cancelled" if the request's context ended first; GET /stream
// sends "open", waits the same and sends "still open", unless its context
// ended; GET /ping answers "pong".
func startSlowServer(t *testing.T, idle time.Duration) string {
	t.Helper()
	defer func(b, i time.Duration) { bodyTimeout, idleTimeout = b, i }(bodyTimeout, idleTimeout)
	bodyTimeout, idleTimeout = slowTimeout, idle
	wait := func(r *http.Request) bool {
		select {
		case <-r.Context().Done():
			return false
		case <-time.After(3 * slowTimeout):
			return true
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /read", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "body not read", http.StatusBadRequest)
			return
		}
		if !wait(r) {
			fmt.Fprint(w, "cancelled")
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "open")
		http.NewResponseController(w).Flush()
		if wait(r) {
			fmt.Fprintln(w, "still open")
		}
	})
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "pong") })
	srv := newServer(mux, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return ln.Addr().String()
}

// dialSlow opens a connection to addr that gives up after waitFor.
func dialSlow(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(waitFor))
	return conn
}

// ask writes req on conn and reads the answer's status and body.
func ask(t *testing.T, conn net.Conn, br *bufio.Reader, req string) (int, string) {
	t.Helper()
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatalf("write %q: %v", req, err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("answer to %q: %v", req, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("answer to %q: %v", req, err)
	}
	return resp.StatusCode, string(body)
}

// TestSlowBody: a client that sends a request's headers and then only part
// of the body it announced is cut off at the body deadline: the server
// closes the connection (after answering, or not), where it used to wait
// for the rest for ever.
func TestSlowBody(t *testing.T) {
	addr := startSlowServer(t, time.Minute)
	conn := dialSlow(t, addr)
	if _, err := io.WriteString(conn, "POST /read HTTP/1.1\r\nHost: shakwa\r\nContent-Length: 20000\r\n\r\nsome of it"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %v with the body unsent; want it closed at the body deadline (%v)", waitFor, slowTimeout)
	}
	if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 400 ") {
		t.Errorf("answer to a stalled body: %q; want 400 or none", got)
	}
}

// TestBodyDeadlineLifted: the body deadline ends with the body. The
// handler's context lives on past it (the server's background read, that
// notices a client going, is not held to it), and the next request on the
// kept-alive connection, sent after it, is answered.
func TestBodyDeadlineLifted(t *testing.T) {
	addr := startSlowServer(t, time.Minute)
	conn := dialSlow(t, addr)
	br := bufio.NewReader(conn)
	if code, body := ask(t, conn, br, "POST /read HTTP/1.1\r\nHost: shakwa\r\nContent-Length: 5\r\n\r\nhello"); code != http.StatusOK || body != "ok" {
		t.Errorf("POST /read: got %d %q; want 200 \"ok\"", code, body)
	}
	time.Sleep(2 * slowTimeout)
	if code, body := ask(t, conn, br, "GET /ping HTTP/1.1\r\nHost: shakwa\r\n\r\n"); code != http.StatusOK || body != "pong" {
		t.Errorf("GET /ping after the POST: got %d %q; want 200 \"pong\"", code, body)
	}
}

// TestStreamOutlivesBodyDeadline: a GET without a body, as the web chat's
// event stream, is not held to the body deadline: it keeps sending past
// it, its context alive.
func TestStreamOutlivesBodyDeadline(t *testing.T) {
	addr := startSlowServer(t, time.Minute)
	client := &http.Client{Transport: &http.Transport{}, Timeout: waitFor}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + addr + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != "open\nstill open\n" {
		t.Errorf("GET /stream: got %q; want \"open\\nstill open\\n\"", body)
	}
}

// TestIdleConnectionClosed: a kept-alive connection that sends no next
// request is closed after idleTimeout.
func TestIdleConnectionClosed(t *testing.T) {
	addr := startSlowServer(t, slowTimeout)
	conn := dialSlow(t, addr)
	br := bufio.NewReader(conn)
	if code, body := ask(t, conn, br, "GET /ping HTTP/1.1\r\nHost: shakwa\r\n\r\n"); code != http.StatusOK || body != "pong" {
		t.Errorf("GET /ping: got %d %q; want 200 \"pong\"", code, body)
	}
	rest, err := io.ReadAll(br)
	if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("idle connection still open after %v; want it closed after %v", waitFor, slowTimeout)
	}
	if len(rest) > 0 {
		t.Errorf("idle connection sent %q; want nothing", rest)
	}
}

// streamDB is the Redis database of TestWebChatStreamOutlivesBodyDeadline.
const streamDB = 15

// TestWebChatStreamOutlivesBodyDeadline runs serve with the web chat and
// the body deadline shortened: a citizen's event stream, open past it,
// still brings the bot's answer to a button pressed after it.
func TestWebChatStreamOutlivesBodyDeadline(t *testing.T) {
	const deadline = 500 * time.Millisecond
	defer func(d time.Duration) { bodyTimeout = d }(bodyTimeout)
	bodyTimeout = deadline // read as serve starts; put back once it stopped
	env := map[string]string{
		"WEB_CHAT_SECRET": webChatSecret, "REDIS_URL": testRedis(t, streamDB),
		"HTTP_ADDR": "127.0.0.1:0", "FILES_DIR": t.TempDir(),
	}
	addr, _, stop := startProgram(t, env)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	c := openWebChat(t, "http://"+addr, transport)
	menu := c.next("the menu")
	time.Sleep(3 * deadline)
	c.press(menu, "menu:complaint")
	c.next("the centres, past the body deadline")
	c.close()
	if err := stop(); err != nil {
		t.Errorf("run: got %v; want nil", err)
	}
}

// TestBodyWait: a large body is given the time it takes at slowRate, up
// to slowBody; a small or unsized one the deadline alone, near enough.
func TestBodyWait(t *testing.T) {
	for _, c := range []struct {
		size int64
		want time.Duration
	}{
		{-1, 2 * time.Minute},
		{0, 2 * time.Minute},
		{slowRate, 2*time.Minute + time.Second},
		{5 << 20, 2*time.Minute + 320*time.Second},
		{slowBody, 2*time.Minute + 512*time.Second},
		{1 << 40, 2*time.Minute + 512*time.Second},
	} {
		if got := bodyWait(2*time.Minute, c.size); got != c.want {
			t.Errorf("bodyWait(2m, %d) = %v; want %v", c.size, got, c.want)
		}
	}
}
