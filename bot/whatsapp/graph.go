package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shakwa/shakwa/bot"
)

// GraphError is an error answer of the Graph API, or the error of a
// delivery report, in Meta's shape.
type GraphError struct {
	Status  int    // HTTP status; 0 for a delivery report
	Code    int    `json:"code"` // Meta's code; -1 for an answer not in Meta's shape
	Title   string `json:"message"`
	Details string
	// RetryAfter is how long the answer's Retry-After header asked us to
	// wait; 0 when it asked nothing.
	RetryAfter time.Duration
}

// Error names the error by its code and status only: Meta's words (Title,
// Details) may repeat what was sent, a number or a person's text, and an
// error ends up in logs and dead letters.
func (e *GraphError) Error() string {
	return fmt.Sprintf("graph error %d (HTTP %d)", e.Code, e.Status)
}

// Codes worth another try (rate limits, passing faults) and the window's.
// Others are permanent.
var (
	retryCodes = map[int]bool{
		1: true, 2: true, 4: true, 80007: true, 130429: true, 131000: true,
		131016: true, 131056: true, 131057: true, 133004: true,
	}
	// blockedCodes mean the person cannot be reached on WhatsApp at all.
	blockedCodes = map[int]bool{131026: true, 131021: true}
)

const (
	windowCode = 131047
	// tokenCode is OAuthException: the access token is invalid or has
	// expired. Code 0 (AuthException) is not taken for it: Meta gives it
	// to other refusals too, and a channel reported degraded for nothing
	// would have someone renew a token that works.
	tokenCode = 190
	// spamCode is Meta's spam rate limit: too many of the number's
	// messages were blocked or reported lately. It lifts slowly.
	spamCode = 131048
)

// How long to leave what Meta's rate limits refused: the pair rate limit
// (one message every six seconds to one person, on average), and the spam
// rate limit (minutes at least; trying sooner only counts against us).
const (
	pairLimitWait = 6 * time.Second
	spamLimitWait = 5 * time.Minute
)

// Deadlines of Graph API calls, each within the caller's own: the answer
// to a JSON call comes in seconds or not at all, while a file of up to
// 100 MB takes its time over a slow link.
const (
	callTimeout  = 30 * time.Second
	mediaTimeout = 2 * time.Minute
)

// errUndecodable marks a 2xx answer we could not read: Meta did what was
// asked, only its answer is lost.
var errUndecodable = errors.New("undecodable answer")

// errToken marks a call refused for the access token.
var errToken = errors.New("access token refused")

// classify says what an error means to the outbox: the window is closed
// (bot.ErrWindowClosed), worth another try (*bot.RetryError), or
// permanent. A refused token (errToken) degrades the channel.
func (c *Channel) classify(err error) error {
	var ge *GraphError
	if !errors.As(err, &ge) {
		return &bot.RetryError{Err: err} // transport: try again
	}
	switch {
	case ge.Code == windowCode:
		return fmt.Errorf("%w: %w", bot.ErrWindowClosed, err)
	case ge.Code == tokenCode || ge.Status == http.StatusUnauthorized:
		c.degrade(err)
		return fmt.Errorf("whatsapp: %w: %w", errToken, err)
	case ge.Code == 131056:
		return &bot.RetryError{After: max(pairLimitWait, ge.RetryAfter), Err: err}
	case ge.Code == spamCode:
		return &bot.RetryError{After: max(spamLimitWait, ge.RetryAfter), Err: err}
	case retryCodes[ge.Code] || passing(ge.Status):
		return &bot.RetryError{After: ge.RetryAfter, Err: err}
	}
	return err
}

