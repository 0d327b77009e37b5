package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// mail is one entry of a chat's mailbox, as the page renders it. It is
// what the event stream sends, as JSON, with the mail id as event id.
type mail struct {
	At int64 `json:"at"` // Unix milliseconds

	// What the bot said, and in which language (the page follows a
	// change of it).
	Text         string    `json:"text,omitempty"`
	Lang         string    `json:"lang,omitempty"`
	Buttons      [][]entry `json:"buttons,omitempty"`
	AskContact   bool      `json:"ask_contact,omitempty"`
	ContactLabel string    `json:"contact_label,omitempty"`
	Attachments  []file    `json:"attachments,omitempty"`
	// EditOf is the id of the message this one replaces.
	EditOf string `json:"edit_of,omitempty"`
	// Notice is a short answer to the button press Token: a toast, not a
	// message.
	Notice bool   `json:"notice,omitempty"`
	Token  string `json:"token,omitempty"`

	// Mine marks what someone wrote in the chat, echoed so that it
	// survives a reload and shows in their other tabs: ClientID is the
	// page's id of it, From and Name who wrote it, and Text, Button,
	// Phone or Attachments what.
	Mine     bool   `json:"mine,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	From     string `json:"from,omitempty"`
	Name     string `json:"name,omitempty"`
	Button   string `json:"button,omitempty"`
	Phone    string `json:"phone,omitempty"`

	// Retract is the mail id of an echo whose message the bot did not
	// take: the echo has left the mailbox, and the pages that showed it
	// already (the visitor's other tabs) learn so from this. ClientID,
	// From and Button say which message it was.
	Retract string `json:"retract,omitempty"`
}

// entry is a button.
type entry struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// file is an attachment: URL is empty for a file whose bytes the bot does
// not have (the page shows the name only).
type file struct {
	Kind string `json:"kind"` // photo | document
	URL  string `json:"url,omitempty"`
	Name string `json:"name,omitempty"`
}

// noticeLife is how long a notice is worth showing: one found later (after
// a reload, or by a page that reconnects) is skipped.
const noticeLife = time.Minute

// Send appends r to its chat's mailbox, render-ready, and wakes the pages
// following that chat:
//
//   - a Notice is shown to whoever follows the chat as a short toast, not
//     a message, and only for a minute; an empty one is nothing;
//   - with editID (a mail id), the page replaces that message;
//   - Buttons, AskContact and ContactLabel go with the text; Attachments
//     are links to their bytes in the file store.
//
// The returned MessageID is the new mail's id, or editID for an edit, so
// that later edits still name the message on the page. A store failure is
// a *bot.RetryError; a reply for another channel, to no chat, or with
// nothing to show is a permanent error wrapping shakwa.ErrInvalid.
func (c *Channel) Send(ctx context.Context, r bot.Reply, editID string) (bot.Sent, error) {
	if r.Channel != "" && r.Channel != Name {
		return bot.Sent{}, fmt.Errorf("web: reply for channel %q: %w", r.Channel, shakwa.ErrInvalid)
	}
	if r.Chat == "" {
		return bot.Sent{}, fmt.Errorf("web: reply to no chat: %w", shakwa.ErrInvalid)
	}
	m := mail{At: c.now().UnixMilli()}
	switch {
	case r.Notice:
		if strings.TrimSpace(r.Text) == "" {
			return bot.Sent{}, nil // a press needs no answer here: nothing spins
		}
		m.Notice, m.Text, m.Token = true, r.Text, r.ButtonToken
		editID = ""
	case strings.TrimSpace(r.Text) == "" && len(r.Attachments) == 0:
		return bot.Sent{}, fmt.Errorf("web: empty reply: %w", shakwa.ErrInvalid)
	default:
		m.Text, m.EditOf, m.Lang = r.Text, editID, r.Lang
		m.Buttons = buttons(r.Buttons)
		m.AskContact, m.ContactLabel = r.AskContact, r.ContactLabel
		m.Attachments = c.fileLinks(r.Chat, r.Attachments)
	}
	id, err := c.append(ctx, r.Chat, m)
	if err != nil {
		return bot.Sent{}, &bot.RetryError{Err: err}
	}
	if editID != "" {
		return bot.Sent{MessageID: editID}, nil
	}
	return bot.Sent{MessageID: id}, nil
}

// append adds m to chat's mailbox and wakes its listeners here.
func (c *Channel) append(ctx context.Context, chat string, m mail) (string, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("web: encode mail: %w", err)
	}
	id, err := c.store.MailAppend(ctx, chat, data, c.keep, c.ttl)
	if err != nil {
		return "", fmt.Errorf("web: mail: %w", err)
	}
	c.hub.wake(chat)
	return id, nil
}

func buttons(rows [][]bot.Button) [][]entry {
	var out [][]entry
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		r := make([]entry, len(row))
		for i, b := range row {
			r[i] = entry{Label: b.Label, Data: b.Data}
		}
		out = append(out, r)
	}
	return out
}

// fileLinks renders attachments for chat: files in the file store become
// links only the readers of chat can open.
func (c *Channel) fileLinks(chat string, atts []shakwa.Attachment) []file {
	var out []file
	for _, a := range atts {
		f := file{Kind: a.Kind, Name: a.Name}
		if a.File != "" {
			f.URL = c.fileURL(chat, a.File)
		}
		out = append(out, f)
	}
	return out
}

// fileURL is the link to file id for the readers of chat: the key k binds
// it to the chat, so the link is worth nothing to another visitor.
func (c *Channel) fileURL(chat, id string) string {
	return basePath + "/api/file/" + url.PathEscape(id) + "?k=" + c.fileKey(chat, id)
}

func (c *Channel) fileKey(chat, id string) string {
	return c.mac(macFile, chat, id)[:22] // 132 bits
}
