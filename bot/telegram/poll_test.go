package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

// run starts c.Run and returns a stop function that cancels it and
// returns Run's result, failing the test if Run does not return promptly.
func run(t *testing.T, c *Channel) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(2 * time.Second):
			t.Fatal("Run did not return after cancel")
			return nil
		}
	}
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// offsets returns the offset of every getUpdates call so far.
func offsets(f *telegramtest.Server) []string {
	var out []string
	for _, c := range f.Calls("getUpdates") {
		out = append(out, c.Fields["offset"])
	}
	return out
}

func TestPollDeliversInOrder(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	rec := &recorder{}
	c := newTestChannel(t, f, Config{}, rec.deliver)
	f.Push(
		msgUpdate(10, `"text":"أولاً"`),
		`{"update_id":11,"channel_post":{"message_id":5,"chat":{"id":-1009876,"title":"x","type":"channel"},"date":1767225600,"text":"x"}}`,
		msgUpdate(12, `"text":"ثانياً"`),
	)
	stop := run(t, c)
	eventually(t, "two deliveries", func() bool { return len(rec.ids()) == 2 })
	f.Push(msgUpdate(13, `"text":"ثالثاً"`))
	eventually(t, "the third delivery", func() bool { return len(rec.ids()) == 3 })
	eventually(t, "a poll past 13", func() bool { return slices.Contains(offsets(f), "14") })
	if err := stop(); err != nil {
		t.Errorf("Run: got %v; want nil", err)
	}
	if got, want := strings.Join(rec.ids(), ","), "tg:10,tg:12,tg:13"; got != want {
		t.Errorf("delivered: got %s; want %s", got, want)
	}
	if got := rec.got[0].Text; got != "أولاً" {
		t.Errorf("first text: got %q; want %q", got, "أولاً")
	}
	calls := f.Calls("deleteWebhook", "getUpdates")
	if len(calls) == 0 || calls[0].Method != "deleteWebhook" {
		t.Errorf("got first call %v; want deleteWebhook", calls)
	}
	got := offsets(f)
	if got[0] != "0" || got[1] != "13" {
		t.Errorf("offsets: got %v; want 0, 13, ...", got)
	}
	if gu := f.Calls("getUpdates")[0].Fields; gu["timeout"] != "1" || canonical(gu["allowed_updates"]) != `["message","edited_message","callback_query"]` {
		t.Errorf("getUpdates fields: got %v; want timeout 1 and allowed_updates message, edited_message, callback_query", gu)
	}
}

func TestPollRedeliversAfterFailure(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	fails := 1
	var delivered []string
	deliver := func(_ context.Context, m *bot.Message) error {
		delivered = append(delivered, m.ID) // one caller at a time when polling
		if m.ID == "tg:21" && fails > 0 {
			fails--
			return errors.New("store down")
		}
		return nil
	}
	done := make(chan struct{})
	c := newTestChannel(t, f, Config{}, func(ctx context.Context, m *bot.Message) error {
		err := deliver(ctx, m)
		if m.ID == "tg:22" {
			close(done)
		}
		return err
	})
	f.Push(msgUpdate(20, `"text":"a"`), msgUpdate(21, `"text":"b"`), msgUpdate(22, `"text":"c"`))
	stop := run(t, c)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("timed out waiting for tg:22")
	}
	if err := stop(); err != nil {
		t.Errorf("Run: got %v; want nil", err)
	}
	if got, want := strings.Join(delivered, ","), "tg:20,tg:21,tg:21,tg:22"; got != want {
		t.Errorf("delivered: got %s; want %s", got, want)
	}
	if got := offsets(f); len(got) < 2 || got[0] != "0" || got[1] != "21" {
		t.Errorf("offsets: got %v; want 0 then 21 (the failed update asked for again)", got)
	}
}

func TestPollSkipsRedeliveredUpdates(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	rec := &recorder{}
	c := newTestChannel(t, f, Config{}, rec.deliver)
	// A batch that repeats an update below the offset already reached.
	f.Answer("getUpdates", 200, `{"ok":true,"result":[`+msgUpdate(30, `"text":"a"`)+`]}`)
	f.Answer("getUpdates", 200, `{"ok":true,"result":[`+msgUpdate(30, `"text":"a"`)+`,`+msgUpdate(31, `"text":"b"`)+`]}`)
	stop := run(t, c)
	eventually(t, "tg:31", func() bool { return len(rec.ids()) >= 2 })
	stop()
	if got, want := strings.Join(rec.ids(), ","), "tg:30,tg:31"; got != want {
		t.Errorf("delivered: got %s; want %s", got, want)
	}
}

