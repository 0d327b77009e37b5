package web

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
)

// TestStaffSignIn: outside the demo a staff member signs in with a link
// and may then act as themselves only, in their own chats; a link
// expires, and a link for someone not listed signs nobody in. Speaking
// as staff without a standing sign-in (none yet, or expired) is 401, as
// for an ended session, so that the panel keeps what it had not sent;
// speaking as someone else is 403.
func TestStaffSignIn(t *testing.T) {
	staff := &Demo{People: []DemoPerson{
		{ID: "111", Name: "Fatima", Role: "موظفة", Serves: "الكرامة", Chats: []DemoChat{{ID: "111"}, {ID: "-1001", Label: "الكرامة", Group: true}},
			In: map[string]DemoWords{"en": {Role: "staff", Serves: "Al Karama", Chats: map[string]string{"-1001": "Al Karama"}}}},
		{ID: "112", Name: "Khalid", Chats: []DemoChat{{ID: "112"}, {ID: "-1001", Group: true}}},
	}}
	h := newHarness(t, nil, func(c *Config) { c.Staff = staff })
	v := h.visit()
	refused := func(path string, header http.Header, want string) {
		t.Helper()
		resp := v.get(path, header)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<p") || !strings.Contains(string(body), ">"+want+"</p>") {
			t.Errorf("GET %s: %d %q; want 403 saying %q", path, resp.StatusCode, body, want)
		}
	}
	refused("/chat/staff", nil, "needed-ar")
	refused(StaffLink(testSecret, "111", h.clock.now(), h.clock.now().Add(-time.Second)), http.Header{"Accept-Language": {"en"}}, "bad-en")
	if got := v.send(`{"id":"x1","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusUnauthorized {
		t.Errorf("speaking as staff before signing in: %d; want 401", got)
	}
	if resp := v.get(StaffLink(testSecret, "999", h.clock.now(), h.clock.now().Add(time.Hour)), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a link for someone not listed: %d; want 403", resp.StatusCode)
	}
	if resp := v.get(StaffLink([]byte(strings.Repeat("k", 32)), "111", h.clock.now(), h.clock.now().Add(time.Hour)), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a link signed with another secret: %d; want 403", resp.StatusCode)
	}
	resp := v.get(StaffLink(testSecret, "111", h.clock.now(), h.clock.now().Add(time.Hour)), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.RawQuery != "" {
		t.Fatalf("the link: %d at %s; want the panel, the key gone from the address", resp.StatusCode, resp.Request.URL)
	}
	resp = v.get("/chat/api/demo/people", nil)
	people, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(people), `"111"`) || strings.Contains(string(people), `"112"`) {
		t.Errorf("people for Fatima: %s; want her alone", people)
	}
	resp = v.get("/chat/api/demo/people?lang=en", nil)
	people, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(people), `"serves":"Al Karama"`) || !strings.Contains(string(people), `"label":"Al Karama"`) ||
		strings.Contains(string(people), "الكرامة") {
		t.Errorf("people for the English page: %s; want them in English", people)
	}
	if got := v.send(`{"id":"x2","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusNoContent {
		t.Errorf("Fatima in her group: %d; want 204", got)
	}
	if got := v.send(`{"id":"x3","text":"hi","as":"112","chat":"-1001"}`); got != http.StatusForbidden {
		t.Errorf("Fatima as Khalid: %d; want 403", got)
	}
	h.clock.add(2 * time.Hour)
	if got := v.send(`{"id":"x4","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusUnauthorized {
		t.Errorf("after the sign-in expired: %d; want 401, the panel to keep what it had not sent", got)
	}
	if got := v.upload(part{"id", "", []byte("x5")}, part{"as", "", []byte("111")}, part{"chat", "", []byte("-1001")},
		part{"file", "a.png", pngBytes(t)}); got != http.StatusUnauthorized {
		t.Errorf("a file after the sign-in expired: %d; want 401", got)
	}
	resp = v.get(StaffLink(testSecret, "111", h.clock.now(), h.clock.now().Add(-time.Minute)), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an expired link: %d; want 403", resp.StatusCode)
	}
}

// revokeStaff is two staff members of one centre's group, for the
// revocation tests.
var revokeStaff = &Demo{People: []DemoPerson{
	{ID: "111", Name: "Fatima", Chats: []DemoChat{{ID: "111"}, {ID: "-1001", Group: true}}},
	{ID: "112", Name: "Khalid", Chats: []DemoChat{{ID: "112"}, {ID: "-1001", Group: true}}},
}}

// signIn follows a link as v, failing the test unless it opens the panel.
func (v *visitor) signIn(link string) {
	v.h.t.Helper()
	resp := v.get(link, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		v.h.t.Fatalf("the link %s: %d; want the panel", link, resp.StatusCode)
	}
}

// page gets path as v and returns the status and the page's words.
func (v *visitor) page(path string) (int, string) {
	v.h.t.Helper()
	resp := v.get(path, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// TestStaffRevoke: a revocation voids the staff member's sign-ins and
// links made until then, the one of the form before the revocation
// existed too, and no one else's; a link made after it works. A request
// that comes with a staff cookie reads the revocation once; a citizen's
// reads nothing; the store failing is 503, not a sign-out.
func TestStaffRevoke(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store, func(c *Config) { c.Staff = revokeStaff })
	fatima, khalid, citizen := h.visit(), h.visit(), h.visit()
	link := StaffLink(testSecret, "111", h.clock.now(), h.clock.now().Add(time.Hour))
	fatima.signIn(link)
	khalid.signIn(StaffLink(testSecret, "112", h.clock.now(), h.clock.now().Add(time.Hour)))
	// A key of the first form, handed out before keys said when they were made.
	v1 := h.stranger()
	v1.signIn(basePath + "/staff?key=" + h.ch.signed(macStaff, "111", h.clock.now().Add(time.Hour)))

	before := store.staffReads()
	if got := citizen.send(`{"id":"c1","text":"hi"}`); got != http.StatusNoContent {
		t.Errorf("a citizen's message: %d; want 204", got)
	}
	if got := store.staffReads() - before; got != 0 {
		t.Errorf("a citizen's message read the revocations %d times; want none", got)
	}
	before = store.staffReads()
	if got := fatima.send(`{"id":"f1","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusNoContent {
		t.Errorf("Fatima in her group: %d; want 204", got)
	}
	if got := store.staffReads() - before; got != 1 {
		t.Errorf("a staff member's message read the revocations %d times; want 1", got)
	}
	if got := v1.send(`{"id":"o1","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusNoContent {
		t.Errorf("signed in with a v1 key: %d; want 204", got)
	}

	store.setFail(errors.New("down"))
	if got := fatima.send(`{"id":"f2","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusServiceUnavailable {
		t.Errorf("Fatima's message, the store down: %d; want 503", got)
	}
	if status, body := fatima.page("/chat/staff"); status != http.StatusServiceUnavailable || !strings.Contains(body, ">later-ar</p>") {
		t.Errorf("the panel, the store down: %d %q; want 503 saying later-ar", status, body)
	}
	if status, body := h.stranger().page(link); status != http.StatusServiceUnavailable || !strings.Contains(body, ">later-ar</p>") {
		t.Errorf("the link, the store down: %d %q; want 503 saying later-ar", status, body)
	}
	store.setFail(nil)

	store.revoke("111", h.clock.now())
	if got := fatima.send(`{"id":"f3","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusUnauthorized {
		t.Errorf("Fatima in her group after the revocation: %d; want 401", got)
	}
	u, _ := url.Parse(h.srv.URL + "/chat/staff")
	for _, ck := range fatima.client.Jar.Cookies(u) {
		if ck.Name == staffCookie {
			t.Errorf("Fatima's revoked staff cookie is still kept")
		}
	}
	if got := fatima.send(`{"id":"f4","text":"as herself"}`); got != http.StatusNoContent {
		t.Errorf("Fatima in her own chat as a visitor: %d; want 204", got)
	}
	if status, body := fatima.page("/chat/staff"); status != http.StatusForbidden || !strings.Contains(body, ">needed-ar</p>") {
		t.Errorf("the panel after the revocation: %d %q; want 403 saying needed-ar", status, body)
	}
	if status, body := fatima.page(link); status != http.StatusForbidden || !strings.Contains(body, ">bad-ar</p>") {
		t.Errorf("the revoked link: %d %q; want 403 saying bad-ar", status, body)
	}
	if got := v1.send(`{"id":"o2","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusUnauthorized {
		t.Errorf("signed in with a v1 key after the revocation: %d; want 401", got)
	}
	if got := khalid.send(`{"id":"k1","text":"hi","as":"112","chat":"-1001"}`); got != http.StatusNoContent {
		t.Errorf("Khalid after Fatima's revocation: %d; want 204", got)
	}

	h.clock.add(time.Millisecond)
	fatima.signIn(StaffLink(testSecret, "111", h.clock.now(), h.clock.now().Add(time.Hour)))
	if got := fatima.send(`{"id":"f5","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusNoContent {
		t.Errorf("Fatima with a link made after the revocation: %d; want 204", got)
	}
}

// TestStaffRevokeEndsStream: the event stream of a staff member's panel
// ends at its next heartbeat once their sign-in is revoked, and is
// refused (401) when the panel opens it again; another staff member's stream of
// the same group goes on.
func TestStaffRevokeEndsStream(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store, func(c *Config) { c.Staff = revokeStaff; c.Heartbeat = 20 * time.Millisecond })
	fatima, khalid := h.visit(), h.visit()
	fatima.signIn(StaffLink(testSecret, "111", h.clock.now(), h.clock.now().Add(time.Hour)))
	khalid.signIn(StaffLink(testSecret, "112", h.clock.now(), h.clock.now().Add(time.Hour)))
	hers, his := fatima.events("?as=111&chat=-1001", ""), khalid.events("?as=112&chat=-1001", "")
	hers.untilReady()
	his.untilReady()

	store.revoke("111", h.clock.now())
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for range hers.events {
		}
	}()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("Fatima's stream still open after her sign-in was revoked")
	}
	if again := fatima.events("?as=111&chat=-1001", ""); again.status != http.StatusUnauthorized {
		t.Errorf("Fatima's stream opened again: %d; want 401", again.status)
	}
	h.reply(bot.Reply{Channel: Name, Chat: "-1001", Text: "still here"}, "")
	if _, m := his.mail(); m.Text != "still here" {
		t.Errorf("Khalid's stream: got %+v; want the group's new message", m)
	}
}
