package telemetry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
)

func scrape(t *testing.T, h http.Handler, auth string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

// TestMetrics: what the observer hears is what a scrape says, series by
// series.
func TestMetrics(t *testing.T) {
	m := New(nil)
	for range 3 {
		m.Update("telegram", bot.Handled, 2*time.Millisecond)
	}
	m.Update("whatsapp", bot.Duplicate, time.Millisecond)
	m.Send("telegram", bot.Bulk, bot.SendLimited)
	m.Send("web", bot.Answer, bot.SendOK)
	m.Job("report-daily", true, time.Second, time.Unix(1_800_000_000, 0))
	m.Job("sla", false, time.Second, time.Unix(1_800_000_100, 0))
	m.TicketEvent("KRM", "created")
	m.TicketEvent("KRM", "created")
	m.Breached("BRS", 2)
	code, body := scrape(t, m.Handler(""), "")
	if code != http.StatusOK {
		t.Fatalf("scrape: %d", code)
	}
	for _, line := range []string{
		`shakwa_updates_total{channel="telegram",outcome="handled"} 3`,
		`shakwa_updates_total{channel="whatsapp",outcome="duplicate"} 1`,
		`shakwa_update_duration_seconds_count{channel="telegram"} 3`,
		`shakwa_update_duration_seconds_bucket{channel="telegram",le="0.0025"} 3`,
		`shakwa_update_duration_seconds_bucket{channel="telegram",le="0.001"} 0`,
		`shakwa_sends_total{channel="telegram",lane="bulk",result="rate_limited"} 1`,
		`shakwa_sends_total{channel="web",lane="answer",result="ok"} 1`,
		`shakwa_job_runs_total{kind="report-daily",result="ok"} 1`,
		`shakwa_job_runs_total{kind="sla",result="failed"} 1`,
		`shakwa_job_last_run_timestamp_seconds{kind="report-daily"} 1.8e+09`,
		`shakwa_ticket_events_total{centre="KRM",kind="created"} 2`,
		`shakwa_sla_breaches_total{centre="BRS",level="2"} 1`,
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("no line %q", line)
		}
	}
	if strings.Contains(body, `shakwa_job_last_run_timestamp_seconds{kind="sla"}`) {
		t.Error("a failed run set the last run time")
	}
	if !strings.Contains(body, "go_goroutines ") || !strings.Contains(body, "process_") {
		t.Error("no Go or process metrics")
	}
}

// TestMetricsToken: with a token, a scrape without it, or with another,
// is refused.
func TestMetricsToken(t *testing.T) {
	h := New(nil).Handler("s3cret")
	for auth, want := range map[string]int{"": 401, "Bearer nope": 401, "s3cret": 401, "Bearer s3cret": 200} {
		if code, _ := scrape(t, h, auth); code != want {
			t.Errorf("Authorization %q: %d; want %d", auth, code, want)
		}
	}
}

// TestBacklog: the backlog is read at a scrape, at most once a while, and
// a failed read leaves the rest of the scrape served.
func TestBacklog(t *testing.T) {
	reads := 0
	m := New(func(ctx context.Context, now time.Time) ([]storage.LaneBacklog, error) {
		reads++
		return []storage.LaneBacklog{{Lane: storage.LaneAnswer, Items: 2}, {Lane: storage.LaneBulk, Items: 70_000, Overdue: 90 * time.Second}}, nil
	})
	h := m.Handler("")
	_, body := scrape(t, h, "")
	for _, line := range []string{`shakwa_outbox_backlog{lane="answer"} 2`, `shakwa_outbox_backlog{lane="bulk"} 70000`,
		`shakwa_outbox_overdue_seconds{lane="bulk"} 90`} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("no line %q in:\n%s", line, body)
		}
	}
	scrape(t, h, "")
	if reads != 1 {
		t.Errorf("two scrapes at once read the backlog %d times; want 1", reads)
	}
	broken := New(func(context.Context, time.Time) ([]storage.LaneBacklog, error) {
		return nil, errors.New("redis: connection refused")
	})
	code, body := scrape(t, broken.Handler(""), "")
	if code != http.StatusOK || !strings.Contains(body, "go_goroutines") || strings.Contains(body, "shakwa_outbox_backlog{") {
		t.Errorf("a failed backlog read: %d; want 200, the rest served and no backlog:\n%s", code, body)
	}
}
