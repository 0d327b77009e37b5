package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cookieName names the session cookie. Its value is
//
//	v1.VISITOR.EXPIRY.MAC
//
// VISITOR is 128 random bits in hex, EXPIRY a Unix time and MAC the
// HMAC-SHA256 of both under Config.Secret, in unpadded URL-safe base64.
const cookieName = "shakwa_chat"

const cookieVersion = "v1"

// Purposes keep the MACs of sessions and file links apart.
const (
	macSession = "shakwa web session"
	macFile    = "shakwa web file"
)

// newVisitor returns a fresh visitor id.
func newVisitor() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand documents so)
	return hex.EncodeToString(b)
}

// validVisitor reports whether id is a visitor id: 32 lower-case hex digits.
func validVisitor(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !(id[i] >= '0' && id[i] <= '9' || id[i] >= 'a' && id[i] <= 'f') {
			return false
		}
	}
	return true
}

// mac returns the MAC of parts for purpose, in unpadded URL-safe base64.
func (c *Channel) mac(purpose string, parts ...string) string {
	h := hmac.New(sha256.New, c.secret)
	h.Write([]byte(purpose))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// sameMAC compares two MACs in constant time.
func sameMAC(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// cookieValue returns the signed session of visitor until exp.
func (c *Channel) cookieValue(visitor string, exp time.Time) string {
	return c.signed(macSession, visitor, exp)
}

// parseCookie returns the visitor of a well-signed, unexpired session.
func (c *Channel) parseCookie(v string) (visitor string, exp time.Time, ok bool) {
	visitor, exp, ok = c.parseSigned(macSession, v)
	if !ok || !validVisitor(visitor) {
		return "", time.Time{}, false
	}
	return visitor, exp, true
}

// signed is "v1.ID.EXPIRY.MAC": id until exp, signed for purpose.
func (c *Channel) signed(purpose, id string, exp time.Time) string {
	return c.seal(purpose, cookieVersion, id, strconv.FormatInt(exp.Unix(), 10))
}

// parseSigned returns the id of v, a value signed for purpose, while it
// has not expired.
func (c *Channel) parseSigned(purpose, v string) (id string, exp time.Time, ok bool) {
	f, ok := c.unseal(purpose, cookieVersion, 2, v)
	if !ok {
		return "", time.Time{}, false
	}
	if exp, ok = c.unexpired(f[1]); !ok {
		return "", time.Time{}, false
	}
	return f[0], exp, true
}

// seal is "VERSION.FIELD….MAC": fields, none empty and none with a dot,
// signed for purpose. The MAC covers the fields and, past v1, the
// version too (v1's, the form handed out first, covers the fields alone).
func (c *Channel) seal(purpose, version string, fields ...string) string {
	return version + "." + strings.Join(fields, ".") + "." + c.mac(purpose, macParts(version, fields)...)
}

// unseal returns the n fields of v, a value sealed for purpose in
// version, if its MAC is right.
func (c *Channel) unseal(purpose, version string, n int, v string) ([]string, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != n+2 || parts[0] != version {
		return nil, false
	}
	fields := parts[1 : n+1]
	if slices.Contains(fields, "") || !sameMAC(parts[n+1], c.mac(purpose, macParts(version, fields)...)) {
		return nil, false
	}
	return fields, true
}

// macParts are what the MAC of fields sealed in version covers.
func macParts(version string, fields []string) []string {
	if version == cookieVersion {
		return fields
	}
	return append([]string{version}, fields...)
}

// unexpired returns the time of e, Unix seconds, while it is to come.
func (c *Channel) unexpired(e string) (time.Time, bool) {
	unix, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	exp := time.Unix(unix, 0)
	if !c.now().Before(exp) {
		return time.Time{}, false
	}
	return exp, true
}

// setCookie gives visitor a session of SessionTTL from now.
func (c *Channel) setCookie(w http.ResponseWriter, r *http.Request, visitor string) {
	exp := c.now().Add(c.ttl)
	ck := &http.Cookie{
		Name:     cookieName,
		Value:    c.cookieValue(visitor, exp),
		Path:     basePath,
		Expires:  exp,
		MaxAge:   int(c.ttl / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
		SameSite: http.SameSiteLaxMode,
	}
	if len(c.embed) > 0 && ck.Secure {
		// In another site's frame a Lax cookie is not sent; a partitioned
		// one is, and is that site's alone. Cross-site posts are refused
		// by the origin check (routes) all the same.
		ck.SameSite, ck.Partitioned = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, ck)
}

// visitor returns the visitor of r's session, if it has a valid one.
func (c *Channel) visitor(r *http.Request) (string, time.Time, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return "", time.Time{}, false
	}
	return c.parseCookie(ck.Value)
}

// session returns the visitor of r's session and renews the cookie when it
// was issued more than a day ago (or half its life, when shorter). ok is
// false when r has no valid session; nothing is written then.
func (c *Channel) session(w http.ResponseWriter, r *http.Request) (string, bool) {
	v, exp, ok := c.visitor(r)
	if !ok {
		return "", false
	}
	if age := c.ttl - exp.Sub(c.now()); age > min(24*time.Hour, c.ttl/2) {
		c.setCookie(w, r, v)
	}
	return v, true
}

// pageSession returns the visitor of r's session, or a new one, and sets
// the cookie afresh: opening the page renews the session.
func (c *Channel) pageSession(w http.ResponseWriter, r *http.Request) string {
	v, _, ok := c.visitor(r)
	if !ok {
		v = newVisitor()
	}
	c.setCookie(w, r, v)
	return v
}
