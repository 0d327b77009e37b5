package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestStaffSignIn: outside the demo a staff member signs in with a link
// and may then act as themselves only, in their own chats; a link
// expires, and a link for someone not listed signs nobody in.
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
	refused(StaffLink(testSecret, "111", h.clock.now().Add(-time.Second)), http.Header{"Accept-Language": {"en"}}, "bad-en")
	if got := v.send(`{"id":"x1","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusForbidden {
		t.Errorf("speaking as staff before signing in: %d; want 403", got)
	}
	if resp := v.get(StaffLink(testSecret, "999", h.clock.now().Add(time.Hour)), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a link for someone not listed: %d; want 403", resp.StatusCode)
	}
	if resp := v.get(StaffLink([]byte(strings.Repeat("k", 32)), "111", h.clock.now().Add(time.Hour)), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a link signed with another secret: %d; want 403", resp.StatusCode)
	}
	resp := v.get(StaffLink(testSecret, "111", h.clock.now().Add(time.Hour)), nil)
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
	if got := v.send(`{"id":"x4","text":"hi","as":"111","chat":"-1001"}`); got != http.StatusForbidden {
		t.Errorf("after the sign-in expired: %d; want 403", got)
	}
	resp = v.get(StaffLink(testSecret, "111", h.clock.now().Add(-time.Minute)), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an expired link: %d; want 403", resp.StatusCode)
	}
}
