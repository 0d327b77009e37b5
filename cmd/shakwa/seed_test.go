package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/internal/seed"
	"github.com/shakwa/shakwa/storage"
)

// seedDB is the Redis database of the seed tests.
const seedDB = 12

// TestSeed: "shakwa seed" writes the tickets asked for, of generated
// centres listed in the configuration it writes, with tallies marked as
// made by that configuration; it refuses a database holding tickets
// unless told -yes, and generated centres without a configuration to
// write.
func TestSeed(t *testing.T) {
	redisURL := testRedis(t, seedDB)
	ctx := context.Background()
	env := map[string]string{"REDIS_URL": redisURL}
	getenv := func(k string) string { return env[k] }
	cfgFile := filepath.Join(t.TempDir(), "seeded.yaml")
	seedRun := func(args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := run(ctx, append([]string{"seed"}, args...), getenv, &out, &out)
		return out.String(), err
	}

	out, err := seedRun("-tickets", "300", "-centres", "8", "-days", "20", "-seed", "3", "-write-config", cfgFile)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	for _, want := range []string{"synthetic", "300 tickets", "used_memory", "per ticket"} {
		if !strings.Contains(out, want) {
			t.Errorf("seed said:\n%s\nwant it to say %q", out, want)
		}
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		t.Fatalf("the written configuration: %v", err)
	}
	if len(cfg.Centres) != 8 || cfg.Centres[7].Code != seed.Code(7) {
		t.Errorf("the written configuration has centres %v; want the 8 generated", cfg.CentreCodes())
	}
	if m, ok := cfg.Person(seed.ManagerID); !ok || m.Role != shakwa.RoleManager {
		t.Errorf("the written configuration has no manager %d", seed.ManagerID)
	}
	store, err := storage.Open(ctx, redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	count := func() int64 {
		t.Helper()
		n, err := store.TicketCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 300 {
		t.Errorf("%d tickets in the database; want 300", n)
	}
	if mark, _ := store.TallyMark(ctx); mark != handlers.TallyModel(cfg).Fingerprint() {
		t.Errorf("tally mark %q; want the written configuration's, so that serve does not rebuild", mark)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string // in the error
	}{
		{"not empty", []string{"-tickets", "10", "-centres", "3"}, "-yes"},
		{"generated centres, no configuration", []string{"-tickets", "10", "-yes"}, "-write-config"},
		{"no tickets", []string{"-tickets", "0"}, "-tickets"},
		{"bad configuration", []string{"-config", filepath.Join(t.TempDir(), "none.yaml"), "-yes"}, "none.yaml"},
	} {
		out, err := seedRun(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: seed %v: %v\n%s\nwant an error that mentions %s", tc.name, tc.args, err, out, tc.want)
		}
	}
	if n := count(); n != 300 {
		t.Errorf("%d tickets after the refusals; want the 300 still", n)
	}

	// The example's own centres, beside the others: told -yes, it adds.
	if out, err := seedRun("-tickets", "50", "-centres", "3", "-days", "5", "-yes"); err != nil {
		t.Fatalf("seed -yes: %v\n%s", err, out)
	}
	if n := count(); n != 350 {
		t.Errorf("%d tickets after seeding 50 more; want 350", n)
	}
	if _, err := store.Ticket(ctx, "KRM-000001"); err != nil {
		t.Errorf("the example's first centre has no ticket KRM-000001: %v", err)
	}
	if out, err := seedRun("-h"); err != nil || !strings.Contains(out, "-write-config") {
		t.Errorf("seed -h: %v\n%s", err, out)
	}
}
