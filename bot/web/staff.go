package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Outside the demo, staff may work in the web panel too (a deployment
// without Telegram): each as themselves only, signed in by a link the
// operator makes on the server (StaffLink) and hands over. The link sets
// a staff cookie bound to the person until the link's expiry, or until
// the person's sign-ins are revoked (Store.StaffRevoked): every link and
// sign-in of theirs made until then is void, and no one else's. The panel
// lists that person alone, and a request may speak only as them.

// staffCookie names the staff sign-in cookie, whose value is the link's
// key (see staffVersion).
const staffCookie = "shakwa_staff"

// staffVersion is the form of the keys StaffLink makes:
//
//	v2.PERSON.ISSUED.EXPIRY.MAC
//
// ISSUED is when the link was made, in Unix milliseconds, so that a
// revocation (Store.StaffRevoked) voids the links made until then and no
// later one; EXPIRY is in Unix seconds, and MAC is as in the session
// cookie. Keys of the form before, "v1.PERSON.EXPIRY.MAC", are still
// taken until they expire, as made before any revocation: one revocation
// of their person voids them.
const staffVersion = "v2"

const macStaff = "shakwa web staff"

// StaffLink is the path and query that sign staff member id in to the web
// panel until exp: "/chat/staff?key=…", made at issued. Only a Channel
// whose Config has the same Secret (and lists the person in Staff) accepts
// it, and only while the person's staff sign-ins have not been revoked
// since issued.
func StaffLink(secret []byte, id string, issued, exp time.Time) string {
	c := &Channel{secret: secret}
	return basePath + "/staff?key=" + c.staffKey(id, issued, exp)
}

// staffSignIn is what a staff key says: whose it is, when it was made
// (zero for a v1 key) and until when it lasts.
type staffSignIn struct {
	person      string
	issued, exp time.Time
}

// staffKey is id, issued and exp, signed.
func (c *Channel) staffKey(id string, issued, exp time.Time) string {
	return c.seal(macStaff, staffVersion, id,
		strconv.FormatInt(issued.UnixMilli(), 10), strconv.FormatInt(exp.Unix(), 10))
}

// parseStaffKey returns what a well-signed, unexpired key says.
func (c *Channel) parseStaffKey(key string) (staffSignIn, bool) {
	f, ok := c.unseal(macStaff, staffVersion, 3, key)
	if !ok {
		id, exp, ok := c.parseSigned(macStaff, key) // v1
		return staffSignIn{person: id, exp: exp}, ok
	}
	ms, err := strconv.ParseInt(f[1], 10, 64)
	exp, ok := c.unexpired(f[2])
	if err != nil || !ok {
		return staffSignIn{}, false
	}
	return staffSignIn{person: f[0], issued: time.UnixMilli(ms), exp: exp}, true
}

// standing reports whether sign-in k was made after its person's last
// revocation, if any: one store read.
func (c *Channel) standing(ctx context.Context, k staffSignIn) (bool, error) {
	at, err := c.store.StaffRevoked(ctx, k.person)
	if err != nil {
		return false, err
	}
	return at.IsZero() || k.issued.After(at), nil
}

// signedInKey is the context key of a request's standing staff sign-in
// (a staffSignIn), put there by staffGate.
type signedInKey struct{}

// staffGate reads, before a request with a well-signed staff cookie is
// served, whether that sign-in still stands: one store read, on the paths
// where a person may act as staff (the staff page and the API, but the
// labels), so that a request without the cookie, a citizen's, costs none.
// A standing sign-in goes with the request's context (signedStaff, and an
// event stream's stillSignedIn); a revoked one is dropped from the
// browser, and the request served as a visitor's; when the store fails
// the request is answered 503.
func (c *Channel) staffGate(next http.Handler) http.Handler {
	if c.staff == nil || c.demo != nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Path == basePath+"/staff"
		ck, err := r.Cookie(staffCookie)
		if err != nil || page && r.URL.Query().Has("key") || // signIn takes the key, not the cookie
			!page && (!strings.HasPrefix(r.URL.Path, basePath+"/api/") || r.URL.Path == basePath+"/api/labels") {
			next.ServeHTTP(w, r)
			return
		}
		k, ok := c.parseStaffKey(ck.Value)
		if !ok || c.staff.people[k.person] == nil {
			next.ServeHTTP(w, r)
			return
		}
		stands, err := c.standing(r.Context(), k)
		switch {
		case err != nil:
			c.log.Warn("read staff revocation", "err", err)
			if page {
				c.say(w, r, http.StatusServiceUnavailable, "staff_unavailable")
			} else {
				unavailable(w)
			}
			return
		case !stands:
			http.SetCookie(w, &http.Cookie{Name: staffCookie, Path: basePath, MaxAge: -1})
		default:
			r = r.WithContext(context.WithValue(r.Context(), signedInKey{}, k))
		}
		next.ServeHTTP(w, r)
	})
}

