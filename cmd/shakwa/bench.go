package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/storage"
)

// benchUsage is shakwa bench's help.
const benchUsage = `usage: shakwa bench [flags]

Loads the real bot: it starts a Redis (or uses -redis), a Bot API double
that answers at once, and "shakwa serve" in webhook mode as a process of
its own, then
  1. drives -citizens simulated citizens through whole complaints (7
     updates each) and a staff member's claim of each ticket, -c at once,
     through the webhook, as fast as it takes them;
  2. queues -backlog bulk notifications and has -answers new citizens
     write, one every 20 ms, timing each one's answer;
  3. runs redis-benchmark EVAL at the same concurrency, for the ratio.
It prints what it measured. With -redis, use an empty database: the
bench leaves its data there.

`

// bench runs the load test; see benchUsage.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("shakwa bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	redisURL := fs.String("redis", "", "REDIS_URL of an empty database to use (default: start redis-server)")
	conc := fs.Int("c", 50, "updates sent at once")
	citizens := fs.Int("citizens", 2000, "citizens who each file a complaint")
	backlog := fs.Int("backlog", 100000, "bulk notifications queued before new citizens write")
	answers := fs.Int("answers", 200, "new citizens timed while the backlog waits")
	profile := fs.String("cpuprofile", "", "write the bot's CPU profile of the first 5 s of part 1 to `file` (go tool pprof file)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected argument %q (flags only: shakwa bench -h)", fs.Arg(0))
	}
	dir, err := os.MkdirTemp("", "shakwa-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if *redisURL == "" {
		url, stop, err := startRedis(ctx, dir)
		if err != nil {
			return err
		}
		defer stop()
		*redisURL = url
	}
	api, err := startAPI()
	if err != nil {
		return err
	}
	defer api.srv.Close()
	pprofAddr := ""
	if *profile != "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		pprofAddr = "127.0.0.1:" + strconv.Itoa(port)
	}
	b, err := startBot(ctx, dir, api.url, *redisURL, pprofAddr)
	if err != nil {
		return err
	}
	defer b.stop()
	rdb := redis.NewClient(mustRedisOptions(*redisURL))
	defer rdb.Close()
	store, err := storage.Open(ctx, *redisURL) // the bot's, to queue bulk and read the backlog
	if err != nil {
		return err
	}
	defer store.Close()
	w := &benchWriter{out: stdout} // what it measured: the command's result
	w.line("shakwa bench: %d citizens, %d at once; bot pid %d", *citizens, *conc, b.cmd.Process.Pid)
	// What Redis itself does at that concurrency, before the bot is busy.
	evals, evalErr := redisBenchmark(ctx, *redisURL, *conc)

	// 1. Whole complaints and claims, as fast as the bot takes them.
	before := redisStats(ctx, rdb)
	tripsBefore, tripsErr := b.roundTrips()
	sendsBefore := api.count()
	profiled := make(chan error, 1)
	if pprofAddr != "" {
		go func() { profiled <- saveProfile(ctx, "http://"+pprofAddr+"/debug/pprof/profile?seconds=5", *profile) }()
	} else {
		profiled <- nil
	}
	centres, err := benchCentres()
	if err != nil {
		return err
	}
	start := time.Now()
	lat, claims := b.drive(ctx, *conc, *citizens, centres)
	took := time.Since(start)
	if err := <-profiled; err != nil {
		w.line("cpu profile: %v", err)
	}
	after := redisStats(ctx, rdb)
	tripsAfter, err := b.roundTrips()
	if tripsErr == nil {
		tripsErr = err
	}
	n := len(lat) + len(claims)
	w.line("updates: %d in %v: %.0f a second", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	w.line("webhook latency of the citizens' updates: %s", percentiles(lat))
	w.line("webhook latency of the claims (one group at a time): %s", percentiles(claims))
	if n > 0 && tripsErr == nil {
		w.line("redis per update (intake and sending together): %.1f commands, %.1f round trips",
			float64(after.commands-before.commands)/float64(n), (tripsAfter-tripsBefore)/float64(n))
	} else if n > 0 {
		w.line("redis per update (intake and sending together): %.1f commands (round trips: %v)",
			float64(after.commands-before.commands)/float64(n), tripsErr)
	}
	rss, peak := b.rss()
	w.line("bot memory: %d MiB resident, %d MiB at most", rss>>20, peak>>20)
	w.line("sent meanwhile: %d calls to the Bot API", api.count()-sendsBefore)

	// 2. A backlog of bulk, and new citizens who write meanwhile, once
	// the answers of part 1 are out (they go a message a second a chat).
	if err := waitAnswers(ctx, store, 2*time.Minute); err != nil {
		w.line("%v", err)
	}
	if err := queueBulk(ctx, store, *backlog); err != nil {
		return err
	}
	w.line("queued %d bulk notifications", *backlog)
	felt := b.firstAnswers(ctx, api, *answers)
	w.line("message to its answer sent, with the backlog waiting: %s", percentiles(felt))
	if bl, err := backlogOf(ctx, store); err == nil {
		w.line("outbox now: %s", bl)
	}
	sent := api.since(time.Now().Add(-5 * time.Second))
	w.line("sends in the last 5 s: %d answers and notifications, %d bulk (%.0f bulk a second)",
		sent[false], sent[true], float64(sent[true])/5)

	if evalErr == nil {
		w.line("redis-benchmark EVAL, %d clients, before: %.0f a second; the bot's updates were %.1f %% of it", *conc, evals,
			100*float64(n)/took.Seconds()/evals)
	} else {
		w.line("redis-benchmark: %v", evalErr)
	}
	return w.err
}

