package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/locales"
)

// The wire types hold what the adapter reads of Meta's notifications, as
// Meta documents them; unknown fields and message types are skipped, not
// refused: a notification we cannot decode is one Meta sends for days.
type notification struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string `json:"field"`
			Value value  `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type value struct {
	Metadata struct {
		PhoneNumberID string `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []contact `json:"contacts"`
	Messages []message `json:"messages"`
	Statuses []status  `json:"statuses"`
	// Errors are Meta's errors about the business number itself, not
	// about a message (a webhook's "errors" at the top of a value).
	Errors []graphErr `json:"errors"`
}

type contact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type message struct {
	From      string `json:"from"`
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
	Type      string `json:"type"`
	Context   *struct {
		ID string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
	} `json:"interactive"`
	Button *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Image    *media `json:"image"`
	Document *media `json:"document"`
	Audio    *media `json:"audio"`
	Video    *media `json:"video"`
	Contacts []struct {
		Phones []struct {
			Phone string `json:"phone"`
			WaID  string `json:"wa_id"`
		} `json:"phones"`
	} `json:"contacts"`
	Errors []graphErr `json:"errors"`
}

type reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type media struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
	Voice    bool   `json:"voice"`
}

type status struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	Timestamp   string     `json:"timestamp"`
	RecipientID string     `json:"recipient_id"`
	Errors      []graphErr `json:"errors"`
}

type graphErr struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

// decodeNotification parses a webhook body.
func decodeNotification(body []byte) (*notification, error) {
	var n notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, err
	}
	if n.Object != "whatsapp_business_account" {
		return nil, errors.New("not a whatsapp_business_account notification")
	}
	return &n, nil
}

// values are the notification's message values, in order.
func (n *notification) values() []value {
	var out []value
	for _, e := range n.Entry {
		for _, ch := range e.Changes {
			if ch.Field == "messages" {
				out = append(out, ch.Value)
			}
		}
	}
	return out
}

// pageTurn reports whether m is a press of "next" or "previous" in a long
// list, and its row id.
func (m message) pageTurn() (string, bool) {
	if m.Interactive == nil || m.Interactive.ListReply == nil {
		return "", false
	}
	id := m.Interactive.ListReply.ID
	return id, strings.HasPrefix(id, pagePrefix)
}

// when is a notification's time: Unix seconds as text.
func when(ts string) time.Time {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// Kinds of media, as attachments.
var mediaKinds = map[string]string{"image": "photo", "document": "document", "audio": "audio", "video": "video"}

// toMessage converts an inbound message. It returns nil for what the bot
// does not take: reactions, system messages (a number changed), deletions
// and edits. Media are fetched into the file store; an error means a
// fetch that may pass, for the message to be tried again, unless late
// is set: then the message goes without the file, marked unavailable.
func (c *Channel) toMessage(ctx context.Context, v value, in message, late bool) (*bot.Message, error) {
	m := &bot.Message{ID: "wa:" + in.ID, Channel: Name, Chat: in.From, Time: when(in.Timestamp),
		From: bot.User{ID: in.From, Name: profileName(v, in.From)}}
	if in.Context != nil {
		m.ReplyTo = in.Context.ID
	}
	if tooLarge(in.Errors) {
		m.Unsupported = "file_too_large"
		return m, nil
	}
	switch in.Type {
	case "text":
		if in.Text != nil {
			m.Text = in.Text.Body
			m.From.Lang = textLang(m.Text)
		}
	case "interactive":
		if in.Interactive == nil {
			return nil, nil
		}
		for _, r := range []*reply{in.Interactive.ButtonReply, in.Interactive.ListReply} {
			if r != nil {
				m.Button = r.ID
			}
		}
		if m.Button == "" {
			return nil, nil
		}
	case "button":
		if in.Button == nil || in.Button.Payload == "" {
			return nil, nil
		}
		m.Button = in.Button.Payload
	case "image", "document", "audio", "video":
		return c.withMedia(ctx, m, in, late)
	case "contacts":
		m.Phone = sharedPhone(in)
		if m.Phone == "" {
			m.Unsupported = "contacts"
		}
	case "reaction", "system", "revoke", "edit":
		return nil, nil
	default: // sticker, location, unsupported, and what Meta adds next
		m.Unsupported = in.Type
	}
	if m.Text == "" && m.Button == "" && m.Phone == "" && m.Unsupported == "" {
		return nil, nil
	}
	return m, nil
}

// withMedia fetches a message's media into the file store and makes it the
// message's attachment, its caption the text. A file that can never be
// had is no error: the message goes without it, marked too large or
// unavailable, for the bot to ask for it again. Only a failure that may
// pass is an error, for the message to be tried again, and then only
// while it is not late.
func (c *Channel) withMedia(ctx context.Context, m *bot.Message, in message, late bool) (*bot.Message, error) {
	md := in.media()
	if md == nil || md.ID == "" {
		return nil, nil
	}
	m.Text = md.Caption
	content, size, err := c.keep(ctx, md.ID, md.MimeType)
	switch {
	case err == nil:
	case errors.Is(err, shakwa.ErrInvalid): // over the file store's limit, or Meta's
		m.Unsupported = "file_too_large"
		return m, nil
	case temporary(err) && (!late || errors.Is(err, errToken)):
		// A refused token is never late: nothing goes to the person
		// either until it is renewed, and then the file can be had.
		return nil, err
	case temporary(err):
		c.log.Warn("inbound media not had in time; delivered without it", graphAttrs(err)...)
		m.Unsupported = "file_unavailable"
		return m, nil
	default: // gone, or refused for good
		c.log.Warn("inbound media unavailable; delivered without it", graphAttrs(err)...)
		m.Unsupported = "file_unavailable"
		return m, nil
	}
	m.Attachments = []shakwa.Attachment{{Kind: mediaKinds[in.Type], ID: md.ID, From: Name, File: content,
		Name: md.Filename, Mime: mediaType(md.MimeType), Size: size}}
	return m, nil
}

// tooLarge reports Meta's 131052 on an inbound message: media it could not
// take from the person (over 100 MB).
func tooLarge(errs []graphErr) bool {
	for _, e := range errs {
		if e.Code == 131052 {
			return true
		}
	}
	return false
}

// textLang guesses the language of what a person wrote, for a platform
// that says nothing of its users' language: "ar" for Arabic letters, "en"
// for words of Latin letters (one of four letters at least, so that a
// ticket number such as "krm 12" is no word), "" otherwise.
func textLang(s string) string {
	latinWord, arabic := false, false
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		latin := 0
		for _, r := range w {
			switch {
			case unicode.Is(unicode.Arabic, r):
				arabic = true
			case r < 0x80:
				latin++
			}
		}
		if latin >= 4 && latin == utf8.RuneCountInString(w) {
			latinWord = true
		}
	}
	switch {
	case arabic:
		return "ar"
	case latinWord:
		return "en"
	}
	return ""
}