// signedStaff is the staff member whose standing sign-in r came with
// (staffGate), if any.
func (c *Channel) signedStaff(r *http.Request) (string, bool) {
	k, ok := r.Context().Value(signedInKey{}).(staffSignIn)
	if !ok || c.staff == nil || c.staff.people[k.person] == nil {
		return "", false
	}
	return k.person, true
}

// stillSignedIn reports whether the staff sign-in that the request of ctx
// came with, if any, still stands: not expired, and not revoked since
// (one store read; none for a request without one). A store failure
// counts as standing: the stream that asks reads nothing then either, and
// says so.
func (c *Channel) stillSignedIn(ctx context.Context) bool {
	k, ok := ctx.Value(signedInKey{}).(staffSignIn)
	if !ok {
		return true
	}
	if !c.now().Before(k.exp) {
		return false
	}
	stands, err := c.standing(ctx, k)
	return err != nil || stands
}

// signIn takes a staff link's key: a good one sets the staff cookie and
// reports the person; a bad, expired or revoked one is refused (403),
// saying so (label sign_in_bad); a store failure is answered 503 (label
// staff_unavailable).
func (c *Channel) signIn(w http.ResponseWriter, r *http.Request, key string) bool {
	k, ok := c.parseStaffKey(key)
	if !ok || c.staff.people[k.person] == nil {
		c.refuse(w, r, "sign_in_bad")
		return false
	}
	stands, err := c.standing(r.Context(), k)
	if err != nil {
		c.log.Warn("read staff revocation", "err", err)
		c.say(w, r, http.StatusServiceUnavailable, "staff_unavailable")
		return false
	}
	if !stands {
		c.refuse(w, r, "sign_in_bad")
		return false
	}
	exp := k.exp
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

// refuseSpeaker answers a request that may not speak as person as: 401
// when it speaks as staff without a standing staff sign-in (the panel's
// expired or was revoked, or it never had one), as for an ended session:
// the panel keeps what it had not sent and opens anew, which asks to sign
// in; else (someone else, a chat not theirs, no staff panel) 403.
func (c *Channel) refuseSpeaker(w http.ResponseWriter, r *http.Request, as string) {
	if _, ok := c.signedStaff(r); as != "" && c.demo == nil && c.staff != nil && !ok {
		http.Error(w, "sign-in needed", http.StatusUnauthorized)
		return
	}
	http.Error(w, "forbidden", http.StatusForbidden)
}

// refuse answers 403 with the page's words for key (say).
func (c *Channel) refuse(w http.ResponseWriter, r *http.Request, key string) {
	c.say(w, r, http.StatusForbidden, key)
}

// say answers status with the page's words for key, in the reader's
// language and direction: a person opened this page, not a script.
func (c *Channel) say(w http.ResponseWriter, r *http.Request, status int, key string) {
	lang := c.pageLang(r)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'") // no script
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html lang=\"%s\" dir=\"%s\"><meta charset=\"utf-8\">"+
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"+
		"<p style=\"font: 1.1rem system-ui, sans-serif; margin: 2rem\">%s</p></html>\n",
		lang, dir(lang), html.EscapeString(c.labelsFor(lang)[key]))
}
