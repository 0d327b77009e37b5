package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

const (
	// webDB is the Redis database of TestWebFiles.
	webDB = 10
	// webChatSecret turns the web chat on in serve: 32 bytes, in hex.
	webChatSecret = "7368616b77612d7765622d636861742d7365637265742d666f722d7465737473"
)

// TestWebFiles runs the program with the web chat on, against the Bot API
// double: a citizen on the web chat files a complaint with a photo
// uploaded from the page, a staff member claims it in the centre's
// Telegram group and receives the photo, uploaded with the citizen's very
// bytes; the staff member answers with a photo of their own, and the
// citizen's page gets a link that serves the staff member's very bytes.
func TestWebFiles(t *testing.T) {
	redisURL := testRedis(t, webDB)
	tg := telegramtest.NewServer(t, testToken)
	before := runtime.NumGoroutine()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": testToken, "TELEGRAM_API_URL": tg.URL(),
		"TELEGRAM_WEBHOOK_URL": hookURL, "TELEGRAM_WEBHOOK_SECRET": hookSecret,
		"WEB_CHAT_SECRET": webChatSecret, "REDIS_URL": redisURL,
		"HTTP_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug", "FILES_DIR": t.TempDir(),
	}
	addr, logs, stop := startProgram(t, env)
	base := "http://" + addr
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	h := &hook{url: base, client: &http.Client{Transport: transport, Timeout: waitFor}, api: tg}
	h.ids.Store(900_000)
	r := &reader{api: tg, read: map[int]bool{}, last: map[string]int{}}
	r.mark(tg.Wait(t, telegramtest.Match{Method: "setWebhook"}, waitFor))
	const group = "-1001" // KRM's staff, Fatima among them

	c := openWebChat(t, base, transport)
	photo := picture(t, "png", color.RGBA{200, 40, 40, 255})
	ticket := c.fileComplaint(photo)

	// Fatima claims it in the group, and gets the ticket and the photo,
	// uploaded from the file store with the citizen's bytes.
	card := r.next(t, "sendMessage", group)
	wantText(t, card, ticket)
	wantText(t, card, description)
	h.press(t, r, fatima, card, "claim:"+ticket)
	r.next(t, "editMessageText", group)
	ticketMsg := r.next(t, "sendMessage", fatima.chat())
	wantText(t, ticketMsg, ticket)
	sent := r.next(t, "sendPhoto", fatima.chat())
	if got := sent.Uploads["photo"]; !bytes.Equal(got, photo) {
		t.Errorf("the staff member got a photo of %d bytes (field %q); want the citizen's %d bytes, uploaded",
			len(got), sent.Fields["photo"], len(photo))
	}
	if working := c.next("being worked on"); !strings.Contains(working.Text, ticket) {
		t.Errorf("being worked on: got %q; want the ticket number in it", working.Text)
	}

	// Fatima answers with a photo; the citizen's page gets a link to it,
	// fetched from Telegram and served from the file store.
	receipt := picture(t, "jpeg", color.RGBA{40, 160, 80, 255})
	const fileID, caption = "AgAD-staff-receipt", "صورة إيصال الخدمة"
	tg.AddFile(fileID, receipt, "photos/receipt.jpg", false)
	h.send(t, h.message(fatima, map[string]any{"caption": caption, "reply_to_message": botMessage(ticketMsg),
		"photo": []map[string]any{{"file_id": fileID, "file_unique_id": "u-receipt", "width": 16, "height": 12,
			"file_size": len(receipt)}}}))
	link := c.photoLink(caption)
	got, ctype := c.file(link)
	if !bytes.Equal(got, receipt) {
		t.Errorf("the citizen's link %s served %d bytes; want the staff member's %d bytes", link, len(got), len(receipt))
	}
	if ctype != "image/jpeg" {
		t.Errorf("the citizen's link: Content-Type %q; want image/jpeg", ctype)
	}
	r.mark(tg.Wait(t, telegramtest.Match{Method: "getFile", Fields: map[string]string{"file_id": fileID}}, waitFor))
	wantText(t, r.next(t, "sendMessage", fatima.chat()), ticket) // sent

	// Fatima rejects it for missing information; the citizen's page says
	// why, with the button to add it, and what they add brings the ticket
	// back to her.
	h.press(t, r, fatima, ticketMsg, "reject:"+ticket)
	reasons := r.next(t, "sendMessage", fatima.chat())
	h.press(t, r, fatima, reasons, "reason:need_info")
	r.replaced(t, reasons) // a word for the citizen?
	h.send(t, h.text(fatima, "أرسل صورة التذكرة من فضلك"))
	wantText(t, r.next(t, "sendMessage", fatima.chat()), ticket) // rejected
	r.next(t, "editMessageText", group)
	rejected := c.next("the rejection")
	if !strings.Contains(rejected.Text, "معلومات غير كافية") || !strings.Contains(rejected.Text, "صورة التذكرة") {
		t.Errorf("the rejection on the page: %q; want the reason and Fatima's words", rejected.Text)
	}
	c.press(rejected, "amend:"+ticket)
	c.next("what is missing?")
	c.send(map[string]any{"text": "رقم تذكرتي ٤٥"})
	c.next("added")
	wantText(t, r.next(t, "sendMessage", fatima.chat()), "رقم تذكرتي ٤٥") // back with her
	r.next(t, "editMessageText", group)
	wantText(t, r.next(t, "sendMessage", fatima.chat()), ticket) // the ticket again
	r.next(t, "sendPhoto", fatima.chat())

	c.close()
	if err := stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	transport.CloseIdleConnections()
	r.checkAllRead(t)
	checkOutbox(t, redisURL)
	checkLog(t, logs)
	if strings.Contains(logs.String(), webChatSecret) {
		t.Errorf("the log shows WEB_CHAT_SECRET")
	}
	checkGoroutines(t, before)
}

