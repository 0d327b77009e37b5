package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
	"github.com/shakwa/shakwa/internal/golden"
)

const (
	waToken   = "EAAG-program-test-token"
	waPhoneID = "106540352242922"
	waSecret  = "program-app-secret"
	waVerify  = "program-verify-token"
	waDB      = 9
)

// TestWhatsApp runs the program with WhatsApp on, against the Graph API
// and Bot API doubles: a citizen on WhatsApp files a complaint with a
// photo, a staff member on Telegram claims it and receives the photo,
// they talk, it is resolved and rated. One conversation in Arabic, one in
// English, side by side; each is kept as a transcript of both sides in
// testdata/whatsapp_*.golden (`-update` rewrites them).
func TestWhatsApp(t *testing.T) {
	redisURL := testRedis(t, waDB)
	tg := telegramtest.NewServer(t, testToken)
	wa := whatsapptest.NewServer(t, waToken, waPhoneID)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": tg.URL(),
		"TELEGRAM_WEBHOOK_URL": hookURL, "TELEGRAM_WEBHOOK_SECRET": hookSecret,
		"WHATSAPP_TOKEN": waToken, "WHATSAPP_PHONE_NUMBER_ID": waPhoneID, "WHATSAPP_APP_SECRET": waSecret,
		"WHATSAPP_VERIFY_TOKEN": waVerify, "WHATSAPP_API_URL": wa.URL(),
		"REDIS_URL": redisURL, "HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug", "FILES_DIR": t.TempDir(),
	}
	addr, logs, stop := startProgram(t, env)
	base := "http://" + addr
	client := &http.Client{Transport: &http.Transport{}, Timeout: waitFor}
	defer client.CloseIdleConnections()
	h := &hook{url: base, client: client, api: tg}
	h.ids.Store(800_000)
	r := &reader{api: tg, read: map[int]bool{}, last: map[string]int{}}

	// Meta's verification of the webhook.
	resp, err := client.Get(base + "/whatsapp/webhook?hub.mode=subscribe&hub.challenge=42&hub.verify_token=" + waVerify)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("webhook verification: %v, %v", resp, err)
	}
	resp.Body.Close()

	// Media downloads take a second: long for a webhook to wait.
	wa.Delay("media-download", time.Second)
	t.Run("conversations", func(t *testing.T) {
		for _, tc := range []struct {
			lang, golden string
			citizen      waPerson
			staff        person
			centre       string
			group        string
		}{
			{"ar", "whatsapp_ar.golden", waPerson{"971501111111", "سالم"}, fatima, "KRM", "-1001"},
			{"en", "whatsapp_en.golden", waPerson{"971502222222", "Sara"}, person{113, "Maryam", "en"}, "BRS", "-1002"},
		} {
			t.Run(tc.lang, func(t *testing.T) {
				t.Parallel()
				c := &waConversation{t: t, base: base, client: client, wa: wa, tg: tg, h: h, r: r,
					citizen: tc.citizen, staff: tc.staff, group: tc.group}
				c.run(tc.lang, tc.centre)
				golden.Check(t, tc.golden, c.script.String())
			})
		}
	})
	t.Run("errors for the business number are counted", func(t *testing.T) {
		body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{` +
			`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"` + waPhoneID + `"},` +
			`"errors":[{"code":131031,"title":"Account has been locked","message":"Account has been locked"}]}}]}]}`)
		req, _ := http.NewRequest("POST", base+"/whatsapp/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Hub-Signature-256", whatsapptest.Sign(body, waSecret))
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("webhook: %v, %v", resp, err)
		}
		resp.Body.Close()
		resp, err = client.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `shakwa_platform_errors_total{channel="whatsapp",code="131031"} 1`; !strings.Contains(string(b), want) {
			t.Errorf("/metrics has no %s", want)
		}
	})
	t.Run("half configured", func(t *testing.T) {
		env := map[string]string{"TELEGRAM_BOT_TOKEN": testToken, "WHATSAPP_TOKEN": "x", "WHATSAPP_APP_SECRET": "y"}
		err := run(t.Context(), []string{"serve", "-config", testConfig}, func(k string) string { return env[k] }, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "WHATSAPP_PHONE_NUMBER_ID") || !strings.Contains(err.Error(), "WHATSAPP_VERIFY_TOKEN") {
			t.Errorf("run with half the WhatsApp variables: %v; want an error naming the missing ones", err)
		}
	})
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	checkLog(t, logs, "whatsapp reported an error for the business number") // the one posted
	for _, line := range logs.lines() {
		for _, secret := range []string{waToken, waSecret, "971501111111", "971502222222"} {
			if strings.Contains(line, secret) {
				t.Errorf("log line shows %q: %s", secret, line)
			}
		}
	}
}

// waPerson is a citizen on WhatsApp.
type waPerson struct{ number, name string }

// waConversation drives one conversation and writes its transcript.
type waConversation struct {
	t       *testing.T
	base    string
	client  *http.Client
	wa      *whatsapptest.Server
	tg      *telegramtest.Server
	h       *hook
	r       *reader
	citizen waPerson
	staff   person
	group   string
	last    int // Seq of the last WhatsApp call read
	script  strings.Builder
}

var waIDs atomic.Int64

// post sends Meta's notification of a message from the citizen.
func (c *waConversation) post(what string, m map[string]any) {
	c.t.Helper()
	fmt.Fprintf(&c.script, "\n%s (whatsapp) %s\n", c.citizen.name, what)
	c.wa.Inbound(c.citizen.number, time.Now())
	body := whatsapptest.Envelope(waPhoneID, whatsapptest.Inbound(c.citizen.number, c.citizen.name, m))
	req, _ := http.NewRequest("POST", c.base+"/whatsapp/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", whatsapptest.Sign(body, waSecret))
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		c.t.Fatalf("webhook: %d", resp.StatusCode)
	}
}

func (c *waConversation) id() string { return fmt.Sprintf("wamid.IN%06d", waIDs.Add(1)) }

// next waits for the bot's next WhatsApp message to the citizen and writes
// it down.
func (c *waConversation) next() whatsapptest.Call {
	c.t.Helper()
	call := c.wa.Wait(c.t, whatsapptest.Match{Method: "messages", To: c.citizen.number, After: c.last, Sent: true}, waitFor)
	c.last = call.Seq
	c.write("← whatsapp", call.Type, waText(call))
	return call
}

// tgNext waits for the bot's next Telegram message of method to chat.
func (c *waConversation) tgNext(method, chat string) telegramtest.Call {
	c.t.Helper()
	call := c.r.next(c.t, method, chat)
	text := call.Text()
	for _, row := range call.Buttons() {
		var labels []string
		for _, b := range row {
			labels = append(labels, "["+b.Text+"]")
		}
		text += "\n" + strings.Join(labels, " ")
	}
	if call.Method == "sendPhoto" {
		text = "📎 photo " + mask(call.Fields["photo"])
		if len(call.Uploads["photo"]) > 0 {
			text += fmt.Sprintf(" (uploaded, %d bytes)", len(call.Uploads["photo"]))
		}
		if caption := call.Caption(); caption != "" {
			text = caption + "\n" + text
		}
	}
	c.write("→ telegram "+chat, call.Method, text)
	return call
}

func (c *waConversation) write(who, kind, text string) {
	fmt.Fprintf(&c.script, "%s (%s)\n", who, kind)
	for line := range strings.SplitSeq(mask(text), "\n") {
		fmt.Fprintf(&c.script, "   %s\n", line)
	}
}

// waText renders a WhatsApp message as its reader sees it: the text, then
// the buttons, or the list's button and rows.
func waText(call whatsapptest.Call) string {
	var b strings.Builder
	b.WriteString(call.Text())
	in, _ := call.Body["interactive"].(map[string]any)
	act, _ := in["action"].(map[string]any)
	switch in["type"] {
	case "button":
		b.WriteString("\n")
		for _, t := range call.Titles() {
			b.WriteString("[" + t + "] ")
		}
	case "list":
		fmt.Fprintf(&b, "\n☰ %v", act["button"])
		for _, s := range whatsapptest.List(act["sections"]) {
			for _, row := range whatsapptest.List(s["rows"]) {
				fmt.Fprintf(&b, "\n   • %v", row["title"])
				if d, ok := row["description"]; ok {
					fmt.Fprintf(&b, " — %v", d)
				}
			}
		}
	}
	if call.Type == "image" || call.Type == "document" {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("📎 " + call.Type + " (uploaded)")
	}
	return strings.TrimRight(b.String(), " ")
}

// mask hides what differs from run to run: times, durations since, file
// ids.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}`), "<time>"},
	{regexp.MustCompile(`\((منذ|since) [^)]*\)`), "(<age>)"},
	{regexp.MustCompile(`up-\d+`), "<file>"},
}

