package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/storage"
)

// TestBrowserOtherTabNotTaken: a citizen has the chat open in two tabs,
// and the bot cannot take a message one of them sends. The other tab,
// which showed it as sent (✓) when its echo came, shows it as not sent;
// once the sending tab's retry is taken, both show it sent, once. The
// channel runs alone, with a Deliver the test holds and fails.
// Screenshot: other-tab-unsent-ar.png.
func TestBrowserOtherTabNotTaken(t *testing.T) {
	chromium := chromiumPath(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), browserDeadline)
	t.Cleanup(cancel)
	store, stopStore, err := storage.OpenMemory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := files.Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(shakwa.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	text, err := locales.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	const written = "الموظف لم يرد على سؤالي"
	var (
		refuse  atomic.Bool
		release = make(chan struct{}) // the first refusal waits for it
	)
	deliver := func(ctx context.Context, m *bot.Message) error {
		if !refuse.Load() || strings.HasSuffix(m.ID, ":start") {
			return nil
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return errors.New("the bot is away")
	}
	logs := newLogSink()
	wc, err := newWeb(env{}, cfg, text, store, fs, deliver, slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/chat", wc.Handler())
	mux.Handle("/chat/", wc.Handler())
	srv := httptest.NewServer(mux)
	stop := sync.OnceFunc(func() {
		wc.Close()
		srv.Close()
		store.Close()
		stopStore()
	})
	t.Cleanup(stop)

	browserCtx, closeBrowser := startBrowser(t, ctx, chromium)
	sending := &tab{t: t, name: "sending", ctx: browserCtx}
	sending.do("open the chat", chromedp.Navigate(srv.URL+"/chat"))
	sending.waitReady(citizenPane)
	// A second tab of the same browser: the same cookie, the same chat.
	otherCtx, closeOther := chromedp.NewContext(browserCtx)
	t.Cleanup(closeOther)
	if err := chromedp.Do(otherCtx); err != nil {
		t.Fatalf("open the other tab: %v", err)
	}
	other := &tab{t: t, name: "other", ctx: otherCtx}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", logs)
			saveScreenshot(t, sending, "failed-sending.png")
			saveScreenshot(t, other, "failed-other.png")
		}
	})
	other.do("open the chat", chromedp.Navigate(srv.URL+"/chat"))
	other.waitReady(citizenPane)

	refuse.Store(true)
	sending.do("write", chromedp.SendKeys(chromedp.CSS(citizenPane+` [data-testid=input]`), written))
	sending.click("send", citizenPane+` [data-testid=send]`)
	mine := citizenPane + ` [data-testid=mine]`
	// While the bot is being handed it, its echo shows it sent elsewhere.
	other.do("wait for the echo", chromedp.WaitReady(chromedp.CSS(mine+`[data-state=sent]`)))
	close(release)
	other.do("wait for it to show as not sent", chromedp.WaitReady(chromedp.CSS(mine+`[data-state=unsent]`)))
	shown := get(other, "read the message", chromedp.Text(chromedp.CSS(mine)))
	if notSent := text.Text("ar", "web.not_sent", nil); !strings.Contains(shown, notSent) || strings.Contains(shown, "✓") ||
		!strings.Contains(shown, written) {
		t.Errorf("other tab: got %q; want the text, %q, no ✓", shown, notSent)
	}
	if n := other.count(mine + ` [data-testid=retry]`); n != 0 {
		t.Errorf("other tab: %d retry buttons; want none (the sending tab retries)", n)
	}
	sending.do("wait for it to fail", chromedp.WaitReady(chromedp.CSS(mine+`[data-state=failed]`)))
	other.settle()
	saveScreenshot(t, other, "other-tab-unsent-ar.png")

	refuse.Store(false) // the sending tab's next retry is taken
	sending.do("wait for its retry to be sent", chromedp.WaitReady(chromedp.CSS(mine+`[data-state=sent]`)))
	other.do("wait for it to show as sent again", chromedp.WaitReady(chromedp.CSS(mine+`[data-state=sent]`)))
	for _, c := range []*tab{sending, other} {
		if n := c.count(mine); n != 1 {
			t.Errorf("%s: %d messages of the citizen; want one", c.name, n)
		}
	}
	closeOther()
	closeBrowser()
	stop()
	checkGoroutines(t, before)
	for _, line := range logs.lines() {
		if strings.Contains(line, written) {
			t.Errorf("log line shows the citizen's text: %s", line)
		}
	}
}
