// Package files keeps the bytes of the files people send (photos, PDFs,
// voice notes) in a directory, once each, by content: a file's id is the
// SHA-256 of its bytes, in hex. Channels share files through it: a photo a
// citizen sends on WhatsApp or the web chat is uploaded from here to the
// staff member on Telegram, and a staff member's file reaches the citizen
// the same way.
//
// Layout, under the directory:
//
//	ab/abcdef...       the bytes of file abcdef... (the first two hex digits name the folder)
//	ab/abcdef....json  what is known of it: media type, size, when first stored
//	tmp/               files being written; each is renamed into place whole
//
// Several processes (replicas of the bot) may share one directory, on a
// shared volume: a file is written to tmp/ and renamed into place, so no
// reader ever sees half of one, and two writers of the same content write
// the same bytes.
package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
)

// DefaultMax is the largest file a Store takes by default: 16 MiB, the
// most WhatsApp takes for audio and video.
const DefaultMax = 16 << 20

// ErrTooLarge is the error of a file over the Store's limit; it matches
// shakwa.ErrInvalid.
var ErrTooLarge = fmt.Errorf("file too large: %w", shakwa.ErrInvalid)

// Info is what a Store knows of a file.
type Info struct {
	ID      string    `json:"-"`
	Mime    string    `json:"mime"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

// Store keeps files in a directory. It is safe for concurrent use, also by
// several processes sharing the directory.
type Store struct {
	dir string
	max int64
	now func() time.Time
}

// Open returns a Store on dir, creating it if need be, that takes files of
// up to max bytes (DefaultMax when max <= 0).
func Open(dir string, max int64) (*Store, error) {
	if dir == "" {
		return nil, errors.New("files: no directory")
	}
	if max <= 0 {
		max = DefaultMax
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return &Store{dir: dir, max: max, now: time.Now}, nil
}

// Max is the largest file the Store takes, in bytes.
func (s *Store) Max() int64 { return s.max }

// validID reports whether id can be a file id: 64 lower-case hex digits.
func validID(id string) bool {
	if len(id) != 2*sha256.Size {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(id string) string { return filepath.Join(s.dir, id[:2], id) }

// Put stores the bytes read from r, of the given media type, and returns
// the file's id and size. A file already stored is not written again. A
// file over the limit is refused with an error wrapping ErrTooLarge, and
// nothing is kept. ctx ends a slow read.
func (s *Store) Put(ctx context.Context, r io.Reader, mime string) (id string, size int64, err error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	defer func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(readerCtx{ctx, r}, s.max+1))
	switch {
	case err != nil:
		return "", 0, fmt.Errorf("files: read: %w", err)
	case n > s.max:
		return "", 0, fmt.Errorf("files: more than %d bytes: %w", s.max, ErrTooLarge)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	id = hex.EncodeToString(h.Sum(nil))
	final := s.path(id)
	if _, err := os.Stat(final + ".json"); err == nil {
		return id, n, nil // stored before: same bytes
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	tmp = nil
	meta, err := json.Marshal(Info{Mime: mime, Size: n, Created: s.now().UTC()})
	if err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	// The description last: a file counts as stored once it has one.
	if err := writeAtomic(filepath.Join(s.dir, "tmp"), final+".json", meta); err != nil {
		return "", 0, err
	}
	syncDir(filepath.Dir(final))
	return id, n, nil
}

// writeAtomic writes data to path through a temporary file in tmpDir.
func writeAtomic(tmpDir, path string, data []byte) error {
	f, err := os.CreateTemp(tmpDir, "meta-*")
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("files: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir durable, where the system allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
}

// Stat returns what is known of file id; an unknown or malformed id wraps
// shakwa.ErrNotFound.
func (s *Store) Stat(id string) (Info, error) {
	if !validID(id) {
		return Info{}, fmt.Errorf("files: %q: %w", id, shakwa.ErrNotFound)
	}
	data, err := os.ReadFile(s.path(id) + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("files: %s: %w", id, shakwa.ErrNotFound)
	}
	if err != nil {
		return Info{}, fmt.Errorf("files: %w", err)
	}
	var in Info
	if err := json.Unmarshal(data, &in); err != nil {
		return Info{}, fmt.Errorf("files: %s: %w", id, err)
	}
	in.ID = id
	return in, nil
}

// Open returns file id's bytes, to be closed by the caller, with its
// media type and size; an unknown or malformed id wraps
// shakwa.ErrNotFound.
func (s *Store) Open(ctx context.Context, id string) (rc io.ReadCloser, mime string, size int64, err error) {
	in, err := s.Stat(id)
	if err != nil {
		return nil, "", 0, err
	}
	f, err := os.Open(s.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", 0, fmt.Errorf("files: %s: %w", id, shakwa.ErrNotFound)
	}
	if err != nil {
		return nil, "", 0, fmt.Errorf("files: %w", err)
	}
	return f, in.Mime, in.Size, nil
}

// Remove deletes file id; it is not an error if there is none.
func (s *Store) Remove(id string) error {
	if !validID(id) {
		return nil
	}
	for _, p := range []string{s.path(id) + ".json", s.path(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("files: %w", err)
		}
	}
	return nil
}

// Sweep deletes the files first stored before before, and what writers
// left in tmp/ for an hour, and returns how many files it deleted. The
// retention policy (which files may go) is the caller's.
func (s *Store) Sweep(before time.Time, keep func(id string) bool) (int, error) {
	n := 0
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		switch {
		case d.IsDir():
			return nil
		case filepath.Base(filepath.Dir(path)) == "tmp":
			if info, err := d.Info(); err == nil && s.now().Sub(info.ModTime()) > time.Hour {
				os.Remove(path)
			}
			return nil
		case !strings.HasSuffix(name, ".json"):
			return nil
		}
		id := strings.TrimSuffix(name, ".json")
		in, err := s.Stat(id)
		if err != nil || !in.Created.Before(before) || (keep != nil && keep(id)) {
			return nil
		}
		if err := s.Remove(id); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("files: sweep: %w", err)
	}
	return n, nil
}

// readerCtx stops reading once ctx is done.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
