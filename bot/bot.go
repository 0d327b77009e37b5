// Package bot is the channel-neutral core: the Message a person sends, the
// Reply we send back, the Channel that carries replies out and the Handler
// that turns one into the other. It also runs intake (deduplication and
// per-chat ordering) and the outbox (durable, rate-limited sending).
//
// Adapters (bot/telegram, bot/whatsapp, bot/web) convert platform updates to
// Messages and render Replies; nothing platform-specific lives here.
package bot

import (
	"context"
	"time"

	"github.com/shakwa/shakwa"
)

// Message is one thing a person did in a chat: typed text, pressed a button,
// shared a contact, sent a file or something we cannot read.
type Message struct {
	// ID is the platform's id of this update, unique per Channel; intake
	// drops a Message whose ID it has already handled.
	ID string
	// Channel names the adapter ("telegram", "whatsapp", "web").
	Channel string
	// Chat is where the message was written and where replies go.
	Chat string
	// Group is true when Chat is a group (a staff group), not a private chat.
	Group bool
	// From is the person who wrote it.
	From User
	// Text is the typed text or caption, as sent.
	Text string
	// Button is the Data of the button pressed, when this is a button press.
	Button string
	// ButtonToken identifies the press for a Notice (see Reply.Notice).
	ButtonToken string
	// ReplyTo is the platform id of the message this one answers, if any;
	// for a button press, of the message the button is on.
	ReplyTo string
	// Phone is set when the person shared their contact.
	Phone string
	// Attachments are the photos and documents sent with the message.
	Attachments []shakwa.Attachment
	// Album is the platform's id of the group of files this message's
	// came in (a Telegram album): each file of an album arrives as a
	// message of its own, one after the other. "" for none.
	Album string
	// Unsupported names content we cannot take (sticker, voice, video,
	// location...; "file_too_large" for a file over the file store's
	// limit); Text is empty then, but for a caption.
	Unsupported string
	// Failed, when set, is not something the person did: the platform
	// reports that a message we sent to this chat was not delivered.
	Failed *Failure
	// Time is when the platform says it was sent.
	Time time.Time
}

// Address returns where replies to m go.
func (m *Message) Address() shakwa.Address {
	return shakwa.Address{Channel: m.Channel, Chat: m.Chat}
}

// Failure is a platform's report that a message we sent was not
// delivered, or the outbox's that it gave up sending it.
type Failure struct {
	// MessageID is the platform id of the message (Sent.MessageID), or
	// "" when it never got one (refused when sent).
	MessageID string
	// Ref is our name of the message (Reply.Ref), when known.
	Ref string
	// Code is the platform's error code; Reason its words, for staff
	// and logs: what the error is (its code, its title), never the
	// platform's account of the case, which may name the person's
	// number or repeat their words.
	Code   int
	Reason string
	// Blocked is set when the person cannot be reached at all (not on
	// the platform, blocked the bot), rather than for this message only.
	Blocked bool
	// NotTaken is set when the platform does not take a file the message
	// carried (see ErrNotTaken).
	NotTaken bool
}

// User is the sender of a Message.
type User struct {
	ID   string // platform user id
	Name string // display name, for staff cards; may be empty
	Lang string // the platform's language hint (IETF tag), may be empty
}

// Button is one choice offered with a Reply. Data comes back in
// Message.Button when pressed; it is at most 64 bytes.
type Button struct {
	Label string
	// Short is a shorter label, for a channel where Label does not fit
	// (WhatsApp's buttons hold 20 characters); "" when there is none.
	Short string `json:",omitempty"`
	Data  string
	// Nav marks a choice that leaves the question (back, cancel): a
	// channel that shows a long list in pages (WhatsApp) shows it on
	// every page.
	Nav bool `json:",omitempty"`
}

// Reply is one message to send. It is channel-neutral: Telegram renders
// Buttons as an inline keyboard, WhatsApp as up to 3 reply buttons or a list
// of up to 10 rows, the web chat as HTML buttons.
type Reply struct {
	// Channel and Chat address the message.
	Channel string `json:"channel"`
	Chat    string `json:"chat"`
	// Text is the message, already in the reader's language.
	Text string `json:"text"`
	// Lang is that language ("ar", "en"), for the words a channel adds of
	// its own (a list's button, a template): "" is the default.
	Lang string `json:"lang,omitempty"`
	// Buttons are rows of choices; channels that cannot show rows flatten them.
	Buttons [][]Button `json:"buttons,omitempty"`
	// AskContact offers a one-tap "share my phone number" where the channel
	// has one; ContactLabel labels it.
	AskContact   bool   `json:"ask_contact,omitempty"`
	ContactLabel string `json:"contact_label,omitempty"`
	// DropKeyboard takes away the contact keyboard a question of the
	// person's showed, where it is the channel's own (Telegram): the
	// question it offered it for was answered.
	DropKeyboard bool `json:"drop_keyboard,omitempty"`
	// Attachments are files sent after Text. The outbox readies them for
	// the Reply's channel: a file from another channel comes with the id
	// it has on this one, or with its content in the file store (File) for
	// the channel to upload.
	Attachments []shakwa.Attachment `json:"attachments,omitempty"`
	// Ref names this message so a later Reply can Edit it and an inbound
	// Message.ReplyTo can be traced back to it (e.g. "card:KRM-000123").
	Ref string `json:"ref,omitempty"`
	// Edit replaces the message previously sent with the same Ref in this
	// chat, when the channel can; otherwise a new message is sent.
	Edit bool `json:"edit,omitempty"`
	// EditOf, with Edit, is the platform id of the message to replace, in
	// place of the one Ref names: the question whose button was pressed,
	// which the answer to the press replaces (see Message.ReplyTo).
	EditOf string `json:"edit_of,omitempty"`
	// Queued is when what a reply with a Ref says was so (Unix
	// nanoseconds): the caller's version of it (a ticket's last change,
	// for its card), or, unset, when the outbox queued it. An edit of a
	// message that a later version has changed already is dropped,
	// whichever lanes they went by. One message's versions must all come
	// from one clock.
	Queued int64 `json:"queued,omitempty"`
	// Trail marks a trailing part of a longer reply (see Splitter): a reply
	// to it traces back to Ref, but Ref still names the part that carries
	// the buttons.
	Trail bool `json:"trail,omitempty"`
	// Notice is a short answer to the button press ButtonToken, shown to the
	// presser only (Telegram: a callback answer). Text is the notice.
	Notice      bool   `json:"notice,omitempty"`
	ButtonToken string `json:"button_token,omitempty"`
	// Priority is the lane it goes out in. Intake sets Notify on what an
	// update sends to other chats than its own; the job runner sets Bulk.
	Priority Priority `json:"-"`
}

