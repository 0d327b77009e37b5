// Package telegramtest is a fake Telegram Bot API server for tests: it
// speaks the real wire format (POST /bot<token>/<method> with multipart,
// JSON or form parameters, {"ok":...} answers), records every call, lets a
// test script error answers per method and serves getUpdates from a queue.
//
// It is enough for the calls shakwa makes: getMe, setWebhook,
// deleteWebhook, getUpdates, sendMessage, editMessageText, sendPhoto and
// sendDocument (by file_id or uploaded), getFile with its file URLs, and
// answerCallbackQuery. Other methods get the Bot API's 404.
//
//	api := telegramtest.NewServer(t, token)
//	// point the program at api.URL(), make it act, then:
//	call := api.Wait(t, telegramtest.Match{Method: "sendMessage", ChatID: "42"}, 5*time.Second)
package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// BotUsername is the username of the bot the Server pretends to be.
const BotUsername = "ShakwaBot"

// BotUser is that bot as a Bot API User object: getMe's result and the
// sender of every message the Server sends.
const BotUser = `{"id":123456789,"is_bot":true,"first_name":"شكوى","username":"` + BotUsername + `"}`

// Error answers as the Bot API sends them, for Server.Answer.
const (
	AnswerTooManyRequests = `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`
	AnswerInternalError   = `{"ok":false,"error_code":500,"description":"Internal Server Error"}`
	AnswerBlocked         = `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`
	AnswerChatNotFound    = `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`
	AnswerNotModified     = `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}`
	AnswerCantEdit        = `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}`
	AnswerQueryTooOld     = `{"ok":false,"error_code":400,"description":"Bad Request: query is too old and response timeout expired or query ID is invalid"}`
	AnswerUnauthorized    = `{"ok":false,"error_code":401,"description":"Unauthorized"}`
	AnswerPollConflict    = `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}`
)

// FirstMessageID is the message_id of the first message the Server sends;
// each later one gets the next number, whatever the chat.
const FirstMessageID = 100

// Server is a fake Bot API server. Create it with NewServer; it is safe for
// concurrent use and closed when the test ends.
type Server struct {
	t     testing.TB
	srv   *httptest.Server
	token string

	mu      sync.Mutex
	calls   []Call
	seq     int           // calls received, Reset or not
	changed chan struct{} // closed when a call is recorded
	script  map[string][]canned
	updates []queued
	wake    chan struct{} // closed when updates are queued
	nextID  int
	// poll is closed to end the long poll waiting now, as Telegram ends
	// one when another getUpdates arrives; conflicts counts those.
	poll      chan struct{}
	conflicts int
	// files are what getFile and the file URLs serve, by file_id: those a
	// test adds, and every file uploaded to the Server.
	files map[string]file
}

type file struct {
	data   []byte
	path   string
	tooBig bool
}

// AddFile makes a file known to getFile as id, as if a person had sent it
// in a chat; tooBig makes getFile refuse it as Telegram refuses files over
// 20 MB to bots.
func (s *Server) AddFile(id string, data []byte, path string, tooBig bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[id] = file{data: data, path: path, tooBig: tooBig}
}

type canned struct {
	status int
	body   string
	when   func(fields map[string]string) bool // nil: any call of the method
}

type queued struct {
	id  int64
	raw string
}

