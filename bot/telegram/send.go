package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// Send renders r:
//
//   - a Notice answers the button press r.ButtonToken (answerCallbackQuery)
//     with Text cut to Telegram's 200 characters; a press Telegram no longer
//     accepts an answer for is not an error;
//   - with editID, the message is edited in place (editMessageText with its
//     inline keyboard); an unchanged message counts as edited, and one that
//     cannot be edited any more is sent anew;
//   - otherwise Text goes out as plain text, split into several messages when
//     longer than Telegram allows, Buttons as an inline keyboard on the last
//     one; AskContact shows a one-time keyboard with a "share my number"
//     button (and the Buttons as plain keyboard buttons); a message with
//     neither removes any keyboard left from before;
//   - Attachments follow as photos or documents by file id; a single one
//     with a short text (a caption, at most 1,024 UTF-16 units) goes as one
//     message, the text its caption;
//   - a Trail part (see Split) has no keyboard.
//
// The outbox hands Send the parts Split made, so that each is retried on
// its own; Send still splits a long text it is given whole.
//
// The returned MessageID is that of the message carrying the buttons (the
// last text part, or the last attachment when there is no text). Rate
// limits, 5xx and network failures come back as *bot.RetryError; a bad
// chat id, a blocked bot or a missing chat are permanent errors. A group
// that became a supergroup is sent to at its new id (see sendTo).
func (c *Channel) Send(ctx context.Context, r bot.Reply, editID string) (bot.Sent, error) {
	if r.Channel != "" && r.Channel != Name {
		return bot.Sent{}, fmt.Errorf("telegram: reply for channel %q: %w", r.Channel, shakwa.ErrInvalid)
	}
	if r.Notice {
		return bot.Sent{}, c.notice(ctx, r)
	}
	chatID, err := strconv.ParseInt(r.Chat, 10, 64)
	if err != nil {
		return bot.Sent{}, fmt.Errorf("telegram: chat id is not a number: %w", shakwa.ErrInvalid)
	}
	text := strings.TrimSpace(r.Text)
	if text == "" && len(r.Attachments) == 0 {
		return bot.Sent{}, fmt.Errorf("telegram: empty reply: %w", shakwa.ErrInvalid)
	}
	if editID != "" && text != "" && !r.AskContact && utf16Len(text) <= maxText {
		sent, ok, err := c.edit(ctx, chatID, editID, text, r.Buttons)
		if err != nil {
			return bot.Sent{}, err
		}
		if ok {
			sent.Uploads = map[string]string{}
			return sent, c.attach(ctx, chatID, r.Attachments, "", nil, nil, sent.Uploads)
		}
	}
	sent := bot.Sent{Uploads: map[string]string{}}
	if captioned(r, text) {
		var markup models.ReplyMarkup
		if !r.Trail {
			markup = replyMarkup(r)
		}
		return sent, c.attach(ctx, chatID, r.Attachments, text, markup, &sent, sent.Uploads)
	}
	parts := splitText(text, maxText)
	for i, part := range parts {
		var markup models.ReplyMarkup
		if i == len(parts)-1 && !r.Trail {
			markup = replyMarkup(r)
		}
		buttonsAfter := false
		if _, inline := markup.(inlineMarkup); inline && r.DropKeyboard {
			// One message cannot take the contact keyboard away and carry
			// inline buttons: it takes it away, and gets them by an edit.
			markup, buttonsAfter = &models.ReplyKeyboardRemove{RemoveKeyboard: true}, true
		}
		var msg *models.Message
		err := c.sendTo(chatID, func(chat int64) (err error) {
			msg, err = c.api.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: chat, Text: part, ReplyMarkup: markup})
			return err
		})
		if err != nil {
			return bot.Sent{}, fmt.Errorf("telegram: sendMessage: %w", classify(err))
		}
		sent.MessageID = strconv.Itoa(msg.ID)
		if buttonsAfter {
			c.buttonsAfter(ctx, chatID, msg.ID, r.Buttons)
		}
	}
	if len(parts) > 0 {
		return sent, c.attach(ctx, chatID, r.Attachments, "", nil, nil, sent.Uploads)
	}
	// No text: the files carry the keyboard and the id.
	var markup models.ReplyMarkup
	if !r.Trail {
		markup = replyMarkup(r)
	}
	return sent, c.attach(ctx, chatID, r.Attachments, "", markup, &sent, sent.Uploads)
}

