package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
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
