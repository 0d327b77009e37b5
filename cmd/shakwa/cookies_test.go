package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shakwa/shakwa/locales"
)

// TestBrowserCookiesRefused opens the chat through a proxy that drops
// every Set-Cookie, as a browser that blocks cookies would: the page must
// say that it needs cookies and stay, not reload itself without end (each
// reload was a new visitor). Screenshots: cookies-ar.png, cookies-phone-ar.png.
func TestBrowserCookiesRefused(t *testing.T) {
	c, _, base, finish := startDemoTabs(t, "citizen", "unused")
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var pages atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(target)
	tr := &http.Transport{}
	proxy.Transport = tr
	proxy.ModifyResponse = func(r *http.Response) error {
		r.Header.Del("Set-Cookie")
		return nil
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chat" {
			pages.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	text, err := locales.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := text.Text("ar", "web.cookies_needed", nil)
	c.do("open the chat", chromedp.Navigate(front.URL+"/chat"))
	c.do("wait for the page to say it needs cookies",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=status][data-state=cookies]`)))
	got := get(c, "read the status", chromedp.Text(chromedp.CSS(`[data-testid=status]`)))
	if !strings.Contains(got, want) {
		t.Errorf("status: got %q; want %q", got, want)
	}
	if n := c.count(`[data-testid=open-tab]`); n != 0 {
		t.Errorf("a page of its own offers to open itself in a tab (%d links)", n)
	}
	time.Sleep(3 * time.Second) // long enough for a reload or two to show
	if n := pages.Load(); n != 1 {
		t.Errorf("the page was loaded %d times; want once", n)
	}
	c.settle()
	saveScreenshot(t, c, "cookies-ar.png")
	c.do("size as a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	c.settle()
	saveScreenshot(t, c, "cookies-phone-ar.png")
	front.Close()
	tr.CloseIdleConnections()
	finish()
}
