package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

// TestServerErrorLog: a handler's panic is logged by the server as one
// JSON line at WARN with a fixed message, naming neither the client's
// address nor what the panic held.
func TestServerErrorLog(t *testing.T) {
	const secret = "citizen's words in a panic"
	logs := newLogSink()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic(secret + " from " + r.RemoteAddr) })
	srv := newServer(mux, slog.New(slog.NewJSONHandler(logs, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-served
	}()

	client := &http.Client{Transport: &http.Transport{}, Timeout: waitFor}
	defer client.CloseIdleConnections()
	if resp, err := client.Get("http://" + ln.Addr().String() + "/boom"); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t.Errorf("GET /boom: %s; want the connection dropped", resp.Status)
	}
	for deadline := time.Now().Add(waitFor); logs.String() == ""; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no log line from the server; want its error log in slog")
		}
	}
	for _, line := range logs.lines() {
		var rec struct{ Level, Msg, Kind string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if rec.Level != "WARN" || rec.Msg != "http server error" || rec.Kind != "panic" {
			t.Errorf("log line %s; want WARN \"http server error\" of kind panic", line)
		}
		for _, leak := range []string{"127.0.0.1", secret, "goroutine"} {
			if strings.Contains(line, leak) {
				t.Errorf("log line %s shows %q", line, leak)
			}
		}
	}
}

// pollDB is the Redis database of TestServePollRefused.
const pollDB = 2

// TestServePollRefused: a long-polling serve whose token Telegram refuses
// to getUpdates (revoked in BotFather) stays up: /healthz answers, /readyz
// reports the Telegram channel degraded, without the token, and the log
// says it once.
func TestServePollRefused(t *testing.T) {
	api := telegramtest.NewServer(t, testToken)
	api.Answer("getUpdates", http.StatusUnauthorized, telegramtest.AnswerUnauthorized)
	before := runtime.NumGoroutine()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": api.URL(), "REDIS_URL": testRedis(t, pollDB),
		"HTTP_ADDR": "127.0.0.1:0", "FILES_DIR": t.TempDir(),
	}
	addr, logs, stop := startProgram(t, env)
	client := &http.Client{Transport: &http.Transport{}, Timeout: waitFor}
	get := func(path string) (int, map[string]string) {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		var status map[string]string
		if path == "/readyz" {
			if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
				t.Fatalf("GET /readyz: %v", err)
			}
		}
		return resp.StatusCode, status
	}
	api.Wait(t, telegramtest.Match{Method: "getUpdates"}, waitFor)
	var code int
	var status map[string]string
	for deadline := time.Now().Add(waitFor); ; time.Sleep(10 * time.Millisecond) {
		if code, status = get("/readyz"); code != http.StatusOK || time.Now().After(deadline) {
			break
		}
	}
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(status["telegram"], "degraded: ") || !strings.Contains(status["telegram"], "Unauthorized") {
		t.Errorf("/readyz: got %d %v; want 503 with telegram degraded: Unauthorized", code, status)
	}
	if strings.Contains(status["telegram"], testToken) {
		t.Errorf("/readyz: got %q; want no token in it", status["telegram"])
	}
	if status["redis"] != "ok" {
		t.Errorf("/readyz redis: got %q; want ok", status["redis"])
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: got %d; want 200", code)
	}
	if err := stop(); err != nil {
		t.Errorf("run: got %v; want nil", err)
	}
	client.CloseIdleConnections()
	const refused = "telegram bot token refused; renew TELEGRAM_BOT_TOKEN"
	if n := strings.Count(logs.String(), `"msg":"`+refused+`"`); n != 1 {
		t.Errorf("log lines saying the token is refused: got %d; want 1\n%s", n, logs)
	}
	checkLog(t, logs, refused)
	checkGoroutines(t, before)
}
