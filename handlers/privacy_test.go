package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/internal/golden"
)

// TestForgetArabic records a citizen asking for their data to be erased,
// in Arabic: asked first, then their open ticket withdrawn (its holder and
// group told) and both tickets' words, phone and link to them erased; the
// history says so, the figures stay; writing again starts afresh.
// testdata/forget_ar.golden.
func TestForgetArabic(t *testing.T) {
	w := newWorld(t)
	first := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + first})
	w.press(fatima, "close:"+first)
	w.text(fatima, "تمت خدمة المتعامل وإصلاح نظام النداء.")
	w.press(citizen, "rate:"+first+":4")
	w.wait(time.Hour)
	second := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + second})
	w.wait(time.Hour)
	stats := func() string {
		rs := w.text(manager, "/stats اليوم KRM")
		return rs[len(rs)-1].Text
	}
	before := stats()

	w.text(citizen, "احذف بياناتي")
	w.press(citizen, menuHome) // not now
	w.text(citizen, "/forget")
	w.press(citizen, "forget:yes")
	if _, err := w.store.Person(context.Background(), w.store.PersonID(shakwa.Address{Channel: "telegram", Chat: citizen.id})); err == nil {
		t.Error("the citizen's record is still there")
	}
	w.press(citizen, "forget:yes") // pressed twice: an old button, nothing more

	for _, id := range []string{first, second} {
		tk := w.ticket(id)
		if tk.Text != "" || tk.Phone != "" || len(tk.Attachments) > 0 || tk.Citizen != shakwa.ErasedCitizen || tk.Erased.IsZero() {
			t.Errorf("%s after the erasure: %+v", id, tk)
		}
		evs, err := w.store.Events(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Kind != "rated" && e.Text != "" {
				t.Errorf("%s: entry %s kept its words %q", id, e.Kind, e.Text)
			}
		}
	}
	if got := w.ticket(second); got.Status != shakwa.StatusWithdrawn {
		t.Errorf("the open ticket: %s; want withdrawn", got.Status)
	}
	// The figures are those of before, but for the withdrawal.
	after := stats()
	if strings.Count(after, "\n") != strings.Count(before, "\n") {
		t.Errorf("/stats changed shape:\n%s\n---\n%s", before, after)
	}
	w.text(fatima, "/history "+first)
	w.text(citizen, "١")
	w.text(citizen, "/start")
	golden.Check(t, "forget_ar.golden", w.script.String())
}

