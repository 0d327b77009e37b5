package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
)

const testToken = "123456789:AAFakeToken_for-tests"

// Error answers as the Bot API sends them.
const (
	answer429         = `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`
	answer500         = `{"ok":false,"error_code":500,"description":"Internal Server Error"}`
	answer403Blocked  = `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`
	answer400NoChat   = `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`
	answerNotModified = `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}`
	answerCantEdit    = `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}`
	answerQueryOld    = `{"ok":false,"error_code":400,"description":"Bad Request: query is too old and response timeout expired or query ID is invalid"}`
	answer401         = `{"ok":false,"error_code":401,"description":"Unauthorized"}`
)

// apiCall is one request the fake received: the method and its fields as
// sent (JSON-valued fields as their JSON text).
type apiCall struct {
	Method string
	Fields map[string]string
}

type cannedAnswer struct {
	status int
	body   string
}

// fakeAPI is a Bot API server: POST /bot<token>/<method>, multipart or
// JSON parameters, {"ok":...} answers. Answers can be scripted per method;
// getUpdates serves a queue and honours offset and timeout.
type fakeAPI struct {
	srv *httptest.Server

	mu      sync.Mutex
	calls   []apiCall
	script  map[string][]cannedAnswer
	updates []queuedUpdate
	wake    chan struct{} // closed when updates are queued
	nextID  int
}

type queuedUpdate struct {
	id  int64
	raw string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{script: map[string][]cannedAnswer{}, wake: make(chan struct{}), nextID: 100}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// answer scripts the next answer to method.
func (f *fakeAPI) answer(method string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[method] = append(f.script[method], cannedAnswer{status, body})
}

// push queues updates for getUpdates.
func (f *fakeAPI) push(raws ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, raw := range raws {
		var u struct {
			UpdateID int64 `json:"update_id"`
		}
		if err := json.Unmarshal([]byte(raw), &u); err != nil {
			panic(err)
		}
		f.updates = append(f.updates, queuedUpdate{u.UpdateID, raw})
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

// recorded returns the calls made so far, in order, without getMe.
func (f *fakeAPI) recorded(methods ...string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == "getMe" {
			continue
		}
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + testToken + "/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) {
		writeAnswer(w, http.StatusUnauthorized, answer401)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	fields, err := readFields(r)
	if err != nil {
		writeAnswer(w, http.StatusBadRequest, fmt.Sprintf(`{"ok":false,"error_code":400,"description":"Bad Request: %s"}`, err))
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: method, Fields: fields})
	var canned *cannedAnswer
	if q := f.script[method]; len(q) > 0 {
		canned, f.script[method] = &q[0], q[1:]
	}
	f.mu.Unlock()
	if canned != nil {
		writeAnswer(w, canned.status, canned.body)
		return
	}
	if method == "getUpdates" {
		f.serveUpdates(w, r, fields)
		return
	}
	result, ok := f.result(method, fields)
	if !ok {
		writeAnswer(w, http.StatusNotFound, `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`)
		return
	}
	writeAnswer(w, http.StatusOK, `{"ok":true,"result":`+result+`}`)
}

// readFields decodes the parameters the way the Bot API accepts them.
func readFields(r *http.Request) (map[string]string, error) {
	fields := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		// The library sends an empty body for methods without parameters
		// (getMe), which the Bot API takes as no parameters.
		if err := r.ParseMultipartForm(1 << 20); errors.Is(err, io.EOF) {
			return fields, nil
		} else if err != nil {
			return nil, err
		}
		for k, v := range r.MultipartForm.Value {
			fields[k] = v[0]
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				fields[k] = s
			} else {
				fields[k] = string(v)
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.PostForm {
			fields[k] = v[0]
		}
	}
	return fields, nil
}

const fakeBotUser = `{"id":123456789,"is_bot":true,"first_name":"شكوى","username":"ShakwaBot"}`

func (f *fakeAPI) result(method string, fields map[string]string) (string, bool) {
	chatID := fields["chat_id"]
	if chatID == "" {
		chatID = "0"
	}
	chatType := "private"
	if strings.HasPrefix(chatID, "-") {
		chatType = "supergroup"
	}
	msg := func(id int, extra string) string {
		return fmt.Sprintf(`{"message_id":%d,"from":%s,"chat":{"id":%s,"type":%q},"date":1767225600%s}`,
			id, fakeBotUser, chatID, chatType, extra)
	}
	switch method {
	case "getMe":
		return fakeBotUser, true
	case "setWebhook", "deleteWebhook", "answerCallbackQuery":
		return "true", true
	case "sendMessage":
		text, _ := json.Marshal(fields["text"])
		return msg(f.newID(), `,"text":`+string(text)), true
	case "editMessageText":
		id, _ := strconv.Atoi(fields["message_id"])
		text, _ := json.Marshal(fields["text"])
		return msg(id, `,"edit_date":1767225700,"text":`+string(text)), true
	case "sendPhoto":
		return msg(f.newID(), fmt.Sprintf(`,"photo":[{"file_id":%q,"file_unique_id":"u1","width":90,"height":60}]`, fields["photo"])), true
	case "sendDocument":
		return msg(f.newID(), fmt.Sprintf(`,"document":{"file_id":%q,"file_unique_id":"u2"}`, fields["document"])), true
	}
	return "", false
}

func (f *fakeAPI) newID() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return f.nextID - 1
}

// serveUpdates answers getUpdates: updates below offset are confirmed and
// forgotten; if none is left it waits for one, the timeout or the client.
func (f *fakeAPI) serveUpdates(w http.ResponseWriter, r *http.Request, fields map[string]string) {
	offset, _ := strconv.ParseInt(fields["offset"], 10, 64)
	timeout, _ := strconv.Atoi(fields["timeout"])
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		kept := f.updates[:0]
		var batch []string
		for _, u := range f.updates {
			if u.id >= offset {
				kept = append(kept, u)
				batch = append(batch, u.raw)
			}
		}
		f.updates = kept
		wake := f.wake
		f.mu.Unlock()
		if len(batch) > 0 {
			writeAnswer(w, http.StatusOK, `{"ok":true,"result":[`+strings.Join(batch, ",")+`]}`)
			return
		}
		select {
		case <-wake:
		case <-deadline.C:
			writeAnswer(w, http.StatusOK, `{"ok":true,"result":[]}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func writeAnswer(w http.ResponseWriter, status int, body string) {
	if strings.HasPrefix(body, "{") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// newTestChannel builds a Channel against f. deliver may be nil.
func newTestChannel(t *testing.T, f *fakeAPI, cfg Config, deliver Deliver) *Channel {
	t.Helper()
	cfg.Token = testToken
	cfg.APIURL = f.srv.URL
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
