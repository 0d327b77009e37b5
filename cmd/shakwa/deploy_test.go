package main

import (
	"os"
	"path"
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

// TestDockerIgnore: secrets, data, the operator's configuration and what
// tests leave behind never enter the image's build context, while
// everything the build reads does.
func TestDockerIgnore(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, name := range []string{".env", "deploy/.env", ".env.production", ".git", ".git/HEAD",
		"data/files/ab/cdef", "artifacts/citizen-ar.png", "config.yaml", "shakwa",
		"cmd/shakwa/shakwa.test", "coverage.out", "storage/cpu.prof", ".cache/go-build/00/x"} {
		if !ignored(patterns, name) {
			t.Errorf("%s enters the build context; want it left out", name)
		}
	}
	// What the build reads: the module, the sources and what they embed.
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			if d != nil && (d.Name() == ".git" || d.Name() == "artifacts" || d.Name() == "data") {
				return filepath.SkipDir
			}
			return err
		}
		name := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		needed := strings.HasSuffix(name, ".go") || strings.HasSuffix(name, ".toml") ||
			strings.Contains(name, "/static/") || strings.Contains(name, "/fonts/") ||
			slices.Contains([]string{"go.mod", "go.sum", "config.example.yaml"}, name)
		if needed && ignored(patterns, name) {
			t.Errorf("%s is left out of the build context; the build needs it", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ignored says whether .dockerignore's patterns leave name out, as Docker
// reads them: each is matched against the path and its parent directories,
// ** spans directories, and the last pattern that matches wins (! keeps).
func ignored(patterns []string, name string) bool {
	parts, out := strings.Split(name, "/"), false
	for _, p := range patterns {
		keep := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimSuffix(strings.TrimPrefix(p, "!"), "/"), "/")
		for n := 1; n <= len(parts); n++ {
			if matchParts(strings.Split(p, "/"), parts[:n]) {
				out = !keep
				break
			}
		}
	}
	return out
}

// matchParts matches a pattern's segments against a path's, ** matching
// any number of segments.
func matchParts(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchParts(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], name[0])
	return err == nil && ok && matchParts(pat[1:], name[1:])
}
