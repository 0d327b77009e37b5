package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram"
	"github.com/shakwa/shakwa/bot/web"
	"github.com/shakwa/shakwa/bot/whatsapp"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/telemetry"
)

// serve runs the bot until ctx is done, then stops intake, lets in-flight
// work finish and closes everything in reverse order of creation. In demo
// mode the configuration, the store and the staff channel have local
// defaults (see README).
func serve(ctx context.Context, e env, log *slog.Logger) error {
	cfg, err := serveConfig(e)
	if err != nil {
		return err
	}
	text, err := locales.New(func(lang, key string, err error) {
		log.Error("locale message", "lang", lang, "key", key, "err", err)
	})
	if err != nil {
		return err
	}
	// go-redis logs (failed dials, mostly) through a process-wide logger
	// of its own: make those lines ours, JSON on stderr like the rest.
	redis.SetLogger(redisLogger{log.With("component", "redis")})
	model := handlers.TallyModel(cfg)
	var store *storage.Store
	metrics := telemetry.New(func(ctx context.Context, now time.Time) ([]storage.LaneBacklog, error) {
		return store.OutboxBacklog(ctx, now)
	})
	store, closeStore, err := openStore(ctx, e, log, storage.WithTallier(model),
		storage.WithHook(metrics.RedisHook()), storage.WithTicketEvents(metrics.TicketEvent))
	if err != nil {
		return err
	}
	defer closeStore()
	fs, closeFiles, err := openFiles(e)
	if err != nil {
		return err
	}
	defer closeFiles()

	opts := handlers.Options{StaffChannel: telegram.Name, Files: fs, Breached: metrics.Breached}
	if e.TelegramToken == "" {
		opts.StaffChannel = web.Name // no Telegram: staff use the web panel (the demo's, or signed in)
	}
	h := handlers.New(cfg, store, text, time.Now, log, opts)
	var intake *bot.Intake
	deliver := func(ctx context.Context, m *bot.Message) error { return intake.Deliver(ctx, m) }
	var degraded []named // channels that may find they cannot send or poll
	mux := routes(store, &degraded)
	mux.Handle("GET /metrics", metrics.Handler(e.MetricsToken))
	// Forged webhook requests, not the platforms' own, are limited.
	guarded := newGuard(e.WebProxy)
	var channels []bot.Channel
	runners := []func(context.Context) error{keepTallies(store, model, log)}
	var onShutdown []func() // run as shutdown begins
	if e.TelegramToken != "" {
		tg, closeTG, err := newTelegram(e, log, store, fs, deliver)
		if err != nil {
			return err
		}
		defer closeTG()
		if err := webhookRoute(mux, guarded.wrap(tg.WebhookHandler()), e.WebhookURL); err != nil {
			return err
		}
		channels, runners = append(channels, tg), append(runners, tg.Run)
		degraded = append(degraded, named{telegram.Name, tg.Degraded})
	}
	if e.Demo || e.WebSecret != "" {
		wc, err := newWeb(e, cfg, text, store, fs, deliver, log)
		if err != nil {
			return err
		}
		// Live event streams never go idle: end them as shutdown begins, or
		// the server would wait for them until its timeout.
		onShutdown = append(onShutdown, func() { wc.Close() })
		mux.Handle("/chat", wc.Handler())
		mux.Handle("/chat/", wc.Handler())
		channels = append(channels, wc)
	}
	var wa *whatsapp.Channel
	later := &outboxLater{}
	if e.WhatsApp.Token != "" {
		wa, err = newWhatsApp(e, cfg, text, store, fs, later, deliver, metrics, log)
		if err != nil {
			return err
		}
		mux.Handle(e.WhatsApp.WebhookPath, guarded.wrap(wa.WebhookHandler()))
		channels, runners = append(channels, wa), append(runners, wa.Run)
		degraded = append(degraded, named{whatsapp.Name, wa.Degraded})
	}
	outbox := bot.NewOutbox(store, channels, time.Now, log)
	outbox.BulkPerSecond = cfg.Limits.BulkPerSecond
	logBacklog(ctx, store, log)
	outbox.Files, outbox.FileMap, outbox.Window = fs, store, store
	outbox.Fetched = func(ctx context.Context, content string) {
		if err := store.ScheduleJob(ctx, handlers.JobDropUpload, content, time.Now().Add(handlers.SentKeep)); err != nil {
			log.Warn("schedule a sent file's removal", "err", err)
		}
	}
	outbox.Undelivered = undelivered(deliver)
	outbox.Observe = metrics
	later.Outbox = outbox
	intake = bot.NewIntake(store, h, outbox, time.Now, log)
	intake.Observe = metrics
	jobs := bot.NewJobs(store, outbox, time.Now, log)
	jobs.Observe = metrics
	jobs.Handle(handlers.JobAutoClose, h)
	jobs.Handle(handlers.JobIdle, h)
	jobs.Handle(handlers.JobSLA, h)
	jobs.Handle(handlers.JobOverdue, h)
	jobs.Handle(handlers.JobAssess, h)
	jobs.Handle(handlers.JobDropDocument, h)
	jobs.Handle(handlers.JobDropUpload, h)
	for _, kind := range []string{handlers.JobReportDaily, handlers.JobReportWeekly, handlers.JobReportMonthly} {
		jobs.Recur(kind, h, h.NextReport(kind))
	}
	jobs.Recur(handlers.JobRetention, h, h.NextRetention)
	if err := h.ScheduleReports(ctx); err != nil {
		return err
	}
	if err := h.ScheduleRetention(ctx); err != nil {
		return err
	}
	if err := h.ScheduleAssessments(ctx); err != nil {
		return err
	}
	// Listening for SIGHUP from here on: once "listening" is logged, a
	// reload is never the signal's default (the end of the process).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	runners = append(runners, reloadOn(hup, e, cfg, h, log))

	if e.PprofAddr != "" {
		stop, err := servePprof(e.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", e.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "webhook", e.WebhookURL != "", "demo", e.Demo)
	if e.Demo {
		fmt.Fprintf(e.Stderr, "shakwa demo: open http://%s/chat (staff and managers: http://%[1]s/chat/staff)\n", ln.Addr())
	}
	srv := newServer(mux, log)
	for _, f := range onShutdown {
		srv.RegisterOnShutdown(f)
	}
	return runAll(ctx, log, srv, ln, runners, jobs, outbox)
}

// The HTTP server's deadlines for slow clients. Vars for the tests.
var (
	// bodyTimeout is how long a request with a body (a message, an
	// upload, a webhook's update) may take to arrive, from its start.
	bodyTimeout = 2 * time.Minute // more for a large body: see bodyWait
	// idleTimeout is how long a kept-alive connection may wait for its
	// next request.
	idleTimeout = 2 * time.Minute
)

// newServer is an HTTP server of h whose own errors (a handler's panic, a
// failed TLS handshake...) go to log as one WARN line with a fixed message
// and the error's kind: net/http's text names the client's address, and a
// panic's value may hold what a person sent. A request's headers must
// arrive within 10 seconds, its body within bodyTimeout (see
// bodyDeadline), and an idle connection is closed after idleTimeout.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: bodyDeadline(h, bodyTimeout), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: idleTimeout, ErrorLog: stdlog.New(serverErrors{log}, "", 0)}
}

// serverErrors is the writer of an HTTP server's error log: each line it
// is given becomes a fixed one, and the text is dropped.
type serverErrors struct{ log *slog.Logger }

func (w serverErrors) Write(p []byte) (int, error) {
	kind := "other"
	switch line := string(p); {
	case strings.HasPrefix(line, "http: panic serving "):
		kind = "panic"
	case strings.HasPrefix(line, "http: TLS handshake error"):
		kind = "tls handshake"
	case strings.HasPrefix(line, "http: Accept error"):
		kind = "accept"
	case strings.HasPrefix(line, "http: superfluous response.WriteHeader"):
		kind = "superfluous WriteHeader"
	}
	w.log.Warn("http server error", "kind", kind)
	return len(p), nil
}

// reloadOn reads the configuration file again each time hup fires, and
// puts it in force (handlers.Reload) when it is valid and counts tickets
// as the one in force does; otherwise it says why, and the one in force
// stays. Conversations, queues and jobs go on: they live in Redis. What
// serve wired at start (see keptFromStart) stays as it was, and a reload
// that changes it warns, naming the fields.
func reloadOn(hup <-chan os.Signal, e env, start *config.Config, h *handlers.Handler, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-hup:
			}
			cfg, err := serveConfig(e)
			if err == nil {
				err = h.Reload(cfg)
			}
			if err != nil {
				log.Error("configuration not reloaded; the one in force stays", "file", e.ConfigFile, "err", err)
				continue
			}
			if err := h.ScheduleReports(ctx); err != nil { // for readers new to it
				log.Warn("schedule reports after a reload", "err", err)
			}
			if err := h.ScheduleAssessments(ctx); err != nil { // standards new to it
				log.Warn("schedule self-assessments after a reload", "err", err)
			}
			log.Info("configuration reloaded", "file", e.ConfigFile, "people", len(cfg.People), "centres", len(cfg.Centres))
			if kept := keptFromStart(start, cfg, webPanel(e)); len(kept) > 0 {
				log.Warn("configuration reloaded, but these fields keep their values from start until a restart",
					"file", e.ConfigFile, "fields", kept)
			}
		}
	}
}