// TestRetention: the hourly sweep erases the personal data of tickets
// closed longer ago than retention.days, and only those, a batch at a
// time, once; every figure a manager reads is what it was.
func TestRetention(t *testing.T) {
	w, ts, fs := reportWorld(t, testConfig)
	ctx := context.Background()
	// One with a photo kept in the file store, closed a month ago.
	file, _, err := fs.Put(ctx, strings.NewReader("the photo's bytes"), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	old := w.now.AddDate(0, 0, -30)
	who := shakwa.Address{Channel: "whatsapp", Chat: "971500000001"}
	photo := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "صورة", Created: old, Updated: old,
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "wa-media-1", From: "whatsapp", File: file}}}
	if err := w.store.CreateTicket(ctx, photo, who, ""); err != nil {
		t.Fatal(err)
	}
	staff := shakwa.Staff{ID: fatima.id}
	if _, err := w.store.Claim(ctx, photo.ID, staff, nil, old.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Resolve(ctx, photo.ID, staff, "…", old.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.Rate(ctx, photo.ID, who, 5, old.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ts = append(ts, photo)
	// Two who wrote and filed nothing: their records hold their numbers.
	wroteOnce := shakwa.Address{Channel: "whatsapp", Chat: "971500000002"}
	wroteLately := shakwa.Address{Channel: "whatsapp", Chat: "971500000003"}
	if err := w.store.SetLang(ctx, wroteOnce, "ar", old); err != nil {
		t.Fatal(err)
	}
	if err := w.store.SetLang(ctx, wroteLately, "ar", w.now.AddDate(0, 0, -5)); err != nil {
		t.Fatal(err)
	}
	figures := func() []string {
		var out []string
		for _, cmd := range []string{"/stats", "/stats الشهر الماضي", "/stats آخر 7 أيام KRM", "/ranking", "/staff"} {
			for _, r := range w.text(manager, cmd) {
				out = append(out, r.Text)
			}
		}
		return out
	}
	before := figures()
	// As if the retention period were 10 days.
	w.h.cfg().Retention.Days = 10
	cutoff := w.now.AddDate(0, 0, -10)
	want := map[string]bool{}
	for _, tk := range ts {
		got := w.ticket(tk.ID)
		if !got.Status.Open() && !got.Closed.IsZero() && got.Closed.Before(cutoff) {
			want[tk.ID] = true
		}
	}
	if len(want) < 50 {
		t.Fatalf("only %d tickets to erase; want a real sweep", len(want))
	}
	if err := w.h.ScheduleRetention(ctx); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(time.Hour)
	w.runJobs(JobRetention)
	for _, tk := range ts {
		got := w.ticket(tk.ID)
		if erased := !got.Erased.IsZero(); erased != want[tk.ID] {
			t.Errorf("%s (%s, closed %v): erased %v; want %v", tk.ID, got.Status, got.Closed, erased, want[tk.ID])
		}
		if want[tk.ID] && (got.Text != "" || got.Citizen != shakwa.ErasedCitizen) {
			t.Errorf("%s erased but kept %q, citizen %q", tk.ID, got.Text, got.Citizen)
		}
	}
	if _, err := fs.Stat(file); err == nil {
		t.Error("an erased ticket's photo is still in the file store")
	}
	if _, err := w.store.Person(ctx, w.store.PersonID(wroteOnce)); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("the record of someone who wrote a month ago and filed nothing: %v; want it gone", err)
	}
	if _, err := w.store.Person(ctx, w.store.PersonID(wroteLately)); err != nil {
		t.Errorf("the record of someone who wrote 5 days ago: %v; want it kept", err)
	}
	w.now = w.now.Add(-time.Hour)
	after := figures()
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("a figure changed with the retention sweep:\n%s\n---\n%s", before[i], after[i])
		}
	}
	// The next run finds nothing new.
	n, _, err := w.store.EraseClosedBefore(ctx, cutoff, w.now, 10_000, true, nil)
	if err != nil || n != 0 {
		t.Errorf("a second sweep would erase %d, %v; want 0", n, err)
	}
}

// TestUploadsGo: a file a citizen sends stays in the file store while a
// ticket has it and goes a week after it was last sent when none does
// (sent at the menu, or in a draft cancelled); erasing a ticket leaves the
// bytes another ticket has too (files are kept once by content).
func TestUploadsGo(t *testing.T) {
	w, _, fs := reportWorld(t, testConfig)
	ctx := context.Background()
	put := func(s string) string { return putFile(t, fs, s) }
	photo := func(id string) bot.Message {
		return bot.Message{Attachments: []shakwa.Attachment{{Kind: "photo", ID: "web-" + id[:8], From: "web", File: id}}}
	}
	kept := func(id string) bool { _, err := fs.Stat(id); return err == nil }
	atMenu, taken, cancelled := put("sent at the menu"), put("sent with a complaint"), put("sent in a draft cancelled")

	w.do(citizen, photo(atMenu))
	w.toDescription(other, "KRM")
	w.text(other, "I waited for more than two hours and nobody called my number")
	w.do(other, photo(taken))
	w.press(other, "skip")
	filed := ""
	for _, r := range w.press(other, "confirm") {
		if strings.HasPrefix(r.Ref, refCard) {
			filed = strings.TrimPrefix(r.Ref, refCard)
		}
	}
	if got := w.ticket(filed); len(got.Attachments) != 1 || got.Attachments[0].File != taken {
		t.Fatalf("the complaint's attachments: %+v; want the photo", got.Attachments)
	}
	w.do(citizen, photo(taken)) // the same bytes, at the menu
	w.toDescription(citizen, "KRM")
	w.text(citizen, "انتظرت أكثر من ساعتين دون أن يُنادى رقمي")
	w.do(citizen, photo(cancelled))
	w.press(citizen, "cancel")

	w.wait(uploadKeep - time.Hour)
	w.runJobs(JobDropUpload)
	for _, id := range []string{atMenu, taken, cancelled} {
		if !kept(id) {
			t.Errorf("%s went before a week", id[:8])
		}
	}
	w.wait(2 * time.Hour)
	w.runJobs(JobDropUpload)
	if kept(atMenu) || kept(cancelled) {
		t.Errorf("a week on, files no ticket took are kept: at the menu %v, in a cancelled draft %v", kept(atMenu), kept(cancelled))
	}
	if !kept(taken) {
		t.Error("the complaint's photo went")
	}

	// A second ticket with the same bytes: erasing the first keeps them.
	twin := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "صورة", Created: w.now, Updated: w.now,
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "wa-media-2", From: "whatsapp", File: taken}}}
	if err := w.store.CreateTicket(ctx, twin, shakwa.Address{Channel: "whatsapp", Chat: "971500000002"}, ""); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{filed, twin.ID} {
		was := w.ticket(id)
		if _, _, err := w.store.EraseTicket(ctx, id, shakwa.SystemActor, w.now); err != nil {
			t.Fatal(err)
		}
		w.h.removeFiles(ctx, was)
		if last := i == 1; kept(taken) == last {
			t.Errorf("after erasing %s: the photo kept %v; want %v", id, kept(taken), !last)
		}
	}
}

