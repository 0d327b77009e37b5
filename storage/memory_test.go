package storage_test

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa/storage"
)

// TestOpenMemory: the in-process server refuses clients without its
// password, and stop ends it (twice is fine).
func TestOpenMemory(t *testing.T) {
	c := ctx(t)
	s, stop, err := storage.OpenMemory(c)
	if err != nil {
		t.Fatalf("OpenMemory: %v", err)
	}
	defer stop()
	o := storage.MemoryOptions(s)
	o.MaxRetries = -1 // fail at once after stop
	rdb := redis.NewClient(o)
	defer rdb.Close()
	stranger := redis.NewClient(&redis.Options{Addr: o.Addr})
	defer stranger.Close()
	if err := stranger.Set(c, "k", "v", 0).Err(); err == nil {
		t.Errorf("SET without the password: got nil error; want one")
	}
	if err := s.Ping(c); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	stop()
	stop()
	if err := rdb.Ping(c).Err(); err == nil {
		t.Errorf("Ping after stop: got nil error; want one")
	}
}
