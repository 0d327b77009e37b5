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
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// GraphError is an error answer of the Graph API, or the error of a
// delivery report, in Meta's shape.
type GraphError struct {
	Status  int    // HTTP status; 0 for a delivery report
	Code    int    `json:"code"`
	Title   string `json:"message"`
	Details string
}

func (e *GraphError) Error() string {
	if e.Details != "" && e.Details != e.Title {
		return fmt.Sprintf("graph error %d: %s (%s)", e.Code, e.Title, e.Details)
	}
	return fmt.Sprintf("graph error %d: %s", e.Code, e.Title)
}

// Codes worth another try (rate limits, passing faults), the window's, and
// the token's. Others are permanent.
var (
	retryCodes = map[int]bool{
		1: true, 2: true, 4: true, 80007: true, 130429: true, 131000: true,
		131016: true, 131056: true, 131057: true,
	}
	// blockedCodes mean the person cannot be reached on WhatsApp at all.
	blockedCodes = map[int]bool{131026: true, 131021: true}
	tokenCodes   = map[int]bool{0: true, 190: true}
)

const windowCode = 131047

// pairLimitWait is how long to leave a person after Meta's pair rate limit
// (one message every six seconds on average).
const pairLimitWait = 6 * time.Second

// classify says what an error means to the outbox: the window is closed
// (bot.ErrWindowClosed), worth another try (*bot.RetryError), or
// permanent. A refused token degrades the channel, said in the log once.
func (c *Channel) classify(err error) error {
	var ge *GraphError
	if !errors.As(err, &ge) {
		return &bot.RetryError{Err: err} // transport: try again
	}
	switch {
	case ge.Code == windowCode:
		return fmt.Errorf("%w: %w", bot.ErrWindowClosed, err)
	case ge.Code == 131056:
		return &bot.RetryError{After: pairLimitWait, Err: err}
	case retryCodes[ge.Code] || ge.Status >= 500:
		return &bot.RetryError{Err: err}
	case tokenCodes[ge.Code] || ge.Status == http.StatusUnauthorized:
		c.degraded.Store(fmt.Errorf("whatsapp: access token refused: %w", err))
		c.warnOnce.Do(func() { c.log.Error("whatsapp access token refused; renew WHATSAPP_TOKEN", "err", err) })
		return fmt.Errorf("whatsapp: token: %w", err)
	}
	return err
}

// call makes a Graph API request and decodes the answer into out (nil to
// drop it). Error answers are *GraphError; transport failures are
// returned as they are, without the URL.
func (c *Channel) call(ctx context.Context, method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, body)
	if err != nil {
		return fmt.Errorf("whatsapp: build request: %w", err)
	}
	return c.do(req, contentType, out)
}

func (c *Channel) do(req *http.Request, contentType string, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("whatsapp: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("whatsapp: read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Message   string `json:"message"`
				Code      int    `json:"code"`
				ErrorData struct {
					Details string `json:"details"`
				} `json:"error_data"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error.Message == "" {
			return &GraphError{Status: resp.StatusCode, Code: -1, Title: http.StatusText(resp.StatusCode)}
		}
		return &GraphError{Status: resp.StatusCode, Code: e.Error.Code, Title: e.Error.Message, Details: e.Error.ErrorData.Details}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("whatsapp: undecodable answer: %w", err)
	}
	return nil
}

// post sends a JSON message request and returns the message id Meta gave
// it.
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
	if err := c.call(ctx, http.MethodPost, "/"+c.cfg.PhoneID+"/messages", "application/json", bytes.NewReader(body), &answer); err != nil {
		return "", err
	}
	if len(answer.Messages) == 0 || answer.Messages[0].ID == "" {
		return "", fmt.Errorf("whatsapp: answer names no message: %w", shakwa.ErrInvalid)
	}
	return answer.Messages[0].ID, nil
}

// markRead tells Meta that the bot read message id (the blue ticks).
func (c *Channel) markRead(ctx context.Context, id string) error {
	body, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "status": "read", "message_id": id})
	return c.call(ctx, http.MethodPost, "/"+c.cfg.PhoneID+"/messages", "application/json", bytes.NewReader(body), nil)
}