// benchWriter prints lines, keeping the first error.
type benchWriter struct {
	out io.Writer
	err error
}

func (w *benchWriter) line(format string, args ...any) {
	if _, err := fmt.Fprintf(w.out, format+"\n", args...); err != nil && w.err == nil {
		w.err = err
	}
}

// percentiles describes ds: p50, p95, p99 and the longest.
func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	r := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	return fmt.Sprintf("p50 %s, p95 %s, p99 %s, max %s (%d)", r(at(0.50)), r(at(0.95)), r(at(0.99)), r(s[len(s)-1]), len(s))
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func mustRedisOptions(url string) *redis.Options {
	o, err := redis.ParseURL(url)
	if err != nil {
		panic(err) // the bench made it, or the bot already took it
	}
	return o
}

// startRedis starts redis-server as production runs it (the append-only
// file, fsync every second) on a free port, with its files in dir.
func startRedis(ctx context.Context, dir string) (string, func(), error) {
	exe, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, errors.New("redis-server not found: install it (Debian: apt-get install redis-server) or give -redis")
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start redis-server: %w", err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	rdb := redis.NewClient(mustRedisOptions(url))
	defer rdb.Close()
	for i := 0; ; i++ {
		if rdb.Ping(ctx).Err() == nil {
			return url, stop, nil
		}
		if i == 100 {
			stop()
			return "", nil, errors.New("redis-server did not answer within 5 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// redisCounts are Redis's own counters.
type redisCounts struct{ commands int64 }

var statLine = regexp.MustCompile(`(?m)^total_commands_processed:(\d+)`)

func redisStats(ctx context.Context, rdb *redis.Client) redisCounts {
	info, _ := rdb.Info(ctx, "stats").Result()
	var c redisCounts
	if m := statLine.FindStringSubmatch(info); m != nil {
		c.commands, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return c
}

// tripCount is a line of the bot's count of its Redis round trips.
var tripCount = regexp.MustCompile(`(?m)^shakwa_redis_round_trip_seconds_count\{[^}]*\} (\S+)$`)

// roundTrips is how many Redis round trips the bot has made, of every
// kind, as its /metrics says.
func (b *botProcess) roundTrips() (float64, error) {
	resp, err := b.client.Get("http://" + b.addr + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("read the bot's metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("read the bot's metrics: %w", err)
	}
	lines := tripCount.FindAllSubmatch(body, -1)
	if len(lines) == 0 {
		return 0, fmt.Errorf("the bot's metrics count no Redis round trips")
	}
	var n float64
	for _, m := range lines {
		v, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			return 0, fmt.Errorf("the bot's round trips: %w", err)
		}
		n += v
	}
	return n, nil
}

// redisBenchmark runs redis-benchmark EVAL with c clients and returns its
// requests a second.
func redisBenchmark(ctx context.Context, url string, c int) (float64, error) {
	exe, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return 0, errors.New("redis-benchmark not found")
	}
	o := mustRedisOptions(url)
	host, port, _ := net.SplitHostPort(o.Addr)
	out, err := exec.CommandContext(ctx, exe, "-h", host, "-p", port, "-c", strconv.Itoa(c), "-n", "200000", "-q",
		"EVAL", "return redis.call('INCR', KEYS[1])", "1", "bench:eval").Output()
	if err != nil {
		return 0, fmt.Errorf("redis-benchmark: %w", err)
	}
	m := regexp.MustCompile(`([\d.]+) requests per second`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("redis-benchmark said %q", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// botAPI is a Bot API double that answers every call at once, as the Bot
// API answers (a message for a send), and keeps when each send went to
// which chat.
type botAPI struct {
	srv   *http.Server
	url   string
	mu    sync.Mutex
	next  int64
	sends []apiSend
}

type apiSend struct {
	chat string
	at   time.Time
}

func startAPI() (*botAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &botAPI{url: "http://" + ln.Addr().String(), next: 100}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	go a.srv.Serve(ln)
	return a, nil
}

func (a *botAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := path.Base(r.URL.Path)
	chat := ""
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var f map[string]any
		_ = json.NewDecoder(r.Body).Decode(&f)
		chat = fmt.Sprint(f["chat_id"])
	} else {
		_ = r.ParseMultipartForm(32 << 20)
		chat = r.FormValue("chat_id")
	}
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "getMe":
		fmt.Fprint(w, `{"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"شكوى","username":"ShakwaBot"}}`)
	case "setWebhook", "deleteWebhook", "answerCallbackQuery":
		fmt.Fprint(w, `{"ok":true,"result":true}`)
	case "sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument":
		a.mu.Lock()
		a.next++
		id := a.next
		a.sends = append(a.sends, apiSend{chat, time.Now()})
		a.mu.Unlock()
		typ := "private"
		if strings.HasPrefix(chat, "-") {
			typ = "supergroup"
		}
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":%d,"date":%d,"chat":{"id":%s,"type":%q},"text":"x"}}`,
			id, time.Now().Unix(), chat, typ)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
	}
}

func (a *botAPI) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.sends)
}

// firstSend is when the first send to chat at or after t went, or the
// zero time.
func (a *botAPI) firstSend(chat string, t time.Time) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.sends {
		if s.chat == chat && !s.at.Before(t) {
			return s.at
		}
	}
	return time.Time{}
}

// since counts the sends after t, bulk (to the bench's bulk chats) and
// the others.
func (a *botAPI) since(t time.Time) map[bool]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[bool]int{}
	for _, s := range a.sends {
		if s.at.After(t) {
			out[strings.HasPrefix(s.chat, bulkChatPrefix)]++
		}
	}
	return out
}

