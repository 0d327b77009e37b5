package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
)

// send sends the parts Split makes of r, as the outbox would, and returns
// the calls the API got.
func (h *harness) send(r bot.Reply) ([]whatsapptest.Call, []bot.Sent, error) {
	h.t.Helper()
	mark := len(h.api.Calls(whatsapptest.Match{}))
	r.Channel = Name
	if r.Chat == "" {
		r.Chat = citizen
	}
	var sents []bot.Sent
	for _, p := range h.ch.Split(r) {
		s, err := h.ch.Send(context.Background(), p, "")
		if err != nil {
			return nil, sents, err
		}
		sents = append(sents, s)
	}
	calls := h.api.Calls(whatsapptest.Match{})
	return calls[mark:], sents, nil
}

func buttonsOf(labels ...string) [][]bot.Button {
	var row []bot.Button
	for i, l := range labels {
		row = append(row, bot.Button{Label: l, Data: fmt.Sprint("b", i)})
	}
	return [][]bot.Button{row}
}

func TestRender(t *testing.T) {
	long := strings.Repeat("انتظرت طويلاً في المركز. ", 200) // about 5,000 characters
	centres := []string{"مركز سعادة المتعاملين - الكرامة", "مركز سعادة المتعاملين - البرشاء", "مركز سعادة المتعاملين - ديرة",
		"مركز الخدمة - أبوظبي", "مركز الخدمة - الشارقة", "مركز الخدمة - عجمان"}
	tests := []struct {
		name  string
		reply bot.Reply
		want  []string // per call: type and what to check
	}{
		{"text", bot.Reply{Text: "تم استلام شكواك."}, []string{"text:تم استلام شكواك."}},
		{"three buttons", bot.Reply{Text: "كيف نخدمك؟", Buttons: buttonsOf("تقديم شكوى", "ملاحظة", "شكر")},
			[]string{"button:تقديم شكوى|ملاحظة|شكر"}},
		{"a label over 20: a list", bot.Reply{Text: "اختر المركز", Buttons: buttonsOf(centres[:2]...)},
			[]string{"list:الكرامة|البرشاء"}},
		{"four choices: a list", bot.Reply{Text: "اختر", Buttons: buttonsOf("١", "٢", "٣", "٤")},
			[]string{"list:١|٢|٣|٤"}},
		{"text too long for one message", bot.Reply{Text: long}, []string{"text", "text"}},
		{"long text with buttons", bot.Reply{Text: long, Buttons: buttonsOf("نعم", "لا")},
			[]string{"text", "button:نعم|لا"}},
		{"text over 1,024 with buttons", bot.Reply{Text: long[:3000], Buttons: buttonsOf("نعم", "لا")},
			[]string{"text", "button:نعم|لا"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			calls, _, err := h.send(tc.reply)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if len(calls) != len(tc.want) {
				t.Fatalf("%d calls (%v); want %d", len(calls), calls, len(tc.want))
			}
			for i, c := range calls {
				if c.Error != 0 {
					t.Errorf("call %d refused by the API: %d", i, c.Error)
				}
				kind, check, _ := strings.Cut(tc.want[i], ":")
				got := c.Type
				if c.Type == "interactive" {
					got = str(c.Body, "interactive", "type")
				}
				if got != kind {
					t.Errorf("call %d: %s; want %s", i, got, kind)
				}
				switch kind {
				case "text":
					if check != "" && c.Text() != check {
						t.Errorf("call %d: text %q; want %q", i, c.Text(), check)
					}
				case "button", "list":
					if titles := strings.Join(c.Titles(), "|"); titles != check {
						t.Errorf("call %d: titles %q; want %q", i, titles, check)
					}
				}
			}
			// No two rows read alike.
			for _, c := range calls {
				for _, s := range list(c.Body["interactive"], "action", "sections") {
					seen := map[string]bool{}
					for _, r := range list(s, "rows") {
						k := str(r, "title") + " / " + str(r, "description")
						if seen[k] {
							t.Errorf("two rows read %q", k)
						}
						seen[k] = true
					}
				}
			}
			// Nothing is lost: the texts together are the whole text.
			var all []string
			for _, c := range calls {
				all = append(all, c.Text())
			}
			if got, want := strings.Join(strings.Fields(strings.Join(all, " ")), " "), strings.Join(strings.Fields(tc.reply.Text), " "); got != want {
				t.Errorf("the parts hold %d characters; want the whole %d", utf8.RuneCountInString(got), utf8.RuneCountInString(want))
			}
		})
	}
	_ = centres
}

