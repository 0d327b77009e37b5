package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
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
	edited := `{"update_id":2003,"edited_message":{"message_id":5,"chat":` + citizenChat + `,"date":1767225600,"text":"x"}}`
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
