package whatsapp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
)

// inboundCases are Meta's documented message payloads (see the webhook
// reference), each with what the bot should make of it. They seed the
// fuzz test too.
var inboundCases = []struct {
	name string
	msg  string // the message object, verbatim in shape
	want string // "nil", or the fields of the Message: see describe
}{
	{"text", `{"from":"971501234567","id":"wamid.t1","timestamp":"1749416383","type":"text","text":{"body":"أريد تقديم شكوى"}}`,
		"text=أريد تقديم شكوى"},
	{"button reply", `{"context":{"from":"15550783881","id":"wamid.ours1"},"from":"971501234567","id":"wamid.t2","timestamp":"1750025136","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"menu:complaint","title":"📝 تقديم شكوى"}}}`,
		"button=menu:complaint replyTo=wamid.ours1"},
	{"list reply", `{"context":{"from":"15550783881","id":"wamid.ours2"},"from":"971501234567","id":"wamid.t3","timestamp":"1749854575","type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"centre:KRM","title":"مركز سعادة المتعاملين","description":"الكرامة"}}}`,
		"button=centre:KRM replyTo=wamid.ours2"},
	{"template quick reply", `{"context":{"from":"15550783881","id":"wamid.tpl"},"from":"971501234567","id":"wamid.t4","timestamp":"1750091045","type":"button","button":{"payload":"wa:resume","text":"عرض"}}`,
		"nil"}, // it opens the window (TestWindow); the bot is asked nothing
	{"image with caption", `{"from":"971501234567","id":"wamid.t5","timestamp":"1744344496","type":"image","image":{"caption":"صورة الطابور","mime_type":"image/jpeg","sha256":"SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=","id":"1003383421387256"}}`,
		"text=صورة الطابور file=photo:image/jpeg"},
	{"document", `{"from":"971501234567","id":"wamid.t6","timestamp":"1744344496","type":"document","document":{"filename":"إيصال.pdf","mime_type":"application/pdf","sha256":"x","id":"2003383421387256"}}`,
		"file=document:application/pdf:إيصال.pdf"},
	{"voice note", `{"from":"971501234567","id":"wamid.t7","timestamp":"1744344496","type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"x","id":"3003383421387256","voice":true}}`,
		"file=audio:audio/ogg"},
	{"video", `{"from":"971501234567","id":"wamid.t8","timestamp":"1744344496","type":"video","video":{"caption":"","mime_type":"video/mp4","sha256":"x","id":"4003383421387256"}}`,
		"file=video:video/mp4"},
	{"media Meta no longer has", `{"from":"971501234567","id":"wamid.t9","timestamp":"1744344496","type":"image","image":{"mime_type":"image/jpeg","sha256":"x","id":"gone"}}`,
		"unsupported=file_unavailable"},
	{"media over 100 MB", `{"from":"971501234567","id":"wamid.t10","timestamp":"1744344496","type":"document","errors":[{"code":131052,"title":"Media file size too big. Max file size we currently support: 100MB."}]}`,
		"unsupported=file_too_large"},
	{"sticker", `{"from":"971501234567","id":"wamid.t11","timestamp":"1744344496","type":"sticker","sticker":{"mime_type":"image/webp","sha256":"x","id":"1908647269898587","animated":true}}`,
		"unsupported=sticker"},
	{"location", `{"from":"971501234567","id":"wamid.t12","timestamp":"1744344496","type":"location","location":{"address":"Karama","latitude":25.24,"longitude":55.3,"name":"Centre"}}`,
		"unsupported=location"},
	{"contact card", `{"from":"971501234567","id":"wamid.t13","timestamp":"1744344496","type":"contacts","contacts":[{"name":{"formatted_name":"Lucía Gómez"},"phones":[{"phone":"+971 (50) 123-4567","wa_id":"971501234567","type":"MOBILE"}]}]}`,
		"phone=+971501234567"},
	{"contact card in Arabic-Indic digits", `{"from":"971501234567","id":"wamid.t13a","timestamp":"1744344496","type":"contacts","contacts":[{"name":{"formatted_name":"سالم"},"phones":[{"phone":"+٩٧١ ٥٠ ١٢٣ ٤٥٦٧","wa_id":"971501234567","type":"MOBILE"}]}]}`,
		"phone=+971501234567"},
	{"contact card in Persian digits", `{"from":"971501234567","id":"wamid.t13b","timestamp":"1744344496","type":"contacts","contacts":[{"name":{"formatted_name":"x"},"phones":[{"phone":"۰۵۰۱۲۳۴۵۶۷"}]}]}`,
		"phone=0501234567"},
	{"contact card of too few digits, with its WhatsApp id", `{"from":"971501234567","id":"wamid.t13c","timestamp":"1744344496","type":"contacts","contacts":[{"name":{"formatted_name":"x"},"phones":[{"phone":"123","wa_id":"971501234567"}]}]}`,
		"phone=971501234567"},
	{"contact card without phones", `{"from":"971501234567","id":"wamid.t14","timestamp":"1744344496","type":"contacts","contacts":[{"name":{"formatted_name":"x"}}]}`,
		"unsupported=contacts"},
	{"reaction", `{"from":"971501234567","id":"wamid.t15","timestamp":"1749419544","type":"reaction","reaction":{"message_id":"wamid.ours","emoji":"👍"}}`,
		"nil"},
	{"unsupported", `{"from":"971501234567","id":"wamid.t16","timestamp":"1750090702","errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown","error_data":{"details":"Message type is currently not supported."}}],"type":"unsupported"}`,
		"unsupported=unsupported"},
	{"system: a changed number", `{"from":"971501234567","id":"wamid.t17","timestamp":"1750269342","type":"system","system":{"body":"User changed number","wa_id":"971509999999","type":"user_changed_number"}}`,
		"nil"},
	{"revoke", `{"from":"971501234567","id":"wamid.t18","timestamp":"1750269342","type":"revoke","revoke":{"original_message_id":"wamid.t1"}}`,
		"nil"},
	{"a type Meta adds later", `{"from":"971501234567","id":"wamid.t19","timestamp":"1750269342","type":"poll_creation","poll_creation":{}}`,
		"unsupported=poll_creation"},
	{"a quoted reply", `{"context":{"from":"15550783881","id":"wamid.ticketmsg"},"from":"971501234567","id":"wamid.t20","timestamp":"1749416383","type":"text","text":{"body":"رقمي ٤٥"}}`,
		"text=رقمي ٤٥ replyTo=wamid.ticketmsg"},
}

