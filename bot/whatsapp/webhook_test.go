package whatsapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
)

func TestVerify(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, mode, token string
		want              int
	}{
		{"right token", "subscribe", testVerify, 200},
		{"wrong token", "subscribe", "guess", 403},
		{"token one byte longer", "subscribe", testVerify + "x", 403},
		{"no token", "subscribe", "", 403},
		{"other mode", "unsubscribe", testVerify, 403},
	} {
		q := url.Values{"hub.mode": {tc.mode}, "hub.verify_token": {tc.token}, "hub.challenge": {"1158201444"}}
		resp, err := http.Get(h.hook.URL + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || tc.want == 200 && string(body) != "1158201444" {
			t.Errorf("%s: got %d %q; want %d (and the challenge on 200)", tc.name, resp.StatusCode, body, tc.want)
		}
	}
}

// TestSignature: a notification whose signature is missing or is not that
// of its raw bytes is refused with 401 and changes nothing.
func TestSignature(t *testing.T) {
	h := newHarness(t)
	body := whatsapptest.Envelope(testPhoneID, whatsapptest.Inbound(citizen, "Salem",
		whatsapptest.Text(citizen, "wamid.sig1", t0, "مرحبا — hello")))
	right := whatsapptest.Sign(body, testSecret)
	flipped := bytes.Clone(body)
	flipped[len(flipped)/2] ^= 0x01
	var v any
	json.Unmarshal(body, &v)
	reserialised, _ := json.MarshalIndent(v, "", " ")
	for _, tc := range []struct {
		name string
		body []byte
		sig  string
	}{
		{"missing", body, ""},
		{"wrong secret", body, whatsapptest.Sign(body, "other secret")},
		{"not hex", body, "sha256=zz"},
		{"no prefix", body, strings.TrimPrefix(right, "sha256=")},
		{"sha1 form", body, "sha1=" + strings.TrimPrefix(right, "sha256=")[:40]},
		{"one byte of the body changed", flipped, right},
		{"body re-serialised", reserialised, right},
	} {
		if got := h.post(tc.body, tc.sig); got != http.StatusUnauthorized {
			t.Errorf("%s: got %d; want 401", tc.name, got)
		}
	}
	if n := len(h.got.list()); n != 0 {
		t.Fatalf("%d messages delivered from refused notifications; want none", n)
	}
	if got := h.post(body, right); got != 200 {
		t.Errorf("signed rightly: got %d; want 200", got)
	}
	if ms := h.got.list(); len(ms) != 1 || ms[0].Text != "مرحبا — hello" {
		t.Errorf("delivered %v; want the text once", ms)
	}
}

func TestWebhookBodies(t *testing.T) {
	h := newHarness(t)
	big := bytes.Repeat([]byte("x"), maxNotification+1)
	if got := h.post(big, whatsapptest.Sign(big, testSecret)); got != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 4 MB: got %d; want 413", got)
	}
	for _, body := range [][]byte{[]byte("{not json"), []byte(`{"object":"page","entry":[]}`)} {
		if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusBadRequest {
			t.Errorf("%s: got %d; want 400", body, got)
		}
	}
	req, _ := http.NewRequest("PUT", h.hook.URL, nil)
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: got %d; want 405", resp.StatusCode)
	}
	// Another business number's notification is none of ours.
	body := whatsapptest.Envelope("999", whatsapptest.Inbound(citizen, "x", whatsapptest.Text(citizen, "wamid.o", t0, "hi")))
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != 200 || len(h.got.list()) != 0 {
		t.Errorf("another number: got %d and %d messages; want 200 and none", got, len(h.got.list()))
	}
}

// TestBatches: one notification with several changes and messages is
// delivered in order; if one cannot be made safe the answer is 500, and
// when Meta sends it all again, what was delivered is dropped downstream
// as a copy (same ids).
func TestBatches(t *testing.T) {
	h := newHarness(t)
	other := "971509999999"
	h.api.Inbound(other, t0)
	body := whatsapptest.Envelope(testPhoneID,
		whatsapptest.Inbound(citizen, "Salem",
			whatsapptest.Text(citizen, "wamid.b1", t0, "one"),
			whatsapptest.Text(citizen, "wamid.b2", t0, "two")),
		whatsapptest.Inbound(other, "Sara", whatsapptest.Text(other, "wamid.b3", t0, "three")),
		whatsapptest.Statuses(whatsapptest.Status("wamid.out1", "delivered", citizen, t0, 0, "")))
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != 200 {
		t.Fatalf("got %d", got)
	}
	var texts []string
	for _, m := range h.got.list() {
		texts = append(texts, m.Chat+":"+m.Text+":"+m.ID)
	}
	want := []string{citizen + ":one:wa:wamid.b1", citizen + ":two:wa:wamid.b2", other + ":three:wa:wamid.b3"}
	if strings.Join(texts, " ") != strings.Join(want, " ") {
		t.Errorf("delivered %v; want %v", texts, want)
	}
	if len(h.status) != 1 || h.status[0] != "wamid.out1 delivered" {
		t.Errorf("statuses %v; want the delivered report", h.status)
	}
	if len(h.out.wrote) != 3 || h.out.wrote[0] != "whatsapp:"+citizen {
		t.Errorf("windows opened %v; want one per message, before it is delivered", h.out.wrote)
	}
	h.got.fail = errors.New("redis down")
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusInternalServerError {
		t.Errorf("delivery failing: got %d; want 500 so that Meta sends it again", got)
	}
}

