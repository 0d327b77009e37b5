package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shakwa/shakwa/locales"
)

// TestBrowserStaffSignInEndKeepsText: the web staff panel of serve
// without Telegram, signed in as staff member 111, holds a citizen's
// ticket. Two replies to the ticket's message are on their way, and a
// third is in the box, when `shakwa staff-link -revoke 111` ends the
// sign-in; the group's pane has a draft of its own. The panel opens again
// asking to sign in, and once 111 signs in again in the same tab with a
// new link, the three replies are back in the private chat's box, one a
// line, answering the same message, with a word that says so, and the
// group's draft in the group's box; sent from there, they go as one reply
// to that message and nothing of them is kept. Another staff member
// signing in on the tab after finds nothing of 111's, not even the
// group's draft. A proxy in front of serve holds the sends until the
// revocation is made. Screenshots: staff-unsent-back-ar.png,
// staff-unsent-back-phone-ar.png.
func TestBrowserStaffSignInEndKeepsText(t *testing.T) {
	chromium := chromiumPath(t)
	addr, link, redisURL, stop := startWebOnly(t)
	base := "http://" + addr
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		holding bool
		hold    = make(chan struct{}) // the sends held wait for it
		sends   []map[string]string   // the texts the panel sent, as it sent them
	)
	proxy := httputil.NewSingleHostReverseProxy(target)
	tr := &http.Transport{}
	proxy.Transport = tr
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chat/api/send" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var msg map[string]string
			_ = json.Unmarshal(body, &msg)
			mu.Lock()
			sends = append(sends, msg)
			held := holding
			mu.Unlock()
			if held {
				select {
				case <-hold:
				case <-r.Context().Done():
				}
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		front.CloseClientConnections() // the panel's live streams
		front.Close()
	})
	env := map[string]string{"WEB_CHAT_SECRET": webChatSecret, "REDIS_URL": redisURL}
	staffLink := func(args ...string) string {
		t.Helper()
		var out, diag bytes.Buffer
		if err := run(context.Background(), append([]string{"staff-link", "-config", testConfig}, args...),
			func(k string) string { return env[k] }, &out, &diag); err != nil {
			t.Fatalf("staff-link %s: %v\n%s", strings.Join(args, " "), err, diag.String())
		}
		return strings.TrimSuffix(out.String(), "\n")
	}
	text, err := locales.New(nil)
	if err != nil {
		t.Fatal(err)
	}

	citizen := openWebChat(t, base, tr)
	ticket := citizen.fileComplaint(picture(t, "png", color.RGBA{20, 120, 60, 255}))
	citizen.close()

	ctx, cancel := context.WithTimeout(context.Background(), browserDeadline)
	t.Cleanup(cancel) // after the cleanup below, which may take a screenshot
	browserCtx, closeBrowser := startBrowser(t, ctx, chromium)
	c := &tab{t: t, name: "staff", ctx: browserCtx}
	t.Cleanup(func() {
		if t.Failed() {
			saveScreenshot(t, c, "failed-staff-unsent.png")
		}
	})
	const (
		group   = `[data-testid=pane][data-chat="-1001"]`
		private = `[data-testid=pane][data-chat="111"]`
	)
	box := func(pane string) string {
		return get(c, "read the box of "+pane, chromedp.Value(chromedp.CSS(pane+` [data-testid=input]`)))
	}
	c.do("follow the sign-in link", chromedp.Navigate(front.URL+link))
	c.waitReady(group)
	c.waitReady(private)
	claim := "claim:" + ticket
	c.waitBubble(group, 0, want{text: []string{ticket}, data: []string{claim}})
	n := c.count(private + ` [data-testid=bubble]`)
	c.click("press "+claim, group+` [data-testid=button][data-data="`+claim+`"]`)
	c.waitBubble(private, n, want{text: []string{ticket}, data: []string{"close:" + ticket}})
	// reply clicks "reply" on the held ticket's message, and returns its
	// id and what the reply bar quotes.
	reply := func() (string, string) {
		t.Helper()
		id := get(c, "answer the ticket's message", chromedp.Evaluate[string](`(() => {
			const b = Array.from(document.querySelectorAll(`+jsString(private+` [data-testid=bubble]`)+`))
				.filter((b) => b.querySelector('[data-data="close:`+ticket+`"]')).pop();
			b.querySelector('[data-testid=reply]').click();
			return b.dataset.id;
		})()`))
		c.do("see what is answered", chromedp.WaitVisible(chromedp.CSS(private+` [data-testid=replying]`)))
		return id, get(c, "read the reply bar", chromedp.Text(chromedp.CSS(private+` [data-testid=replying-text]`)))
	}

	// Two replies on their way (the first held, the second queued behind
	// it), a third in the box, and the group's draft.
	mu.Lock()
	holding = true
	mu.Unlock()
	written := []string{"راجعنا طلبك يا سيدي", "وسنتصل بك غداً صباحاً", "شكراً لصبرك"}
	get(c, "mark the page, to tell the reloaded one from it", chromedp.Evaluate[bool](`window.beforeReload = true`))
	answered, quote := reply()
	c.do("write", chromedp.SendKeys(chromedp.CSS(private+` [data-testid=input]`), written[0]))
	c.click("send", private+` [data-testid=send]`)
	reply()
	c.do("write again", chromedp.SendKeys(chromedp.CSS(private+` [data-testid=input]`), written[1]))
	c.click("send again", private+` [data-testid=send]`)
	reply()
	c.do("write a third", chromedp.SendKeys(chromedp.CSS(private+` [data-testid=input]`), written[2]))
	groupDraft := "ملاحظة للزملاء"
	c.do("write in the group", chromedp.SendKeys(chromedp.CSS(group+` [data-testid=input]`), groupDraft))
	if n := c.count(private + ` [data-testid=mine][data-state=pending]`); n != 2 {
		t.Fatalf("before the revocation: %d replies pending; want 2", n)
	}

	staffLink("-revoke", "111")
	close(hold)
	needed := text.Text("ar", "web.sign_in_needed", nil)
	got := c.pollReload(`(() => {
		if (window.beforeReload || document.readyState !== 'complete' || document.body.dataset.mode === 'staff') return '';
		const p = document.querySelector('p');
		return p ? p.textContent : '';
	})()`)
	if got != needed {
		t.Fatalf("the panel after the revocation: %q; want %q", got, needed)
	}

	time.Sleep(2 * time.Millisecond) // the new link made after the revocation's millisecond
	c.do("sign in again in the same tab", chromedp.Navigate(front.URL+staffLink("111")))
	c.waitReady(group)
	c.waitReady(private)
	if got, want := box(private), strings.Join(written, "\n"); got != want {
		t.Errorf("the private chat's box, signed in again: got %q; want %q, the replies one a line", got, want)
	}
	if got := box(group); got != groupDraft {
		t.Errorf("the group's box, signed in again: got %q; want its draft %q", got, groupDraft)
	}
	if get(c, "see the reply bar", chromedp.Evaluate[bool](`document.querySelector(`+jsString(private+` [data-testid=replying]`)+`).hidden`)) {
		t.Errorf("the reply bar is hidden; want it to show the ticket's message, which the replies answered")
	} else if got := get(c, "read the reply bar", chromedp.Text(chromedp.CSS(private+` [data-testid=replying-text]`))); got != quote {
		t.Errorf("the reply bar: got %q; want %q", got, quote)
	}
	notice := text.Text("ar", "web.unsent_back_staff", nil)
	if got := get(c, "read the notice", chromedp.TextContent(chromedp.CSS(`[data-testid=toast]`))); got != notice {
		t.Errorf("notice: got %q; want %q", got, notice)
	}
	if n := c.count(private + ` [data-testid=mine]`); n != 0 {
		t.Errorf("the private chat shows %d replies of the staff member; want none, the replies being in the box", n)
	}
	c.settle()
	saveScreenshot(t, c, "staff-unsent-back-ar.png")
	c.do("size as a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	c.do("show the private chat's box", chromedp.ScrollIntoView(chromedp.CSS(private+` [data-testid=composer]`)))
	c.settle()
	saveScreenshot(t, c, "staff-unsent-back-phone-ar.png")
	c.do("size as a desktop again", chromedp.ResetViewport())

	// Sent from the box, the replies go as one, answering the ticket's
	// message, and nothing of them is kept.
	mu.Lock()
	before := len(sends)
	mu.Unlock()
	c.click("send the box", private+` [data-testid=send]`)
	c.do("wait for it to be sent", chromedp.WaitReady(chromedp.CSS(private+` [data-testid=mine][data-state=sent]`)))
	mu.Lock()
	after := sends[before:]
	mu.Unlock()
	if len(after) != 1 || after[0]["text"] != strings.Join(written, "\n") || after[0]["reply_to"] != answered || after[0]["as"] != "111" {
		t.Errorf("sent from the box: %q; want one text of the three replies, as 111, answering %q", after, answered)
	}
	if got := box(private); got != "" {
		t.Errorf("the private chat's box after sending: got %q; want it empty", got)
	}
	kept := `Object.keys(sessionStorage).filter((k) => k.startsWith(%s) && sessionStorage.getItem(k)).sort()`
	if got := get(c, "read what the tab keeps", chromedp.Evaluate[[]string](strings.Replace(kept, "%s", jsString("shakwa:staff:"), 1))); len(got) != 1 || got[0] != "shakwa:staff:111:draft:-1001" {
		t.Errorf("kept after sending: %q; want the group's draft alone", got)
	}

	// Someone else signs in on the same tab: nothing of 111's shows, or
	// stays.
	c.do("sign in as 112 in the same tab", chromedp.Navigate(front.URL+staffLink("112")))
	other := `[data-testid=pane][data-chat="112"]`
	c.waitReady(group)
	c.waitReady(other)
	if got := box(group); got != "" {
		t.Errorf("112's group box: got %q; want it empty", got)
	}
	if got := box(other); got != "" {
		t.Errorf("112's private box: got %q; want it empty", got)
	}
	if got := get(c, "read the notice", chromedp.TextContent(chromedp.CSS(`[data-testid=toast]`))); got == notice {
		t.Errorf("112's panel says %q; want nothing put back", got)
	}
	if got := get(c, "read what the tab keeps", chromedp.Evaluate[[]string](strings.Replace(kept, "%s", jsString("shakwa:staff:111:"), 1))); len(got) != 0 {
		t.Errorf("kept of 111's once 112 signed in: %q; want nothing", got)
	}

	c.do("leave the page, ending its streams", chromedp.Navigate("about:blank"))
	front.CloseClientConnections()
	front.Close()
	tr.CloseIdleConnections()
	closeBrowser()
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}
