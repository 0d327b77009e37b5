package storage

import "github.com/redis/go-redis/v9"

// MemoryOptions returns a copy of the client options of an OpenMemory
// Store, for tests to open clients of their own on its server.
func MemoryOptions(s *Store) *redis.Options {
	o := *s.rdb.(*redis.Client).Options()
	return &o
}