// keptFromStart names the fields of next that differ from start's and
// are read only at start: the outbox's pace, the web chat's look and the
// sites that may embed it, the WhatsApp template, and, when the web staff
// panel is on (panel), its people and centres' names and groups.
func keptFromStart(start, next *config.Config, panel bool) []string {
	var kept []string
	changed := func(field string, differs bool) {
		if differs {
			kept = append(kept, field)
		}
	}
	changed("limits.bulk_per_second", start.Limits.BulkPerSecond != next.Limits.BulkPerSecond)
	changed("web.name", !maps.Equal(start.Web.Name, next.Web.Name))
	changed("web.colour", start.Web.Colour != next.Web.Colour)
	changed("web.logo", start.Web.Logo != next.Web.Logo)
	changed("web.embed_origins", !slices.Equal(start.Web.EmbedOrigins, next.Web.EmbedOrigins))
	changed("whatsapp.template", !reflect.DeepEqual(start.WhatsApp.Template, next.WhatsApp.Template))
	if panel {
		changed("people (in the web staff panel)", !reflect.DeepEqual(start.People, next.People))
		changed("centres (names and staff_chat, in the web staff panel)", !slices.EqualFunc(start.Centres, next.Centres,
			func(a, b config.Centre) bool { return a.Name == b.Name && a.StaffChat == b.StaffChat }))
	}
	return kept
}

