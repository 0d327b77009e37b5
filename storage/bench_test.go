package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// Run with: scripts/test ./storage/ -run '^$' -bench . -benchtime 2000x

func BenchmarkCreateTicket(b *testing.B) {
	s := storagetest.Store(b)
	c := ctx(b)
	for i := 0; b.Loop(); i++ {
		tk := &shakwa.Ticket{Centre: "KRM", Text: "benchmark", Created: base.Add(time.Duration(i))}
		if err := s.CreateTicket(c, tk, citizen, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClaim(b *testing.B) {
	s := storagetest.Store(b)
	c := ctx(b)
	ids := make([]string, b.N)
	for i := range ids {
		tk := &shakwa.Ticket{Centre: "KRM", Created: base}
		if err := s.CreateTicket(c, tk, citizen, ""); err != nil {
			b.Fatal(err)
		}
		ids[i] = tk.ID
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Claim(c, ids[i], shakwa.Staff{ID: fmt.Sprint(i % 7)}, nil, base); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMailAppend appends to one web chat's mailbox, trimmed to 100.
func BenchmarkMailAppend(b *testing.B) {
	run := func(b *testing.B, s *storage.Store) {
		c := ctx(b)
		data := []byte(`{"text":"تم استلام شكواك"}`)
		for b.Loop() {
			if _, err := s.MailAppend(c, "web:bench", data, 100, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("redis", func(b *testing.B) { run(b, storagetest.Store(b)) })
	b.Run("memory", func(b *testing.B) {
		s, stop, err := storage.OpenMemory(ctx(b))
		if err != nil {
			b.Fatal(err)
		}
		defer stop()
		run(b, s)
	})
}
