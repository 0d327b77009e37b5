package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shakwa/shakwa/locales"
)

const (
	// browserDeadline bounds the whole browser test, so that a hang
	// cannot stall CI.
	browserDeadline = 2 * time.Minute
	// stepTimeout bounds each wait for the page. The machines that run it
	// may be small and shared, and the outbox paces its sends.
	stepTimeout = 30 * time.Second
	// envArtifacts names a directory for the screenshots; without it they
	// go to a temporary one.
	envArtifacts = "SHAKWA_ARTIFACTS"
)

// The example configuration (config.example.yaml), which the demo runs
// with.
const (
	exampleTicket  = "KRM-000001"
	krmStaffChat   = "-1001000000001"
	krmStaff       = "100000001" // أحمد الشامسي, staff of KRM
	krmStaffName   = "أحمد الشامسي"
	exampleManager = "100000007" // عبدالله المنصوري, a manager of every centre
)

// TestBrowser walks the complaint loop in headless Chromium against
// "shakwa demo": a citizen files a complaint in Arabic on /chat, a member
// of staff claims and closes it on /chat/staff, the citizen rates the
// resolution, and a manager reads /stats.
func TestBrowser(t *testing.T) {
	ct, st, base, finish := startDemoTabs(t, "citizen", "staff")

	text, err := locales.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	citizenFiles(t, ct, base)
	ticket := map[string]any{"Ticket": exampleTicket}
	staffCloses(t, st, base, text.Text("ar", "claim.ok", ticket))
	citizenRates(t, ct, text.Text("ar", "rating.thanks", ticket))
	saveScreenshot(t, ct, "citizen-ar.png")
	managerStats(t, st)
	finish()
}

// startDemoTabs starts "shakwa demo" (with args) and headless Chromium
// with two tabs of their own sessions, named first and second, and
// returns them, the demo's base URL and a func that closes the browser,
// stops the demo and checks its log and that nothing was left running. A
// failed test keeps both tabs' screenshots and the program's log.
func startDemoTabs(t *testing.T, first, second string, args ...string) (*tab, *tab, string, func()) {
	t.Helper()
	chromium := chromiumPath(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), browserDeadline)
	t.Cleanup(cancel) // after the cleanups below, which may take screenshots
	browserCtx, closeBrowser := startBrowser(t, ctx, chromium)
	base, stopDemo, logs := startDemo(t, ctx, args...)
	a := &tab{t: t, name: first, ctx: browserCtx}
	b, closeSecond := newTab(t, browserCtx, second)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("program log:\n%s", logs)
			saveScreenshot(t, a, "failed-"+first+".png")
			saveScreenshot(t, b, "failed-"+second+".png")
		}
	})
	return a, b, base, func() {
		t.Helper()
		closeSecond()
		closeBrowser()
		if err := stopDemo(); err != nil {
			t.Errorf("run: got %v; want nil", err)
		}
		checkDemoLog(t, logs)
		checkGoroutines(t, before)
	}
}

// citizenPane is the citizen's only conversation on /chat.
const citizenPane = `[data-testid=pane]`

// citizenFiles opens /chat and files a complaint by clicking and typing.
func citizenFiles(t *testing.T, c *tab, base string) {
	c.do("open the chat", chromedp.Navigate(base+"/chat"))
	attrs := get(c, "read <html>", chromedp.Attributes(chromedp.CSS("html")))
	if attrs["lang"] != "ar" || attrs["dir"] != "rtl" {
		t.Errorf("<html>: got lang=%q dir=%q; want lang=\"ar\" dir=\"rtl\"", attrs["lang"], attrs["dir"])
	}
	c.waitReady(citizenPane)
	c.waitBubble(citizenPane, 0, want{data: []string{"menu:complaint"}}) // greeted unasked
	c.press(citizenPane, "menu:complaint", want{data: []string{"centre:KRM"}})
	c.press(citizenPane, "centre:KRM", want{data: []string{"cat:waiting_time"}})
	c.press(citizenPane, "cat:waiting_time", want{data: []string{"cancel"}})
	c.write(citizenPane, description, want{data: []string{"skip"}})
	if c.count(citizenPane+` [data-testid=share-phone]`) == 0 {
		t.Errorf("contact question: got no share-phone button; want one")
	}
	c.press(citizenPane, "skip", want{text: []string{description, karama}, data: []string{"confirm"}})
	c.press(citizenPane, "confirm", want{text: []string{exampleTicket, karama}})
}

