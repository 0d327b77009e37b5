package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path"
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// Fetch returns the bytes of media id (GET /{media-id} for its URL, which
// lasts five minutes, then the URL with the token), within mediaTimeout
// until the bytes are read and closed. A file Meta will never hand out is
// an error wrapping shakwa.ErrNotFound (an id it no longer knows: media
// of a notification lasts 7 days, an upload 30; or one it refuses for
// good) or shakwa.ErrInvalid (too large); a refused token wraps errToken;
// failures that may pass are *bot.RetryError.
func (c *Channel) Fetch(ctx context.Context, id string) (io.ReadCloser, string, error) {
	var info struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	}
	if err := c.call(ctx, http.MethodGet, "/"+id, "", nil, &info); err != nil {
		return nil, "", c.fetchError("media info", id, err)
	}
	if info.URL == "" {
		return nil, "", fmt.Errorf("whatsapp: media %s has no url: %w", id, shakwa.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, c.mediaTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.URL, nil)
	if err != nil {
		cancel()
		return nil, "", fmt.Errorf("whatsapp: media %s has an unusable url: %w", id, shakwa.ErrNotFound)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	resp, err := c.client.Do(req)
	if err != nil {
		cancel()
		return nil, "", &bot.RetryError{Err: fmt.Errorf("whatsapp: download media: %w", unwrapURL(err))}
	}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		return nil, "", c.fetchError("download media", id, graphError(resp, data, c.now()))
	}
	c.healthy()
	return cancelOnClose{resp.Body, cancel}, info.MimeType, nil
}

// fetchError says what a failed fetch of media id means, as Fetch
// documents.
func (c *Channel) fetchError(what, id string, err error) error {
	var ge *GraphError
	if errors.As(err, &ge) {
		switch {
		case ge.Code == 100 || ge.Status == http.StatusNotFound || ge.Status == http.StatusGone:
			return fmt.Errorf("whatsapp: %s %s: %w: %w", what, id, shakwa.ErrNotFound, err)
		case ge.Status == http.StatusRequestEntityTooLarge:
			return fmt.Errorf("whatsapp: %s %s: %w: %w", what, id, shakwa.ErrInvalid, err)
		}
	}
	err = c.classify(err)
	if temporary(err) {
		return fmt.Errorf("whatsapp: %s: %w", what, err)
	}
	return fmt.Errorf("whatsapp: %s %s: %w: %w", what, id, shakwa.ErrNotFound, err)
}

// temporary reports whether err may pass: a *bot.RetryError, or a token
// refused (ours to renew; what waits for it is not lost meanwhile).
func temporary(err error) bool {
	var re *bot.RetryError
	return errors.As(err, &re) || errors.Is(err, errToken)
}

// cancelOnClose is a download's body, whose deadline ends when it is
// closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// keep fetches inbound media id into the file store and returns its
// content id and size. A file over the store's limit is an error wrapping
// shakwa.ErrInvalid; the store's other failures (a download cut short, a
// disk that refuses for a while) may pass.
func (c *Channel) keep(ctx context.Context, id, mimeType string) (string, int64, error) {
	rc, got, err := c.Fetch(ctx, id)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	if mimeType == "" {
		mimeType = got
	}
	content, size, err := c.cfg.Files.Put(ctx, rc, mediaType(mimeType))
	switch {
	case errors.Is(err, shakwa.ErrInvalid):
		return "", 0, fmt.Errorf("whatsapp: keep media: %w", err)
	case err != nil:
		return "", 0, &bot.RetryError{Err: fmt.Errorf("whatsapp: keep media: %w", err)}
	}
	return content, size, nil
}

// mediaType is a notification's mime_type without its parameters
// ("audio/ogg; codecs=opus" is audio/ogg).
func mediaType(s string) string {
	t, _, err := mime.ParseMediaType(s)
	if err != nil {
		return strings.TrimSpace(strings.SplitN(s, ";", 2)[0])
	}
	return t
}

// Media types Meta takes, by message type, and their sizes.
var sendable = map[string]map[string]int64{
	"image": {"image/jpeg": 5 << 20, "image/png": 5 << 20},
	"audio": {"audio/aac": 16 << 20, "audio/amr": 16 << 20, "audio/mpeg": 16 << 20, "audio/mp4": 16 << 20, "audio/ogg": 16 << 20},
	"video": {"video/mp4": 16 << 20, "video/3gpp": 16 << 20},
	"document": {"application/pdf": 100 << 20, "text/plain": 100 << 20, "application/msword": 100 << 20,
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document": 100 << 20,
		"application/vnd.ms-excel": 100 << 20,
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         100 << 20,
		"application/vnd.ms-powerpoint":                                             100 << 20,
		"application/vnd.openxmlformats-officedocument.presentationml.presentation": 100 << 20},
}

