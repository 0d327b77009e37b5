package shakwa_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

// TestLogValues: the types that carry personal data show none of it in a
// log line, whole or in a group, as JSON or as text.
func TestLogValues(t *testing.T) {
	const phone, chat, name, words = "+971501234567", "971501234567", "فاطمة المنصوري", "انتظرت أكثر من ساعتين"
	addr := shakwa.Address{Channel: "whatsapp", Chat: chat}
	tk := &shakwa.Ticket{ID: "KRM-000001", Centre: "KRM", Text: words, Phone: phone, Holder: shakwa.Staff{ID: "111", Name: name}}
	values := []any{addr, shakwa.Person{ID: "p1", Address: addr}, shakwa.Staff{ID: "111", Name: name}, tk,
		shakwa.Event{Kind: "reply", By: "111", Text: words, At: time.Now()}}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(h(&buf))
		for _, v := range values {
			log.Info("x", "v", v)
			log.With("g", v).Info("y")
		}
		out := buf.String()
		for _, secret := range []string{phone, chat, name, words} {
			if strings.Contains(out, secret) {
				t.Errorf("log shows %q:\n%s", secret, out)
			}
		}
		for _, want := range []string{"KRM-000001", "whatsapp", "reply"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q (ids and kinds stay):\n%s", want, out)
			}
		}
	}
}
