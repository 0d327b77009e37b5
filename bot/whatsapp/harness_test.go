package whatsapp

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
	"github.com/shakwa/shakwa/files"
)

const (
	testToken   = "EAAG-test-token"
	testPhoneID = "106540352242922"
	testSecret  = "app-secret-for-tests"
	testVerify  = "verify-me"
	citizen     = "971501234567"
)

// outbox records what the channel tells the outbox.
type outbox struct {
	mu      sync.Mutex
	wrote   []string
	resends []string
	resend  bool // what Resend reports
}

func (o *outbox) Wrote(_ context.Context, chat string, _ time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.wrote = append(o.wrote, chat)
	return nil
}

// written returns the chats Wrote heard of, in order.
func (o *outbox) written() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.wrote)
}

func (o *outbox) Resend(_ context.Context, chat, id string, _ time.Time) (bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.resends = append(o.resends, chat+" "+id)
	return o.resend, nil
}

// pageStore is an in-memory PageStore, failing while fail is set, as
// Redis out of reach does.
type pageStore struct {
	mu   sync.Mutex
	m    map[string][]byte
	fail error
}

func (p *pageStore) SavePage(_ context.Context, key string, data []byte, _ time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.m[key] = data
	return nil
}

func (p *pageStore) TakePage(_ context.Context, key string, _ time.Duration) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return false, p.fail
	}
	if _, ok := p.m[key]; ok {
		return false, nil
	}
	p.m[key] = []byte("1")
	return true, nil
}

func (p *pageStore) DropPage(_ context.Context, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	delete(p.m, key)
	return nil
}

func (p *pageStore) Page(_ context.Context, key string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return nil, p.fail
	}
	return p.m[key], nil
}

func (p *pageStore) failing(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail = err
}

// logBuffer keeps what the channel logs, for tests to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// delivered records the Messages the channel delivers, and fails while
// fail is set.
type delivered struct {
	mu   sync.Mutex
	got  []*bot.Message
	fail error
}

func (d *delivered) deliver(_ context.Context, m *bot.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.got = append(d.got, m)
	return nil
}

func (d *delivered) list() []*bot.Message {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*bot.Message(nil), d.got...)
}

// harness is a Channel against a fake Graph API, with its webhook behind
// an httptest server.
type harness struct {
	t        *testing.T
	api      *whatsapptest.Server
	ch       *Channel
	hook     *httptest.Server
	files    *files.Store
	out      *outbox
	pages    *pageStore
	got      *delivered
	logs     *logBuffer
	status   []string
	reported []int // codes Config.Reported heard
}

var testLabels = map[string]Labels{
	"ar": {Choose: "اختر", Next: "التالي", Previous: "السابق", Prompt: "اختر مما يلي:"},
	"en": {Choose: "Choose", Next: "Next", Previous: "Previous", Prompt: "Choose below:"},
}

// newHarness makes a harness; opts change the channel's configuration
// before it is made.
func newHarness(t *testing.T, opts ...func(*Config)) *harness {
	t.Helper()
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, api: whatsapptest.NewServer(t, testToken, testPhoneID), files: fs,
		out: &outbox{}, pages: &pageStore{m: map[string][]byte{}}, got: &delivered{}, logs: &logBuffer{}}
	cfg := Config{Token: testToken, PhoneID: testPhoneID, AppSecret: testSecret, VerifyToken: testVerify,
		APIURL: h.api.URL(), Files: fs, Pages: h.pages, Outbox: h.out, Labels: testLabels,
		Logger:   slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Template: Template{Name: "shakwa_reply_waiting", Languages: map[string]string{"ar": "ar", "en": "en_US"}},
		Statuses: func(_ context.Context, id, status string, _ time.Time) { h.status = append(h.status, id+" "+status) },
		Delivered: func(_ context.Context, id string) (bool, error) {
			return slices.Contains(h.status, id+" delivered") || slices.Contains(h.status, id+" read"), nil
		},
		Reported: func(code int) { h.reported = append(h.reported, code) },
	}
	for _, o := range opts {
		o(&cfg)
	}
	ch, err := New(cfg, h.got.deliver)
	if err != nil {
		t.Fatal(err)
	}
	h.ch = ch
	h.hook = newHook(t, ch)
	h.api.Inbound(citizen, time.Now())
	return h
}

// newHook serves ch's webhook for a test.
func newHook(t *testing.T, ch *Channel) *httptest.Server {
	srv := httptest.NewServer(ch.WebhookHandler())
	t.Cleanup(srv.Close)
	return srv
}

// run marks messages as read, as the program does, until the test ends.
func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ch.Run(ctx)
	}()
	h.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// post sends a webhook body with the given signature header ("" none) and
// returns the status.
func (h *harness) post(body []byte, sig string) int {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.hook.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// notify posts values signed as Meta signs them and wants 200.
func (h *harness) notify(values ...map[string]any) {
	h.t.Helper()
	body := whatsapptest.Envelope(testPhoneID, values...)
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusOK {
		h.t.Fatalf("webhook: got %d; want 200", got)
	}
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// list reads the objects of the array at path in a decoded JSON value.
func list(v any, path ...string) []map[string]any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return whatsapptest.List(v)
}

// str reads the string at path in a decoded JSON object.
var str = whatsapptest.Str