// messageType is how a file of kind and mime type goes: as an image, an
// audio or a video when Meta takes it so, else as a document (which takes
// more types), else as the media its type is: a screenshot sent "as a
// file" on Telegram is a PNG document, which Meta takes only as an image.
// A GIF or a WebP goes as an image: upload converts it (see toImage),
// and checks its size then. ok is false when Meta takes it in no way (or
// not at its size).
func messageType(kind, mimeType string, size int64) (string, bool) {
	if _, ok := converted[mimeType]; ok {
		return "image", true
	}
	want := map[string]string{"photo": "image", "audio": "audio", "video": "video"}[kind]
	for _, t := range []string{want, "document", "image", "video", "audio"} {
		if limit, ok := sendable[t][mimeType]; ok && size <= limit {
			return t, true
		}
	}
	return "", false
}

// upload sends a file of the file store to Meta (POST /{phone}/media),
// within mediaTimeout, and returns its media id. A file no longer in the
// store is an error wrapping shakwa.ErrNotFound; one Meta takes in no way,
// converted or not, shakwa.ErrInvalid.
func (c *Channel) upload(ctx context.Context, a shakwa.Attachment) (id, typ string, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.mediaTimeout)
	defer cancel()
	f, err := c.open(ctx, a)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	typ, ok := messageType(a.Kind, f.mime, f.size)
	if !ok {
		return "", "", fmt.Errorf("whatsapp: a %s of %d bytes is not a file WhatsApp takes: %w", f.mime, f.size, bot.ErrNotTaken)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("messaging_product", "whatsapp")
	w.WriteField("type", f.mime)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": f.name}))
	h.Set("Content-Type", f.mime)
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = io.Copy(part, f)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return "", "", &bot.RetryError{Err: fmt.Errorf("whatsapp: upload: %w", err)}
	}
	var answer struct {
		ID string `json:"id"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api+"/"+c.cfg.PhoneID+"/media", &buf)
	if err != nil {
		return "", "", fmt.Errorf("whatsapp: build request: %w", err)
	}
	if err := c.do(req, w.FormDataContentType(), &answer); err != nil {
		return "", "", fmt.Errorf("whatsapp: upload: %w", c.classify(err))
	}
	if answer.ID == "" {
		return "", "", &bot.RetryError{Err: errors.New("whatsapp: upload: no media id")}
	}
	return answer.ID, typ, nil
}

// outgoing is a file of the file store as it goes to Meta.
type outgoing struct {
	io.ReadCloser
	mime, name string
	size       int64
}

// open reads attachment a from the file store for upload, a GIF or a WebP
// converted to an image Meta takes (see toImage): the upload's id is then
// remembered for the original (Sent.Uploads), which is not converted
// again while that id lives. A file no longer in the store is an error
// wrapping shakwa.ErrNotFound, one that cannot be converted
// shakwa.ErrInvalid; the store's other failures may pass.
func (c *Channel) open(ctx context.Context, a shakwa.Attachment) (outgoing, error) {
	rc, mimeType, size, err := c.cfg.Files.Open(ctx, a.File)
	if err != nil {
		if errors.Is(err, shakwa.ErrNotFound) {
			return outgoing{}, fmt.Errorf("whatsapp: upload: %w", err)
		}
		return outgoing{}, &bot.RetryError{Err: fmt.Errorf("whatsapp: upload: %w", err)}
	}
	f := outgoing{ReadCloser: rc, mime: mimeType, name: a.Name, size: size}
	if f.name == "" {
		f.name = a.Kind
	}
	if _, ok := converted[mimeType]; !ok {
		return f, nil
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return outgoing{}, &bot.RetryError{Err: fmt.Errorf("whatsapp: upload: %w", err)}
	}
	if data, f.mime, err = toImage(data, mimeType, sendable["image"]["image/png"]); err != nil {
		return outgoing{}, fmt.Errorf("whatsapp: upload: %w", err)
	}
	f.ReadCloser, f.size = io.NopCloser(bytes.NewReader(data)), int64(len(data))
	f.name = strings.TrimSuffix(f.name, path.Ext(f.name)) + map[string]string{"image/png": ".png", "image/jpeg": ".jpg"}[f.mime]
	return f, nil
}