// longList sends a list of 20 choices and returns its first page.
func (h *harness) longList() whatsapptest.Call {
	h.t.Helper()
	var labels []string
	for i := range 20 {
		labels = append(labels, fmt.Sprintf("الفئة رقم %d", i+1))
	}
	calls, _, err := h.send(bot.Reply{Text: "ما نوع الشكوى؟", Lang: "ar", Buttons: buttonsOf(labels...)})
	if err != nil || len(calls) != 1 || len(calls[0].Choices()) != 10 {
		h.t.Fatalf("long list: %v, %v; want one list of 10 rows", calls, err)
	}
	return calls[0]
}

// TestPageTurnFailures: a page Meta will never take is no reason for Meta
// to send the press again for days: it goes to the bot, as an old button,
// and the log says so without the person's number. What may pass (Meta
// for a while, our storage, a token to renew) has Meta send it again, and
// then the page goes.
func TestPageTurnFailures(t *testing.T) {
	isPage := func(c whatsapptest.Call) bool { return c.Type == "interactive" }
	for _, tc := range []struct {
		name   string
		script func(h *harness)
		heal   func(h *harness)
		want   int // the webhook's answer
	}{
		{"meta refuses the page for good", func(h *harness) {
			h.api.Fail(isPage, 400, 131009, "Parameter value is not valid")
		}, nil, 200},
		{"meta refuses the recipient", func(h *harness) {
			h.api.Fail(isPage, 400, 131030, "Recipient phone number not in allowed list")
		}, nil, 200},
		{"meta fails for a while", func(h *harness) {
			h.api.Fail(isPage, 500, 2, "Service temporarily unavailable")
		}, nil, 500},
		{"meta throttles", func(h *harness) {
			h.api.Answer(isPage, 429, http.Header{"Retry-After": {"3"}}, "Too Many Requests")
		}, nil, 500},
		{"the access token is refused", func(h *harness) {
			h.api.Fail(isPage, 401, 190, "Invalid OAuth access token")
		}, nil, 500},
		{"the page store is out of reach", func(h *harness) {
			h.pages.failing(errors.New("dial tcp 10.0.0.5:6379: connect: connection refused"))
		}, func(h *harness) { h.pages.failing(nil) }, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			first := h.longList()
			next := first.Choices()[9]
			body := whatsapptest.Envelope(testPhoneID, whatsapptest.Inbound(citizen, "x",
				whatsapptest.ListReply(citizen, "wamid.turn", t0, first.ID, next, "التالي")))
			tc.script(h)
			if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != tc.want {
				t.Fatalf("webhook: got %d; want %d", got, tc.want)
			}
			pages := func() int {
				return len(h.api.Calls(whatsapptest.Match{To: citizen, Type: "interactive", After: first.Seq, Sent: true}))
			}
			if tc.want == 200 {
				if ms := h.got.list(); len(ms) != 1 || ms[0].Button != next || ms[0].ID != "wa:wamid.turn" {
					t.Errorf("delivered %v; want the press, for the bot to say the buttons are old", ms)
				}
				logs := h.logs.String()
				if !strings.Contains(logs, "long list page refused") || strings.Contains(logs, citizen) {
					t.Errorf("log %q; want the refusal said, without the number", logs)
				}
				return
			}
			if n := len(h.got.list()); n != 0 || pages() != 0 {
				t.Errorf("%d messages delivered, %d pages sent; want neither until it passes", n, pages())
			}
			if tc.heal != nil {
				tc.heal(h)
			}
			if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != 200 {
				t.Fatalf("sent again: got %d; want 200", got)
			}
			if n := len(h.got.list()); n != 0 || pages() != 1 {
				t.Errorf("sent again: %d messages delivered, %d pages sent; want the page only", n, pages())
			}
		})
	}
}

