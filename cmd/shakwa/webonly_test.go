package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"html"
	"image/color"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// webOnlyDB is the Redis database of TestWebOnly.
const webOnlyDB = 6

// TestWebOnly runs serve with the web chat and no Telegram token: a
// citizen files a complaint on /chat, and the staff member, signed in to
// the web panel with a link from `shakwa staff-link`, sees its card in
// the centre's group there. Without the link the panel and the group's
// stream are refused, and a link for someone else, or a bad one, signs
// nobody in.
func TestWebOnly(t *testing.T) {
	addr, link, _, stop := startWebOnly(t)
	base := "http://" + addr
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()

	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Transport: transport, Jar: jar, Timeout: waitFor}
	stranger := &http.Client{Transport: transport, Timeout: waitFor}
	get := func(c *http.Client, path string) int {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(stranger, "/chat/staff"); got != http.StatusForbidden {
		t.Errorf("the staff panel without signing in: %d; want 403", got)
	}
	if got := get(stranger, "/chat/staff?key=v1.111.9999999999.forged"); got != http.StatusForbidden {
		t.Errorf("a forged link: %d; want 403", got)
	}
	if got := get(staff, link); got != http.StatusOK {
		t.Fatalf("the link: %d; want the panel", got)
	}
	if got := get(stranger, "/chat/api/events?as=111&chat=-1001"); got != http.StatusForbidden && got != http.StatusUnauthorized {
		t.Errorf("the group's stream without signing in: %d; want it refused", got)
	}
	if got := get(staff, "/chat/api/events?as=112&chat=-1001"); got != http.StatusForbidden {
		t.Errorf("the group's stream as someone else: %d; want 403", got)
	}

	c := openWebChat(t, base, transport)
	ticket := c.fileComplaint(picture(t, "png", color.RGBA{20, 120, 60, 255}))
	c.close()

	// The card reaches the group's web pane, read as Fatima.
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/chat/api/events?as=111&chat=-1001", nil)
	resp, err := (&http.Client{Transport: transport, Jar: jar}).Do(req)
	if err != nil {
		t.Fatalf("the group's stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the group's stream signed in: %d; want 200", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	found := false
	for !found && sc.Scan() {
		found = strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), "claim:"+ticket)
	}
	if !found {
		t.Errorf("no card with a claim button for %s in the group's web pane", ticket)
	}
	cancel()
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}

// startWebOnly runs serve with the web chat and no Telegram token, and
// returns its address, a sign-in link for staff member 111 made by
// `shakwa staff-link`, its REDIS_URL and a func that stops it.
func startWebOnly(t *testing.T) (addr, link, redisURL string, stop func() error) {
	t.Helper()
	env := map[string]string{
		"WEB_CHAT_SECRET": webChatSecret, "REDIS_URL": testRedis(t, webOnlyDB),
		"HTTP_ADDR": "127.0.0.1:0", "FILES_DIR": t.TempDir(),
	}
	addr, _, stop = startProgram(t, env)
	var out, diag bytes.Buffer
	if err := run(context.Background(), []string{"staff-link", "-config", testConfig, "111"},
		func(k string) string { return env[k] }, &out, &diag); err != nil {
		t.Fatalf("staff-link: %v", err)
	}
	// The link alone on stdout, as LINK=$(shakwa staff-link ...) takes it.
	link = strings.TrimSuffix(out.String(), "\n")
	if !strings.HasPrefix(link, "/chat/staff?key=") || strings.Contains(link, "\n") || !strings.Contains(diag.String(), "person 111") {
		t.Fatalf("staff-link printed %q on stdout and %q on stderr; want the /chat/staff?key= link alone on stdout", out.String(), diag.String())
	}
	return addr, link, env["REDIS_URL"], stop
}

