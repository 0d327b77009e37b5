package web

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
)

func TestSendDelivers(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bot.Message // ID, Chat and From.ID are filled in
	}{
		{"text", `{"id":"c1","text":"لدي شكوى\nسطر ثان","lang":"ar"}`,
			bot.Message{Text: "لدي شكوى\nسطر ثان", From: bot.User{Lang: "ar"}}},
		{"button", `{"id":"c2","button":"cat:visa","lang":"en"}`,
			bot.Message{Button: "cat:visa", ButtonToken: "c2", From: bot.User{Lang: "en"}}},
		{"phone in Arabic digits", `{"id":"c3","phone":"+971 ٥٠ ١٢٣ ٤٥٦٧"}`,
			bot.Message{Phone: "+971 ٥٠ ١٢٣ ٤٥٦٧", From: bot.User{Lang: "fr-CA"}}},
		{"text too long for the bot is still delivered", `{"id":"c4","text":"` + strings.Repeat("a", 10_001) + `"}`,
			bot.Message{Text: strings.Repeat("a", 10_001), From: bot.User{Lang: "fr-CA"}}},
		{"unknown fields are ignored", `{"id":"c5","text":"hi","extra":1}`,
			bot.Message{Text: "hi", From: bot.User{Lang: "fr-CA"}}},
	}
	h := newHarness(t, nil, nil)
	v := h.visit()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", h.srv.URL+"/chat/api/send", strings.NewReader(tt.body))
			req.Header.Set("Accept-Language", "fr-CA,fr;q=0.9")
			resp := v.do(req)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status: got %d; want 204", resp.StatusCode)
			}
			msgs := h.rec.messages()
			if len(msgs) != i+1 {
				t.Fatalf("delivered: got %d messages; want %d", len(msgs), i+1)
			}
			got := *msgs[i]
			want := tt.want
			want.ID = "web:" + v.id + ":c" + strconv.Itoa(i+1)
			want.Channel, want.Chat, want.From.ID, want.Time = "web", v.id, v.id, h.clock.now()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("message:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestSendRefuses(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.MaxBody = 1 << 10; c.MaxText = 20 })
	v := h.visit()
	tests := []struct {
		name string
		body string
		want int
	}{
		{"not JSON", `hello`, 400},
		{"two objects", `{"id":"a","text":"x"}{}`, 400},
		{"no id", `{"text":"x"}`, 400},
		{"bad id", `{"id":"a b","text":"x"}`, 400},
		{"long id", `{"id":"` + strings.Repeat("a", 65) + `","text":"x"}`, 400},
		{"the greeting's id", `{"id":"start","text":"hello"}`, 400},
		{"empty", `{"id":"a"}`, 400},
		{"blank text", `{"id":"a","text":"  \n "}`, 400},
		{"text and button", `{"id":"a","text":"x","button":"y"}`, 400},
		{"long button", `{"id":"a","button":"` + strings.Repeat("b", 65) + `"}`, 400},
		{"phone with letters", `{"id":"a","phone":"call me"}`, 400},
		{"bad lang", `{"id":"a","text":"x","lang":"<b>"}`, 400},
		{"oversize body", `{"id":"a","text":"` + strings.Repeat("x", 1<<10) + `"}`, 413},
		{"text over MaxText", `{"id":"a","text":"` + strings.Repeat("ش", 21) + `"}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.send(tt.body); got != tt.want {
				t.Errorf("status: got %d; want %d", got, tt.want)
			}
		})
	}
	if got := h.rec.messages(); len(got) != 0 {
		t.Errorf("delivered: got %d messages; want none", len(got))
	}
	if got := v.send(`{"id":"b","text":"` + strings.Repeat("ش", 20) + `"}`); got != http.StatusNoContent {
		t.Errorf("a text of MaxText characters: %d; want 204", got)
	}
	mails, _, err := h.store.MailSince(context.Background(), v.id, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 {
		t.Errorf("mails shown: %d; want only the text taken", len(mails))
	}
}

func TestBadSession(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	forged := []byte(h.ch.cookieValue(v.id, h.clock.now().Add(time.Hour)))
	forged[len(forged)-1] ^= 1
	other := &Channel{secret: []byte("another secret, as long as needed")}
	tests := []struct {
		name   string
		cookie string // "" sends none
	}{
		{"missing", ""},
		{"garbage", "nonsense"},
		{"expired", h.ch.cookieValue(v.id, h.clock.now().Add(-time.Second))},
		{"forged MAC", string(forged)},
		{"signed with another secret", other.cookieValue(v.id, h.clock.now().Add(time.Hour))},
		{"another visitor's MAC", h.ch.cookieValue(v.id, h.clock.now().Add(time.Hour))[:36] +
			h.ch.cookieValue(newVisitor(), h.clock.now().Add(time.Hour))[36:]},
		{"later expiry, old MAC", strings.Replace(h.ch.cookieValue(v.id, h.clock.now().Add(time.Hour)),
			strconv.FormatInt(h.clock.now().Add(time.Hour).Unix(), 10), strconv.FormatInt(h.clock.now().Add(100*time.Hour).Unix(), 10), 1)},
		{"not a visitor id", h.ch.cookieValue("nothex", h.clock.now().Add(time.Hour))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct{ method, path, body string }{
				{"POST", "/chat/api/send", `{"id":"a","text":"x"}`},
				{"POST", "/chat/api/upload", ""},
				{"GET", "/chat/api/events", ""},
			} {
				req, _ := http.NewRequest(r.method, h.srv.URL+r.path, strings.NewReader(r.body))
				if tt.cookie != "" {
					req.AddCookie(&http.Cookie{Name: cookieName, Value: tt.cookie})
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s %s: got %d; want 401", r.method, r.path, resp.StatusCode)
				}
			}
		})
	}
	if got := h.rec.messages(); len(got) != 0 {
		t.Errorf("delivered: got %d messages; want none", len(got))
	}
	// The expired cookie is fine a second before it expires.
	if _, _, ok := h.ch.parseCookie(h.ch.cookieValue(v.id, h.clock.now().Add(time.Second))); !ok {
		t.Error("a cookie valid for one more second: refused")
	}
}

func TestSessionRenewal(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	renewed := func() bool {
		req, _ := http.NewRequest("POST", h.srv.URL+"/chat/api/send", strings.NewReader(`{"id":"r`+strconv.FormatInt(time.Now().UnixNano(), 36)+`","text":"x"}`))
		resp := v.do(req)
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == cookieName {
				return true
			}
		}
		return false
	}
	if renewed() {
		t.Error("a fresh session was renewed")
	}
	h.clock.add(25 * time.Hour)
	if !renewed() {
		t.Error("a day-old session was not renewed")
	}
	h.clock.add(DefaultSessionTTL - time.Hour) // past the first expiry, within the renewed one
	if !renewed() {
		t.Error("the renewed session was not accepted")
	}
}

func TestDeliverFailure(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	h.rec.setFail(errDown)
	status, header := v.post("/chat/api/send", `{"id":"same","text":"x"}`)
	if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" {
		t.Errorf("deliver down: got %d, Retry-After %q; want 503 with Retry-After", status, header.Get("Retry-After"))
	}
	echoes := func() int {
		_, data, err := h.store.MailSince(context.Background(), v.id, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range data {
			var m mail
			if json.Unmarshal(d, &m) == nil && m.Mine {
				n++
			}
		}
		return n
	}
	if n := echoes(); n != 0 {
		t.Errorf("mailbox after a message not taken: %d echoes; want none", n)
	}
	h.rec.setFail(nil)
	if got := v.send(`{"id":"same","text":"x"}`); got != http.StatusNoContent {
		t.Errorf("again: got %d; want 204", got)
	}
	if n := echoes(); n != 1 {
		t.Errorf("mailbox after the retry: %d echoes; want its echo", n)
	}
	if got := h.rec.messages(); len(got) != 1 || got[0].ID != "web:"+v.id+":same" {
		t.Errorf("delivered: got %v; want the message once, same id", got)
	}

	h.store.(*memStore).setFail(errDown)
	if got := v.send(`{"id":"other","text":"x"}`); got != http.StatusServiceUnavailable {
		t.Errorf("store down: got %d; want 503", got)
	}
	if got := len(h.rec.messages()); got != 1 {
		t.Errorf("store down: delivered %d; want nothing more", got-1)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Rate, c.IPRate = 3, 5 })
	a, b := h.visit(), h.visit()
	for i := range 3 {
		if got := a.send(`{"id":"a` + strconv.Itoa(i) + `","text":"x"}`); got != 204 {
			t.Fatalf("message %d: got %d; want 204", i, got)
		}
	}
	status, header := a.post("/chat/api/send", `{"id":"a3","text":"x"}`)
	if status != http.StatusTooManyRequests || header.Get("Retry-After") != "20" {
		t.Errorf("4th message: got %d, Retry-After %q; want 429, 20", status, header.Get("Retry-After"))
	}
	// Another visitor from the same address has two left of the address's five.
	for i, want := range []int{204, 204, 429} {
		if got := b.send(`{"id":"b` + strconv.Itoa(i) + `","text":"x"}`); got != want {
			t.Errorf("visitor b, message %d: got %d; want %d", i, got, want)
		}
	}
	h.clock.add(20 * time.Second) // one token back for each
	if got := a.send(`{"id":"a4","text":"x"}`); got != 204 {
		t.Errorf("after 20s: got %d; want 204", got)
	}
	if got := len(h.rec.messages()); got != 6 {
		t.Errorf("delivered: got %d; want 6", got)
	}
	if got := a.upload(part{"id", "", []byte("u")}); got != http.StatusTooManyRequests {
		t.Errorf("upload when limited: got %d; want 429", got)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(60) // one a second, 60 at once
	now := time.Unix(1_700_000_000, 0)
	for i := range 60 {
		if ok, _ := l.take("k", now); !ok {
			t.Fatalf("take %d: refused", i)
		}
	}
	ok, wait := l.take("k", now)
	if ok || wait != time.Second {
		t.Errorf("61st: got %v, wait %v; want refused, 1s", ok, wait)
	}
	if ok, _ := l.take("k", now.Add(time.Second)); !ok {
		t.Error("a second later: refused")
	}
	if ok, _ := l.take("other", now); !ok {
		t.Error("another key: refused")
	}
	l.take("k", now.Add(2*time.Minute)) // sweeps: both buckets are full again
	if got := len(l.buckets); got != 1 {
		t.Errorf("after a sweep: got %d buckets; want 1", got)
	}
}

func TestCrossOrigin(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	req, _ := http.NewRequest("POST", h.srv.URL+"/chat/api/send", strings.NewReader(`{"id":"a","text":"x"}`))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp := v.do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: got %d; want 403", resp.StatusCode)
	}
	if got := len(h.rec.messages()); got != 0 {
		t.Errorf("delivered: got %d; want none", got)
	}
}

func TestAddressKey(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:DB8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an address", "not an address"},
		{"", ""},
	} {
		if got := addressKey(tc.ip); got != tc.want {
			t.Errorf("addressKey(%q) = %q; want %q", tc.ip, got, tc.want)
		}
	}
}

// TestAddressLimitsByNetwork: the per-address limits (messages a minute,
// live streams) count an IPv6 client by its /64, which it commonly holds
// whole, and an IPv4-mapped IPv6 address as its IPv4 one, so that going
// from address to address within them does not escape the limits.
func TestAddressLimitsByNetwork(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		shared     bool
	}{
		{"one /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:9", true},
		{"two /64s", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"IPv4-mapped", "::ffff:192.0.2.7", "192.0.2.7", true},
		{"two IPv4", "192.0.2.7", "192.0.2.8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantStream := http.StatusNoContent, http.StatusOK
			if tc.shared {
				want, wantStream = http.StatusTooManyRequests, http.StatusTooManyRequests
			}
			h := newHarness(t, nil, func(c *Config) { c.TrustProxy, c.IPRate = true, 2 })
			v := h.visit()
			send := func(from, id string) int {
				req, _ := http.NewRequest("POST", h.srv.URL+"/chat/api/send", strings.NewReader(`{"id":"`+id+`","text":"x"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Forwarded-For", from)
				resp := v.do(req)
				resp.Body.Close()
				return resp.StatusCode
			}
			for i := range 2 {
				if got := send(tc.a, "a"+strconv.Itoa(i)); got != http.StatusNoContent {
					t.Fatalf("message %d from %s: got %d; want 204", i, tc.a, got)
				}
			}
			if got := send(tc.b, "b"); got != want {
				t.Errorf("then one from %s: got %d; want %d", tc.b, got, want)
			}

			h = newHarness(t, nil, func(c *Config) { c.TrustProxy, c.MaxAddressStreams = true, 2 })
			v = h.visit()
			stream := func(from string) int {
				req, _ := http.NewRequest("GET", h.srv.URL+"/chat/api/events", nil)
				req.Header.Set("X-Forwarded-For", from)
				resp := v.do(req)
				t.Cleanup(func() { resp.Body.Close() })
				return resp.StatusCode
			}
			for i := range 2 {
				if got := stream(tc.a); got != http.StatusOK {
					t.Fatalf("stream %d from %s: got %d; want 200", i, tc.a, got)
				}
			}
			if got := stream(tc.b); got != wantStream {
				t.Errorf("then a stream from %s: got %d; want %d", tc.b, got, wantStream)
			}
		})
	}
}
