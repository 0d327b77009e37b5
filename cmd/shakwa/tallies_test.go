package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/handlers"
	"github.com/shakwa/shakwa/storage"
)

// tallyDB is the Redis database of the tallies tests.
const tallyDB = 11

// TestTallies: tickets filed before the program kept tallies are counted
// once it starts (by one replica of two), and again by "shakwa tallies
// rebuild" after they were lost; a new SLA target makes them be rebuilt.
func TestTallies(t *testing.T) {
	redisURL := testRedis(t, tallyDB)
	ctx := context.Background()
	cfg, err := config.Load(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	old, err := storage.Open(ctx, redisURL) // no tallies, as before the upgrade
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	created := time.Now().Add(-3 * time.Hour)
	for range 5 {
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: created, Updated: created}
		if err := old.CreateTicket(ctx, tk, shakwa.Address{Channel: "telegram", Chat: "5001"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	received := func() int64 {
		t.Helper()
		got, err := old.ReadTallies(ctx, []shakwa.TallyKey{{Centre: "KRM", Key: "d:" + created.In(cfg.Location).Format("20060102")}})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.ParseInt(got[0]["rcv"], 10, 64)
		return n
	}

	// Two replicas start: the tallies are made, once.
	m := handlers.TallyModel(cfg)
	quiet := slog.New(slog.DiscardHandler)
	stores := make([]*storage.Store, 2)
	for i := range stores {
		if stores[i], err = storage.Open(ctx, redisURL, storage.WithTallier(m)); err != nil {
			t.Fatal(err)
		}
		defer stores[i].Close()
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 2)
	for _, s := range stores {
		go func() { done <- keepTallies(s, m, quiet)(runCtx) }()
	}
	deadline := time.Now().Add(waitFor)
	for mark, _ := old.TallyMark(ctx); mark != m.Fingerprint(); mark, _ = old.TallyMark(ctx) {
		if time.Now().After(deadline) {
			t.Fatal("the tallies were never rebuilt on start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	<-done
	if n := received(); n != 5 {
		t.Fatalf("received %d after the start; want the 5 tickets filed before", n)
	}

	// Lost, then rebuilt by the command.
	opt, _ := redis.ParseURL(redisURL)
	raw := redis.NewClient(opt)
	defer raw.Close()
	keys, err := raw.Keys(ctx, "agg:{KRM}:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("tally keys %v, %v", keys, err)
	}
	raw.Del(ctx, keys...)
	if n := received(); n != 0 {
		t.Fatalf("received %d with the tallies gone", n)
	}
	var out bytes.Buffer
	env := map[string]string{"REDIS_URL": redisURL}
	if err := run(ctx, []string{"tallies", "rebuild", "-config", testConfig}, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatalf("tallies rebuild: %v\n%s", err, out.String())
	}
	if n := received(); n != 5 {
		t.Errorf("received %d after the rebuild; want 5, not more", n)
	}
	if !strings.Contains(out.String(), "tallies rebuilt") {
		t.Errorf("tallies rebuild said:\n%s\nwant it to say it was done", out.String())
	}

	// Another target is another fingerprint: the next start rebuilds.
	cfg.Centres[0].SLA.Claim = config.Duration(5 * time.Minute)
	if m2 := handlers.TallyModel(cfg); m2.Fingerprint() == m.Fingerprint() {
		t.Error("a new SLA target keeps the fingerprint; the tallies would stay as they were")
	}
	if err := run(ctx, []string{"tallies"}, func(string) string { return "" }, &out, &out); err == nil {
		t.Error("tallies without rebuild: no error")
	}

	// Another replica rebuilding: said, and no success.
	store, err := storage.Open(ctx, redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if ok, err := store.Lease(ctx, talliesLease, "another replica", time.Minute); !ok || err != nil {
		t.Fatalf("lease: %v, %v", ok, err)
	}
	before, err := store.TallyMark(ctx)
	if err != nil || before == "" {
		t.Fatalf("the mark before: %q, %v; want the rebuild's", before, err)
	}
	err = run(ctx, []string{"tallies", "rebuild", "-config", testConfig}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "another replica is rebuilding") {
		t.Errorf("tallies rebuild while another replica holds the lease: %v; want it to say another replica is rebuilding", err)
	}
	if after, err := store.TallyMark(ctx); after != before || err != nil {
		t.Errorf("the mark after a rebuild that did nothing: %q, %v; want %q kept", after, err, before)
	}
}
