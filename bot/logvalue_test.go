package bot_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// TestLogValues: a Message, a Reply or a User in a log line shows no chat,
// no name and no words, nor a message id that carries the chat (a web
// chat's, a WhatsApp wamid, which encodes the phone number in base64).
func TestLogValues(t *testing.T) {
	const chat, name, words = "971501234567", "سالم", "انتظرت أكثر من ساعتين"
	for _, id := range []string{"web:" + chat + ":c1", "wamid.HBgMOTcxNTAxMjM0NTY3FQIAEhgUM0VCMDlFQjU5MUE4NkFEMzk0QjIA"} {
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("in", "m", &bot.Message{ID: id, Channel: "web", Chat: chat})
		if out := buf.String(); strings.Contains(out, chat) || strings.Contains(out, "OTcxNTAxMjM0NTY3") {
			t.Errorf("log shows the chat of message %s:\n%s", id, out)
		}
		if bot.LogID(id) == bot.LogID(id+"x") {
			t.Errorf("two messages look alike in the log")
		}
	}
	m := &bot.Message{ID: "tg:901234", Channel: "whatsapp", Chat: chat, From: bot.User{ID: chat, Name: name}, Text: words,
		Phone: "+" + chat, Attachments: []shakwa.Attachment{{Kind: "photo", Name: name + ".jpg"}}}
	r := bot.Reply{Channel: "whatsapp", Chat: chat, Text: words, Ref: "ticket:KRM-000001"}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("in", "m", m, "from", m.From)
	log.Info("out", "r", r)
	out := buf.String()
	for _, secret := range []string{chat, name, words} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, `"id":"tg:901234"`) || !strings.Contains(out, "ticket:KRM-000001") {
		t.Errorf("log lacks the ids:\n%s", out)
	}
}
