package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// memStore is an in-memory Store, for the many tests that need no Redis.
// Its mail ids are zero-padded sequence numbers.
type memStore struct {
	mu    sync.Mutex
	seq   int
	mail  map[string][]memMail
	files map[string]memFile
	fail  error // every call fails with it while set
	// revoked is when each staff member's sign-ins were revoked; reads
	// counts StaffRevoked's calls.
	revoked map[string]time.Time
	reads   int
}

type memMail struct {
	id   int
	data []byte
}

type memFile struct {
	data []byte
	mime string
}

func newMemStore() *memStore {
	return &memStore{mail: map[string][]memMail{}, files: map[string]memFile{}}
}

func (s *memStore) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *memStore) MailAppend(_ context.Context, chat string, data []byte, keep int, _ time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	s.seq++
	box := append(s.mail[chat], memMail{s.seq, bytes.Clone(data)})
	if len(box) > keep {
		box = box[len(box)-keep:]
	}
	s.mail[chat] = box
	return fmt.Sprintf("%08d", s.seq), nil
}

func (s *memStore) MailSince(_ context.Context, chat, after string, limit int) ([]string, [][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, nil, s.fail
	}
	last := 0
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			return nil, nil, fmt.Errorf("mail id %q: %w", after, shakwa.ErrInvalid)
		}
		last = n
	}
	var ids []string
	var data [][]byte
	for _, m := range s.mail[chat] {
		if m.id > last && (limit <= 0 || len(ids) < limit) {
			ids, data = append(ids, fmt.Sprintf("%08d", m.id)), append(data, m.data)
		}
	}
	return ids, data, nil
}

func (s *memStore) MailDrop(_ context.Context, chat, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	n, err := strconv.Atoi(id)
	if err != nil {
		return fmt.Errorf("mail id %q: %w", id, shakwa.ErrInvalid)
	}
	s.mail[chat] = slices.DeleteFunc(s.mail[chat], func(m memMail) bool { return m.id == n })
	return nil
}

func (s *memStore) StaffRevoked(_ context.Context, person string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.fail != nil {
		return time.Time{}, s.fail
	}
	return s.revoked[person], nil
}

// revoke voids person's staff sign-ins made until at, as RevokeStaff does.
func (s *memStore) revoke(person string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked == nil {
		s.revoked = map[string]time.Time{}
	}
	s.revoked[person] = at.Truncate(time.Millisecond)
}

// staffReads is how many times StaffRevoked was called.
func (s *memStore) staffReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Put and Open make memStore the file store too (bot.FileStore); it fails
// with the mailbox.
func (s *memStore) Put(_ context.Context, r io.Reader, mime string) (string, int64, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return "", 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", 0, s.fail
	}
	id := fmt.Sprintf("%x", sha256.Sum256(data))
	s.files[id] = memFile{data, mime}
	return id, int64(len(data)), nil
}

func (s *memStore) Open(_ context.Context, id string) (io.ReadCloser, string, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, "", 0, s.fail
	}
	f, ok := s.files[id]
	if !ok {
		return nil, "", 0, fmt.Errorf("file %s: %w", id, shakwa.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(f.data)), f.mime, int64(len(f.data)), nil
}

// stores runs f on the in-memory store and, when the test Redis is
// configured, on the real storage.
func stores(t *testing.T, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { f(t, newMemStore()) })
	t.Run("redis", func(t *testing.T) { f(t, redisStore{storagetest.Store(t)}) })
}

// redisStore gives the real storage the shape web.Store names, as the
// program does.
type redisStore struct{ *storage.Store }

func (s redisStore) MailSince(ctx context.Context, chat, after string, limit int) ([]string, [][]byte, error) {
	ms, err := s.Store.MailSince(ctx, chat, after, limit)
	ids, data := make([]string, len(ms)), make([][]byte, len(ms))
	for i, m := range ms {
		ids[i], data[i] = m.ID, m.Data
	}
	return ids, data, err
}

// recorder is a Deliver that keeps what it is given and fails while fail
// is set; with held set too, a failing delivery waits for a value from
// held first (a test then sees what the pages see meanwhile).
type recorder struct {
	mu      sync.Mutex
	got     []*bot.Message
	greeted []*bot.Message
	fail    error
	held    chan struct{}
}

func (r *recorder) deliver(_ context.Context, m *bot.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if r.held != nil {
			r.mu.Unlock()
			<-r.held
			r.mu.Lock()
		}
		return r.fail
	}
	if strings.HasSuffix(m.ID, ":start") {
		r.greeted = append(r.greeted, m) // the greeting of a new visitor
		return nil
	}
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) setFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

func (r *recorder) messages() []*bot.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*bot.Message(nil), r.got...)
}

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a Channel behind an httptest server.
type harness struct {
	t     *testing.T
	ch    *Channel
	store Store
	rec   *recorder
	clock *clock
	srv   *httptest.Server
}

var testLabels = map[string]map[string]string{
	"ar": {"title": "عنوان-ar", "send": "send-ar", "type_here": "type-ar", "staff_link": "staff-ar", "lang_name": "name-ar",
		"sign_in_needed": "needed-ar", "sign_in_bad": "bad-ar", "staff_unavailable": "later-ar"},
	"en": {"title": "title-en", "send": "send-en", "type_here": "type-en", "lang_name": "name-en", "sign_in_bad": "bad-en"},
}

