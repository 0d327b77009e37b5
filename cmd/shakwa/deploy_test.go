package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestComposeService: compose.yaml gives the bot longer than its drain on
// SIGTERM before it is killed, checks its health with `shakwa health`
// (the image has no curl), and rotates every service's log.
func TestComposeService(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			StopGracePeriod string `yaml:"stop_grace_period"`
			Healthcheck     struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			Logging struct {
				Driver  string            `yaml:"driver"`
				Options map[string]string `yaml:"options"`
			} `yaml:"logging"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	bot, ok := compose.Services["shakwa"]
	if !ok {
		t.Fatal("compose.yaml has no shakwa service")
	}
	// The drain, and a margin for the stops around it.
	if grace, err := time.ParseDuration(bot.StopGracePeriod); err != nil || grace < shutdownTimeout+10*time.Second {
		t.Errorf("shakwa's stop_grace_period is %q; want at least %v, longer than the %v drain", bot.StopGracePeriod,
			shutdownTimeout+10*time.Second, shutdownTimeout)
	}
	if want := []string{"CMD", "/usr/local/bin/shakwa", "health"}; !slices.Equal(bot.Healthcheck.Test, want) {
		t.Errorf("shakwa's healthcheck runs %q; want %q", bot.Healthcheck.Test, want)
	}
	for name, s := range compose.Services {
		if s.Logging.Driver != "json-file" || s.Logging.Options["max-size"] == "" || s.Logging.Options["max-file"] == "" {
			t.Errorf("%s's logging is %+v; want json-file with max-size and max-file", name, s.Logging)
		}
	}
}

// TestDockerfile: the image holds no configuration (the example's
// placeholder people must not be a default) and checks its health with
// `shakwa health`.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var healthcheck bool
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "COPY") && strings.Contains(line, "config.example.yaml") {
			t.Errorf("the Dockerfile copies the example configuration into the image: %q", line)
		}
		if strings.HasPrefix(line, "HEALTHCHECK") && strings.HasSuffix(line, `CMD ["/usr/local/bin/shakwa", "health"]`) {
			healthcheck = true
		}
	}
	if !healthcheck {
		t.Error(`the Dockerfile has no HEALTHCHECK running ["/usr/local/bin/shakwa", "health"]`)
	}
}