// passing reports whether an HTTP status is one of a fault that passes:
// a timeout, too many requests, or the server's (or a proxy's) own.
func passing(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// degradation is why the channel cannot send.
type degradation struct{ err error }

// degrade records that Meta refused the access token, said in the log
// once until it is accepted again.
func (c *Channel) degrade(err error) {
	if c.degraded.Swap(&degradation{fmt.Errorf("whatsapp: access token refused: %w", err)}) == nil {
		c.log.Error("whatsapp access token refused; renew WHATSAPP_TOKEN", "err", err)
	}
}

// healthy records that Meta accepted the access token: whatever was
// refused before, the token works now.
func (c *Channel) healthy() {
	if c.degraded.Load() != nil && c.degraded.Swap(nil) != nil {
		c.log.Info("whatsapp access token accepted again")
	}
}

// call makes a Graph API request, within callTimeout, and decodes the
// answer into out (nil to drop it). Error answers are *GraphError;
// transport failures are returned as they are, without the URL; a 2xx
// answer that cannot be read wraps errUndecodable.
func (c *Channel) call(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, body)
	if err != nil {
		return fmt.Errorf("whatsapp: build request: %w", err)
	}
	return c.do(req, contentType, out)
}

// do makes req, whose context bounds it, as call says.
func (c *Channel) do(req *http.Request, contentType string, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("whatsapp: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return graphError(resp, data, c.now())
	}
	c.healthy()
	if err != nil {
		return fmt.Errorf("whatsapp: %w: %w", errUndecodable, unwrapURL(err))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("whatsapp: %w: %w", errUndecodable, err)
	}
	return nil
}

// graphError is the *GraphError of an error answer: Meta's own, or, for
// a body not in Meta's shape (a proxy's page, a cut answer), one with
// code -1 and the HTTP status's words.
func graphError(resp *http.Response, data []byte, now time.Time) *GraphError {
	ge := &GraphError{Status: resp.StatusCode, Code: -1, Title: http.StatusText(resp.StatusCode),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	var e struct {
		Error struct {
			Message   string `json:"message"`
			Code      int    `json:"code"`
			ErrorData struct {
				Details string `json:"details"`
			} `json:"error_data"`
		} `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
		ge.Code, ge.Title, ge.Details = e.Error.Code, e.Error.Message, e.Error.ErrorData.Details
	}
	return ge
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date after
// now. Anything else asks nothing.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// graphAttrs are the log attributes of err: a Graph API error's status
// and code only, since Meta's words may repeat what was sent (a number, a
// person's text); other errors are ours, and logged whole.
func graphAttrs(err error) []any {
	var ge *GraphError
	if errors.As(err, &ge) {
		return []any{"status", ge.Status, "code", ge.Code}
	}
	return []any{"err", err}
}

// unwrapURL drops the *url.Error around a transport failure: its text
// has the URL, which for a media download holds a signed address.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// post sends a JSON message request and returns the message id Meta gave
// it. A 2xx answer without one is a message Meta took all the same:
// sending it again would have the person read it twice, so it counts as
// sent, with no id.
func (c *Channel) post(ctx context.Context, payload map[string]any) (string, error) {
	payload["messaging_product"] = "whatsapp"
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("whatsapp: encode: %w", err)
	}
	var answer struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	err = c.call(ctx, http.MethodPost, "/"+c.cfg.PhoneID+"/messages", "application/json", bytes.NewReader(body), &answer)
	switch {
	case errors.Is(err, errUndecodable):
		c.log.Warn("message accepted with an answer that cannot be read; counted as sent, without its id", "err", err)
		return "", nil
	case err != nil:
		return "", err
	case len(answer.Messages) == 0 || answer.Messages[0].ID == "":
		c.log.Warn("message accepted with an answer that names no message; counted as sent, without its id")
		return "", nil
	}
	return answer.Messages[0].ID, nil
}

// markRead tells Meta that the bot read message id (the blue ticks).
func (c *Channel) markRead(ctx context.Context, id string) error {
	body, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": id})
	return c.call(ctx, http.MethodPost, "/"+c.cfg.PhoneID+"/messages", "application/json", bytes.NewReader(body), nil)
}