// sharedPhone is the first phone number of a shared contact card, as
// ASCII digits (a card may be written in Arabic-Indic or Persian ones) with
// a leading + when it had one: 7 to 15 digits, else the card's WhatsApp id.
func sharedPhone(in message) string {
	for _, ct := range in.Contacts {
		for _, p := range ct.Phones {
			for _, raw := range []string{strings.TrimSpace(p.Phone), p.WaID} {
				if n := phoneDigits(raw); n != "" {
					return n
				}
			}
		}
	}
	return ""
}

// phoneDigits is raw's digits, in ASCII, with its leading +, when they
// are 7 to 15.
func phoneDigits(raw string) string {
	var b strings.Builder
	digits := 0
	for i, r := range locales.Digits(raw) {
		switch {
		case r >= '0' && r <= '9':
		case r == '+' && i == 0:
			b.WriteRune(r)
			continue
		default:
			continue
		}
		b.WriteRune(r)
		digits++
	}
	if digits < 7 || digits > 15 {
		return ""
	}
	return b.String()
}

// status passes on a delivery report: a failure for the window has the
// message queued again for when the person writes; other failures reach
// the bot as a Message (staff are told); the rest go to Config.Statuses.
func (c *Channel) status(ctx context.Context, s status) error {
	if s.Status != "failed" {
		if c.cfg.Statuses != nil {
			c.cfg.Statuses(ctx, s.ID, s.Status, when(s.Timestamp))
		}
		return nil
	}
	if c.cfg.Delivered != nil {
		arrived, err := c.cfg.Delivered(ctx, s.ID)
		if err != nil {
			return err // answered 500: Meta sends the report again
		}
		if arrived {
			c.log.InfoContext(ctx, "failure reported after delivery, dropped", "channel", Name, "code", firstCode(s.Errors))
			return nil
		}
	}
	f := &bot.Failure{MessageID: s.ID, Code: -1, Reason: "failed"}
	if len(s.Errors) > 0 {
		e := s.Errors[0]
		f.Code, f.Reason, f.Blocked = e.Code, reason(e), blockedCodes[e.Code]
	}
	if f.Code == windowCode {
		resent, err := c.cfg.Outbox.Resend(ctx, Name+":"+s.RecipientID, s.ID, when(s.Timestamp))
		if err != nil || resent {
			return err
		}
	}
	return c.deliver(ctx, &bot.Message{ID: "wa:failed:" + s.ID, Channel: Name, Chat: s.RecipientID,
		From: bot.User{ID: s.RecipientID}, Failed: f, Time: when(s.Timestamp)})
}

// firstCode is the code of the first of errs, or -1.
func firstCode(errs []graphErr) int {
	if len(errs) == 0 {
		return -1
	}
	return errs[0].Code
}

// reason is a delivery error as staff are told it, and as it may be
// logged: Meta's code and title. Not its message nor error_data.details:
// Meta writes the case at hand there (the recipient's number, a parameter
// of the message sent, the person's words). A title is a fixed phrase per
// code; one that holds a number (any seven digits) is left out all the
// same.
func reason(e graphErr) string {
	r := "(#" + strconv.Itoa(e.Code) + ")"
	if t := strings.TrimSpace(e.Title); t != "" && !holdsNumber(t) {
		r += " " + t
	}
	return r
}

// holdsNumber reports whether s has seven digits or more, in any script:
// enough for a phone number, however it is spaced.
func holdsNumber(s string) bool {
	n := 0
	for _, r := range locales.Digits(s) {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n >= 7
}
