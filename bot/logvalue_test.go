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
// no name and no words.
func TestLogValues(t *testing.T) {
	const chat, name, words = "971501234567", "سالم", "انتظرت أكثر من ساعتين"
	m := &bot.Message{ID: "wamid.1", Channel: "whatsapp", Chat: chat, From: bot.User{ID: chat, Name: name}, Text: words,
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
	if !strings.Contains(out, "wamid.1") || !strings.Contains(out, "ticket:KRM-000001") {
		t.Errorf("log lacks the ids:\n%s", out)
	}
}
