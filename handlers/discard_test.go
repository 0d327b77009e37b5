package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/internal/golden"
)

// aisha is a second manager, of KRM only.
var aisha = person{"901", "Aisha", "ar"}

// twoManagersConfig is qualityConfig with aisha too.
var twoManagersConfig = testConfig + `  - {telegram: 901, name: "عائشة الظاهري", role: manager, centres: [KRM]}
` + qualityTail

// fileTestVisit has layla file a visit to KRM yesterday through /visit,
// with the notes and photo given, and returns its id.
func fileTestVisit(w *world, notes string, photo shakwa.Attachment) string {
	w.t.Helper()
	w.text(layla, "/visit")
	w.press(layla, "centre:KRM")
	w.press(layla, "day:1")
	w.press(layla, "via:phone")
	w.text(layla, "١٠")
	w.press(layla, "score:courtesy:2")
	w.press(layla, "score:accurate:0")
	w.do(layla, bot.Message{Attachments: []shakwa.Attachment{photo}})
	w.text(layla, notes)
	for _, r := range w.press(layla, "confirm") {
		if r.Chat == layla.id {
			if i := strings.Index(r.Text, "V-"); i >= 0 {
				return r.Text[i : i+len("V-000001")]
			}
		}
	}
	w.t.Fatal("no visit filed")
	return ""
}

// TestVisitDiscardArabic: a manager discards a visit filed by mistake from
// its message, after a question that a second press of its button, or
// the other manager's buttons, find answered; the evaluator is told
// without the manager's name, and nobody sees the visit or counts it
// after. A released visit cannot be discarded. Transcript:
// testdata/visit_discard_ar.golden.
func TestVisitDiscardArabic(t *testing.T) {
	w := newWorldWith(t, twoManagersConfig)
	ctx := context.Background()
	fs, err := files.Open(t.TempDir(), 8<<20)
	if err != nil {
		t.Fatal(err)
	}
	w.h.files = fs
	kept := func(id string) bool { _, err := fs.Stat(id); return err == nil }
	photo := putFile(t, fs, "a photo of the hall")
	id := fileTestVisit(w, "سجّلتها للمركز الخطأ.", shakwa.Attachment{Kind: "photo", ID: "web-" + photo[:8], From: "web", File: photo})

	// The photo stays while the visit has it: past the month a file a
	// staff member sent is kept for.
	w.wait(SentKeep + time.Hour)
	w.runJobs(JobDropUpload)
	if !kept(photo) {
		t.Fatal("the visit's photo went a month on, while the visit has it")
	}

	// Asked, kept, asked again, discarded.
	rs := w.press(manager, "vd:"+id)
	if !hasButton(rs, manager.id, "vdy:"+id) || !hasButton(rs, manager.id, "vdn:"+id) {
		t.Errorf("the question: %v; want a button to confirm", texts(rs))
	}
	if rs := w.press(manager, "vdn:"+id); !hasButton(rs, manager.id, "vd:"+id) || !hasButton(rs, manager.id, "vr:"+id) {
		t.Errorf("kept: %v; want the visit with its buttons again", texts(rs))
	}
	if v, _ := w.store.Visit(ctx, id); !v.Discarded.IsZero() {
		t.Fatalf("kept, yet discarded: %+v", v)
	}
	w.press(manager, "vd:"+id)
	rs = w.press(manager, "vdy:"+id)
	const saeed = "سعيد النعيمي"
	told := find(rs, layla.id, id)
	if len(told) != 1 || strings.Contains(told[0].Text, saeed) || !strings.Contains(told[0].Text, "/visit") {
		t.Errorf("the evaluator told of the discard: %v; want one message, without the manager's name, with /visit", texts(told))
	}
	if told := find(rs, aisha.id, id); len(told) != 1 || !strings.Contains(told[0].Text, saeed) {
		t.Errorf("the other manager told: %v; want who discarded it", texts(told))
	}
	if kept(photo) {
		t.Error("the discarded visit's photo is kept, though nothing else has it")
	}

	// Pressed again, or released from the other manager's message: it
	// was discarded already.
	discardedBefore := w.tr("ar", "visit.discarded_before", nil)
	for _, press := range []struct {
		who  person
		data string
	}{{manager, "vdy:" + id}, {aisha, "vd:" + id}, {aisha, "vr:" + id}} {
		rs := w.press(press.who, press.data)
		if len(rs) != 1 || !rs[0].Notice || rs[0].Text != discardedBefore {
			t.Errorf("%s presses %s after the discard: %v; want only %q", press.who.name, press.data, texts(rs), discardedBefore)
		}
	}
	if v, _ := w.store.Visit(ctx, id); !v.Released.IsZero() {
		t.Errorf("the discarded visit was released: %+v", v)
	}
	for _, p := range []person{manager, aisha, layla, noura} {
		if rs := w.text(p, "/visits 2026-11"); len(find(rs, p.id, id)) != 0 {
			t.Errorf("%s's /visits after the discard: %v; want it gone", p.name, texts(rs))
		}
	}
	log, err := w.store.AuditLog(ctx, 10)
	if err != nil || len(log) != 1 || log[0].Kind != "discarded" || log[0].By != manager.id || log[0].Who != layla.id || !strings.HasPrefix(log[0].What, id) {
		t.Errorf("the audit record: %+v, %v; want the discard, by %s", log, err, manager.id)
	}

	// Filed again, released: then it stays.
	again := fileTestVisit(w, "الزيارة الصحيحة.", shakwa.Attachment{Kind: "photo", ID: "AgAD-visit-2"})
	w.press(manager, "vr:"+again)
	rs = w.text(manager, "/discard "+again)
	if len(find(rs, manager.id, w.tr("ar", "visit.released_no_discard", nil))) != 1 {
		t.Errorf("/discard of a released visit: %v; want it cannot be", texts(rs))
	}
	w.text(manager, "/discard")
	w.text(noura, "/discard "+again)
	golden.Check(t, "visit_discard_ar.golden", w.script.String())
}

// hasButton reports whether a reply to chat in rs has a button of data.
func hasButton(rs []bot.Reply, chat, data string) bool {
	for _, r := range rs {
		if r.Chat != chat {
			continue
		}
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.Data == data {
					return true
				}
			}
		}
	}
	return false
}
