package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
