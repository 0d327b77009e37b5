package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// Line keeps, for every process that shares it, what each person sent
// that waits for its media to be fetched, and what they sent after it, in
// order: one line per sender, drained by a job of kind LineKind named
// after the line (package storage's lines are one). A line that holds
// anything always has its job.
type Line interface {
	// QueueLine appends item to sender's line when the line holds
	// anything, or when wait is set, and reports whether it did. A line
	// holding max items takes no more (an error).
	QueueLine(ctx context.Context, kind, sender string, item []byte, wait bool, now time.Time, max int) (bool, error)
	// LineHead returns the first item of line, nil when it is empty.
	LineHead(ctx context.Context, kind, line string) ([]byte, error)
	// PopLine removes the first item of line if it is item, returns how
	// many are left, and ends the line's job when none are.
	PopLine(ctx context.Context, kind, line string, item []byte) (int, error)
	bot.JobStore
}

// LineKind is the kind of the jobs that drain the lines.
const LineKind = "wamedia"

// The lines' limits. Vars for the tests.
var (
	// linePoll is how often due lines are looked for, besides at once
	// when this process queued something.
	linePoll = time.Second
	// lineLease is how long a drain holds its line: one item's download
	// and delivery fit in it, twice over.
	lineLease = 5 * time.Minute
	// lineTurn is how long one drain goes on before it gives its line up
	// for another turn (no new item starts after it).
	lineTurn = 2 * time.Minute
)

const (
	// lineMax is the most one person's line holds: more, and the webhook
	// answers 500 (Meta sends the notification again later).
	lineMax = 200
	// lineDrains is how many lines one process drains at once.
	lineDrains = 8
	// linePatience is how long a file Meta will not hand out for a while
	// is waited for: then its message goes without it, marked unavailable
	// (the bot asks for it again), rather than hold the person's later
	// messages back any longer. A refused token is waited for as long as
	// it lasts: nothing reaches the person meanwhile anyway.
	linePatience = 10 * time.Minute
)

// lineItem is a message in a line: the message as Meta sent it, the
// sender's profile name, and when it came.
type lineItem struct {
	At   int64   `json:"at"` // ms
	Name string  `json:"name,omitempty"`
	Msg  message `json:"m"`
}

// awaitsMedia reports whether in carries media to fetch.
func awaitsMedia(in message) bool {
	md := in.media()
	return md != nil && md.ID != "" && !tooLarge(in.Errors)
}

// media returns in's media, nil for a message without.
func (in message) media() *media {
	switch in.Type {
	case "image":
		return in.Image
	case "document":
		return in.Document
	case "audio":
		return in.Audio
	case "video":
		return in.Video
	}
	return nil
}

// queue puts in in its sender's line when it carries media or the line
// holds anything, and reports whether it did: the webhook answers at once,
// and the line's drain fetches the media and delivers the messages, in
// the order they came.
func (c *Channel) queue(ctx context.Context, v value, in message) (bool, error) {
	switch in.Type {
	case "reaction", "system", "revoke", "edit":
		return false, nil // never for the bot: nothing to keep in order
	}
	now := c.now()
	item, err := json.Marshal(lineItem{At: now.UnixMilli(), Name: profileName(v, in.From), Msg: in})
	if err != nil {
		return false, fmt.Errorf("whatsapp: line item: %w", err)
	}
	queued, err := c.cfg.Line.QueueLine(ctx, LineKind, in.From, item, awaitsMedia(in), now, lineMax)
	if err != nil {
		return false, &bot.RetryError{Err: fmt.Errorf("whatsapp: queue behind media: %w", err)}
	}
	if !queued {
		return false, nil
	}
	if err := c.cfg.Outbox.Wrote(ctx, Name+":"+in.From, when(in.Timestamp)); err != nil {
		return true, err
	}
	select {
	case c.kick <- struct{}{}:
	default: // a look is coming
	}
	return true, nil
}