// TestRowTitles: a name too long for a row keeps its start whole, cut at a
// word, and the rest follows in the description; one of the form "Centre
// - Karama" shows the part after the dash; Arabic letters with their marks
// are never torn apart.
func TestRowTitles(t *testing.T) {
	for _, tc := range []struct{ label, title, desc string }{
		{"مركز سعادة المتعاملين - الكرامة", "الكرامة", "مركز سعادة المتعاملين"},
		{"مركز سعادة المتعاملين - الكرامة الجديدة في دبي بجوار المترو", "الكرامة الجديدة في دبي",
			"بجوار المترو · مركز سعادة المتعاملين"},
		{"Karama Customer Happiness Centre", "Karama Customer", "Happiness Centre"},
		{"خدمةُ المتعامِلين في مركزِ البرشاءِ الجديد", "خدمةُ المتعامِلين في", "مركزِ البرشاءِ الجديد"},
		{"قصير", "قصير", ""},
		{"أ" + strings.Repeat("ّ", 1) + strings.Repeat("ب", 30), "", ""},
	} {
		rs := rows([]choice{{ID: "x", Label: tc.label}})
		row := rs[0].(map[string]any)
		title, _ := row["title"].(string)
		desc, _ := row["description"].(string)
		if utf8.RuneCountInString(title) > maxRowTitle || utf8.RuneCountInString(desc) > maxRowDesc {
			t.Errorf("%q: title %q, description %q over the limits", tc.label, title, desc)
		}
		if tc.title != "" && (title != tc.title || desc != tc.desc) {
			t.Errorf("%q: title %q, description %q; want %q, %q", tc.label, title, desc, tc.title, tc.desc)
		}
		if strings.HasPrefix(title, "ّ") || strings.HasSuffix(title, "أ") && strings.HasPrefix(desc, "ّ") {
			t.Errorf("%q: a mark torn from its letter: %q / %q", tc.label, title, desc)
		}
	}
}

// TestLongListPages: more than ten choices go in pages of a list, with
// next and previous rows; pressing them (a list reply on the webhook)
// brings the page at once, not to the bot.
func TestLongListPages(t *testing.T) {
	h := newHarness(t)
	var labels []string
	for i := range 20 {
		labels = append(labels, fmt.Sprintf("الفئة رقم %d", i+1))
	}
	calls, _, err := h.send(bot.Reply{Text: "ما نوع الشكوى؟", Lang: "ar", Buttons: buttonsOf(labels...)})
	if err != nil {
		t.Fatal(err)
	}
	first := calls[0]
	ids := first.Choices()
	if len(ids) != 10 || ids[8] != "b8" || !strings.HasPrefix(ids[9], pagePrefix) || first.Titles()[9] != "التالي" {
		t.Fatalf("first page rows %v %v; want 9 choices and next", ids, first.Titles())
	}
	next := ids[9]
	turn := func(row, title string) whatsapptest.Call {
		mark := len(h.api.Calls(whatsapptest.Match{}))
		h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.ListReply(citizen, "wamid.p"+row, t0, first.ID, row, title)))
		return h.api.Wait(t, whatsapptest.Match{To: citizen, After: h.api.Calls(whatsapptest.Match{})[mark-1].Seq}, 5*time.Second)
	}
	second := turn(next, "التالي")
	got := second.Choices()
	if len(got) != 10 || got[1] != "b9" || got[8] != "b16" || second.Titles()[0] != "السابق" {
		t.Errorf("second page %v; want previous, 8 choices (b9...b16), next", got)
	}
	third := turn(got[9], "التالي")
	if got := third.Choices(); len(got) != 4 || got[1] != "b17" || got[3] != "b19" {
		t.Errorf("last page %v; want previous and the last three", got)
	}
	if len(h.got.list()) != 0 {
		t.Errorf("page turns reached the bot: %v", h.got.list())
	}
	// A page of a list no longer kept goes to the bot, as an old button.
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.ListReply(citizen, "wamid.old", t0, first.ID, pagePrefix+"feedfeedfeedfeed:1", "التالي")))
	if ms := h.got.list(); len(ms) != 1 || !strings.HasPrefix(ms[0].Button, pagePrefix) {
		t.Errorf("old page turn: %v; want it delivered as a press", ms)
	}
}

