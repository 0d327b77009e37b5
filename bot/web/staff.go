package web

import (
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
)

// Outside the demo, staff may work in the web panel too (a deployment
// without Telegram): each as themselves only, signed in by a link the
// operator makes on the server (StaffLink) and hands over. The link sets
// a staff cookie bound to the person until the link's expiry; the panel
// then lists that person alone, and a request may speak only as them.

// staffCookie names the staff sign-in cookie: "v1.PERSON.EXPIRY.MAC".
const staffCookie = "shakwa_staff"

const macStaff = "shakwa web staff"

// StaffLink is the path and query that sign staff member id in to the web
// panel until exp: "/chat/staff?key=…". Only a Channel whose Config has
// the same Secret (and lists the person in Staff) accepts it.
func StaffLink(secret []byte, id string, exp time.Time) string {
	c := &Channel{secret: secret}
	return basePath + "/staff?key=" + c.staffKey(id, exp)
}

// staffKey is id and exp, signed.
func (c *Channel) staffKey(id string, exp time.Time) string { return c.signed(macStaff, id, exp) }

// parseStaffKey returns the person of a well-signed, unexpired key.
func (c *Channel) parseStaffKey(key string) (string, time.Time, bool) {
	return c.parseSigned(macStaff, key)
}

// signedStaff is the staff member r's staff cookie signs in, if any.
func (c *Channel) signedStaff(r *http.Request) (string, bool) {
	if c.staff == nil {
		return "", false
	}
	ck, err := r.Cookie(staffCookie)
	if err != nil {
		return "", false
	}
	id, _, ok := c.parseStaffKey(ck.Value)
	if !ok || c.staff.people[id] == nil {
		return "", false
	}
	return id, true
}

// signIn takes a staff link's key: a good one sets the staff cookie and
// reports the person; a bad or expired one is refused (403), saying so
// (label sign_in_bad).
func (c *Channel) signIn(w http.ResponseWriter, r *http.Request, key string) bool {
	id, exp, ok := c.parseStaffKey(key)
	if !ok || c.staff.people[id] == nil {
		c.refuse(w, r, "sign_in_bad")
		return false
	}
	http.SetCookie(w, &http.Cookie{
		Name: staffCookie, Value: key, Path: basePath, Expires: exp,
		MaxAge:   int(exp.Sub(c.now()) / time.Second),
		HttpOnly: true, Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
		// Lax, not Strict: a link followed from a mail or another site is
		// a cross-site navigation, and the redirect below stays one, so a
		// Strict cookie would not come back with it. Posts are refused
		// cross-site by the origin check (routes) all the same.
		SameSite: http.SameSiteLaxMode,
	})
	// Without the key in the address, which history and screens would keep.
	http.Redirect(w, r, basePath+"/staff", http.StatusSeeOther)
	return true
}

// actors are the people request r may act as: in the demo anyone
// configured; signed in as staff, that person alone; else nobody (nil).
func (c *Channel) actors(r *http.Request) *demoIndex {
	if c.demo != nil {
		return c.demo
	}
	id, ok := c.signedStaff(r)
	if !ok {
		return nil
	}
	p := c.staff.people[id]
	x := &demoIndex{demo: &Demo{People: []DemoPerson{*p}}, people: map[string]*DemoPerson{id: p}, chats: map[string]bool{}}
	for _, ch := range p.Chats {
		x.chats[ch.ID] = true
	}
	return x
}

// refuse answers 403 with the page's words for key, in the reader's
// language and direction: a person opened this page, not a script.
func (c *Channel) refuse(w http.ResponseWriter, r *http.Request, key string) {
	lang := c.pageLang(r)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'") // no script
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, "<!doctype html>\n<html lang=\"%s\" dir=\"%s\"><meta charset=\"utf-8\">"+
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"+
		"<p style=\"font: 1.1rem system-ui, sans-serif; margin: 2rem\">%s</p></html>\n",
		lang, dir(lang), html.EscapeString(c.labelsFor(lang)[key]))
}