// buttonsAfter puts buttons on message id, sent without them. Asked to
// wait a little, it waits once; failing, the message stays as it is,
// never sent twice: its words ("confirm", "edit") can be typed too.
func (c *Channel) buttonsAfter(ctx context.Context, chatID int64, id int, buttons [][]bot.Button) {
	edit := func() error {
		return c.sendTo(chatID, func(chat int64) error {
			_, err := c.api.EditMessageReplyMarkup(ctx, &tgbot.EditMessageReplyMarkupParams{ChatID: chat, MessageID: id,
				ReplyMarkup: inlineKeyboard(buttons)})
			return err
		})
	}
	err := edit()
	var re *bot.RetryError
	if err != nil && errors.As(classify(err), &re) && re.After <= 5*time.Second {
		select {
		case <-time.After(max(re.After, 500*time.Millisecond)):
			err = edit()
		case <-ctx.Done():
		}
	}
	if err != nil {
		c.log.Warn("buttons not put on a message", "err", classify(err))
	}
}

// maxCaption is the longest caption Telegram takes, in UTF-16 units.
const maxCaption = 1024

// captioned reports whether r, with its text trimmed to text, goes as one
// file with the text as its caption: one attachment, a text that fits, and
// no contact keyboard (which a file cannot carry).
func captioned(r bot.Reply, text string) bool {
	return len(r.Attachments) == 1 && text != "" && utf16Len(text) <= maxCaption && !r.AskContact
}

// Telegram's limits on a message's text and on a callback answer, in
// UTF-16 code units.
const (
	maxText   = 4096
	maxNotice = 200
)

// noticeText is text cut to what a callback answer holds.
func noticeText(text string) string {
	if utf16Len(text) > maxNotice {
		text = text[:backOffMarks(text, prefixWithin(text, maxNotice))]
	}
	return text
}

func (c *Channel) notice(ctx context.Context, r bot.Reply) error {
	_, err := c.api.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{
		CallbackQueryID: r.ButtonToken,
		Text:            noticeText(r.Text),
	})
	if err != nil && errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "query is too old") {
		return nil // the spinner is long gone; nobody is waiting for this
	}
	if err != nil {
		return fmt.Errorf("telegram: answerCallbackQuery: %w", classify(err))
	}
	return nil
}

// edit replaces the text and inline keyboard of message editID. ok is false
// when the message cannot be edited and a new one must be sent instead.
func (c *Channel) edit(ctx context.Context, chatID int64, editID, text string, buttons [][]bot.Button) (sent bot.Sent, ok bool, err error) {
	msgID, err := strconv.Atoi(editID)
	if err != nil {
		return bot.Sent{}, false, nil
	}
	params := &tgbot.EditMessageTextParams{ChatID: chatID, MessageID: msgID, Text: text}
	if len(buttons) > 0 {
		params.ReplyMarkup = inlineKeyboard(buttons)
	}
	err = c.sendTo(chatID, func(chat int64) error {
		params.ChatID = chat
		_, err := c.api.EditMessageText(ctx, params)
		return err
	})
	switch {
	case err == nil, isBadRequest(err, "message is not modified"):
		return bot.Sent{MessageID: editID}, true, nil
	case isBadRequest(err, "message to edit not found", "message can't be edited",
		"MESSAGE_ID_INVALID", "there is no text in the message to edit"):
		return bot.Sent{}, false, nil
	}
	return bot.Sent{}, false, fmt.Errorf("telegram: editMessageText %s: %w", editID, classify(err))
}

