package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const benchDB = 13

// TestBench runs the load tool small, against the real bot (this test
// binary as `shakwa serve`): every update is accepted, every new citizen
// answered while the bulk backlog waits, and each figure is printed.
func TestBench(t *testing.T) {
	t.Setenv(asMain, "1") // the bot the bench starts is this binary, as main
	redisURL := testRedis(t, benchDB)
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	err := run(ctx, []string{"bench", "-redis", redisURL, "-c", "5", "-citizens", "20", "-backlog", "300", "-answers", "5"},
		func(string) string { return "" }, &out, &out)
	t.Logf("bench:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	// 20 complaints of 7 updates, and a claim of each.
	if m := regexp.MustCompile(`updates: (\d+) in`).FindStringSubmatch(text); m == nil || m[1] != "160" {
		t.Errorf("updates: %v; want 160, every one accepted", m)
	}
	if strings.Contains(text, "not accepted") {
		t.Error("some updates were not accepted")
	}
	m := regexp.MustCompile(`with the backlog waiting: p50 .*max (\S+) \((\d+)\)`).FindStringSubmatch(text)
	if m == nil || m[2] != "5" {
		t.Fatalf("answers with the backlog waiting: %v; want 5 timed", m)
	}
	if d, err := time.ParseDuration(m[1]); err != nil || d >= 30*time.Second {
		t.Errorf("longest answer with the backlog waiting: %s; want each answered (30 s is a miss)", m[1])
	}
	for _, want := range []string{"webhook latency of the citizens' updates: p50", "redis per update", "bot memory:",
		"queued 300 bulk notifications", "outbox now: answer", "redis-benchmark EVAL"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in the output", want)
		}
	}
	// Each update begins and commits: 2 round trips at least, read from
	// the bot's own count.
	if m := regexp.MustCompile(`redis per update .*, ([\d.]+) round trips`).FindStringSubmatch(text); m == nil {
		t.Error("no round trips per update in the output")
	} else if n, _ := strconv.ParseFloat(m[1], 64); n < 2 || n > 10 {
		t.Errorf("%s round trips per update; want 2 to 10", m[1])
	}
	if m := regexp.MustCompile(`bot memory: (\d+) MiB`).FindStringSubmatch(text); m != nil {
		if n, _ := strconv.Atoi(m[1]); n == 0 {
			t.Error("bot memory: 0 MiB; want its resident size")
		}
	}
}
