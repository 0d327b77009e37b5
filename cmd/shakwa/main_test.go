package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

const (
	testToken  = "123456789:AAFakeToken_for-tests"
	hookURL    = "https://bot.example.gov/tg/hook"
	hookSecret = "e2e_Webhook-secret"
	// waitFor bounds each wait for a Bot API call. The outbox paces sends
	// (a second per private chat, three per group), so it is generous.
	waitFor = 15 * time.Second
	// testDB is the Redis database TestServe gives the program; it is
	// flushed at the start. The tests of several processes use replicaDB.
	testDB    = 7
	replicaDB = 8
)

// testConfig is the configuration the handler and program tests share.
const testConfig = "../../testdata/config.yaml"

// person is someone writing to the bot from Telegram.
type person struct {
	id         int64
	name, lang string
}

var (
	citizen = person{5001, "سالم", "ar"}
	visitor = person{5002, "Sara", "en"}
	repeat  = person{5003, "ناصر", "ar"}
	guessed = person{5004, "هدى", "ar"}
	fatima  = person{111, "Fatima", "ar"}
	khalid  = person{112, "Khalid", "ar"}
	manager = person{900, "Saeed", "ar"}
)

func (p person) chat() string { return strconv.FormatInt(p.id, 10) }

const (
	phone       = "+971501234567"
	description = "انتظرت أكثر من ساعتين في قاعة الانتظار، ونظام الأرقام متوقف دون أي إعلان."
	staffAnswer = "نعتذر عن التأخير. تم إصلاح نظام الأرقام، هل ما زلت في المركز؟"
	resolution  = "تمت خدمة المتعامل وإصلاح نظام النداء الآلي."
	holderName  = "فاطمة المنصوري"
	karama      = "مركز سعادة المتعاملين - الكرامة"
)

// TestServe runs the whole program, as "shakwa serve" in webhook mode, on
// real Redis and a fake Bot API: updates go in through the webhook as
// Telegram sends them, and the test reads the Bot API calls that come out.
func TestServe(t *testing.T) {
	redisURL := testRedis(t, testDB)
	api := telegramtest.NewServer(t, testToken)
	before := runtime.NumGoroutine()

	env := map[string]string{
		"TELEGRAM_BOT_TOKEN":      testToken,
		"TELEGRAM_API_URL":        api.URL(),
		"TELEGRAM_WEBHOOK_URL":    hookURL,
		"TELEGRAM_WEBHOOK_SECRET": hookSecret,
		"REDIS_URL":               redisURL,
		"HTTP_ADDR":               "127.0.0.1:0",
		"LOG_LEVEL":               "debug",
		"FILES_DIR":               t.TempDir(),
		"METRICS_TOKEN":           metricsToken,
	}
	addr, logs, stop := startProgram(t, env)
	h := &hook{url: "http://" + addr, client: &http.Client{Transport: &http.Transport{}, Timeout: waitFor}, api: api}
	h.ids.Store(700_000)
	r := &reader{api: api, read: map[int]bool{}, last: map[string]int{}}

	reg := api.Wait(t, telegramtest.Match{Method: "setWebhook"}, waitFor)
	r.mark(reg)
	if got := reg.Fields["url"]; got != hookURL {
		t.Errorf("setWebhook url: got %q; want %q", got, hookURL)
	}
	if got := reg.Fields["secret_token"]; got != hookSecret {
		t.Errorf("setWebhook secret_token: got %q; want the configured secret", got)
	}

	t.Run("group", func(t *testing.T) {
		t.Run("health", func(t *testing.T) { t.Parallel(); testHealth(t, h) })
		t.Run("wrong secret", func(t *testing.T) { t.Parallel(); testWrongSecret(t, h, r) })
		t.Run("duplicate update", func(t *testing.T) { t.Parallel(); testDuplicate(t, h, r) })
		t.Run("contact", func(t *testing.T) { t.Parallel(); testContact(t, h, r) })
		t.Run("loop", func(t *testing.T) { t.Parallel(); testLoop(t, h, r) })
	})
	t.Run("long reply", func(t *testing.T) { testLongReply(t, h, r) })
	t.Run("metrics", func(t *testing.T) { testMetrics(t, h, r) })

	if err := stop(); err != nil {
		t.Errorf("run: got %v; want nil", err)
	}
	h.client.CloseIdleConnections()
	r.checkAllRead(t)
	checkOutbox(t, redisURL)
	checkLog(t, logs)
	checkGoroutines(t, before)
}