// webChat is a citizen's browser on the web chat: a cookie jar for the
// session, and the chat's event stream, read as the page reads it.
type webChat struct {
	t      *testing.T
	base   string
	client *http.Client
	mails  chan webMail // what the bot says, in order
	sent   int          // numbers the page's ids of what the citizen sends
	close  func()       // ends the event stream and waits for its reader
}

// webMail is one message of the event stream, as the page renders it.
type webMail struct {
	Text        string                             `json:"text"`
	Buttons     [][]struct{ Label, Data string }   `json:"buttons"`
	AskContact  bool                               `json:"ask_contact"`
	Attachments []struct{ Kind, URL, Name string } `json:"attachments"`
	Mine        bool                               `json:"mine"`
}

// openWebChat opens /chat as a new visitor whose browser prefers Arabic,
// then follows the chat's events.
func openWebChat(t *testing.T, base string, transport http.RoundTripper) *webChat {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &webChat{t: t, base: base, client: &http.Client{Transport: transport, Jar: jar}, mails: make(chan webMail)}
	req, _ := http.NewRequest("GET", base+"/chat", nil)
	req.Header.Set("Accept-Language", "ar-AE,ar;q=0.9,en;q=0.5")
	if resp, _ := c.do(req); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /chat: got %d; want 200", resp.StatusCode)
	}
	// The stream has no deadline of its own: it lives until close, and
	// each wait for a message has one (next).
	ctx, cancel := context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, "GET", base+"/chat/api/events", nil)
	resp, err := c.client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /chat/api/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		t.Fatalf("GET /chat/api/events: got %d %q; want 200 and an event stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		c.read(ctx, resp.Body)
	}()
	c.close = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(c.close)
	return c
}

// fileComplaint has the citizen, greeted with the menu, file a complaint
// about waiting at KRM with the buttons, its description the caption of
// photo, uploaded from the page; it returns the ticket's id.
func (c *webChat) fileComplaint(photo []byte) string {
	c.t.Helper()
	c.press(c.next("the menu"), "menu:complaint")
	c.press(c.next("the centres"), "centre:KRM")
	c.press(c.next("the categories"), "cat:waiting")
	wantWebData(c.t, c.next("the description question"), "back", "cancel")
	c.upload("queue.png", photo, description)
	c.next("the photo is attached")
	ask := c.next("the phone question")
	if !ask.AskContact {
		c.t.Errorf("phone question %q: no share-phone button; want one", ask.Text)
	}
	wantWebData(c.t, ask, "skip")
	c.send(map[string]any{"phone": phone}) // as the page's share-phone form does
	review := c.next("the review")
	for _, part := range []string{description, phone, karama} {
		if !strings.Contains(review.Text, part) {
			c.t.Errorf("review %q; want %q in it", review.Text, part)
		}
	}
	c.press(review, "confirm")
	done := c.next("the ticket number")
	ticket := ticketIn(done.Text)
	if ticket == "" {
		c.t.Fatalf("no ticket number in %q", done.Text)
	}
	return ticket
}