// Sent is what a Channel returns for a delivered Reply.
type Sent struct {
	// MessageID is the platform id of the message sent (or edited).
	MessageID string
	// Uploads are the platform ids of the files the Channel uploaded for
	// this Reply, by their content id (Attachment.File): the outbox
	// remembers them, so that each file is uploaded to a channel once.
	Uploads map[string]string
}

// Channel delivers Replies to one platform.
type Channel interface {
	// Name is the channel's name as used in Message.Channel.
	Name() string
	// Send delivers r. editID, when not empty, is the platform id of the
	// message to replace (see Reply.Edit). Errors that may pass (rate limits,
	// 5xx, network) are wrapped in a *RetryError; others are permanent.
	Send(ctx context.Context, r Reply, editID string) (Sent, error)
}

// RetryError marks a send failure worth retrying, optionally after a delay
// the platform asked for. A wait (After > 0) is no failure of the message:
// it does not count towards the outbox's MaxAttempts. Scope says whom the
// wait holds back.
type RetryError struct {
	After time.Duration
	Scope Scope
	Err   error
}

// Scope is whom a platform's wait (RetryError.After) holds back.
type Scope int

const (
	// ScopeUnsaid is a wait that does not say which limit it is (a
	// Telegram 429): the chat waits, all its lanes, and the bot's bulk
	// with it, across the fleet.
	ScopeUnsaid Scope = iota
	// ScopeChat is a limit on messages to one person (WhatsApp's pair
	// rate limit): only the chat waits.
	ScopeChat
	// ScopeChannel is the channel's own limit or block (the business
	// number's throughput, an account blocked for a while): every chat of
	// the channel waits, across the fleet.
	ScopeChannel
)

func (e *RetryError) Error() string { return "retry: " + e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// Responder collects the Replies a Handler makes for one Message, or a
// JobHandler for one job.
type Responder interface {
	// Reply adds r to the replies.
	Reply(r Reply)
	// Fail says the work could not be done for a reason that may pass
	// (storage unreachable). Intake then drops the replies and has the
	// platform deliver the Message again, a few times (counted in the
	// store, whichever process handles it); after that the replies (an
	// apology) are sent and the Message counts as handled. The job runner
	// runs the job again later.
	Fail(err error)
	// Undo has f run when the replies are dropped rather than queued
	// (the work is to be done again, or was not done): f gives back what
	// the work took for them, such as its share of work taken from others
	// (see storage's Take).
	Undo(f func(context.Context))
}

// Handler responds to Messages.
//
// Intake calls Handle for one Message at a time per chat, in arrival order,
// across every process that shares the intake store; different chats are
// handled concurrently. The Message belongs to the Handler for the
// duration of the call only. Replies written to w are queued to the outbox
// together, after Handle returns, unless Handle calls w.Fail (see
// Responder). ctx carries the update's deadline, and ends early if the
// update's turn is lost (this process stalled and a copy of the update is
// handled elsewhere). A panic in Handle is recovered by intake, logged,
// and the person gets nothing; the Message is not retried.
type Handler interface {
	Handle(ctx context.Context, w Responder, m *Message)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, w Responder, m *Message)

// Handle calls f(ctx, w, m).
func (f HandlerFunc) Handle(ctx context.Context, w Responder, m *Message) { f(ctx, w, m) }

// Middleware wraps a Handler.
type Middleware func(Handler) Handler

// Replies is a Responder that keeps what it is given, in order.
type Replies struct {
	List []Reply
	Err  error // the first Fail
	undo []func(context.Context)
}

// Reply appends r.
func (rs *Replies) Reply(r Reply) { rs.List = append(rs.List, r) }

// Undo records f, for Dropped.
func (rs *Replies) Undo(f func(context.Context)) { rs.undo = append(rs.undo, f) }

// Dropped runs what Undo recorded, latest first, once: the replies will
// not be queued. It runs under a deadline of its own, the work's may have
// passed.
func (rs *Replies) Dropped(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for i := len(rs.undo) - 1; i >= 0; i-- {
		rs.undo[i](ctx)
	}
	rs.undo = nil
}

// Fail records err, if it is the first.
func (rs *Replies) Fail(err error) {
	if rs.Err == nil {
		rs.Err = err
	}
}
