package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
)

// staffOnly are the choice keys only staff, supervisors, managers and
// evaluators see: on Telegram or the web panel (Options.StaffChannel),
// never on WhatsApp.
var staffOnly = map[string]bool{
	"button.claim": true, "button.close": true, "button.release": true, "button.transfer": true,
	"button.reassign": true, "button.reject": true, "button.reveal_phone": true, "button.show": true,
	"button.claim_one": true, "button.show_one": true,
	"visit.today": true, "visit.yesterday": true, "visit.via.": true, "visit.scale": true, "visit.yes": true,
	"visit.no": true, "visit.file": true, "visit.release": true, "visit.discard": true, "visit.discard_yes": true,
	"visit.discard_no":  true,
	"assess.button.met": true, "assess.button.partly": true, "assess.button.unmet": true,
	"assess.button.later": true, "assess.button.go": true, "assess.button.undo": true,
}

// choiceKey finds the choices the flows and handlers build: {Key: "k",
// Data: ...}, with a key that may be a prefix ("edit." + name).
var choiceKey = regexp.MustCompile(`\{Key:\s*"([a-z0-9_.]+)"(\s*\+)?[^{}\n]*?\bData:\s*(\S{0,4})`)

// citizenChoiceKeys reads the non-test sources of flows and handlers for
// the keys of the choices citizens are offered, each with the number of
// places it is offered in. A key built at run time ("edit." + name)
// stands for the messages under it.
func citizenChoiceKeys(t *testing.T, text *locales.Bundle) map[string]int {
	t.Helper()
	keys := map[string]int{}
	for _, dir := range []string{"../flows", "."} {
		names, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range choiceKey.FindAllStringSubmatch(string(src), -1) {
				if m[3] == "map[" || staffOnly[m[1]] { // a Prompt's Data: map[string]any{...}
					continue
				}
				if m[2] == "" {
					keys[m[1]]++
					continue
				}
				for _, k := range text.Keys(locales.Langs()[0]) {
					if rest, ok := strings.CutPrefix(k, m[1]); ok && !strings.Contains(rest, ".") && rest != "ask" {
						keys[k]++
					}
				}
			}
		}
	}
	if len(keys) < 20 {
		t.Fatalf("found %d choice keys (%v): the pattern no longer matches the code", len(keys), keys)
	}
	return keys
}

// TestCitizenButtonsFitWhatsApp: every choice a citizen is offered, in
// every language and marked as the outbox marks it, goes as a WhatsApp
// reply button (a title of 20 characters: its label or its short form)
// in a message of two choices, not as a list. The main menu's own
// choices, offered only there, are a list: their rows show them whole.
func TestCitizenButtonsFitWhatsApp(t *testing.T) {
	text := strictText(t)
	keys := citizenChoiceKeys(t, text)
	menuOnly := map[string]bool{}
	for _, row := range menuRows() {
		for _, ch := range row {
			if keys[ch.Key]--; keys[ch.Key] == 0 {
				menuOnly[ch.Key] = true
			}
		}
	}
	send := whatsappSender(t, text)
	var checked []string
	for key := range keys {
		if menuOnly[key] {
			continue
		}
		checked = append(checked, key)
		counts := []int{0}
		if text.Plural(key) {
			counts = []int{1, 2, 3, 4, 5}
		}
		for _, lang := range locales.Langs() {
			for _, n := range counts {
				c := send(lang, []flows.Choice{{Key: key, Count: n, Data: "a"}})
				if kind := whatsapptest.Str(c.Body, "interactive", "type"); kind != "button" {
					label := text.Text(lang, key, map[string]any{"Count": n})
					t.Errorf("%s %s (%q, %d characters as sent): a %s; want a reply button: give it a %s.short of 20 characters at most",
						lang, key, label, len([]rune(bot.Lone(bot.Directed(label, bot.RTL(lang))))), kind, key)
				}
			}
		}
	}
	slices.Sort(checked)
	t.Logf("checked %v", checked)
	for _, lang := range locales.Langs() {
		c := send(lang, slices.Concat(menuRows()...))
		for _, row := range whatsapptest.List(c.Body["interactive"].(map[string]any)["action"].(map[string]any)["sections"]) {
			for _, r := range whatsapptest.List(row["rows"]) {
				if d := whatsapptest.Str(r, "description"); d != "" {
					t.Errorf("%s: the main menu's row %q is cut (%q follows)", lang, whatsapptest.Str(r, "title"), d)
				}
			}
		}
	}
}

// memPages is a PageStore in memory.
type memPages struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (p *memPages) SavePage(_ context.Context, key string, data []byte, _ time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[key] = data
	return nil
}

func (p *memPages) Page(_ context.Context, key string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[key], nil
}

func (p *memPages) TakePage(_ context.Context, key string, _ time.Duration) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[key]; ok {
		return false, nil
	}
	p.m[key] = []byte("1")
	return true, nil
}

func (p *memPages) DropPage(_ context.Context, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, key)
	return nil
}

// whatsappSender sends choices, rendered by the handlers in a language
// and marked as the outbox marks them, through the WhatsApp channel to a
// Graph API double, and returns the call the double took.
func whatsappSender(t *testing.T, text *locales.Bundle) func(lang string, choices []flows.Choice) whatsapptest.Call {
	w := words{text: text}
	send := sendReplies(t)
	return func(lang string, choices []flows.Choice) whatsapptest.Call {
		t.Helper()
		r := bot.Reply{Lang: lang, Text: "؟", Buttons: w.renderButtons(lang, [][]flows.Choice{choices})}
		if len(choices) == 1 {
			r.Buttons[0] = append(r.Buttons[0], bot.Button{Label: "؟", Data: "z"}) // any other choice
		}
		return send(r)
	}
}