// NewServer starts a Server that accepts token and refuses any other with
// 401, as Telegram does. It is closed when t ends.
func NewServer(t testing.TB, token string) *Server {
	t.Helper()
	s := &Server{t: t, token: token, script: map[string][]canned{}, files: map[string]file{},
		changed: make(chan struct{}), wake: make(chan struct{}), nextID: FirstMessageID}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the base URL to give a client in place of https://api.telegram.org.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down now, so that calls fail as on a network
// outage. It is also done when the test ends.
func (s *Server) Close() { s.srv.Close() }

// Answer scripts the next answer to method: status and body are sent as
// they are, in place of the normal result. Answers to one method are used
// in the order given, one per call.
func (s *Server) Answer(method string, status int, body string) {
	s.AnswerWhen(method, nil, status, body)
}

// AnswerWhen is Answer for the next call of method whose parameters when
// accepts (a chat, a text), so that tests running side by side each
// script their own calls.
func (s *Server) AnswerWhen(method string, when func(fields map[string]string) bool, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[method] = append(s.script[method], canned{status, body, when})
}

// Push queues Update objects (JSON text, each with its update_id) for
// getUpdates. A waiting long poll returns them at once. Call it from the
// test's goroutine: it fails the test on an update without an id.
func (s *Server) Push(updates ...string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, raw := range updates {
		var u struct {
			UpdateID *int64 `json:"update_id"`
		}
		if err := json.Unmarshal([]byte(raw), &u); err != nil || u.UpdateID == nil {
			s.t.Fatalf("telegramtest: Push: not an Update with an update_id: %.80s", raw)
		}
		s.updates = append(s.updates, queued{*u.UpdateID, raw})
	}
	close(s.wake)
	s.wake = make(chan struct{})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + s.token + "/"
	if (r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix)) && !strings.HasPrefix(r.URL.Path, "/file/bot"+s.token+"/") {
		writeAnswer(w, http.StatusUnauthorized, AnswerUnauthorized)
		return
	}
	if path, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+s.token+"/"); ok && r.Method == http.MethodGet {
		s.serveFile(w, path)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	fields, uploads, err := readFields(r)
	if err != nil {
		writeAnswer(w, http.StatusBadRequest, fmt.Sprintf(`{"ok":false,"error_code":400,"description":"Bad Request: %s"}`, err))
		return
	}
	s.mu.Lock()
	s.seq++
	call := Call{Seq: s.seq, Method: method, Fields: fields, At: time.Now(), Uploads: uploads}
	var answer *canned
	q := s.script[method]
	for i := range q {
		if q[i].when == nil || q[i].when(fields) {
			c := q[i]
			answer, s.script[method] = &c, append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if answer == nil && method == "getFile" {
		switch f, ok := s.files[fields["file_id"]]; {
		case !ok:
			answer = &canned{status: http.StatusBadRequest, body: `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`}
		case f.tooBig:
			answer = &canned{status: http.StatusBadRequest, body: `{"ok":false,"error_code":400,"description":"Bad Request: file is too big"}`}
		}
	}
	if answer == nil {
		answer = tooLong(method, fields)
	}
	var result string
	found := true
	if answer == nil && method != "getUpdates" {
		result, call.MessageID, found = s.result(method, fields, uploads)
	}
	s.calls = append(s.calls, call)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	switch {
	case answer != nil:
		writeAnswer(w, answer.status, answer.body)
	case method == "getUpdates":
		s.serveUpdates(w, r, fields)
	case !found:
		writeAnswer(w, http.StatusNotFound, `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`)
	default:
		writeAnswer(w, http.StatusOK, `{"ok":true,"result":`+result+`}`)
	}
}

// WebhookAnswer makes the method call a bot gave as the answer to a
// webhook request, as Telegram makes it: it is recorded as any call. An
// empty body is no call.
func (s *Server) WebhookAnswer(body []byte) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var call map[string]any
	if err := json.Unmarshal(body, &call); err != nil {
		return fmt.Errorf("telegramtest: webhook answer %.80q: %w", body, err)
	}
	method, _ := call["method"].(string)
	if method == "" {
		return fmt.Errorf("telegramtest: webhook answer without a method: %.80q", body)
	}
	delete(call, "method")
	params, err := json.Marshal(call)
	if err != nil {
		return err
	}
	resp, err := http.Post(s.URL()+"/bot"+s.token+"/"+method, "application/json", bytes.NewReader(params))
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// readFields decodes the parameters the way the Bot API accepts them, and
// the files uploaded with them.
func readFields(r *http.Request) (map[string]string, map[string][]byte, error) {
	fields := map[string]string{}
	var uploads map[string][]byte
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		// The library sends an empty body for methods without parameters
		// (getMe), which the Bot API takes as no parameters.
		if err := r.ParseMultipartForm(64 << 20); errors.Is(err, io.EOF) {
			return fields, nil, nil
		} else if err != nil {
			return nil, nil, err
		}
		for k, v := range r.MultipartForm.Value {
			fields[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			if uploads == nil {
				uploads = map[string][]byte{}
			}
			uploads[k] = data
			fields[k] = "attach:" + fhs[0].Filename
		}
	case "application/json":
		var m map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return nil, nil, err
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
			return nil, nil, err
		}
		for k, v := range r.PostForm {
			fields[k] = v[0]
		}
	}
	return fields, uploads, nil
}

// result is the normal answer to method: the result's JSON, the id of the
// message sent or edited (0 if none) and whether the method is known.
// s.mu is held.
func (s *Server) result(method string, fields map[string]string, uploads map[string][]byte) (string, int, bool) {
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
			id, BotUser, chatID, chatType, extra)
	}
	text, _ := json.Marshal(fields["text"])
	switch method {
	case "getMe":
		return BotUser, 0, true
	case "setWebhook", "deleteWebhook", "answerCallbackQuery":
		return "true", 0, true
	case "sendMessage":
		id := s.newID()
		return msg(id, `,"text":`+string(text)), id, true
	case "editMessageText":
		id, _ := strconv.Atoi(fields["message_id"])
		return msg(id, `,"edit_date":1767225700,"text":`+string(text)), id, true
	case "editMessageReplyMarkup":
		// The Bot API answers with the edited Message (its text is not
		// asked for: the double has none to give).
		id, _ := strconv.Atoi(fields["message_id"])
		return msg(id, `,"edit_date":1767225700`), id, true
	case "sendPhoto":
		id := s.newID()
		fid := s.uploaded(fields, uploads, "photo", id)
		return msg(id, fmt.Sprintf(`,"photo":[{"file_id":"%s-small","file_unique_id":"u1s","width":90,"height":60},`+
			`{"file_id":%q,"file_unique_id":"u1","width":1280,"height":960}]`, fid, fid)), id, true
	case "sendDocument":
		id := s.newID()
		fid := s.uploaded(fields, uploads, "document", id)
		return msg(id, fmt.Sprintf(`,"document":{"file_id":%q,"file_unique_id":"u2"}`, fid)), id, true
	case "getFile":
		f := s.files[fields["file_id"]]
		return fmt.Sprintf(`{"file_id":%q,"file_unique_id":"g1","file_size":%d,"file_path":%q}`,
			fields["file_id"], len(f.data), f.path), 0, true
	}
	return "", 0, false
}