func TestPollRetriesAfterAPIErrors(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	rec := &recorder{}
	c := newTestChannel(t, f, Config{}, rec.deliver)
	f.Answer("deleteWebhook", 500, telegramtest.AnswerInternalError)
	f.Answer("getUpdates", 409, `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}`)
	f.Answer("getUpdates", 502, "<html>502 Bad Gateway</html>")
	f.Push(msgUpdate(40, `"text":"a"`))
	stop := run(t, c)
	eventually(t, "tg:40", func() bool { return len(rec.ids()) == 1 })
	if err := stop(); err != nil {
		t.Errorf("Run: got %v; want nil", err)
	}
	if got := len(f.Calls("deleteWebhook")); got != 2 {
		t.Errorf("deleteWebhook calls: got %d; want 2", got)
	}
}

// TestPollBadToken: getUpdates refusing the token (revoked: 401; naming
// no bot: 404) does not end Run. The channel is degraded, said once in
// the log however often it is refused, and polling goes on; the first
// answer Telegram gives again clears it, and the updates it brings are
// handled.
func TestPollBadToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		answer string
	}{
		{"revoked", 401, telegramtest.AnswerUnauthorized},
		{"no such bot", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := telegramtest.NewServer(t, testToken)
			logs := &logBuffer{}
			rec := &recorder{}
			// The long poll waits for an update far longer than the test
			// takes: while it waits, the refusals are behind the poller
			// and no answer has cleared them yet.
			c := newTestChannel(t, f, Config{PollTimeout: 20 * time.Second, Logger: slog.New(slog.NewJSONHandler(logs, nil))}, rec.deliver)
			c.tokenRetry = 10 * time.Millisecond
			f.Answer("getUpdates", tc.status, tc.answer)
			f.Answer("getUpdates", tc.status, tc.answer)
			stop := run(t, c)
			eventually(t, "a poll after two refusals", func() bool { return len(f.Calls("getUpdates")) == 3 })
			d := c.Degraded()
			if d == nil || !strings.Contains(d.Error(), strconv.Itoa(tc.status)) {
				t.Errorf("Degraded after refusals: got %v; want why, with %d", d, tc.status)
			}
			if d != nil && strings.Contains(d.Error(), testToken) {
				t.Errorf("Degraded: got %q; want no token in it", d)
			}
			if got := len(logs.lines(t, "ERROR")); got != 1 {
				t.Errorf("ERROR lines after two refusals: got %d; want 1\n%s", got, logs)
			}
			if got := len(logs.lines(t, "INFO")); got != 0 {
				t.Errorf("INFO lines while refused: got %d; want 0\n%s", got, logs)
			}

			f.Push(msgUpdate(50, `"text":"a"`))
			eventually(t, "tg:50", func() bool { return len(rec.ids()) == 1 })
			if d := c.Degraded(); d != nil {
				t.Errorf("Degraded after getUpdates answered: got %v; want nil", d)
			}
			if err := stop(); err != nil {
				t.Errorf("Run: got %v; want nil", err)
			}
			if got := len(logs.lines(t, "ERROR")); got != 1 {
				t.Errorf("ERROR lines: got %d; want 1\n%s", got, logs)
			}
			var taken int
			for _, l := range logs.lines(t, "INFO") {
				if l["msg"] == "telegram bot token accepted again" {
					taken++
				}
			}
			if taken != 1 {
				t.Errorf("INFO lines saying the token is taken: got %d; want 1\n%s", taken, logs)
			}
			if strings.Contains(logs.String(), testToken) {
				t.Errorf("log: got the token in it\n%s", logs)
			}
		})
	}
}

