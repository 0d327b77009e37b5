package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

// resolved files a complaint for p at KRM, has Fatima claim and resolve
// it, and returns its id.
func (w *world) resolved(p person) string {
	w.t.Helper()
	id := w.fileComplaint(p, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت معالجة الطلب وإبلاغ المتعامل.")
	if got := w.ticket(id); got.Status != shakwa.StatusResolved {
		w.t.Fatalf("setup: ticket %s is %s; want resolved", id, got.Status)
	}
	return id
}

// TestAutoClose: a resolved ticket nobody rates is closed after
// close_after, by the job runner, and the citizen is told in their
// language; the centre's card says so.
func TestAutoClose(t *testing.T) {
	w := newWorld(t)
	id := w.resolved(citizen)
	en := w.resolved(other)
	w.wait(7*24*time.Hour - time.Minute)
	if rs := w.runJobs(JobAutoClose); len(rs) != 0 {
		t.Errorf("a minute before close_after: %v; want nothing yet", texts(rs))
	}
	w.wait(2 * time.Minute)
	rs := w.runJobs(JobAutoClose)
	if got := find(rs, citizen.id, "أُغلق طلبك "+id); len(got) != 1 || got[0].Ref != refTicket+id {
		t.Errorf("citizen told %v; want one Arabic notice about %s", texts(rs), id)
	}
	if got := find(rs, other.id, "has been closed"); len(got) != 1 {
		t.Errorf("English citizen told %v; want the English notice", texts(rs))
	}
	if got := find(rs, "-1001", "أُغلق دون تقييم"); len(got) != 2 || !got[0].Edit {
		t.Errorf("cards %v; want both edited to closed", texts(rs))
	}
	tk := w.ticket(id)
	if tk.Status != shakwa.StatusClosed || !tk.Closed.Equal(w.now) || tk.Rating != 0 {
		t.Errorf("ticket after the job: %+v; want closed now, unrated", tk)
	}
	evs, _ := w.store.Events(context.Background(), id)
	if last := evs[len(evs)-1]; last.Kind != "closed" || last.By != shakwa.SystemActor {
		t.Errorf("last event %+v; want closed by the system", last)
	}
	// A star pressed on the old rating question is told why it cannot
	// count.
	if rs := w.press(citizen, "rate:"+id+":4"); len(find(rs, citizen.id, "لم يعد تقييمه ممكناً")) != 1 {
		t.Errorf("a rating pressed after the close: %q; want to hear it was closed unrated", texts(rs))
	}
	if tk := w.ticket(id); tk.Rating != 0 {
		t.Errorf("rating after the close: %d; want none", tk.Rating)
	}
	// Run again (the first run stopped before its replies were queued):
	// it says the same, and closes nothing twice.
	var again bot.Replies
	w.h.RunJob(context.Background(), &again, &shakwa.Job{Kind: JobAutoClose, Key: en})
	if len(find(again.List, other.id, "has been closed")) != 1 || again.Err != nil {
		t.Errorf("second run: %v, %v; want the notice again (the outbox sends it once)", texts(again.List), again.Err)
	}
}

// TestAutoCloseLeavesRatedAndReopened: a rated ticket, and one reopened,
// are left alone; one resolved again waits its new close_after.
func TestAutoCloseLeavesRatedAndReopened(t *testing.T) {
	w := newWorld(t)
	rated := w.resolved(citizen)
	w.press(citizen, "rate:"+rated+":4")
	again := w.resolved(citizen)
	w.wait(3 * 24 * time.Hour)
	w.press(citizen, "reopen:"+again)
	w.wait(24 * time.Hour)
	w.press(fatima, "close:"+again)
	w.text(fatima, "عولج مرة أخرى بعد إعادة الفتح.")
	w.wait(4*24*time.Hour + time.Minute) // 7 days after the first resolution
	if rs := w.runJobs(JobAutoClose); len(rs) != 0 {
		t.Errorf("jobs 7 days after the first resolutions: %v; want nothing", texts(rs))
	}
	if st := w.ticket(again).Status; st != shakwa.StatusResolved {
		t.Errorf("ticket resolved again 4 days ago: %s; want still resolved", st)
	}
	w.wait(3 * 24 * time.Hour)
	if rs := w.runJobs(JobAutoClose); len(find(rs, citizen.id, again)) != 1 {
		t.Errorf("7 days after the second resolution: %v; want it closed and the citizen told", texts(rs))
	}
	if tk := w.ticket(rated); tk.Rating != 4 || tk.Status != shakwa.StatusClosed {
		t.Errorf("rated ticket %+v; want closed by its rating, untouched", tk)
	}
}

// TestIdleExpiry: a conversation left half-way ends after session.idle,
// by the job runner, and the person is told, with the menu; every step
// moves the time on.
func TestIdleExpiry(t *testing.T) {
	w := newWorld(t)
	w.press(other, menuComplaint)
	w.press(other, "centre:KRM")
	w.wait(20 * time.Minute)
	w.press(other, "cat:waiting")
	w.wait(20 * time.Minute) // 40 minutes from the start, 20 from the last step
	if rs := w.runJobs(JobIdle); len(rs) != 0 {
		t.Errorf("20 minutes after the last step: %v; want nothing", texts(rs))
	}
	w.wait(11 * time.Minute)
	rs := w.runJobs(JobIdle)
	got := find(rs, other.id, "timed out")
	if len(got) != 1 || len(got[0].Buttons) == 0 || got[0].Buttons[0][0].Data != menuComplaint {
		t.Fatalf("after 31 idle minutes: %v; want the English notice with the menu", texts(rs))
	}
	// Nothing runs any more: the next press is met with the menu, not
	// the old question.
	if rs := w.text(other, "my description is long enough"); len(find(rs, other.id, "didn't understand")) != 1 {
		t.Errorf("writing after the notice: %v; want the menu hint", texts(rs))
	}
	// The job again (its first run's notice was lost): the same notice.
	var again bot.Replies
	w.h.RunJob(context.Background(), &again, &shakwa.Job{Kind: JobIdle, Key: w.store.PersonID(addr(other))})
	if len(find(again.List, other.id, "timed out")) != 0 {
		t.Errorf("job after the person wrote again: %v; want nothing (the marker is gone)", texts(again.List))
	}
}

// TestIdleExpiryRunTwice: a run that stopped before its notice was queued
// says it on the next run.
func TestIdleExpiryRunTwice(t *testing.T) {
	w := newWorld(t)
	w.press(citizen, menuComplaint)
	w.wait(31 * time.Minute)
	key := w.store.PersonID(addr(citizen))
	var lost, again bot.Replies
	w.h.RunJob(context.Background(), &lost, &shakwa.Job{Kind: JobIdle, Key: key})
	w.h.RunJob(context.Background(), &again, &shakwa.Job{Kind: JobIdle, Key: key})
	for name, rs := range map[string]bot.Replies{"first": lost, "second": again} {
		if len(find(rs.List, citizen.id, "انتهت مهلة")) != 1 || rs.Err != nil {
			t.Errorf("%s run: %v, %v; want the Arabic notice", name, texts(rs.List), rs.Err)
		}
	}
}

// TestIdleExpiryRace: a step taken while the job runs wins: the job ends
// nothing it did not read.
func TestIdleExpiryRace(t *testing.T) {
	w := newWorld(t)
	w.press(citizen, menuComplaint)
	w.wait(31 * time.Minute)
	key := w.store.PersonID(addr(citizen))
	old, _ := w.store.Session(context.Background(), key)
	// The citizen starts again just before the job swaps the session.
	w.press(citizen, menuComplaint)
	if ok, err := w.store.SwapSession(context.Background(), key, old, nil, 0); ok || err != nil {
		t.Errorf("swap of a session replaced meanwhile = %v, %v; want false", ok, err)
	}
	var rs bot.Replies
	w.h.RunJob(context.Background(), &rs, &shakwa.Job{Kind: JobIdle, Key: key})
	if len(rs.List) != 0 {
		t.Errorf("job right after a fresh step: %v; want nothing", texts(rs.List))
	}
	if rs := w.press(citizen, "centre:KRM"); len(find(rs, citizen.id, "ما نوع الشكوى")) != 1 {
		t.Errorf("the fresh conversation: %v; want it to go on", texts(rs))
	}
}

// TestBrokenSession: a session another version saved, naming a flow this
// one lacks, is dropped with an apology and the menu, and logged.
func TestBrokenSession(t *testing.T) {
	w := newWorld(t)
	data, _ := json.Marshal(stored{To: addr(citizen)})
	data = []byte(strings.Replace(string(data), `"to"`, `"flow":"survey","state":"q3","updated":"2026-11-22T08:00:00Z","to"`, 1))
	if err := w.store.SaveSession(context.Background(), w.store.PersonID(addr(citizen)), data, time.Hour); err != nil {
		t.Fatal(err)
	}
	rs := w.text(citizen, "نعم")
	if len(find(rs, citizen.id, "تعذّر إكمال محادثتك")) != 1 {
		t.Errorf("reply to a broken session: %v; want the apology and the menu", texts(rs))
	}
	if !strings.Contains(w.logs.String(), "session dropped") {
		t.Errorf("log %q; want the dropped session logged", w.logs.String())
	}
	if rs := w.text(citizen, "نعم"); len(find(rs, citizen.id, "تعذّر")) != 0 {
		t.Errorf("next message: %v; want the session gone", texts(rs))
	}
}

func addr(p person) shakwa.Address { return shakwa.Address{Channel: "telegram", Chat: p.id} }

// TestComplaintHeldAtTheDailyLimitWaitsForTomorrow: a complaint stopped at
// the daily limit is kept, as the citizen is told, past the idle time and
// until the next day, when confirming it files it; words typed meanwhile
// are answers to staff, not to its summary.
func TestComplaintHeldAtTheDailyLimitWaitsForTomorrow(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, "limits: {duplicate_within: 0s}", "limits: {duplicate_within: 0s, tickets_per_day: 1}", 1))
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.toSummary(citizen, "BRS")
	if rs := w.press(citizen, "confirm"); len(find(rs, citizen.id, "يمكنك تأكيدها غداً")) != 1 {
		t.Fatalf("confirming past the daily limit: %v; want it kept for tomorrow", texts(rs))
	}
	w.wait(31 * time.Minute)
	if rs := w.runJobs(JobIdle); len(rs) != 0 {
		t.Errorf("31 minutes after it was kept for tomorrow: %v; want nothing", texts(rs))
	}
	if rs := w.text(citizen, "كنت عند البوابة ٤"); len(find(rs, fatima.id, "كنت عند البوابة ٤")) != 1 {
		t.Errorf("an answer typed while the complaint waits: %v; want it passed to the holder", texts(rs))
	}
	w.wait(24 * time.Hour)
	w.runJobs(JobIdle)
	if rs := w.press(citizen, "confirm"); len(find(rs, citizen.id, "BRS-000001")) == 0 {
		t.Errorf("confirming the next day: %v; want it filed as BRS-000001", texts(rs))
	}
}