// describe renders what a test checks of a Message.
func describe(m *bot.Message) string {
	if m == nil {
		return "nil"
	}
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("text", m.Text)
	add("button", m.Button)
	add("phone", m.Phone)
	add("unsupported", m.Unsupported)
	for _, a := range m.Attachments {
		f := a.Kind + ":" + a.Mime
		if a.Name != "" {
			f += ":" + a.Name
		}
		add("file", f)
	}
	add("replyTo", m.ReplyTo)
	return strings.Join(parts, " ")
}

func TestInboundTypes(t *testing.T) {
	for _, tc := range inboundCases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for _, id := range []string{"1003383421387256", "2003383421387256", "3003383421387256", "4003383421387256"} {
				h.api.AddMedia(id, []byte("bytes of "+id), "image/jpeg")
			}
			body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"` + whatsapptest.WABA + `","changes":[{"field":"messages","value":{` +
				`"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"` + testPhoneID + `"},` +
				`"contacts":[{"profile":{"name":"سالم"},"wa_id":"971501234567"}],"messages":[` + tc.msg + `]}}]}]}`)
			if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != 200 {
				t.Fatalf("webhook: %d; want 200", got)
			}
			ms := h.got.list()
			var m *bot.Message
			if len(ms) > 0 {
				m = ms[0]
			}
			if got := describe(m); got != tc.want {
				t.Errorf("got %s; want %s", got, tc.want)
			}
			if m == nil {
				return
			}
			if m.Channel != "whatsapp" || m.Chat != citizen || m.From.ID != citizen || m.From.Name != "سالم" ||
				!strings.HasPrefix(m.ID, "wa:wamid.") || m.Time.IsZero() {
				t.Errorf("message %+v; want whatsapp, chat and sender the citizen, named, with an id and time", m)
			}
			for _, a := range m.Attachments {
				rc, _, _, err := h.files.Open(context.Background(), a.File)
				if err != nil {
					t.Fatalf("attachment's bytes: %v", err)
				}
				data, _ := io.ReadAll(rc)
				rc.Close()
				if string(data) != "bytes of "+a.ID || a.From != "whatsapp" || a.Size != int64(len(data)) {
					t.Errorf("attachment %+v kept %q; want the media's bytes", a, data)
				}
			}
		})
	}
}

