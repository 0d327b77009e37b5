// Package whatsapptest is a fake WhatsApp Cloud API (Meta's Graph API)
// for tests, written from Meta's documentation: it requires the bearer
// token on every call, enforces the documented limits of what it is sent
// (text 4,096 characters; reply buttons: at most 3, titles of 20, unique;
// lists: 10 rows in all, titles of 24, descriptions of 72, button of 20;
// captions of 1,024; media sizes and types), answers with the documented
// success and error shapes, refuses free-form messages outside the
// 24-hour customer service window (131047), keeps uploaded media and
// serves media by id and URL, and records every call. Tests script what
// Meta does on a bad day: error answers (Fail), answers not in Meta's
// shape (Answer), slow answers (Delay), media that expired (Expire), and
// messages taken that fail later in a delivery report (FailLater, sent to
// the Webhook by Report). A test may approve templates (Template): others
// are refused, as Meta refuses them.
//
//	api := whatsapptest.NewServer(t, token, phoneID)
//	// point the adapter at api.URL(), make it act, then:
//	call := api.Wait(t, whatsapptest.Match{To: "971501234567"}, 5*time.Second)
package whatsapptest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shakwa/shakwa/bot"
)

// Version is the Graph API version the Server answers under.
const Version = "v25.0"

// Window is the customer service window.
const Window = 24 * time.Hour

// Call is one message the Server was asked to send, or one other call.
type Call struct {
	Seq    int
	Method string // "messages", "media", "read", "media-info", "media-download"
	To     string
	Type   string         // text, interactive, image, template, ...
	Body   map[string]any // the request's JSON, decoded
	ID     string         // the wamid (or media id) the Server answered with; "" when it refused
	Error  int            // the error code it answered with (the HTTP status of an Answer), 0 for none
	At     time.Time
}

// Text is the message's text as its reader reads it (without the
// invisible direction marks it was sent with): text.body, an interactive
// body, a caption or a template's name.
func (c Call) Text() string { return bot.Undirected(c.raw()) }

// raw is Text as sent, with its direction marks.
func (c Call) raw() string {
	switch c.Type {
	case "text":
		return Str(c.Body, "text", "body")
	case "interactive":
		return Str(c.Body, "interactive", "body", "text")
	case "template":
		return "template:" + Str(c.Body, "template", "name")
	}
	return Str(c.Body, c.Type, "caption")
}

// Choices are the ids of an interactive message's buttons or list rows.
func (c Call) Choices() []string { return c.choice("id") }

// Titles are the shown titles of an interactive message's buttons or rows.
func (c Call) Titles() []string { return c.choice("title") }

// choice is the field of each button or list row of an interactive
// message.
func (c Call) choice(field string) []string {
	var out []string
	in, _ := c.Body["interactive"].(map[string]any)
	act, _ := in["action"].(map[string]any)
	for _, b := range List(act["buttons"]) {
		out = append(out, Str(b, "reply", field))
	}
	for _, s := range List(act["sections"]) {
		for _, r := range List(s["rows"]) {
			out = append(out, Str(r, field))
		}
	}
	return out
}