func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// choose presses the choice id on the bot's message on: a reply button or
// a list row, as WhatsApp sends each.
func (c *waConversation) choose(on whatsapptest.Call, id string) {
	c.t.Helper()
	ids := on.Choices()
	i := -1
	for j, x := range ids {
		if x == id {
			i = j
		}
	}
	if i < 0 {
		c.t.Fatalf("no choice %q in %v", id, ids)
	}
	title := on.Titles()[i]
	what := "chooses «" + title + "»"
	if whatsapptest.Str(on.Body, "interactive", "type") == "button" {
		c.post(what, whatsapptest.ButtonReply(c.citizen.number, c.id(), time.Now(), on.ID, id, title))
		return
	}
	c.post(what, whatsapptest.ListReply(c.citizen.number, c.id(), time.Now(), on.ID, id, title))
}

// staffPress has the staff member press data on call, and waits for the
// press to be answered.
func (c *waConversation) staffPress(on telegramtest.Call, data string) {
	c.t.Helper()
	fmt.Fprintf(&c.script, "\n%s (telegram %s) presses %s\n", c.staff.name, on.ChatID(), data)
	c.h.press(c.t, c.r, c.staff, on, data)
}

func (c *waConversation) staffSays(msg map[string]any, what string) {
	c.t.Helper()
	fmt.Fprintf(&c.script, "\n%s (telegram) %s\n", c.staff.name, what)
	c.h.send(c.t, msg)
}