// webPanel reports whether serve runs the web staff panel, whose people
// are read at start: in the demo, and on the web with no Telegram.
func webPanel(e env) bool {
	return e.Demo || e.WebSecret != "" && e.TelegramToken == ""
}

// loadConfig reads the configuration file; the demo falls back to the
// built-in example.
func loadConfig(e env) (*config.Config, error) {
	if e.ConfigFile == "" && e.Demo {
		return config.Parse(shakwa.ExampleConfig)
	}
	return config.Load(e.ConfigFile)
}

// serveConfig is loadConfig for serve and its reloads, which refuse the
// example configuration: its people are placeholders, and whoever holds
// their Telegram ids would get their roles. The demo runs it.
func serveConfig(e env) (*config.Config, error) {
	cfg, err := loadConfig(e)
	if e.Demo {
		return cfg, err
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w (%s)", err, ownConfig)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Example {
		return nil, fmt.Errorf("%s is the example configuration (example: true): its people are placeholders, "+
			"and whoever holds their Telegram ids would get their roles (%s)", e.ConfigFile, ownConfig)
	}
	return cfg, nil
}

// ownConfig says how to make a configuration serve runs.
const ownConfig = "copy config.example.yaml, put your own centres and people in it, delete its line " +
	"\"example: true\", and point SHAKWA_CONFIG or -config at it; to try shakwa without one: shakwa demo"

// openStore connects to REDIS_URL; the demo without one starts an
// in-memory store, and says so once, in a line for the operator's eyes
// (as it says where to open it).
func openStore(ctx context.Context, e env, log *slog.Logger, opts ...storage.Option) (*storage.Store, func(), error) {
	if e.RedisURL == "" && e.Demo {
		store, stop, err := storage.OpenMemory(ctx, opts...)
		if err != nil {
			return nil, nil, fmt.Errorf("in-memory store: %w", err)
		}
		fmt.Fprintln(e.Stderr, "shakwa demo: REDIS_URL is not set, so data lives in memory and is lost when the demo stops")
		return store, func() { store.Close(); stop() }, nil
	}
	store, err := storage.Open(ctx, e.RedisURL, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	return store, func() { store.Close() }, nil
}

// openFiles opens the file store in FILES_DIR; the demo without one keeps
// files in a temporary directory, removed when it stops.
func openFiles(e env) (*files.Store, func(), error) {
	dir, cleanup := e.FilesDir, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "shakwa-files-")
		if err != nil {
			return nil, nil, fmt.Errorf("files: %w", err)
		}
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	fs, err := files.Open(dir, e.FilesMax)
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("FILES_DIR: %w", err)
	}
	return fs, cleanup, nil
}

