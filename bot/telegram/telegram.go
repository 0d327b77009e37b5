// Package telegram is the Telegram adapter: it turns Bot API updates into
// bot.Messages and renders bot.Replies as Bot API calls. Outbound calls go
// through github.com/go-telegram/bot; intake (webhook and long polling) is
// implemented here so that an update is acknowledged to Telegram only after
// Deliver has made it safe.
package telegram

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/shakwa/shakwa/bot"
)

// Name is the channel name used in bot.Message.Channel and bot.Reply.Channel.
const Name = "telegram"

const (
	defaultAPIURL      = "https://api.telegram.org"
	defaultPollTimeout = 30 * time.Second
	initTimeout        = 10 * time.Second
	defaultLeaseTTL    = 10 * time.Second
	minBackoff         = time.Second
	maxBackoff         = 30 * time.Second
)

// Config configures a Channel.
type Config struct {
	// Token is the bot token from BotFather. Required.
	Token string
	// APIURL is the Bot API base URL; default "https://api.telegram.org".
	APIURL string
	// WebhookURL, when set, selects webhook mode: Run registers it with
	// setWebhook. It must be https. When empty, Run long-polls.
	WebhookURL string
	// WebhookSecret is sent to Telegram with setWebhook and checked on every
	// webhook request. Required with WebhookURL: 1-256 characters of
	// A-Z, a-z, 0-9, _ and -.
	WebhookSecret string
	// HTTPClient makes the Bot API calls. Its Timeout, if any, must exceed
	// PollTimeout. Default: a client with a timeout of PollTimeout+15s.
	HTTPClient *http.Client
	// Logger receives the few lines the adapter logs itself (intake
	// failures). Default slog.Default().
	Logger *slog.Logger
	// PollTimeout is the long-poll timeout, rounded to whole seconds (at
	// least one). Default 30s.
	PollTimeout time.Duration
	// Lease, when set, keeps long polling to one process of all that run
	// with the same token (Telegram allows one getUpdates at a time): the
	// process holding the lease polls, the others stand by and take over
	// within LeaseTTL of its end. Webhook mode needs none.
	Lease Leaser
	// LeaseTTL is how long the poll lease outlives its last renewal.
	// Default 10s.
	LeaseTTL time.Duration
	// Files, when set, holds the bytes of files that come from other
	// channels: Send uploads them from there.
	Files bot.FileStore
}

// Leaser grants a named lease to one holder at a time (see Config.Lease).
type Leaser interface {
	// Lease takes the lease name for holder for ttl, or renews it when
	// holder has it, and reports whether holder has it now.
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// Unlease gives the lease up, if holder has it.
	Unlease(ctx context.Context, name, holder string) error
}

// Deliver is called with each converted update. It returns nil only when the
// Message is safe (handled or durably queued); on error the update is
// redelivered: the webhook answers 500 so that Telegram retries, polling
// does not advance its offset past the update and tries again after a
// short backoff. Deliver is called for one update at a time when polling,
// and concurrently from webhook requests.
type Deliver func(ctx context.Context, m *bot.Message) error

// Channel is the Telegram bot.Channel. It is safe for concurrent use; Run
// must be called at most once at a time.
type Channel struct {
	api         *tgbot.Bot
	client      *http.Client
	apiURL      string
	token       string
	username    string // the bot's own @username, without "@"
	webhookURL  string
	secret      string
	pollTimeout time.Duration
	deliver     Deliver
	log         *slog.Logger
	now         func() time.Time
	backoff     time.Duration // first wait after a failed poll or delivery
	tokenRetry  time.Duration // wait after getUpdates refused the token
	lease       Leaser
	leaseTTL    time.Duration
	leaseName   string // names the bot, not its secret
	holder      string // this process, to the lease
	files       bot.FileStore
	migrated    sync.Map              // int64 → int64: groups that became supergroups, to their new ids
	degraded    atomic.Pointer[error] // why nothing can be sent or polled (the token refused), nil while it is taken
}

var _ bot.Channel = (*Channel)(nil)

