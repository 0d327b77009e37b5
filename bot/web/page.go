package web

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
)

// basePath is where the channel is served.
const basePath = "/chat"

// defaultLang is the page's language when the visitor asks for none we
// have.
const defaultLang = "ar"

// LabelKeys returns the keys of Config.Labels the page uses:
//
//	title          the page's title and heading
//	conversation   the conversation's name, for screen readers
//	type_here      the message box's placeholder and name
//	send, attach   the send and attach buttons' names
//	remove_file    the button that drops a file chosen to send
//	file           the name of a document that has none
//	new_messages   the button that scrolls to messages that came in below
//	reconnecting   shown while the live connection is being restored
//	connection_lost shown while the device is offline
//	not_sent       a message that was refused and will not be sent, or
//	               that another tab sent and the bot did not take (yet)
//	too_big        a message or file over the size limit
//	wrong_type     a file that is neither a photo nor a PDF
//	slow_down      too many messages in a short time
//	lang_name      the language's own name, for the language switch
//	staff_link     (demo) the link from the citizen page to the staff page
//	people         (demo) the list of people to act as
//	choose_person  (demo) the hint before a person is chosen
//	reply          the action on a message that answers it
//	replying       over the message being answered, above the box
//	cancel         drops that answer's link
//	sent, retry    a message of one's own taken, and sending one again
//	too_long       a text over MaxText, kept in the box ({{.Max}})
//	close          closes the chat in another site's frame
//	open_chat      the widget's button on another site
//	sign_in_needed the staff panel opened without signing in (outside the demo)
//	sign_in_bad    a staff sign-in link that is forged, has expired or was
//	               revoked
//	staff_unavailable the staff panel when whether a sign-in was revoked
//	               cannot be read (the store is down)
//	cookies_needed the browser does not keep the session cookie, so the
//	               page cannot follow the chat
//	open_in_tab    in another site's frame, opens the chat in its own tab
//	unsent_back    the session ended and the page began anew: the texts it
//	               had not sent are back in the box
//	unsent_back_staff the same on the staff panel, signed in again: back in
//	               their chat's box
func LabelKeys() []string {
	return []string{"title", "conversation", "type_here", "send", "attach", "remove_file", "file",
		"new_messages", "reconnecting", "connection_lost", "not_sent", "too_big", "wrong_type",
		"slow_down", "lang_name", "staff_link", "people", "choose_person", "reply", "replying",
		"cancel", "sent", "retry", "too_long", "close", "open_chat", "sign_in_needed", "sign_in_bad",
		"staff_unavailable", "cookies_needed", "open_in_tab", "unsent_back", "unsent_back_staff"}
}

//go:embed static
var staticFS embed.FS

// assets are the parsed page templates and the files the page loads.
type assets struct {
	pages   *template.Template
	files   map[string]asset
	version string // changes with the files, to bust caches
}

type asset struct {
	data  []byte
	ctype string
	etag  string
}

var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

func loadAssets() (*assets, error) {
	pages, err := template.ParseFS(staticFS, "static/*.html")
	if err != nil {
		return nil, err
	}
	a := &assets{pages: pages, files: map[string]asset{}}
	all := sha256.New()
	err = fs.WalkDir(staticFS, "static", func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(file, "static/")
		ctype := assetTypes[path.Ext(name)]
		if ctype == "" {
			return nil // templates
		}
		data, err := staticFS.ReadFile(file)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		all.Write(sum[:])
		a.files[name] = asset{data: data, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	a.version = hex.EncodeToString(all.Sum(nil)[:6])
	return a, err
}

// serveStatic serves the page's script and style, revalidated by ETag.
func (c *Channel) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := c.assets.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", f.etag)
	if r.URL.Query().Get("v") == c.assets.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(f.data)
}

// pageData is what a page template sees.
type pageData struct {
	Lang, Dir, Base, Version string
	Demo                     bool
	Others                   []langLink // the page in the other languages
	// Name is the bot's name, in the header and the title; Colour the
	// main colour ("" for the page's own), Logo whether there is one;
	// MaxText the longest text taken.
	Name, Colour string
	Logo         bool
	MaxText      int
	// Embed is the page shown in another site's frame (?embed=1): a
	// compact header with a close button.
	Embed  bool
	labels map[string]string
}

type langLink struct{ Lang, Dir, Name string }

// T is the page's label for key.
func (p pageData) T(key string) string { return p.labels[key] }

// pageCSP keeps the page to its own script, style and connections.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// servePage serves the citizen's page and renews the session. Opening
// the page stores nothing: a visitor is greeted when their page first
// follows an empty chat (see greet), which a client that keeps no cookie
// or runs no script never does.
func (c *Channel) servePage(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, "chat.html", nil)
}

// serveStaff serves the page for acting as staff and managers: in the
// demo as anyone, else as the staff member a StaffLink signed in.
func (c *Channel) serveStaff(w http.ResponseWriter, r *http.Request) {
	switch {
	case c.demo != nil:
	case c.staff == nil:
		http.NotFound(w, r)
		return
	case r.URL.Query().Get("key") != "":
		c.signIn(w, r, r.URL.Query().Get("key"))
		return
	default:
		if _, ok := c.signedStaff(r); !ok {
			c.refuse(w, r, "sign_in_needed")
			return
		}
	}
	c.render(w, r, "staff.html", nil)
}