// sendReplies sends a Reply (its buttons marked as the outbox marks them)
// through the WhatsApp channel to a Graph API double, and returns the
// call the double took.
func sendReplies(t *testing.T) func(bot.Reply) whatsapptest.Call {
	api := whatsapptest.NewServer(t, "EAAG-test", "1065")
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	wa, err := whatsapp.New(whatsapp.Config{Token: "EAAG-test", PhoneID: "1065", AppSecret: "s", VerifyToken: "v",
		APIURL: api.URL(), Files: fs, Pages: &memPages{m: map[string][]byte{}}, Outbox: noOutbox{}},
		func(context.Context, *bot.Message) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	const chat = "971500000001"
	api.Inbound(chat, time.Now())
	return func(r bot.Reply) whatsapptest.Call {
		t.Helper()
		r.Channel, r.Chat = whatsapp.Name, chat
		rtl := bot.RTL(r.Lang)
		for _, row := range r.Buttons {
			for i := range row {
				row[i].Label, row[i].Short = bot.Directed(row[i].Label, rtl), bot.Directed(row[i].Short, rtl)
			}
		}
		mark := len(api.Calls(whatsapptest.Match{}))
		if _, err := wa.Send(context.Background(), r, ""); err != nil {
			t.Fatalf("send %v: %v", r.Buttons, err)
		}
		c := api.Calls(whatsapptest.Match{})[mark]
		if c.Error != 0 {
			t.Errorf("the API refused %v: %d", r.Buttons, c.Error)
		}
		return c
	}
}

// noOutbox is an Outbox that hears nothing of interest.
type noOutbox struct{}

func (noOutbox) Wrote(context.Context, string, time.Time) error { return nil }
func (noOutbox) Resend(context.Context, string, string, time.Time) (bool, error) {
	return false, nil
}

// TestQuestionListsOnWhatsApp: with the example configuration, and with
// more centres than one page holds, the centre and category questions go
// to WhatsApp as lists whose first page holds cancel (and back), with one
// previous/next (the centre menu's own: the channel never pages it), and
// rows that tell every centre apart.
func TestQuestionListsOnWhatsApp(t *testing.T) {
	example, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var more strings.Builder
	for i := range 12 {
		fmt.Fprintf(&more, "  - code: BR%c\n    name: {ar: مركز سعادة المتعاملين - الفرع %d, en: Branch %d Customer Happiness Centre}\n    staff_chat: -10020000000%02d\n",
			'A'+i, i+1, i+1, i)
	}
	many := strings.Replace(string(example), "\ncentres:\n", "\ncentres:\n"+more.String(), 1)
	for _, tc := range []struct {
		name, yaml string
		pages      int // of the centre menu
	}{{"example", string(example), 1}, {"17 centres", many, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorldWith(t, tc.yaml)
			send := sendReplies(t)
			// question sends the reply of rs with buttons and returns the
			// rows of its list: id, and title / description.
			question := func(rs []bot.Reply) (ids, rows []string) {
				t.Helper()
				for _, r := range rs {
					if len(r.Buttons) == 0 {
						continue
					}
					r.Lang = citizen.lang
					c := send(r)
					if kind := whatsapptest.Str(c.Body, "interactive", "type"); kind != "list" {
						t.Fatalf("%q went as a %s; want a list", r.Text, kind)
					}
					for _, s := range whatsapptest.List(c.Body["interactive"].(map[string]any)["action"].(map[string]any)["sections"]) {
						for _, row := range whatsapptest.List(s["rows"]) {
							ids = append(ids, whatsapptest.Str(row, "id"))
							rows = append(rows, whatsapptest.Str(row, "title")+" / "+whatsapptest.Str(row, "description"))
						}
					}
					return ids, rows
				}
				t.Fatalf("no question in %v", rs)
				return nil, nil
			}
			rs := w.press(citizen, menuComplaint)
			var centres []string
			for page := 0; ; page++ {
				ids, rows := question(rs)
				if !slices.Contains(ids, flows.BtnCancel) {
					t.Errorf("centre page %d: no cancel in %v", page, rows)
				}
				next := ""
				for i, id := range ids {
					switch {
					case strings.HasPrefix(id, "wa:page:"):
						t.Errorf("centre page %d: the channel pages it again: %v", page, rows)
					case strings.HasPrefix(id, flows.PfxCentre):
						centres = append(centres, rows[i])
					case id == flows.PfxPage+strconv.Itoa(page+1):
						next = id
					}
				}
				if next == "" {
					if page+1 != tc.pages {
						t.Errorf("%d pages of centres; want %d", page+1, tc.pages)
					}
					break
				}
				rs = w.press(citizen, next)
			}
			seen := map[string]bool{}
			for _, c := range centres {
				title, _, _ := strings.Cut(c, " / ")
				if seen[title] || strings.HasPrefix(title, "مركز") {
					t.Errorf("centre row %q: want a title of its own, its district", c)
				}
				seen[title] = true
			}
			if len(centres) != len(w.h.cfg().Centres) {
				t.Errorf("%d centres offered; want %d", len(centres), len(w.h.cfg().Centres))
			}
			ids, rows := question(w.press(citizen, flows.PfxCentre+"KRM"))
			if !slices.Contains(ids, flows.BtnBack) || !slices.Contains(ids, flows.BtnCancel) {
				t.Errorf("the category question's first page %v has no back or cancel", rows)
			}
		})
	}
}