// startProgram runs the program as "shakwa serve" with env and the test
// configuration, and returns its address, its log and a stop that cancels
// it and returns run's result. A test that stops early still stops it.
func startProgram(t *testing.T, env map[string]string) (addr string, logs *logSink, stop func() error) {
	t.Helper()
	return startProgramWith(t, env, testConfig)
}

// startProgramWith is startProgram with the configuration file config.
// startWebhook runs "shakwa serve -config file" in webhook mode on
// redisURL and the Bot API double api, and returns a hook whose update ids
// start after firstID and a reader that has read the setWebhook call.
func startWebhook(t *testing.T, api *telegramtest.Server, redisURL, file string, firstID int64) (*hook, *reader, *logSink, func() error) {
	t.Helper()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": api.URL(), "TELEGRAM_WEBHOOK_URL": hookURL,
		"TELEGRAM_WEBHOOK_SECRET": hookSecret, "REDIS_URL": redisURL, "HTTP_ADDR": "127.0.0.1:0", "FILES_DIR": t.TempDir(),
	}
	addr, logs, stop := startProgramWith(t, env, file)
	h := &hook{url: "http://" + addr, client: &http.Client{Transport: &http.Transport{}, Timeout: waitFor}, api: api}
	h.ids.Store(firstID)
	r := &reader{api: api, read: map[int]bool{}, last: map[string]int{}}
	r.mark(api.Wait(t, telegramtest.Match{Method: "setWebhook"}, waitFor))
	return h, r, logs, stop
}

func startProgramWith(t *testing.T, env map[string]string, config string) (addr string, logs *logSink, stop func() error) {
	t.Helper()
	logs = newLogSink()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-config", config}, func(k string) string { return env[k] }, logs, logs)
	}()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("run did not return within 20s of cancel")
			return nil
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			stop()
		}
		if t.Failed() {
			t.Logf("program log:\n%s", logs)
		}
	})
	select {
	case addr = <-logs.listening:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	case <-time.After(waitFor):
		t.Fatal("no \"listening\" log line")
	}
	return addr, logs, stop
}

// testRedis returns a REDIS_URL for database db of SHAKWA_TEST_REDIS, which
// the test empties first, or skips the test (fails it on CI) without one.
func testRedis(t *testing.T, db int) string {
	t.Helper()
	u, err := url.Parse(storagetest.URL(t))
	if err != nil {
		t.Fatalf("%s: %v", storagetest.EnvRedis, err)
	}
	u.Path = "/" + strconv.Itoa(db)
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatalf("%s: %v", storagetest.EnvRedis, err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush redis db %d: %v", db, err)
	}
	return u.String()
}

