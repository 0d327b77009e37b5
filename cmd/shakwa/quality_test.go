package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/storage"
)

const qualityDB = 14

var (
	noura = person{114, "Noura", "ar"}
	layla = person{700, "Layla", "ar"}
)

// TestQualityOverTelegram runs the program in webhook mode on real Redis
// with the quality programme on: a supervisor completes this month's
// self-assessment in her private chat, and an evaluator files a visit the
// manager releases, all as Telegram sends and receives them.
func TestQualityOverTelegram(t *testing.T) {
	redisURL := testRedis(t, qualityDB)
	api := telegramtest.NewServer(t, testToken)
	base, err := os.ReadFile(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := os.ReadFile("../../testdata/quality.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, append(base, tail...), 0o644); err != nil {
		t.Fatal(err)
	}
	h, r, _, stop := startWebhook(t, api, redisURL, file, 700_000)
	me := noura.chat()

	// The self-assessment: started by the supervisor mid-month.
	h.send(t, h.text(noura, "/assessment"))
	wantText(t, r.next(t, "sendMessage", me), "التقييم الذاتي")
	q := r.next(t, "sendMessage", me)
	wantText(t, q, "لوحات إرشادية")
	month := time.Now().In(dubai(t)).Format("2006-01")
	pfx := "qa:m:KRM:" + month + ":"
	h.press(t, r, noura, q, pfx+"queue_signs:met")
	q = r.replaced(t, q)
	wantText(t, q, "زمن الانتظار")
	h.press(t, r, noura, q, pfx+"wait_posted:partly")
	wantText(t, r.next(t, "sendMessage", me), "لماذا")
	h.send(t, h.text(noura, "الشاشة معطلة منذ أسبوع"))
	wantText(t, r.next(t, "sendMessage", me), "من يتابع")
	h.send(t, h.text(noura, "فريق الدعم الفني"))
	q = r.next(t, "sendMessage", me)
	wantText(t, q, "وسيلة لتلقي الملاحظات")
	h.press(t, r, noura, q, pfx+"feedback_box:met")
	wantText(t, r.replaced(t, q), "اكتمل التقييم الذاتي")

	store, err := storage.Open(context.Background(), redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a, err := store.Assessment(context.Background(), "KRM", month)
	if err != nil || a.Done.IsZero() || len(a.Answers) != 3 || a.Answers["wait_posted"].Reason != "الشاشة معطلة منذ أسبوع" {
		t.Errorf("KRM's %s as kept: %+v, %v", month, a, err)
	}

	// A visit, filed by the evaluator, released by the manager.
	ev := layla.chat()
	h.send(t, h.text(layla, "/visit"))
	step := r.next(t, "sendMessage", ev)
	for _, data := range []string{"centre:KRM", "day:0", "via:phone"} {
		h.press(t, r, layla, step, data)
		step = r.replaced(t, step)
	}
	wantText(t, step, "كم دقيقة")
	h.send(t, h.text(layla, "١٢"))
	step = r.next(t, "sendMessage", ev)
	for _, data := range []string{"score:courtesy:5", "score:accurate:1"} {
		h.press(t, r, layla, step, data)
		step = r.replaced(t, step)
	}
	h.send(t, h.text(layla, "استقبال سريع ومعلومات صحيحة."))
	summary := r.next(t, "sendMessage", ev)
	wantText(t, summary, "12 دقيقة")
	h.press(t, r, layla, summary, "confirm")
	wantText(t, r.next(t, "sendMessage", ev), "V-000001")
	card := r.next(t, "sendMessage", manager.chat())
	wantText(t, card, "ليلى السويدي")
	h.press(t, r, manager, card, "vr:V-000001")
	wantText(t, r.replaced(t, card), "اعتُمدت")
	told := r.next(t, "sendMessage", me)
	if wantText(t, told, "V-000001"); strings.Contains(told.Text(), "ليلى") {
		t.Errorf("the centre was told who filed the visit: %q", told.Text())
	}
	v, err := store.Visit(context.Background(), "V-000001")
	if err != nil || v.Released.IsZero() || v.Channel != "phone" || len(v.Scores) != 3 {
		t.Errorf("the visit as kept: %+v, %v", v, err)
	}
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

func dubai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Dubai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
