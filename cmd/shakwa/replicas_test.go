package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/storage"
)

// asMain makes the test binary run as the program itself: the tests of
// several processes start it as `shakwa serve` that way, race detector
// and all, without building anything.
const asMain = "SHAKWA_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		return
	}
	// serve listens for SIGHUP (a reload); the goroutine os/signal starts
	// for the first such listener lives as long as the process. Started
	// here, it is among those every goroutine count begins with, and a
	// stray SIGHUP never ends the tests.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP)
	os.Exit(m.Run())
}

// replica is one `shakwa serve` process, in webhook mode.
type replica struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	url  string
	logs *logSink
	done chan error
}

// replicaCentres are the centres of fleetConfig: seven (one page of the
// centre menu), each with a staff group of its own (-1001...), so that the
// cards of many complaints are not all paced in one group.
var replicaCentres = []string{"KRM", "BRS", "DXB", "AUH", "SHJ", "AJM", "RAK"}

// fleetConfig writes the configuration of the tests of several processes.
func fleetConfig(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("timezone: Asia/Dubai\ncentres:\n")
	for i, code := range replicaCentres {
		fmt.Fprintf(&b, "  - {code: %s, name: {ar: \"مركز %s\", en: \"%s centre\"}, staff_chat: %d}\n", code, code, code, -1001-i)
	}
	b.WriteString("categories:\n  - {code: waiting, name: {ar: \"طول فترة الانتظار\", en: \"Waiting time\"}}\n")
	b.WriteString("people:\n  - {telegram: 111, name: \"فاطمة\", role: staff, centres: [KRM]}\n")
	path := t.TempDir() + "/config.yaml"
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// groupOf is the staff group of a ticket's centre in fleetConfig.
func groupOf(ticket string) string {
	if len(ticket) < 3 {
		return "" // no ticket: no group
	}
	return strconv.Itoa(-1001 - slices.Index(replicaCentres, ticket[:3]))
}

// startReplica starts a replica against the fake Bot API and Redis, with
// files kept in the test's files directory (shared by its replicas).
func startReplica(t *testing.T, name, config string, api *telegramtest.Server, redisURL string) *replica {
	t.Helper()
	filesDir := filepath.Join(os.TempDir(), "shakwa-test-files-"+strings.ReplaceAll(t.Name(), "/", "-"))
	t.Cleanup(func() { os.RemoveAll(filesDir) })
	cmd := exec.Command(os.Args[0], "serve", "-config", config)
	cmd.Env = []string{
		asMain + "=1",
		"PATH=" + os.Getenv("PATH"),
		"TELEGRAM_BOT_TOKEN=" + testToken,
		"TELEGRAM_API_URL=" + api.URL(),
		"TELEGRAM_WEBHOOK_URL=" + hookURL,
		"TELEGRAM_WEBHOOK_SECRET=" + hookSecret,
		"REDIS_URL=" + redisURL,
		"HTTP_ADDR=127.0.0.1:0",
		"LOG_LEVEL=debug",
		"FILES_DIR=" + filesDir,
	}
	r := &replica{t: t, name: name, cmd: cmd, logs: newLogSink(), done: make(chan error, 1)}
	cmd.Stderr = r.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-r.done
		if t.Failed() {
			t.Logf("%s log:\n%s", name, r.logs)
		}
	})
	select {
	case addr := <-r.logs.listening:
		r.url = "http://" + addr
	case err := <-r.done:
		r.done <- err
		t.Fatalf("%s exited before listening: %v\n%s", name, err, r.logs)
	case <-time.After(waitFor):
		t.Fatalf("%s: no \"listening\" log line\n%s", name, r.logs)
	}
	return r
}

// kill ends the replica with SIGKILL: no goodbye, like a crash.
func (r *replica) kill() {
	_ = r.cmd.Process.Kill()
	err := <-r.done
	r.done <- err
}

// stop sends SIGTERM and waits for the replica to exit on its own.
func (r *replica) stop() error {
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(2 * shutdownTimeout):
		return fmt.Errorf("%s did not exit within %v of SIGTERM", r.name, 2*shutdownTimeout)
	}
}