// staffCloses acts as staff of KRM on /chat/staff: claims the new ticket
// in the centre's group and closes it with a resolution in the private
// chat. claimed is the notice a claim shows.
func staffCloses(t *testing.T, s *tab, base, claimed string) {
	group := `[data-testid=pane][data-chat="` + krmStaffChat + `"]`
	private := `[data-testid=pane][data-chat="` + krmStaff + `"]`
	s.do("open the staff page", chromedp.Navigate(base+"/chat/staff"))
	s.click("choose "+krmStaff, `[data-testid=person][data-id="`+krmStaff+`"]`)
	if got := get(s, "read the heading", chromedp.Text(chromedp.CSS(`[data-testid=person-name]`))); !strings.Contains(got, krmStaffName) {
		t.Errorf("heading: got %q; want %q in it", got, krmStaffName)
	}
	s.waitReady(group)
	s.waitReady(private)
	claim := "claim:" + exampleTicket
	s.waitBubble(group, 0, want{text: []string{exampleTicket, description}, data: []string{claim}})
	n := s.count(private + ` [data-testid=bubble]`)
	s.click("press "+claim, group+` [data-testid=button][data-data="`+claim+`"]`)
	s.waitBubble(private, n, want{text: []string{exampleTicket, description}, data: []string{"close:" + exampleTicket}})
	s.do("wait for the card to lose its claim button",
		chromedp.WaitNotPresent(chromedp.CSS(group+` [data-testid=button][data-data="`+claim+`"]`)))
	get(s, "wait for the notice that the claim worked", chromedp.Poll[bool](
		`!document.querySelector('[data-testid=toast]').hidden && document.querySelector('[data-testid=toast]').textContent`+
			unmarked+` === `+jsString(claimed), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	s.press(private, "close:"+exampleTicket, want{text: []string{exampleTicket}, data: []string{"cancel"}})
	s.write(private, resolution, want{text: []string{exampleTicket}})
}

// citizenRates waits for the resolution on /chat, rates it 5 and wants
// thanks.
func citizenRates(t *testing.T, c *tab, thanks string) {
	rate := "rate:" + exampleTicket + ":5"
	c.waitBubble(citizenPane, 0, want{text: []string{exampleTicket, resolution}, data: []string{rate}})
	c.press(citizenPane, rate, want{text: []string{thanks}})
	if n := c.count(citizenPane + ` .failed`); n != 0 {
		t.Errorf("citizen page: got %d messages that failed to send; want none", n)
	}
}

// managerStats acts as the manager on /chat/staff and asks for /stats.
func managerStats(t *testing.T, s *tab) {
	private := `[data-testid=pane][data-chat="` + exampleManager + `"]`
	s.click("choose "+exampleManager, `[data-testid=person][data-id="`+exampleManager+`"]`)
	s.waitReady(private)
	// The demo's manager oversees five centres: the total inline, the
	// per-centre table as a document.
	s.write(private, "/stats", want{text: []string{"5.00"}})
	s.waitBubble(private, 0, want{text: []string{".xlsx"}})
	// The monthly report of this month, charts and all (the demo's ticket
	// is today's: last month's report would have none).
	s.write(private, "/report شهري الشهر", want{text: []string{"التقرير الشهري"}})
	s.waitBubble(private, 0, want{text: []string{"متوسط التقييم اليومي"}})
	s.scrollToEnd(private)
	saveScreenshot(t, s, "staff-report-ar.png")
}

// chromiumPath finds Chromium, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found: the browser test needs it (Debian: apt-get install chromium; scripts/test installs it when run as root)")
	return ""
}

// startBrowser starts headless Chromium at path and returns the context
// of its first tab, and a func that closes the browser and waits for it to
// exit (the test's cleanup calls it too). A browser that cannot start
// skips the test, but fails it on CI.
func startBrowser(t *testing.T, ctx context.Context, path string) (context.Context, func()) {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("accept-lang", "ar-AE,ar"), // an Arabic-speaking citizen
		// Both tabs stay live while the other is in front.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	closeBrowser := sync.OnceFunc(func() { cancelBrowser(); cancelAlloc() })
	t.Cleanup(closeBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts it
		closeBrowser()
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium at %s did not start: %v", path, err)
		}
		t.Skipf("chromium at %s did not start, so the browser test cannot run: %v", path, err)
	}
	return browserCtx, closeBrowser
}