// newTelegram builds the Telegram channel. Its Bot API client has a
// transport of its own, so that its idle connections (and their
// goroutines) do not outlive serve. Long polling is leased in the store:
// of several replicas, one polls.
func newTelegram(e env, log *slog.Logger, store *storage.Store, fs *files.Store, deliver telegram.Deliver) (*telegram.Channel, func(), error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	tg, err := telegram.New(telegram.Config{
		Token: e.TelegramToken, APIURL: e.TelegramAPI,
		WebhookURL: e.WebhookURL, WebhookSecret: e.WebhookSecret, Logger: log,
		PollTimeout: pollTimeout, Lease: store, Files: fs,
		HTTPClient: &http.Client{Transport: transport, Timeout: pollTimeout + 15*time.Second},
	}, deliver)
	if err != nil {
		transport.CloseIdleConnections()
		return nil, nil, err
	}
	return tg, transport.CloseIdleConnections, nil
}

// newWeb builds the web chat channel: its page's own words come from the
// locales, and in demo mode anyone may act as the configured people.
func newWeb(e env, cfg *config.Config, text *locales.Bundle, store *storage.Store, fs *files.Store, deliver web.Deliver, log *slog.Logger) (*web.Channel, error) {
	secret, err := webSecret(e)
	if err != nil {
		return nil, err
	}
	labels := map[string]map[string]string{}
	for _, lang := range locales.Langs() {
		labels[lang] = map[string]string{}
		for _, key := range text.Keys(lang) {
			if name, ok := strings.CutPrefix(key, "web."); ok {
				labels[lang][name] = text.Text(lang, key, map[string]any{"Max": flows.MaxText})
			}
		}
	}
	brand, err := webBrand(cfg.Web)
	if err != nil {
		return nil, err
	}
	wc := web.Config{Secret: secret, Labels: labels, Logger: log, TrustProxy: e.WebProxy, Files: fs,
		MaxText: flows.MaxText, Brand: brand, EmbedOrigins: cfg.Web.EmbedOrigins}
	switch {
	case e.Demo:
		wc.Demo = demoPeople(cfg, text)
	case webPanel(e):
		// Staff are not on Telegram: they work in the web panel, each
		// signed in with a link from `shakwa staff-link`.
		wc.Staff = demoPeople(cfg, text)
	}
	return web.New(wc, webStore{store}, deliver)
}

// webBrand reads the web chat's name, colour and logo from the config.
func webBrand(w config.Web) (web.Brand, error) {
	b := web.Brand{Name: w.Name, Colour: w.Colour}
	if w.Logo == "" {
		return b, nil
	}
	logo, err := os.ReadFile(w.Logo)
	if err != nil {
		return web.Brand{}, fmt.Errorf("web.logo: %w", err)
	}
	b.Logo = logo
	b.LogoType = map[string]string{".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
		".svg": "image/svg+xml"}[strings.ToLower(filepath.Ext(w.Logo))]
	return b, nil
}

// webSecret is WEB_CHAT_SECRET (hex, at least 32 bytes), or in the demo a
// random one: sessions then last as long as the process.
func webSecret(e env) ([]byte, error) {
	if e.WebSecret == "" {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	}
	b, err := hex.DecodeString(e.WebSecret)
	if err != nil || len(b) < 32 {
		return nil, errors.New("WEB_CHAT_SECRET: want at least 64 hex digits (32 bytes), e.g. from `openssl rand -hex 32`")
	}
	return b, nil
}