// Chat ids the bench uses: citizens from 700,000,000, new citizens of
// the second part from 800,000,000, bulk notifications to 9xxxxxxxxx.
const (
	firstCitizen   = 700_000_000
	firstNew       = 800_000_000
	bulkChatPrefix = "9"
	benchToken     = "123456:bench"
	benchSecret    = "bench-secret"
)

// benchCentre is a centre of the example configuration, its staff group
// and a staff member of it.
type benchCentre struct {
	code         string
	group, staff int64
}

// benchCentres are the example configuration's centres that have staff.
func benchCentres() ([]benchCentre, error) {
	cfg, err := config.Parse(shakwa.ExampleConfig)
	if err != nil {
		return nil, err
	}
	var out []benchCentre
	for _, ce := range cfg.Centres {
		for _, p := range cfg.People {
			if p.Role == shakwa.RoleStaff && p.Serves(ce.Code) {
				out = append(out, benchCentre{ce.Code, ce.StaffChat, p.Telegram})
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the example configuration has no staff")
	}
	return out, nil
}

// botProcess is "shakwa serve" run by the bench.
type botProcess struct {
	cmd    *exec.Cmd
	hook   string
	addr   string // its HTTP_ADDR
	client *http.Client
	ids    atomic.Int64
	stop   func()
}

func startBot(ctx context.Context, dir, api, redisURL, pprofAddr string) (*botProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	// The example without its mark, which serve refuses: this bot talks
	// to the bench's own Bot API only, so its placeholder people reach
	// nobody.
	example := bytes.Replace(shakwa.ExampleConfig, []byte("\nexample: true\n"), []byte("\n"), 1)
	if bytes.Equal(example, shakwa.ExampleConfig) {
		return nil, errors.New(`the example configuration has no line "example: true" to take out`)
	}
	cfg := dir + "/config.yaml"
	if err := os.WriteFile(cfg, example, 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.CommandContext(ctx, exe, "serve", "-config", cfg)
	cmd.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN="+benchToken, "TELEGRAM_API_URL="+api,
		"TELEGRAM_WEBHOOK_URL=https://bench.invalid/telegram", "TELEGRAM_WEBHOOK_SECRET="+benchSecret,
		"REDIS_URL="+redisURL, "HTTP_ADDR="+addr, "LOG_LEVEL=warn", "FILES_DIR="+dir+"/files", "PPROF_ADDR="+pprofAddr)
	logs, err := os.Create(dir + "/bot.log")
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the bot: %w", err)
	}
	b := &botProcess{cmd: cmd, hook: "http://" + addr + "/telegram", addr: addr,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000}, Timeout: time.Minute}}
	b.ids.Store(1)
	b.stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logs.Close()
	}
	for i := 0; ; i++ {
		resp, err := b.client.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return b, nil
		}
		if i == 200 {
			b.stop()
			out, _ := os.ReadFile(dir + "/bot.log")
			return nil, fmt.Errorf("the bot did not start within 10 s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rss is the bot's resident memory now and at its peak, from /proc.
func (b *botProcess) rss() (now, peak int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", b.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			now = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return now, peak
}

// post sends one update through the webhook and returns how long the
// bot took to accept it.
func (b *botProcess) post(ctx context.Context, update map[string]any) (time.Duration, error) {
	body, err := json.Marshal(update)
	if err != nil {
		return 0, err
	}
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.hook, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", benchSecret)
		start := time.Now()
		resp, err := b.client.Do(req)
		took := time.Since(start)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return took, nil
		}
		if try == 5 {
			return 0, fmt.Errorf("webhook answered %d", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond) // as Telegram sends it again
	}
}

func user(id int64) map[string]any {
	return map[string]any{"id": id, "is_bot": false, "first_name": "مواطن", "language_code": "ar"}
}

// text is an update with text typed by id in their private chat.
func (b *botProcess) text(id int64, text string) map[string]any {
	n := b.ids.Add(1)
	m := map[string]any{"message_id": n, "from": user(id), "date": time.Now().Unix(), "text": text,
		"chat": map[string]any{"id": id, "type": "private"}}
	if strings.HasPrefix(text, "/") {
		m["entities"] = []map[string]any{{"offset": 0, "length": len(text), "type": "bot_command"}}
	}
	return map[string]any{"update_id": n, "message": m}
}

// press is an update with id pressing data in chat.
func (b *botProcess) press(id, chat int64, data string) map[string]any {
	n := b.ids.Add(1)
	typ := "private"
	if chat < 0 {
		typ = "supergroup"
	}
	return map[string]any{"update_id": n, "callback_query": map[string]any{
		"id": "q" + strconv.FormatInt(n, 10), "from": user(id), "chat_instance": "bench", "data": data,
		"message": map[string]any{"message_id": 100, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": typ}},
	}}
}

// drive has each citizen file a complaint, c at once, at the centres in
// turn, then a staff member of each centre claim its tickets, in its
// group; it returns the webhook latency of the citizens' updates and of
// the claims.
func (b *botProcess) drive(ctx context.Context, c, citizens int, centres []benchCentre) (steps, claims []time.Duration) {
	run := func(work [][]map[string]any) []time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var failed atomic.Int64
		next := make(chan []map[string]any)
		var wg sync.WaitGroup
		for range c {
			wg.Go(func() {
				for updates := range next {
					for _, u := range updates {
						d, err := b.post(ctx, u)
						if err != nil {
							failed.Add(1)
							break
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}
			})
		}
		for _, w := range work {
			next <- w
		}
		close(next)
		wg.Wait()
		if n := failed.Load(); n > 0 {
			fmt.Fprintf(os.Stderr, "shakwa bench: %d updates not accepted\n", n)
		}
		return lat
	}
	var work [][]map[string]any
	filed := map[string]int{}
	for i := range citizens {
		id, ce := firstCitizen+int64(i), centres[i%len(centres)]
		filed[ce.code]++
		work = append(work, []map[string]any{
			b.text(id, "/start"), b.press(id, id, "menu:complaint"), b.press(id, id, "centre:"+ce.code),
			b.press(id, id, "cat:waiting"), b.text(id, "انتظرت أكثر من ساعتين دون أن يُنادى رقمي"),
			b.press(id, id, "skip"), b.press(id, id, "confirm"),
		})
	}
	steps = run(work)
	// Each group's claims one after another, as its staff would: a
	// group's updates are handled one at a time anyway.
	work = nil
	for _, ce := range centres {
		var claims []map[string]any
		for n := range filed[ce.code] {
			claims = append(claims, b.press(ce.staff, ce.group, fmt.Sprintf("claim:%s-%06d", ce.code, n+1)))
		}
		work = append(work, claims)
	}
	return steps, run(work)
}

// firstAnswers has n new citizens write /start, one every 20 ms, and
// returns how long each one's answer took to leave the bot.
func (b *botProcess) firstAnswers(ctx context.Context, api *botAPI, n int) []time.Duration {
	sent := make([]time.Time, n)
	var wg sync.WaitGroup
	for i := range n {
		sent[i] = time.Now()
		wg.Go(func() { _, _ = b.post(ctx, b.text(firstNew+int64(i), "/start")) })
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	var out []time.Duration
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < n; {
		at := api.firstSend(strconv.FormatInt(firstNew+int64(i), 10), sent[i])
		if at.IsZero() {
			if time.Now().After(deadline) {
				out = append(out, 30*time.Second) // not answered: counted as the wait
				i++
				continue
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		out = append(out, at.Sub(sent[i]))
		i++
	}
	return out
}

// queueBulk queues n bulk notifications to n chats, as reports would be.
func queueBulk(ctx context.Context, store *storage.Store, n int) error {
	out := bot.NewOutbox(store, nil, time.Now, slog.New(slog.DiscardHandler))
	const batch = 1000
	for i := 0; i < n; i += batch {
		rs := make([]bot.Reply, 0, batch)
		for j := i; j < min(n, i+batch); j++ {
			rs = append(rs, bot.Reply{Channel: "telegram", Chat: bulkChatPrefix + strconv.Itoa(100_000_000+j),
				Text: "التقرير اليومي", Lang: "ar", Priority: bot.Bulk})
		}
		if _, err := out.Enqueue(ctx, "", 0, rs); err != nil {
			return fmt.Errorf("queue bulk: %w", err)
		}
	}
	return nil
}

// backlogOf describes what waits in the outbox's lanes.
func backlogOf(ctx context.Context, store *storage.Store) (string, error) {
	bl, err := store.OutboxBacklog(ctx, time.Now())
	if err != nil {
		return "", err
	}
	var parts []string
	for _, l := range namedLanes(bl) {
		parts = append(parts, fmt.Sprintf("%s %d waiting (most overdue %v)", l.name, l.Items, l.Overdue.Round(time.Millisecond)))
	}
	return strings.Join(parts, ", "), nil
}

// saveProfile writes the profile at url to file.
func saveProfile(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}

// waitAnswers waits until no answer or notification waits in the outbox,
// or for at most d.
func waitAnswers(ctx context.Context, store *storage.Store, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		bl, err := store.OutboxBacklog(ctx, time.Now())
		if err != nil {
			return err
		}
		if bl[0].Items+bl[1].Items == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v, %d answers and %d notifications still wait", d, bl[0].Items, bl[1].Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