// TestMediaFetchFails: a media download that fails for a while is not
// acknowledged (Meta sends the notification again); a file over the file
// store's limit is delivered as such, for the bot to say so.
func TestMediaFetchFails(t *testing.T) {
	h := newHarness(t)
	h.api.AddMedia("m-big", make([]byte, 2<<20), "application/pdf") // the store takes 1 MiB
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Media(citizen, "wamid.big", t0, "document", "m-big", "application/pdf", nil)))
	if ms := h.got.list(); len(ms) != 1 || ms[0].Unsupported != "file_too_large" {
		t.Errorf("a file over the limit: %v; want it delivered as too large", ms)
	}
	h.api.AddMedia("m-later", []byte("x"), "image/jpeg")
	h.api.Fail(func(c whatsapptest.Call) bool { return c.Method == "media-info" }, 500, 2, "Service temporarily unavailable")
	body := whatsapptest.Envelope(testPhoneID, whatsapptest.Inbound(citizen, "x",
		whatsapptest.Media(citizen, "wamid.m2", t0, "image", "m-later", "image/jpeg", nil)))
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusInternalServerError {
		t.Errorf("media info failing for a while: got %d; want 500 (Meta sends it again)", got)
	}
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != 200 {
		t.Errorf("sent again: got %d; want 200", got)
	}
	if ms := h.got.list(); len(ms) != 2 || len(ms[1].Attachments) != 1 {
		t.Errorf("messages %v; want the photo delivered once it could be fetched", ms)
	}
}

// TestStatuses: delivery reports reach Config.Statuses; a failure for the
// window has the message queued again (no one is told); other failures
// reach the bot as a Message, with Meta's reason, and whether the person
// cannot be reached at all.
func TestStatuses(t *testing.T) {
	h := newHarness(t)
	h.out.resend = true
	h.notify(whatsapptest.Statuses(
		whatsapptest.Status("wamid.o1", "sent", citizen, t0, 0, ""),
		whatsapptest.Status("wamid.o1", "read", citizen, t0, 0, ""),
		whatsapptest.Status("wamid.o2", "failed", citizen, t0, 131047, "Re-engagement message"),
	))
	if strings.Join(h.status, ",") != "wamid.o1 sent,wamid.o1 read" {
		t.Errorf("statuses %v; want sent and read", h.status)
	}
	if len(h.out.resends) != 1 || h.out.resends[0] != "whatsapp:"+citizen+" wamid.o2" || len(h.got.list()) != 0 {
		t.Errorf("resends %v, messages %v; want the window failure queued again, silently", h.out.resends, h.got.list())
	}
	h.out.resend = false
	h.notify(whatsapptest.Statuses(
		whatsapptest.Status("wamid.o3", "failed", citizen, t0, 131047, "Re-engagement message"), // no longer kept
		whatsapptest.Status("wamid.o4", "failed", citizen, t0, 131026, "Message undeliverable"),
	))
	ms := h.got.list()
	if len(ms) != 2 || ms[0].Failed == nil || ms[1].Failed == nil {
		t.Fatalf("messages %v; want two failures", ms)
	}
	f := ms[1].Failed
	if f.MessageID != "wamid.o4" || f.Code != 131026 || !f.Blocked || !strings.Contains(f.Reason, "Message undeliverable") ||
		ms[1].Chat != citizen || ms[1].ID != "wa:failed:wamid.o4" {
		t.Errorf("failure %+v in %+v; want 131026, blocked, with Meta's words", f, ms[1])
	}
	if ms[0].Failed.Blocked {
		t.Errorf("a window failure taken for a blocked person")
	}
	// Reports come out of order: a failure of a message already read is
	// not news for staff.
	h.notify(whatsapptest.Statuses(
		whatsapptest.Status("wamid.o5", "read", citizen, t0, 0, ""),
		whatsapptest.Status("wamid.o5", "failed", citizen, t0, 131000, "Something went wrong"),
	))
	if ms := h.got.list(); len(ms) != 2 {
		t.Errorf("messages %v; want no failure of a message read", ms[2:])
	}
}

