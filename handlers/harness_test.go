package handlers

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/internal/bidicheck"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// testConfig is the configuration the handler and program tests share.
var testConfig = func() string {
	b, err := os.ReadFile("../testdata/config.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// person is someone in a test conversation.
type person struct {
	id, name, lang string
}

var (
	citizen = person{"5001", "سالم", "ar"}
	other   = person{"5002", "Sara", "en"}
	fatima  = person{"111", "Fatima", "ar"}
	khalid  = person{"112", "Khalid", "ar"}
	maryam  = person{"113", "Maryam", "ar"}
	noura   = person{"114", "Noura", "ar"}
	manager = person{"900", "Saeed", "ar"}
)

// world runs a Handler on real Redis with a test clock, and plays the
// outbox's part for refs: each sent Reply gets a message id, so replies to
// it can be traced.
type world struct {
	t       *testing.T
	h       *Handler
	store   *storage.Store
	now     time.Time
	nextID  int
	lastIDs map[string]string // chat -> last message id sent there
	// pressable is, by chat and button data, the last message that
	// carries the button: a press names it, as Telegram's does.
	pressable map[string]map[string]string
	script    strings.Builder // the transcript
	logs      *logBuffer      // what the handler logged
	// mayFail lets a handling Fail (storage down, on purpose); otherwise
	// a Fail is a test failure.
	mayFail bool
	last    bot.Message // the last message do delivered
}

// logBuffer keeps log lines, for tests that look at them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// strictText is the locales bundle every handler test uses: a message the
// handler asks for and the files lack fails the test.
func strictText(t testing.TB) *locales.Bundle {
	t.Helper()
	text, err := locales.New(func(lang, key string, err error) {
		t.Errorf("locale message %s/%s: %v", lang, key, err)
	})
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func newWorld(t *testing.T) *world { return newWorldWith(t, testConfig) }

// newWorldWith is newWorld on another configuration.
func newWorldWith(t *testing.T, yaml string) *world {
	t.Helper()
	return newWorldOn(t, yaml, func(opts ...storage.Option) *storage.Store { return storagetest.Store(t, opts...) })
}

// newWorldOn is newWorldWith on a store open makes.
func newWorldOn(t *testing.T, yaml string, open func(...storage.Option) *storage.Store) *world {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: open(storage.WithTallier(TallyModel(cfg))), lastIDs: map[string]string{}, pressable: map[string]map[string]string{},
		now: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), logs: &logBuffer{}}
	log := slog.New(slog.NewJSONHandler(w.logs, nil))
	w.h = New(cfg, w.store, strictText(t), func() time.Time { return w.now }, log, Options{})
	return w
}

// wait moves the clock.
func (w *world) wait(d time.Duration) {
	w.now = w.now.Add(d)
	fmt.Fprintf(&w.script, "\n… %s later\n", d)
}

// do delivers m from p in their private chat (or in group when set) and
// returns the replies.
func (w *world) do(p person, m bot.Message) []bot.Reply {
	w.t.Helper()
	w.nextID++
	m.ID = strconv.Itoa(w.nextID)
	m.Channel = "telegram"
	m.From = bot.User{ID: p.id, Name: p.name, Lang: p.lang}
	if m.Chat == "" {
		m.Chat = p.id
	}
	m.Group = strings.HasPrefix(m.Chat, "-")
	if m.Button != "" {
		m.ButtonToken = "cb" + m.ID
		if m.ReplyTo == "" {
			m.ReplyTo = w.pressable[m.Channel+":"+m.Chat][m.Button]
		}
	}
	w.record(p, m)
	w.last = m
	return w.handle(p, m)
}

// again delivers the last message once more, same update and all, as
// intake does when its first handling stopped before its replies were
// queued.
func (w *world) again(p person) []bot.Reply {
	w.t.Helper()
	fmt.Fprintf(&w.script, "\n(the same update again)\n")
	return w.handle(p, w.last)
}

func (w *world) handle(p person, m bot.Message) []bot.Reply {
	w.t.Helper()
	var rs bot.Replies
	// As intake hands it over: naming the update.
	ctx := shakwa.WithUpdate(context.Background(), m.Channel+":"+m.Chat+":"+m.ID)
	w.h.Handle(ctx, &rs, &m)
	if rs.Err != nil && !w.mayFail {
		w.t.Errorf("%s's message %+v: the handling failed: %v", p.name, m, rs.Err)
	}
	w.play(rs.List)
	return rs.List
}

// play delivers replies as the outbox would.
func (w *world) play(rs []bot.Reply) {
	for _, r := range rs {
		w.deliver(r)
	}
}

// runJobs runs the jobs due at the world's clock, as the job runner would,
// and returns their replies.
func (w *world) runJobs(kinds ...string) []bot.Reply {
	w.t.Helper()
	var out []bot.Reply
	for _, kind := range kinds {
		js, err := w.store.ClaimJobs(context.Background(), kind, w.now, time.Minute, 100)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, j := range js {
			what := j.Key
			if j.Kind == JobIdle {
				what = "(a person)" // an opaque id, new in every run
			}
			fmt.Fprintf(&w.script, "\n(job %s %s)\n", j.Kind, what)
			var rs bot.Replies
			w.h.RunJob(context.Background(), &rs, &j)
			if rs.Err != nil && !w.mayFail {
				w.t.Errorf("job %s %s failed: %v", j.Kind, j.Key, rs.Err)
			}
			if _, err := w.store.DoneJob(context.Background(), j, j.Again); err != nil {
				w.t.Fatal(err)
			}
			w.play(rs.List)
			out = append(out, rs.List...)
		}
	}
	return out
}

func (w *world) text(p person, s string) []bot.Reply { return w.do(p, bot.Message{Text: s}) }
func (w *world) press(p person, data string) []bot.Reply {
	return w.do(p, bot.Message{Button: data})
}

// deliver stands in for the outbox: it records r and remembers its ref.
func (w *world) deliver(r bot.Reply) {
	chat := r.Channel + ":" + r.Chat
	if r.Notice {
		if r.Text != "" {
			fmt.Fprintf(&w.script, "   (notice to %s) %s\n", r.Chat, r.Text)
		}
		return
	}
	w.nextID++
	id := strconv.Itoa(w.nextID)
	if r.Edit && r.EditOf != "" {
		id = r.EditOf
	}
	if r.Ref != "" {
		if old, _ := w.store.Ref(context.Background(), chat, r.Ref); r.Edit && r.EditOf == "" && old != "" {
			id = old
		}
		if err := w.store.SetRef(context.Background(), chat, r.Ref, id, r.Trail); err != nil {
			w.t.Fatal(err)
		}
	}
	w.lastIDs[chat] = id
	if w.pressable[chat] == nil {
		w.pressable[chat] = map[string]string{}
	}
	for _, row := range r.Buttons {
		for _, b := range row {
			w.pressable[chat][b.Data] = id
		}
	}
	w.checkDirection(r)
	verb := "→"
	if r.Edit {
		verb = "✎"
	}
	fmt.Fprintf(&w.script, "%s %s\n", verb, r.Chat)
	for _, line := range strings.Split(r.Text, "\n") {
		if r.Text != "" {
			fmt.Fprintf(&w.script, "   %s\n", line)
		}
	}
	for _, row := range r.Buttons {
		var labels []string
		for _, b := range row {
			labels = append(labels, "["+b.Label+"]")
		}
		fmt.Fprintf(&w.script, "   %s\n", strings.Join(labels, " "))
	}
	if r.AskContact {
		fmt.Fprintf(&w.script, "   {%s}\n", r.ContactLabel)
	}
	for _, a := range r.Attachments {
		fmt.Fprintf(&w.script, "   📎 %s %s\n", a.Kind, a.ID)
	}
}

// checkDirection fails the test when r, as the outbox marks it for its
// language, would read wrong in a right-to-left client, or has Arabic in
// it and no language to mark it by.
func (w *world) checkDirection(r bot.Reply) {
	w.t.Helper()
	texts := []string{r.Text}
	for _, row := range r.Buttons {
		for _, b := range row {
			texts = append(texts, b.Label)
		}
	}
	for _, text := range texts {
		if r.Lang == "" && strings.ContainsFunc(text, func(c rune) bool { return unicode.Is(unicode.Arabic, c) }) {
			w.t.Errorf("reply to %s in Arabic without its language, so left unmarked: %q", r.Chat, text)
		}
		if bot.RTL(r.Lang) {
			if p := bidicheck.Problems(bot.Directed(text, true)); len(p) > 0 {
				w.t.Errorf("reply to %s reads wrong: %v", r.Chat, p)
			}
		}
	}
}

func (w *world) record(p person, m bot.Message) {
	where := ""
	if m.Group {
		where = " in " + m.Chat
	}
	var what string
	switch {
	case m.Button != "":
		what = "presses " + m.Button
	case m.Phone != "":
		what = "shares phone " + m.Phone
	case m.Unsupported != "":
		what = "sends a " + m.Unsupported
	case len(m.Attachments) > 0:
		what = fmt.Sprintf("sends %d %s %q", len(m.Attachments), m.Attachments[0].Kind, m.Text)
	default:
		what = "types " + strconv.Quote(m.Text)
	}
	if m.ReplyTo != "" && m.Button == "" {
		what += " (replying to " + m.ReplyTo + ")"
	}
	fmt.Fprintf(&w.script, "\n%s (%s)%s %s\n", p.name, p.id, where, what)
}

// ticket reads a ticket from the store.
func (w *world) ticket(id string) *shakwa.Ticket {
	w.t.Helper()
	t, err := w.store.Ticket(context.Background(), id)
	if err != nil {
		w.t.Fatalf("ticket %s: %v", id, err)
	}
	return t
}

// toDescription walks a citizen through a complaint at centre up to the
// question that asks what happened.
func (w *world) toDescription(p person, centre string) {
	w.t.Helper()
	w.press(p, menuComplaint)
	w.press(p, "centre:"+centre)
	w.press(p, "cat:waiting")
}

// toSummary walks a citizen through a complaint at centre up to its
// summary, where it waits for their confirmation.
func (w *world) toSummary(p person, centre string) {
	w.t.Helper()
	w.toDescription(p, centre)
	w.text(p, "انتظرت أكثر من ساعتين دون أن يُنادى رقمي")
	w.press(p, "skip")
}

// fileComplaint walks a citizen through a complaint and returns its id.
func (w *world) fileComplaint(p person, centre string) string {
	w.t.Helper()
	w.toSummary(p, centre)
	rs := w.press(p, "confirm")
	for _, r := range rs {
		if r.Ref != "" && strings.HasPrefix(r.Ref, refCard) {
			return strings.TrimPrefix(r.Ref, refCard)
		}
	}
	w.t.Fatalf("no ticket card after confirming; replies: %+v", rs)
	return ""
}

// find returns the replies to chat whose text contains s.
func find(rs []bot.Reply, chat, s string) []bot.Reply {
	var out []bot.Reply
	for _, r := range rs {
		if r.Chat == chat && strings.Contains(r.Text, s) {
			out = append(out, r)
		}
	}
	return out
}

// tr renders key as the handler would, for assertions.
func (w *world) tr(lang, key string, data map[string]any) string {
	return w.h.text.Text(lang, key, data)
}

// ticketsOf are p's tickets, the latest first.
func (w *world) ticketsOf(p person) []*shakwa.Ticket {
	w.t.Helper()
	ts, err := w.store.CitizenTickets(context.Background(), shakwa.Address{Channel: "telegram", Chat: p.id}, 100)
	if err != nil {
		w.t.Fatal(err)
	}
	return ts
}
