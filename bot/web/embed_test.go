package web

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shakwa/shakwa/bot"
)

// TestEmbedding: a site of EmbedOrigins may frame the page (and no other),
// read the widget's words, and over HTTPS its frame gets a cookie it can
// use there (partitioned, SameSite=None); without EmbedOrigins the cookie
// stays Lax and only the chat's own origin frames it.
func TestEmbedding(t *testing.T) {
	const site = "https://www.centre.example"
	h := newHarness(t, nil, func(c *Config) {
		c.EmbedOrigins = []string{site}
		c.Brand = Brand{Name: map[string]string{"ar": "بوت المركز"}, Colour: "#123456",
			Logo: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), LogoType: "image/svg+xml"}
		c.MaxText = 2000
	})
	resp := h.stranger().get("/chat?embed=1", http.Header{"X-Forwarded-Proto": {"https"}})
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self' "+site) {
		t.Errorf("CSP %q; want frame-ancestors 'self' and %s", csp, site)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			ck = c
		}
	}
	if ck == nil || ck.SameSite != http.SameSiteNoneMode || !ck.Partitioned || !ck.Secure {
		t.Errorf("cookie for a frame over HTTPS: %+v; want Secure, SameSite=None, Partitioned", ck)
	}
	for _, want := range []string{`data-name="بوت المركز"`, `data-colour="#123456"`, `data-max-text="2000"`, `/chat/brand/logo`,
		`data-testid="close"`, `class="page-chat embedded"`, `<title>بوت المركز</title>`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the framed page has no %s", want)
		}
	}
	if strings.Contains(string(page), `data-testid="staff-link"`) {
		t.Error("the framed page links to the staff page")
	}

	resp = h.stranger().get("/chat/api/labels?lang=ar", http.Header{"Origin": {site}})
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != site {
		t.Errorf("labels for %s: Access-Control-Allow-Origin %q; want it", site, got)
	}
	resp = h.stranger().get("/chat/api/labels?lang=ar", http.Header{"Origin": {"https://evil.example"}})
	resp.Body.Close()
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("labels for another site: Access-Control-Allow-Origin %q; want none", got)
	}
	resp = h.stranger().get("/chat/brand/logo", nil)
	logo, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(logo), "svg") {
		t.Errorf("logo: %s %q", resp.Header.Get("Content-Type"), logo)
	}
	resp = h.stranger().get("/chat/static/widget.js", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("widget.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	plain := newHarness(t, nil, nil)
	resp = plain.stranger().get("/chat", http.Header{"X-Forwarded-Proto": {"https"}})
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self'") {
		t.Errorf("CSP with no embedding sites: %q", csp)
	}
	for _, c := range resp.Cookies() {
		if c.Name == cookieName && (c.SameSite != http.SameSiteLaxMode || c.Partitioned) {
			t.Errorf("cookie with no embedding sites: %+v; want Lax, not partitioned", c)
		}
	}
	resp = plain.stranger().get("/chat/brand/logo", nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("logo with none configured: %d; want 404", resp.StatusCode)
	}
}

// TestReplyTo: a text sent as the answer to one of the bot's messages
// carries that message's id; reply_to without a text is refused; the
// bot's messages carry their language.
func TestReplyTo(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	id := h.reply(bot.Reply{Chat: v.id, Text: "سؤال", Lang: "ar"}, "")
	if got := v.send(`{"id":"a1","text":"جواب","reply_to":"` + id + `"}`); got != http.StatusNoContent {
		t.Fatalf("send with reply_to: %d; want 204", got)
	}
	if got := v.send(`{"id":"a2","button":"x","reply_to":"` + id + `"}`); got != http.StatusBadRequest {
		t.Errorf("reply_to with a button: %d; want 400", got)
	}
	var found bool
	for _, m := range h.rec.messages() {
		if m.Text == "جواب" {
			found = true
			if m.ReplyTo != id {
				t.Errorf("ReplyTo %q; want %q", m.ReplyTo, id)
			}
		}
	}
	if !found {
		t.Fatal("the answer was not delivered")
	}
	s := v.events("", "")
	for _, m := range s.untilReady() {
		if m.Text == "سؤال" && m.Lang != "ar" {
			t.Errorf("the bot's message: lang %q; want ar", m.Lang)
		}
	}
}