// run is the conversation.
func (c *waConversation) run(lang, centre string) {
	t := c.t
	words := map[string]map[string]string{
		"ar": {"hi": "مرحبا", "desc": "انتظرت أكثر من ساعتين في قاعة الانتظار، ونظام الأرقام متوقف.",
			"answer": "نعم ما زلت هنا، رقمي ٤٥", "staff": "نعتذر عن التأخير، هل ما زلت في المركز؟",
			"resolution": "تم إصلاح نظام النداء وخدمة المتعامل.", "receipt": "صورة إيصال الخدمة"},
		"en": {"hi": "hello", "desc": "I waited more than two hours and the queue screen was off.",
			"answer": "Yes, still here, my number is 45", "staff": "We are sorry for the wait. Are you still at the centre?",
			"resolution": "The queue system was fixed and the citizen served.", "receipt": "A photo of the service receipt"},
	}[lang]
	photo := append([]byte("\xff\xd8\xff\xe0 a photo of the queue "), []byte(lang)...)
	mediaID := "media-" + lang
	c.wa.AddMedia(mediaID, photo, "image/jpeg")

	c.post("writes «"+words["hi"]+"»", whatsapptest.Text(c.citizen.number, c.id(), time.Now(), words["hi"]))
	menu := c.next()
	if lang == "en" {
		c.choose(menu, "menu:lang")
		c.choose(c.next(), "lang:en")
		menu = c.next()
	}
	c.choose(menu, "menu:complaint")
	c.choose(c.next(), "centre:"+centre)
	c.choose(c.next(), "cat:waiting")
	c.next() // describe it
	// The photo's download is slow (see TestWhatsApp): the webhook answers
	// before it ends, and the contact card the citizen sends at once
	// waits behind the photo, to be taken as the answer to what follows
	// the photo.
	c.post("sends a photo with a caption", whatsapptest.Media(c.citizen.number, c.id(), time.Now(), "image", mediaID, "image/jpeg",
		map[string]any{"caption": words["desc"]}))
	for _, d := range c.wa.Calls(whatsapptest.Match{Method: "media-download"}) {
		if d.ID == mediaID {
			t.Errorf("the photo was downloaded before the webhook answered; want the answer first")
		}
	}
	card := map[string]any{"name": map[string]any{"formatted_name": c.citizen.name},
		"phones": []any{map[string]any{"phone": "+" + c.citizen.number, "wa_id": c.citizen.number, "type": "MOBILE"}}}
	c.post("shares a contact card at once", whatsapptest.Message(c.citizen.number, c.id(), time.Now(), "contacts", []any{card}))
	c.next() // the photo is attached
	c.next() // the phone question
	review := c.next()
	c.choose(review, "confirm")
	done := c.next()
	ticket := ticketIn(done.Text())
	if ticket == "" {
		t.Fatalf("no ticket number in %q", done.Text())
	}
	cardMsg := c.tgNext("sendMessage", c.group)

	// The staff member claims it and gets the ticket, with the photo.
	c.staffPress(cardMsg, "claim:"+ticket)
	c.tgNext("editMessageText", c.group)
	ticketMsg := c.tgNext("sendMessage", c.staff.chat())
	photoMsg := c.tgNext("sendPhoto", c.staff.chat())
	if !bytes.Equal(photoMsg.Uploads["photo"], photo) {
		t.Errorf("the staff member got photo %q; want the citizen's bytes, uploaded", photoMsg.Uploads["photo"])
	}
	c.next() // being worked on

	c.staffSays(c.h.message(c.staff, map[string]any{"text": words["staff"], "reply_to_message": botMessage(ticketMsg)}),
		"replies to the ticket: «"+words["staff"]+"»")
	reply := c.next()
	c.tgNext("sendMessage", c.staff.chat()) // sent
	c.post("answers, quoting it: «"+words["answer"]+"»",
		whatsapptest.ReplyTo(whatsapptest.Text(c.citizen.number, c.id(), time.Now(), words["answer"]), reply.ID))
	c.next() // added to the ticket
	c.tgNext("sendMessage", c.staff.chat())

	// The staff member answers with a photo: it reaches the citizen on
	// WhatsApp, fetched from Telegram and uploaded to Meta.
	staffPhoto := append([]byte("\xff\xd8\xff\xe0 the staff's receipt "), []byte(lang)...)
	fileID := "AgAD-staff-" + lang
	c.tg.AddFile(fileID, staffPhoto, "photos/"+fileID+".jpg", false)
	c.staffSays(c.h.message(c.staff, map[string]any{"caption": words["receipt"], "reply_to_message": botMessage(ticketMsg),
		"photo": []map[string]any{{"file_id": fileID, "file_unique_id": "u" + lang, "width": 800, "height": 600, "file_size": len(staffPhoto)}}}),
		"answers with a photo: «"+words["receipt"]+"»")
	c.next() // the caption, as the staff's answer
	image := c.next()
	if data, _ := c.wa.Media(whatsapptest.Str(image.Body, "image", "id")); !bytes.Equal(data, staffPhoto) {
		t.Errorf("the citizen got image %q; want the staff member's photo", data)
	}
	c.tgNext("sendMessage", c.staff.chat()) // sent

	c.staffPress(ticketMsg, "close:"+ticket)
	c.tgNext("sendMessage", c.staff.chat()) // the resolution question
	c.staffSays(c.h.text(c.staff, words["resolution"]), "writes the resolution «"+words["resolution"]+"»")
	c.tgNext("sendMessage", c.staff.chat())
	c.tgNext("editMessageText", c.group)
	rating := c.next()
	c.choose(rating, "rate:"+ticket+":5")
	c.next() // thanks
	c.tgNext("sendMessage", c.staff.chat())

	// A second complaint, of another kind, withdrawn from its view.
	c.post("writes «"+words["hi"]+"»", whatsapptest.Text(c.citizen.number, c.id(), time.Now(), words["hi"]))
	c.choose(c.next(), "menu:complaint")
	c.choose(c.next(), "centre:"+centre)
	c.choose(c.next(), "cat:conduct")
	c.next() // describe it
	c.post("writes «"+words["desc"]+"»", whatsapptest.Text(c.citizen.number, c.id(), time.Now(), words["desc"]))
	c.choose(c.next(), "skip")
	c.choose(c.next(), "confirm")
	second := ticketIn(c.next().Text())
	c.tgNext("sendMessage", c.group) // its card
	c.post("writes «"+second+"»", whatsapptest.Text(c.citizen.number, c.id(), time.Now(), second))
	c.choose(c.next(), "withdraw:"+second)
	c.choose(c.next(), "withdrawn:"+second)
	c.next() // withdrawn
	c.tgNext("editMessageText", c.group)

	if reads := c.wa.Calls(whatsapptest.Match{Method: "read"}); len(reads) == 0 {
		t.Errorf("no inbound message marked as read")
	}
}