// TestHeldComplaintExpiresAfterItsHold: a complaint kept at a limit that
// is never confirmed ends when its hold does, and the citizen is told.
func TestHeldComplaintExpiresAfterItsHold(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, "limits: {duplicate_within: 0s}", "limits: {duplicate_within: 0s, open_tickets: 1}", 1))
	w.fileComplaint(citizen, "KRM")
	w.toSummary(citizen, "BRS")
	w.press(citizen, "confirm")
	w.wait(limitHold - time.Minute)
	if rs := w.runJobs(JobIdle); len(rs) != 0 {
		t.Errorf("a minute before the hold ends: %v; want nothing", texts(rs))
	}
	w.wait(2 * time.Minute)
	if rs := w.runJobs(JobIdle); len(find(rs, citizen.id, "انتهت مهلة")) != 1 {
		t.Errorf("a minute after the hold ends: %v; want the expiry notice", texts(rs))
	}
}

// TestDuplicateQuestionHasItsOwnIdleTime: the duplicate question, asked
// when the summary is confirmed, may be answered for session.idle from
// then, however long the summary was read.
func TestDuplicateQuestionHasItsOwnIdleTime(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, "limits: {duplicate_within: 0s}", "limits: {duplicate_within: 72h}", 1))
	w.fileComplaint(citizen, "KRM")
	w.toSummary(citizen, "KRM")
	w.wait(29 * time.Minute)
	w.press(citizen, "confirm") // the duplicate question
	w.wait(2 * time.Minute)
	if rs := w.runJobs(JobIdle); len(rs) != 0 {
		t.Errorf("2 minutes after the duplicate question: %v; want nothing", texts(rs))
	}
	if rs := w.press(citizen, "dup:new"); len(find(rs, citizen.id, "KRM-000002")) == 0 {
		t.Errorf("answering it then: %v; want KRM-000002 filed", texts(rs))
	}
}

