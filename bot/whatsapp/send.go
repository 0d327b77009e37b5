package whatsapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// WhatsApp's limits on what one message holds, in characters.
const (
	maxText        = 4096
	maxBody        = 1024 // the body of an interactive message
	maxCaption     = 1024 // the caption of an image, video or document
	maxButtons     = 3
	maxButtonTitle = 20
	maxRows        = 10
	maxRowTitle    = 24
	maxRowDesc     = 72
	maxListButton  = 20
)

// Split cuts r into the messages WhatsApp takes, for the outbox to send,
// pace and retry one by one: text over 4,096 characters, or over the
// 1,024 of an interactive message when r has buttons, goes first in plain
// messages; each file goes alone, after the text, but for one image,
// video or document with a short text and no buttons, which goes as one
// message with the text as its caption. The part that carries
// the buttons (or the last file, when there is no text) keeps r's Ref; the
// others have Trail set. WhatsApp cannot edit a message: an Edit is sent
// anew.
func (c *Channel) Split(r bot.Reply) []bot.Reply {
	if r.Notice {
		return []bot.Reply{r}
	}
	r.Edit = false
	limit := maxText
	if len(r.Buttons) > 0 {
		limit = maxBody
	}
	texts := bot.SplitText(strings.TrimSpace(r.Text), maxText, bot.Runes)
	if n := len(texts); n > 0 && bot.TextWidth(texts[n-1], bot.Runes) > limit {
		texts = append(texts[:n-1], bot.SplitText(texts[n-1], limit, bot.Runes)...)
	}
	if len(texts) <= 1 && len(r.Attachments) == 0 || captioned(r) {
		return []bot.Reply{r}
	}
	trail := func(p bot.Reply) bot.Reply {
		p.Trail, p.Buttons, p.AskContact, p.ContactLabel = true, nil, false, ""
		return p
	}
	var parts []bot.Reply
	for i, text := range texts {
		p := r
		p.Text, p.Attachments = text, nil
		if i < len(texts)-1 {
			p = trail(p)
		}
		parts = append(parts, p)
	}
	for i := range r.Attachments {
		p := r
		p.Text, p.Attachments = "", r.Attachments[i:i+1]
		if len(texts) > 0 || i < len(r.Attachments)-1 {
			p = trail(p)
		} else if len(r.Buttons) > 0 {
			// A file cannot carry buttons: they follow it, with a prompt.
			p.Buttons = nil
			q := r
			q.Text, q.Attachments = c.labels(r.Lang).Prompt, nil
			parts = append(parts, trail(p), q)
			continue
		}
		parts = append(parts, p)
	}
	return parts
}

// captioned reports whether r goes as one file with its text as the
// caption: one image, video or document, no buttons, a text that fits.
func captioned(r bot.Reply) bool {
	if len(r.Attachments) != 1 || len(r.Buttons) > 0 {
		return false
	}
	switch a := r.Attachments[0]; a.Kind {
	case "photo", "video", "document":
		if t, _ := messageType(a.Kind, mediaType(a.Mime), a.Size); t == "audio" {
			return false // a document that goes as an audio (see messageType)
		}
	default:
		return false // audio and stickers take no caption
	}
	text := strings.TrimSpace(r.Text)
	return text != "" && bot.TextWidth(text, bot.Runes) <= maxCaption
}

