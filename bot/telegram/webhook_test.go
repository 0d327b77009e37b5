package telegram

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/storage/storagetest"
)

const testSecret = "s3cret_Webhook-token"

// recorder is a Deliver that keeps what it is given and fails while fail
// is set.
type recorder struct {
	mu   sync.Mutex
	got  []*bot.Message
	fail error
}

func (r *recorder) deliver(_ context.Context, m *bot.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
	return r.fail
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, m := range r.got {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestWebhook(t *testing.T) {
	arabic := msgUpdate(2001, `"text":"لدي شكوى"`)
	huge := msgUpdate(2002, `"text":"`+strings.Repeat("ش", 600_000)+`"`)
	edited := `{"update_id":2003,"channel_post":{"message_id":5,"chat":{"id":-1009876,"title":"x","type":"channel"},"date":1767225600,"text":"x"}}`
	tests := []struct {
		name        string
		method      string
		secret      string // "" sends no header
		body        string
		deliverErr  error
		wantStatus  int
		wantDeliver []string
	}{
		{"right secret", "POST", testSecret, arabic, nil, 200, []string{"tg:2001"}},
		{"button press", "POST", testSecret, caseJSON(t, "button press in private chat"), nil, 200, []string{"tg:1017"}},
		{"wrong secret", "POST", "guess", arabic, nil, 401, nil},
		{"secret of another length", "POST", testSecret + "x", arabic, nil, 401, nil},
		{"missing secret", "POST", "", arabic, nil, 401, nil},
		{"GET", "GET", testSecret, "", nil, 405, nil},
		{"oversized", "POST", testSecret, huge, nil, 413, nil},
		{"bad JSON", "POST", testSecret, `{"update_id":`, nil, 400, nil},
		{"not an object", "POST", testSecret, `[1,2]`, nil, 400, nil},
		{"deliver fails", "POST", testSecret, arabic, errors.New("queue unavailable"), 500, []string{"tg:2001"}},
		{"ignored update", "POST", testSecret, edited, nil, 200, nil},
	}
	f := telegramtest.NewServer(t, testToken)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{fail: tc.deliverErr}
			c := newTestChannel(t, f, Config{WebhookURL: "https://shakwa.example/tg", WebhookSecret: testSecret}, rec.deliver)
			req := httptest.NewRequest(tc.method, "/telegram/webhook", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.secret != "" {
				req.Header.Set(secretHeader, tc.secret)
			}
			w := httptest.NewRecorder()
			c.WebhookHandler().ServeHTTP(w, req)
			if w.Code != tc.wantStatus {
				t.Errorf("status: got %d; want %d", w.Code, tc.wantStatus)
			}
			if got := rec.ids(); strings.Join(got, ",") != strings.Join(tc.wantDeliver, ",") {
				t.Errorf("delivered: got %v; want %v", got, tc.wantDeliver)
			}
		})
	}
}

func TestWebhookWithoutSecretRefusesAll(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	rec := &recorder{}
	c := newTestChannel(t, f, Config{}, rec.deliver) // polling mode: no secret
	req := httptest.NewRequest("POST", "/", strings.NewReader(msgUpdate(1, `"text":"x"`)))
	w := httptest.NewRecorder()
	c.WebhookHandler().ServeHTTP(w, req)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("status: got %d; want 401", w.Code)
	}
	if got := rec.ids(); len(got) != 0 {
		t.Errorf("delivered: got %v; want nothing", got)
	}
}

// caseJSON returns the update of the named conversion case.
func caseJSON(t *testing.T, name string) string {
	t.Helper()
	for _, tc := range conversionCases {
		if tc.name == name {
			return tc.json
		}
	}
	t.Fatalf("no conversion case %q", name)
	return ""
}

// TestWebhookAnswersPress: a button press is answered in the webhook's
// own response, as the answerCallbackQuery call Telegram makes of it, in
// the reply's language's direction, and not queued; the other replies
// are queued as ever, and a message that is no press gets an empty 200.
func TestWebhookAnswersPress(t *testing.T) {
	store := storagetest.Store(t)
	f := telegramtest.NewServer(t, testToken)
	var intake *bot.Intake
	c := newTestChannel(t, f, Config{WebhookURL: "https://shakwa.example/tg", WebhookSecret: testSecret},
		func(ctx context.Context, m *bot.Message) error { return intake.Deliver(ctx, m) })
	out := bot.NewOutbox(store, []bot.Channel{c}, time.Now, slog.New(slog.DiscardHandler))
	h := bot.HandlerFunc(func(_ context.Context, w bot.Responder, m *bot.Message) {
		if m.ButtonToken != "" {
			w.Reply(bot.Reply{Channel: m.Channel, Chat: m.Chat, Notice: true, ButtonToken: m.ButtonToken,
				Text: "استلمت KRM-000001", Lang: "ar"})
		}
		w.Reply(bot.Reply{Channel: m.Channel, Chat: m.Chat, Text: "next question", Lang: "en"})
	})
	intake = bot.NewIntake(store, h, out, time.Now, slog.New(slog.DiscardHandler))
	post := func(body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/telegram/webhook", strings.NewReader(body))
		req.Header.Set(secretHeader, testSecret)
		w := httptest.NewRecorder()
		c.WebhookHandler().ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d; want 200", w.Code)
		}
		return w
	}
	w := post(caseJSON(t, "button press in private chat"))
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q; want application/json", ct)
	}
	if err := f.WebhookAnswer(w.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls()
	if len(calls) != 1 || calls[0].Method != "answerCallbackQuery" {
		t.Fatalf("calls made of the webhook's answer: %+v; want one answerCallbackQuery", calls)
	}
	if got := calls[0].Fields["text"]; got != bot.Directed("استلمت KRM-000001", true) {
		t.Errorf("answer text %q; want it marked right to left", got)
	}
	if calls[0].Fields["callback_query_id"] == "" {
		t.Error("answer without the press's callback_query_id")
	}
	if n, _ := store.Pending(context.Background()); n != 1 {
		t.Errorf("queued: %d; want 1 (the next question, not the answer)", n)
	}
	if w := post(msgUpdate(2101, `"text":"مرحبا"`)); w.Body.Len() != 0 {
		t.Errorf("answer to a message: %q; want an empty body", w.Body.String())
	}
}