// List reads the objects of an array in a decoded JSON value.
func List(v any) []map[string]any {
	var out []map[string]any
	xs, _ := v.([]any)
	for _, x := range xs {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Str reads the string at path in a decoded JSON object ("" when there
// is none).
func Str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

// Match selects calls: zero fields match anything.
type Match struct {
	Method string
	To     string
	Type   string
	After  int // Seq greater than this
	Sent   bool
}

func (m Match) ok(c Call) bool {
	return (m.Method == "" || m.Method == c.Method) && (m.To == "" || m.To == c.To) &&
		(m.Type == "" || m.Type == c.Type) && c.Seq > m.After && (!m.Sent || c.ID != "")
}

// media is an uploaded or inbound file the Server keeps.
type media struct {
	data []byte
	mime string
}

// Server is a fake Graph API. It is safe for concurrent use and closed
// when the test ends.
type Server struct {
	t       testing.TB
	srv     *httptest.Server
	token   string
	phoneID string
	now     func() time.Time

	mu      sync.Mutex
	seq     int
	calls   []Call
	changed chan struct{}
	media   map[string]media
	inbound map[string]time.Time // user -> their last message, for the window
	script  []scripted
	nextID  int
	delays  map[string]time.Duration // by Call.Method
	// templates are the approved templates, by name; nil: any is.
	templates map[string]template
	// hook and secret are where delivery reports go, and what signs
	// them; later the scripted late failures, reports the failed
	// statuses not yet posted.
	hook, secret string
	later        []scripted
	reports      []map[string]any
}

// scripted is an answer a test asked for: Meta's error shape, or (raw)
// the status, header and body verbatim.
type scripted struct {
	when   func(Call) bool
	status int
	code   int
	title  string
	raw    bool
	header http.Header
	body   string
}

// write answers with f.
func (f scripted) write(w http.ResponseWriter) {
	if !f.raw {
		graphError(w, f.status, f.code, f.title, f.title)
		return
	}
	for k, vs := range f.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(f.status)
	io.WriteString(w, f.body)
}

// errorCode is what Call.Error records of f.
func (f scripted) errorCode() int {
	if f.raw {
		return f.status
	}
	return f.code
}

// NewServer starts a Server for the business number phoneID, accepting
// token.
func NewServer(t testing.TB, token, phoneID string) *Server {
	s := &Server{t: t, token: token, phoneID: phoneID, now: time.Now, changed: make(chan struct{}),
		media: map[string]media{}, inbound: map[string]time.Time{}, delays: map[string]time.Duration{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the Graph API base URL, with the version: what WHATSAPP_API_URL
// is set to.
func (s *Server) URL() string { return s.srv.URL + "/" + Version }

// SetClock makes the Server judge the window by now.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Inbound tells the Server that user wrote at at: the window is open for
// 24 hours from then. Tests call it as they post a webhook for the user.
func (s *Server) Inbound(user string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.After(s.inbound[user]) {
		s.inbound[user] = at
	}
}

// AddMedia keeps data as media id, as if a user had sent it: the adapter
// fetches it by id.
func (s *Server) AddMedia(id string, data []byte, mimeType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = media{data: data, mime: mimeType}
}

// Expire forgets media id, as Meta does when its time is up: media of a
// notification lasts 7 days, an upload 30. Sending it, or asking for it,
// is refused as for an id Meta never gave.
func (s *Server) Expire(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.media, id)
}

// Media returns the bytes of media id, uploaded or added.
func (s *Server) Media(id string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	return m.data, ok
}

// Fail makes the next call that when accepts fail with error code and the
// HTTP status, as Meta answers (see Meta's error codes).
func (s *Server) Fail(when func(Call) bool, status, code int, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, scripted{when: when, status: status, code: code, title: title})
}

// FailLater makes the next message that when accepts be taken, with a
// wamid, as Meta takes it, and then fail with code: its "failed" delivery
// report (code 131047 is the window closed after Meta took the message)
// goes to the webhook at the next Report.
func (s *Server) FailLater(when func(Call) bool, code int, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.later = append(s.later, scripted{when: when, code: code, title: title})
}

// Webhook has the Server's delivery reports go to url, signed with
// appSecret as Meta signs them (X-Hub-Signature-256).
func (s *Server) Webhook(url, appSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook, s.secret = url, appSecret
}

// Report posts the delivery reports owed so far (see FailLater) to the
// Webhook, one notification each, and returns how many it posted. A
// notification not answered 200 fails the test.
func (s *Server) Report(t testing.TB) int {
	t.Helper()
	s.mu.Lock()
	reports, hook, secret := s.reports, s.hook, s.secret
	s.reports = nil
	s.mu.Unlock()
	if len(reports) > 0 && hook == "" {
		t.Fatal("whatsapptest: Report before Webhook")
	}
	for _, st := range reports {
		body := Envelope(s.phoneID, Statuses(st))
		req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", Sign(body, secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("whatsapptest: post a delivery report: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("whatsapptest: delivery report answered %d; want 200", resp.StatusCode)
		}
	}
	return len(reports)
}

// failLater owes c's failed delivery report, if a FailLater wants it.
func (s *Server) failLater(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.later {
		if f.when == nil || f.when(c) {
			s.later = append(s.later[:i:i], s.later[i+1:]...)
			s.reports = append(s.reports, Status(c.ID, "failed", c.To, s.now(), f.code, f.title))
			return
		}
	}
}

// Answer makes the next call that when accepts answer with status, header
// and body verbatim: what a proxy in the way, a cut connection or a
// change on Meta's side would give. A 2xx Answer to a message means Meta
// took it: the call is recorded as sent, with a wamid, whatever the body
// says.
func (s *Server) Answer(when func(Call) bool, status int, header http.Header, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, scripted{when: when, status: status, raw: true, header: header, body: body})
}

// Delay makes every call of method (as in Call.Method; "messages" covers
// read receipts too) wait d before it is answered, or until the caller
// gives up; 0 ends it.
func (s *Server) Delay(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[method] = d
}

// Calls returns the calls so far that match m.
func (s *Server) Calls(m Match) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if m.ok(c) {
			out = append(out, c)
		}
	}
	return out
}

