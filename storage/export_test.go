package storage

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// MemoryOptions returns a copy of the client options of an OpenMemory
// Store, for tests to open clients of their own on its server.
func MemoryOptions(s *Store) *redis.Options {
	o := *s.rdb.(*redis.Client).Options()
	return &o
}

// SetDeliveryRaw stores v as message id's delivery record, as no version
// of the store would: for tests of records that cannot be read.
func SetDeliveryRaw(ctx context.Context, s *Store, id, v string) error {
	return s.rdb.Set(ctx, s.deliveryKey(id), v, time.Hour).Err()
}
