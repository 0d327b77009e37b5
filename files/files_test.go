package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

func put(t *testing.T, s *Store, data string) string {
	t.Helper()
	id, n, err := s.Put(context.Background(), strings.NewReader(data), "image/jpeg")
	if err != nil || n != int64(len(data)) {
		t.Fatalf("Put = %s, %d, %v", id, n, err)
	}
	return id
}

func read(t *testing.T, s *Store, id string) (string, Info) {
	t.Helper()
	rc, _, _, err := s.Open(context.Background(), id)
	if err != nil {
		t.Fatalf("Open(%s): %v", id, err)
	}
	in, err := s.Stat(id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), in
}

func TestPutOpen(t *testing.T) {
	s, err := Open(t.TempDir(), 100)
	if err != nil {
		t.Fatal(err)
	}
	id := put(t, s, "\xff\xd8 a photo")
	if want := fmt.Sprintf("%x", sha256.Sum256([]byte("\xff\xd8 a photo"))); id != want {
		t.Errorf("id %q; want the SHA-256 of the bytes, %s", id, want)
	}
	got, in := read(t, s, id)
	if got != "\xff\xd8 a photo" || in.Mime != "image/jpeg" || in.Size != 10 || in.ID != id || in.Created.IsZero() {
		t.Errorf("Open = %q, %+v", got, in)
	}
	if again := put(t, s, "\xff\xd8 a photo"); again != id {
		t.Errorf("the same bytes again: id %s; want %s", again, id)
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("a", 64), strings.ToUpper(id)} {
		if _, _, _, err := s.Open(context.Background(), bad); !errors.Is(err, shakwa.ErrNotFound) {
			t.Errorf("Open(%q): %v; want ErrNotFound", bad, err)
		}
	}
}

func TestTooLarge(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir, 10)
	_, _, err := s.Put(context.Background(), bytes.NewReader(make([]byte, 11)), "application/pdf")
	if !errors.Is(err, ErrTooLarge) || !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("Put of 11 bytes with a limit of 10: %v; want ErrTooLarge", err)
	}
	if put(t, s, "0123456789") == "" {
		t.Error("a file of exactly the limit was refused")
	}
	left, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(left) != 0 {
		t.Errorf("tmp/ holds %d files after the refusal; want none", len(left))
	}
}

// TestConcurrentPuts: writers of the same and of different content, at
// once, as replicas sharing a volume would.
func TestConcurrentPuts(t *testing.T) {
	s, _ := Open(t.TempDir(), 1<<20)
	var wg sync.WaitGroup
	ids := make([]string, 16)
	for i := range ids {
		wg.Go(func() {
			data := strings.Repeat("x", 1000+i%2)
			id, _, err := s.Put(context.Background(), strings.NewReader(data), "text/plain")
			if err != nil {
				t.Error(err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for i, id := range ids {
		if got, _ := read(t, s, id); len(got) != 1000+i%2 {
			t.Errorf("file %d read back %d bytes", i, len(got))
		}
	}
}

func TestSweep(t *testing.T) {
	s, _ := Open(t.TempDir(), 1<<20)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return t0 }
	old, kept := put(t, s, "old"), put(t, s, "old but kept")
	s.now = func() time.Time { return t0.Add(48 * time.Hour) }
	fresh := put(t, s, "fresh")
	n, err := s.Sweep(t0.Add(24*time.Hour), func(id string) bool { return id == kept })
	if err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1", n, err)
	}
	if _, err := s.Stat(old); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("old file after Sweep: %v; want gone", err)
	}
	for _, id := range []string{kept, fresh} {
		if _, err := s.Stat(id); err != nil {
			t.Errorf("file %s after Sweep: %v; want kept", id, err)
		}
	}
}
