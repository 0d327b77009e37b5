package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
)

// adminDB is the Redis database of TestAdminCommands.
const adminDB = 3

// TestAdminCommands: reindex finds and puts back an index entry a crash
// lost; dead-letters lists what could not be delivered without its chat or
// words, and retry sends it again, once; each says so on stdout.
func TestAdminCommands(t *testing.T) {
	redisURL := testRedis(t, adminDB)
	getenv := func(k string) string { return map[string]string{"REDIS_URL": redisURL}[k] }
	ctx := context.Background()
	store, err := storage.Open(ctx, redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "x", Created: time.Now()}
	if err := store.CreateTicket(ctx, tk, shakwa.Address{Channel: "telegram", Chat: "5009"}, ""); err != nil {
		t.Fatal(err)
	}
	opt, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.ZRem(ctx, "queue:{KRM}", tk.ID).Err(); err != nil {
		t.Fatal(err)
	}
	say := func(args ...string) string { // stdout
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	if got := say("reindex", "-dry-run"); !strings.Contains(got, "1 index entries missing") {
		t.Errorf("reindex -dry-run: %q", got)
	}
	if got := say("reindex"); !strings.Contains(got, "1 index entries added") {
		t.Errorf("reindex: %q", got)
	}
	if q, _ := store.Queue(ctx, "KRM", 5); len(q) != 1 {
		t.Errorf("queue after reindex: %d; want 1", len(q))
	}

	// A reply the platform refused for good.
	o := bot.NewOutbox(store, nil, time.Now, slog.New(slog.DiscardHandler))
	r := bot.Reply{Channel: "telegram", Chat: "5009", Text: "نص خاص بالمتعامل", Ref: "ticket:" + tk.ID}
	if _, err := o.Enqueue(ctx, "in:1", time.Hour, []bot.Reply{r}); err != nil {
		t.Fatal(err)
	}
	q, item, _, _, err := store.NextDue(ctx, time.Now().Add(time.Second), time.Minute, nil)
	if err != nil || q == "" {
		t.Fatalf("NextDue: %q, %v", q, err)
	}
	var got bot.Reply
	if json.Unmarshal(item, &got); got.Text != r.Text {
		t.Fatalf("leased %q", item)
	}
	if err := store.Dead(ctx, q, "403 Forbidden: bot was blocked by the user", time.Now()); err != nil {
		t.Fatal(err)
	}
	list := say("dead-letters")
	if !strings.Contains(list, "ticket:"+tk.ID) || !strings.Contains(list, "blocked") || strings.Contains(list, "5009") ||
		strings.Contains(list, r.Text) {
		t.Errorf("dead-letters list: %q; want the ref and reason, no chat, no words", list)
	}
	if got := say("dead-letters", "retry", "-dry-run"); !strings.Contains(got, "1 would go back") {
		t.Errorf("retry -dry-run: %q", got)
	}
	if got := say("dead-letters", "retry"); !strings.Contains(got, "1 back in the outbox") {
		t.Errorf("retry: %q", got)
	}
	if n, err := store.Pending(ctx); err != nil || n != 1 {
		t.Errorf("pending after retry: %d, %v; want 1", n, err)
	}
	if got := say("dead-letters", "retry"); !strings.Contains(got, "0 back") {
		t.Errorf("a second retry: %q; want nothing", got)
	}

	// The export, to disk, and in the audit record.
	dir := t.TempDir()
	wrote := say("export", "-config", testConfig, "-out", dir, "هذا الشهر", "KRM")
	if !strings.Contains(wrote, "export: 1 requests") || strings.Count(wrote, dir) != 4 {
		t.Errorf("export: %q; want four files and one request", wrote)
	}
	for _, name := range []string{"shakwa-export-", "shakwa-tickets-", "shakwa-centres-", "shakwa-history-"} {
		if !strings.Contains(wrote, filepath.Join(dir, name)) {
			t.Errorf("export wrote no %s* file: %q", name, wrote)
		}
	}
	var diag bytes.Buffer
	err = run(ctx, []string{"export", "-config", testConfig, "-out", dir, "bogus"}, getenv, io.Discard, &diag)
	for _, want := range []string{`export "bogus"`, "last month", "2026-11", ".."} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("export bogus: %v; want an error that lists the periods, saying %q", err, want)
		}
	}
	log, err := store.AuditLog(ctx, 10)
	if err != nil || len(log) == 0 || log[len(log)-1].Kind != "exported" || log[len(log)-1].By != "server" ||
		!strings.Contains(log[len(log)-1].What, "KRM, 1 requests") {
		t.Errorf("audit record %+v, %v; want the export, by the server", log, err)
	}
}