// Wait returns the first call that matches m, waiting up to timeout.
func (s *Server) Wait(t testing.TB, m Match, timeout time.Duration) Call {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, c := range s.calls {
			if m.ok(c) {
				s.mu.Unlock()
				return c
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("whatsapptest: no call matching %+v within %v; calls: %v", m, timeout, s.Calls(Match{}))
			return Call{}
		}
	}
}

func (s *Server) record(c Call) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	c.Seq, c.At = s.seq, time.Now()
	s.calls = append(s.calls, c)
	close(s.changed)
	s.changed = make(chan struct{})
	return c
}

// graphError writes Meta's error shape.
func graphError(w http.ResponseWriter, status, code int, title, details string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": fmt.Sprintf("(#%d) %s", code, title), "type": "OAuthException", "code": code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": details},
		"fbtrace_id": "AfakeTrace"}})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token", "Your access token has expired.")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	if !s.wait(r, path) {
		return // the caller gave up
	}
	switch {
	case r.Method == http.MethodPost && path == Version+"/"+s.phoneID+"/messages":
		s.serveMessages(w, r)
	case r.Method == http.MethodPost && path == Version+"/"+s.phoneID+"/media":
		s.serveUpload(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "download/"):
		s.serveDownload(w, strings.TrimPrefix(path, "download/"))
	case r.Method == http.MethodGet && strings.HasPrefix(path, Version+"/"):
		s.serveMediaInfo(w, strings.TrimPrefix(path, Version+"/"))
	default:
		graphError(w, http.StatusBadRequest, 100, "Invalid parameter", "Unsupported request: "+r.Method+" "+path)
	}
}