// TestAutoCloseAfterForget: a resolved ticket whose citizen had their data
// erased before rating it closes on time, once, with no notice to anybody
// and its card left saying it was erased.
func TestAutoCloseAfterForget(t *testing.T) {
	w := newWorld(t)
	id := w.resolved(citizen)
	w.text(citizen, "/forget")
	w.press(citizen, "forget:yes")
	w.wait(7*24*time.Hour + time.Minute)
	if rs := w.runJobs(JobAutoClose); len(rs) != 0 {
		t.Errorf("closing an erased ticket said %v; want nothing", texts(rs))
	}
	if got := w.ticket(id); got.Status != shakwa.StatusClosed {
		t.Errorf("erased resolved ticket is %s; want closed", got.Status)
	}
	if _, ok, err := w.store.JobDue(context.Background(), JobAutoClose, id); err != nil || ok {
		t.Errorf("the automatic close is still scheduled (%v): it would run for ever", err)
	}
}

// TestRateAfterReopenAndClose: rated, reopened, resolved again and closed
// unrated: a star pressed then is told the ticket closed unrated, not that
// it was rated already (that rating was of the resolution before).
func TestRateAfterReopenAndClose(t *testing.T) {
	w := newWorld(t)
	id := w.resolved(citizen)
	w.wait(time.Hour)
	w.press(citizen, "rate:"+id+":2")
	w.wait(time.Hour)
	w.press(citizen, "reopen:"+id)
	if got := w.ticket(id); !got.Status.Open() {
		t.Fatalf("after the reopen: %s; want open", got.Status)
	}
	w.wait(time.Hour)
	w.press(fatima, "close:"+id)
	w.text(fatima, "عولج الطلب من جديد وأُبلغ المتعامل.")
	w.wait(7*24*time.Hour + time.Minute)
	w.runJobs(JobAutoClose)
	if got := w.ticket(id); got.Status != shakwa.StatusClosed {
		t.Fatalf("after close_after: %s; want closed", got.Status)
	}
	rs := w.press(citizen, "rate:"+id+":4")
	if len(find(rs, citizen.id, "لم يعد تقييمه ممكناً")) != 1 {
		t.Errorf("a star after the close: %q; want to hear it closed unrated", texts(rs))
	}
}

// TestTypedRating: «٤» typed under the rating question rates the ticket
// four stars, as the button would.
func TestTypedRating(t *testing.T) {
	w := newWorld(t)
	for range 5 { // so that the ticket's number is not 4
		w.fileComplaint(other, "KRM")
	}
	id := w.resolved(citizen)
	w.wait(time.Hour)
	rs := w.text(citizen, "٤")
	if got := w.ticket(id); got.Rating != 4 || got.Status != shakwa.StatusClosed {
		t.Errorf("after «٤»: %s rated %d (%s), replies %v; want 4 stars, closed", id, got.Rating, got.Status, texts(rs))
	}
}
