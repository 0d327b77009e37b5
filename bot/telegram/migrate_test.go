package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/files"
)

const (
	oldGroup = "-4567"
	newGroup = "-1001234567890"
	// answerMigrated is the Bot API's answer to a send to a group that
	// became a supergroup.
	answerMigrated = `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}`
)

// logBuffer collects JSON log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines are the records logged at level, decoded.
func (b *logBuffer) lines(t *testing.T, level string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		if rec["level"] == level {
			out = append(out, rec)
		}
	}
	return out
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkMoveLogged checks the one ERROR line that says the group moved:
// both ids, what to change, and nothing else of the message.
func checkMoveLogged(t *testing.T, logs *logBuffer, secrets ...string) {
	t.Helper()
	errs := logs.lines(t, "ERROR")
	if len(errs) != 1 {
		t.Fatalf("ERROR lines: %d; want one saying the group moved:\n%s", len(errs), logs)
	}
	rec := errs[0]
	if rec["from"] != -4567.0 || rec["to"] != -1001234567890.0 || !strings.Contains(rec["msg"].(string), "staff_chat") {
		t.Errorf("logged %v; want from -4567, to -1001234567890 and staff_chat to update", rec)
	}
	for _, s := range append(secrets, testToken) {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log holds %q:\n%s", s, logs)
		}
	}
}

// TestSendToMigratedGroup: Telegram refuses a send to a group that became
// a supergroup, naming the new id. The message goes again there, once, an
// ERROR line says staff_chat is to change, and later sends of the process
// go to the new id directly.
func TestSendToMigratedGroup(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	logs := &logBuffer{}
	c := newTestChannel(t, f, Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))}, nil)
	toOld := func(fields map[string]string) bool { return fields["chat_id"] == oldGroup }
	f.AnswerWhen("sendMessage", toOld, http.StatusBadRequest, answerMigrated)
	text := "تذكرة جديدة KRM-000123"
	sent, err := c.Send(context.Background(), bot.Reply{Channel: Name, Chat: oldGroup, Text: text}, "")
	if err != nil {
		t.Fatalf("Send: %v; want it sent to the supergroup", err)
	}
	calls := f.Calls("sendMessage")
	if len(calls) != 2 || calls[0].ChatID() != oldGroup || calls[1].ChatID() != newGroup || calls[1].Text() != text {
		t.Fatalf("sendMessage calls %v; want one to %s, then the same to %s", calls, oldGroup, newGroup)
	}
	if sent.MessageID == "" {
		t.Errorf("Sent %+v; want the supergroup message's id", sent)
	}
	checkMoveLogged(t, logs, "KRM-000123")

	// Later: straight to the new id, for texts, edits and files alike.
	f.Reset()
	f.AnswerWhen("sendMessage", toOld, http.StatusBadRequest, answerMigrated)
	f.AnswerWhen("editMessageText", toOld, http.StatusBadRequest, answerMigrated)
	f.AnswerWhen("sendPhoto", toOld, http.StatusBadRequest, answerMigrated)
	if _, err := c.Send(context.Background(), bot.Reply{Chat: oldGroup, Text: "ثانية"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), bot.Reply{Chat: oldGroup, Text: "معدلة", Edit: true}, "77"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), bot.Reply{Chat: oldGroup, Attachments: []shakwa.Attachment{{Kind: "photo", ID: "AgAD-1"}}}, ""); err != nil {
		t.Fatal(err)
	}
	for _, call := range f.Calls() {
		if call.ChatID() != newGroup {
			t.Errorf("%s to %s; want the new id %s directly", call.Method, call.ChatID(), newGroup)
		}
	}
	if n := len(logs.lines(t, "ERROR")); n != 1 {
		t.Errorf("ERROR lines: %d; want the move said once", n)
	}
}

// TestSendFileToMigratedGroup: a file uploaded from the file store goes
// again to the supergroup with its bytes, not an emptied reader.
func TestSendFileToMigratedGroup(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\n a citizen's photo")
	id, _, _ := fs.Put(context.Background(), bytes.NewReader(png), "image/png")
	logs := &logBuffer{}
	c := newTestChannel(t, f, Config{Files: fs, Logger: slog.New(slog.NewJSONHandler(logs, nil))}, nil)
	f.AnswerWhen("sendPhoto", func(fields map[string]string) bool { return fields["chat_id"] == oldGroup },
		http.StatusBadRequest, answerMigrated)
	sent, err := c.Send(context.Background(), bot.Reply{Chat: oldGroup, Text: "صورة", Attachments: []shakwa.Attachment{
		{Kind: "photo", ID: id, From: "web", File: id, Mime: "image/png", Size: int64(len(png))}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	calls := f.Calls("sendPhoto")
	if len(calls) != 2 || calls[1].ChatID() != newGroup || !bytes.Equal(calls[1].Uploads["photo"], png) {
		t.Fatalf("sendPhoto calls %v; want the upload again, with its bytes, to %s", calls, newGroup)
	}
	if sent.Uploads[id] == "" {
		t.Errorf("Sent.Uploads %v; want Telegram's id of the upload", sent.Uploads)
	}
	checkMoveLogged(t, logs)
}

// TestMigrationServiceMessages: the service messages of the move (one in
// the old group, one in the new) are no message for the bot, but they are
// logged as the move is, and later sends go to the new id.
func TestMigrationServiceMessages(t *testing.T) {
	for _, tc := range []struct{ name, update string }{
		{"in the old group", `{"update_id":3001,"message":{"message_id":90,"from":` + staffFrom +
			`,"chat":{"id":-4567,"title":"موظفو مركز الكرامة","type":"group"},"date":1767225600,"migrate_to_chat_id":-1001234567890}}`},
		{"in the new supergroup", `{"update_id":3002,"message":{"message_id":1,"from":{"id":1087968824,"is_bot":true,"first_name":"Group","username":"GroupAnonymousBot"},` +
			`"sender_chat":{"id":-1001234567890,"title":"موظفو مركز الكرامة","type":"supergroup"},` +
			`"chat":{"id":-1001234567890,"title":"موظفو مركز الكرامة","type":"supergroup"},"date":1767225600,"migrate_from_chat_id":-4567}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := telegramtest.NewServer(t, testToken)
			logs := &logBuffer{}
			rec := &recorder{}
			c := newTestChannel(t, f, Config{WebhookURL: "https://shakwa.example/tg", WebhookSecret: testSecret,
				Logger: slog.New(slog.NewJSONHandler(logs, nil))}, rec.deliver)
			req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(tc.update))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(secretHeader, testSecret)
			w := httptest.NewRecorder()
			c.WebhookHandler().ServeHTTP(w, req)
			if w.Code != http.StatusOK || len(rec.ids()) != 0 {
				t.Errorf("status %d, delivered %v; want 200 and nothing for the bot", w.Code, rec.ids())
			}
			checkMoveLogged(t, logs, "موظفو", "Mona")
			if _, err := c.Send(context.Background(), bot.Reply{Chat: oldGroup, Text: "مرحبا"}, ""); err != nil {
				t.Fatal(err)
			}
			if calls := f.Calls("sendMessage"); len(calls) != 1 || calls[0].ChatID() != newGroup {
				t.Errorf("sendMessage calls %v; want one, to %s", calls, newGroup)
			}
		})
	}
}