// wait holds a call to path for its method's Delay, and reports whether
// the caller still waits for the answer.
func (s *Server) wait(r *http.Request, path string) bool {
	method := "media-info"
	switch {
	case strings.HasSuffix(path, "/messages"):
		method = "messages"
	case strings.HasSuffix(path, "/media"):
		method = "media"
	case strings.HasPrefix(path, "download/"):
		method = "media-download"
	}
	s.mu.Lock()
	d := s.delays[method]
	s.mu.Unlock()
	if d == 0 {
		return true
	}
	// Read first: the server notices a caller who hangs up only once the
	// request's body is read.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// failure returns the scripted failure for c, if any, and drops it.
func (s *Server) failure(c Call) (scripted, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.script {
		if f.when == nil || f.when(c) {
			s.script = append(s.script[:i:i], s.script[i+1:]...)
			return f, true
		}
	}
	return scripted{}, false
}

func (s *Server) serveMessages(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		graphError(w, http.StatusBadRequest, 100, "Invalid parameter", "not JSON")
		return
	}
	if body["messaging_product"] != "whatsapp" {
		graphError(w, http.StatusBadRequest, 100, "Invalid parameter", "messaging_product must be whatsapp")
		return
	}
	if status, _ := body["status"].(string); status == "read" {
		c := s.record(Call{Method: "read", Body: body, ID: Str(body, "message_id")})
		if c.ID == "" {
			graphError(w, http.StatusBadRequest, 100, "Invalid parameter", "message_id required")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success":true}`)
		return
	}
	c := Call{Method: "messages", To: Str(body, "to"), Type: Str(body, "type"), Body: body}
	code, details := s.check(c)
	if f, ok := s.failure(c); ok && code == 0 {
		if f.raw && f.status < 300 {
			s.mu.Lock()
			s.nextID++
			c.ID = fmt.Sprintf("wamid.TEST%06d", s.nextID)
			s.mu.Unlock()
		} else {
			c.Error = f.errorCode()
		}
		s.record(c)
		f.write(w)
		return
	}
	if code != 0 {
		c.Error = code
		s.record(c)
		status := http.StatusBadRequest
		graphError(w, status, code, details, details)
		return
	}
	s.mu.Lock()
	s.nextID++
	c.ID = fmt.Sprintf("wamid.TEST%06d", s.nextID)
	s.mu.Unlock()
	c = s.record(c)
	s.failLater(c)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp",
		"contacts": []any{map[string]any{"input": c.To, "wa_id": c.To}},
		"messages": []any{map[string]any{"id": c.ID}}})
}

// check applies Meta's documented limits and the window to a message; it
// returns an error code and its details, or 0.
func (s *Server) check(c Call) (int, string) {
	n := utf8.RuneCountInString
	if c.To == "" {
		return 131008, "The request is missing a required parameter: to"
	}
	if c.Type != "template" {
		s.mu.Lock()
		last, ok := s.inbound[c.To]
		now := s.now()
		s.mu.Unlock()
		if !ok || now.Sub(last) >= Window {
			return 131047, "Re-engagement message: more than 24 hours have passed since the recipient last replied"
		}
	}
	switch c.Type {
	case "text":
		body := Str(c.Body, "text", "body")
		if body == "" || n(body) > 4096 {
			return 100, fmt.Sprintf("text.body must be 1 to 4096 characters, not %d", n(body))
		}
	case "interactive":
		return checkInteractive(c)
	case "image", "document", "audio", "video", "sticker":
		m, _ := c.Body[c.Type].(map[string]any)
		id, link := Str(m, "id"), Str(m, "link")
		if id == "" && link == "" {
			return 131008, "media needs an id or a link"
		}
		if id != "" {
			s.mu.Lock()
			m, ok := s.media[id]
			s.mu.Unlock()
			if !ok {
				return 131053, "Media upload error: unknown media id " + id
			}
			if code, d := checkMediaType(c.Type, m.mime); code != 0 {
				return code, d
			}
		}
		if n(Str(m, "caption")) > 1024 {
			return 100, "caption over 1024 characters"
		}
	case "template":
		return s.checkTemplate(c)
	default:
		return 131051, "Unsupported message type: " + c.Type
	}
	return 0, ""
}

// Template approves a message template, as WhatsApp Manager does: its
// name, the number of parameters its body has, and the language codes it
// was approved in. Once a test approves one, the Server refuses a template
// message that names another (or a language it lacks) with 132001, and one
// with another number of body parameters with 132000, as Meta does; until
// then it takes any template with a name and a language.
func (s *Server) Template(name string, bodyParams int, languages ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.templates == nil {
		s.templates = map[string]template{}
	}
	t := template{params: bodyParams, langs: map[string]bool{}}
	for _, l := range languages {
		t.langs[l] = true
	}
	s.templates[name] = t
}

// template is an approved template.
type template struct {
	params int
	langs  map[string]bool
}