// demoPeople lists the configured people and their chats for the web
// staff panel, its words in Arabic and, for the English page, English.
func demoPeople(cfg *config.Config, text *locales.Bundle) *web.Demo {
	d := &web.Demo{}
	for _, p := range cfg.People {
		id := strconv.FormatInt(p.Telegram, 10)
		words := func(lang string) web.DemoWords {
			w := web.DemoWords{Role: text.Text(lang, "role."+string(p.Role), nil),
				Chats: map[string]string{id: text.Text(lang, "web.private_chat", nil)}}
			var serves []string
			for _, code := range p.Centres {
				if ce, ok := cfg.Centre(code); ok {
					serves = append(serves, ce.Name.In(lang))
					w.Chats[strconv.FormatInt(ce.StaffChat, 10)] = ce.Name.In(lang)
				}
			}
			w.Serves = strings.Join(serves, text.Text(lang, "stats.separator", nil))
			if len(p.Centres) == 0 {
				w.Serves = text.Text(lang, "web.all_centres", nil)
			}
			return w
		}
		ar := words("ar")
		dp := web.DemoPerson{ID: id, Name: p.Name, Role: ar.Role, Serves: ar.Serves,
			Chats: []web.DemoChat{{ID: id, Label: ar.Chats[id]}}, In: map[string]web.DemoWords{"en": words("en")}}
		if p.Role != shakwa.RoleManager {
			for _, code := range p.Centres {
				if ce, ok := cfg.Centre(code); ok {
					chat := strconv.FormatInt(ce.StaffChat, 10)
					dp.Chats = append(dp.Chats, web.DemoChat{ID: chat, Label: ar.Chats[chat], Group: true})
				}
			}
		}
		d.People = append(d.People, dp)
	}
	return d
}

// named is a channel's check of whether it can send (Telegram's also of
// whether it can poll).
type named struct {
	name     string
	degraded func() error
}

// routes serves health and readiness. /readyz answers JSON: "ok" or why
// not for Redis and for each channel that can find it cannot send or
// poll (a refused token, a WhatsApp account Meta blocked), with 503 when
// any is not ok.
func routes(store *storage.Store, channels *[]named) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status, ready := map[string]string{"redis": "ok"}, true
		if err := store.Ping(r.Context()); err != nil {
			status["redis"], ready = "unavailable", false
		}
		for _, ch := range *channels {
			status[ch.name] = "ok"
			if err := ch.degraded(); err != nil {
				status[ch.name], ready = "degraded: "+err.Error(), false
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(status)
	})
	return mux
}

// undelivered tells the bot of a reply about a ticket that the outbox gave
// up on, as the platform's own delivery report would: a Message from the
// chat it was for, so that the ticket's holder hears of it.
func undelivered(deliver func(context.Context, *bot.Message) error) func(context.Context, bot.Reply, bot.Failure) error {
	return func(ctx context.Context, r bot.Reply, f bot.Failure) error {
		if !strings.HasPrefix(r.Ref, "ticket:") || r.Notice {
			return nil
		}
		b, _ := json.Marshal(r)
		sum := sha256.Sum256(b)
		f.Ref = r.Ref
		m := &bot.Message{ID: "undelivered:" + hex.EncodeToString(sum[:12]), Channel: r.Channel, Chat: r.Chat,
			From: bot.User{ID: r.Chat}, Failed: &f, Time: time.Now()}
		return deliver(ctx, m)
	}
}

// outboxLater lets the WhatsApp channel, made before the outbox, talk to
// it.
type outboxLater struct{ *bot.Outbox }

// newWhatsApp builds the WhatsApp channel: its words from the locales, its
// template from the configuration, long lists' pages and delivery reports
// in Redis.
func newWhatsApp(e env, cfg *config.Config, text *locales.Bundle, store *storage.Store, fs *files.Store, out whatsapp.Outbox, deliver whatsapp.Deliver, metrics *telemetry.Metrics, log *slog.Logger) (*whatsapp.Channel, error) {
	labels := map[string]whatsapp.Labels{}
	for _, lang := range locales.Langs() {
		labels[lang] = whatsapp.Labels{Choose: text.Text(lang, "wa.choose", nil), Next: text.Text(lang, "wa.next", nil),
			Previous: text.Text(lang, "wa.previous", nil), Prompt: text.Text(lang, "wa.prompt", nil)}
	}
	w := e.WhatsApp
	return whatsapp.New(whatsapp.Config{
		Token: w.Token, PhoneID: w.PhoneID, AppSecret: w.AppSecret, VerifyToken: w.VerifyToken, APIURL: w.APIURL,
		Logger: log, Files: fs, Pages: store, Outbox: out, Labels: labels, Line: store,
		Reported: func(code int) { metrics.PlatformError(whatsapp.Name, code) },
		Template: whatsapp.Template{Name: cfg.WhatsApp.Template.Name, Languages: cfg.WhatsApp.Template.Languages},
		Statuses: func(ctx context.Context, id, status string, at time.Time) {
			if err := store.SetDelivery(ctx, id, status, at); err != nil {
				log.Warn("delivery report", "channel", whatsapp.Name, "err", err)
			}
		},
		Delivered: func(ctx context.Context, id string) (bool, error) {
			delivered, err := store.Delivered(ctx, id)
			if errors.Is(err, shakwa.ErrInvalid) {
				// A record that cannot be read says nothing: the failure
				// is told rather than the webhook refused for days.
				log.Warn("delivery report", "channel", whatsapp.Name, "err", err)
				return false, nil
			}
			return delivered, err
		},
	}, deliver)
}