// attach sends files after the text. markup, when not nil, goes on the last
// one and sent, when not nil, takes its id. Files of this channel go by
// their file id; files from other channels are uploaded from the file
// store, and their new file ids added to uploads.
func (c *Channel) attach(ctx context.Context, chatID int64, atts []shakwa.Attachment, caption string, markup models.ReplyMarkup, sent *bot.Sent, uploads map[string]string) error {
	for i, a := range atts {
		var m models.ReplyMarkup
		if i == len(atts)-1 {
			m = markup
		}
		var msg *models.Message
		var method string
		var fileErr error
		uploaded := false
		err := c.sendTo(chatID, func(chat int64) error {
			// Opened for each try: a second one to a supergroup uploads
			// the bytes again.
			file, upload, err := c.inputFile(ctx, a)
			if err != nil {
				fileErr = err
				return err
			}
			if upload != nil {
				defer upload.Close()
				uploaded = true
			}
			msg, method, err = c.sendFile(ctx, chat, a, file, caption, m)
			return err
		})
		if fileErr != nil {
			return fileErr
		}
		if err != nil {
			return fmt.Errorf("telegram: %s: %w", method, classify(err))
		}
		if sent != nil {
			sent.MessageID = strconv.Itoa(msg.ID)
		}
		if uploaded {
			if id := fileIDOf(msg); id != "" {
				uploads[a.File] = id
			}
		}
	}
	return nil
}

// maxPhotoUpload is the largest photo Telegram takes as a photo; larger
// ones go as documents.
const maxPhotoUpload = 10 << 20

// sendFile sends one file as a photo or a document.
func (c *Channel) sendFile(ctx context.Context, chatID int64, a shakwa.Attachment, file models.InputFile, caption string, m models.ReplyMarkup) (*models.Message, string, error) {
	if a.Kind == "photo" && a.Size <= maxPhotoUpload {
		msg, err := c.api.SendPhoto(ctx, &tgbot.SendPhotoParams{ChatID: chatID, Photo: file, Caption: caption, ReplyMarkup: m})
		return msg, "sendPhoto", err
	}
	msg, err := c.api.SendDocument(ctx, &tgbot.SendDocumentParams{ChatID: chatID, Document: file, Caption: caption, ReplyMarkup: m})
	return msg, "sendDocument", err
}

// inputFile is how a goes to Telegram: by its file id when it is one of
// ours, else uploaded from the file store (upload is then to be closed).
func (c *Channel) inputFile(ctx context.Context, a shakwa.Attachment) (models.InputFile, io.Closer, error) {
	if a.From == "" || a.From == Name {
		return &models.InputFileString{Data: a.ID}, nil, nil
	}
	if c.files == nil || a.File == "" {
		return nil, nil, fmt.Errorf("telegram: a %s file with no bytes to upload: %w", a.From, shakwa.ErrNotFound)
	}
	rc, mimeType, _, err := c.files.Open(ctx, a.File)
	if err != nil {
		if errors.Is(err, shakwa.ErrNotFound) {
			return nil, nil, fmt.Errorf("telegram: upload: %w", err)
		}
		return nil, nil, &bot.RetryError{Err: fmt.Errorf("telegram: upload: %w", err)}
	}
	return &models.InputFileUpload{Filename: uploadName(a, mimeType), Data: rc}, rc, nil
}

// uploadName names an uploaded file: its own name, else one from its type.
func uploadName(a shakwa.Attachment, mimeType string) string {
	if a.Name != "" {
		return a.Name
	}
	ext := ".bin"
	if exts, _ := mime.ExtensionsByType(mimeType); len(exts) > 0 {
		ext = exts[0]
	}
	switch mimeType {
	case "image/jpeg":
		ext = ".jpg"
	case "audio/ogg":
		ext = ".ogg"
	}
	return a.Kind + ext
}