func TestPollNetworkErrorHidesToken(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	c := newTestChannel(t, f, Config{}, nil)
	f.Close()
	_, err := c.getUpdates(context.Background(), 0)
	var re *bot.RetryError
	if !errors.As(err, &re) {
		t.Fatalf("got %v; want a RetryError", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("got %q; want no token in it", err)
	}
}

func TestPollStopsOnCancel(t *testing.T) {
	transport := &http.Transport{}
	f := telegramtest.NewServer(t, testToken)
	before := runtime.NumGoroutine()
	c := newTestChannel(t, f, Config{PollTimeout: 20 * time.Second, HTTPClient: &http.Client{Transport: transport}}, nil)
	stop := run(t, c)
	eventually(t, "a long poll", func() bool { return len(f.Calls("getUpdates")) == 1 })
	start := time.Now()
	if err := stop(); err != nil {
		t.Errorf("Run: got %v; want nil", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run took %v to stop; want well under the 20s poll", d)
	}
	transport.CloseIdleConnections()
	checkNoLeak(t, before)
}

// checkNoLeak waits for the goroutine count to fall back to before.
func checkNoLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutines: got %d; want at most %d\n%s", runtime.NumGoroutine(), before, buf)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunWebhookMode(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	c := newTestChannel(t, f, Config{WebhookURL: "https://shakwa.example/telegram", WebhookSecret: testSecret}, nil)
	stop := run(t, c)
	eventually(t, "setWebhook", func() bool { return len(f.Calls("setWebhook")) == 1 })
	if err := stop(); err != nil {
		t.Errorf("Run: got %v; want nil", err)
	}
	checkCalls(t, f.Calls(), []apiCall{{"setWebhook", map[string]string{
		"url":             "https://shakwa.example/telegram",
		"secret_token":    testSecret,
		"allowed_updates": `["message","edited_message","callback_query"]`,
	}}})
}

func TestRunWebhookRefused(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	c := newTestChannel(t, f, Config{WebhookURL: "https://shakwa.example/telegram", WebhookSecret: testSecret}, nil)
	f.Answer("setWebhook", 400, `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: Failed to resolve host: Name or service not known"}`)
	if err := c.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "bad webhook") {
		t.Errorf("Run: got %v; want the bad webhook error", err)
	}
}

func TestNew(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	deliver := func(context.Context, *bot.Message) error { return nil }
	tests := []struct {
		name    string
		cfg     Config
		deliver Deliver
		wantErr string
	}{
		{"ok", Config{Token: testToken, APIURL: f.URL()}, deliver, ""},
		{"ok webhook", Config{Token: testToken, APIURL: f.URL() + "/", WebhookURL: "https://x.example/tg", WebhookSecret: "a-B_9"}, deliver, ""},
		{"no token", Config{APIURL: f.URL()}, deliver, "empty token"},
		{"wrong token", Config{Token: "1:wrong", APIURL: f.URL()}, deliver, "getMe"},
		{"no deliver", Config{Token: testToken, APIURL: f.URL()}, nil, "nil deliver"},
		{"bad api url", Config{Token: testToken, APIURL: "api.telegram.org"}, deliver, "api url"},
		{"webhook without secret", Config{Token: testToken, APIURL: f.URL(), WebhookURL: "https://x.example/tg"}, deliver, "secret"},
		{"plain http webhook", Config{Token: testToken, APIURL: f.URL(), WebhookURL: "http://x.example/tg", WebhookSecret: "abc"}, deliver, "https"},
		{"secret with bad characters", Config{Token: testToken, APIURL: f.URL(), WebhookURL: "https://x.example/tg", WebhookSecret: "a b"}, deliver, "secret"},
		{"secret too long", Config{Token: testToken, APIURL: f.URL(), WebhookURL: "https://x.example/tg", WebhookSecret: strings.Repeat("a", 257)}, deliver, "secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Logger = slog.New(slog.DiscardHandler)
			c, err := New(tc.cfg, tc.deliver)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v; want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v; want an error mentioning %q", err, tc.wantErr)
			case err != nil && strings.Contains(err.Error(), "wrong"):
				t.Errorf("got %q; want no token in it", err)
			}
			if err == nil && (c.Name() != "telegram" || c.username != "ShakwaBot") {
				t.Errorf("got name %q, username %q; want telegram, ShakwaBot", c.Name(), c.username)
			}
		})
	}
}

func ExampleChannel_WebhookHandler() {
	deliver := func(ctx context.Context, m *bot.Message) error {
		return nil // hand m to intake; return nil once it is stored
	}
	c, err := New(Config{
		Token:         "123:token-from-env",
		WebhookURL:    "https://shakwa.example/telegram",
		WebhookSecret: "secret-from-env",
	}, deliver)
	if err != nil {
		fmt.Println(err)
		return
	}
	http.Handle("POST /telegram", c.WebhookHandler())
	// go c.Run(ctx) registers the webhook and waits for ctx.
}

// renumberingAPI is a Bot API server whose queue of updates behaves as
// Telegram's: an offset within the queue (up to one past its tail)
// confirms what is below it; any other offset is answered from the
// queue's head, confirming nothing. After a week with no updates Telegram
// numbers the next ones at random, so the poller's offset may be far past
// them. An empty queue is answered at once, without the long poll's wait:
// the worst case for a poller that re-polls in a loop.
type renumberingAPI struct {
	mu      sync.Mutex
	queue   []string // updates, JSON, ids ascending
	ids     []int64
	next    int64 // the id the next update gets
	onEmpty func(a *renumberingAPI)
	polls   int
	offsets []int64
}

