package telegram

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// The inbound wire types hold only what the adapter reads. They are ours
// rather than the library's models so that decoding stays lenient: the
// models reject a whole update when a nested union (forward origin,
// reaction, chat member...) has a variant newer than the library, and an
// update we cannot decode is an update we lose.
type update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *message       `json:"message"`
	EditedMessage *message       `json:"edited_message"`
	CallbackQuery *callbackQuery `json:"callback_query"`
}

type user struct {
	ID           int64  `json:"id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	LanguageCode string `json:"language_code"`
}

type chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"` // private, group, supergroup, channel
}

type message struct {
	MessageID int64  `json:"message_id"`
	From      *user  `json:"from"`
	Chat      chat   `json:"chat"`
	Date      int64  `json:"date"`
	EditDate  int64  `json:"edit_date"`
	Text      string `json:"text"`
	Caption   string `json:"caption"`
	ReplyTo   *struct {
		MessageID int64 `json:"message_id"`
	} `json:"reply_to_message"`
	Contact  *contact    `json:"contact"`
	Photo    []photoSize `json:"photo"`
	Document *document   `json:"document"`
	// MediaGroupID is the album a photo or document came in.
	MediaGroupID string `json:"media_group_id"`

	// Service messages of a group that became a supergroup (see
	// noteMigration).
	MigrateToChatID   int64 `json:"migrate_to_chat_id"`
	MigrateFromChatID int64 `json:"migrate_from_chat_id"`

	// Content we cannot take; only presence matters.
	Animation json.RawMessage `json:"animation"`
	Sticker   json.RawMessage `json:"sticker"`
	Voice     json.RawMessage `json:"voice"`
	Audio     json.RawMessage `json:"audio"`
	Video     json.RawMessage `json:"video"`
	VideoNote json.RawMessage `json:"video_note"`
	Venue     json.RawMessage `json:"venue"`
	Location  json.RawMessage `json:"location"`
	Poll      json.RawMessage `json:"poll"`
	Dice      json.RawMessage `json:"dice"`
	Game      json.RawMessage `json:"game"`
	Story     json.RawMessage `json:"story"`
	PaidMedia json.RawMessage `json:"paid_media"`
	Checklist json.RawMessage `json:"checklist"`
	Invoice   json.RawMessage `json:"invoice"`
	Giveaway  json.RawMessage `json:"giveaway"`
}

type contact struct {
	PhoneNumber string `json:"phone_number"`
	UserID      int64  `json:"user_id"`
}