// TestBrowserStaffLink follows a staff sign-in link from another site, as
// from a mail or an intranet page: the panel opens signed in at once. (A
// Strict cookie set by the link is not sent on the redirect that follows
// it, so the panel said "sign in first" until the page was reloaded.)
// The site is on localhost and the bot on 127.0.0.1: two sites.
func TestBrowserStaffLink(t *testing.T) {
	chromium := chromiumPath(t)
	addr, link, _, stop := startWebOnly(t)
	link = "http://" + addr + link
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="ar" dir="rtl"><meta charset="utf-8"><a id="go" href="%s">لوحة الموظفين</a></html>`,
			html.EscapeString(link))
	}))
	defer site.Close()
	ctx, cancel := context.WithTimeout(context.Background(), browserDeadline)
	defer cancel()
	browserCtx, closeBrowser := startBrowser(t, ctx, chromium)
	c := &tab{t: t, name: "staff", ctx: browserCtx}
	c.do("open the intranet page", chromedp.Navigate(strings.Replace(site.URL, "127.0.0.1", "localhost", 1)))
	c.click("follow the sign-in link", `#go`)
	// The page navigates twice (the link, then its redirect): ask again
	// until it has settled on the panel or a refusal.
	got := ""
	for deadline := time.Now().Add(stepTimeout); got == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, _ = chromedp.Run(c.ctx, chromedp.Evaluate[string](`(() => {
			if (location.host !== `+jsString(addr)+` || document.readyState !== 'complete') return '';
			if (document.body.dataset.mode === 'staff') {
				const who = document.querySelector('[data-testid=person-name]');
				return who && who.textContent ? 'panel' : '';
			}
			const p = document.querySelector('p');
			return p ? 'refused: ' + p.textContent : '';
		})()`))
	}
	if got != "panel" {
		t.Errorf("after the link from another site: %s; want the panel, signed in", got)
	}
	saveScreenshot(t, c, "staff-link-ar.png")
	closeBrowser()
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}

// TestStaffLinkRevoke: `shakwa staff-link -revoke 111` signs staff member
// 111 out of the running serve's panel, and their link no longer signs
// in; a link made after it does. -revoke takes no -hours, and revokes a
// person the configuration no longer lists, saying so.
func TestStaffLinkRevoke(t *testing.T) {
	addr, link, redisURL, stop := startWebOnly(t)
	base := "http://" + addr
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Transport: transport, Jar: jar, Timeout: waitFor}
	get := func(path string) int {
		t.Helper()
		resp, err := staff.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	env := map[string]string{"WEB_CHAT_SECRET": webChatSecret, "REDIS_URL": redisURL}
	command := func(args ...string) (string, string, error) {
		var out, diag bytes.Buffer
		err := run(context.Background(), append([]string{"staff-link", "-config", testConfig}, args...),
			func(k string) string { return env[k] }, &out, &diag)
		return out.String(), diag.String(), err
	}
	if got := get(link); got != http.StatusOK {
		t.Fatalf("the link: %d; want the panel", got)
	}
	if got := get("/chat/api/demo/people"); got != http.StatusOK {
		t.Fatalf("the panel's people, signed in: %d; want 200", got)
	}

	out, diag, err := command("-revoke", "111")
	if err != nil || !strings.HasPrefix(out, "person 111: ") || strings.Count(out, "\n") != 1 || diag != "" {
		t.Fatalf("staff-link -revoke 111: %v, %q on stdout, %q on stderr; want one line on stdout", err, out, diag)
	}
	if got := get("/chat/api/demo/people"); got != http.StatusNotFound {
		t.Errorf("the panel's people after the revocation: %d; want 404", got)
	}
	store, err := adminStore(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	audit, err := store.AuditLog(context.Background(), 10)
	store.Close()
	if n := len(audit); err != nil || n == 0 || audit[n-1].Kind != "signins_revoked" || audit[n-1].Who != "111" ||
		audit[n-1].By != "server" || audit[n-1].At.IsZero() {
		t.Errorf("audit log %+v, %v; want the revocation of 111's sign-ins, by the server", audit, err)
	}
	if got := get("/chat/staff"); got != http.StatusForbidden {
		t.Errorf("the panel after the revocation: %d; want 403", got)
	}
	if got := get(link); got != http.StatusForbidden {
		t.Errorf("the revoked link: %d; want 403", got)
	}

	time.Sleep(2 * time.Millisecond) // the new link made after the revocation's millisecond
	out, _, err = command("111")
	if err != nil {
		t.Fatalf("staff-link after the revocation: %v", err)
	}
	if got := get(strings.TrimSuffix(out, "\n")); got != http.StatusOK {
		t.Errorf("a link made after the revocation: %d; want the panel", got)
	}
	if got := get("/chat/api/demo/people"); got != http.StatusOK {
		t.Errorf("the panel's people, signed in again: %d; want 200", got)
	}

	if _, _, err := command("-revoke", "-hours", "3", "111"); err == nil || !strings.Contains(err.Error(), "-hours") {
		t.Errorf("-revoke with -hours: %v; want refused, naming -hours", err)
	}
	if _, _, err := command("-revoke", "abc"); err == nil {
		t.Error("-revoke abc: nil; want refused")
	}
	if out, diag, err := command("-revoke", "999"); err != nil || !strings.HasPrefix(out, "person 999: ") ||
		!strings.Contains(diag, "not in") {
		t.Errorf("-revoke of someone not configured: %v, %q, %q; want revoked, saying they are not in the file", err, out, diag)
	}
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
}
