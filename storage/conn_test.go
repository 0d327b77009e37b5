package storage_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// testReconnect closes a Store and opens another on the same keys: nothing
// is lost and the new one keeps working.
func testReconnect(t *testing.T, open opener) {
	f := open(t)
	c := ctx(t)
	id := newTicket(t, f.s, "KRM", citizen, at(0)).ID
	if err := f.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := f.s.Ticket(c, id); err == nil {
		t.Errorf("Ticket on a closed Store: got nil error; want one")
	}
	s, err := f.reopen(c, storage.WithPrefix(f.prefix))
	if err != nil {
		t.Fatalf("opening the Store again: %v", err)
	}
	defer s.Close()
	if tk, err := s.Claim(c, id, fatima, nil, at(1)); err != nil || tk.Holder != fatima {
		t.Errorf("Claim after reopening = %+v, %v; want held by fatima", tk, err)
	}
	if got := newTicket(t, s, "KRM", citizen, at(2)).ID; got != "KRM-000002" {
		t.Errorf("next id after reopening: %s; want KRM-000002", got)
	}
}

// testKilledConnections kills the Store's connections on the server, as a
// Redis restart or a proxy would: the next calls reconnect and succeed.
func testKilledConnections(t *testing.T, open opener) {
	name := "shakwa-kill-" + strings.Trim(storagetest.Prefix(t), ":")
	o, err := storage.ParseURL(storagetest.URL(t))
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	o.ClientName = name
	rdb := redis.NewUniversalClient(o)
	prefix := storagetest.Prefix(t)
	s, err := storage.New(ctx(t), rdb, storage.WithPrefix(prefix))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		storagetest.Clean(t, storagetest.URL(t), prefix)
	})
	c := ctx(t)
	id := newTicket(t, s, "KRM", citizen, at(0)).ID
	admin := open(t).rdb
	for round := range 3 {
		if n := killClients(t, admin, name); n == 0 {
			t.Fatalf("round %d: found no connection named %s to kill", round, name)
		}
		if _, err := s.Note(c, id, fatima, "after kill", at(round+1)); err != nil {
			t.Errorf("round %d: Note after the connections were killed: %v", round, err)
		}
	}
	if evs, err := s.Events(c, id); err != nil || len(evs) != 4 {
		t.Errorf("Events = %d, %v; want 4", len(evs), err)
	}
}

// killClients kills the connections named name and returns how many.
func killClients(t *testing.T, admin redis.UniversalClient, name string) int {
	t.Helper()
	list, err := admin.ClientList(ctx(t)).Result()
	if err != nil {
		t.Fatalf("CLIENT LIST: %v", err)
	}
	n := 0
	for line := range strings.SplitSeq(list, "\n") {
		var id string
		for f := range strings.FieldsSeq(line) {
			if v, ok := strings.CutPrefix(f, "id="); ok {
				id = v
			}
			if f == "name="+name && id != "" {
				if err := admin.Do(ctx(t), "CLIENT", "KILL", "ID", id).Err(); err != nil {
					t.Fatalf("CLIENT KILL ID %s: %v", id, err)
				}
				n++
			}
		}
	}
	return n
}

func TestOpenErrors(t *testing.T) {
	c := context.Background()
	if _, err := storage.Open(c, "http://localhost"); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("Open(http://...): got %v; want ErrInvalid", err)
	}
	// Nothing listens on port 1; the deadline bounds the attempt.
	c, cancel := context.WithTimeout(c, 2*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := storage.Open(c, "redis://127.0.0.1:1"); err == nil {
		t.Errorf("Open(port 1): got nil error; want one")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open(port 1) took %v; want it bounded by the context", d)
	}
}

// TestContextDeadline: a deadline on ctx bounds a Redis call, because Open
// turns ContextTimeoutEnabled on.
func TestContextDeadline(t *testing.T) {
	s, err := storage.Open(ctx(t), storagetest.URL(t), storage.WithPrefix(storagetest.Prefix(t)))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	c, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-c.Done()
	if _, err := s.Ticket(c, "KRM-000001"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ticket with an expired context: got %v; want context.DeadlineExceeded", err)
	}
}

// TestStoragetest checks the helper other packages' tests use.
func TestStoragetest(t *testing.T) {
	s := storagetest.Store(t)
	if err := s.SetLang(ctx(t), citizen, "en", time.Now()); err != nil {
		t.Fatalf("SetLang: %v", err)
	}
	other := storagetest.Store(t)
	if l, err := other.Lang(ctx(t), citizen); l != "" || err != nil {
		t.Errorf("Lang in another test's store = %q, %v; want \"\" (prefixes keep tests apart)", l, err)
	}
}