// render writes page with the visitor's session cookie, calling before
// (when not nil) with the visitor once the page is ready and before it is
// written.
func (c *Channel) render(w http.ResponseWriter, r *http.Request, page string, before func(visitor string)) {
	lang := c.pageLang(r)
	d := pageData{Lang: lang, Dir: dir(lang), Base: basePath, Version: c.assets.version,
		Demo: c.demo != nil, labels: c.labelsFor(lang), Colour: c.brand.Colour, Logo: len(c.brand.Logo) > 0,
		MaxText: c.maxText, Embed: r.URL.Query().Get("embed") == "1"}
	d.Name = c.brand.Name[lang]
	if d.Name == "" {
		d.Name = d.labels["title"]
	}
	for _, l := range c.langs() {
		if l != lang && c.labelsFor(l)["lang_name"] != "" {
			d.Others = append(d.Others, langLink{Lang: l, Dir: dir(l), Name: c.labelsFor(l)["lang_name"]})
		}
	}
	var buf bytes.Buffer
	if err := c.assets.pages.ExecuteTemplate(&buf, page, d); err != nil {
		c.log.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := c.pageSession(w, r)
	if before != nil {
		before(v)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", c.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept-Language, Cookie")
	_, _ = w.Write(buf.Bytes())
}

// serveLogo serves the configured logo.
func (c *Channel) serveLogo(w http.ResponseWriter, r *http.Request) {
	if len(c.brand.Logo) == 0 {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", c.brand.LogoType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'") // an SVG runs nothing
	h.Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(c.brand.Logo)
}

// serveLabels gives the page its words for ?lang=.
func (c *Channel) serveLabels(w http.ResponseWriter, r *http.Request) {
	lang := strings.ToLower(r.URL.Query().Get("lang"))
	if !c.supported(lang) {
		lang = c.pageLang(r)
	}
	// The widget on a site that may embed the chat reads its button's
	// name here.
	if o := r.Header.Get("Origin"); o != "" && slices.Contains(c.embed, o) {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Add("Vary", "Origin")
	}
	writeJSON(w, c.labelsFor(lang))
}

// labelsFor returns the labels of lang, each missing one taken from the
// default language.
func (c *Channel) labelsFor(lang string) map[string]string {
	out := map[string]string{}
	for _, l := range []string{defaultLang, lang} {
		for k, v := range c.labels[l] {
			out[k] = v
		}
	}
	return out
}

// langs are the page's languages, the default first.
func (c *Channel) langs() []string {
	out := []string{defaultLang}
	for _, l := range slices.Sorted(maps.Keys(c.labels)) {
		if l != defaultLang {
			out = append(out, l)
		}
	}
	if !slices.Contains(out, "en") {
		out = append(out, "en")
	}
	return out
}

func (c *Channel) supported(lang string) bool {
	return lang != "" && slices.Contains(c.langs(), lang)
}

// pageLang picks the page's language: ?lang=, else the first of the
// browser's languages we have, else Arabic.
func (c *Channel) pageLang(r *http.Request) string {
	if l := strings.ToLower(r.URL.Query().Get("lang")); c.supported(l) {
		return l
	}
	for _, tag := range acceptLangs(r.Header.Get("Accept-Language")) {
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if c.supported(base) {
			return base
		}
	}
	return defaultLang
}

// acceptLangs lists the tags of an Accept-Language header, most wanted
// first, leaving out those refused with q=0.
func acceptLangs(header string) []string {
	type tq struct {
		tag string
		q   float64
	}
	var tags []tq
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if tag != "" && tag != "*" && q > 0 && validLang(tag) {
			tags = append(tags, tq{tag, q})
		}
	}
	slices.SortStableFunc(tags, func(a, b tq) int { return cmp.Compare(b.q, a.q) })
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.tag
	}
	return out
}

// dir is the writing direction of lang.
func dir(lang string) string {
	switch lang {
	case "ar", "fa", "he", "ur", "ps", "ckb", "dv", "yi":
		return "rtl"
	}
	return "ltr"
}

// routes serves, under /chat:
//
//	GET  /chat                 the citizen's page (sets the session cookie)
//	GET  /chat/staff           the demo's page for acting as staff (demo only)
//	GET  /chat/static/NAME     the page's script and style, and widget.js
//	GET  /chat/brand/logo      the logo of the config's web.logo
//	GET  /chat/api/labels      the page's words for ?lang=
//	GET  /chat/api/demo/people the people one may act as (demo only)
//	GET  /chat/api/events      the chat as Server-Sent Events
//	GET  /chat/api/file/ID     a file shown in the chat (?k= binds it to the chat)
//	POST /chat/api/send        a text, button press or phone number (JSON)
//	POST /chat/api/upload      a photo or PDF with an optional caption (multipart)
func (c *Channel) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+basePath, c.servePage)
	mux.HandleFunc("GET "+basePath+"/{$}", c.servePage)
	mux.HandleFunc("GET "+basePath+"/staff", c.serveStaff)
	mux.HandleFunc("GET "+basePath+"/static/{name}", c.serveStatic)
	mux.HandleFunc("GET "+basePath+"/brand/logo", c.serveLogo)
	mux.HandleFunc("GET "+basePath+"/api/labels", c.serveLabels)
	mux.HandleFunc("GET "+basePath+"/api/demo/people", c.servePeople)
	mux.HandleFunc("GET "+basePath+"/api/events", c.serveEvents)
	mux.HandleFunc("GET "+basePath+"/api/file/{id}", c.serveFile)
	mux.HandleFunc("POST "+basePath+"/api/send", c.serveSend)
	mux.HandleFunc("POST "+basePath+"/api/upload", c.serveUpload)
	// SameSite=Lax keeps the cookie off cross-site posts already; this
	// also refuses them from browsers that would send it.
	return c.staffGate(http.NewCrossOriginProtection().Handler(mux))
}