// checkClean wants no data race and no error logged.
func (r *replica) checkClean(t *testing.T) {
	t.Helper()
	if s := r.logs.String(); strings.Contains(s, "DATA RACE") {
		t.Errorf("%s: data race:\n%s", r.name, s)
	}
	for _, line := range r.logs.lines() {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("%s logged an error: %s", r.name, line)
		}
	}
}

// fleet delivers updates to replicas as Telegram does: to any of them,
// sometimes to two at once (a copy), each again until it is accepted with
// 200, moving to another replica when one is down.
type fleet struct {
	t      *testing.T
	api    *telegramtest.Server // makes the calls the replicas answer webhook requests with
	client *http.Client
	ids    atomic.Int64
	copies float64      // chance that an update goes to two replicas at once
	lost   atomic.Int64 // presses whose answer died with their replica

	mu   sync.Mutex
	live []string
	rng  *rand.Rand
}

func newFleet(t *testing.T, api *telegramtest.Server, copies float64, rs ...*replica) *fleet {
	f := &fleet{t: t, api: api, client: &http.Client{Transport: &http.Transport{}, Timeout: waitFor}, copies: copies,
		rng: rand.New(rand.NewPCG(7, 11))}
	for _, r := range rs {
		f.live = append(f.live, r.url)
	}
	f.ids.Store(900_000)
	t.Cleanup(f.client.CloseIdleConnections)
	return f
}

// down takes a replica out of the choice, as a load balancer would after
// its health check.
func (f *fleet) down(r *replica) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = slices.DeleteFunc(f.live, func(u string) bool { return u == r.url })
}

// targets picks the replicas an update goes to.
func (f *fleet) targets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.rng.IntN(len(f.live))
	out := []string{f.live[i]}
	if len(f.live) > 1 && f.rng.Float64() < f.copies {
		out = append(out, f.live[(i+1)%len(f.live)])
	}
	return out
}

func (f *fleet) other(than string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.live {
		if u != than {
			return u
		}
	}
	return than
}

// deliver sends update and returns once every copy was accepted, and
// whether a replica answered with a method call (a press's answer), which
// the Bot API double is made to receive as Telegram would. A press handled
// by a replica killed before it could answer the request gets no answer:
// its copy is done when it comes again.
func (f *fleet) deliver(update map[string]any) (answered bool) {
	f.t.Helper()
	body, err := json.Marshal(update)
	if err != nil {
		f.t.Fatal(err)
	}
	var any atomic.Bool
	var wg sync.WaitGroup
	for _, url := range f.targets() {
		wg.Go(func() {
			deadline := time.Now().Add(3 * waitFor)
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("POST", url+"/tg/hook", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hookSecret)
				resp, err := f.client.Do(req)
				if err == nil {
					answer, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK && rerr == nil {
						if err := f.api.WebhookAnswer(answer); err != nil {
							f.t.Error(err)
						}
						if len(bytes.TrimSpace(answer)) > 0 {
							any.Store(true)
						}
						return
					}
				} else {
					url = f.other(url) // refused: that replica is gone
				}
				time.Sleep(50 * time.Millisecond)
			}
			f.t.Errorf("update %v never accepted", update["update_id"])
		})
	}
	wg.Wait()
	return any.Load()
}

func (f *fleet) message(p person, fields map[string]any) map[string]any {
	id := f.ids.Add(1)
	m := map[string]any{"message_id": id, "from": p.user(), "date": time.Now().Unix(),
		"chat": map[string]any{"id": p.id, "first_name": p.name, "type": "private"}}
	for k, v := range fields {
		m[k] = v
	}
	return map[string]any{"update_id": id, "message": m}
}

func (f *fleet) text(p person, text string) {
	fields := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		fields["entities"] = []map[string]any{{"offset": 0, "length": len(utf16.Encode([]rune(text))), "type": "bot_command"}}
	}
	f.deliver(f.message(p, fields))
}

// press has p press data on the bot's message in call and waits for the
// press to be answered.
func (f *fleet) press(r *reader, p person, on telegramtest.Call, data string) {
	f.t.Helper()
	wantData(f.t, on, data)
	id := f.ids.Add(1)
	query := "q" + strconv.FormatInt(id, 10)
	answered := f.deliver(map[string]any{"update_id": id, "callback_query": map[string]any{
		"id": query, "from": p.user(), "message": botMessage(on), "chat_instance": "-5071", "data": data,
	}})
	if !answered {
		f.lost.Add(1) // handled by a replica that died before answering the request
		return
	}
	r.answer(f.t, query)
}