// uploaded returns the file_id of the file sent as param: the one named,
// or for an upload a new one, kept for getFile. s.mu is held.
func (s *Server) uploaded(fields map[string]string, uploads map[string][]byte, param string, msg int) string {
	data, ok := uploads[param]
	if !ok {
		return fields[param]
	}
	fid := fmt.Sprintf("up-%d", msg)
	s.files[fid] = file{data: data, path: "uploads/" + fid}
	return fid
}

// serveFile serves a file's bytes at its file URL.
func (s *Server) serveFile(w http.ResponseWriter, path string) {
	s.mu.Lock()
	var data []byte
	found := false
	for _, f := range s.files {
		if f.path == path {
			data, found = f.data, true
		}
	}
	s.mu.Unlock()
	if !found {
		http.NotFound(w, nil)
		return
	}
	w.Write(data)
}

// newID numbers a sent message. s.mu is held.
func (s *Server) newID() int {
	s.nextID++
	return s.nextID - 1
}

// serveUpdates answers getUpdates: updates below offset are confirmed and
// forgotten; if none is left it waits for one, the timeout or the client.
func (s *Server) serveUpdates(w http.ResponseWriter, r *http.Request, fields map[string]string) {
	offset, _ := strconv.ParseInt(fields["offset"], 10, 64)
	timeout, _ := strconv.Atoi(fields["timeout"])
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	// Telegram serves one long poll at a time: a new one ends the one
	// waiting with 409.
	s.mu.Lock()
	if s.poll != nil {
		close(s.poll)
	}
	mine := make(chan struct{})
	s.poll = mine
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.poll == mine {
			s.poll = nil
		}
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		kept := s.updates[:0]
		var batch []string
		for _, u := range s.updates {
			if u.id >= offset {
				kept = append(kept, u)
				batch = append(batch, u.raw)
			}
		}
		s.updates = kept
		wake := s.wake
		s.mu.Unlock()
		if len(batch) > 0 {
			writeAnswer(w, http.StatusOK, `{"ok":true,"result":[`+strings.Join(batch, ",")+`]}`)
			return
		}
		select {
		case <-wake:
		case <-mine:
			s.mu.Lock()
			s.conflicts++
			s.mu.Unlock()
			writeAnswer(w, http.StatusConflict, AnswerPollConflict)
			return
		case <-deadline.C:
			writeAnswer(w, http.StatusOK, `{"ok":true,"result":[]}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

// Conflicts is how many long polls were ended by another getUpdates: more
// than one bot instance polling.
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}

func writeAnswer(w http.ResponseWriter, status int, body string) {
	if strings.HasPrefix(body, "{") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// tooLong is the Bot API's refusal of a text over 4,096 UTF-16 units or a
// caption over 1,024, or nil.
func tooLong(method string, fields map[string]string) *canned {
	units := func(s string) int { return len(utf16.Encode([]rune(s))) }
	switch {
	case (method == "sendMessage" || method == "editMessageText") && units(fields["text"]) > 4096:
		return &canned{status: http.StatusBadRequest, body: `{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}`}
	case units(fields["caption"]) > 1024:
		return &canned{status: http.StatusBadRequest, body: `{"ok":false,"error_code":400,"description":"Bad Request: message caption is too long"}`}
	}
	return nil
}
