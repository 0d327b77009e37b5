package telegram

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

const testToken = "123456789:AAFakeToken_for-tests"

// apiCall is a call a test expects: the method and its fields as sent
// (JSON-valued fields as their JSON text).
type apiCall struct {
	Method string
	Fields map[string]string
}

// newTestChannel builds a Channel against f. deliver may be nil.
func newTestChannel(t *testing.T, f *telegramtest.Server, cfg Config, deliver Deliver) *Channel {
	t.Helper()
	cfg.Token = testToken
	cfg.APIURL = f.URL()
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if deliver == nil {
		deliver = func(context.Context, *bot.Message) error { return nil }
	}
	c, err := New(cfg, deliver)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.backoff = 10 * time.Millisecond
	c.now = func() time.Time { return testNow }
	return c
}

var testNow = time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)

// canonical re-encodes JSON text so that two encodings of the same value
// compare equal; other text is returned as is.
func canonical(s string) string {
	if !strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "[") {
		return s
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
