package shakwa

import (
	"log/slog"
	"unicode/utf8"
)

// What a log line may show of the types that carry personal data: each is
// a slog.LogValuer, so that one passed to a logger, by mistake or on
// purpose, shows its ids, kinds and sizes, never a chat id or phone
// number, a name or a person's words. Code still logs only what it means
// to; these are the guard behind that.

// LogValue shows the channel only: a chat id may be a phone number.
func (a Address) LogValue() slog.Value {
	return slog.GroupValue(slog.String("channel", a.Channel), slog.String("chat", "redacted"))
}

// LogValue shows the opaque id only.
func (p Person) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", p.ID), slog.String("channel", p.Address.Channel))
}

// LogValue shows the staff id, not the name.
func (s Staff) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", s.ID))
}

// LogValue shows the ticket's id, centre, category, status and holder id,
// not the citizen's words, phone or files.
func (t *Ticket) LogValue() slog.Value {
	if t == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("id", t.ID), slog.String("centre", t.Centre), slog.String("category", t.Category),
		slog.String("status", string(t.Status)), slog.String("holder", t.Holder.ID), slog.Int("files", len(t.Attachments)))
}

// LogValue shows the entry's kind, time and actor's id, not its words.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kind", e.Kind), slog.Time("at", e.At), slog.String("by", e.By),
		slog.Int("chars", utf8.RuneCountInString(e.Text)))
}
