package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
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
// word, and the rest follows in the description; Arabic letters with
// their marks are never torn apart.
func TestRowTitles(t *testing.T) {
	for _, tc := range []struct{ label, title, desc string }{
		{"مركز سعادة المتعاملين - الكرامة", "مركز سعادة المتعاملين", "الكرامة"},
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
// (by type: an image, else a document), and its media id reported; a
// WhatsApp file goes by its id.
func TestMedia(t *testing.T) {
	h := newHarness(t)
	jpeg := append([]byte("\xff\xd8\xff"), bytes.Repeat([]byte{1}, 100)...)
	id, _, _ := h.files.Put(context.Background(), bytes.NewReader(jpeg), "image/jpeg")
	calls, sents, err := h.send(bot.Reply{Text: "صورة من الموظف", Attachments: []shakwa.Attachment{
		{Kind: "photo", ID: "AgAD-tg", From: "telegram", File: id, Mime: "image/jpeg"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[1].Method != "media" || calls[2].Type != "image" {
		t.Fatalf("calls %v; want the text, an upload, then the image", calls)
	}
	mediaID := str(calls[2].Body, "image", "id")
	if data, _ := h.api.Media(mediaID); !bytes.Equal(data, jpeg) || sents[1].Uploads[id] != mediaID {
		t.Errorf("image by media %s, uploads %v; want the uploaded bytes, reported", mediaID, sents[1].Uploads)
	}
	webp, _, _ := h.files.Put(context.Background(), strings.NewReader("RIFF....WEBP"), "image/webp")
	if _, _, err := h.send(bot.Reply{Attachments: []shakwa.Attachment{{Kind: "photo", From: "web", File: webp}}}); err == nil ||
		!errors.Is(err, shakwa.ErrInvalid) {
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
	for code, retry := range map[int]bool{130429: true, 131056: true, 80007: true, 131000: true, 131026: false, 100: false, 131051: false} {
		h.api.Fail(func(c whatsapptest.Call) bool { return c.To == citizen }, 400, code, "scripted")
		_, err := h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
		if got := errors.As(err, &re); got != retry || err == nil {
			t.Errorf("code %d: %v; want retry %v", code, err, retry)
		}
	}
	if h.ch.Degraded() != nil {
		t.Errorf("degraded before any token refusal")
	}
	h.api.Fail(nil, 401, 190, "Invalid OAuth access token")
	_, err = h.ch.Send(context.Background(), bot.Reply{Chat: citizen, Text: "x"}, "")
	if err == nil || errors.As(err, &re) || h.ch.Degraded() == nil {
		t.Errorf("token refused: %v, degraded %v; want a permanent error and the channel degraded", err, h.ch.Degraded())
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error shows the token: %v", err)
	}
}

// TestReopen: the template that reopens the window, in the reader's
// language, with the ticket as its one parameter; the window does not
// bind templates.
func TestReopen(t *testing.T) {
	h := newHarness(t)
	stranger := "971500000000"
	ok, err := h.ch.Reopen(context.Background(), bot.Reply{Channel: Name, Chat: stranger, Lang: "en", Ref: "ticket:KRM-000042"})
	if err != nil || !ok {
		t.Fatalf("Reopen = %v, %v", ok, err)
	}
	c := h.api.Wait(t, whatsapptest.Match{To: stranger, Type: "template"}, time.Second)
	if c.Error != 0 || str(c.Body, "template", "name") != "shakwa_reply_waiting" || str(c.Body, "template", "language", "code") != "en_US" ||
		!strings.Contains(fmt.Sprint(c.Body["template"]), "KRM-000042") {
		t.Errorf("template call %+v", c.Body)
	}
	h.ch.cfg.Template = Template{}
	if ok, err := h.ch.Reopen(context.Background(), bot.Reply{Chat: stranger}); ok || err != nil {
		t.Errorf("Reopen without a template = %v, %v; want false", ok, err)
	}
}