// TestFailureReasonPrivate: a failed delivery's reason, which staff read
// and a log may hold, is Meta's code and title: the error's message and
// error_data.details, where Meta writes the recipient's number or the
// words sent, reach neither the bot nor the log.
func TestFailureReasonPrivate(t *testing.T) {
	h := newHarness(t)
	// As Meta sends it: entry[].changes[].value.statuses[].errors[].
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"` + whatsapptest.WABA + `","changes":[{"field":"messages","value":{` +
		`"messaging_product":"whatsapp","metadata":{"display_phone_number":"` + whatsapptest.Display + `","phone_number_id":"` + testPhoneID + `"},` +
		`"statuses":[{"id":"wamid.HBgMOTcxNTAxMjM0NTY3FQIAERgSMUQ0RTVGNjc4OUFCQ0RFRgA=","status":"failed","timestamp":"1764579600",` +
		`"recipient_id":"` + citizen + `","errors":[{"code":131026,"title":"Message undeliverable",` +
		`"message":"Message undeliverable to +971 50 123 4567",` +
		`"error_data":{"details":"Message failed to send because +971 50 123 4567 is not on WhatsApp"},` +
		`"href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]},` +
		`{"id":"wamid.HBgMOTcxNTAxMjM0NTY3FQIAERgSQTFCMkMzRDRFNUY2MDcwOAA=","status":"failed","timestamp":"1764579601",` +
		`"recipient_id":"` + citizen + `","errors":[{"code":131009,"title":"Parameter value is not valid",` +
		`"message":"(#131009) Parameter value is not valid",` +
		`"error_data":{"details":"text.body: الشارع أمام بيتي مظلم منذ شهر، اتصلوا بي على 0501234567"}}]}]}}]}]}`)
	if got := h.post(body, whatsapptest.Sign(body, testSecret)); got != http.StatusOK {
		t.Fatalf("webhook: got %d; want 200", got)
	}
	ms := h.got.list()
	if len(ms) != 2 || ms[0].Failed == nil || ms[1].Failed == nil {
		t.Fatalf("messages %v; want two failures", ms)
	}
	want := []string{"(#131026) Message undeliverable", "(#131009) Parameter value is not valid"}
	for i, m := range ms {
		if got := m.Failed.Reason; got != want[i] {
			t.Errorf("failure %d's reason %q; want %q", i, got, want[i])
		}
	}
	private := []string{"123 4567", "1234567", "الشارع", "text.body", "not on WhatsApp"}
	logs := h.logs.String()
	for _, p := range private {
		if strings.Contains(logs, p) {
			t.Errorf("log holds %q of Meta's details:\n%s", p, logs)
		}
	}
}

// FuzzNotification: whatever a signed notification holds, decoding it
// never panics.
func FuzzNotification(f *testing.F) {
	for _, tc := range inboundCases {
		f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[` + tc.msg + `]}}]}]}`))
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"statuses":[{"id":"x","status":"failed","errors":[{}]}]}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := decodeNotification(body)
		if err != nil {
			return
		}
		c := &Channel{cfg: Config{Files: nil}}
		for _, v := range n.values() {
			for _, m := range v.Messages {
				m.pageTurn()
				if m.Type == "image" || m.Type == "document" || m.Type == "audio" || m.Type == "video" {
					continue // fetches media: the table covers those
				}
				if _, err := c.toMessage(context.Background(), v, m, false); err != nil {
					t.Errorf("toMessage of %+v: %v", m, err)
				}
			}
		}
	})
}

// TestMediaFetchRefused: media Meta will never hand out is no reason for
// Meta to send the notification again for days: the message goes to the
// bot without the file, marked unavailable (or too large) for the bot to
// ask for it again, with the caption. What may pass is answered 500.
func TestMediaFetchRefused(t *testing.T) {
	info := func(c whatsapptest.Call) bool { return c.Method == "media-info" }
	download := func(c whatsapptest.Call) bool { return c.Method == "media-download" }
	for _, tc := range []struct {
		name   string
		script func(api *whatsapptest.Server)
		want   string // the webhook's answer, and Unsupported on 200
	}{
		{"an id Meta no longer knows", func(api *whatsapptest.Server) { api.Expire("m1") }, "200 file_unavailable"},
		{"media info 404, not in Meta's shape", func(api *whatsapptest.Server) {
			api.Answer(info, 404, http.Header{"Content-Type": {"text/html"}}, "<html><body>Not Found</body></html>")
		}, "200 file_unavailable"},
		{"media info refused for good", func(api *whatsapptest.Server) {
			api.Fail(info, 403, 10, "Application does not have permission for this action")
		}, "200 file_unavailable"},
		{"download forbidden", func(api *whatsapptest.Server) { api.Answer(download, 403, nil, "Forbidden") }, "200 file_unavailable"},
		{"download gone", func(api *whatsapptest.Server) { api.Answer(download, 404, nil, "") }, "200 file_unavailable"},
		{"download too large", func(api *whatsapptest.Server) {
			api.Answer(download, 413, nil, "Request Entity Too Large")
		}, "200 file_too_large"},
		{"media info failing for a while", func(api *whatsapptest.Server) {
			api.Fail(info, 400, 131000, "Something went wrong")
		}, "500"},
		{"download from a proxy in trouble", func(api *whatsapptest.Server) {
			api.Answer(download, 502, http.Header{"Content-Type": {"text/html"}}, "<html>Bad Gateway</html>")
		}, "500"},
		{"download throttled", func(api *whatsapptest.Server) {
			api.Answer(download, 429, http.Header{"Retry-After": {"30"}}, "")
		}, "500"},
		{"the access token refused", func(api *whatsapptest.Server) {
			api.Fail(info, 401, 190, "Invalid OAuth access token")
		}, "500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.api.AddMedia("m1", []byte("jpeg bytes"), "image/jpeg")
			tc.script(h.api)
			body := whatsapptest.Envelope(testPhoneID, whatsapptest.Inbound(citizen, "x",
				whatsapptest.Media(citizen, "wamid.m1", t0, "image", "m1", "image/jpeg", map[string]any{"caption": "الطابور"})))
			got := fmt.Sprint(h.post(body, whatsapptest.Sign(body, testSecret)))
			ms := h.got.list()
			if len(ms) == 1 {
				got += " " + ms[0].Unsupported
				if ms[0].Text != "الطابور" || len(ms[0].Attachments) != 0 {
					t.Errorf("message %+v; want the caption, and no attachment", ms[0])
				}
			}
			if got != tc.want {
				t.Errorf("got %s; want %s", got, tc.want)
			}
			if strings.Contains(h.logs.String(), citizen) {
				t.Errorf("the log has the number: %s", h.logs)
			}
		})
	}
}