func (a *renumberingAPI) add(id int64, text string) {
	a.queue = append(a.queue, msgUpdate(int(id), `"text":"`+text+`"`))
	a.ids = append(a.ids, id)
	a.next = id + 1
}

func (a *renumberingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch path.Base(r.URL.Path) {
	case "getMe":
		io.WriteString(w, `{"ok":true,"result":`+telegramtest.BotUser+`}`)
	case "deleteWebhook":
		io.WriteString(w, `{"ok":true,"result":true}`)
	case "getUpdates":
		var p struct{ Offset int64 }
		json.NewDecoder(r.Body).Decode(&p)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.polls++
		a.offsets = append(a.offsets, p.Offset)
		head := a.next
		if len(a.ids) > 0 {
			head = a.ids[0]
		}
		if p.Offset >= head && p.Offset <= a.next {
			for len(a.ids) > 0 && a.ids[0] < p.Offset {
				a.ids, a.queue = a.ids[1:], a.queue[1:]
			}
			if len(a.ids) == 0 && a.onEmpty != nil {
				a.onEmpty(a)
				a.onEmpty = nil
			}
		}
		io.WriteString(w, `{"ok":true,"result":[`+strings.Join(a.queue, ",")+`]}`)
	default:
		http.NotFound(w, r)
	}
}

func (a *renumberingAPI) counts() (int, []int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.polls, slices.Clone(a.offsets)
}

// pollFor runs a Channel against api for d and returns the texts it
// delivered.
func pollFor(t *testing.T, api http.Handler, d time.Duration) []string {
	t.Helper()
	srv := httptest.NewServer(api)
	defer srv.Close()
	rec := &recorder{}
	c, err := New(Config{Token: testToken, APIURL: srv.URL, PollTimeout: time.Second, Logger: slog.New(slog.DiscardHandler)}, rec.deliver)
	if err != nil {
		t.Fatal(err)
	}
	c.backoff = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var texts []string
	for _, m := range rec.got {
		texts = append(texts, m.Text)
	}
	return texts
}

// TestPollAfterUpdateIDsRenumbered: the week-old update 1000 is confirmed,
// then Telegram numbers the next update 5. The poller, at offset 1001,
// is answered from the queue's head: it takes that batch as the truth,
// delivers it and polls on from 6, without a hot loop on the empty
// answers that follow.
func TestPollAfterUpdateIDsRenumbered(t *testing.T) {
	api := &renumberingAPI{}
	api.add(1000, "old")
	api.onEmpty = func(a *renumberingAPI) { a.add(5, "new complaint") }
	got := pollFor(t, api, 500*time.Millisecond)
	polls, offsets := api.counts()
	offsets = offsets[:min(len(offsets), 8)]
	t.Logf("first offsets asked for: %v", offsets)
	if strings.Join(got, ",") != "old,new complaint" {
		t.Errorf("delivered %q; want the old update and the renumbered new one", got)
	}
	if len(offsets) < 3 || offsets[0] != 0 || offsets[1] != 1001 || offsets[2] != 6 {
		t.Errorf("offsets %v; want 0, 1001, then 6 (past the renumbered update)", offsets)
	}
	if polls > 12 {
		t.Errorf("%d getUpdates calls in half a second: a hot loop", polls)
	}
}

// TestPollNeverSpins: a server that answers the same update below the
// offset to every poll (a proxy that confirms nothing), or empty answers
// at once, is polled at the pace of the backoff, not in a loop.
func TestPollNeverSpins(t *testing.T) {
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Base(r.URL.Path) != "getUpdates" {
			(&renumberingAPI{}).ServeHTTP(w, r)
			return
		}
		io.WriteString(w, `{"ok":true,"result":[`+msgUpdate(5, `"text":"again"`)+`]}`)
	})
	var polls atomic.Int64
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Base(r.URL.Path) == "getUpdates" {
			polls.Add(1)
		}
		stuck(w, r)
	})
	pollFor(t, counted, 500*time.Millisecond)
	if n := polls.Load(); n > 12 {
		t.Errorf("same update answered to every poll: %d getUpdates calls in half a second; want a pause between", n)
	}
	empty := &renumberingAPI{}
	pollFor(t, empty, 500*time.Millisecond)
	if n, _ := empty.counts(); n > 12 {
		t.Errorf("empty answers at once: %d getUpdates calls in half a second; want a pause between", n)
	}
}
