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
	"strings"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// Fetch returns the bytes of media id (GET /{media-id} for its URL, which
// lasts five minutes, then the URL with the token). An id Meta no longer
// knows (media of a notification lasts 7 days, an upload 30) is an error
// wrapping shakwa.ErrNotFound; failures that may pass are
// *bot.RetryError.
func (c *Channel) Fetch(ctx context.Context, id string) (io.ReadCloser, string, error) {
	var info struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	}
	if err := c.call(ctx, http.MethodGet, "/"+id, "", nil, &info); err != nil {
		var ge *GraphError
		if errors.As(err, &ge) && ge.Code == 100 {
			return nil, "", fmt.Errorf("whatsapp: media %s: %w", id, shakwa.ErrNotFound)
		}
		return nil, "", fmt.Errorf("whatsapp: media info: %w", c.classify(err))
	}
	if info.URL == "" {
		return nil, "", fmt.Errorf("whatsapp: media %s has no url: %w", id, shakwa.ErrNotFound)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.URL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("whatsapp: media url: %w", shakwa.ErrInvalid)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, "", &bot.RetryError{Err: fmt.Errorf("whatsapp: download media: %w", errors.Unwrap(err))}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, "", fmt.Errorf("whatsapp: download media: %w", shakwa.ErrNotFound)
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, "", &bot.RetryError{Err: fmt.Errorf("whatsapp: download media: http %d", resp.StatusCode)}
	}
	return resp.Body, info.MimeType, nil
}

// keep fetches inbound media id into the file store and returns its
// content id and size.
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
	if err != nil {
		return "", 0, fmt.Errorf("whatsapp: keep media: %w", err)
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
// more types). ok is false when Meta takes it in no way.
func messageType(kind, mimeType string, size int64) (string, bool) {
	want := map[string]string{"photo": "image", "audio": "audio", "video": "video"}[kind]
	for _, t := range []string{want, "document"} {
		if limit, ok := sendable[t][mimeType]; ok && size <= limit {
			return t, true
		}
	}
	return "", false
}

// upload sends a file of the file store to Meta (POST /{phone}/media) and
// returns its media id.
func (c *Channel) upload(ctx context.Context, a shakwa.Attachment) (id, typ string, err error) {
	rc, mimeType, size, err := c.cfg.Files.Open(ctx, a.File)
	if err != nil {
		if errors.Is(err, shakwa.ErrNotFound) {
			return "", "", fmt.Errorf("whatsapp: upload: %w", err)
		}
		return "", "", &bot.RetryError{Err: fmt.Errorf("whatsapp: upload: %w", err)}
	}
	defer rc.Close()
	typ, ok := messageType(a.Kind, mimeType, size)
	if !ok {
		return "", "", fmt.Errorf("whatsapp: a %s of %d bytes is not a file WhatsApp takes: %w", mimeType, size, shakwa.ErrInvalid)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("messaging_product", "whatsapp")
	w.WriteField("type", mimeType)
	h := textproto.MIMEHeader{}
	name := a.Name
	if name == "" {
		name = a.Kind
	}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": name}))
	h.Set("Content-Type", mimeType)
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = io.Copy(part, rc)
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
	if err := c.call(ctx, http.MethodPost, "/"+c.cfg.PhoneID+"/media", w.FormDataContentType(), &buf, &answer); err != nil {
		return "", "", fmt.Errorf("whatsapp: upload: %w", c.classify(err))
	}
	if answer.ID == "" {
		return "", "", &bot.RetryError{Err: errors.New("whatsapp: upload: no media id")}
	}
	return answer.ID, typ, nil
}
