// Package storagetest gives tests a storage.Store on a real Redis, with
// keys of their own that are deleted when the test ends.
//
// The servers come from the environment: SHAKWA_TEST_REDIS (a REDIS_URL,
// e.g. redis://127.0.0.1:6379) and SHAKWA_TEST_REDIS_CLUSTER (host:port of
// the cluster's nodes, comma separated). scripts/test starts both and sets
// them. When one is unset the test is skipped, or fails if CI is "true".
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa/storage"
)

// Env variables naming the test servers.
const (
	EnvRedis   = "SHAKWA_TEST_REDIS"
	EnvCluster = "SHAKWA_TEST_REDIS_CLUSTER"
)

// Store returns a Store on the standalone Redis of SHAKWA_TEST_REDIS, with a
// key prefix unique to this call. Its keys are deleted and its client
// closed when t ends. opts are added to the Store's.
func Store(t testing.TB, opts ...storage.Option) *storage.Store {
	t.Helper()
	return open(t, URL(t), opts...)
}

// Hooked is Store with hook on its Redis client: a test that counts or
// watches the commands the Store sends.
func Hooked(t testing.TB, hook redis.Hook, opts ...storage.Option) *storage.Store {
	t.Helper()
	return openHooked(t, URL(t), hook, opts...)
}

// HookedCluster is Hooked on the Redis Cluster.
func HookedCluster(t testing.TB, hook redis.Hook, opts ...storage.Option) *storage.Store {
	t.Helper()
	return openHooked(t, ClusterURL(t), hook, opts...)
}

// Cluster returns a Store on the Redis Cluster of
// SHAKWA_TEST_REDIS_CLUSTER, as Store does for a single server.
func Cluster(t testing.TB) *storage.Store {
	t.Helper()
	return open(t, ClusterURL(t))
}

// URL returns SHAKWA_TEST_REDIS, or skips t (fails it on CI) when unset.
func URL(t testing.TB) string {
	t.Helper()
	return env(t, EnvRedis)
}

// ClusterURL returns a REDIS_URL for the nodes of SHAKWA_TEST_REDIS_CLUSTER,
// or skips t (fails it on CI) when unset.
func ClusterURL(t testing.TB) string {
	t.Helper()
	return "redis://" + env(t, EnvCluster)
}

func env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not set: on CI the tests need real Redis; run them with scripts/test", name)
	}
	t.Skipf("%s not set; scripts/test starts Redis and sets it", name)
	return ""
}

// Prefix returns a key prefix no other test uses.
func Prefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random prefix: %v", err)
	}
	return "test:" + hex.EncodeToString(b) + ":"
}

func open(t testing.TB, url string, opts ...storage.Option) *storage.Store {
	t.Helper()
	return openHooked(t, url, nil, opts...)
}

func openHooked(t testing.TB, url string, hook redis.Hook, opts ...storage.Option) *storage.Store {
	t.Helper()
	ro, err := storage.ParseURL(url)
	if err != nil {
		t.Fatalf("test redis url: %v", err)
	}
	rdb := redis.NewUniversalClient(ro)
	if hook != nil {
		rdb.AddHook(hook)
	}
	prefix := Prefix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := storage.New(ctx, rdb, append(opts, storage.WithPrefix(prefix))...)
	if err != nil {
		_ = rdb.Close()
		t.Fatalf("test redis at %s: %v", url, err)
	}
	t.Cleanup(func() {
		_ = s.Close() // an error here means the test closed it already
		Clean(t, url, prefix)
	})
	return s
}

// Clean deletes the keys starting with prefix from the Redis at url, on
// every primary of a cluster. Tests that open their own Store with a
// Prefix call it from t.Cleanup.
func Clean(t testing.TB, url, prefix string) {
	t.Helper()
	opts, err := storage.ParseURL(url)
	if err != nil {
		t.Fatalf("test redis url: %v", err)
	}
	rdb := redis.NewUniversalClient(opts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := clean(ctx, rdb, prefix); err != nil {
		t.Errorf("delete test keys %s*: %v", prefix, err)
	}
}

func clean(ctx context.Context, rdb redis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := c.Unlink(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, del)
	case *redis.Client:
		return del(ctx, c)
	}
	return nil
}