// New checks cfg, asks Telegram who the bot is (getMe: it validates the
// token and gives the username that commands may carry) and returns the
// Channel. deliver receives the converted updates.
func New(cfg Config, deliver Deliver) (*Channel, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	if deliver == nil {
		return nil, errors.New("telegram: nil deliver")
	}
	c := &Channel{
		client:      cfg.HTTPClient,
		apiURL:      strings.TrimRight(cfg.APIURL, "/"),
		token:       cfg.Token,
		webhookURL:  cfg.WebhookURL,
		secret:      cfg.WebhookSecret,
		pollTimeout: cfg.PollTimeout,
		deliver:     deliver,
		log:         cfg.Logger,
		now:         time.Now,
		backoff:     minBackoff,
		tokenRetry:  tokenWait,
		lease:       cfg.Lease,
		leaseTTL:    cfg.LeaseTTL,
		files:       cfg.Files,
		holder:      rand.Text(),
	}
	if c.leaseTTL <= 0 {
		c.leaseTTL = defaultLeaseTTL
	}
	botID, _, _ := strings.Cut(cfg.Token, ":")
	c.leaseName = "telegram:poll:" + botID
	if c.apiURL == "" {
		c.apiURL = defaultAPIURL
	}
	if c.pollTimeout <= 0 {
		c.pollTimeout = defaultPollTimeout
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: c.pollTimeout + 15*time.Second}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.log = c.log.With("channel", Name)
	api, err := tgbot.New(cfg.Token,
		tgbot.WithServerURL(c.apiURL),
		tgbot.WithHTTPClient(c.pollTimeout, c.client),
		tgbot.WithSkipGetMe(), // we call it ourselves to learn the username
		tgbot.WithErrorsHandler(func(err error) {
			c.log.Warn("bot api client", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	c.api = api
	ctx, cancel := context.WithTimeout(context.Background(), initTimeout)
	defer cancel()
	me, err := api.GetMe(ctx)
	if err != nil {
		return nil, fmt.Errorf("telegram: getMe: %w", err)
	}
	c.username = me.Username
	return c, nil
}

func (cfg *Config) validate() error {
	if strings.TrimSpace(cfg.Token) == "" {
		return errors.New("empty token")
	}
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return errors.New("api url must be an absolute http(s) url")
		}
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return errors.New("webhook url must be an absolute https url")
		}
		if cfg.WebhookSecret == "" {
			return errors.New("webhook mode needs a webhook secret")
		}
	}
	if cfg.WebhookSecret != "" && !validSecret(cfg.WebhookSecret) {
		return errors.New("webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	return nil
}

func validSecret(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// Name returns "telegram".
func (c *Channel) Name() string { return Name }

// Run receives updates until ctx is done, then returns nil. In webhook mode
// it registers the webhook (url, secret and the update kinds we read) and
// waits: the updates arrive through WebhookHandler. Otherwise it removes any
// webhook and long-polls getUpdates, advancing the offset past an update
// only once Deliver accepted it; with a Lease, only while this process
// holds it. Transient Bot API failures are retried with backoff. A token
// Telegram refuses to getUpdates (401, 404) does not end Run: the channel
// is Degraded and polling asks again once a minute until it is taken. Run
// returns an error only when Telegram refuses the token to setWebhook or
// deleteWebhook, as Run begins, or rejects the webhook registration.
func (c *Channel) Run(ctx context.Context) error {
	if c.webhookURL != "" {
		if err := c.retry(ctx, "setWebhook", c.setWebhook); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
	if err := c.retry(ctx, "deleteWebhook", c.deleteWebhook); err != nil {
		return err
	}
	return c.poll(ctx)
}

// allowedUpdates names the update kinds the adapter converts; Telegram
// drops the others before they reach us.
func allowedUpdates() []string { return []string{"message", "edited_message", "callback_query"} }

func (c *Channel) setWebhook(ctx context.Context) error {
	_, err := c.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
		URL:            c.webhookURL,
		SecretToken:    c.secret,
		AllowedUpdates: allowedUpdates(),
	})
	return err
}

func (c *Channel) deleteWebhook(ctx context.Context) error {
	_, err := c.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
	return err
}

// retry calls f until it succeeds, fails permanently (returned) or ctx is
// done (nil: Run then returns nil too).
func (c *Channel) retry(ctx context.Context, op string, f func(context.Context) error) error {
	wait := c.backoff
	for {
		err := f(ctx)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		var re *bot.RetryError
		if errors.Is(err, tgbot.ErrorUnauthorized) || !errors.As(classify(err), &re) {
			return fmt.Errorf("telegram: %s: %w", op, err) // a refused token stops the bot's own work
		}
		c.log.Warn("bot api call failed; retrying", "op", op, "err", err, "wait", wait)
		if !sleep(ctx, max(wait, re.After)) {
			return nil
		}
		wait = min(2*wait, maxBackoff)
	}
}

// sleep waits for d or until ctx is done, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
