// Package whatsapp is the WhatsApp channel, on Meta's official WhatsApp
// Business Cloud API (the Graph API) over plain net/http: its webhook
// turns Meta's signed notifications into bot.Messages (media fetched into
// the file store after the webhook answered, in each sender's Line), and Send renders bot.Replies as Cloud API messages:
// text, reply buttons, lists (paged past ten choices), media, and the
// approved template that reopens the 24-hour customer service window.
//
// It never uses an unofficial WhatsApp Web client: numbers that do are
// banned, and a government channel cannot risk that.
package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shakwa/shakwa/bot"
)

// Name is the channel name used in bot.Message.Channel and bot.Reply.Channel.
const Name = "whatsapp"

// defaultLang is the language of a Reply that names none.
const defaultLang = "ar"

// DefaultAPIURL is the Graph API base URL, with the version the adapter was
// written and tested against.
const DefaultAPIURL = "https://graph.facebook.com/v25.0"

// Limits of the platform, from Meta's documentation.
const (
	window          = 24 * time.Hour // the customer service window
	perSecond       = 80             // messages a second per business number
	pace            = time.Second    // between two messages to one person (Meta allows short bursts)
	mediaIDLife     = 29 * 24 * time.Hour
	maxNotification = 4 << 20 // Meta's notifications are up to 3 MB
)

// Deliver is called with each converted notification. It returns nil only
// when the Message is safe (handled or durably queued); on error the
// webhook answers 500 and Meta sends the notification again.
type Deliver func(ctx context.Context, m *bot.Message) error

// Outbox is what the channel tells the outbox: that a person wrote (their
// window is open: what was held for them may go), and that a message Meta
// accepted was later refused for the window (it is queued again, to follow
// a template). at is when Meta says it happened.
type Outbox interface {
	Wrote(ctx context.Context, chat string, at time.Time) error
	Resend(ctx context.Context, chat, messageID string, at time.Time) (bool, error)
}

// PageStore keeps the choices of a list too long for one WhatsApp list,
// for the pages that follow.
type PageStore interface {
	SavePage(ctx context.Context, key string, data []byte, ttl time.Duration) error
	Page(ctx context.Context, key string) ([]byte, error)
	// TakePage keeps a mark as key unless one is kept, and reports
	// whether this call kept it; DropPage forgets key.
	TakePage(ctx context.Context, key string, ttl time.Duration) (bool, error)
	DropPage(ctx context.Context, key string) error
}

// Labels are the words the channel adds of its own, in one language.
type Labels struct {
	Choose   string // a list's button (at most 20 characters)
	Next     string // the row to the next page of a long list
	Previous string // the row back
	Prompt   string // an interactive message's body when the text went before it
}

// Template is the approved template that reopens a closed window: its
// name and, by our language code, its language code. Its body has one
// parameter: the ticket number the owed message is about (or "-").
type Template struct {
	Name      string
	Languages map[string]string
}