// fileIDOf is the file id Telegram gave a file it was sent: the largest
// size of a photo, or the document.
func fileIDOf(m *models.Message) string {
	switch {
	case m == nil:
		return ""
	case len(m.Photo) > 0:
		best := m.Photo[0]
		for _, p := range m.Photo[1:] {
			if p.Width*p.Height >= best.Width*best.Height {
				best = p
			}
		}
		return best.FileID
	case m.Document != nil:
		return m.Document.FileID
	}
	return ""
}

// inlineButton and inlineMarkup are our own encoding of an inline keyboard:
// the library's InlineKeyboardButton always serialises an empty copy_text
// object next to callback_data.
type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

type inlineMarkup struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

func inlineKeyboard(rows [][]bot.Button) inlineMarkup {
	kb := inlineMarkup{InlineKeyboard: make([][]inlineButton, 0, len(rows))}
	for _, row := range rows {
		if len(row) == 0 {
			continue
		}
		r := make([]inlineButton, len(row))
		for i, b := range row {
			r[i] = inlineButton{Text: b.Label, CallbackData: b.Data}
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, r)
	}
	return kb
}

// replyMarkup is the keyboard of r's last message.
func replyMarkup(r bot.Reply) models.ReplyMarkup {
	switch {
	case r.AskContact:
		kb := [][]models.KeyboardButton{{{Text: r.ContactLabel, RequestContact: true}}}
		for _, row := range r.Buttons {
			if len(row) == 0 {
				continue
			}
			kr := make([]models.KeyboardButton, len(row))
			for i, b := range row {
				kr[i] = models.KeyboardButton{Text: b.Label}
			}
			kb = append(kb, kr)
		}
		return &models.ReplyKeyboardMarkup{Keyboard: kb, ResizeKeyboard: true, OneTimeKeyboard: true}
	case len(r.Buttons) > 0:
		return inlineKeyboard(r.Buttons)
	case r.Priority != bot.Answer && !r.DropKeyboard:
		// Not the answer to what the person just sent (a staff member's
		// words, a reminder): the phone keyboard a question of theirs
		// shows stays.
		return nil
	}
	return &models.ReplyKeyboardRemove{RemoveKeyboard: true}
}

// tokenWait is how long a refused token holds the channel's sends, and
// its polling, back before the next try.
const tokenWait = time.Minute

// classify marks err as worth retrying (rate limit, 5xx, network, a
// cancelled call) or leaves it permanent (the Bot API refused the call).
func classify(err error) error {
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return &bot.RetryError{After: time.Duration(tooMany.RetryAfter) * time.Second, Err: err}
	}
	if errors.Is(err, tgbot.ErrorForbidden) && (strings.Contains(err.Error(), "blocked by the user") ||
		strings.Contains(err.Error(), "user is deactivated")) {
		// The person blocked the bot or deleted their account: nothing
		// sent to them will arrive until they write again.
		return fmt.Errorf("%w: %w", bot.ErrUnreachable, err)
	}
	if errors.Is(err, tgbot.ErrorUnauthorized) {
		// The token was revoked (or the bot deleted): nothing goes until
		// it is mended, and nothing queued is lost meanwhile. The channel
		// says it is degraded (sendTo), and /readyz with it.
		return &bot.RetryError{After: tokenWait, Scope: bot.ScopeChannel, Err: err}
	}
	var migrated *tgbot.MigrateError
	for _, permanent := range []error{tgbot.ErrorBadRequest, tgbot.ErrorForbidden,
		tgbot.ErrorNotFound, tgbot.ErrorConflict} {
		if errors.Is(err, permanent) {
			return err
		}
	}
	if errors.As(err, &migrated) {
		return err // sendTo has tried the new id already
	}
	// The library reports 5xx, undecodable answers and transport failures
	// with no sentinel: all are worth another try.
	return &bot.RetryError{Err: err}
}

// isBadRequest reports whether err is a 400 whose description contains one
// of the given phrases.
func isBadRequest(err error, phrases ...string) bool {
	if !errors.Is(err, tgbot.ErrorBadRequest) {
		return false
	}
	for _, p := range phrases {
		if strings.Contains(err.Error(), p) {
			return true
		}
	}
	return false
}
