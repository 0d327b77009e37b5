package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// hub wakes the event streams of a chat in this process when something is
// appended to its mailbox. Streams also poll the store, for appends made
// by other instances.
type hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// subscribe returns a channel that receives a value after appends to chat,
// and the func that ends the subscription.
func (h *hub) subscribe(chat string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[string]map[chan struct{}]struct{}{}
	}
	if h.subs[chat] == nil {
		h.subs[chat] = map[chan struct{}]struct{}{}
	}
	h.subs[chat][ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[chat], ch)
		if len(h.subs[chat]) == 0 {
			delete(h.subs, chat)
		}
	}
}

func (h *hub) wake(chat string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[chat] {
		select {
		case ch <- struct{}{}:
		default: // already woken
		}
	}
}

// greetingID is the client id of the greeting a chat begins with (see
// greet); no client may use it.
const greetingID = "start"

// Limits of the event stream.
const (
	// maxStreams is live streams per visitor: tabs, and a staff panel's
	// panes (a supervisor's group of each centre, and their own chat).
	maxStreams = 32
	batch      = 100              // mails read from the store at a time
	retryMS    = 2000             // how soon a browser reconnects
	writeLimit = 10 * time.Second // a client that takes longer to read is gone
	maxEventID = 64
)

// startStream counts a new stream of visitor from network address addr
// (its ClientKey), unless the channel is closed (503) or the visitor or the address has
// too many (429).
func (c *Channel) startStream(visitor, addr string) (stop func(), status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, http.StatusServiceUnavailable
	}
	if c.open[visitor] >= maxStreams || c.openAt[addr] >= c.maxAddressStreams {
		return nil, http.StatusTooManyRequests
	}
	c.open[visitor]++
	c.openAt[addr]++
	c.streams.Add(1)
	return func() {
		c.mu.Lock()
		if c.open[visitor]--; c.open[visitor] == 0 {
			delete(c.open, visitor)
		}
		if c.openAt[addr]--; c.openAt[addr] == 0 {
			delete(c.openAt, addr)
		}
		c.mu.Unlock()
		c.streams.Done()
	}, 0
}