func testHealth(t *testing.T, h *hook) {
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/readyz", 200},
		{"GET", "/tg/hook", 405},
	} {
		req, _ := http.NewRequest(tc.method, h.url+tc.path, nil)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: got %d; want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

// testWrongSecret: an update with a wrong or missing secret is refused and
// leaves no trace: sent again with the right secret, it is handled.
func testWrongSecret(t *testing.T, h *hook, r *reader) {
	u := h.text(guessed, "/start")
	for _, secret := range []string{"guess", hookSecret + "x", ""} {
		if got := h.post(t, secret, u); got != http.StatusUnauthorized {
			t.Errorf("secret %q: got %d; want 401", secret, got)
		}
	}
	if n := len(r.api.Find(telegramtest.Match{ChatID: guessed.chat()})); n != 0 {
		t.Errorf("after refused updates: got %d calls to the chat; want none", n)
	}
	h.send(t, u)
	wantData(t, r.next(t, "sendMessage", guessed.chat()), "menu:complaint")
	// That the refused updates sent nothing, then or later, is checked
	// once the program has stopped (reader.checkAllRead).
}

// testDuplicate: Telegram sends an update again (at least once delivery);
// it is handled once.
func testDuplicate(t *testing.T, h *hook, r *reader) {
	u := h.text(repeat, "/start")
	h.send(t, u)
	h.send(t, u)
	h.send(t, h.text(repeat, "/help"))
	wantData(t, r.next(t, "sendMessage", repeat.chat()), "menu:complaint")
	// One chat's replies go out in order: a second menu would come before
	// the answer to /help.
	if help := r.next(t, "sendMessage", repeat.chat()); slices.Contains(help.CallbackData(), "menu:complaint") {
		t.Errorf("second message: got the menu again; want the answer to /help")
	}
	if n := len(r.api.Find(telegramtest.Match{Method: "sendMessage", ChatID: repeat.chat()})); n != 2 {
		t.Errorf("sendMessage calls: got %d; want 2 (the menu once, then help)", n)
	}
}

// testContact: an English-speaking citizen shares her phone number with
// Telegram's contact button; the card in the second centre's group masks it.
func testContact(t *testing.T, h *hook, r *reader) {
	h.send(t, h.text(visitor, "/start"))
	menu := r.next(t, "sendMessage", visitor.chat())
	h.press(t, r, visitor, menu, "menu:complaint")
	centres := r.replaced(t, menu)
	h.press(t, r, visitor, centres, "centre:BRS")
	cats := r.replaced(t, centres)
	h.press(t, r, visitor, cats, "cat:conduct")
	r.replaced(t, cats) // describe it
	h.send(t, h.text(visitor, "The clerk at counter 4 refused to take my documents."))
	ask := r.next(t, "sendMessage", visitor.chat())
	if b := ask.Buttons(); len(b) == 0 || len(b[0]) == 0 || !b[0][0].RequestContact {
		t.Fatalf("contact question: got keyboard %+v; want a contact button first", b)
	}
	h.send(t, h.message(visitor, map[string]any{
		"contact": map[string]any{"phone_number": phone, "first_name": visitor.name, "user_id": visitor.id},
	}))
	review := r.summary(t, visitor.chat())
	wantText(t, review, phone)
	h.press(t, r, visitor, review, "confirm")
	wantText(t, r.next(t, "sendMessage", visitor.chat()), "BRS-000001")
	card := r.next(t, "sendMessage", "-1002")
	wantText(t, card, "BRS-000001")
	wantData(t, card, "claim:BRS-000001")
	if strings.Contains(card.Text(), phone) {
		t.Errorf("staff card: got the whole phone number in %q; want it masked", card.Text())
	}
}

// testLoop is one complaint from /start to rating, then the manager's
// statistics, as in handlers/testdata/loop_ar.golden, but through the
// whole program.
func testLoop(t *testing.T, h *hook, r *reader) {
	const id = "KRM-000001"
	me := citizen.chat()
	h.send(t, h.text(citizen, "/start"))
	menu := r.next(t, "sendMessage", me)
	wantData(t, menu, "menu:complaint")
	// Each press on a question has the next one replace it.
	h.press(t, r, citizen, menu, "menu:complaint")
	centres := r.replaced(t, menu)
	wantData(t, centres, "centre:KRM", "centre:BRS")
	h.press(t, r, citizen, centres, "centre:KRM")
	cats := r.replaced(t, centres)
	wantData(t, cats, "cat:waiting", "cat:conduct")
	h.press(t, r, citizen, cats, "cat:waiting")
	wantData(t, r.replaced(t, cats), "back", "cancel")

	// A photo whose caption is the description.
	h.send(t, h.message(citizen, map[string]any{"caption": description, "photo": []map[string]any{
		{"file_id": "AgAD-small", "file_unique_id": "s1", "width": 90, "height": 67, "file_size": 1200},
		{"file_id": "AgAD-large", "file_unique_id": "l1", "width": 1280, "height": 960, "file_size": 98000},
	}}))
	r.next(t, "sendMessage", me) // the file is attached
	ask := r.next(t, "sendMessage", me)
	kb := ask.Buttons()
	if len(kb) < 2 || len(kb[0]) == 0 || !kb[0][0].RequestContact || len(kb[1]) == 0 {
		t.Fatalf("contact question: got keyboard %+v; want a contact button, then skip", kb)
	}
	// Skip is a keyboard button: tapping it sends its label as text.
	h.send(t, h.text(citizen, kb[1][0].Text))
	review := r.summary(t, me)
	wantText(t, review, description)
	h.press(t, r, citizen, review, "confirm")
	wantText(t, r.next(t, "sendMessage", me), id)
	card := r.next(t, "sendMessage", "-1001")
	wantText(t, card, id)
	wantData(t, card, "claim:"+id)

	// Fatima claims it in the staff group; Khalid is too late.
	wantText(t, h.press(t, r, fatima, card, "claim:"+id), id)
	edit := r.next(t, "editMessageText", "-1001")
	if got, want := edit.Fields["message_id"], strconv.Itoa(card.MessageID); got != want {
		t.Errorf("card edit: got message_id %s; want the card's %s", got, want)
	}
	wantText(t, edit, holderName)
	if data := edit.CallbackData(); slices.Contains(data, "claim:"+id) {
		t.Errorf("claimed card: got buttons %v; want no claim button", data)
	}
	ticket := r.next(t, "sendMessage", fatima.chat())
	wantText(t, ticket, id)
	wantData(t, ticket, "close:"+id)
	if got := r.next(t, "sendPhoto", fatima.chat()).Fields["photo"]; got != "AgAD-large" {
		t.Errorf("ticket photo: got %q; want the largest size, AgAD-large", got)
	}
	wantText(t, r.next(t, "sendMessage", me), id) // being worked on
	wantText(t, h.press(t, r, khalid, card, "claim:"+id), holderName)

	// Fatima answers by replying to the ticket; the citizen gets it.
	h.send(t, h.message(fatima, map[string]any{"text": staffAnswer, "reply_to_message": botMessage(ticket)}))
	wantText(t, r.next(t, "sendMessage", me), staffAnswer)
	wantText(t, r.next(t, "sendMessage", fatima.chat()), id)

	// She closes it with a resolution; the citizen rates it.
	h.press(t, r, fatima, ticket, "close:"+id)
	wantData(t, r.next(t, "sendMessage", fatima.chat()), "cancel")
	h.send(t, h.text(fatima, resolution))
	wantText(t, r.next(t, "sendMessage", fatima.chat()), id)
	if got, want := r.next(t, "editMessageText", "-1001").Fields["message_id"], strconv.Itoa(card.MessageID); got != want {
		t.Errorf("card edit on close: got message_id %s; want %s", got, want)
	}
	rating := r.next(t, "sendMessage", me)
	wantText(t, rating, resolution)
	wantData(t, rating, "rate:"+id+":1", "rate:"+id+":5")
	h.press(t, r, citizen, rating, "rate:"+id+":5") // answered without a pop-up: the message says it
	wantText(t, r.next(t, "sendMessage", me), id)
	wantText(t, r.next(t, "sendMessage", fatima.chat()), id)

	h.send(t, h.text(manager, "/stats today"))
	body := r.next(t, "sendMessage", manager.chat())
	wantText(t, body, karama)
	wantText(t, body, "5.00")
}

// testLongReply: a staff answer longer than one Telegram message goes to
// the citizen part by part, paced; Telegram refuses the second part once
// (429), and only that part is sent again: the citizen reads each part
// once, in order.
func testLongReply(t *testing.T, h *hook, r *reader) {
	writer := person{5005, "عائشة", "ar"}
	maryam := person{113, "Maryam", "ar"}
	me := writer.chat()
	h.send(t, h.text(writer, "/start"))
	menu := r.next(t, "sendMessage", me)
	h.press(t, r, writer, menu, "menu:complaint")
	centres := r.replaced(t, menu)
	h.press(t, r, writer, centres, "centre:BRS")
	cats := r.replaced(t, centres)
	h.press(t, r, writer, cats, "cat:waiting")
	r.replaced(t, cats)
	h.send(t, h.text(writer, description))
	kb := r.next(t, "sendMessage", me).Buttons()
	h.send(t, h.text(writer, kb[1][0].Text))
	h.press(t, r, writer, r.summary(t, me), "confirm")
	done := r.next(t, "sendMessage", me)
	id := ticketIn(done.Text())
	card := r.next(t, "sendMessage", "-1002")
	h.press(t, r, maryam, card, "claim:"+id)
	r.next(t, "editMessageText", "-1002")
	r.next(t, "sendMessage", maryam.chat()) // the ticket
	r.next(t, "sendMessage", me)            // being worked on
	answer := ""
	for len([]rune(answer)) < 4078 {
		answer += "نعتذر عن التأخير وسنتابع طلبك حتى يُحلّ. "
	}
	answer = strings.TrimSpace(string([]rune(answer)[:4078]))
	// The second part of the reply (it does not start with the header).
	r.api.AnswerWhen("sendMessage", func(f map[string]string) bool {
		return f["chat_id"] == me && !strings.HasPrefix(f["text"], "💬")
	}, http.StatusTooManyRequests, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`)
	h.send(t, h.text(maryam, "/reply "+id+" "+answer))
	first := r.next(t, "sendMessage", me)
	refused := r.next(t, "sendMessage", me)
	second := r.next(t, "sendMessage", me)
	if !strings.HasPrefix(first.Text(), "💬") || refused.Text() != second.Text() || strings.HasPrefix(second.Text(), "💬") {
		t.Errorf("parts %.40q, %.40q, %.40q; want the header part once, then the second part refused and sent again",
			first.Text(), refused.Text(), second.Text())
	}
	if gap := second.At.Sub(refused.At); gap < time.Second {
		t.Errorf("second part sent again %v after the 429; want Telegram's retry_after of 1s", gap)
	}
	whole := first.Text() + " " + second.Text()
	if !strings.Contains(strings.Join(strings.Fields(whole), " "), strings.Join(strings.Fields(answer), " ")) {
		t.Errorf("the citizen's two parts do not hold the whole answer")
	}
	r.next(t, "sendMessage", maryam.chat()) // "sent"
}

// hook posts updates to the program's webhook as Telegram does.
type hook struct {
	url    string
	client *http.Client
	ids    atomic.Int64         // update and message ids
	api    *telegramtest.Server // makes the calls the bot answers webhook requests with

	mu       sync.Mutex
	accepted map[any]int // update id -> times the webhook took it
}

// took counts how many updates the webhook took, and how many of them
// were copies of one it took before.
func (h *hook) took() (distinct, copies int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.accepted {
		distinct, copies = distinct+1, copies+n-1
	}
	return distinct, copies
}

// post sends update with secret (none when empty) and returns the status.
func (h *hook) post(t *testing.T, secret string, update map[string]any) int {
	t.Helper()
	body, err := json.Marshal(update)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", h.url+"/tg/hook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	if resp.StatusCode == http.StatusOK && h.api != nil {
		if err := h.api.WebhookAnswer(answer); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// send posts update with the right secret and wants 200.
func (h *hook) send(t *testing.T, update map[string]any) {
	t.Helper()
	if got := h.post(t, hookSecret, update); got != http.StatusOK {
		t.Fatalf("webhook: got %d; want 200", got)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.accepted == nil {
		h.accepted = map[any]int{}
	}
	h.accepted[update["update_id"]]++
}

// message is an update with a message from p in their private chat.
func (h *hook) message(p person, fields map[string]any) map[string]any {
	id := h.ids.Add(1)
	m := map[string]any{"message_id": id, "from": p.user(), "date": time.Now().Unix(),
		"chat": map[string]any{"id": p.id, "first_name": p.name, "type": "private"}}
	maps.Copy(m, fields)
	return map[string]any{"update_id": id, "message": m}
}

// text is an update with text typed by p; a leading command is marked as
// Telegram marks it.
func (h *hook) text(p person, text string) map[string]any {
	fields := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		fields["entities"] = []map[string]any{{"offset": 0, "length": len(utf16.Encode([]rune(cmd))), "type": "bot_command"}}
	}
	return h.message(p, fields)
}

// press has p press the button data on the message the bot sent in call,
// and returns the bot's answer to the press (answerCallbackQuery).
func (h *hook) press(t *testing.T, r *reader, p person, on telegramtest.Call, data string) telegramtest.Call {
	t.Helper()
	wantData(t, on, data)
	id := h.ids.Add(1)
	query := "q" + strconv.FormatInt(id, 10)
	h.send(t, map[string]any{"update_id": id, "callback_query": map[string]any{
		"id": query, "from": p.user(), "message": botMessage(on), "chat_instance": "-5071", "data": data,
	}})
	return r.answer(t, query)
}

func (p person) user() map[string]any {
	return map[string]any{"id": p.id, "is_bot": false, "first_name": p.name, "language_code": p.lang}
}

// botMessage is the Message the bot sent with call, as Telegram shows it
// in callback queries and replies.
func botMessage(call telegramtest.Call) map[string]any {
	id, _ := strconv.ParseInt(call.ChatID(), 10, 64)
	chat := map[string]any{"id": id, "type": "private", "first_name": "x"}
	if id < 0 {
		chat = map[string]any{"id": id, "type": "supergroup", "title": "موظفو المركز"}
	}
	return map[string]any{"message_id": call.MessageID, "from": json.RawMessage(telegramtest.BotUser),
		"chat": chat, "date": time.Now().Unix(), "text": call.Text()}
}

// reader reads the Bot API calls the program made, each chat's in order,
// and remembers which were read so that unexpected ones can be found.
type reader struct {
	api  *telegramtest.Server
	mu   sync.Mutex
	read map[int]bool   // Seq -> read
	last map[string]int // method and chat -> Seq of the last call read
}

// next returns the next call of method to chat.
func (r *reader) next(t *testing.T, method, chat string) telegramtest.Call {
	t.Helper()
	key := method + " " + chat
	r.mu.Lock()
	after := r.last[key]
	r.mu.Unlock()
	c := r.api.Wait(t, telegramtest.Match{Method: method, ChatID: chat, After: after}, waitFor)
	r.mu.Lock()
	r.last[key] = c.Seq
	r.mu.Unlock()
	r.mark(c)
	return c
}

// summary returns the summary that answers the phone question: a message
// that takes the phone keyboard away, then gets its buttons by an edit,
// as one call with both.
func (r *reader) summary(t *testing.T, chat string) telegramtest.Call {
	t.Helper()
	c := r.next(t, "sendMessage", chat)
	if c.Fields["reply_markup"] != `{"remove_keyboard":true}` {
		t.Errorf("summary to %s: reply_markup %s; want the phone keyboard taken away", chat, c.Fields["reply_markup"])
	}
	e := r.next(t, "editMessageReplyMarkup", chat)
	if e.MessageID != c.MessageID {
		t.Errorf("summary to %s: buttons put on message %d; want %d", chat, e.MessageID, c.MessageID)
	}
	return withButtons(c, e)
}

// withButtons is message c with the buttons the edit e put on it.
func withButtons(c, e telegramtest.Call) telegramtest.Call {
	c.Fields = maps.Clone(c.Fields)
	c.Fields["reply_markup"] = e.Fields["reply_markup"]
	c.MessageID = e.MessageID
	return c
}

// replaced returns the edit that answered a press on the message of call
// on: the next question, in its place.
func (r *reader) replaced(t *testing.T, on telegramtest.Call) telegramtest.Call {
	t.Helper()
	c := r.next(t, "editMessageText", on.ChatID())
	if c.MessageID != on.MessageID {
		t.Errorf("%s: message %d edited; want %d, the one pressed on", on.ChatID(), c.MessageID, on.MessageID)
	}
	return c
}

// answer returns the answer to the button press query.
func (r *reader) answer(t *testing.T, query string) telegramtest.Call {
	t.Helper()
	c := r.api.Wait(t, telegramtest.Match{Method: "answerCallbackQuery",
		Fields: map[string]string{"callback_query_id": query}}, waitFor)
	r.mark(c)
	return c
}

func (r *reader) mark(c telegramtest.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.read[c.Seq] = true
}

// checkAllRead reports the calls no test expected.
func (r *reader) checkAllRead(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.api.Calls() {
		if !r.read[c.Seq] {
			t.Errorf("unexpected Bot API call %v", c)
		}
	}
}

func wantText(t *testing.T, c telegramtest.Call, part string) {
	t.Helper()
	if !strings.Contains(c.Text(), part) {
		t.Errorf("%s to %s: got text %q; want it to contain %q", c.Method, c.ChatID(), c.Text(), part)
	}
}

func wantData(t *testing.T, c telegramtest.Call, data ...string) {
	t.Helper()
	for _, d := range data {
		if !slices.Contains(c.CallbackData(), d) {
			t.Fatalf("%s to %s: got buttons %v; want one with data %q", c.Method, c.ChatID(), c.CallbackData(), d)
		}
	}
}

// checkOutbox wants every reply sent and none given up on.
func checkOutbox(t *testing.T, redisURL string) {
	t.Helper()
	store, err := storage.Open(context.Background(), redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if n, err := store.Pending(context.Background()); err != nil || n != 0 {
		t.Errorf("outbox pending: got %d, %v; want 0", n, err)
	}
	dead, err := store.DeadLetters(context.Background(), 0)
	if err != nil || len(dead) != 0 {
		t.Errorf("dead letters: got %+v, %v; want none", dead, err)
	}
}

// checkLog wants JSON lines, no errors but the expected ones (by message),
// and no secret, phone number or complaint text.
func checkLog(t *testing.T, logs *logSink, expected ...string) {
	t.Helper()
	for _, line := range logs.lines() {
		var rec struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if rec.Level == "ERROR" && !slices.Contains(expected, rec.Msg) {
			t.Errorf("error logged: %s", line)
		}
		// No token, phone, name or person's words: the whole run at debug.
		for _, secret := range []string{testToken, hookSecret, metricsToken, phone, description, staffAnswer, resolution,
			citizen.name, visitor.name, repeat.name, guessed.name, holderName} {
			if strings.Contains(line, secret) {
				t.Errorf("log line shows %q: %s", secret, line)
			}
		}
		// A chat id may be a phone number (WhatsApp): none is logged.
		if m := chatInLog.FindString(line); m != "" {
			t.Errorf("log line shows a citizen's chat id %s: %s", strings.Trim(m, `":, `), line)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down"`) {
		t.Errorf("no \"shutting down\" log line")
	}
}

// chatInLog finds the citizens' chat ids of TestServe in a log line, as a
// whole number.
var chatInLog = regexp.MustCompile(`[^0-9.](500[1-5])[^0-9]`)

// checkGoroutines waits for the goroutine count to fall back to before.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutines: got %d; want at most %d as before run\n%s", runtime.NumGoroutine(), before, buf)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logSink is the program's stderr. It keeps the log and passes on the
// address of the "listening" line.
type logSink struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	listening chan string
}

func newLogSink() *logSink { return &logSink{listening: make(chan string, 1)} }

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSpace(string(p)), "\n") {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
			select {
			case l.listening <- rec.Addr:
			default:
			}
		}
	}
	return l.buf.Write(p)
}

func (l *logSink) lines() []string {
	return strings.Split(strings.TrimSpace(l.String()), "\n")
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestRunRefuses: what run refuses before it serves, and that its errors
// show no secret.
func TestRunRefuses(t *testing.T) {
	cfgFile := testConfig
	base := map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "SHAKWA_CONFIG": cfgFile,
		"REDIS_URL": "redis://:hunter2@127.0.0.1:1/0"} // nobody listens on port 1
	tests := []struct {
		name    string
		args    []string
		env     map[string]string // on top of base; "" unsets
		wantErr string            // "" wants nil
	}{
		{"help", []string{"-h"}, nil, ""},
		{"no arguments", nil, nil, ""},
		{"help of serve", []string{"serve", "-h"}, nil, ""},
		{"unknown command", []string{"bogus"}, nil, `unknown command "bogus"`},
		{"unknown flag", []string{"serve", "-port", "1"}, nil, "-port"},
		{"unknown leading flag", []string{"-x"}, nil, "unknown flag -x"},
		{"leading -config is serve", []string{"-config", cfgFile}, nil, "redis"},
		{"serve, a file with no -config", []string{"serve", "/path/prod.yaml"}, nil,
			`serve: unexpected argument "/path/prod.yaml" (did you mean -config FILE?)`},
		{"demo, a file with no -config", []string{"demo", "bad.yaml"}, nil, `unexpected argument "bad.yaml" (did you mean -config FILE?)`},
		{"tallies rebuild, a file with no -config", []string{"tallies", "rebuild", "file.yaml"}, nil, "did you mean -config FILE?"},
		{"tallies, another command", []string{"tallies", "recount"}, nil, `unknown command "recount"`},
		{"dead-letters, a typo", []string{"dead-letters", "retyr"}, nil, `unknown command "retyr" (want list or retry)`},
		{"dead-letters, extra", []string{"dead-letters", "retry", "now"}, nil, `unexpected argument "now"`},
		{"reindex, extra", []string{"reindex", "foo"}, nil, `unexpected argument "foo"`},
		{"version, extra", []string{"version", "x"}, nil, "usage: shakwa version"},
		{"no token", []string{"serve"}, map[string]string{"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN"},
		{"bad log level", []string{"serve"}, map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"no config file", []string{"serve", "-config", filepath.Join(t.TempDir(), "none.yaml")}, nil, "none.yaml"},
		{"example config", []string{"serve", "-config", "../../config.example.yaml"}, nil, "is the example configuration"},
		{"example config, web only", []string{"serve"}, map[string]string{"TELEGRAM_BOT_TOKEN": "",
			"WEB_CHAT_SECRET": strings.Repeat("ab", 32), "SHAKWA_CONFIG": "../../config.example.yaml"}, "is the example configuration"},
		{"redis down", []string{"serve"}, nil, "redis"},
		// What the environment gets wrong is said first, before Redis.
		{"short web secret, redis down", []string{"serve"}, map[string]string{"WEB_CHAT_SECRET": "abcd"}, "WEB_CHAT_SECRET: want at least 64 hex digits"},
		{"webhook URL with no path, redis down", []string{"serve"}, map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example"}, "needs a path"},
		{"trust proxy not a boolean", []string{"serve"}, map[string]string{"WEB_CHAT_TRUST_PROXY": "yes"}, `WEB_CHAT_TRUST_PROXY: want true or false, not "yes"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(base)
			maps.Copy(env, tc.env)
			var stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, tc.args, func(k string) string { return env[k] }, &stderr, &stderr)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("got %v; want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("got %v; want an error mentioning %q", err, tc.wantErr)
			}
			if (tc.name == "help" || tc.name == "no arguments" || tc.name == "unknown leading flag") &&
				!strings.Contains(stderr.String(), "shakwa demo ") {
				t.Errorf("%s printed %q; want the commands", tc.name, stderr.String())
			}
			if tc.name == "no token" && err != nil && !strings.Contains(err.Error(), "shakwa demo") {
				t.Errorf("no token: %v; want it to point to shakwa demo", err)
			}
			if strings.HasPrefix(tc.name, "example config") || tc.name == "no config file" {
				for _, say := range []string{`delete its line "example: true"`, "shakwa demo"} {
					if err != nil && !strings.Contains(err.Error(), say) {
						t.Errorf("%s: %v; want it to say %q", tc.name, err, say)
					}
				}
			}
			if tc.name == "redis down" {
				for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
					if !json.Valid([]byte(line)) {
						t.Errorf("log line is not JSON: %q", line)
					}
				}
			}
			for _, secret := range []string{testToken, "hunter2"} {
				if err != nil && strings.Contains(err.Error(), secret) || strings.Contains(stderr.String(), secret) {
					t.Errorf("got error %v and output %q; want no %q in them", err, stderr.String(), secret)
				}
			}
		})
	}
}