// complain walks p through a whole complaint at centre and returns the
// ticket number they were given.
func (f *fleet) complain(r *reader, p person, centre string) string {
	f.t.Helper()
	me := p.chat()
	// A replica killed between a send and its bookkeeping leaves that
	// message to be sent again by the other: a copy of the message before
	// is skipped.
	prev := map[string]telegramtest.Call{}
	fresh := func(method string) telegramtest.Call {
		for {
			c := r.next(f.t, method, me)
			if p := prev[method]; p.Seq == 0 || c.Text() != p.Text() || fmt.Sprint(c.Buttons()) != fmt.Sprint(p.Buttons()) {
				prev[method] = c
				return c
			}
		}
	}
	next := func() telegramtest.Call { return fresh("sendMessage") }
	// The answer to a press on a question replaces it.
	replaced := func(on telegramtest.Call) telegramtest.Call {
		c := fresh("editMessageText")
		if c.MessageID != on.MessageID {
			f.t.Errorf("%s: message %d edited; want %d, the one pressed on", me, c.MessageID, on.MessageID)
		}
		return c
	}
	f.text(p, "/start")
	menu := next()
	f.press(r, p, menu, "menu:complaint")
	centres := replaced(menu)
	f.press(r, p, centres, "centre:"+centre)
	cats := replaced(centres)
	f.press(r, p, cats, "cat:waiting")
	replaced(cats) // describe it
	f.text(p, fmt.Sprintf("%s (%d)", description, p.id))
	ask := next()
	kb := ask.Buttons()
	if len(kb) < 2 || len(kb[1]) == 0 {
		f.t.Fatalf("%s: contact question %v; want a skip button", me, kb)
	}
	f.text(p, kb[1][0].Text)
	// The summary takes the phone keyboard away, then gets its buttons:
	// from a replica killed in between, the other's copy has them.
	review := withButtons(next(), fresh("editMessageReplyMarkup"))
	wantText(f.t, review, fmt.Sprint(p.id))
	f.press(r, p, review, "confirm")
	done := next()
	id := ticketIn(done.Text())
	if id == "" {
		f.t.Errorf("%s: confirmation %q has no ticket number", me, done.Text())
	}
	return id
}

// ticketIn finds a ticket number (KRM-000123) in text.
func ticketIn(text string) string {
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\u2068' || r == '\u2069' }) {
		w = strings.Trim(w, ".,:()«»")
		if len(w) == 10 && w[3] == '-' && slices.Contains(replicaCentres, w[:3]) {
			return w
		}
	}
	return ""
}

// citizens are n people writing from Telegram.
func citizens(n int) []person {
	out := make([]person, n)
	for i := range out {
		out[i] = person{int64(7000 + i), "مواطن " + strconv.Itoa(i), "ar"}
	}
	return out
}

// TestReplicas runs two `shakwa serve` processes on one Redis and spreads
// the updates of 48 citizens over both at random, a third of them to both
// at once, faster than any one chat may be sent to. Each
// citizen gets one ticket, their messages in order and none twice, every
// staff card goes out once, and each chat's pace holds for the two
// together.
func TestReplicas(t *testing.T) {
	redisURL, api, a, b := twoReplicas(t)
	people := citizens(48)
	tickets, wait := complainAll(t, newFleet(t, api, 0.33, a, b), api, people)
	wait()
	checkTickets(t, people, tickets, redisURL)
	waitCards(t, api, tickets, 1)
	for _, rep := range []*replica{a, b} {
		if err := rep.stop(); err != nil {
			t.Errorf("%s: %v", rep.name, err)
		}
		rep.checkClean(t)
	}
	checkOutbox(t, redisURL)
	calls := api.Calls()
	for _, p := range people {
		// The menu (which becomes the centres, the categories and the
		// description question in turn), the contact question, the
		// summary, the ticket number: once each.
		if n := count(calls, "sendMessage", p.chat()); n != 4 {
			t.Errorf("%s got %d messages; want 4, none twice", p.chat(), n)
		}
		if n := count(calls, "editMessageText", p.chat()); n != 3 {
			t.Errorf("%s had %d messages edited; want the 3 questions pressed on, once each", p.chat(), n)
		}
	}
	if n := count(calls, "answerCallbackQuery", ""); n != 4*len(people) {
		t.Errorf("%d presses answered; want %d, each once", n, 4*len(people))
	}
	checkLimits(t, calls)
}

