package storage

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// testStore opens a Store on SHAKWA_TEST_REDIS with a prefix of its own.
// (storagetest cannot be used here: it imports this package.)
func testStore(t *testing.T) *Store {
	url := os.Getenv("SHAKWA_TEST_REDIS")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SHAKWA_TEST_REDIS not set: on CI the tests need real Redis; run them with scripts/test")
		}
		t.Skip("SHAKWA_TEST_REDIS not set; scripts/test starts Redis and sets it")
	}
	prefix := "test:internal:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	s, err := Open(context.Background(), url, WithPrefix(prefix))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		c := context.Background()
		keys, _ := s.rdb.Keys(c, prefix+"*").Result()
		if len(keys) > 0 {
			s.rdb.Del(c, keys...)
		}
		s.Close()
	})
	return s
}

// TestIndexRaces replays index updates that arrive late, after a newer
// change of the ticket: the newer state's entries must survive.
func TestIndexRaces(t *testing.T) {
	s := testStore(t)
	c := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tk := &shakwa.Ticket{Centre: "KRM", Created: now}
	if err := s.CreateTicket(c, tk, shakwa.Address{Channel: "telegram", Chat: "1"}, ""); err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	queue := s.key("queue", "KRM")
	inQueue := func(when string) {
		t.Helper()
		got, err := s.rdb.ZRange(c, queue, 0, -1).Result()
		if err != nil || !slices.Equal(got, []string{tk.ID}) {
			t.Errorf("%s: queue = %v, %v; want [%s]", when, got, err, tk.ID)
		}
	}

	// A claim's index update, late: the ticket was released meanwhile.
	claimed := *tk
	claimed.Status, claimed.Holder = shakwa.StatusClaimed, shakwa.Staff{ID: "7"}
	if err := s.index(c, tk, &claimed); err != nil {
		t.Fatalf("index: %v", err)
	}
	inQueue("after a late claim update")

	// The same, made with an update's commit: the ticket read in the
	// commit's own pipeline brings the entry back.
	b := s.Batch(c)
	if err := s.indexSoon(b, tk, &claimed); err != nil {
		t.Fatalf("indexSoon: %v", err)
	}
	inQueue("before the commit")
	if err := s.Commit(b); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	inQueue("after a late claim update with a commit")

	// A reader that judged the entry stale just before a release.
	if err := s.prune(c, queue, []string{tk.ID}); err != nil {
		t.Fatalf("prune: %v", err)
	}
	inQueue("after a late prune")

	// A reader that found the entry while CreateTicket had not yet written
	// the record: the entry goes, and CreateTicket's second pass restores it.
	if err := s.rdb.ZAdd(c, queue, redis.Z{Score: 1, Member: "KRM-000404"}).Err(); err != nil {
		t.Fatalf("ZADD: %v", err)
	}
	if ts, err := s.Queue(c, "KRM", 0); err != nil || len(ts) != 1 {
		t.Errorf("Queue = %d tickets, %v; want 1", len(ts), err)
	}
	inQueue("after pruning a missing ticket")
}
