package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/shakwa/shakwa/bot"
)

// maxUpdateBytes bounds a webhook request body. Updates are a few KiB.
const maxUpdateBytes = 1 << 20

// secretHeader carries the secret given to setWebhook on every webhook call.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// WebhookHandler returns the handler for Telegram's webhook requests; where
// it is mounted is the caller's business. It answers:
//
//   - 405 to anything but POST;
//   - 401 when the secret header is missing or wrong (or no secret is
//     configured), before reading the body;
//   - 413 to a body over 1 MiB, 400 to one that is not an Update;
//   - 500 when Deliver fails, so that Telegram sends the update again;
//   - 200 once Deliver accepted the update, or at once for updates the
//     adapter does not take (edits, member changes, service messages...);
//     the answer to a button press comes in its body, as the method call
//     answerCallbackQuery that Telegram makes of it (see bot.InlineAnswer).
func (c *Channel) WebhookHandler() http.Handler {
	return http.HandlerFunc(c.serveWebhook)
}

func (c *Channel) serveWebhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(secretHeader)
	if c.secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.secret)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read update", http.StatusBadRequest)
		return
	}
	u, err := decodeUpdate(body)
	if err != nil {
		http.Error(w, "malformed update", http.StatusBadRequest)
		return
	}
	c.noteMigration(u)
	m := toMessage(u, c.username, c.now())
	if m == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	// Handled to the end even if Telegram hangs up: half an update is worse
	// than an answer nobody reads. Intake bounds it with its own timeout.
	ctx, answer := bot.WithInlineAnswer(context.WithoutCancel(r.Context()))
	if err := c.deliver(ctx, m); err != nil {
		c.log.Warn("update not accepted; telegram will resend it", "update", u.UpdateID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	if a, ok := answer.Reply(); ok {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"method": "answerCallbackQuery",
			"callback_query_id": a.ButtonToken, "text": noticeText(a.Text)})
		return
	}
	w.WriteHeader(http.StatusOK)
}
