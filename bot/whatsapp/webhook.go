package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// signatureHeader carries Meta's signature of a notification's body.
const signatureHeader = "X-Hub-Signature-256"

// WebhookHandler returns the handler of Meta's webhook; where it is mounted
// is the caller's business (WHATSAPP_WEBHOOK_PATH). It answers:
//
//   - GET, Meta's verification: 200 with hub.challenge when hub.mode is
//     subscribe and hub.verify_token is ours (compared in constant time),
//     403 otherwise;
//   - POST without a signature, or with one that is not the HMAC-SHA256 of
//     the raw body under the app secret: 401, before the body is parsed;
//   - a body over 4 MB: 413; one that is not a notification: 400;
//   - 500 when a message could not be made safe for a reason that may
//     pass (our storage, a person's line full, and without a Line, Meta
//     failing for a while to hand out media, or a refused token):
//     Meta sends the notification again, and what was delivered already
//     is dropped as a copy. What can never be done is no reason: media
//     Meta will not hand out goes to the bot marked unavailable (or too
//     large), and a page of a long list Meta will not take goes to the
//     bot as an old button;
//   - 200 once every message and delivery report of the notification is
//     safe: delivered, or queued in its sender's line (Config.Line), which
//     a message with media always is, so that its download never holds
//     the answer back; and at once for what the bot does not take (reactions, system
//     messages, other fields, another business number).
//   - 405 to other methods.
func (c *Channel) WebhookHandler() http.Handler {
	return http.HandlerFunc(c.serveWebhook)
}

func (c *Channel) serveWebhook(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		c.verify(w, r)
	case http.MethodPost:
		c.notification(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// verify answers Meta's subscription handshake.
func (c *Channel) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || subtle.ConstantTimeCompare([]byte(token), []byte(c.cfg.VerifyToken)) != 1 {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, q.Get("hub.challenge"))
}

// signed reports whether sig is the signature of body.
func (c *Channel) signed(body []byte, sig string) bool {
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, []byte(c.cfg.AppSecret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

func (c *Channel) notification(w http.ResponseWriter, r *http.Request) {
	sig := r.Header.Get(signatureHeader)
	if sig == "" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotification))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "notification too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read notification", http.StatusBadRequest)
		return
	}
	if !c.signed(body, sig) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	n, err := decodeNotification(body)
	if err != nil {
		http.Error(w, "malformed notification", http.StatusBadRequest)
		return
	}
	// Handled to the end even if Meta hangs up: half a notification is
	// worse than an answer nobody reads. Intake bounds each delivery.
	if err := c.handle(context.WithoutCancel(r.Context()), n); err != nil {
		c.log.Warn("notification not accepted; meta will send it again", "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handle makes every message and report of n safe, in order; it stops at
// the first that is not, so that a sender's later messages never overtake
// it.
func (c *Channel) handle(ctx context.Context, n *notification) error {
	for _, v := range n.values() {
		if v.Metadata.PhoneNumberID != c.cfg.PhoneID {
			c.log.Warn("notification for another business number ignored")
			continue
		}
		for _, e := range v.Errors {
			// By code only: Meta's words may repeat what was sent.
			c.log.Error("whatsapp reported an error for the business number", "code", e.Code)
			if c.cfg.Reported != nil {
				c.cfg.Reported(e.Code)
			}
		}
		for _, m := range v.Messages {
			if err := c.inbound(ctx, v, m); err != nil {
				return err
			}
		}
		for _, s := range v.Statuses {
			if err := c.status(ctx, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// inbound makes one message safe: the person's window is recorded as
// open first (what is owed to them may go, and the answer to this message
// must not be taken for owed), then the message is delivered and, once it
// is, marked as read. With a Line, a message with media, and any message
// of a person whose line holds something, is queued in their line
// instead, to be delivered in order once its media are kept. A press of
// next or previous in a long list is answered here, with the page, unless
// it cannot be.
func (c *Channel) inbound(ctx context.Context, v value, in message) error {
	if in.From == "" {
		// Meta is rolling out business-scoped user ids: a person with a
		// username may write with no phone number in "from". Their chat
		// would be "", one for all of them; until the bot can address
		// them, the message is dropped and counted, and nothing of the
		// person is logged.
		n := c.noSender.Add(1)
		c.log.Warn("inbound message without a sender phone number skipped; not delivered", "type", in.Type, "skipped", n)
		return nil
	}
	if in.Type == "button" {
		// A press of the template's quick-reply button (the bot sends no
		// other template): the person took up the invitation. Their window
		// is open again and what was owed follows; the press itself asks
		// nothing of the bot, which would take it for an old button.
		if err := c.cfg.Outbox.Wrote(ctx, Name+":"+in.From, when(in.Timestamp)); err != nil {
			return err
		}
		c.read(in.ID)
		return nil
	}
	if id, ok := in.pageTurn(); ok {
		answered, err := c.turnPage(ctx, in, id)
		if answered || err != nil {
			return err
		}
		// A list older than its pages, or a page Meta would not take: the
		// press goes to the bot, which says the buttons are old and shows
		// where to start.
	}
	if c.cfg.Line != nil {
		if queued, err := c.queue(ctx, v, in); queued || err != nil {
			return err
		}
	}
	m, err := c.toMessage(ctx, v, in, false)
	if err != nil || m == nil {
		return err
	}
	if err := c.cfg.Outbox.Wrote(ctx, Name+":"+in.From, when(in.Timestamp)); err != nil {
		return err
	}
	if err := c.deliver(ctx, m); err != nil {
		return err
	}
	c.read(in.ID)
	return nil
}

// seenPrefix names, in the PageStore, the page turns answered already.
// They are kept as long as the pages: a copy that comes later finds no
// page either, and goes to the bot, whose intake drops copies.
const seenPrefix = "seen:"

// turnPage answers in, a press of the next or previous row id, with its
// page, once: Meta may deliver a message twice, and a page turn never
// reaches the bot's own check for copies. It reports whether the press is
// answered; when it is not (a list no longer kept, a page Meta will not
// take), the press is for the bot. An error is one that may pass (our
// storage, Meta for a while, a refused token): Meta is to send it again.
func (c *Channel) turnPage(ctx context.Context, in message, id string) (bool, error) {
	if err := c.cfg.Outbox.Wrote(ctx, Name+":"+in.From, when(in.Timestamp)); err != nil {
		return false, err
	}
	// The press is marked before its page goes, in one step, so that of
	// copies arriving together one sends it; the mark goes again when the
	// page did not, for Meta's next copy or for the bot.
	seen := seenPrefix + in.ID
	if in.ID != "" {
		mine, err := c.cfg.Pages.TakePage(ctx, seen, window)
		if err != nil {
			return false, &bot.RetryError{Err: fmt.Errorf("whatsapp: page turn: %w", err)}
		}
		if !mine {
			return true, nil // answered, or being answered, by another copy
		}
	}
	unmark := func() {
		if in.ID == "" {
			return
		}
		if err := c.cfg.Pages.DropPage(context.WithoutCancel(ctx), seen); err != nil {
			c.log.Warn("page turn mark not dropped; a copy of the press is taken for answered", "err", err)
		}
	}
	err := c.sendPage(ctx, in.From, id)
	if err != nil {
		unmark()
	}
	switch {
	case err == nil:
	case temporary(err):
		return false, err
	case errors.Is(err, shakwa.ErrNotFound) || errors.Is(err, shakwa.ErrInvalid):
		return false, nil
	default:
		c.log.Warn("long list page refused; the press goes to the bot", graphAttrs(err)...)
		return false, nil
	}
	c.read(in.ID)
	return true, nil
}
