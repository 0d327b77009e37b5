// Package telemetry is the bot's Prometheus metrics: what intake, the
// outbox and the job runner do (as a bot.Observer), tickets filed and
// changed per centre, SLA escalations, Redis round trips, and the outbox's
// backlog read from the store at each scrape, with the Go runtime's and
// the process's own.
//
// Labels are channel, lane, outcome and job kind names, centre codes and
// fixed words: never a ticket id, a chat or a person, so that the number
// of series stays small and no metric carries personal data.
package telemetry

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
)

// Metrics holds the bot's metrics. Create it with New; it is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	updates    *prometheus.CounterVec
	handling   *prometheus.HistogramVec
	sends      *prometheus.CounterVec
	tickets    *prometheus.CounterVec
	breaches   *prometheus.CounterVec
	platform   *prometheus.CounterVec
	jobs       *prometheus.CounterVec
	jobLast    *prometheus.GaugeVec
	redisTrips *prometheus.HistogramVec
	redisErrs  prometheus.Counter
}

var _ bot.Observer = (*Metrics)(nil)

// Backlog reads what waits in the outbox's lanes (storage.OutboxBacklog).
type Backlog func(ctx context.Context, now time.Time) ([]storage.LaneBacklog, error)

// New registers the metrics, and, when backlog is not nil, a collector
// that reads the outbox's backlog at each scrape (one round trip, at most
// every few seconds however often it is scraped).
func New(backlog Backlog) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{reg: reg}
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m.updates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shakwa_updates_total",
		Help: "Updates delivered to intake, by channel and how their handling ended (handled, duplicate, retry, apologized, panic, error).",
	}, []string{"channel", "outcome"})
	m.handling = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "shakwa_update_duration_seconds",
		Help:    "Time from an update's delivery to its replies being queued (or its refusal), by channel.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"channel"})
	m.sends = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shakwa_sends_total",
		Help: "Attempts to send a queued reply, by channel, lane (answer, notify, bulk) and result (ok, retried, rate_limited, dead).",
	}, []string{"channel", "lane", "result"})
	m.tickets = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shakwa_ticket_events_total",
		Help: "Tickets filed (created) and changed (claimed, resolved, closed, rejected, transferred, ...), by centre code and kind.",
	}, []string{"centre", "kind"})
	m.breaches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shakwa_sla_breaches_total",
		Help: "SLA escalations taken, by centre code and level of the escalation ladder (1 is its first rung).",
	}, []string{"centre", "level"})
	m.platform = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shakwa_platform_errors_total",
		Help: "Errors a platform reported about the bot's own account, not about one message (WhatsApp: a webhook value's errors), by channel and the platform's error code.",
	}, []string{"channel", "code"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shakwa_job_runs_total",
		Help: "Runs of scheduled jobs, by kind and result (ok, failed: it is run again later).",
	}, []string{"kind", "result"})
	m.jobLast = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "shakwa_job_last_run_timestamp_seconds",
		Help: "When a job of the kind last ended well on this replica, as a Unix time.",
	}, []string{"kind"})
	m.redisTrips = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "shakwa_redis_round_trip_seconds",
		Help:    "Redis round trips, by kind (command, pipeline): a command sent alone or a pipeline is one.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1},
	}, []string{"kind"})
	m.redisErrs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "shakwa_redis_errors_total",
		Help: "Redis round trips that failed (a missing key is no failure).",
	})
	for _, c := range []prometheus.Collector{m.updates, m.handling, m.sends, m.tickets, m.breaches, m.platform, m.jobs,
		m.jobLast, m.redisTrips, m.redisErrs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	if backlog != nil {
		f(&backlogCollector{read: backlog, every: 5 * time.Second})
	}
	return m
}

// Update counts one delivered update; see bot.Observer.
func (m *Metrics) Update(channel string, outcome bot.Outcome, took time.Duration) {
	m.updates.WithLabelValues(channel, string(outcome)).Inc()
	m.handling.WithLabelValues(channel).Observe(took.Seconds())
}

// Send counts one send attempt; see bot.Observer.
func (m *Metrics) Send(channel string, lane bot.Priority, result bot.SendResult) {
	m.sends.WithLabelValues(channel, lane.String(), string(result)).Inc()
}

// Job counts one job run; see bot.Observer.
func (m *Metrics) Job(kind string, ok bool, took time.Duration, at time.Time) {
	result := "failed"
	if ok {
		result = "ok"
		m.jobLast.WithLabelValues(kind).Set(float64(at.UnixMilli()) / 1000)
	}
	m.jobs.WithLabelValues(kind, result).Inc()
}

// TicketEvent counts a ticket filed or changed (storage.WithTicketEvents).
func (m *Metrics) TicketEvent(centre, kind string) {
	m.tickets.WithLabelValues(centre, kind).Inc()
}

// Breached counts an SLA escalation (handlers.Options.Breached).
func (m *Metrics) Breached(centre string, level int) {
	m.breaches.WithLabelValues(centre, strconv.Itoa(level)).Inc()
}

// PlatformError counts an error a platform reported about the bot's
// account (whatsapp.Config.Reported).
func (m *Metrics) PlatformError(channel string, code int) {
	m.platform.WithLabelValues(channel, strconv.Itoa(code)).Inc()
}

// RedisHook times the store's round trips (storage.WithHook).
func (m *Metrics) RedisHook() redis.Hook { return redisHook{m} }

// Handler serves the metrics in Prometheus' text format. With a token,
// only a request with "Authorization: Bearer <token>" is served.
func (m *Metrics) Handler(token string) http.Handler {
	// A collector that fails (the backlog, when Redis does not answer)
	// leaves the rest of the scrape served.
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type redisHook struct{ m *Metrics }

func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.observe("command", start, cmd)
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.observe("pipeline", start, cmds...)
		return err
	}
}

// observe times one round trip, and counts it failed when one of its
// commands failed.
func (h redisHook) observe(kind string, start time.Time, cmds ...redis.Cmder) {
	h.m.redisTrips.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	for _, c := range cmds {
		if failed(c) {
			h.m.redisErrs.Inc()
			return
		}
	}
}

// failed reports whether c failed. A missing key is an answer; a script
// the server lost is sent again by go-redis at once; and the client's own
// introductions on connecting (CLIENT SETINFO and the like, which older
// servers do not know) are left to go-redis, which goes on without them.
func failed(c redis.Cmder) bool {
	err := c.Err()
	return err != nil && !errors.Is(err, redis.Nil) && !redis.HasErrorPrefix(err, "NOSCRIPT") && c.Name() != "client"
}