// TestPageTurnOnce: a press of next that Meta delivers twice brings the
// page once, and is marked as read.
func TestPageTurnOnce(t *testing.T) {
	h := newHarness(t)
	h.run()
	first := h.longList()
	press := func() map[string]any {
		return whatsapptest.Inbound(citizen, "x", whatsapptest.ListReply(citizen, "wamid.twice", t0, first.ID, first.Choices()[9], "التالي"))
	}
	h.notify(press())
	h.notify(press())
	pages := h.api.Calls(whatsapptest.Match{To: citizen, Type: "interactive", After: first.Seq})
	if len(pages) != 1 {
		t.Errorf("%d pages sent for one press delivered twice; want 1", len(pages))
	}
	if read := h.api.Wait(t, whatsapptest.Match{Method: "read"}, 5*time.Second); read.ID != "wamid.twice" {
		t.Errorf("read receipt for %q; want the press", read.ID)
	}
	if ms := h.got.list(); len(ms) != 0 {
		t.Errorf("the press reached the bot: %v", ms)
	}
	// Two copies at once, the page slow to go: one sends it.
	h.api.Delay("messages", 300*time.Millisecond)
	both := func() map[string]any {
		return whatsapptest.Inbound(citizen, "x", whatsapptest.ListReply(citizen, "wamid.together", t0, first.ID, first.Choices()[9], "التالي"))
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { h.notify(both()) })
	}
	wg.Wait()
	h.api.Delay("messages", 0)
	if n := len(h.api.Calls(whatsapptest.Match{To: citizen, Type: "interactive", After: first.Seq})); n != 2 {
		t.Errorf("two copies at once: %d pages in all; want 2 (one a press)", n)
	}
	// Another press of the same row is another message: its page goes.
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.ListReply(citizen, "wamid.again", t0, first.ID, first.Choices()[9], "التالي")))
	if n := len(h.api.Calls(whatsapptest.Match{To: citizen, Type: "interactive", After: first.Seq})); n != 3 {
		t.Errorf("another press: %d pages in all; want 3", n)
	}
}

// TestInboundWithoutFrom: with business-scoped user ids, a person with a
// username may write with no phone number in "from", only the BSUID. Such
// messages are not delivered (all would share the chat "whatsapp:"):
// they are counted and logged at WARN with nothing of the person, and the
// rest of the notification goes on.
func TestInboundWithoutFrom(t *testing.T) {
	h := newHarness(t)
	for i, bsuid := range []string{"AE.111111111111111111", "AE.222222222222222222"} {
		body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{` +
			`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"` + testPhoneID + `"},` +
			`"contacts":[{"profile":{"name":"Salem","username":"@salem` + fmt.Sprint(i) + `"},"user_id":"` + bsuid + `"}],` +
			`"messages":[{"from_user_id":"` + bsuid + `","id":"wamid.nofrom` + fmt.Sprint(i) + `","timestamp":"1750000000","type":"text","text":{"body":"أريد تقديم شكوى"}},` +
			`{"from":"` + citizen + `","id":"wamid.withfrom` + fmt.Sprint(i) + `","timestamp":"1750000001","type":"text","text":{"body":"مرحبا"}}]}}]}]}`)
		if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusOK {
			t.Fatalf("webhook: got %d; want 200 (Meta must not send it again)", got)
		}
	}
	var chats []string
	for _, m := range h.got.list() {
		chats = append(chats, m.Chat+":"+m.ID)
	}
	if want := citizen + ":wa:wamid.withfrom0 " + citizen + ":wa:wamid.withfrom1"; strings.Join(chats, " ") != want {
		t.Errorf("delivered %v; want only the messages with a sender: %s", chats, want)
	}
	h.out.mu.Lock()
	wrote := slices.Clone(h.out.wrote)
	h.out.mu.Unlock()
	if slices.Contains(wrote, "whatsapp:") {
		t.Errorf("outbox told of windows %q; want none for chat %q", wrote, "whatsapp:")
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "level=WARN msg=\"inbound message without a sender"); n != 2 || !strings.Contains(logs, "skipped=2") {
		t.Errorf("log:\n%s\nwant two WARN lines, counting to 2", logs)
	}
	for _, personal := range []string{"AE.1111", "AE.2222", "salem", "Salem", "شكوى"} {
		if strings.Contains(logs, personal) {
			t.Errorf("log holds %q:\n%s", personal, logs)
		}
	}
}

// TestWebhookValueErrors: an error Meta reports for the business number
// (value.errors, no message) is logged and counted by its code, and the
// notification is taken.
func TestWebhookValueErrors(t *testing.T) {
	h := newHarness(t)
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"` + testPhoneID + `"},` +
		`"errors":[{"code":131000,"title":"Something went wrong","message":"Something went wrong for +971501234567",` +
		`"error_data":{"details":"+971501234567"}}]}}]}]}`)
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusOK {
		t.Fatalf("webhook: got %d; want 200", got)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "code=131000") || strings.Contains(logs, "971501234567") {
		t.Errorf("log:\n%s\nwant an ERROR line with the code and nothing of Meta's words", logs)
	}
	if !slices.Equal(h.reported, []int{131000}) {
		t.Errorf("reported %v; want [131000]", h.reported)
	}
}
