package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shakwa/shakwa/locales"
)

// TestBrowserSessionEndKeepsText: the session of a page that worked ends
// (its cookie is refused, as when it expired or the secret changed) just
// as the citizen sends two texts and presses a button. The page reloads
// into a new conversation, and what they wrote is back in the box, one a
// line, with a word that says so, not lost; the press is not. A proxy in front of the demo stands for the server that no longer
// knows the cookie. Screenshot: unsent-back-ar.png.
func TestBrowserSessionEndKeepsText(t *testing.T) {
	c, _, base, finish := startDemoTabs(t, "citizen", "unused")
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		old     = map[string]bool{} // session cookies sent before expired
		expired bool                // ... which are no longer taken then
		pages   atomic.Int64
		hold    = make(chan struct{}) // the first send refused waits for it
	)
	proxy := httputil.NewSingleHostReverseProxy(target)
	tr := &http.Transport{}
	proxy.Transport = tr
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chat" {
			pages.Add(1)
		}
		mu.Lock()
		var keep []string
		for _, ck := range r.Cookies() {
			if ck.Name == "shakwa_chat" {
				if expired && old[ck.Value] {
					continue
				}
				old[ck.Value] = !expired
			}
			keep = append(keep, ck.String())
		}
		refused := expired
		mu.Unlock()
		if refused && r.URL.Path == "/chat/api/send" {
			select {
			case <-hold:
			case <-r.Context().Done():
			}
		}
		r.Header.Del("Cookie")
		if len(keep) > 0 {
			r.Header.Set("Cookie", strings.Join(keep, "; "))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		front.CloseClientConnections() // the page's live stream
		front.Close()
	})

	text, err := locales.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c.do("open the chat", chromedp.Navigate(front.URL+"/chat"))
	c.waitReady(citizenPane)
	c.waitBubble(citizenPane, 0, want{data: []string{"menu:complaint"}}) // the session works

	mu.Lock()
	expired = true
	mu.Unlock()
	// Two texts and a press: the first is on its way when the others are
	// queued behind it.
	written := []string{"انتظرت ساعتين في مركز الكرامة", "ولم يناديني أحد"}
	get(c, "mark the page, to tell the reloaded one from it", chromedp.Evaluate[bool](`window.beforeReload = true`))
	c.do("write", chromedp.SendKeys(chromedp.CSS(citizenPane+` [data-testid=input]`), written[0]))
	c.click("send", citizenPane+` [data-testid=send]`)
	c.click("press menu:complaint", citizenPane+` [data-testid=button][data-data="menu:complaint"]`)
	c.do("write again", chromedp.SendKeys(chromedp.CSS(citizenPane+` [data-testid=input]`), written[1]))
	c.click("send again", citizenPane+` [data-testid=send]`)
	if n := c.count(citizenPane + ` [data-testid=mine][data-state=pending]`); n != 2 {
		t.Fatalf("before the answer: %d texts pending; want 2", n)
	}
	close(hold)

	// The reloaded page: a new conversation, the text in its box.
	got := c.pollReload(`(() => {
		const box = !window.beforeReload && document.querySelector(` + jsString(citizenPane+` [data-testid=input]`) + `);
		return (box && box.value) || '';
	})()`)
	if want := strings.Join(written, "\n"); got != want {
		t.Errorf("box after the reload: got %q; want %q, the texts one a line, not the press", got, want)
	}
	// The toast goes after a few seconds; its text stays.
	notice := text.Text("ar", "web.unsent_back", nil)
	if got := get(c, "read the notice", chromedp.TextContent(chromedp.CSS(`[data-testid=toast]`))); got != notice {
		t.Errorf("notice: got %q; want %q", got, notice)
	}
	c.waitReady(citizenPane)
	if n := pages.Load(); n != 2 {
		t.Errorf("the page was loaded %d times; want twice", n)
	}
	if n := c.count(citizenPane + ` [data-testid=mine]`); n != 0 {
		t.Errorf("the new conversation shows %d messages of the citizen; want none", n)
	}
	c.waitBubble(citizenPane, 0, want{data: []string{"menu:complaint"}}) // greeted anew
	c.settle()
	saveScreenshot(t, c, "unsent-back-ar.png")

	// Sent from the box, it is taken in the new conversation, and the box
	// stays empty after.
	c.click("send", citizenPane+` [data-testid=send]`)
	c.do("wait for it to be sent", chromedp.WaitReady(chromedp.CSS(citizenPane+` [data-testid=mine][data-state=sent]`)))
	if got := get(c, "read the box", chromedp.Value(chromedp.CSS(citizenPane+` [data-testid=input]`))); got != "" {
		t.Errorf("box after sending: got %q; want it empty", got)
	}
	c.do("leave the page, ending its stream", chromedp.Navigate("about:blank"))
	front.CloseClientConnections()
	front.Close()
	tr.CloseIdleConnections()
	finish()
}

// pollReload evaluates expr in tab c every 100ms, through reloads of the
// page (which end an evaluation), until it gives a string other than "",
// and returns it.
func (c *tab) pollReload(expr string) string {
	c.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		cancel()
		if err == nil && v != "" {
			return v
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: waiting for %s: got %q, %v", c.name, expr, v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