// Send renders r (one of the parts Split made) as one Cloud API message:
//
//   - text without buttons as a text message;
//   - up to 3 choices whose labels fit (20 characters) as reply buttons;
//   - up to 10 as a list (a row title holds 24 characters, what does not
//     fit goes in its description); more as a list in pages, with next
//     and previous rows and the choices that leave the question (Nav:
//     back, cancel) on every page, the later pages kept in the PageStore;
//   - a file as an image, audio, video or document: uploaded from the
//     file store (Uploads reports the new media id), or by its WhatsApp
//     media id when the store has no bytes for it; a short text with it
//     is its caption (see Split);
//   - a Notice as nothing: WhatsApp has no answers to presses (handlers
//     say them as messages).
//
// Errors are as classify says: bot.ErrWindowClosed outside the 24-hour
// window, *bot.RetryError for rate limits and passing faults, permanent
// otherwise.
func (c *Channel) Send(ctx context.Context, r bot.Reply, _ string) (bot.Sent, error) {
	if r.Channel != "" && r.Channel != Name {
		return bot.Sent{}, fmt.Errorf("whatsapp: reply for channel %q: %w", r.Channel, shakwa.ErrInvalid)
	}
	if r.Notice {
		return bot.Sent{}, nil
	}
	if r.Chat == "" {
		return bot.Sent{}, fmt.Errorf("whatsapp: reply to no chat: %w", shakwa.ErrInvalid)
	}
	sent := bot.Sent{Uploads: map[string]string{}}
	var payload map[string]any
	after := "" // a text that could not be the file's caption: sent after it
	switch {
	case len(r.Attachments) > 0:
		p, err := c.mediaPayload(ctx, r.Attachments[0], sent.Uploads)
		if err != nil {
			return bot.Sent{}, err
		}
		if text := strings.TrimSpace(r.Text); text != "" {
			media, ok := p[p["type"].(string)].(map[string]any)
			if ok && p["type"] != "audio" && p["type"] != "sticker" && bot.TextWidth(text, bot.Runes) <= maxCaption {
				media["caption"] = text
			} else {
				// The file goes as a type that takes no caption (the
				// store knows it for audio), or the text is too long.
				after = text
			}
		}
		payload = p
	case strings.TrimSpace(r.Text) == "":
		return bot.Sent{}, fmt.Errorf("whatsapp: empty reply: %w", shakwa.ErrInvalid)
	case len(r.Buttons) > 0:
		p, err := c.interactive(ctx, r, flatten(r.Buttons), 0, "")
		if err != nil {
			return bot.Sent{}, err
		}
		payload = p
	default:
		payload = map[string]any{"type": "text", "text": map[string]any{"body": cut(r.Text, maxText)}}
	}
	payload["to"], payload["recipient_type"] = r.Chat, "individual"
	id, err := c.post(ctx, payload)
	if err != nil {
		return bot.Sent{}, fmt.Errorf("whatsapp: send: %w", c.classify(err))
	}
	sent.MessageID = id
	if after != "" {
		// Failing, the reply is sent again, file and all: twice is better
		// than words lost.
		text := map[string]any{"type": "text", "text": map[string]any{"body": cut(after, maxText)}, "to": r.Chat,
			"recipient_type": "individual"}
		if _, err := c.post(ctx, text); err != nil {
			return bot.Sent{}, fmt.Errorf("whatsapp: send the text after a file: %w", c.classify(err))
		}
	}
	return sent, nil
}

// mediaPayload is a file's message. A file in the file store is uploaded,
// even one that came from WhatsApp: the media id of a file a person sent
// lasts 7 days only, and a reply may come later than that. A WhatsApp
// media id goes as it is when the outbox has one of an upload of ours
// (a.File empty: a GIF or a WebP was uploaded converted, and goes as an
// image), or when the store has no bytes for it (Meta's own id: a GIF or a
// WebP a person sent goes unconverted, as a document).
func (c *Channel) mediaPayload(ctx context.Context, a shakwa.Attachment, uploads map[string]string) (map[string]any, error) {
	var id, typ string
	var err error
	if a.File != "" {
		id, typ, err = c.upload(ctx, a)
		switch {
		case err == nil:
			uploads[a.File] = id
		case errors.Is(err, shakwa.ErrNotFound) && a.From == Name && a.ID != "":
			id = "" // no longer in the store: the id may still do
		default:
			return nil, err
		}
	}
	if id == "" {
		if a.From != Name || a.ID == "" {
			return nil, fmt.Errorf("whatsapp: a %s file with no bytes to upload: %w", a.From, shakwa.ErrNotFound)
		}
		id = a.ID
		typ, _ = messageType(a.Kind, mediaType(a.Mime), a.Size)
		if _, unconverted := converted[mediaType(a.Mime)]; typ == "" || unconverted && a.File != "" {
			typ = "document"
		}
	}
	media := map[string]any{"id": id}
	if typ == "document" && a.Name != "" {
		media["filename"] = a.Name
	}
	return map[string]any{"type": typ, typ: media}, nil
}

