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

// Codes worth another try (passing faults), the rate limits', the
// account's and the window's. Others are permanent.
var (
	retryCodes = map[int]bool{
		1: true, 2: true, 131000: true, 131016: true, 131057: true, 133004: true,
	}
	// blockedCodes mean the person cannot be reached on WhatsApp at all,
	// whether Meta says so at once or in a delivery report.
	blockedCodes = map[int]bool{131026: true, 131021: true}
	// accountCodes mean Meta takes no message from the business account
	// for now, whoever it is for. Meta's titles: 368 "Temporarily blocked
	// for policies violations", 131031 "Account has been locked" (a policy
	// violation, or data such as the two-step PIN that did not match),
	// 131042 "Business eligibility payment issue" (a payment method to
	// fix). Time lifts it, or someone in WhatsApp Manager: what is owed
	// waits for it, the channel degraded meanwhile. The values say it in
	// our words, for /readyz and the log.
	accountCodes = map[int]string{
		368:    "temporarily blocked for policy violations",
		131031: "account locked",
		131042: "business eligibility or payment issue",
	}
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

// How long to leave what Meta refused for its limits, none of which says
// how long (no Retry-After): the number's throughput (Meta: "the API will
// return error code 130429 until you are within your allowed level
// again", a level counted in messages a second); the pair rate limit (one
// message every six seconds to one person, on average: a pace of that
// person's, not the number's); the account's and the app's rate limits
// (80007, 4: counted over an hour); the spam rate limit (minutes at
// least; trying sooner only counts against us); and an account Meta
// blocked (a probe a minute, so that what waits goes soon after it
// lifts).
const (
	throughputWait = time.Second
	pairLimitWait  = 6 * time.Second
	callLimitWait  = time.Minute
	spamLimitWait  = 5 * time.Minute
	accountWait    = time.Minute
)

// limits are Meta's rate limits: how long each has us wait at least, and
// whom (see bot.Scope). A wait is no failure of the message: the outbox
// keeps it however often it comes, as it does a Telegram 429.
var limits = map[int]struct {
	wait  time.Duration
	scope bot.Scope
}{
	130429:   {throughputWait, bot.ScopeChannel},
	131056:   {pairLimitWait, bot.ScopeChat},
	80007:    {callLimitWait, bot.ScopeChannel},
	4:        {callLimitWait, bot.ScopeChannel},
	spamCode: {spamLimitWait, bot.ScopeChannel},
}

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
// (bot.ErrWindowClosed), the person cannot be reached (bot.ErrUnreachable,
// permanent), worth another try (*bot.RetryError; a wait for Meta's rate
// limits and for an account Meta blocked), or permanent. A refused token
// (errToken) or a blocked account degrades the channel.
func (c *Channel) classify(err error) error {
	var ge *GraphError
	if !errors.As(err, &ge) {
		return &bot.RetryError{Err: err} // transport: try again
	}
	limit, limited := limits[ge.Code]
	switch {
	case ge.Code == windowCode:
		return fmt.Errorf("%w: %w", bot.ErrWindowClosed, err)
	case ge.Code == tokenCode || ge.Status == http.StatusUnauthorized:
		// Nothing goes until the token is renewed, and nothing queued is
		// lost meanwhile.
		c.degrade(err)
		return &bot.RetryError{After: accountWait, Scope: bot.ScopeChannel, Err: fmt.Errorf("whatsapp: %w: %w", errToken, err)}
	case accountCodes[ge.Code] != "":
		c.restrict(ge)
		return &bot.RetryError{After: max(accountWait, ge.RetryAfter), Scope: bot.ScopeChannel, Err: err}
	case blockedCodes[ge.Code]:
		return fmt.Errorf("whatsapp: %w: %w", bot.ErrUnreachable, err)
	case limited:
		return &bot.RetryError{After: max(limit.wait, ge.RetryAfter), Scope: limit.scope, Err: err}
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
type degradation struct {
	err error
	// account is Meta's code when it blocked the business account rather
	// than the token (see accountCodes), else 0. Calls other than
	// messages (read receipts, media) may still pass then: only a message
	// Meta takes lifts it.
	account int
}

// degrade records that Meta refused the access token, said in the log
// once until it is accepted again.
func (c *Channel) degrade(err error) {
	if old := c.degraded.Swap(&degradation{err: fmt.Errorf("whatsapp: access token refused: %w", err)}); old == nil || old.account != 0 {
		c.log.Error("whatsapp access token refused; renew WHATSAPP_TOKEN", "err", err)
	}
}

// restrict records that Meta takes no message from the business account
// for now, said in the log, by its code, once until Meta takes one again.
func (c *Channel) restrict(ge *GraphError) {
	d := &degradation{err: fmt.Errorf("whatsapp: business account cannot send (%d: %s): %w", ge.Code, accountCodes[ge.Code], ge),
		account: ge.Code}
	if old := c.degraded.Swap(d); old == nil || old.account != ge.Code {
		c.log.Error("whatsapp business account cannot send; replies wait until Meta lifts it (see WhatsApp Manager, account quality)",
			"code", ge.Code, "status", ge.Status, "reason", accountCodes[ge.Code])
	}
}

// healthy records that Meta accepted the access token: whatever was
// refused for it before, the token works now. A blocked account stays
// blocked (see sent).
func (c *Channel) healthy() {
	if d := c.degraded.Load(); d != nil && d.account == 0 && c.degraded.CompareAndSwap(d, nil) {
		c.log.Info("whatsapp access token accepted again")
	}
}

// sent records that Meta took a message: whatever kept the channel from
// sending is over.
func (c *Channel) sent() {
	if d := c.degraded.Load(); d != nil && c.degraded.CompareAndSwap(d, nil) {
		c.log.Info("whatsapp messages accepted again")
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
	if err == nil || errors.Is(err, errUndecodable) {
		c.sent()
	}
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
