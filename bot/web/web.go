// Package web is the web chat channel: a chat page served by the bot, for
// citizens who use neither Telegram nor WhatsApp and for `shakwa demo`.
//
// A visitor is known by a signed, expiring session cookie; their chat is
// always the visitor id in that cookie, so nobody can read or post into
// another conversation by guessing an id. What the bot says to a chat is
// appended to that chat's mailbox in the Store as render-ready JSON, and
// the page follows the mailbox over Server-Sent Events; the conversation
// survives reloads and works across several instances of the bot.
//
// Every word a person reads comes from the bot's Replies or from
// Config.Labels; the page, its script and its style are embedded.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shakwa/shakwa/bot"
)

// Name is the channel name used in bot.Message.Channel and bot.Reply.Channel.
const Name = "web"

// Defaults of Config.
const (
	DefaultSessionTTL = 30 * 24 * time.Hour
	DefaultMaxBody    = 64 << 10
	DefaultMaxUpload  = 5 << 20
	DefaultRate       = 30
	DefaultIPRate     = 120
	DefaultKeep       = 300
	DefaultPoll       = 3 * time.Second
	DefaultHeartbeat  = 20 * time.Second

	DefaultMaxAddressStreams = 512
)

// MinSecret is the shortest Config.Secret New accepts, in bytes.
const MinSecret = 32

// Store keeps what the web channel needs across restarts and instances:
// each chat's mailbox (what was said in it, render-ready), and when each
// staff member's sign-ins to the staff panel were revoked. Uploaded files
// go to Config.Files.
type Store interface {
	// MailAppend appends data to chat's mailbox and returns its id. Ids of
	// one mailbox increase. The mailbox keeps at least its last keep
	// entries and expires ttl after the last append.
	MailAppend(ctx context.Context, chat string, data []byte, keep int, ttl time.Duration) (string, error)
	// MailSince returns up to limit entries of chat's mailbox that follow
	// the entry after ("" = from the oldest kept), oldest first: ids[i] is
	// the id of data[i]. A missing mailbox has none. An after that is not
	// a mail id wraps shakwa.ErrInvalid.
	MailSince(ctx context.Context, chat, after string, limit int) (ids []string, data [][]byte, err error)
	// MailDrop removes entry id from chat's mailbox, if it is there.
	MailDrop(ctx context.Context, chat, id string) error
	// StaffRevoked returns when staff member person's staff sign-ins were
	// last revoked: those made until then (to the millisecond) are void.
	// It is the zero time if they never were.
	StaffRevoked(ctx context.Context, person string) (time.Time, error)
}

// Deliver is called with each Message a visitor sends. It returns nil only
// when the Message is safe (handled or durably queued); on error the page
// is told to try again later and sends the same Message id again. Deliver
// is called concurrently.
type Deliver func(ctx context.Context, m *bot.Message) error

// Config configures a Channel. Zero limits take the defaults above.
type Config struct {
	// Secret signs session cookies and file links; at least MinSecret
	// bytes. Changing it ends every session.
	Secret []byte
	// SessionTTL is how long a session cookie lives; it is renewed on use.
	SessionTTL time.Duration
	// Labels are the page's own words, by language and then by key (see
	// LabelKeys). The page's language is one of these, "ar" or "en".
	Labels map[string]map[string]string
	// Demo, when not nil, lets visitors act as the people it lists (see
	// Demo). Only `shakwa demo` sets it.
	Demo *Demo
	// Staff, outside the demo, are the people who may work in the web
	// panel, each as themselves once signed in with a StaffLink: for a
	// deployment whose staff are not on Telegram. Nil: no staff panel.
	Staff *Demo
	// Logger receives the few lines the channel logs itself. Default
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time

	// MaxBody bounds a JSON request body, MaxUpload an uploaded file (a
	// photo or a PDF), in bytes.
	MaxBody, MaxUpload int64
	// Rate and IPRate are how many messages (texts, presses, uploads) a
	// minute one visitor and one client address may send. IPRate is the
	// larger by default: a whole office may share one address.
	Rate, IPRate int
	// MaxAddressStreams is how many live event streams one client address
	// may hold across its visitors: a cookie is free, and each stream
	// reads the store every Poll.
	MaxAddressStreams int
	// TrustProxy takes the client address from the last X-Forwarded-For
	// entry: set it only behind a proxy that appends one.
	TrustProxy bool
	// Keep is how many messages a chat's mailbox keeps; the page shows at
	// most these after a reload.
	Keep int
	// Files keeps uploads, and serves the files the chat is sent from
	// other channels. Required.
	Files bot.FileStore
	// Poll is how often a live page looks for messages appended by other
	// instances; Heartbeat how often an idle event stream sends a comment
	// so that proxies keep it open.
	Poll, Heartbeat time.Duration
	// MaxText is the longest text the bot takes, in characters: the page
	// shows a count near it and keeps a longer text in the box rather than
	// send it. Zero: no count.
	MaxText int
	// Brand is how the page presents itself.
	Brand Brand
	// EmbedOrigins are the other websites ("https://host") whose pages may
	// show the chat (the widget script's frame). With any, the session
	// cookie is a partitioned SameSite=None one over HTTPS, so that it
	// works in their frame; cross-site posts are still refused.
	EmbedOrigins []string
}

