package bot

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"unicode/utf8"
)

// LogID is how a message id appears in logs: as it is when it is a number,
// perhaps after its channel ("tg:901234", a Telegram update's), else as a
// short digest that tells one message from another across log lines but
// reads nothing of it: a WhatsApp wamid encodes the sender's phone
// number, a web chat id the visitor.
func LogID(id string) string {
	_, n, ok := strings.Cut(id, ":")
	if !ok {
		n = id
	}
	if strings.Trim(n, "0123456789") == "" && !strings.Contains(n, ":") {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "#" + hex.EncodeToString(sum[:6])
}

// LogValue shows what kind of thing m is and its id (see LogID), never
// its chat, its sender or their words.
func (m *Message) LogValue() slog.Value {
	if m == nil {
		return slog.StringValue("<nil>")
	}
	kind := "text"
	switch {
	case m.Failed != nil:
		kind = "failure"
	case m.Button != "":
		kind = "button"
	case m.Phone != "":
		kind = "contact"
	case len(m.Attachments) > 0:
		kind = "files"
	case m.Unsupported != "":
		kind = "unsupported:" + m.Unsupported
	}
	return slog.GroupValue(slog.String("channel", m.Channel), slog.String("id", LogID(m.ID)), slog.String("kind", kind),
		slog.Bool("group", m.Group), slog.Int("chars", utf8.RuneCountInString(m.Text)))
}

// LogValue shows r's channel, lane, ref and size, never its chat or words.
func (r Reply) LogValue() slog.Value {
	return slog.GroupValue(slog.String("channel", r.Channel), slog.String("lane", r.Priority.String()),
		slog.String("ref", r.Ref), slog.Int("chars", utf8.RuneCountInString(r.Text)), slog.Int("files", len(r.Attachments)),
		slog.Bool("edit", r.Edit), slog.Bool("notice", r.Notice))
}

// LogValue shows nothing of the user: their id is their private chat's on
// Telegram and their phone number on WhatsApp, and their name is theirs.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", "redacted"), slog.Bool("named", u.Name != ""))
}