// choice is one button of a Reply.
type choice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Short string `json:"short,omitempty"`
	Nav   bool   `json:"nav,omitempty"` // on every page of a long list
}

func flatten(rows [][]bot.Button) []choice {
	var out []choice
	for _, row := range rows {
		for _, b := range row {
			out = append(out, choice{ID: b.Data, Label: b.Label, Short: b.Short, Nav: b.Nav})
		}
	}
	return out
}

// fit is ch's label within limit, as it is sent (a title is shown on
// its own: without the direction marks that change nothing there, see
// bot.Lone; Meta counts the others): the label if it fits, else its short
// form if it has one that does, else "".
func (ch choice) fit(limit int) string {
	for _, l := range []string{ch.Label, ch.Short} {
		l = bot.Lone(strings.TrimSpace(l))
		if l != "" && bot.TextWidth(l, bot.Runes) <= limit {
			return l
		}
	}
	return ""
}

// interactive renders choices as reply buttons, a list, or page page of a
// long list (key names its pages in the PageStore; "" saves them anew).
func (c *Channel) interactive(ctx context.Context, r bot.Reply, choices []choice, page int, key string) (map[string]any, error) {
	body := cut(r.Text, maxBody)
	if fitButtons(choices) {
		var buttons []any
		for _, ch := range choices {
			buttons = append(buttons, map[string]any{"type": "reply",
				"reply": map[string]any{"id": ch.ID, "title": ch.fit(maxButtonTitle)}})
		}
		return map[string]any{"type": "interactive", "interactive": map[string]any{
			"type": "button", "body": map[string]any{"text": body},
			"action": map[string]any{"buttons": buttons}}}, nil
	}
	l := c.labels(r.Lang)
	shown := choices
	if len(choices) > maxRows {
		if key == "" {
			var err error
			if key, err = c.savePages(ctx, r, choices); err != nil {
				return nil, err
			}
		}
		items, nav := apart(choices)
		from, to := pageBounds(len(items), page, maxRows-len(nav))
		shown = nil
		if page > 0 {
			shown = append(shown, choice{ID: pageID(key, page-1), Label: l.Previous})
		}
		shown = append(shown, items[from:to]...)
		if to < len(items) {
			shown = append(shown, choice{ID: pageID(key, page+1), Label: l.Next})
		}
		shown = append(shown, nav...)
	}
	return map[string]any{"type": "interactive", "interactive": map[string]any{
		"type": "list", "body": map[string]any{"text": body},
		"action": map[string]any{"button": cut(l.Choose, maxListButton),
			"sections": []any{map[string]any{"rows": rows(shown)}}}}}, nil
}

// apart parts the choices of a long list into those its pages share out
// and those every page shows under them (back, cancel: Nav), so that a
// person can leave from any page. When too many are Nav to leave room
// for a choice with previous and next, none is kept apart.
func apart(choices []choice) (items, nav []choice) {
	for _, ch := range choices {
		if ch.Nav {
			nav = append(nav, ch)
		} else {
			items = append(items, ch)
		}
	}
	if len(nav) > maxRows-3 {
		return choices, nil
	}
	return items, nav
}

// pageBounds are the items page page of a long list of n shows, in pages
// of room rows: the first page room-1 and a "next" row under them; later
// ones a "previous" row over room-2 and "next", or over the last room-1
// at most.
func pageBounds(n, page, room int) (from, to int) {
	if page == 0 {
		return 0, min(room-1, n)
	}
	from = min(room-1+(page-1)*(room-2), n)
	if n-from <= room-1 {
		return from, n
	}
	return from, from + room - 2
}