// read passes on the bot's messages in the stream until it ends or ctx is
// done: the citizen's own messages, echoed back, and the "ready" event are
// left out.
func (c *webChat) read(ctx context.Context, body io.Reader) {
	defer close(c.mails)
	sc := bufio.NewScanner(body)
	sc.Buffer(nil, 1<<20)
	var name, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
			continue
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
			continue
		case line != "":
			continue // the event's id, or a heartbeat
		}
		event, raw := name, data
		name, data = "", ""
		if event != "" || raw == "" {
			continue // "ready", or the retry advice
		}
		var m webMail
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			m = webMail{Text: "unreadable event: " + raw}
		}
		if m.Mine {
			continue
		}
		m.Text = bot.Undirected(m.Text) // as read
		select {
		case c.mails <- m:
		case <-ctx.Done():
			return
		}
	}
}

// next waits for the bot's next message to the citizen; what says which
// message the test expects, for the log and for a failure.
func (c *webChat) next(what string) webMail {
	c.t.Helper()
	select {
	case m, ok := <-c.mails:
		if !ok {
			c.t.Fatalf("web chat: the event stream ended while waiting for %s", what)
		}
		c.t.Logf("web chat ← %s: %q %v %v", what, m.Text, m.Buttons, m.Attachments)
		return m
	case <-time.After(waitFor):
		c.t.Fatalf("web chat: no %s within %v", what, waitFor)
	}
	return webMail{}
}

// photoLink waits for the message that shows caption and returns the link
// to its photo, which may come with it or on its own just after it.
func (c *webChat) photoLink(caption string) string {
	c.t.Helper()
	m := c.next("the staff member's answer")
	if !strings.Contains(m.Text, caption) {
		c.t.Errorf("the staff member's answer: got %q; want the caption %q in it", m.Text, caption)
	}
	if len(m.Attachments) == 0 {
		m = c.next("the staff member's photo")
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Kind != "photo" || m.Attachments[0].URL == "" {
		c.t.Fatalf("the staff member's photo: got attachments %+v; want one photo with a link", m.Attachments)
	}
	return m.Attachments[0].URL
}

// press has the citizen press the button data on m.
func (c *webChat) press(m webMail, data string) {
	c.t.Helper()
	wantWebData(c.t, m, data)
	c.send(map[string]any{"button": data})
}

// send posts msg to /chat/api/send with a fresh id and the page's
// language, and wants it accepted.
func (c *webChat) send(msg map[string]any) {
	c.t.Helper()
	c.sent++
	msg["id"], msg["lang"] = fmt.Sprintf("page-%d", c.sent), "ar"
	body, err := json.Marshal(msg)
	if err != nil {
		c.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", c.base+"/chat/api/send", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if resp, answer := c.do(req); resp.StatusCode != http.StatusNoContent {
		c.t.Fatalf("POST /chat/api/send %s: got %d %q; want 204", body, resp.StatusCode, answer)
	}
}

// upload sends a file with a caption as the page does, multipart, and
// wants it accepted.
func (c *webChat) upload(name string, data []byte, caption string) {
	c.t.Helper()
	c.sent++
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range [][2]string{{"id", fmt.Sprintf("page-%d", c.sent)}, {"lang", "ar"}, {"caption", caption}} {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			c.t.Fatal(err)
		}
	}
	w, err := mw.CreateFormFile("file", name)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		c.t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", c.base+"/chat/api/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, answer := c.do(req); resp.StatusCode != http.StatusNoContent {
		c.t.Fatalf("POST /chat/api/upload: got %d %q; want 204", resp.StatusCode, answer)
	}
}

// file opens link, a path on the chat's server, and returns its bytes and
// type.
func (c *webChat) file(link string) ([]byte, string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+link, nil)
	resp, data := c.do(req)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("GET %s: got %d; want 200", link, resp.StatusCode)
	}
	return data, resp.Header.Get("Content-Type")
}

// do sends req with the session, within waitFor, and returns the answer
// and its body, read whole.
func (c *webChat) do(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), waitFor)
	defer cancel()
	resp, err := c.client.Do(req.WithContext(ctx))
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp, data
}

// wantWebData wants a button for each data on m, as wantData does on
// Telegram.
func wantWebData(t *testing.T, m webMail, data ...string) {
	t.Helper()
	var got []string
	for _, row := range m.Buttons {
		for _, b := range row {
			got = append(got, b.Data)
		}
	}
	for _, d := range data {
		if !slices.Contains(got, d) {
			t.Fatalf("web chat message %q: got buttons %v; want one with data %q", m.Text, got, d)
		}
	}
}

// picture is a small image of one colour, encoded as a real file of
// format "png" or "jpeg", so that the upload's type is sniffed as a
// photo's.
func picture(t *testing.T, format string, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := range 12 {
		for x := range 16 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
