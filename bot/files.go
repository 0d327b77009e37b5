package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/shakwa/shakwa"
)

// FileStore keeps the bytes of files by content, so that a file sent on
// one channel can be sent on another (package files is one).
type FileStore interface {
	// Put stores r's bytes and returns their content id and size; a file
	// over the store's limit is an error wrapping shakwa.ErrInvalid.
	Put(ctx context.Context, r io.Reader, mime string) (id string, size int64, err error)
	// Open returns a file's bytes; an unknown id wraps shakwa.ErrNotFound.
	Open(ctx context.Context, id string) (rc io.ReadCloser, mime string, size int64, err error)
}

// Fetcher is a Channel's optional ability to fetch the bytes of a file
// people sent on it, by its id there, when another channel needs them.
// Files it can never fetch (gone, too large for the platform to hand out)
// are errors wrapping shakwa.ErrNotFound or shakwa.ErrInvalid; others may
// pass.
type Fetcher interface {
	Fetch(ctx context.Context, id string) (rc io.ReadCloser, mime string, err error)
}

// FileLife is a Channel's optional word on how long the ids it gives
// uploaded files stay valid (WhatsApp's expire); without it they last.
type FileLife interface {
	FileIDLife() time.Duration
}

// FileMap remembers where files came from and what each channel calls
// them.
type FileMap interface {
	FileContent(ctx context.Context, channel, id string) (string, error)
	SetFileContent(ctx context.Context, channel, id, content string) error
	FileOn(ctx context.Context, content, channel string, now time.Time) (string, error)
	SetFileOn(ctx context.Context, content, channel, id string, ttl time.Duration, now time.Time) error
}

// errNoFiles is the error of a file that must cross channels when the
// outbox has no file store.
var errNoFiles = errors.New("no file store: files stay on their own channel")

// resolveFiles readies r's attachments for r's channel: a file from
// another channel gets the id it has there, if it was sent there before,
// or else its content in the file store, fetched from where it came from
// if need be. The channel uploads what has no id of its own.
func (o *Outbox) resolveFiles(ctx context.Context, r *Reply) error {
	for i := range r.Attachments {
		a := &r.Attachments[i]
		if a.From == "" {
			continue
		}
		if a.From == r.Channel {
			if err := o.reuseUpload(ctx, r.Channel, a); err != nil {
				return err
			}
			continue
		}
		if o.Files == nil || o.FileMap == nil {
			return fmt.Errorf("%s file for %s: %w", a.From, r.Channel, errNoFiles)
		}
		if a.File == "" {
			content, err := o.fetch(ctx, a)
			if err != nil {
				return err
			}
			a.File = content
		}
		id, err := o.FileMap.FileOn(ctx, a.File, r.Channel, o.now())
		if err != nil {
			return &RetryError{Err: err}
		}
		if id != "" {
			// Sent by that id: nothing to upload.
			a.ID, a.From, a.File = id, r.Channel, ""
		}
	}
	return nil
}

// reuseUpload readies a file of ch itself that is also in the file store,
// on a channel whose ids expire (see FileLife): the channel uploads it
// again from the store rather than trust an old id, but once, while the
// upload's id lives.
func (o *Outbox) reuseUpload(ctx context.Context, ch string, a *shakwa.Attachment) error {
	if _, ok := o.channels[ch].(FileLife); !ok || a.File == "" || o.FileMap == nil {
		return nil
	}
	id, err := o.FileMap.FileOn(ctx, a.File, ch, o.now())
	if err != nil {
		return &RetryError{Err: err}
	}
	if id != "" {
		a.ID, a.File = id, ""
	}
	return nil
}

// fetch puts the bytes of a, a file of channel a.From, in the file store,
// once: the content id is remembered by its id there.
func (o *Outbox) fetch(ctx context.Context, a *shakwa.Attachment) (string, error) {
	content, err := o.FileMap.FileContent(ctx, a.From, a.ID)
	if err != nil {
		return "", &RetryError{Err: err}
	}
	if content != "" {
		rc, _, _, err := o.Files.Open(ctx, content)
		if err == nil {
			rc.Close()
			return content, nil
		}
		if !errors.Is(err, shakwa.ErrNotFound) {
			return "", &RetryError{Err: err}
		}
		// Its bytes went (see Outbox.Fetched): fetched again.
	}
	f, ok := o.channels[a.From].(Fetcher)
	if !ok {
		return "", fmt.Errorf("%s file: that channel cannot hand it out: %w", a.From, shakwa.ErrNotFound)
	}
	rc, mime, err := f.Fetch(ctx, a.ID)
	if err != nil {
		return "", fmt.Errorf("fetch %s file: %w", a.From, err)
	}
	defer rc.Close()
	if a.Mime != "" {
		mime = a.Mime
	}
	content, _, err = o.Files.Put(ctx, rc, mime)
	if err != nil {
		return "", fmt.Errorf("keep %s file: %w", a.From, err)
	}
	if err := o.FileMap.SetFileContent(ctx, a.From, a.ID, content); err != nil {
		return "", &RetryError{Err: err}
	}
	if o.Fetched != nil {
		o.Fetched(ctx, content)
	}
	return content, nil
}

// rememberUploads keeps the ids a channel gave the files it uploaded.
func (o *Outbox) rememberUploads(ctx context.Context, ch Channel, sent Sent) {
	if o.FileMap == nil {
		return
	}
	var life time.Duration
	if fl, ok := ch.(FileLife); ok {
		life = fl.FileIDLife()
	}
	for content, id := range sent.Uploads {
		if err := o.FileMap.SetFileOn(ctx, content, ch.Name(), id, life, o.now()); err != nil {
			o.log.WarnContext(ctx, "remember uploaded file", "channel", ch.Name(), "err", err)
		}
	}
}