// profileName is the name Meta gives the sender of a message of v.
func profileName(v value, from string) string {
	for _, ct := range v.Contacts {
		if ct.WaID == from {
			return ct.Profile.Name
		}
	}
	return ""
}

// drainLines drains the lines that are due, lineDrains at a time, until
// ctx is done; drains in progress then give their lines up.
func (c *Channel) drainLines(ctx context.Context) {
	t := time.NewTicker(linePoll)
	defer t.Stop()
	busy := make(chan struct{}, lineDrains)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		if free := lineDrains - len(busy); free > 0 {
			js, err := c.cfg.Line.ClaimJobs(ctx, LineKind, c.now(), lineLease, free)
			if err != nil && ctx.Err() == nil {
				c.log.Warn("claim lines of messages waiting for media", "err", err)
			}
			for _, j := range js {
				busy <- struct{}{}
				wg.Go(func() {
					defer func() { <-busy }()
					c.drain(ctx, j)
				})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.kick:
		}
	}
}

// drain delivers the messages of line j.Key in order, each once its media
// are kept, for one turn. A failure that may pass has the line tried
// again later, from the message that failed.
func (c *Channel) drain(ctx context.Context, j shakwa.Job) {
	start := time.Now()
	for {
		item, err := c.cfg.Line.LineHead(ctx, LineKind, j.Key)
		if err != nil {
			c.retryLine(ctx, j, err)
			return
		}
		if item != nil {
			if err := c.deliverItem(ctx, item); err != nil {
				c.retryLine(ctx, j, err)
				return
			}
		}
		left, err := c.cfg.Line.PopLine(ctx, LineKind, j.Key, item)
		switch {
		case err != nil:
			c.retryLine(ctx, j, err) // delivered again, and dropped as a copy
			return
		case left == 0:
			return // the line's job went with its last item
		case time.Since(start) > lineTurn:
			if _, err := c.cfg.Line.DoneJob(ctx, j, c.now()); err != nil {
				c.log.Warn("line of messages waiting for media: next turn", "err", err)
			}
			return
		}
	}
}

// deliverItem delivers a message of a line, with its media; a file Meta
// will not hand out for longer than linePatience goes as unavailable.
// An item that cannot be read is dropped, loudly: it can never be
// delivered.
func (c *Channel) deliverItem(ctx context.Context, item []byte) error {
	var it lineItem
	if err := json.Unmarshal(item, &it); err != nil {
		c.log.Error("unreadable message in a line waiting for media; dropped", "err", err)
		return nil
	}
	v := value{Contacts: []contact{{WaID: it.Msg.From}}}
	v.Contacts[0].Profile.Name = it.Name
	late := c.now().Sub(time.UnixMilli(it.At)) >= c.linePatience && ctx.Err() == nil
	m, err := c.toMessage(ctx, v, it.Msg, late)
	if ctx.Err() != nil {
		return ctx.Err() // stopping: not late, whatever the fetch says
	}
	if err != nil || m == nil {
		return err
	}
	if err := c.deliver(ctx, m); err != nil {
		return err
	}
	c.read(it.Msg.ID)
	return nil
}

// retryLine gives line j up after err: due again after a delay that grows
// with each failure, up to a minute, or at once when the process is
// stopping.
func (c *Channel) retryLine(ctx context.Context, j shakwa.Job, err error) {
	at := c.now()
	if ctx.Err() == nil {
		at = at.Add(min(time.Second<<min(j.Attempts, 6), time.Minute))
		level := c.log.Warn
		if errors.Is(err, errToken) {
			level = c.log.Error
		}
		level("messages waiting for media not delivered yet; tried again later", append(graphAttrs(err), "tries", j.Attempts+1)...)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := c.cfg.Line.RetryJob(rctx, j, at); err != nil {
		c.log.Warn("line of messages waiting for media: retry", "err", err)
	}
}