// checkTemplate checks a template message against the approved ones.
func (s *Server) checkTemplate(c Call) (int, string) {
	t, _ := c.Body["template"].(map[string]any)
	name, lang := Str(t, "name"), Str(t, "language", "code")
	if name == "" || lang == "" {
		return 132001, "Template name does not exist in the translation"
	}
	s.mu.Lock()
	approved, ok := s.templates[name]
	strict := s.templates != nil
	s.mu.Unlock()
	if !strict {
		return 0, ""
	}
	if !ok || !approved.langs[lang] {
		return 132001, "Template name does not exist in the translation"
	}
	params := 0
	for _, comp := range List(t["components"]) {
		if Str(comp, "type") == "body" {
			params += len(List(comp["parameters"]))
		}
	}
	if params != approved.params {
		return 132000, fmt.Sprintf("body: number of localizable_params (%d) does not match the expected number of params (%d)", params, approved.params)
	}
	return 0, ""
}

func checkInteractive(c Call) (int, string) {
	n := utf8.RuneCountInString
	in, _ := c.Body["interactive"].(map[string]any)
	act, _ := in["action"].(map[string]any)
	body := Str(in, "body", "text")
	if body == "" || n(body) > 1024 {
		return 100, fmt.Sprintf("interactive body must be 1 to 1024 characters, not %d", n(body))
	}
	ids, titles := map[string]bool{}, map[string]bool{}
	unique := func(id, title string, maxID, maxTitle int) (int, string) {
		switch {
		case id == "" || n(id) > maxID:
			return 100, fmt.Sprintf("id %q must be 1 to %d characters", id, maxID)
		case title == "" || n(title) > maxTitle:
			return 100, fmt.Sprintf("title %q must be 1 to %d characters", title, maxTitle)
		case ids[id]:
			return 100, "duplicate id " + id
		case titles[title]:
			return 100, "duplicate title " + title
		}
		ids[id], titles[title] = true, true
		return 0, ""
	}
	switch Str(in, "type") {
	case "button":
		bs := List(act["buttons"])
		if len(bs) == 0 || len(bs) > 3 {
			return 100, fmt.Sprintf("1 to 3 buttons, not %d", len(bs))
		}
		for _, b := range bs {
			if code, d := unique(Str(b, "reply", "id"), Str(b, "reply", "title"), 256, 20); code != 0 {
				return code, d
			}
		}
	case "list":
		if b := Str(act, "button"); b == "" || n(b) > 20 {
			return 100, fmt.Sprintf("list button %q must be 1 to 20 characters", b)
		}
		secs := List(act["sections"])
		rows := 0
		for _, sec := range secs {
			if n(Str(sec, "title")) > 24 || len(secs) > 1 && Str(sec, "title") == "" {
				return 100, "section title over 24 characters or missing"
			}
			for _, r := range List(sec["rows"]) {
				rows++
				if n(Str(r, "description")) > 72 {
					return 100, "row description over 72 characters"
				}
				if code, d := unique(Str(r, "id"), Str(r, "title"), 200, 24); code != 0 {
					return code, d
				}
			}
		}
		if len(secs) == 0 || len(secs) > 10 || rows == 0 || rows > 10 {
			return 100, fmt.Sprintf("1 to 10 sections and rows, not %d and %d", len(secs), rows)
		}
	default:
		return 100, "unknown interactive type " + Str(in, "type")
	}
	return 0, ""
}

// Media limits by type, from Meta's supported media types: audio (AAC,
// AMR, MP3, MP4 audio, OGG with the Opus codec) 16 MB; documents (text,
// Excel, Word, PowerPoint, old and Open XML, PDF) 100 MB; images (JPEG,
// PNG) 5 MB; stickers (WebP) 500 KB animated, 100 KB static; video (3GPP,
// MP4) 16 MB. A type not here, such as image/gif, is refused.
var mediaLimits = map[string]int64{
	"image/jpeg": 5 << 20, "image/png": 5 << 20,
	"audio/aac": 16 << 20, "audio/amr": 16 << 20, "audio/mpeg": 16 << 20, "audio/mp4": 16 << 20, "audio/ogg": 16 << 20,
	"video/mp4": 16 << 20, "video/3gpp": 16 << 20,
	"text/plain": 100 << 20, "application/pdf": 100 << 20,
	"application/msword": 100 << 20,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 << 20,
	"application/vnd.ms-excel": 100 << 20,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         100 << 20,
	"application/vnd.ms-powerpoint":                                             100 << 20,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 << 20,
	"image/webp": 500 << 10,
}

