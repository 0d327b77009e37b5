package telegramtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
)

// Call is one request the Server received.
type Call struct {
	// Seq is the call's place among all the calls received, from 1.
	Seq int
	// Method is the Bot API method, e.g. "sendMessage".
	Method string
	// Fields are the parameters as sent; JSON-valued ones (reply_markup,
	// allowed_updates) as their JSON text.
	Fields map[string]string
	// MessageID is the message_id of the message the Server answered that
	// it sent or edited; 0 for other calls and for scripted answers.
	MessageID int
	// At is when the Server received the call.
	At time.Time
	// Uploads are the files sent with the call (multipart), by parameter
	// name; the parameter's field is then "attach:" and the file name.
	Uploads map[string][]byte
}

// ChatID returns the chat_id parameter.
func (c Call) ChatID() string { return c.Fields["chat_id"] }

// Text returns the text parameter as its reader reads it: without the
// invisible direction marks it was sent with (Fields["text"] has them).
func (c Call) Text() string { return bot.Undirected(c.Fields["text"]) }

// Caption is the caption of a photo or document sent, read as Text is.
func (c Call) Caption() string { return bot.Undirected(c.Fields["caption"]) }

// Button is one keyboard button of a message sent: an inline button with
// its CallbackData, or a reply keyboard button that may request the
// person's contact.
type Button struct {
	Text           string `json:"text"`
	CallbackData   string `json:"callback_data"`
	RequestContact bool   `json:"request_contact"`
}

// Buttons returns the rows of the inline or reply keyboard in reply_markup,
// or nil when there is neither.
func (c Call) Buttons() [][]Button {
	var markup struct {
		InlineKeyboard [][]Button `json:"inline_keyboard"`
		Keyboard       [][]Button `json:"keyboard"`
	}
	if json.Unmarshal([]byte(c.Fields["reply_markup"]), &markup) != nil {
		return nil
	}
	if markup.InlineKeyboard != nil {
		return markup.InlineKeyboard
	}
	return markup.Keyboard
}

// CallbackData returns the callback_data of the inline keyboard buttons in
// reply_markup, row after row.
func (c Call) CallbackData() []string {
	var data []string
	for _, row := range c.Buttons() {
		for _, b := range row {
			if b.CallbackData != "" {
				data = append(data, b.CallbackData)
			}
		}
	}
	return data
}

// String describes c briefly, for failure messages.
func (c Call) String() string {
	s := fmt.Sprintf("#%d %s", c.Seq, c.Method)
	if id := c.ChatID(); id != "" {
		s += " chat " + id
	}
	if id := c.Fields["callback_query_id"]; id != "" {
		s += " query " + id
	}
	if text := c.Text(); text != "" {
		if r := []rune(text); len(r) > 60 {
			text = string(r[:60]) + "…"
		}
		s += fmt.Sprintf(" %q", text)
	}
	if data := c.CallbackData(); len(data) > 0 {
		s += " " + fmt.Sprint(data)
	}
	return s
}

// Match selects calls. Empty fields match anything.
type Match struct {
	Method string // the method, exactly
	ChatID string // the chat_id parameter, exactly
	Text   string // a part of the text parameter
	Data   string // the callback_data of one of the inline keyboard buttons
	After  int    // only calls with a greater Seq (see Server.Mark)
	// Fields are other parameters, each with its exact value, e.g.
	// {"callback_query_id": "77"}.
	Fields map[string]string
}

// Matches reports whether c is selected by m.
func (m Match) Matches(c Call) bool {
	return c.Seq > m.After &&
		(m.Method == "" || c.Method == m.Method) &&
		(m.ChatID == "" || c.ChatID() == m.ChatID) &&
		(m.Text == "" || strings.Contains(c.Text(), m.Text)) &&
		(m.Data == "" || slices.Contains(c.CallbackData(), m.Data)) &&
		m.fieldsMatch(c)
}

func (m Match) fieldsMatch(c Call) bool {
	for k, v := range m.Fields {
		if got, ok := c.Fields[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Calls returns the calls received so far, in order, except getMe; with
// methods, only calls of those methods.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Method == "getMe" {
			continue
		}
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the calls that m selects, in order (getMe included).
func (s *Server) Find(m Match) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if m.Matches(c) {
			out = append(out, c)
		}
	}
	return out
}

// Mark returns the Seq of the last call received so far, for Match.After:
// what a test does next is then told apart from what came before.
func (s *Server) Mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Reset forgets the calls received so far; Seq keeps counting from 1.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// Wait waits until a call that m selects has been received and returns the
// first one. After timeout it fails t, listing the calls m would have
// considered. Call it from the test's goroutine.
func (s *Server) Wait(t testing.TB, m Match, timeout time.Duration) Call {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for _, c := range s.calls {
			if m.Matches(c) {
				s.mu.Unlock()
				return c
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			var seen []string
			for _, c := range s.Find(Match{After: m.After}) {
				seen = append(seen, "\n\t"+c.String())
			}
			t.Fatalf("telegramtest: no call %+v within %v; calls after #%d:%s", m, timeout, m.After, strings.Join(seen, ""))
			return Call{}
		}
	}
}
