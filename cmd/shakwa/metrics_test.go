package main

import (
	"bufio"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metricsToken is the bearer token TestServe's /metrics wants.
const metricsToken = "scrape-token-for-tests"

// testMetrics scrapes /metrics after the other tests and checks its
// figures against what the test did: each update the webhook took counted
// once, as handled or as a copy; each message the Bot API took counted as
// sent; the 429 the long reply met; the tickets filed per centre; no
// label naming a chat or a ticket.
func testMetrics(t *testing.T, h *hook, r *reader) {
	scrape := func(auth string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", h.url+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatalf("GET /metrics: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, auth := range []string{"", "Bearer wrong", metricsToken} {
		if code, _ := scrape(auth); code != http.StatusUnauthorized {
			t.Errorf("GET /metrics with Authorization %q: %d; want 401", auth, code)
		}
	}

	// What the Bot API took: every message sent or edited that it
	// answered with one (a scripted 429 gets none).
	sent := 0
	for _, c := range r.api.Calls("sendMessage", "editMessageText", "sendPhoto", "sendDocument") {
		if c.MessageID != 0 {
			sent++
		}
	}
	distinct, copies := h.took()
	want := map[string]float64{
		`shakwa_updates_total{channel="telegram",outcome="handled"}`:                 float64(distinct),
		`shakwa_updates_total{channel="telegram",outcome="duplicate"}`:               float64(copies),
		`shakwa_sends_total{channel="telegram",lane="notify",result="rate_limited"}`: 1, // the staff answer's second part
		`shakwa_ticket_events_total{centre="KRM",kind="created"}`:                    1,
		`shakwa_ticket_events_total{centre="BRS",kind="created"}`:                    2,
		`shakwa_ticket_events_total{centre="KRM",kind="claimed"}`:                    1,
		`shakwa_ticket_events_total{centre="KRM",kind="resolved"}`:                   1,
		`shakwa_ticket_events_total{centre="KRM",kind="rated"}`:                      1,
	}
	// The outbox counts a send once the platform's answer is in: wait
	// for the last ones.
	var got map[string]float64
	var body string
	deadline := time.Now().Add(waitFor)
	for {
		var code int
		code, body = scrape("Bearer " + metricsToken)
		if code != http.StatusOK {
			t.Fatalf("GET /metrics: %d; want 200:\n%s", code, body)
		}
		got = parseMetrics(t, body)
		if sum(got, "shakwa_sends_total", `result="ok"`) >= float64(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := sum(got, "shakwa_sends_total", `result="ok"`); n != float64(sent) {
		t.Errorf("sends counted ok: %v; want %d, the messages the Bot API took", n, sent)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v; want %v", k, got[k], v)
		}
	}
	if n := sum(got, "shakwa_updates_total", `outcome="handled"`); n != float64(distinct) {
		t.Errorf("updates handled, all channels: %v; want %d", n, distinct)
	}
	for _, name := range []string{
		`shakwa_outbox_backlog{lane="answer"}`, `shakwa_outbox_backlog{lane="notify"}`, `shakwa_outbox_backlog{lane="bulk"}`,
		`shakwa_outbox_overdue_seconds{lane="bulk"}`,
		`shakwa_update_duration_seconds_count{channel="telegram"}`,
		`shakwa_redis_round_trip_seconds_count{kind="pipeline"}`,
		`shakwa_redis_errors_total`, `go_goroutines`, `process_resident_memory_bytes`,
	} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if got[`shakwa_update_duration_seconds_count{channel="telegram"}`] != float64(distinct+copies) {
		t.Errorf("handling times: %v; want one per update taken, %d", got[`shakwa_update_duration_seconds_count{channel="telegram"}`], distinct+copies)
	}
	if got[`shakwa_redis_errors_total`] != 0 {
		t.Errorf("redis errors: %v; want 0", got[`shakwa_redis_errors_total`])
	}
	// No label may name a chat, a person or a ticket.
	personal := regexp.MustCompile(`"(-?\d{3,}|[A-Z]{3}-\d+|\+\d+)"`)
	for k := range got {
		if strings.HasPrefix(k, "shakwa_") && personal.MatchString(k) {
			t.Errorf("a label names a chat, a ticket or a phone: %s", k)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", shakwaLines(body))
	}
}

// parseMetrics reads Prometheus' text format into values by series, the
// labels as written (the client sorts them by name).
func parseMetrics(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("/metrics: unreadable line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// sum adds the series of metric name whose labels contain label.
func sum(m map[string]float64, name, label string) float64 {
	var n float64
	for k, v := range m {
		if strings.HasPrefix(k, name+"{") && strings.Contains(k, label) {
			n += v
		}
	}
	return n
}

// shakwaLines are the lines of the bot's own metrics, sorted.
func shakwaLines(body string) string {
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "shakwa_") && !strings.Contains(l, "_bucket") {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