// newHarness starts a Channel on store (nil: an in-memory one) with cfg
// changed by mod. Rates are high unless mod sets them.
func newHarness(t *testing.T, store Store, mod func(*Config)) *harness {
	t.Helper()
	if store == nil {
		store = newMemStore()
	}
	h := &harness{t: t, store: store, rec: &recorder{}, clock: &clock{t: time.Now().Truncate(time.Second)}}
	cfg := Config{Secret: testSecret, Labels: testLabels, Now: h.clock.now, Rate: 10_000, IPRate: 10_000,
		Poll: 50 * time.Millisecond, Heartbeat: time.Hour}
	if ms, ok := store.(*memStore); ok {
		cfg.Files = ms
	} else {
		fs, err := files.Open(t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Files = fs
	}
	if mod != nil {
		mod(&cfg)
	}
	ch, err := New(cfg, store, h.rec.deliver)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.ch = ch
	h.srv = httptest.NewServer(ch.Handler())
	t.Cleanup(h.srv.Close)
	t.Cleanup(ch.Close) // before the server: it waits for the streams
	return h
}

// visitor is a browser: a client with a cookie jar.
type visitor struct {
	h      *harness
	client *http.Client
	id     string
}

// visit opens the page as a new visitor.
func (h *harness) visit() *visitor {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	v := &visitor{h: h, client: &http.Client{Jar: jar}}
	resp := v.get("/chat", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET /chat: got %d; want 200", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			v.id, _, _ = h.ch.parseCookie(c.Value)
		}
	}
	if v.id == "" {
		h.t.Fatal("GET /chat set no session cookie")
	}
	return v
}

// stranger is a client with no session.
func (h *harness) stranger() *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{h: h, client: &http.Client{Jar: jar}}
}

func (v *visitor) do(req *http.Request) *http.Response {
	v.h.t.Helper()
	resp, err := v.client.Do(req)
	if err != nil {
		v.h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp
}

func (v *visitor) get(path string, header http.Header) *http.Response {
	v.h.t.Helper()
	req, _ := http.NewRequest("GET", v.h.srv.URL+path, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	return v.do(req)
}

// post sends body as JSON to path and returns the status and the
// response's headers.
func (v *visitor) post(path, body string) (int, http.Header) {
	v.h.t.Helper()
	req, _ := http.NewRequest("POST", v.h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp := v.do(req)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

func (v *visitor) send(body string) int {
	v.h.t.Helper()
	status, _ := v.post("/chat/api/send", body)
	return status
}

// part is one part of a multipart upload.
type part struct {
	name, file string // file is the file name; empty for a field
	data       []byte
}

func (v *visitor) upload(parts ...part) int {
	v.h.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		if p.file != "" {
			w, _ = mw.CreateFormFile(p.name, p.file)
		} else {
			w, _ = mw.CreateFormField(p.name)
		}
		_, _ = w.Write(p.data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", v.h.srv.URL+"/chat/api/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp := v.do(req)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// event is one Server-Sent Event.
type event struct {
	id, name, data string
}

// sseStream is an open event stream, as a browser reads it.
type sseStream struct {
	t      *testing.T
	status int
	events chan event
	resp   *http.Response
}

// events opens the event stream with query (e.g. "?as=1&chat=1") and,
// when lastID is not empty, a Last-Event-ID. The stream is closed when the
// test ends.
func (v *visitor) events(query, lastID string) *sseStream {
	v.h.t.Helper()
	req, _ := http.NewRequest("GET", v.h.srv.URL+"/chat/api/events"+query, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp := v.do(req)
	s := &sseStream{t: v.h.t, status: resp.StatusCode, events: make(chan event, 1000), resp: resp}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.events)
		s.read(resp.Body)
	}()
	v.h.t.Cleanup(func() {
		resp.Body.Close()
		<-done
	})
	return s
}

func (s *sseStream) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var e event
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if e.data != "" || e.name != "" {
				s.events <- e
			}
			e = event{}
		case strings.HasPrefix(line, "id: "):
			e.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			e.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			e.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// next returns the next event, failing the test after a few seconds or
// when the stream ends.
func (s *sseStream) next() event {
	s.t.Helper()
	select {
	case e, ok := <-s.events:
		if !ok {
			s.t.Fatal("event stream ended")
		}
		return e
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event in 5s")
	}
	return event{}
}

// mail returns the next message event, skipping "ready", decoded.
func (s *sseStream) mail() (string, mail) {
	s.t.Helper()
	for {
		e := s.next()
		if e.name == "ready" {
			continue
		}
		var m mail
		if err := json.Unmarshal([]byte(e.data), &m); err != nil {
			s.t.Fatalf("event data %q: %v", e.data, err)
		}
		return e.id, m
	}
}

// until returns the messages before "ready".
func (s *sseStream) untilReady() []mail {
	s.t.Helper()
	var out []mail
	for {
		e := s.next()
		if e.name == "ready" {
			return out
		}
		var m mail
		if err := json.Unmarshal([]byte(e.data), &m); err != nil {
			s.t.Fatalf("event data %q: %v", e.data, err)
		}
		out = append(out, m)
	}
}

// quiet checks that no message comes for a while.
func (s *sseStream) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case e, ok := <-s.events:
		if ok {
			s.t.Errorf("got event %+v; want none", e)
		}
	case <-time.After(d):
	}
}

// ended waits for the stream to end.
func (s *sseStream) ended() bool {
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return true
			}
		case <-time.After(5 * time.Second):
			return false
		}
	}
}

// reply sends r through the channel.
func (h *harness) reply(r bot.Reply, editID string) string {
	h.t.Helper()
	sent, err := h.ch.Send(context.Background(), r, editID)
	if err != nil {
		h.t.Fatalf("Send %+v: %v", r, err)
	}
	return sent.MessageID
}

// streamGoroutines counts the goroutines serving event streams.
func streamGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "bot/web.(*Channel).serveEvents(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

var errDown = errors.New("down")
