package telegram

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

	"github.com/shakwa/shakwa/bot"
)

// poll long-polls while this process holds the poll lease (always, without
// a Leaser), and stands by while another holds it, until ctx is done.
func (c *Channel) poll(ctx context.Context) error {
	if c.lease == nil {
		return c.pollHeld(ctx)
	}
	standby := false
	for ctx.Err() == nil {
		held, err := c.lease.Lease(ctx, c.leaseName, c.holder, c.leaseTTL)
		switch {
		case err != nil && ctx.Err() == nil:
			c.log.Warn("poll lease", "err", err)
		case held:
			c.log.Info("polling: this process holds the poll lease")
			standby = false
			if err := c.pollLeased(ctx); err != nil {
				return err
			}
			continue
		case !standby:
			c.log.Info("standing by: another process polls")
			standby = true
		}
		if !sleep(ctx, c.leaseTTL/3) {
			break
		}
	}
	return nil
}

// pollLeased polls while the lease is renewed, and gives it up when ctx is
// done so that another process takes over at once.
func (c *Channel) pollLeased(ctx context.Context) error {
	pctx, lost := context.WithCancel(ctx)
	defer lost()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		c.keepLease(pctx, lost)
	}()
	err := c.pollHeld(pctx)
	lost()
	<-renewed
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if uerr := c.lease.Unlease(uctx, c.leaseName, c.holder); uerr != nil {
		c.log.Warn("give up poll lease", "err", uerr)
	}
	return err
}

// keepLease renews the poll lease every third of its TTL until ctx is
// done; when it is lost, or cannot be renewed before it would end, it
// calls lost.
func (c *Channel) keepLease(ctx context.Context, lost context.CancelFunc) {
	last := time.Now()
	for sleep(ctx, c.leaseTTL/3) {
		held, err := c.lease.Lease(ctx, c.leaseName, c.holder, c.leaseTTL)
		switch {
		case err == nil && held:
			last = time.Now()
			continue
		case err == nil:
			c.log.Warn("poll lease lost: another process polls")
		case time.Since(last) < c.leaseTTL*2/3:
			c.log.Warn("renew poll lease", "err", err)
			continue
		default:
			c.log.Warn("poll lease could not be renewed: stopping to poll", "err", err)
		}
		lost()
		return
	}
}

// pollHeld long-polls getUpdates until ctx is done. The library's own
// poller confirms an update to Telegram before its handler runs, so this
// one is ours: offset moves past an update only after Deliver accepted it,
// and Telegram confirms an update only when asked for a later offset.
// Only a batch that moved the offset forward, or a long poll that waited
// and came back empty, is followed by the next poll at once; after any
// other answer (a refused delivery, a renumbered batch, an empty one that
// did not wait) it pauses, so that an answer that never changes is no hot
// loop. A refused token degrades the channel, and getUpdates is asked
// again every tokenRetry; the first answer that is not an error clears it.
func (c *Channel) pollHeld(ctx context.Context) error {
	var offset int64
	wait := c.backoff
	for ctx.Err() == nil {
		asked := time.Now()
		batch, err := c.getUpdates(ctx, offset)
		var refused *refusedError
		switch {
		case err == nil:
			c.tokenTaken()
			var fresh bool
			offset, fresh = c.deliverBatch(ctx, offset, batch)
			if fresh || len(batch) == 0 && time.Since(asked) >= c.pollTimeout/2 {
				wait = c.backoff
				continue
			}
		case errors.As(err, &refused):
			c.tokenRefused(fmt.Errorf("getUpdates: %w", refused.err))
			wait = c.backoff
			if !sleep(ctx, c.tokenRetry) {
				return nil
			}
			continue
		case ctx.Err() != nil:
		default:
			if wait, err = c.pollFailed(err, wait); err != nil {
				return err
			}
		}
		if !sleep(ctx, wait) {
			break
		}
		wait = min(2*wait, maxBackoff)
	}
	return nil
}

// pollFailed says a failed getUpdates in the log and returns the wait
// before the next, at least wait; or the error that ends polling, one
// retrying cannot cure.
func (c *Channel) pollFailed(err error, wait time.Duration) (time.Duration, error) {
	var fatal *fatalError
	if errors.As(err, &fatal) {
		return 0, fmt.Errorf("telegram: getUpdates: %w", err)
	}
	c.log.Warn("getUpdates failed; retrying", "err", err, "wait", wait)
	var re *bot.RetryError
	if errors.As(err, &re) {
		wait = max(wait, re.After)
	}
	return wait, nil
}

