package bot

import (
	"log/slog"
	"unicode/utf8"
)

// LogValue shows what kind of thing m is and its ids, never its chat, its
// sender or their words.
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
	return slog.GroupValue(slog.String("channel", m.Channel), slog.String("id", m.ID), slog.String("kind", kind),
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