// TestMedia: a file from another channel is uploaded from the file store
// (by type: an image, else a document), with a short text as its caption,
// and its media id reported; a WhatsApp file goes by its id.
func TestMedia(t *testing.T) {
	h := newHarness(t)
	jpeg := append([]byte("\xff\xd8\xff"), bytes.Repeat([]byte{1}, 100)...)
	id, _, _ := h.files.Put(context.Background(), bytes.NewReader(jpeg), "image/jpeg")
	calls, sents, err := h.send(bot.Reply{Text: "صورة من الموظف", Attachments: []shakwa.Attachment{
		{Kind: "photo", ID: "AgAD-tg", From: "telegram", File: id, Mime: "image/jpeg"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].Method != "media" || calls[1].Type != "image" || str(calls[1].Body, "image", "caption") != "صورة من الموظف" {
		t.Fatalf("calls %v; want an upload, then the image with the text as its caption", calls)
	}
	mediaID := str(calls[1].Body, "image", "id")
	if data, _ := h.api.Media(mediaID); !bytes.Equal(data, jpeg) || sents[0].Uploads[id] != mediaID {
		t.Errorf("image by media %s, uploads %v; want the uploaded bytes, reported", mediaID, sents[0].Uploads)
	}
	// Text too long for a caption goes first, on its own.
	long := strings.Repeat("نص طويل ", 200)
	calls, _, err = h.send(bot.Reply{Text: long, Attachments: []shakwa.Attachment{
		{Kind: "photo", ID: "AgAD-tg", From: "telegram", File: id, Mime: "image/jpeg"}}})
	if err != nil || len(calls) != 3 || calls[0].Type != "text" || str(calls[2].Body, "image", "caption") != "" {
		t.Errorf("a photo with %d characters: %v, %v; want the text, then the photo without a caption", len([]rune(long)), calls, err)
	}
	webp, _, _ := h.files.Put(context.Background(), strings.NewReader("RIFF....WEBP"), "image/webp")
	if _, _, err := h.send(bot.Reply{Attachments: []shakwa.Attachment{{Kind: "photo", From: "web", File: webp}}}); err == nil ||
		!errors.Is(err, shakwa.ErrInvalid) || !errors.Is(err, bot.ErrNotTaken) {
		t.Errorf("a webp photo: %v; want a permanent refusal (WhatsApp takes webp only as stickers)", err)
	}
	h.api.AddMedia("wa-own", []byte("pdf"), "application/pdf")
	calls, _, err = h.send(bot.Reply{Attachments: []shakwa.Attachment{{Kind: "document", ID: "wa-own", From: "whatsapp",
		Mime: "application/pdf", Name: "r.pdf"}}})
	if err != nil || len(calls) != 1 || str(calls[0].Body, "document", "id") != "wa-own" || str(calls[0].Body, "document", "filename") != "r.pdf" {
		t.Errorf("a whatsapp document: %v, %v; want it sent by its id, with its name", calls, err)
	}
}

// TestSendErrors: Meta's error codes, as the outbox needs them.
func TestSendErrors(t *testing.T) {
	h := newHarness(t)
	stranger := "971500000000" // never wrote: the window is closed
	_, err := h.ch.Send(context.Background(), bot.Reply{Chat: stranger, Text: "رد الموظف"}, "")
	if !errors.Is(err, bot.ErrWindowClosed) {
		t.Errorf("outside the window: %v; want ErrWindowClosed", err)
	}
	var re *bot.RetryError
	for code, retry := range map[int]bool{130429: true, 131056: true, 80007: true, 131000: true, 131048: true, 133004: true,
		131026: false, 100: false, 131051: false} {
		h.api.Fail(func(c whatsapptest.Call) bool { return c.To == citizen }, 400, code, "scripted")
		_, err := h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
		re = nil
		if got := errors.As(err, &re); got != retry || err == nil {
			t.Errorf("code %d: %v; want retry %v", code, err, retry)
		}
		if code == 131048 && (re == nil || re.After < time.Minute) {
			t.Errorf("spam rate limit: retry %+v; want a minute at least", re)
		}
	}
	if h.ch.Degraded() != nil {
		t.Errorf("degraded before any token refusal")
	}
	h.api.Fail(nil, 401, 190, "Invalid OAuth access token")
	_, err = h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
	if !errors.As(err, &re) || re.Scope != bot.ScopeChannel || re.After < time.Minute || h.ch.Degraded() == nil {
		t.Errorf("token refused: %v, degraded %v; want the channel held back a minute and degraded", err, h.ch.Degraded())
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error shows the token: %v", err)
	}
	// Meta's words may repeat what was sent: the error names its code.
	h.api.Fail(func(c whatsapptest.Call) bool { return c.To == citizen }, 400, 131000, "Something failed for +971501234567")
	_, err = h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
	if err == nil || strings.Contains(err.Error(), "971501234567") || !strings.Contains(err.Error(), "131000") {
		t.Errorf("error %v; want its code and not Meta's words", err)
	}
}

// TestRowTitlesApart: rows of one title are told apart by numbers no
// other row has.
func TestRowTitlesApart(t *testing.T) {
	var titles []string
	for _, r := range rows([]choice{{ID: "a", Label: "Centre"}, {ID: "b", Label: "Centre"}, {ID: "c", Label: "Centre 2"}}) {
		titles = append(titles, r.(map[string]any)["title"].(string))
	}
	if got := strings.Join(titles, "|"); got != "Centre|Centre 3|Centre 2" {
		t.Errorf("titles %s; want Centre|Centre 3|Centre 2", got)
	}
}

// TestReopen: the template that reopens the window, in the reader's
// language, with the ticket as its one parameter; the window does not
// bind templates.
func TestReopen(t *testing.T) {
	h := newHarness(t)
	stranger := "971500000000"
	id, ok, err := h.ch.Reopen(context.Background(), bot.Reply{Channel: Name, Chat: stranger, Lang: "en", Ref: "ticket:KRM-000042"})
	if err != nil || !ok || id == "" {
		t.Fatalf("Reopen = %q, %v, %v; want the template's id", id, ok, err)
	}
	c := h.api.Wait(t, whatsapptest.Match{To: stranger, Type: "template"}, time.Second)
	if c.Error != 0 || str(c.Body, "template", "name") != "shakwa_reply_waiting" || str(c.Body, "template", "language", "code") != "en_US" ||
		!strings.Contains(fmt.Sprint(c.Body["template"]), "KRM-000042") {
		t.Errorf("template call %+v", c.Body)
	}
	h.ch.cfg.Template = Template{}
	if _, ok, err := h.ch.Reopen(context.Background(), bot.Reply{Chat: stranger}); ok || err != nil {
		t.Errorf("Reopen without a template = %v, %v; want false", ok, err)
	}
}

// TestSendAnswers: what Meta (or what stands in front of it) may answer
// besides its documented shapes. A 2xx answer means Meta took the
// message, whatever its body: sending it again would have the person read
// it twice. An answer not in Meta's shape is retried when its status says
// the fault passes, after what Retry-After asks.
func TestSendAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   string
		want   string // "sent", "retry <after>" or "permanent"
	}{
		{"2xx not JSON", 200, http.Header{"Content-Type": {"text/html"}}, "<html>OK</html>", "sent"},
		{"2xx naming no message", 200, nil, `{"messaging_product":"whatsapp","contacts":[],"messages":[]}`, "sent"},
		{"2xx cut short", 200, nil, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.`, "sent"},
		{"502 from a proxy", 502, http.Header{"Content-Type": {"text/html"}}, "<html>Bad Gateway</html>", "retry 0s"},
		{"503 with Retry-After", 503, http.Header{"Retry-After": {"120"}}, "Service Unavailable", "retry 2m0s"},
		{"429 with Retry-After", 429, http.Header{"Retry-After": {"7"}}, "Too Many Requests", "retry 7s"},
		{"429 with a Retry-After date", 429, http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, "", "retry ~1h0m0s"},
		{"408", 408, nil, "Request Timeout", "retry 0s"},
		{"400 not JSON", 400, nil, "Bad Request", "permanent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.api.Answer(nil, tc.status, tc.header, tc.body)
			sent, err := h.ch.Send(context.Background(), bot.Reply{Channel: Name, Chat: citizen, Text: "تم استلام شكواك."}, "")
			var re *bot.RetryError
			got := "permanent"
			switch {
			case err == nil:
				got = "sent"
			case errors.As(err, &re) && strings.HasPrefix(tc.want, "retry ~"):
				got = "retry ~" + re.After.Round(time.Hour).String()
			case errors.As(err, &re):
				got = "retry " + re.After.String()
			}
			if got != tc.want {
				t.Fatalf("got %s (%v); want %s", got, err, tc.want)
			}
			if got != "sent" {
				return
			}
			if sent.MessageID != "" {
				t.Errorf("message id %q; want none (Meta's answer named none)", sent.MessageID)
			}
			if n := len(h.api.Calls(whatsapptest.Match{To: citizen, Sent: true})); n != 1 {
				t.Errorf("%d messages taken by Meta; want 1", n)
			}
			if logs := h.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "counted as sent") || strings.Contains(logs, citizen) {
				t.Errorf("log %q; want a warning, without the number", logs)
			}
		})
	}
}

// TestDegraded: the channel is degraded (for /readyz) while Meta refuses
// the access token, code 190 or HTTP 401, and no longer once a call is
// accepted; code 0, which Meta gives other refusals too, is not the
// token's.
func TestDegraded(t *testing.T) {
	h := newHarness(t)
	send := func() error {
		_, err := h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
		return err
	}
	for _, step := range []struct {
		name         string
		status, code int // 0: Meta accepts
		degraded     bool
	}{
		{"code 0 on a 400", 400, 0, false},
		{"code 0 on a 403", 403, 0, false},
		{"code 190", 400, 190, true},
		{"accepted again", 0, 0, false},
		{"HTTP 401 with code 0", 401, 0, true},
		{"still refused", 401, 190, true},
		{"accepted at last", 0, 0, false},
	} {
		if step.status != 0 {
			h.api.Fail(nil, step.status, step.code, "Invalid OAuth access token")
		}
		err := send()
		if (err == nil) != (step.status == 0) {
			t.Errorf("%s: send: %v", step.name, err)
		}
		if got := h.ch.Degraded() != nil; got != step.degraded {
			t.Errorf("%s: degraded %v (%v); want %v", step.name, got, h.ch.Degraded(), step.degraded)
		}
	}
	if n := strings.Count(h.logs.String(), "renew WHATSAPP_TOKEN"); n != 2 {
		t.Errorf("the refusal logged %d times; want once for each of the two times it began", n)
	}
}

// TestMediaBackToWhatsApp: a file a person sent on WhatsApp and sent back
// to WhatsApp (a staff answer that quotes it, days later) is uploaded
// from the file store: Meta's id for it lasts 7 days. Without bytes in the
// store the id is all there is, and goes.
func TestMediaBackToWhatsApp(t *testing.T) {
	h := newHarness(t)
	jpeg := append([]byte("\xff\xd8\xff"), bytes.Repeat([]byte{2}, 64)...)
	h.api.AddMedia("wa-inbound", jpeg, "image/jpeg")
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Media(citizen, "wamid.photo", t0, "image", "wa-inbound", "image/jpeg", nil)))
	ms := h.got.list()
	if len(ms) != 1 || len(ms[0].Attachments) != 1 || ms[0].Attachments[0].File == "" {
		t.Fatalf("delivered %v; want the photo, kept", ms)
	}
	a := ms[0].Attachments[0]
	h.api.Expire("wa-inbound") // a week on
	calls, sents, err := h.send(bot.Reply{Attachments: []shakwa.Attachment{a}})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if len(calls) != 2 || calls[0].Method != "media" || calls[1].Type != "image" || calls[1].Error != 0 {
		t.Fatalf("calls %v; want an upload, then the image", calls)
	}
	id := str(calls[1].Body, "image", "id")
	if data, _ := h.api.Media(id); id == "wa-inbound" || !bytes.Equal(data, jpeg) || sents[0].Uploads[a.File] != id {
		t.Errorf("image by media %q, uploads %v; want the stored bytes uploaded anew, reported", id, sents[0].Uploads)
	}

	h.api.AddMedia("wa-fresh", []byte("pdf"), "application/pdf")
	gone := shakwa.Attachment{Kind: "document", ID: "wa-fresh", From: Name, Mime: "application/pdf",
		File: strings.Repeat("ab", 32)} // not in the store
	calls, _, err = h.send(bot.Reply{Attachments: []shakwa.Attachment{gone}})
	if err != nil || len(calls) != 1 || str(calls[0].Body, "document", "id") != "wa-fresh" {
		t.Errorf("a whatsapp file the store no longer has: %v, %v; want it sent by its id", calls, err)
	}
}

// TestDeadlines: no client timeout cuts a large file short; each call has
// a deadline of its own instead, longer for files, and the caller's when
// that is shorter. A client of the caller's is used as it is.
func TestDeadlines(t *testing.T) {
	h := newHarness(t)
	if h.ch.client.Timeout != 0 {
		t.Errorf("the default client times out after %v; want no client timeout", h.ch.client.Timeout)
	}
	h.ch.callTimeout, h.ch.mediaTimeout = 100*time.Millisecond, 5*time.Second

	h.api.Delay("messages", 2*time.Second)
	start := time.Now()
	_, err := h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
	var re *bot.RetryError
	if !errors.As(err, &re) || time.Since(start) > time.Second {
		t.Errorf("a message Meta is slow to take: %v after %v; want a retry after the call's deadline", err, time.Since(start))
	}
	h.api.Delay("messages", 0)

	jpeg, _, _ := h.files.Put(context.Background(), bytes.NewReader([]byte("\xff\xd8\xffjpeg")), "image/jpeg")
	photo := bot.Reply{Chat: citizen, Attachments: []shakwa.Attachment{{Kind: "photo", From: "web", File: jpeg}}}
	h.api.Delay("media", 300*time.Millisecond)
	if _, err := h.ch.Send(context.Background(), photo, ""); err != nil {
		t.Errorf("an upload longer than a JSON call's deadline: %v; want it sent", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.ch.Send(ctx, photo, ""); !errors.As(err, &re) {
		t.Errorf("an upload longer than the caller's deadline: %v; want a retry", err)
	}
	h.api.Delay("media", 0)

	h.api.Delay("media-download", 300*time.Millisecond)
	h.api.AddMedia("m-slow", []byte("slow bytes"), "image/jpeg")
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.Media(citizen, "wamid.slow", t0, "image", "m-slow", "image/jpeg", nil)))
	if ms := h.got.list(); len(ms) != 1 || len(ms[0].Attachments) != 1 {
		t.Errorf("a download longer than a JSON call's deadline: %v; want the photo kept", ms)
	}

	var used atomic.Int32
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		used.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	ch, err := New(Config{Token: testToken, PhoneID: testPhoneID, AppSecret: testSecret, VerifyToken: testVerify,
		APIURL: h.api.URL(), HTTPClient: client, Files: h.files, Pages: h.pages, Outbox: h.out}, h.got.deliver)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, ""); err != nil || used.Load() != 1 {
		t.Errorf("with the caller's client: %v, %d calls through it; want the message sent through it", err, used.Load())
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestCaptionNotLost: a reply whose file turns out to be one that takes
// no caption (the store knows it for audio; the reply said nothing) still
// says its text, after the file.
func TestCaptionNotLost(t *testing.T) {
	h := newHarness(t)
	id, _, _ := h.files.Put(context.Background(), strings.NewReader("OggS voice"), "audio/ogg")
	text := "📎 مرفق الطلب KRM-000001"
	calls, _, err := h.send(bot.Reply{Text: text, Lang: "ar", Attachments: []shakwa.Attachment{
		{Kind: "document", ID: "BQAC-tg", File: id, From: "telegram", Name: "voice"}}})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	said := false
	for _, c := range calls {
		types = append(types, c.Type)
		said = said || c.Type == "text" && bot.Undirected(c.Text()) == text
	}
	if !said || types[len(types)-1] != "text" || !slices.Contains(types, "audio") {
		t.Errorf("calls %v; want the audio, then the text %q", types, text)
	}
}

// TestMediaDocumentAsItsType: a file sent as a document whose type Meta
// takes only as media of its own (a screenshot sent "as a file" on
// Telegram is a PNG document) goes as that media, not to the dead
// letters; within that media's size limit only. A GIF or a WebP goes as
// an image, converted.
func TestMediaDocumentAsItsType(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		mime, data, typ string
		caption         bool
	}{
		{"image/png", "\x89PNG\r\n\x1a\nscreenshot", "image", true},
		{"image/jpeg", "\xff\xd8\xffphoto", "image", true},
		{"video/mp4", "\x00\x00\x00\x18ftypmp42", "video", true},
		{"audio/ogg", "OggS voice", "audio", false},
	} {
		id, _, _ := h.files.Put(context.Background(), strings.NewReader(tc.data), tc.mime)
		text := "📎 مرفق الطلب KRM-000001"
		calls, _, err := h.send(bot.Reply{Text: text, Lang: "ar", Attachments: []shakwa.Attachment{
			{Kind: "document", ID: "BQAC-tg", File: id, From: "telegram", Mime: tc.mime, Name: "file.bin"}}})
		if err != nil {
			t.Errorf("a %s document: %v; want it sent as %s", tc.mime, err, tc.typ)
			continue
		}
		last := calls[len(calls)-1]
		if last.Type != tc.typ || last.Error != 0 {
			t.Errorf("a %s document: calls %v; want an upload, then the file as %s", tc.mime, calls, tc.typ)
			continue
		}
		if data, _ := h.api.Media(str(last.Body, tc.typ, "id")); string(data) != tc.data {
			t.Errorf("a %s document: media %q; want the stored bytes", tc.mime, data)
		}
		// The text goes with it, as its caption or (an audio takes none)
		// on its own first.
		gotText := bot.Undirected(str(last.Body, tc.typ, "caption"))
		if !tc.caption && calls[0].Type == "text" {
			gotText = calls[0].Text()
		}
		if gotText != text {
			t.Errorf("a %s document: calls %v; want the text %q with it", tc.mime, calls, text)
		}
	}
	// Sizes are the media's own: an image over 5 MB is not one Meta takes.
	for _, tc := range []struct {
		mime string
		size int64
		typ  string
		ok   bool
	}{
		{"image/png", 5 << 20, "image", true},
		{"image/png", 5<<20 + 1, "", false},
		{"video/3gpp", 16 << 20, "video", true},
		{"video/mp4", 16<<20 + 1, "", false},
		{"audio/mpeg", 1 << 20, "audio", true},
		{"application/pdf", 50 << 20, "document", true},
		{"image/webp", 1 << 10, "image", true}, // converted (see toImage)
		{"image/gif", 8 << 20, "image", true},  // its size is the converted one's
		{"image/bmp", 1 << 10, "", false},
	} {
		if typ, ok := messageType("document", tc.mime, tc.size); typ != tc.typ || ok != tc.ok {
			t.Errorf("a %s document of %d bytes: %q, %v; want %q, %v", tc.mime, tc.size, typ, ok, tc.typ, tc.ok)
		}
	}
}

// TestTitlesWithoutMarks: the marks the outbox adds to Arabic labels
// (bot.Directed) do not count against a title where they change nothing,
// so labels that fit stay buttons; those that matter are kept and count.
func TestTitlesWithoutMarks(t *testing.T) {
	directed := func(labels ...string) [][]bot.Button {
		rows := buttonsOf(labels...)
		for i := range rows[0] {
			rows[0][i].Label = bot.Directed(rows[0][i].Label, true)
		}
		return rows
	}
	for _, tc := range []struct {
		name    string
		buttons [][]bot.Button
		want    string
	}{
		{"a ticket in Arabic", directed("✋ استلام KRM-000123", "لا"), "button:✋ استلام KRM-000123|لا"},
		{"a Latin word after an emoji", directed("🌐 Language / اللغة", "لا"), "button:\u200f🌐 Language / اللغة|لا"},
		{"ticket numbers", directed("KRM-000001", "KRM-000002", "KRM-000003", "KRM-000004"),
			"list:KRM-000001|KRM-000002|KRM-000003|KRM-000004"},
		// The isolate keeps "/x" whole: it stays and counts (21).
		{"marks that matter", directed("اكتب /reply KRM-00001", "لا"), "list:اكتب \u2066/reply KRM-00001\u2069|لا"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			calls, _, err := h.send(bot.Reply{Text: "اختر", Lang: "ar", Buttons: tc.buttons})
			if err != nil {
				t.Fatal(err)
			}
			if len(calls) != 1 || calls[0].Error != 0 {
				t.Fatalf("calls %v; want one the API takes", calls)
			}
			got := str(calls[0].Body, "interactive", "type") + ":" + strings.Join(calls[0].Titles(), "|")
			if got != tc.want {
				t.Errorf("sent %q; want %q", got, tc.want)
			}
		})
	}
}

// TestLongListKeepsNav: back and cancel (Nav) are on every page of a long
// list, under its choices, and a press of one on a later page reaches the
// bot.
func TestLongListKeepsNav(t *testing.T) {
	h := newHarness(t)
	var row []bot.Button
	for i := range 9 {
		row = append(row, bot.Button{Label: fmt.Sprintf("الفئة %d", i+1), Data: fmt.Sprint("cat:", i+1)})
	}
	buttons := [][]bot.Button{row, {{Label: "→ رجوع", Data: "back", Nav: true}, {Label: "✖ إلغاء", Data: "cancel", Nav: true}}}
	calls, _, err := h.send(bot.Reply{Text: "ما نوع الشكوى؟", Lang: "ar", Buttons: buttons})
	if err != nil {
		t.Fatal(err)
	}
	first := calls[0]
	if got, want := strings.Join(first.Titles(), "|"),
		"الفئة 1|الفئة 2|الفئة 3|الفئة 4|الفئة 5|الفئة 6|الفئة 7|التالي|→ رجوع|✖ إلغاء"; got != want {
		t.Errorf("first page %s; want %s", got, want)
	}
	next := first.Choices()[7]
	mark := first.Seq
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.ListReply(citizen, "wamid.n", t0, first.ID, next, "التالي")))
	second := h.api.Wait(t, whatsapptest.Match{To: citizen, After: mark}, 5*time.Second)
	if got, want := strings.Join(second.Titles(), "|"), "السابق|الفئة 8|الفئة 9|→ رجوع|✖ إلغاء"; got != want {
		t.Errorf("second page %s; want %s", got, want)
	}
	h.notify(whatsapptest.Inbound(citizen, "x", whatsapptest.ListReply(citizen, "wamid.b", t0, second.ID, "back", "→ رجوع")))
	if ms := h.got.list(); len(ms) != 1 || ms[0].Button != "back" {
		t.Errorf("back on the second page: %v; want it delivered", ms)
	}
}

// TestPageBounds: every item is on exactly one page, and no page holds
// more than ten rows with its previous, next and Nav rows.
func TestPageBounds(t *testing.T) {
	for _, nav := range []int{0, 1, 2, 3} {
		room := maxRows - nav
		for n := room; n <= 40; n++ {
			next := 0
			for page := 0; next < n; page++ {
				from, to := pageBounds(n, page, room)
				rows := to - from + nav
				if page > 0 {
					rows++
				}
				if to < n {
					rows++
				}
				if from != next || to <= from || rows > maxRows {
					t.Fatalf("n %d, nav %d, page %d: [%d, %d) with %d rows; want from %d and at most %d rows", n, nav, page, from, to, rows, next, maxRows)
				}
				next = to
			}
		}
	}
}

// TestCentreRowTitles: the centres of a list are titled alike, by the
// part of their names that tells them apart, whether or not their first
// words are the same as another's.
func TestCentreRowTitles(t *testing.T) {
	var choices []choice
	for _, name := range []string{"مركز سعادة المتعاملين - الكرامة", "مركز سعادة المتعاملين - البرشاء",
		"مركز سعادة المتعاملين - ديرة", "مركز سعادة المتعاملين - القوز", "مركز خدمة المتعاملين - المحيصنة", "✖ إلغاء"} {
		choices = append(choices, choice{ID: name, Label: name})
	}
	var got []string
	for _, r := range rows(choices) {
		r := r.(map[string]any)
		desc, _ := r["description"].(string)
		got = append(got, r["title"].(string)+" / "+desc)
	}
	want := "الكرامة / مركز سعادة المتعاملين|البرشاء / مركز سعادة المتعاملين|ديرة / مركز سعادة المتعاملين|" +
		"القوز / مركز سعادة المتعاملين|المحيصنة / مركز خدمة المتعاملين|✖ إلغاء / "
	if s := strings.Join(got, "|"); s != want {
		t.Errorf("rows %s; want %s", s, want)
	}
}