// serveEvents streams a chat's mailbox as Server-Sent Events: first what
// follows Last-Event-ID (or the "after" parameter; everything kept when
// neither is given) and an event "ready", then each new message as it
// comes, with the mail id as event id. A comment every Heartbeat keeps
// proxies from closing an idle stream. It ends when the client goes or the
// channel closes.
func (c *Channel) serveEvents(w http.ResponseWriter, r *http.Request) {
	visitor, ok := c.session(w, r)
	if !ok {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	sp, ok := speakerOf(c.actors(r), visitor, q.Get("as"), q.Get("chat"))
	if !ok {
		c.refuseSpeaker(w, r, q.Get("as"))
		return
	}
	stop, status := c.startStream(visitor, c.clientKey(r))
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	defer stop()
	wake, unsubscribe := c.hub.subscribe(sp.chat)
	defer unsubscribe()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	w.WriteHeader(http.StatusOK)
	s := &stream{c: c, w: w, rc: http.NewResponseController(w), chat: sp.chat, after: lastEventID(r)}
	if sp.chat == visitor && !sp.group {
		s.greet = func(ctx context.Context) { c.greet(ctx, r, visitor) }
	}
	s.run(r.Context(), wake)
}

// greet hands the bot a /start from visitor, whose chat is empty: a new
// visitor finds the menu there without writing first. The fixed message id
// makes it once, however many pages open at the same time. It takes a
// token of the client address, so that one address cannot fill the store
// with conversations; refused, the menu comes with the visitor's first
// message instead.
func (c *Channel) greet(ctx context.Context, r *http.Request, visitor string) {
	if ok, _ := c.ips.take(c.clientKey(r), c.now()); !ok {
		return
	}
	m := &bot.Message{ID: "web:" + visitor + ":" + greetingID, Channel: Name, Chat: visitor, Text: "/start",
		From: bot.User{ID: visitor, Lang: c.pageLang(r)}, Time: c.now()}
	if err := c.deliver(context.WithoutCancel(ctx), m); err != nil {
		c.log.Warn("greet visitor", "err", err) // the menu comes with their first message instead
	}
}

// lastEventID is where a stream resumes: the Last-Event-ID a browser sends
// when it reconnects by itself, else the "after" a page gives when it opens
// a new stream.
func lastEventID(r *http.Request) string {
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	if len(after) > maxEventID {
		return ""
	}
	return after
}

// stream is one live event stream.
type stream struct {
	c      *Channel
	w      io.Writer
	rc     *http.ResponseController
	chat   string
	after  string // the last mail id sent
	failed bool   // the store failed last time: logged once
	// greet, when not nil, is called once if the chat is empty when the
	// stream starts.
	greet func(context.Context)
}

// run sends the backlog and "ready", then what comes, until the client
// goes, a write fails, the channel closes or the staff sign-in the stream
// was opened with is revoked or expires (looked at each Heartbeat).
func (s *stream) run(ctx context.Context, wake <-chan struct{}) {
	retry := "retry: " + strconv.Itoa(retryMS) + "\n\n"
	if s.write([]byte(retry)) != nil || s.catchUp(ctx) != nil {
		return
	}
	if s.greet != nil && s.after == "" && !s.failed {
		s.greet(ctx) // what it brings comes as the chat's next mail
	}
	if s.write([]byte("event: ready\ndata: 1\n\n")) != nil {
		return
	}
	poll, beat := time.NewTicker(s.c.poll), time.NewTicker(s.c.heartbeat)
	defer poll.Stop()
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.c.done:
			return
		case <-wake:
		case <-poll.C:
		case <-beat.C:
			// A staff sign-in revoked or expired since the stream began
			// ends it here, within a Heartbeat.
			if !s.c.stillSignedIn(ctx) || s.write([]byte(":\n\n")) != nil {
				return
			}
			continue
		}
		if s.catchUp(ctx) != nil {
			return
		}
	}
}

// catchUp sends what follows s.after. A store failure is logged and the
// stream waits for the next poll; only a failed write ends it.
func (s *stream) catchUp(ctx context.Context) error {
	for {
		ids, data, err := s.c.store.MailSince(ctx, s.chat, s.after, batch)
		if err != nil && s.after != "" && errors.Is(err, shakwa.ErrInvalid) {
			s.after = "" // not one of ours: start again, the page skips what it has
			continue
		}
		if err != nil {
			if !s.failed && ctx.Err() == nil {
				s.c.log.Warn("read mailbox", "err", err)
			}
			s.failed = true
			return nil
		}
		s.failed = false
		if len(ids) != len(data) {
			return fmt.Errorf("web: mailbox gave %d ids for %d entries", len(ids), len(data))
		}
		var buf []byte
		for i, id := range ids {
			s.after = id
			if s.c.show(id, data[i]) {
				buf = fmt.Appendf(buf, "id: %s\ndata: %s\n\n", id, data[i])
			}
		}
		if len(buf) > 0 {
			if err := s.write(buf); err != nil {
				return err
			}
		}
		if len(ids) < batch {
			return nil
		}
	}
}

// write sends b and flushes it, within writeLimit.
func (s *stream) write(b []byte) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(writeLimit)) // unsupported by some writers: fine
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}

// show reports whether mail data is worth sending: well-formed for one
// event, and not a notice past its life.
func (c *Channel) show(id string, data []byte) bool {
	if bytes.ContainsAny(data, "\r\n") || strings.ContainsAny(id, "\r\n") {
		return false
	}
	var m struct {
		Notice bool  `json:"notice"`
		At     int64 `json:"at"`
	}
	if json.Unmarshal(data, &m) != nil {
		return false
	}
	return !m.Notice || c.now().Sub(time.UnixMilli(m.At)) < noticeLife
}
