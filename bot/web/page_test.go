package web

import (
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
)

func TestPage(t *testing.T) {
	h := newHarness(t, nil, nil)
	tests := []struct {
		name     string
		path     string
		header   http.Header
		wantLang string
		wantDir  string
		wantText string // a label the page must show
	}{
		{"default Arabic", "/chat", nil, "ar", "rtl", "type-ar"},
		{"trailing slash", "/chat/", nil, "ar", "rtl", "type-ar"},
		{"asked for English", "/chat?lang=en", nil, "en", "ltr", "type-en"},
		{"browser prefers English", "/chat", http.Header{"Accept-Language": {"en-GB,en;q=0.9,ar;q=0.5"}}, "en", "ltr", "type-en"},
		{"browser prefers Arabic", "/chat", http.Header{"Accept-Language": {"ar-AE, en;q=0.8"}}, "ar", "rtl", "type-ar"},
		{"q-values decide", "/chat", http.Header{"Accept-Language": {"ar;q=0.2, en;q=0.9"}}, "en", "ltr", "type-en"},
		{"unknown language", "/chat?lang=xx", http.Header{"Accept-Language": {"fr"}}, "ar", "rtl", "type-ar"},
		{"query beats header", "/chat?lang=ar", http.Header{"Accept-Language": {"en"}}, "ar", "rtl", "type-ar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.stranger().get(tt.path, tt.header)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d; want 200", resp.StatusCode)
			}
			page := string(body)
			if want := `<html lang="` + tt.wantLang + `" dir="` + tt.wantDir + `">`; !strings.Contains(page, want) {
				t.Errorf("page: got no %s", want)
			}
			if !strings.Contains(page, `placeholder="`+tt.wantText+`"`) {
				t.Errorf("page: got no placeholder %q", tt.wantText)
			}
			if got := resp.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("Content-Type: got %q", got)
			}
			if got := resp.Header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") {
				t.Errorf("CSP: got %q", got)
			}
			if strings.Contains(page, "staff-link") {
				t.Error("page links to the staff page outside the demo")
			}
		})
	}
}

func TestPageCookie(t *testing.T) {
	h := newHarness(t, nil, nil)
	tests := []struct {
		name       string
		header     http.Header
		wantSecure bool
	}{
		{"plain http", nil, false},
		{"behind a TLS proxy", http.Header{"X-Forwarded-Proto": {"https"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.stranger().get("/chat", tt.header)
			resp.Body.Close()
			var c *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == cookieName {
					c = ck
				}
			}
			if c == nil {
				t.Fatal("no session cookie")
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/chat" || c.Secure != tt.wantSecure {
				t.Errorf("cookie: got HttpOnly=%v SameSite=%v Path=%q Secure=%v; want true, Lax, /chat, %v",
					c.HttpOnly, c.SameSite, c.Path, c.Secure, tt.wantSecure)
			}
			if c.MaxAge != int(DefaultSessionTTL/time.Second) {
				t.Errorf("MaxAge: got %d; want %d", c.MaxAge, int(DefaultSessionTTL/time.Second))
			}
			if _, _, ok := h.ch.parseCookie(c.Value); !ok {
				t.Errorf("cookie %q does not verify", c.Value)
			}
		})
	}
}

func TestPageKeepsVisitor(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	h.clock.add(10 * 24 * time.Hour)
	resp := v.get("/chat", nil)
	resp.Body.Close()
	var got string
	var exp time.Time
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			got, exp, _ = h.ch.parseCookie(c.Value)
		}
	}
	if got != v.id {
		t.Errorf("visitor after reload: got %q; want %q", got, v.id)
	}
	if want := h.clock.now().Add(DefaultSessionTTL); !exp.Equal(want) {
		t.Errorf("renewed expiry: got %v; want %v", exp, want)
	}
}