// fitButtons reports whether choices can be reply buttons: three at most,
// each label (or its short form) whole within 20 characters, no two alike.
func fitButtons(choices []choice) bool {
	if len(choices) == 0 || len(choices) > maxButtons {
		return false
	}
	seen := map[string]bool{}
	for _, ch := range choices {
		l := ch.fit(maxButtonTitle)
		if l == "" || seen[l] || len(ch.ID) > 256 {
			return false
		}
		seen[l] = true
	}
	return true
}

// rows are list rows. A label too long for a title uses its short form if
// it has one that fits; else, a name of the form "Centre - Karama" shows
// the part after its last dash, which tells it apart, in the title and
// the rest in the description, so that every centre of a list reads the
// same way; else the title keeps its start, in words, and the rest goes
// in the description. Labels that would still share a title ("Yes, ..."
// and "Yes, ...") show their part after their last comma or colon
// instead; what is still alike is numbered.
func rows(choices []choice) []any {
	type row struct{ title, desc string }
	rs := make([]row, len(choices))
	count := map[string]int{}
	for i, ch := range choices {
		label := bot.Lone(ch.Label)
		if l := ch.fit(maxRowTitle); l != "" {
			rs[i].title = l
		} else if head, tail, ok := lastSegment(label, dashes); ok {
			rs[i].title, rs[i].desc = segmentRow(head, tail)
		} else {
			rs[i].title, rs[i].desc = bot.CutText(label, maxRowTitle, bot.Runes)
		}
		count[rs[i].title]++
	}
	for i, ch := range choices {
		if count[rs[i].title] < 2 {
			continue
		}
		if head, tail, ok := lastSegment(bot.Lone(ch.Label), separators); ok {
			rs[i].title, rs[i].desc = segmentRow(head, tail)
		}
	}
	var out []any
	taken := map[string]bool{}
	for i := range rs {
		taken[rs[i].title] = true
	}
	seen := map[string]bool{}
	for i, ch := range choices {
		title := rs[i].title
		if seen[title] {
			// The next number no row has: "Centre", "Centre", "Centre 2"
			// become "Centre", "Centre 3", "Centre 2".
			for n := 2; ; n++ {
				suffix := " " + strconv.Itoa(n)
				cut, _ := bot.CutText(title, maxRowTitle-len(suffix), bot.Runes)
				if t := cut + suffix; !taken[t] {
					title = t
					break
				}
			}
			taken[title] = true
		}
		seen[rs[i].title] = true
		r := map[string]any{"id": ch.ID, "title": title}
		if rs[i].desc != "" {
			r["description"] = cut(rs[i].desc, maxRowDesc)
		}
		out = append(out, r)
	}
	return out
}

// The separators of a name's parts: dashes; and, to tell alike labels
// apart, Arabic commas and colons too.
var (
	dashes     = []string{" - ", " – ", " — "}
	separators = append(slices.Clone(dashes), "، ", ": ")
)

// lastSegment splits a name at its last separator ("مركز سعادة
// المتعاملين - الكرامة"): what comes before, and the part that names it.
func lastSegment(label string, seps []string) (head, tail string, ok bool) {
	for _, sep := range seps {
		if i := strings.LastIndex(label, sep); i > 0 {
			return strings.TrimSpace(label[:i]), strings.TrimSpace(label[i+len(sep):]), true
		}
	}
	return "", "", false
}

// segmentRow is the title and description of a row named by tail, part
// of head: tail's start in the title, what does not fit before head.
func segmentRow(head, tail string) (title, desc string) {
	title, rest := bot.CutText(tail, maxRowTitle, bot.Runes)
	if rest != "" {
		return title, rest + " · " + head
	}
	return title, head
}