// Brand is the page's name, colour and logo.
type Brand struct {
	// Name is the bot's name by language, over its messages and in the
	// header; "" for the page's title.
	Name map[string]string
	// Colour is the main colour, "#rrggbb"; "" for the page's own.
	Colour string
	// Logo is an image for the header, of type LogoType (image/png,
	// image/jpeg, image/svg+xml); nil for none.
	Logo     []byte
	LogoType string
}

// Channel is the web chat bot.Channel and the HTTP handler of its page. It
// is safe for concurrent use.
type Channel struct {
	store   Store
	deliver Deliver
	log     *slog.Logger
	now     func() time.Time
	secret  []byte
	ttl     time.Duration
	labels  map[string]map[string]string
	demo    *demoIndex
	staff   *demoIndex // who may sign in to the staff panel outside the demo

	maxBody, maxUpload int64
	trustProxy         bool
	keep               int
	files              bot.FileStore
	poll, heartbeat    time.Duration
	visitors, ips      *limiter
	maxAddressStreams  int
	maxText            int
	brand              Brand
	embed              []string
	csp                string

	hub     hub
	assets  *assets
	handler http.Handler

	mu      sync.Mutex
	closed  bool
	done    chan struct{} // closed by Close: live streams end
	streams sync.WaitGroup
	open    map[string]int // visitor -> live streams
	openAt  map[string]int // network address -> live streams
}

var (
	_ bot.Channel = (*Channel)(nil)
	_ bot.Pacer   = (*Channel)(nil)
)

// New checks cfg and returns the Channel. deliver receives what visitors
// send.
func New(cfg Config, store Store, deliver Deliver) (*Channel, error) {
	if len(cfg.Secret) < MinSecret {
		return nil, fmt.Errorf("web: secret of %d bytes; want at least %d", len(cfg.Secret), MinSecret)
	}
	if store == nil || deliver == nil || cfg.Files == nil {
		return nil, errors.New("web: nil store, file store or deliver")
	}
	demo, err := indexDemo(cfg.Demo)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	staff, err := indexDemo(cfg.Staff)
	if err != nil {
		return nil, fmt.Errorf("web: staff: %w", err)
	}
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	c := &Channel{
		store: store, deliver: deliver, log: cfg.Logger, now: cfg.Now,
		secret: append([]byte(nil), cfg.Secret...), ttl: or(cfg.SessionTTL, DefaultSessionTTL),
		labels: cfg.Labels, demo: demo, staff: staff,
		maxBody: or(cfg.MaxBody, DefaultMaxBody), maxUpload: or(cfg.MaxUpload, DefaultMaxUpload),
		trustProxy: cfg.TrustProxy, keep: or(cfg.Keep, DefaultKeep), files: cfg.Files,
		poll: or(cfg.Poll, DefaultPoll), heartbeat: or(cfg.Heartbeat, DefaultHeartbeat),
		visitors: newLimiter(or(cfg.Rate, DefaultRate)), ips: newLimiter(or(cfg.IPRate, DefaultIPRate)),
		assets: a, done: make(chan struct{}), open: map[string]int{}, openAt: map[string]int{},
		maxText: cfg.MaxText, brand: cfg.Brand, embed: slices.Clone(cfg.EmbedOrigins),
		maxAddressStreams: or(cfg.MaxAddressStreams, DefaultMaxAddressStreams),
	}
	c.csp = pageCSP + strings.Join(append([]string{""}, c.embed...), " ")
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("channel", Name)
	if c.now == nil {
		c.now = time.Now
	}
	c.handler = c.routes()
	return c, nil
}

// or returns v, or def when v is not positive.
func or[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Name returns "web".
func (c *Channel) Name() string { return Name }

// Pace is zero: the web has no platform limits of its own, and a page
// shows a burst of messages as well as one.
func (c *Channel) Pace(bot.Reply) time.Duration { return 0 }

// PerSecond is how many messages the outbox may send through the channel
// in all: each is one append to the store.
func (c *Channel) PerSecond() float64 { return 500 }

// Handler serves the page and its API under /chat; mount it at "/chat"
// and "/chat/". Cross-origin browser requests that change anything are
// refused with 403.
func (c *Channel) Handler() http.Handler { return c.handler }

// Close ends the live event streams and waits for their handlers to
// return; new ones are refused with 503. Sending and the rest of the API
// keep working. Close it as the HTTP server shuts down
// (http.Server.RegisterOnShutdown): streams never go idle, so Shutdown
// would otherwise wait for them until its timeout.
func (c *Channel) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	c.mu.Unlock()
	c.streams.Wait()
}