type photoSize struct {
	FileID   string `json:"file_id"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	FileSize int64  `json:"file_size"`
}

type document struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
	FileSize int64  `json:"file_size"`
}

type callbackQuery struct {
	ID      string   `json:"id"`
	From    user     `json:"from"`
	Message *message `json:"message"` // may be an InaccessibleMessage: chat, message_id, date 0
	Data    string   `json:"data"`
}

// unsupported returns the name of the first kind of content in m that we
// cannot take, or "". Animation comes before document and venue before
// location because Telegram sends both fields for those.
func (m *message) unsupported() string {
	kinds := []struct {
		name string
		raw  json.RawMessage
	}{
		{"animation", m.Animation}, {"sticker", m.Sticker}, {"voice", m.Voice},
		{"audio", m.Audio}, {"video", m.Video}, {"video_note", m.VideoNote},
		{"venue", m.Venue}, {"location", m.Location}, {"poll", m.Poll},
		{"dice", m.Dice}, {"game", m.Game}, {"story", m.Story},
		{"paid_media", m.PaidMedia}, {"checklist", m.Checklist},
		{"invoice", m.Invoice}, {"giveaway", m.Giveaway},
	}
	for _, k := range kinds {
		if len(k.raw) > 0 && string(k.raw) != "null" {
			return k.name
		}
	}
	return ""
}

// decodeUpdate parses one Update object.
func decodeUpdate(data []byte) (*update, error) {
	var u update
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// toMessage converts u. It returns nil for updates we do not take: other
// update kinds, service messages (members joining, pins...), callback
// queries without data, id or chat message (inline mode, games).
// botName is the bot's username, stripped from "/cmd@botName"; now stamps
// button presses, which carry no time of their own.
func toMessage(u *update, botName string, now time.Time) *bot.Message {
	switch {
	case u.Message != nil:
		return fromMessage(u.UpdateID, u.Message, botName)
	case u.EditedMessage != nil:
		return fromEdit(u.UpdateID, u.EditedMessage)
	case u.CallbackQuery != nil:
		return fromCallback(u.UpdateID, u.CallbackQuery, now)
	}
	return nil
}

func fromMessage(id int64, tm *message, botName string) *bot.Message {
	m := newMessage(id, tm.Chat)
	if tm.From != nil {
		m.From = toUser(tm.From)
	}
	m.Time = time.Unix(tm.Date, 0).UTC()
	if tm.ReplyTo != nil && tm.ReplyTo.MessageID != 0 {
		m.ReplyTo = strconv.FormatInt(tm.ReplyTo.MessageID, 10)
	}
	m.Text = tm.Text
	if m.Text == "" {
		m.Text = tm.Caption
	}
	m.Text = normaliseCommands(m.Text, botName)
	switch kind := tm.unsupported(); {
	case kind != "":
		m.Unsupported = kind
	case tm.Contact != nil:
		if tm.From != nil && tm.Contact.UserID != 0 && tm.Contact.UserID == tm.From.ID {
			m.Phone = tm.Contact.PhoneNumber
		} else {
			m.Unsupported = "contact"
		}
	case len(tm.Photo) > 0:
		p := largest(tm.Photo)
		m.Attachments = []shakwa.Attachment{{Kind: "photo", ID: p.FileID, From: Name, Mime: "image/jpeg", Size: p.FileSize}}
		m.Album = tm.MediaGroupID
	case tm.Document != nil:
		d := tm.Document
		m.Attachments = []shakwa.Attachment{{Kind: "document", ID: d.FileID, From: Name, Name: d.FileName,
			Mime: d.MimeType, Size: d.FileSize}}
		m.Album = tm.MediaGroupID
	case m.Text == "":
		return nil // a service message, or content this adapter cannot name
	}
	return m
}

// fromEdit is a message a person edited in a private chat: the bot took
// the words as first sent, and an edit changes nothing it keeps, so the
// person is told (Unsupported "edited", with none of the new words). An
// edit in a group is staff's own business.
func fromEdit(id int64, tm *message) *bot.Message {
	if tm.Chat.Type != "private" {
		return nil
	}
	m := newMessage(id, tm.Chat)
	if tm.From != nil {
		m.From = toUser(tm.From)
	}
	m.Time = time.Unix(max(tm.EditDate, tm.Date), 0).UTC()
	m.Unsupported = "edited"
	return m
}

func fromCallback(id int64, q *callbackQuery, now time.Time) *bot.Message {
	if q.Message == nil || q.Data == "" || q.ID == "" {
		return nil
	}
	m := newMessage(id, q.Message.Chat)
	m.From = toUser(&q.From)
	m.Button = q.Data
	m.ButtonToken = q.ID
	m.ReplyTo = strconv.FormatInt(q.Message.MessageID, 10)
	m.Time = now.UTC()
	return m
}

func newMessage(id int64, c chat) *bot.Message {
	return &bot.Message{
		ID:      "tg:" + strconv.FormatInt(id, 10),
		Channel: Name,
		Chat:    strconv.FormatInt(c.ID, 10),
		Group:   c.Type != "private",
	}
}

func toUser(u *user) bot.User {
	return bot.User{
		ID:   strconv.FormatInt(u.ID, 10),
		Name: strings.TrimSpace(u.FirstName + " " + u.LastName),
		Lang: u.LanguageCode,
	}
}

// largest returns the biggest of the sizes Telegram offers for a photo.
func largest(sizes []photoSize) photoSize {
	best := sizes[0]
	for _, p := range sizes[1:] {
		a, b := p.Width*p.Height, best.Width*best.Height
		if a > b || a == b && p.FileSize >= best.FileSize {
			best = p
		}
	}
	return best
}

// normaliseCommands rewrites "/cmd@botName" to "/cmd" wherever a command
// starts a word, leaving every other byte as it was. Commands addressed to
// another bot keep their suffix, so handlers do not mistake them for ours.
// It works on the text itself, not on entity offsets, which count UTF-16
// units and go wrong after Arabic or emoji.
func normaliseCommands(text, botName string) string {
	if botName == "" || !strings.Contains(text, "@") {
		return text
	}
	var b strings.Builder
	start := 0 // start of the text not yet copied
	for i := 0; i < len(text); {
		if text[i] != '/' || (i > 0 && !isSpace(text[i-1])) {
			i++
			continue
		}
		end := i + 1
		for end < len(text) && isCommandByte(text[end]) {
			end++
		}
		next := end + 1 + len(botName)
		if end > i+1 && next <= len(text) && text[end] == '@' &&
			strings.EqualFold(text[end+1:next], botName) &&
			(next == len(text) || isSpace(text[next])) {
			b.WriteString(text[start:end])
			start = next
		}
		i = max(end, i+1)
	}
	if start == 0 {
		return text
	}
	b.WriteString(text[start:])
	return b.String()
}

func isCommandByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isSpace reports whether c is an ASCII space character. Words after
// Arabic text are separated by ASCII spaces and newlines in practice; a
// command glued to a non-ASCII space stays as typed.
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r'
}