// Config configures a Channel.
type Config struct {
	// Token is the access token (a system user's); PhoneID the business
	// phone number id; AppSecret signs the webhook notifications;
	// VerifyToken answers the webhook's verification. All required.
	Token, PhoneID, AppSecret, VerifyToken string
	// APIURL is the Graph API base URL with its version; default
	// DefaultAPIURL.
	APIURL string
	// HTTPClient makes the Graph API calls. Default: http.Client's
	// defaults. Each call has a deadline of its own (30 seconds, 2 minutes
	// for a file), so a Timeout here is best left unset: it would cut the
	// upload or download of a large file.
	HTTPClient *http.Client
	// Logger receives the lines the adapter logs itself. Default
	// slog.Default().
	Logger *slog.Logger
	// Files keeps the media people send, and holds what is sent to them.
	// Required.
	Files bot.FileStore
	// Pages keeps long lists' later pages. Required.
	Pages PageStore
	// Outbox hears of people writing and of late window refusals.
	Outbox Outbox
	// Reported, when set, hears of each error Meta reports about the
	// business number rather than a message (a webhook value's
	// "errors"), by its code; each is logged by its code too.
	Reported func(code int)
	// Statuses, when set, hears of every delivery report (sent,
	// delivered, read) of our messages.
	Statuses func(ctx context.Context, messageID, status string, at time.Time)
	// Delivered, when set, reports whether a delivery report said our
	// message was delivered or read: a failure Meta reports after that
	// (its reports may come out of order) is not told to staff.
	Delivered func(ctx context.Context, messageID string) (bool, error)
	// Labels are the channel's own words by language ("ar", "en"); the
	// first language is the default.
	Labels map[string]Labels
	// Template reopens a closed window; without one, what is owed outside
	// the window is kept as a dead letter.
	Template Template
	// Line, when set, keeps the messages with media, and what their
	// senders send after them, until the media are kept: the webhook
	// answers Meta at once and Run fetches and delivers them, in order,
	// in one process of all that share the Line. Without it, media are
	// fetched while Meta waits for the webhook's answer (Meta asks for a
	// median under 250 ms), which suits tests and one process only.
	Line Line
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Channel is the WhatsApp bot.Channel. It is safe for concurrent use.
type Channel struct {
	cfg      Config
	api      string
	client   *http.Client
	log      *slog.Logger
	deliver  Deliver
	now      func() time.Time
	reads    chan string                 // inbound message ids to mark as read
	degraded atomic.Pointer[degradation] // nil while Meta takes what we send
	noSender atomic.Int64                // inbound messages skipped for want of a "from"
	// callTimeout bounds one JSON call, mediaTimeout one file's upload
	// or download: the constants of the same names, shorter in tests.
	callTimeout, mediaTimeout time.Duration
	kick                      chan struct{} // a line was queued: look for due lines now
	// linePatience is the constant of that name, shorter in tests.
	linePatience time.Duration
}

var (
	_ bot.Channel  = (*Channel)(nil)
	_ bot.Pacer    = (*Channel)(nil)
	_ bot.Splitter = (*Channel)(nil)
	_ bot.Windowed = (*Channel)(nil)
	_ bot.Reopener = (*Channel)(nil)
	_ bot.Fetcher  = (*Channel)(nil)
	_ bot.FileLife = (*Channel)(nil)
)

// New checks cfg and returns the Channel; deliver receives the converted
// notifications.
func New(cfg Config, deliver Deliver) (*Channel, error) {
	var missing []string
	for name, v := range map[string]string{"token": cfg.Token, "phone number id": cfg.PhoneID,
		"app secret": cfg.AppSecret, "verify token": cfg.VerifyToken} {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, name)
		}
	}
	switch {
	case len(missing) > 0:
		return nil, fmt.Errorf("whatsapp: missing %s", strings.Join(missing, ", "))
	case deliver == nil || cfg.Files == nil || cfg.Pages == nil || cfg.Outbox == nil:
		return nil, errors.New("whatsapp: nil deliver, files, pages or outbox")
	}
	api := strings.TrimRight(cfg.APIURL, "/")
	if api == "" {
		api = DefaultAPIURL
	}
	if u, err := url.Parse(api); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("whatsapp: api url must be an absolute http(s) url")
	}
	c := &Channel{cfg: cfg, api: api, client: cfg.HTTPClient, log: cfg.Logger, deliver: deliver, now: cfg.Now,
		reads: make(chan string, 1024), callTimeout: callTimeout, mediaTimeout: mediaTimeout,
		kick: make(chan struct{}, 1), linePatience: linePatience}
	if c.client == nil {
		c.client = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("channel", Name)
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Name returns "whatsapp".
func (c *Channel) Name() string { return Name }

// Window is the customer service window: 24 hours after a person's last
// message, only templates may be sent to them.
func (c *Channel) Window() time.Duration { return window }

// Pace is how long the outbox waits between two messages to one person.
func (c *Channel) Pace(bot.Reply) time.Duration { return pace }

// PerSecond is the business number's throughput: 80 messages a second.
func (c *Channel) PerSecond() float64 { return perSecond }

// FileIDLife is how long an uploaded media id may be sent: Meta keeps
// uploads 30 days.
func (c *Channel) FileIDLife() time.Duration { return mediaIDLife }

// Degraded returns why the channel cannot send, or nil: Meta refused the
// access token (code 190 or HTTP 401; a later call Meta accepts clears
// it), or blocked the business account (368, 131031, 131042, named in the
// error; a later message Meta takes clears it).
func (c *Channel) Degraded() error {
	if d := c.degraded.Load(); d != nil {
		return d.err
	}
	return nil
}

// Run marks the messages people sent as read once they are handled, and
// drains the lines of messages waiting for their media (Config.Line),
// until ctx is done. Read receipts are a courtesy: one that fails is
// dropped.
func (c *Channel) Run(ctx context.Context) error {
	if c.cfg.Line != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.drainLines(ctx)
		}()
		defer func() { <-done }()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-c.reads:
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := c.markRead(rctx, id); err != nil && ctx.Err() == nil {
				c.log.Debug("read receipt", "err", err)
			}
			cancel()
		}
	}
}

// read queues a read receipt for an inbound message.
func (c *Channel) read(id string) {
	select {
	case c.reads <- id:
	default: // full: a courtesy skipped
	}
}

// labels are the channel's words in lang.
func (c *Channel) labels(lang string) Labels {
	if l, ok := c.cfg.Labels[lang]; ok {
		return l
	}
	if l, ok := c.cfg.Labels[defaultLang]; ok {
		return l
	}
	return Labels{Choose: "☰", Next: "→", Previous: "←", Prompt: "…"}
}
