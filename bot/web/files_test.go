package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var pdfBytes = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func TestUpload(t *testing.T) { stores(t, uploads) }

func uploads(t *testing.T, store Store) {
	h := newHarness(t, store, func(c *Config) { c.MaxUpload = 1 << 10 })
	owner, other := h.visit(), h.visit()
	s := owner.events("", "")
	s.untilReady()
	photo := pngBytes(t)

	got := owner.upload(part{"id", "", []byte("u1")}, part{"caption", "", []byte("صورة المكان")},
		part{"file", "../../مكان\u202e.png", photo})
	if got != http.StatusNoContent {
		t.Fatalf("upload: got %d; want 204", got)
	}
	msgs := h.rec.messages()
	if len(msgs) != 1 {
		t.Fatalf("delivered: got %d messages; want 1", len(msgs))
	}
	m := msgs[0]
	if m.ID != "web:"+owner.id+":u1" || m.Chat != owner.id || m.Text != "صورة المكان" || len(m.Attachments) != 1 {
		t.Fatalf("message: got %+v", m)
	}
	att := m.Attachments[0]
	if att.Kind != "photo" || att.From != "web" || att.File == "" || att.ID != att.File || att.Name != "مكان.png" ||
		att.Mime != "image/png" || att.Size != int64(len(photo)) {
		t.Errorf("attachment: got %+v; want a web photo in the file store, named مكان.png", att)
	}
	_, echo := s.mail()
	if len(echo.Attachments) != 1 || echo.Attachments[0].URL == "" || echo.Text != "صورة المكان" {
		t.Fatalf("echo: got %+v; want the photo's link and the caption", echo)
	}
	link := echo.Attachments[0].URL

	resp := owner.get(link, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, photo) {
		t.Errorf("owner GET %s: got %d, %d bytes; want 200 and the photo", link, resp.StatusCode, len(body))
	}
	for k, want := range map[string]string{"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Content-Disposition": ""} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: got %q; want %q", k, got, want)
		}
	}

	fileID := att.File
	for name, v := range map[string]*visitor{"another visitor": other, "no session": h.stranger()} {
		resp := v.get(link, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: got %d; want 404", name, resp.StatusCode)
		}
	}
	for name, path := range map[string]string{
		"no key":                 "/chat/api/file/" + fileID,
		"another visitor's key":  "/chat/api/file/" + fileID + "?k=" + h.ch.fileKey(other.id, fileID),
		"key of another file":    "/chat/api/file/" + fileID + "x?k=" + h.ch.fileKey(owner.id, fileID),
		"missing file, good key": "/chat/api/file/nope?k=" + h.ch.fileKey(owner.id, "nope"),
	} {
		resp := owner.get(path, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: got %d; want 404", name, resp.StatusCode)
		}
	}
	// A visitor the file was sent to may open it with their own link.
	resp = other.get("/chat/api/file/"+fileID+"?k="+h.ch.fileKey(other.id, fileID), nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the recipient's link: got %d; want 200", resp.StatusCode)
	}

	if got := owner.upload(part{"id", "", []byte("u2")}, part{"file", "form.pdf", pdfBytes}); got != 204 {
		t.Fatalf("PDF upload: got %d; want 204", got)
	}
	_, echo = s.mail()
	if a := h.rec.messages()[1].Attachments[0]; a.Kind != "document" {
		t.Errorf("PDF: got kind %q; want document", a.Kind)
	}
	resp = owner.get(echo.Attachments[0].URL, nil)
	resp.Body.Close()
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/pdf" || !strings.HasPrefix(cd, "attachment") {
		t.Errorf("PDF: got Content-Type %q, Content-Disposition %q; want application/pdf, attachment", ct, cd)
	}
}

func TestUploadRefuses(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.MaxUpload, c.MaxBody, c.MaxText = 1<<10, 1<<10, 20 })
	v := h.visit()
	photo := pngBytes(t)
	id := part{"id", "", []byte("u1")}
	tests := []struct {
		name  string
		parts []part
		want  int
	}{
		{"no file", []part{id, {"caption", "", []byte("x")}}, 400},
		{"empty file", []part{id, {"file", "a.png", nil}}, 400},
		{"two files", []part{id, {"file", "a.png", photo}, {"file", "b.png", photo}}, 400},
		{"no id", []part{{"file", "a.png", photo}}, 400},
		{"text file", []part{id, {"file", "a.png", []byte("just some text")}}, 415},
		{"html", []part{id, {"file", "a.png", []byte("<html><script>alert(1)</script>")}}, 415},
		{"svg", []part{id, {"file", "a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)}}, 415},
		{"too big", []part{id, {"file", "a.png", append(bytes.Clone(photo), make([]byte, 1<<10)...)}}, 413},
		{"caption too big", []part{id, {"caption", "", make([]byte, 1<<10+1)}, {"file", "a.png", photo}}, 413},
		{"caption over MaxText", []part{id, {"caption", "", []byte(strings.Repeat("ش", 21))}, {"file", "a.png", photo}}, 413},
		{"as without demo", []part{id, {"as", "", []byte("111")}, {"chat", "", []byte("111")}, {"file", "a.png", photo}}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.upload(tt.parts...); got != tt.want {
				t.Errorf("status: got %d; want %d", got, tt.want)
			}
		})
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/chat/api/upload", strings.NewReader(`{"id":"a"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp := v.do(req); resp.StatusCode != 400 {
		t.Errorf("not multipart: got %d; want 400", resp.StatusCode)
	}
	if got := h.rec.messages(); len(got) != 0 {
		t.Errorf("delivered: got %d; want none", len(got))
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ in, mime, want string }{
		{"photo.jpg", "image/jpeg", "photo.jpg"},
		{"photo.JPEG", "image/jpeg", "photo.JPEG"},
		{`C:\Users\me\صورة.jpg`, "image/jpeg", "صورة.jpg"},
		{"../../etc/passwd", "application/pdf", "passwd.pdf"},
		{"gpj\u202e.exe", "image/png", "gpj.exe.png"},
		{"report.exe", "application/pdf", "report.exe.pdf"},
		{"scan.png", "image/jpeg", "scan.png.jpg"},
		{"a\x00b\nc.pdf", "application/pdf", "abc.pdf"},
		{strings.Repeat("ش", 80) + ".pdf", "application/pdf", strings.Repeat("ش", 48) + ".pdf"},
		{strings.Repeat("ش", 80), "application/pdf", strings.Repeat("ش", 48) + ".pdf"},
		{".pdf", "application/pdf", ".pdf"},
		{"  ", "image/png", ""},
		{"", "image/png", ""},
	}
	for _, tt := range tests {
		got := fileName(tt.in, tt.mime)
		if got != tt.want {
			t.Errorf("fileName(%q, %s): got %q; want %q", tt.in, tt.mime, got, tt.want)
		}
		if len(got) > maxFileName {
			t.Errorf("fileName(%q, %s): %d bytes; want at most %d", tt.in, tt.mime, len(got), maxFileName)
		}
	}
}
