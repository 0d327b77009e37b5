package telemetry

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shakwa/shakwa/storage"
)

var (
	backlogItems = prometheus.NewDesc("shakwa_outbox_backlog",
		"Replies waiting in the outbox, by lane (answer, notify, bulk), for the whole fleet.", []string{"lane"}, nil)
	backlogOverdue = prometheus.NewDesc("shakwa_outbox_overdue_seconds",
		"How long the lane's queue due earliest has been due: in a backlog, about the age of its oldest reply.", []string{"lane"}, nil)
)

// laneNames are the store's lanes as the metrics name them.
var laneNames = map[string]string{storage.LaneAnswer: "answer", storage.LaneNotify: "notify", storage.LaneBulk: "bulk"}

// backlogCollector reads the outbox's backlog when scraped, at most once
// every while: several Prometheus servers scraping several replicas make
// no more work for Redis than one.
type backlogCollector struct {
	read  Backlog
	every time.Duration

	mu   sync.Mutex
	at   time.Time
	last []storage.LaneBacklog
	err  error
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogItems
	ch <- backlogOverdue
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	lanes, err := c.get()
	if err != nil {
		// The rest of the scrape is served; Redis' own errors say why.
		ch <- prometheus.NewInvalidMetric(backlogItems, err)
		return
	}
	for _, l := range lanes {
		name := laneNames[l.Lane]
		ch <- prometheus.MustNewConstMetric(backlogItems, prometheus.GaugeValue, float64(l.Items), name)
		ch <- prometheus.MustNewConstMetric(backlogOverdue, prometheus.GaugeValue, l.Overdue.Seconds(), name)
	}
}

func (c *backlogCollector) get() ([]storage.LaneBacklog, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !c.at.IsZero() && now.Sub(c.at) < c.every {
		return c.last, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.last, c.err = c.read(ctx, now)
	c.at = now
	return c.last, c.err
}
