package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/storage"
)

// serve runs the bot until ctx is done, then stops intake, lets in-flight
// work finish and closes everything in reverse order of creation.
func serve(ctx context.Context, e env, log *slog.Logger) error {
	cfg, err := config.Load(e.ConfigFile)
	if err != nil {
		return err
	}
	text, err := locales.New()
	if err != nil {
		return err
	}
	// go-redis logs (failed dials, mostly) through a process-wide logger
	// of its own: make those lines ours, JSON on stderr like the rest.
	redis.SetLogger(redisLogger{log.With("component", "redis")})
	store, err := storage.Open(ctx, e.RedisURL)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer store.Close()

	h := handlers.New(cfg, store, text, time.Now, log)
	// The Bot API client has a transport of its own, so that its idle
	// connections (and their goroutines) do not outlive serve.
	tgTransport := http.DefaultTransport.(*http.Transport).Clone()
	defer tgTransport.CloseIdleConnections()
	var intake *bot.Intake
	tg, err := telegram.New(telegram.Config{
		Token: e.TelegramToken, APIURL: e.TelegramAPI,
		WebhookURL: e.WebhookURL, WebhookSecret: e.WebhookSecret, Logger: log,
		PollTimeout: pollTimeout,
		HTTPClient:  &http.Client{Transport: tgTransport, Timeout: pollTimeout + 15*time.Second},
	}, func(ctx context.Context, m *bot.Message) error { return intake.Deliver(ctx, m) })
	if err != nil {
		return err
	}
	outbox := bot.NewOutbox(store, []bot.Channel{tg}, time.Now, log)
	intake = bot.NewIntake(store, h, outbox, log)

	mux, err := routes(store, tg, e.WebhookURL)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", e.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("listening", "addr", ln.Addr().String(), "webhook", e.WebhookURL != "")
	return runAll(ctx, log, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln, tg, outbox)
}

// routes serves health, readiness and, in webhook mode, the webhook path.
func routes(store *storage.Store, tg *telegram.Channel, webhookURL string) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Ping(r.Context()); err != nil {
			http.Error(w, "redis unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if webhookURL != "" {
		u, err := url.Parse(webhookURL)
		if err != nil || u.Path == "" {
			return nil, fmt.Errorf("TELEGRAM_WEBHOOK_URL %q: needs a path", webhookURL)
		}
		mux.Handle("POST "+u.Path, tg.WebhookHandler())
	}
	return mux, nil
}

// runAll runs intake (the HTTP server and the Telegram poller) and the
// outbox until ctx is done or one of them fails. Sending outlives intake:
// it stops only after intake has, so that the last replies still go out.
func runAll(ctx context.Context, log *slog.Logger, srv *http.Server, ln net.Listener, tg *telegram.Channel, outbox *bot.Outbox) error {
	sendCtx, stopSending := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Go(func() { errc <- outbox.Run(sendCtx) })
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
		iwg.Go(func() { errc <- tg.Run(runCtx) })
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
	_ = srv.Shutdown(sctx)
	select {
	case <-intakeDone:
	case <-sctx.Done():
	}
	time.AfterFunc(time.Second, stopSending) // a moment for replies just queued
	wg.Wait()
	return first
}

// redisLogger passes go-redis's log lines to slog.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...))
}