// cut shortens s to n characters with an ellipsis, on a word where one is
// near.
func cut(s string, n int) string {
	head, rest := bot.CutText(s, n, bot.Runes)
	if rest == "" {
		return head
	}
	head, _ = bot.CutText(head, n-1, bot.Runes)
	return head + "…"
}

// Pages of long lists.

const pagePrefix = "wa:page:"

func pageID(key string, page int) string { return pagePrefix + key + ":" + strconv.Itoa(page) }

// pages is what the PageStore keeps of a long list.
type pages struct {
	Text    string   `json:"text"`
	Lang    string   `json:"lang"`
	Choices []choice `json:"choices"`
}

// savePages keeps a long list's choices for its later pages and returns
// their key.
func (c *Channel) savePages(ctx context.Context, r bot.Reply, choices []choice) (string, error) {
	data, err := json.Marshal(pages{Text: r.Text, Lang: r.Lang, Choices: choices})
	if err != nil {
		return "", fmt.Errorf("whatsapp: encode pages: %w", err)
	}
	sum := sha256.Sum256(data)
	key := hex.EncodeToString(sum[:8])
	if err := c.cfg.Pages.SavePage(ctx, key, data, window); err != nil {
		return "", &bot.RetryError{Err: fmt.Errorf("whatsapp: save pages: %w", err)}
	}
	return key, nil
}

// sendPage answers a press of next or previous in a long list: the page,
// at once (an answer to a person who just wrote). A list no longer kept
// (older than a day) is an error wrapping shakwa.ErrNotFound, a row id
// not of ours one wrapping shakwa.ErrInvalid; the store's failures are
// *bot.RetryError, and Meta's errors are as classify says.
func (c *Channel) sendPage(ctx context.Context, chat, id string) error {
	key, n, ok := strings.Cut(strings.TrimPrefix(id, pagePrefix), ":")
	page, err := strconv.Atoi(n)
	if !ok || err != nil || page < 0 {
		return fmt.Errorf("whatsapp: page %q: %w", id, shakwa.ErrInvalid)
	}
	data, err := c.cfg.Pages.Page(ctx, key)
	if err != nil {
		return &bot.RetryError{Err: fmt.Errorf("whatsapp: pages: %w", err)}
	}
	if data == nil {
		return fmt.Errorf("whatsapp: pages %s: %w", key, shakwa.ErrNotFound)
	}
	var p pages
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("whatsapp: pages %s: %w", key, err)
	}
	payload, err := c.interactive(ctx, bot.Reply{Text: p.Text, Lang: p.Lang}, p.Choices, page, key)
	if err != nil {
		return err
	}
	payload["to"], payload["recipient_type"] = chat, "individual"
	if _, err := c.post(ctx, payload); err != nil {
		return fmt.Errorf("whatsapp: send page: %w", c.classify(err))
	}
	return nil
}

// Reopen sends the approved template that invites the reader of r back,
// with the ticket r is about (its Ref) as the template's one parameter,
// and returns its message id.
func (c *Channel) Reopen(ctx context.Context, r bot.Reply) (string, bool, error) {
	t := c.cfg.Template
	lang := t.Languages[r.Lang]
	if lang == "" {
		lang = t.Languages[defaultLang]
	}
	if t.Name == "" || lang == "" {
		return "", false, nil
	}
	ticket := "-"
	if id, ok := strings.CutPrefix(r.Ref, "ticket:"); ok {
		ticket = id
	}
	payload := map[string]any{"to": r.Chat, "recipient_type": "individual", "type": "template",
		"template": map[string]any{"name": t.Name, "language": map[string]any{"code": lang},
			"components": []any{map[string]any{"type": "body",
				"parameters": []any{map[string]any{"type": "text", "text": ticket}}}}}}
	id, err := c.post(ctx, payload)
	if err != nil {
		return "", false, fmt.Errorf("whatsapp: template: %w", c.classify(err))
	}
	return id, true, nil
}
