package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/shakwa/shakwa"
)

// TestBrowserWidget puts the widget script on a page of another origin,
// as a centre's website would, with that origin in web.embed_origins: its
// button, named in the page's language, opens the chat in a frame that
// the chat's policy lets that site show, and the chat starts in it.
// Screenshot: widget-ar.png.
func TestBrowserWidget(t *testing.T) {
	var chat atomic.Pointer[string]
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif"><h1>موقع مركز الخدمة</h1>
<script>window.addEventListener('message', (e) => { if (e.data && e.data.shakwa === 'ready') window.chatReady = true; });</script>
<script src="%s/chat/static/widget.js" data-lang="ar"></script></body></html>`, *chat.Load())
	}))
	defer site.Close()
	cfg := strings.Replace(string(shakwa.ExampleConfig), "embed_origins: []", "embed_origins: [\""+site.URL+"\"]", 1)
	if cfg == string(shakwa.ExampleConfig) {
		t.Fatal("the example configuration has no embed_origins to fill in")
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _, base, finish := startDemoTabs(t, "site", "unused", "-config", file)
	chat.Store(&base)

	c.do("open the centre's site", chromedp.Navigate(site.URL))
	c.do("wait for the widget's button", chromedp.WaitVisible(chromedp.CSS(`[data-shakwa=open]`)))
	get(c, "wait for the button's name", chromedp.Poll[bool](`document.querySelector('[data-shakwa=open]').getAttribute('aria-label') !== null && document.querySelector('[data-shakwa=open]').getAttribute('aria-label') !== ''`))
	label := get(c, "read the button's name", chromedp.AttributeValue(chromedp.CSS(`[data-shakwa=open]`), "aria-label")).Value
	if label != "تواصل معنا: شكوى أو ملاحظة" {
		t.Errorf("the widget's button is named %q; want the Arabic label from the chat's words", label)
	}
	c.click("open the chat", `[data-shakwa=open]`)
	get(c, "wait for the chat in the frame", chromedp.Poll[bool](`window.chatReady === true`))
	if got := get(c, "read the frame's address", chromedp.AttributeValue(chromedp.CSS(`[data-shakwa=frame]`), "src")).Value; !strings.HasPrefix(got, base+"/chat?embed=1") {
		t.Errorf("the frame shows %q; want the embedded chat", got)
	}
	c.settle()
	saveScreenshot(t, c, "widget-ar.png")
	finish()
}