func TestStaticAndLabels(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.stranger()
	for _, tt := range []struct{ path, ctype string }{
		{"/chat/static/app.js", "text/javascript; charset=utf-8"},
		{"/chat/static/app.css", "text/css; charset=utf-8"},
	} {
		resp := v.get(tt.path, nil)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.ctype {
			t.Errorf("GET %s: got %d %q; want 200 %q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.ctype)
		}
		etag := resp.Header.Get("ETag")
		resp = v.get(tt.path, http.Header{"If-None-Match": {etag}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s again: got %d; want 304", tt.path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/chat/static/chat.html", "/chat/static/nope.js", "/chat/staff", "/chat/api/demo/people"} {
		resp := v.get(path, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: got %d; want 404", path, resp.StatusCode)
		}
	}
	for _, tt := range []struct{ query, want string }{{"?lang=en", "send-en"}, {"?lang=ar", "send-ar"}, {"", "send-ar"}} {
		resp := v.get("/chat/api/labels"+tt.query, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), `"send":"`+tt.want+`"`) {
			t.Errorf("labels%s: got %s; want send %q", tt.query, body, tt.want)
		}
	}
}

func TestLabelKeysAreUsed(t *testing.T) {
	var all strings.Builder
	for _, name := range []string{"static/pane.html", "static/chat.html", "static/staff.html", "static/app.js", "static/widget.js", "page.go", "staff.go"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, k := range LabelKeys() {
		if !strings.Contains(all.String(), `T "`+k+`"`) && !strings.Contains(all.String(), "labels."+k) &&
			!strings.Contains(all.String(), `["`+k+`"]`) && !strings.Contains(all.String(), `refuse(w, r, "`+k+`")`) &&
			!strings.Contains(all.String(), `http.StatusServiceUnavailable, "`+k+`")`) {
			t.Errorf("label %q is not used by the page", k)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	store, deliver := newMemStore(), (&recorder{}).deliver
	tests := []struct {
		name string
		cfg  Config
	}{
		{"short secret", Config{Secret: testSecret[:31]}},
		{"demo person without id", Config{Secret: testSecret, Demo: &Demo{People: []DemoPerson{{Name: "x"}}}}},
		{"demo person twice", Config{Secret: testSecret, Demo: &Demo{People: []DemoPerson{{ID: "1"}, {ID: "1"}}}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg, store, deliver); err == nil {
			t.Errorf("%s: got no error", tt.name)
		}
	}
	if _, err := New(Config{Secret: testSecret}, nil, deliver); err == nil {
		t.Error("nil store: got no error")
	}
}

// TestGreeting: a visitor whose page first follows an empty chat is greeted
// as if they had sent /start, once, in the page's language; opening the
// page alone stores nothing (a crawler, or a browser that keeps no cookie,
// leaves no conversation), nor does a staff pane; past the address's rate
// nobody is greeted.
func TestGreeting(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.IPRate = 3 })
	greeted := func() []*bot.Message {
		h.rec.mu.Lock()
		defer h.rec.mu.Unlock()
		return slices.Clone(h.rec.greeted)
	}
	for range 5 {
		h.stranger().get("/chat", nil).Body.Close() // no cookie kept between these
	}
	v := h.visit()
	v.get("/chat?lang=en", nil).Body.Close()
	if got := len(greeted()); got != 0 {
		t.Fatalf("greetings on opening the page: got %d; want 0", got)
	}
	v.events("?lang=en", "").untilReady()
	v.events("?lang=en", "").untilReady() // a second tab, before the menu came
	got := greeted()
	if len(got) != 2 || got[0].ID != got[1].ID {
		t.Fatalf("greetings: got %d; want 2 of one message id, which the bot handles once", len(got))
	}
	g := got[0]
	if g.Text != "/start" || g.Chat != v.id || g.From.ID != v.id || g.Channel != Name || g.Group || g.From.Lang != "en" {
		t.Errorf("greeting: got %+v; want /start in the visitor's own chat, in English", g)
	}
	if got := len(h.rec.messages()); got != 0 {
		t.Errorf("other deliveries: got %d; want 0", got)
	}

	// The chat has mail: no greeting.
	h.reply(bot.Reply{Channel: Name, Chat: v.id, Text: "hello"}, "")
	h.rec.mu.Lock()
	h.rec.greeted = nil
	h.rec.mu.Unlock()
	v.events("", "").untilReady()
	if got := len(greeted()); got != 0 {
		t.Errorf("greetings of a chat with mail: got %d; want 0", got)
	}

	// The address has used its tokens (3 a minute; the greetings above
	// took two): the second new visitor's empty chat is not greeted.
	for i := range 2 {
		h.visit().events("", "").untilReady()
		if want := min(i+1, 1); len(greeted()) != want {
			t.Errorf("visitor %d: greetings %d; want %d", i+1, len(greeted()), want)
		}
	}
}
