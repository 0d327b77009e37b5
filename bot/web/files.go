package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
)

// fileExt names downloads by type.
var fileExt = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
	"application/pdf": ".pdf",
}

// serveFile serves a stored file to a reader of a chat it was shown in:
// the link's key must be that of the visitor's own chat or, in the demo,
// of one of the demo's chats. Anything else is 404, as is a missing file.
func (c *Channel) serveFile(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	visitor, _, ok := c.visitor(r)
	if !ok || !c.mayRead(c.actors(r), visitor, id, r.URL.Query().Get("k")) {
		http.NotFound(w, r)
		return
	}
	rc, ctype, _, err := c.files.Open(r.Context(), id)
	if errors.Is(err, shakwa.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		c.log.Warn("read file", "err", err)
		unavailable(w)
		return
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		c.log.Warn("read file", "err", err)
		unavailable(w)
		return
	}
	h := w.Header()
	if fileExt[ctype] == "" {
		ctype = "application/octet-stream" // not one we keep: never render it
	}
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400")
	if !strings.HasPrefix(ctype, "image/") {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": id + fileExt[ctype]}))
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// mayRead reports whether visitor (who may act as actors) may open file
// id with key k.
func (c *Channel) mayRead(actors *demoIndex, visitor, id, k string) bool {
	if id == "" || len(k) != len(c.fileKey("", "")) {
		return false
	}
	if sameMAC(k, c.fileKey(visitor, id)) {
		return true
	}
	if actors != nil {
		for chat := range actors.chats {
			if sameMAC(k, c.fileKey(chat, id)) {
				return true
			}
		}
	}
	return false
}