// newTab opens a tab named name in a browser context of its own (its own
// cookies, so its own web chat session) next to the tab of browserCtx,
// and returns it and a func that closes it (the test's cleanup calls it
// too).
func newTab(t *testing.T, browserCtx context.Context, name string) (*tab, func()) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	closeTab := sync.OnceFunc(cancel)
	t.Cleanup(closeTab)
	// The first Run binds the tab to the context it is given: this one,
	// not the shorter one of a step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open the %s tab: %v", name, err)
	}
	return &tab{t: t, name: name, ctx: ctx}, closeTab
}

// startDemo runs "shakwa demo" on a free port with the built-in example
// configuration and the in-memory store, and returns its base URL and a
// func that stops it and returns run's error.
func startDemo(t *testing.T, ctx context.Context, args ...string) (string, func() error, *logSink) {
	t.Helper()
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug"}
	logs := newLogSink()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	args = append([]string{"demo"}, args...)
	go func() { done <- run(ctx, args, func(k string) string { return env[k] }, logs, logs) }()
	var stopped error
	stop := sync.OnceValue(func() error {
		cancel()
		select {
		case stopped = <-done:
		case <-time.After(20 * time.Second):
			t.Error("run did not return within 20s of cancel")
		}
		return stopped
	})
	t.Cleanup(func() { stop() })
	select {
	case addr := <-logs.listening:
		return "http://" + addr, stop, logs
	case err := <-done:
		t.Fatalf("run returned before listening: %v\n%s", err, logs)
	case <-time.After(stepTimeout):
		t.Fatalf("no \"listening\" log line:\n%s", logs)
	}
	return "", nil, nil
}

// checkDemoLog wants JSON log lines (and the demo's lines for the
// operator), no errors, and no complaint or resolution text.
func checkDemoLog(t *testing.T, logs *logSink) {
	t.Helper()
	for _, line := range logs.lines() {
		if strings.HasPrefix(line, "shakwa demo: ") {
			continue
		}
		var rec struct {
			Level string `json:"level"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if rec.Level == "ERROR" {
			t.Errorf("error logged: %s", line)
		}
		for _, secret := range []string{description, resolution} {
			if strings.Contains(line, secret) {
				t.Errorf("log line shows %q: %s", secret, line)
			}
		}
	}
}

// saveScreenshot writes what tab c shows to name in the artifacts
// directory.
func saveScreenshot(t *testing.T, c *tab, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("%s: screenshot: %v", c.name, err)
		return
	}
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("%s: %v", envArtifacts, err)
		return
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	t.Logf("%s: screenshot in %s", c.name, path)
}

// tab is one browser tab and what the test does in it. Its methods end
// the test when the page does not do what they wait for.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
}

// want describes a message from the bot: its text contains every text,
// and it has a button for every data.
type want struct {
	text []string
	data []string
}

// do runs actions, each wait bounded by stepTimeout.
func (c *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		c.t.Fatalf("%s: %s: %v", c.name, what, err)
	}
}

// get runs the action a in tab c and returns its value.
func get[T any](c *tab, what string, a chromedp.Action[T]) T {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		c.t.Fatalf("%s: %s: %v", c.name, what, err)
	}
	return v
}

// waitReady waits until pane has its backlog.
func (c *tab) waitReady(pane string) {
	c.t.Helper()
	c.do("wait for "+pane+" to be ready", chromedp.WaitReady(chromedp.CSS(pane+`[data-ready=true]`)))
}

// click clicks the first element that matches sel with the mouse.
func (c *tab) click(what, sel string) {
	c.t.Helper()
	c.do(what, chromedp.Click(chromedp.CSS(sel)))
}

// count returns how many elements match sel.
func (c *tab) count(sel string) int {
	c.t.Helper()
	return get(c, "count "+sel, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
}

// press clicks the button data in pane and waits for the bot's answer.
func (c *tab) press(pane, data string, w want) string {
	c.t.Helper()
	n := c.count(pane + ` [data-testid=bubble]`)
	c.click("press "+data, pane+` [data-testid=button][data-data="`+data+`"]`)
	return c.waitBubble(pane, n, w)
}

// write types text in pane, sends it with the send button and waits for
// the bot's answer.
func (c *tab) write(pane, text string, w want) string {
	c.t.Helper()
	n := c.count(pane + ` [data-testid=bubble]`)
	c.do("write "+text, chromedp.SendKeys(chromedp.CSS(pane+` [data-testid=input]`), text))
	c.click("send "+text, pane+` [data-testid=send]`)
	got := c.waitBubble(pane, n, w)
	mine := get(c, "read what was sent", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(`+
		jsString(pane+` [data-testid=mine]`)+`), (b) => (b.querySelector('.text') || b).textContent)`))
	if len(mine) == 0 || mine[len(mine)-1] != text {
		c.t.Errorf("%s: own messages in %s: got %q; want the last to be %q", c.name, pane, mine, text)
	}
	return got
}