// TestReplicaKilled kills one of two replicas with SIGKILL while citizens
// are half-way through their complaints; the other finishes the work:
// every citizen gets one ticket, every card goes out, nothing stays
// queued.
func TestReplicaKilled(t *testing.T) {
	redisURL, api, a, b := twoReplicas(t)
	f := newFleet(t, api, 0.2, a, b)
	people := citizens(30)
	tickets, wait := complainAll(t, f, api, people)
	// Mid-load: once a third of the citizens' messages are out.
	deadline := time.Now().Add(waitFor)
	for len(api.Find(telegramtest.Match{Method: "sendMessage"})) < len(people)*4/3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	a.kill()
	f.down(a)
	killed := time.Now()
	wait()
	t.Logf("the last citizen finished %v after the kill; %d presses lost their answer with the replica",
		time.Since(killed).Round(100*time.Millisecond), f.lost.Load())
	checkTickets(t, people, tickets, redisURL)
	waitCards(t, api, tickets, -1)
	if err := b.stop(); err != nil {
		t.Errorf("replica b: %v", err)
	}
	b.checkClean(t)
	checkOutbox(t, redisURL)
}

// TestSigtermSendsWhatItAcknowledged: a replica told to stop while 60
// citizens are mid-flow, every update acknowledged but few answered yet,
// sends every answer before it exits, well within its shutdown time.
func TestSigtermSendsWhatItAcknowledged(t *testing.T) {
	redisURL := testRedis(t, replicaDB)
	api := telegramtest.NewServer(t, testToken)
	a := startReplica(t, "replica", fleetConfig(t), api, redisURL)
	f := newFleet(t, api, 0, a)
	r := &reader{api: api, read: map[int]bool{}, last: map[string]int{}}
	people := citizens(60)
	menus := make([]telegramtest.Call, len(people))
	var wg sync.WaitGroup
	for i, p := range people {
		wg.Go(func() {
			f.text(p, "/start")
			menus[i] = r.next(t, "sendMessage", p.chat())
		})
	}
	wg.Wait()
	// Half of them press a button, and we stop the replica the moment
	// the last press is acknowledged.
	mark := api.Mark()
	var queries []string
	var mu sync.Mutex
	for i, p := range people[:30] {
		wg.Go(func() {
			id := f.ids.Add(1)
			q := "q" + strconv.FormatInt(id, 10)
			f.deliver(map[string]any{"update_id": id, "callback_query": map[string]any{
				"id": q, "from": p.user(), "message": botMessage(menus[i]), "chat_instance": "-5071", "data": "menu:complaint",
			}})
			mu.Lock()
			queries = append(queries, q)
			mu.Unlock()
		})
	}
	wg.Wait()
	answered := len(api.Find(telegramtest.Match{Method: "editMessageText", After: mark}))
	stopped := time.Now()
	if err := a.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	t.Logf("%d of 30 answers were out when SIGTERM came; the replica exited %v later",
		answered, time.Since(stopped).Round(10*time.Millisecond))
	if took := time.Since(stopped); took > shutdownTimeout {
		t.Errorf("exit took %v; want it within the %v shutdown time", took, shutdownTimeout)
	}
	for _, p := range people[:30] {
		if n := len(api.Find(telegramtest.Match{Method: "editMessageText", ChatID: p.chat(), After: mark})); n != 1 {
			t.Errorf("%s: %d answers sent before the exit; want the menu made the centre question, once", p.chat(), n)
		}
	}
	for _, q := range queries {
		if len(api.Find(telegramtest.Match{Method: "answerCallbackQuery", Fields: map[string]string{"callback_query_id": q}})) != 1 {
			t.Errorf("press %s not answered before the exit", q)
		}
	}
	if !strings.Contains(a.logs.String(), `"msg":"shutting down"`) {
		t.Errorf("no \"shutting down\" line")
	}
	a.checkClean(t)
	checkOutbox(t, redisURL)
}