// messageMedia are the media types each type of message takes, from the
// same page: an image is a JPEG or a PNG, a WebP only a sticker. A
// document takes any.
var messageMedia = map[string][]string{
	"image":   {"image/jpeg", "image/png"},
	"sticker": {"image/webp"},
	"audio":   {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"},
	"video":   {"video/mp4", "video/3gpp"},
}

// checkMediaType refuses media of mimeType in a message of type typ that
// does not take it.
func checkMediaType(typ, mimeType string) (int, string) {
	mt, _, err := mime.ParseMediaType(mimeType)
	if err != nil {
		mt = mimeType
	}
	if want, ok := messageMedia[typ]; ok && !slices.Contains(want, mt) {
		return 131053, fmt.Sprintf("Media upload error: a %s message cannot carry %s", typ, mt)
	}
	return 0, ""
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		graphError(w, http.StatusBadRequest, 100, "Invalid parameter", "not multipart")
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil || r.FormValue("messaging_product") != "whatsapp" {
		graphError(w, http.StatusBadRequest, 100, "Invalid parameter", "file and messaging_product=whatsapp required")
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	mt := r.FormValue("type")
	if mt == "" {
		mt, _, _ = mime.ParseMediaType(fh.Header.Get("Content-Type"))
	}
	c := Call{Method: "media", Type: mt}
	if f, ok := s.failure(c); ok {
		c.Error = f.errorCode()
		s.record(c)
		f.write(w)
		return
	}
	limit, ok := mediaLimits[mt]
	if !ok || int64(len(data)) > limit {
		c.Error = 131053
		s.record(c)
		graphError(w, http.StatusBadRequest, 131053, "Media upload error", fmt.Sprintf("%s of %d bytes is not accepted", mt, len(data)))
		return
	}
	s.mu.Lock()
	s.nextID++
	id := strconv.Itoa(4000000 + s.nextID)
	s.media[id] = media{data: data, mime: mt}
	s.mu.Unlock()
	c.ID = id
	s.record(c)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, id)
}

func (s *Server) serveMediaInfo(w http.ResponseWriter, id string) {
	if f, ok := s.failure(Call{Method: "media-info", ID: id}); ok {
		s.record(Call{Method: "media-info", ID: id, Error: f.errorCode()})
		f.write(w)
		return
	}
	m, ok := s.Media(id)
	s.record(Call{Method: "media-info", ID: id})
	if !ok {
		graphError(w, http.StatusBadRequest, 100, "Invalid parameter", "Unsupported get request. Object with ID '"+id+"' does not exist")
		return
	}
	s.mu.Lock()
	mt := s.media[id].mime
	s.mu.Unlock()
	sum := sha256.Sum256(m)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp",
		"url": s.srv.URL + "/download/" + id, "mime_type": mt,
		"sha256": base64.StdEncoding.EncodeToString(sum[:]), "file_size": strconv.Itoa(len(m)), "id": id})
}

func (s *Server) serveDownload(w http.ResponseWriter, id string) {
	if f, ok := s.failure(Call{Method: "media-download", ID: id}); ok {
		s.record(Call{Method: "media-download", ID: id, Error: f.errorCode()})
		f.write(w)
		return
	}
	m, ok := s.Media(id)
	s.record(Call{Method: "media-download", ID: id})
	if !ok {
		http.NotFound(w, nil)
		return
	}
	s.mu.Lock()
	mt := s.media[id].mime
	s.mu.Unlock()
	w.Header().Set("Content-Type", mt)
	w.Write(m)
}
