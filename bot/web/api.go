package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// sendRequest is the body of POST /chat/api/send: exactly one of Text,
// Button and Phone. ID is the page's id of the message: the same message
// sent again has the same ID, and is handled once.
type sendRequest struct {
	ID     string `json:"id"`
	Text   string `json:"text,omitempty"`
	Button string `json:"button,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Lang   string `json:"lang,omitempty"` // the page's language
	// ReplyTo is the id of the bot's message the text answers (the
	// page's "reply" on a message), "" for none.
	ReplyTo string `json:"reply_to,omitempty"`
	As      string `json:"as,omitempty"`   // demo: the person who writes
	Chat    string `json:"chat,omitempty"` // demo: the chat they write in
}

// Limits of a request's fields, in bytes.
const (
	maxClientID = 64
	maxButton   = 64 // as bot.Button.Data
	maxPhone    = 64
	maxLang     = 35
	maxName     = 64 // as and chat
	maxFileName = 100
)

// errRequest marks a request the page should not have sent.
var errRequest = errors.New("bad request")

// parseSend reads a send request, or says what is wrong with it.
func parseSend(body []byte) (sendRequest, error) {
	var req sendRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return sendRequest{}, fmt.Errorf("%w: %v", errRequest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return sendRequest{}, fmt.Errorf("%w: data after the object", errRequest)
	}
	given := 0
	for _, v := range []string{strings.TrimSpace(req.Text), req.Button, req.Phone} {
		if v != "" {
			given++
		}
	}
	switch {
	case !validClientID(req.ID):
		return sendRequest{}, fmt.Errorf("%w: id", errRequest)
	case given != 1:
		return sendRequest{}, fmt.Errorf("%w: want one of text, button and phone", errRequest)
	case len(req.Button) > maxButton:
		return sendRequest{}, fmt.Errorf("%w: button", errRequest)
	case req.Phone != "" && !validPhone(req.Phone):
		return sendRequest{}, fmt.Errorf("%w: phone", errRequest)
	case !validLang(req.Lang):
		return sendRequest{}, fmt.Errorf("%w: lang", errRequest)
	case len(req.ReplyTo) > maxClientID || req.ReplyTo != "" && req.Text == "":
		return sendRequest{}, fmt.Errorf("%w: reply_to", errRequest)
	case len(req.As) > maxName || len(req.Chat) > maxName:
		return sendRequest{}, fmt.Errorf("%w: as or chat", errRequest)
	}
	return req, nil
}

// validClientID: 1-64 of A-Z a-z 0-9 _ - (a UUID, say), but not
// greetingID, which names the greeting a chat begins with: a message of
// that id would be taken for a copy of it and lost.
func validClientID(id string) bool {
	if id == "" || len(id) > maxClientID || id == greetingID {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// validPhone: digits of any script with + - ( ) and spaces, at least one
// digit. Whether it is a real number is for the flows to say.
func validPhone(p string) bool {
	if len(p) > maxPhone {
		return false
	}
	digits := 0
	for _, r := range p {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune("+-() ", r):
		default:
			return false
		}
	}
	return digits > 0
}

// validLang: empty or a short language tag.
func validLang(l string) bool {
	if len(l) > maxLang {
		return false
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// admit returns the visitor of a posting request within their rate, or
// answers 401 or 429 itself.
func (c *Channel) admit(w http.ResponseWriter, r *http.Request) (string, bool) {
	visitor, ok := c.session(w, r)
	if !ok {
		http.Error(w, "no session", http.StatusUnauthorized)
		return "", false
	}
	return visitor, c.allow(w, r, visitor)
}

// serveSend takes a text, a button press or a phone number from the page.
func (c *Channel) serveSend(w http.ResponseWriter, r *http.Request) {
	visitor, ok := c.admit(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.maxBody))
	if err != nil {
		readError(w, err)
		return
	}
	req, err := parseSend(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.tooLong(w, req.Text) {
		return
	}
	sp, ok := speakerOf(c.actors(r), visitor, req.As, req.Chat)
	if !ok {
		c.refuseSpeaker(w, r, req.As)
		return
	}
	m := c.message(r, visitor, req.ID, req.Lang, sp)
	m.Text, m.Button, m.Phone, m.ReplyTo = req.Text, req.Button, req.Phone, req.ReplyTo
	if req.Button != "" {
		m.ButtonToken = req.ID // a Notice answering it carries this back
	}
	echo := c.echo(req.ID, sp)
	echo.Text, echo.Button, echo.Phone = req.Text, req.Button, req.Phone
	c.accept(w, r, m, echo)
}

// tooLong answers 413 for a text over MaxText, which the page keeps in
// its box rather than send: only a client other than the page sends one,
// and it is neither shown in the chat nor handed to the bot.
func (c *Channel) tooLong(w http.ResponseWriter, text string) bool {
	if c.maxText <= 0 || utf8.RuneCountInString(text) <= c.maxText {
		return false
	}
	http.Error(w, fmt.Sprintf("text over %d characters", c.maxText), http.StatusRequestEntityTooLarge)
	return true
}

// message starts the Message a request makes.
func (c *Channel) message(r *http.Request, visitor, clientID, lang string, sp speaker) *bot.Message {
	if lang == "" {
		lang = firstLang(r.Header.Get("Accept-Language"))
	}
	return &bot.Message{
		ID:      Name + ":" + visitor + ":" + clientID,
		Channel: Name,
		Chat:    sp.chat,
		Group:   sp.group,
		From:    bot.User{ID: sp.id, Name: sp.name, Lang: lang},
		Time:    c.now(),
	}
}

// echo starts the mail that shows what sp wrote.
func (c *Channel) echo(clientID string, sp speaker) mail {
	return mail{At: c.now().UnixMilli(), Mine: true, ClientID: clientID, From: sp.id, Name: sp.name}
}

// accept shows echo in the chat and delivers m: 204 once m is safe, 503
// (try again) when either fails. The echo goes first so that it comes
// before the answers; when m is not taken it is withdrawn (see withdraw).
// A retried message echoes anew with the same client id, which the page
// shows once.
func (c *Channel) accept(w http.ResponseWriter, r *http.Request, m *bot.Message, echo mail) {
	// Finished even if the page hangs up: it will send the same id again.
	ctx := context.WithoutCancel(r.Context())
	id, err := c.append(ctx, m.Chat, echo)
	if err != nil {
		c.log.Warn("message not accepted: mailbox", "message", bot.LogID(m.ID), "err", err)
		unavailable(w)
		return
	}
	if err := c.deliver(ctx, m); err != nil {
		c.log.Warn("message not accepted; the page will send it again", "message", bot.LogID(m.ID), "err", err)
		c.withdraw(ctx, m, id, echo)
		unavailable(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// withdraw takes back echo, mail id of message m, which the bot did not
// take. The echo leaves the mailbox, so that the chat never shows as sent
// what the bot did not get (a page closed before its retry would show it
// so on the next visit); and a retraction naming it follows, because the
// pages that showed it already, the visitor's other tabs on this instance
// or another, would go on showing it as sent. The page that posted it
// keeps it and sends it again: the echo of a retry that is taken comes
// after the retraction, and shows it as sent again.
func (c *Channel) withdraw(ctx context.Context, m *bot.Message, id string, echo mail) {
	if err := c.store.MailDrop(ctx, m.Chat, id); err != nil {
		c.log.Warn("echo of a message not accepted is kept", "message", bot.LogID(m.ID), "err", err)
	}
	back := mail{At: c.now().UnixMilli(), Retract: id, ClientID: echo.ClientID, From: echo.From, Button: echo.Button}
	if _, err := c.append(ctx, m.Chat, back); err != nil {
		c.log.Warn("echo of a message not accepted is not retracted", "message", bot.LogID(m.ID), "err", err)
	}
}

func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "2")
	http.Error(w, "try again", http.StatusServiceUnavailable)
}

// readError answers a body that could not be read: 413 when too large.
func readError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	http.Error(w, "cannot read request", http.StatusBadRequest)
}

// Upload types: sniffed from the content, never taken from the client.
var uploadKinds = map[string]string{
	"image/jpeg":      "photo",
	"image/png":       "photo",
	"image/gif":       "photo",
	"image/webp":      "photo",
	"application/pdf": "document",
}

// upload is a read multipart upload.
type upload struct {
	id, caption, lang, as, chat string
	replyTo                     string
	name, mime                  string
	data                        []byte
}

// serveUpload takes a photo or a PDF, with an optional caption: the file
// is stored, then delivered as an attachment of a Message.
func (c *Channel) serveUpload(w http.ResponseWriter, r *http.Request) {
	visitor, ok := c.admit(w, r)
	if !ok {
		return
	}
	up, status, err := c.readUpload(w, r)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	if c.tooLong(w, up.caption) {
		return
	}
	sp, ok := speakerOf(c.actors(r), visitor, up.as, up.chat)
	if !ok {
		c.refuseSpeaker(w, r, up.as)
		return
	}
	id, size, err := c.files.Put(context.WithoutCancel(r.Context()), bytes.NewReader(up.data), up.mime)
	if err != nil {
		c.log.Warn("upload not kept", "err", err)
		unavailable(w)
		return
	}
	att := []shakwa.Attachment{{Kind: uploadKinds[up.mime], ID: id, From: Name, File: id, Name: up.name,
		Mime: up.mime, Size: size}}
	m := c.message(r, visitor, up.id, up.lang, sp)
	m.Text, m.Attachments, m.ReplyTo = up.caption, att, up.replyTo
	echo := c.echo(up.id, sp)
	echo.Text, echo.Attachments = up.caption, c.fileLinks(sp.chat, att)
	c.accept(w, r, m, echo)
}

// readUpload reads and checks an upload; status says how to answer an
// error.
func (c *Channel) readUpload(w http.ResponseWriter, r *http.Request) (up upload, status int, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, c.maxUpload+c.maxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return upload{}, http.StatusBadRequest, fmt.Errorf("%w: not multipart", errRequest)
	}
	up, files, status, err := c.readParts(mr)
	switch {
	case err != nil:
		return upload{}, status, err
	case files != 1 || len(up.data) == 0:
		return upload{}, http.StatusBadRequest, fmt.Errorf("%w: want one file", errRequest)
	case !validClientID(up.id) || !validLang(up.lang) || len(up.as) > maxName || len(up.chat) > maxName ||
		len(up.replyTo) > maxClientID:
		return upload{}, http.StatusBadRequest, fmt.Errorf("%w: fields", errRequest)
	}
	up.mime, _, _ = strings.Cut(http.DetectContentType(up.data), ";")
	if uploadKinds[up.mime] == "" {
		return upload{}, http.StatusUnsupportedMediaType, fmt.Errorf("%w: want a photo or a PDF", errRequest)
	}
	up.name = fileName(up.name, up.mime)
	return up, 0, nil
}

// readParts reads the parts "file", "id", "caption", "lang", "as",
// "chat" and "reply_to", each within its limit, and counts the files.
func (c *Channel) readParts(mr *multipart.Reader) (up upload, files, status int, err error) {
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return up, files, 0, nil
		}
		if err != nil {
			return upload{}, 0, partStatus(err), fmt.Errorf("%w: %v", errRequest, err)
		}
		limit := c.maxBody
		if p.FormName() == "file" {
			limit = c.maxUpload
		}
		b, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return upload{}, 0, partStatus(err), fmt.Errorf("%w: %v", errRequest, err)
		}
		if int64(len(b)) > limit {
			return upload{}, 0, http.StatusRequestEntityTooLarge, fmt.Errorf("%w: %s too large", errRequest, p.FormName())
		}
		v := strings.ToValidUTF8(string(b), "\uFFFD")
		switch p.FormName() {
		case "file":
			files++
			up.data, up.name = b, p.FileName()
		case "id":
			up.id = v
		case "caption":
			up.caption = v
		case "lang":
			up.lang = v
		case "as":
			up.as = v
		case "chat":
			up.chat = v
		case "reply_to":
			up.replyTo = v
		}
	}
}

func partStatus(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// uploadExts are the extensions a file of each upload type may carry, the
// usual one first.
var uploadExts = map[string][]string{
	"image/jpeg":      {".jpg", ".jpeg", ".jpe"},
	"image/png":       {".png"},
	"image/gif":       {".gif"},
	"image/webp":      {".webp"},
	"application/pdf": {".pdf"},
}

// fileName is the name an upload of type mime keeps: the citizen's, fit
// to show (see cleanFileName), ending in an extension of its type. A name
// that says otherwise ("report.exe" that is a PDF) has its extension
// replaced, so that staff who open it open what it is; a name cut to fit
// keeps its extension. No name stays no name.
func fileName(name, mime string) string {
	name = cleanFileName(name)
	if name == "" {
		return ""
	}
	exts := uploadExts[mime]
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if !slices.Contains(exts, strings.ToLower(ext)) {
		stem, ext = name, ""
		if len(exts) > 0 {
			ext = exts[0]
		}
	}
	for len(stem)+len(ext) > maxFileName {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	if stem = strings.TrimSpace(stem); stem == "" && ext != name {
		return "" // cut to nothing
	}
	return stem + ext
}

// cleanFileName keeps a file name fit to show: no directories, no control
// or direction-changing characters.
func cleanFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	return strings.TrimSpace(name)
}

// firstLang is the most wanted language of an Accept-Language header.
func firstLang(header string) string {
	if tags := acceptLangs(header); len(tags) > 0 {
		return tags[0]
	}
	return ""
}