// twoReplicas starts two replicas on one Redis and one fake Bot API.
func twoReplicas(t *testing.T) (redisURL string, api *telegramtest.Server, a, b *replica) {
	t.Helper()
	redisURL = testRedis(t, replicaDB)
	api = telegramtest.NewServer(t, testToken)
	config := fleetConfig(t)
	return redisURL, api, startReplica(t, "replica a", config, api, redisURL), startReplica(t, "replica b", config, api, redisURL)
}

// complainAll has each of people file a complaint through f, all at once,
// at the centres in turn; wait returns when all are done, and then
// tickets[i] is the number people[i] was given.
func complainAll(t *testing.T, f *fleet, api *telegramtest.Server, people []person) (tickets []string, wait func()) {
	r := &reader{api: api, read: map[int]bool{}, last: map[string]int{}}
	tickets = make([]string, len(people))
	var wg sync.WaitGroup
	for i, p := range people {
		wg.Go(func() { tickets[i] = f.complain(r, p, replicaCentres[i%len(replicaCentres)]) })
	}
	return tickets, wg.Wait
}

// checkTickets wants one ticket per citizen, all different, and no more in
// Redis.
func checkTickets(t *testing.T, people []person, tickets []string, redisURL string) {
	t.Helper()
	seen := map[string]bool{}
	for i, id := range tickets {
		if id == "" || seen[id] {
			t.Errorf("%s got ticket %q: empty or given to another citizen too", people[i].chat(), id)
		}
		seen[id] = true
	}
	store, err := storage.Open(context.Background(), redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	all, err := store.TicketsCreated(context.Background(), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(all) != len(people) {
		t.Errorf("tickets in Redis: %d, %v; want %d, one per complaint", len(all), err, len(people))
	}
}

// waitCards waits for every ticket's card in its centre's group: exactly
// times each, or at least once when times < 0.
func waitCards(t *testing.T, api *telegramtest.Server, tickets []string, times int) {
	t.Helper()
	deadline := time.Now().Add(3 * waitFor)
	for {
		missing := 0
		var wrong []string
		for _, id := range tickets {
			n := 0
			for _, c := range api.Find(telegramtest.Match{Method: "sendMessage", ChatID: groupOf(id)}) {
				if strings.Contains(c.Text(), id) && slices.Contains(c.CallbackData(), "claim:"+id) {
					n++
				}
			}
			if n == 0 {
				missing++
			} else if times > 0 && n != times {
				wrong = append(wrong, fmt.Sprintf("%s×%d", id, n))
			}
		}
		if missing == 0 {
			if len(wrong) > 0 {
				t.Errorf("cards sent more than once: %v", wrong)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d of %d staff cards never sent", missing, len(tickets))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func count(calls []telegramtest.Call, method, chat string) int {
	n := 0
	for _, c := range calls {
		if c.Method == method && (chat == "" || c.ChatID() == chat) {
			n++
		}
	}
	return n
}

// checkLimits wants Telegram's limits kept by the replicas together: a
// second between messages to one private chat, three in a group, and 30
// messages in any second in all. Answers to button presses are not
// messages. The last is read off arrival times, which carry the senders'
// scheduling jitter on top of the 34ms the shared budget keeps between
// two leases: a window of 950ms, not 1s, allows for it.
func checkLimits(t *testing.T, calls []telegramtest.Call) {
	t.Helper()
	last := map[string]time.Time{}
	var sends []time.Time
	for _, c := range calls {
		switch c.Method {
		case "sendMessage", "editMessageText", "sendPhoto", "sendDocument":
		default:
			continue
		}
		sends = append(sends, c.At)
		chat := c.ChatID()
		pace := time.Second
		if strings.HasPrefix(chat, "-") {
			pace = 3 * time.Second
		}
		if prev, ok := last[chat]; ok && c.At.Sub(prev) < pace-20*time.Millisecond {
			t.Errorf("%s to %s %v after the one before; want at least %v", c.Method, chat, c.At.Sub(prev), pace)
		}
		last[chat] = c.At
	}
	// Answers are not held to the 30 a second of notifications to many
	// people (nothing here is bulk): they go as fast as each chat allows.
	slices.SortFunc(sends, func(a, b time.Time) int { return a.Compare(b) })
	peak := 0
	for i := range sends {
		j := i
		for j < len(sends) && sends[j].Sub(sends[i]) < 950*time.Millisecond {
			j++
		}
		peak = max(peak, j-i)
	}
	t.Logf("%d messages sent, at most %d within 950ms", len(sends), peak)
}