// deliverBatch hands the updates to Deliver in order and returns the next
// offset, and whether it moved forward past a new update (fresh). It stops
// at the first update Deliver refuses: that update is asked for again on
// the next poll. Updates below offset are copies Telegram resent, skipped,
// unless the whole batch is below it: after a week with no updates
// Telegram numbers them afresh, at random, and answers an offset past its
// queue from the queue's head. That batch is the truth: it is delivered
// (intake drops copies by update id) and the offset starts again from it.
func (c *Channel) deliverBatch(ctx context.Context, offset int64, batch []json.RawMessage) (next int64, fresh bool) {
	floor := offset // updates below it are copies
	if first, ok := renumbered(batch, offset); ok {
		c.log.Warn("telegram renumbered its updates: polling on from the batch it sent", "offset", offset, "first", first)
		floor = 0
	}
	next = offset
	for _, raw := range batch {
		u, err := decodeUpdate(raw)
		if err != nil {
			// Not an Update we can read: skip it rather than stall intake
			// for good, if we can at least tell which one it was.
			var id struct {
				UpdateID int64 `json:"update_id"`
			}
			if json.Unmarshal(raw, &id) != nil {
				c.log.Error("unreadable getUpdates result", "err", err)
				return next, fresh
			}
			if id.UpdateID < floor {
				continue
			}
			c.log.Error("unreadable update skipped", "update", id.UpdateID, "err", err)
			next, fresh = id.UpdateID+1, fresh || id.UpdateID >= offset
			continue
		}
		if u.UpdateID < floor {
			continue // already delivered; Telegram resent it
		}
		c.noteMigration(u)
		if m := toMessage(u, c.username, c.now()); m != nil {
			// Once begun, an update is handled to the end even if we are
			// stopping: intake bounds it with its own timeout.
			if err := c.deliver(context.WithoutCancel(ctx), m); err != nil {
				if ctx.Err() == nil {
					c.log.Warn("update not accepted; will retry", "update", u.UpdateID, "err", err)
				}
				return next, fresh
			}
		}
		next, fresh = u.UpdateID+1, fresh || u.UpdateID >= offset
	}
	return next, fresh
}

// renumbered reports whether every update of batch is below offset, which
// only a renumbering explains (Telegram confirmed them all when asked for
// offset), and returns the first one's id.
func renumbered(batch []json.RawMessage, offset int64) (first int64, ok bool) {
	for i, raw := range batch {
		var id struct {
			UpdateID *int64 `json:"update_id"`
		}
		if json.Unmarshal(raw, &id) != nil || id.UpdateID == nil || *id.UpdateID >= offset {
			return 0, false
		}
		if i == 0 {
			first = *id.UpdateID
		}
	}
	return first, len(batch) > 0
}

// fatalError is a getUpdates failure that retrying cannot cure (a
// request that cannot be built).
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// refusedError is Telegram's refusal of the bot's token to getUpdates:
// 401 (revoked in BotFather, the bot deleted) or 404 (a token that names
// no bot). Polling goes on, slowly, with the channel degraded: a token
// renewed by hand, or a refusal of Telegram's own making, is heard at the
// next try.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// apiError is an error answer of the Bot API.
type apiError struct {
	Code        int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Description) }

// getUpdates asks for the updates from offset on, waiting up to the poll
// timeout for some to arrive. The library offers no exported call for it,
// so it is a plain JSON request. Errors are a *refusedError for a refused
// token, a *fatalError for a request that cannot be built, otherwise a
// *bot.RetryError.
func (c *Channel) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	timeout := max(1, int((c.pollTimeout+time.Second/2)/time.Second))
	body, err := json.Marshal(map[string]any{
		"offset":          offset,
		"timeout":         timeout,
		"allowed_updates": allowedUpdates(),
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Second+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.apiURL+"/bot"+c.token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, &fatalError{err: errors.New("cannot build request")} // never prints the URL: it holds the token
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL: it holds the token
		}
		return nil, &bot.RetryError{Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &bot.RetryError{Err: err}
	}
	var answer struct {
		OK     bool              `json:"ok"`
		Result []json.RawMessage `json:"result"`
		apiError
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return nil, &bot.RetryError{Err: fmt.Errorf("http %d: undecodable answer: %w", resp.StatusCode, err)}
	}
	if !answer.OK {
		e := answer.apiError
		switch e.Code {
		case http.StatusUnauthorized, http.StatusNotFound:
			return nil, &refusedError{err: &e}
		}
		// 409: a webhook is set or another poller runs; 429, 5xx: wait.
		return nil, &bot.RetryError{After: time.Duration(e.Parameters.RetryAfter) * time.Second, Err: &e}
	}
	return answer.Result, nil
}