// TestForgetSharedFile: a citizen whose two tickets have the same photo
// asks to be forgotten, handled as intake handles it, under a batch (an
// erased ticket leaves the file's index only when the update commits):
// the photo goes, and a photo another citizen's ticket has too stays.
func TestForgetSharedFile(t *testing.T) {
	w, _, fs := reportWorld(t, testConfig)
	ctx := context.Background()
	put := func(s string) string { return putFile(t, fs, s) }
	theirs, shared := put("the same form, twice"), put("a form another citizen sent too")
	who := shakwa.Address{Channel: "telegram", Chat: citizen.id}
	for _, file := range []string{theirs, theirs, shared} {
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "صورة النموذج", Created: w.now, Updated: w.now,
			Attachments: []shakwa.Attachment{{Kind: "photo", ID: "tg-" + file[:8], From: "telegram", File: file}}}
		if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
			t.Fatal(err)
		}
	}
	twin := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "صورة", Created: w.now, Updated: w.now,
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "wa-media-1", From: "whatsapp", File: shared}}}
	if err := w.store.CreateTicket(ctx, twin, shakwa.Address{Channel: "whatsapp", Chat: "971500000002"}, ""); err != nil {
		t.Fatal(err)
	}
	w.text(citizen, "/forget")
	m := bot.Message{ID: "forget-yes", Channel: "telegram", Chat: citizen.id, Button: "forget:yes", ButtonToken: "cb-forget",
		From: bot.User{ID: citizen.id, Name: citizen.name, Lang: citizen.lang}}
	bctx := w.store.Batch(shakwa.WithUpdate(ctx, "telegram:"+citizen.id+":forget-yes"))
	var rs bot.Replies
	w.h.Handle(bctx, &rs, &m)
	if rs.Err != nil {
		t.Fatal(rs.Err)
	}
	if err := w.store.Commit(bctx); err != nil {
		t.Fatal(err)
	}
	kept := func(id string) bool { _, err := fs.Stat(id); return err == nil }
	if kept(theirs) || !kept(shared) {
		t.Errorf("after /forget: their own photo kept %v, the one another ticket has kept %v; want false, true", kept(theirs), kept(shared))
	}
}

// TestStaffFilesGo: a file a staff member sends that the file store keeps
// (an upload on the web) is removed a month on, after the longest a web
// chat shows it, unless a ticket has it; a citizen's, a week on.
func TestStaffFilesGo(t *testing.T) {
	w, _, fs := reportWorld(t, testConfig)
	ctx := context.Background()
	id := putFile(t, fs, "a letter for the citizen")
	w.do(fatima, bot.Message{Attachments: []shakwa.Attachment{{Kind: "document", ID: "web-" + id[:8], From: "web", File: id}}})
	due, ok, err := w.store.JobDue(ctx, JobDropUpload, id)
	if err != nil || !ok || !due.Equal(w.now.Add(SentKeep)) {
		t.Fatalf("the staff member's file goes at %v (%v, %v); want %v", due, ok, err, w.now.Add(SentKeep))
	}
	w.wait(SentKeep)
	w.runJobs(JobDropUpload)
	if _, err := fs.Stat(id); err == nil {
		t.Error("the staff member's file is still kept a month on")
	}
}

// putFile keeps data in the file store fs and returns its content id.
func putFile(t *testing.T, fs *files.Store, data string) string {
	t.Helper()
	id, _, err := fs.Put(context.Background(), strings.NewReader(data), "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	return id
}