// webhookRoute serves the Telegram webhook at its URL's path, in webhook
// mode.
func webhookRoute(mux *http.ServeMux, hook http.Handler, webhookURL string) error {
	if webhookURL == "" {
		return nil
	}
	u, err := url.Parse(webhookURL)
	if err != nil || u.Path == "" {
		return fmt.Errorf("TELEGRAM_WEBHOOK_URL %q: needs a path", webhookURL)
	}
	mux.Handle("POST "+u.Path, hook)
	return nil
}

// runAll runs intake (the HTTP server and the pollers), the job runner and
// the outbox until ctx is done or one of them fails, then stops them in
// that order: intake first, letting the updates in flight finish; then
// the jobs, letting their runs finish; and the outbox last, once what was
// queued went out (or shutdownTimeout passed: what is left stays queued
// for the other replicas, or this one's restart).
func runAll(ctx context.Context, log *slog.Logger, srv *http.Server, ln net.Listener, runners []func(context.Context) error, jobs *bot.Jobs, outbox *bot.Outbox) error {
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSending()
	var wg sync.WaitGroup
	errc := make(chan error, 3+len(runners))
	wg.Go(func() { errc <- outbox.Run(sendCtx) })
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		errc <- jobs.Run(jobsCtx)
	}()
	runCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	intakeDone := make(chan struct{})
	go func() {
		defer close(intakeDone)
		var iwg sync.WaitGroup
		iwg.Go(func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		})
		for _, run := range runners {
			iwg.Go(func() { errc <- run(runCtx) })
		}
		iwg.Wait()
	}()

	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
	}
	log.Info("shutting down")
	stopIntake()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && first == nil {
		first = fmt.Errorf("http shutdown: %w", err)
	}
	select {
	case <-intakeDone:
	case <-sctx.Done():
	}
	stopJobs()
	select {
	case <-jobsDone:
	case <-sctx.Done():
	}
	if err := outbox.Drain(sctx); err != nil {
		log.Warn("outbox not drained at shutdown; the rest stays queued", "err", err)
	}
	stopSending()
	wg.Wait()
	return first
}

// redisLogger passes go-redis's log lines to slog.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}

// webStore gives the web channel the store in the shape it names.
type webStore struct{ *storage.Store }

func (s webStore) MailSince(ctx context.Context, chat, after string, limit int) ([]string, [][]byte, error) {
	ms, err := s.Store.MailSince(ctx, chat, after, limit)
	ids, data := make([]string, len(ms)), make([][]byte, len(ms))
	for i, m := range ms {
		ids[i], data[i] = m.ID, m.Data
	}
	return ids, data, err
}

// logBacklog says what waits in the outbox's lanes as the bot starts: a
// backlog left by a stop, or by a platform that was down.
func logBacklog(ctx context.Context, store *storage.Store, log *slog.Logger) {
	bl, err := store.OutboxBacklog(ctx, time.Now())
	if err != nil {
		log.Warn("outbox backlog", "err", err)
		return
	}
	var args []any
	for _, l := range namedLanes(bl) {
		args = append(args, slog.Group(l.name, "items", l.Items, "overdue_ms", l.Overdue.Milliseconds()))
	}
	log.Info("outbox backlog", args...)
}

// namedLane is a lane's backlog under its priority's name.
type namedLane struct {
	name string
	storage.LaneBacklog
}

// namedLanes names bl's lanes, in the order of the priorities.
func namedLanes(bl []storage.LaneBacklog) []namedLane {
	var out []namedLane
	for _, p := range []bot.Priority{bot.Answer, bot.Notify, bot.Bulk} {
		for _, l := range bl {
			if l.Lane == p.Lane() {
				out = append(out, namedLane{p.String(), l})
			}
		}
	}
	return out
}

// servePprof answers Go's profiler on addr, apart from the public port.
func servePprof(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := newServer(mux, log)
	go func() { _ = srv.Serve(ln) }()
	log.Info("profiler", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