// findBubble is a JavaScript function: the text of the first bot message
// in pane, from the after-th on, that has every text and a button for
// every data; "" when there is none yet. An empty list may arrive as
// undefined (chromedp leaves an empty array argument out).
const findBubble = `(pane, after, texts = [], data = []) => {
	const bubbles = document.querySelectorAll(pane + ' [data-testid=bubble]');
	for (let i = after; i < bubbles.length; i++) {
		const b = bubbles[i];
		const buttons = Array.from(b.querySelectorAll('[data-testid=button]'), (x) => x.dataset.data);
		// As read: without the invisible direction marks the bot sends.
		const text = b.textContent` + unmarked + `;
		if (texts.every((s) => text.includes(s)) && data.every((d) => buttons.includes(d))) {
			return text;
		}
	}
	return '';
}`

// waitBubble waits for a bot message in pane, from the after-th on, as w
// describes, and returns its text.
func (c *tab) waitBubble(pane string, after int, w want) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.PollFunction[string](findBubble,
		chromedp.WithPollingArgs(pane, after, w.text, w.data),
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	if err != nil {
		c.t.Fatalf("%s: waiting in %s for a message with text %q and buttons %q: %v\nthe pane shows:\n%s",
			c.name, pane, w.text, w.data, err, c.shows(pane))
	}
	return got
}

// scrollToEnd scrolls pane's messages to the last, and lets its pictures
// load.
func (c *tab) scrollToEnd(pane string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, stepTimeout)
	defer cancel()
	// Pictures that load as they come into view make the log taller: the
	// second scroll reaches the end they moved.
	for range 2 {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const l = document.querySelector(`+
			jsString(pane+` .log`)+`); if (l) l.scrollTop = l.scrollHeight; return true })()`)); err != nil {
			c.t.Errorf("%s: scroll %s: %v", c.name, pane, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// shows returns what pane shows, for failure messages.
func (c *tab) shows(pane string) string {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(`+
		jsString(pane+` .msg`)+`), (b) => b.className + ': ' + b.textContent + ' [chosen: ' +
		Array.from(b.querySelectorAll('.chosen'), (x) => x.dataset.data).join(' ') + ']')`))
	if err != nil {
		return err.Error()
	}
	return strings.Join(texts, "\n")
}

// unmarked is JavaScript to follow a string with: it removes the invisible
// direction marks the bot sends, leaving the text as read.
const unmarked = `.replace(/[\u200e\u200f\u061c\u2060\u2066-\u2069\u202a-\u202e]/g, '')`

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