// TestDemoRunsExample: the example configuration that serve refuses is
// the demo's, built in or from the file; it says once that its data lives
// in memory.
func TestDemoRunsExample(t *testing.T) {
	for _, args := range [][]string{nil, {"-config", "../../config.example.yaml"}} {
		base, stop, logs := startDemo(t, t.Context(), args...)
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatalf("demo %v: %v", args, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("demo %v: /healthz %s; want 200 OK", args, resp.Status)
		}
		if err := stop(); err != nil {
			t.Errorf("demo %v: %v\n%s", args, err, logs)
		}
		if n := strings.Count(logs.String(), "REDIS_URL is not set"); n != 1 {
			t.Errorf("demo %v said %d times that REDIS_URL is not set; want once:\n%s", args, n, logs)
		}
	}
}

// TestComposeCarriesEveryVariable: every environment variable README's
// table lists is passed by compose.yaml and shown in .env.example (but
// those compose sets itself).
func TestComposeCarriesEveryVariable(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme, compose, example := read("README.md"), read("compose.yaml"), read(".env.example")
	vars := regexp.MustCompile("(?m)^\\| `([A-Z][A-Z0-9_]+)` \\|").FindAllStringSubmatch(readme, -1)
	if len(vars) < 10 {
		t.Fatalf("README lists %d variables; want its whole table", len(vars))
	}
	fixed := map[string]bool{"REDIS_URL": true, "HTTP_ADDR": true, "SHAKWA_CONFIG": true, "FILES_DIR": true}
	for _, v := range vars {
		name := v[1]
		if !strings.Contains(compose, "      "+name+":") {
			t.Errorf("compose.yaml does not pass %s", name)
		}
		if !fixed[name] && !strings.Contains(example, "\n"+name+"=") && !strings.HasPrefix(example, name+"=") {
			t.Errorf(".env.example does not show %s", name)
		}
	}
}
