package telemetry

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
)

// TestDashboard: every metric the Grafana dashboard asks for is one the
// bot serves, and its data source is the one provisioned.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "dashboards", "shakwa.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string
		Panels []struct {
			Title      string
			Datasource struct{ UID string }
			Targets    []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	// Every series the bot can have, once each kind has happened.
	m := New(func(context.Context, time.Time) ([]storage.LaneBacklog, error) {
		return []storage.LaneBacklog{{Lane: storage.LaneAnswer}}, nil
	})
	m.Update("telegram", bot.Handled, time.Millisecond)
	m.Send("telegram", bot.Answer, bot.SendOK)
	m.Job("sla", true, time.Second, time.Now())
	m.TicketEvent("KRM", "created")
	m.Breached("KRM", 1)
	m.redisTrips.WithLabelValues("command").Observe(0.001)
	_, body := scrape(t, m.Handler(""), "")
	served := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, kind, _ := strings.Cut(name, " ")
			served[name] = true
			if kind == "histogram" {
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					served[name+suffix] = true
				}
			}
		}
	}
	ds, err := os.ReadFile(filepath.Join("..", "deploy", "grafana", "provisioning", "datasources", "prometheus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var prov struct{ Datasources []struct{ UID string } }
	if err := yaml.Unmarshal(ds, &prov); err != nil || len(prov.Datasources) != 1 {
		t.Fatalf("data sources: %v, %+v", err, prov)
	}
	names := regexp.MustCompile(`\b(?:shakwa|go|process)_[a-z_]+\b`)
	asked := 0
	for _, p := range dash.Panels {
		if p.Datasource.UID != prov.Datasources[0].UID {
			t.Errorf("%q: data source %q; want the provisioned %q", p.Title, p.Datasource.UID, prov.Datasources[0].UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%q: no query", p.Title)
		}
		for _, q := range p.Targets {
			for _, name := range names.FindAllString(q.Expr, -1) {
				asked++
				if !served[name] {
					t.Errorf("%q asks for %s, which the bot does not serve", p.Title, name)
				}
			}
		}
	}
	if asked < 10 {
		t.Errorf("the dashboard asks for %d metrics; want its every panel", asked)
	}
}

// TestPrometheusConfig: the monitoring profile's Prometheus scrapes the
// bot's /metrics with the token.
func TestPrometheusConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "deploy", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			Authorization struct {
				Type            string
				CredentialsFile string `yaml:"credentials_file"`
			}
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil || len(cfg.ScrapeConfigs) != 1 {
		t.Fatalf("prometheus.yml: %v, %+v", err, cfg)
	}
	sc := cfg.ScrapeConfigs[0]
	if sc.JobName != "shakwa" || sc.MetricsPath != "/metrics" || sc.Authorization.Type != "Bearer" ||
		sc.Authorization.CredentialsFile != "/run/secrets/metrics_token" ||
		len(sc.StaticConfigs) != 1 || len(sc.StaticConfigs[0].Targets) == 0 {
		t.Errorf("scrape config %+v; want job shakwa, /metrics, the token's secret and the bot as target", sc)
	}
	compose, err := os.ReadFile(filepath.Join("..", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(compose), "environment: METRICS_TOKEN") {
		t.Error("compose.yaml does not make METRICS_TOKEN the metrics_token secret")
	}
}
