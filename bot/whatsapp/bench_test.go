package whatsapp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/whatsapp/whatsapptest"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// BenchmarkWebhookText is one signed notification of one text message,
// from Meta's POST to the message delivered: the signature checked, the
// body decoded, the person's window recorded in Redis (one round trip),
// and with a Line, the look at the sender's line (one more).
func BenchmarkWebhookText(b *testing.B) {
	for _, line := range []bool{false, true} {
		b.Run(map[bool]string{false: "direct", true: "line"}[line], func(b *testing.B) {
			benchWebhook(b, line, 0, func(i int) map[string]any {
				return whatsapptest.Text(citizen, "wamid.b"+strconv.Itoa(i), time.Now(), "تأخر إصدار البطاقة أكثر من أسبوعين ولم يتواصل معي أحد")
			})
		})
	}
}

// BenchmarkWebhookPhoto is one notification of a photo whose download
// takes 50 ms (Meta's media servers stand-in), from Meta's POST to the
// webhook's answer: without a Line the download is inside it; with one,
// the photo is queued in its sender's line (each from a sender of its
// own) and the answer does not wait.
func BenchmarkWebhookPhoto(b *testing.B) {
	for _, line := range []bool{false, true} {
		b.Run(map[bool]string{false: "in-webhook", true: "line"}[line], func(b *testing.B) {
			benchWebhook(b, line, 50*time.Millisecond, func(i int) map[string]any {
				from := "9715" + strconv.Itoa(10_000_000+i)
				return whatsapptest.Media(from, "wamid.p"+strconv.Itoa(i), time.Now(), "image", "m-bench", "image/jpeg", nil)
			})
		})
	}
}

// benchWebhook posts notifications of message(i) to a channel on a real
// Redis, with a Line or not, media downloads taking download.
func benchWebhook(b *testing.B, withLine bool, download time.Duration, message func(i int) map[string]any) {
	store := storagetest.Store(b)
	fs, _ := files.Open(b.TempDir(), 1<<20)
	api := whatsapptest.NewServer(b, testToken, testPhoneID)
	api.AddMedia("m-bench", []byte("\xff\xd8\xff a photo"), "image/jpeg")
	api.Delay("media-download", download)
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	var out *bot.Outbox
	cfg := Config{Token: testToken, PhoneID: testPhoneID, AppSecret: testSecret, VerifyToken: testVerify,
		APIURL: api.URL(), Files: fs, Pages: store, Outbox: later{&out}, Labels: testLabels, Logger: quiet}
	if withLine {
		cfg.Line = store
	}
	ch, err := New(cfg, func(context.Context, *bot.Message) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	out = bot.NewOutbox(store, []bot.Channel{ch}, time.Now, quiet)
	out.Window = store
	hook := ch.WebhookHandler()
	n := 256
	if download > 0 {
		n = max(b.N, 1) // each photo once, each sender's line of its own
	}
	bodies := make([][]byte, n)
	for i := range bodies {
		m := message(i)
		bodies[i] = whatsapptest.Envelope(testPhoneID, whatsapptest.Inbound(m["from"].(string), "سالم", m))
	}
	sigs := make([]string, len(bodies))
	for i, body := range bodies {
		sigs[i] = whatsapptest.Sign(body, testSecret)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := i % len(bodies)
		req := httptest.NewRequest(http.MethodPost, "/whatsapp/webhook", bytes.NewReader(bodies[k]))
		req.Header.Set("X-Hub-Signature-256", sigs[k])
		rec := httptest.NewRecorder()
		hook.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkSendList is one reply with nine choices rendered as a list and
// posted to the Graph API double.
func BenchmarkSendList(b *testing.B) {
	fs, _ := files.Open(b.TempDir(), 1<<20)
	api := whatsapptest.NewServer(b, testToken, testPhoneID)
	api.Inbound(citizen, time.Now())
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ch, err := New(Config{Token: testToken, PhoneID: testPhoneID, AppSecret: testSecret, VerifyToken: testVerify,
		APIURL: api.URL(), Files: fs, Pages: &pageStore{m: map[string][]byte{}}, Outbox: &outbox{}, Labels: testLabels, Logger: quiet},
		func(context.Context, *bot.Message) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	var rows [][]bot.Button
	for i := range 9 {
		rows = append(rows, []bot.Button{{Label: "مركز خدمة المتعاملين رقم " + strconv.Itoa(i+1), Data: "centre:" + strconv.Itoa(i)}})
	}
	r := bot.Reply{Channel: Name, Chat: citizen, Lang: "ar", Text: "اختر المركز الذي راجعته:", Buttons: rows}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := ch.Send(context.Background(), r, ""); err != nil {
			b.Fatal(err)
		}
	}
}
