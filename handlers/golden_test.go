package handlers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/internal/golden"
)

// TestWholeLoopArabic records one complaint from /start to rating, in
// Arabic, as a transcript a reviewer can read: testdata/loop_ar.golden.
func TestWholeLoopArabic(t *testing.T) {
	w := newWorld(t)
	w.text(citizen, "/start")
	w.press(citizen, menuComplaint)
	w.press(citizen, "centre:KRM")
	w.press(citizen, "cat:waiting")
	w.do(citizen, bot.Message{Unsupported: "sticker"})
	w.text(citizen, "طويل")
	w.text(citizen, "انتظرت أكثر من ساعتين في قاعة الانتظار، ونظام الأرقام متوقف دون أي إعلان.")
	w.do(citizen, bot.Message{Attachments: []shakwa.Attachment{{Kind: "photo", ID: "AgAD-photo-1"}}})
	w.do(citizen, bot.Message{Phone: "+971501234567"})
	w.press(citizen, "confirm")
	id := "KRM-000001"
	if got := w.ticket(id); got.Status != shakwa.StatusNew || len(got.Attachments) != 1 || got.Phone != "+971501234567" {
		t.Fatalf("after confirm: %+v", got)
	}

	w.wait(12 * time.Minute)
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.do(khalid, bot.Message{Chat: "-1001", Button: "claim:" + id})
	if got := w.ticket(id); got.Holder.ID != fatima.id {
		t.Fatalf("holder %q; want %q", got.Holder.ID, fatima.id)
	}

	// Her view masks the phone; she asks for it, once, and the history
	// says so. Khalid, who does not hold it, may not.
	w.press(fatima, "phone:"+id)
	w.press(khalid, "phone:"+id)

	w.wait(5 * time.Minute)
	w.do(fatima, bot.Message{ReplyTo: w.pressable["telegram:"+fatima.id]["close:"+id],
		Text: "نعتذر عن التأخير. تم إصلاح نظام الأرقام، هل ما زلت في المركز؟"})
	w.text(citizen, "نعم ما زلت هنا، رقمي ٤٥")
	w.wait(20 * time.Minute)
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت خدمة المتعامل وإصلاح نظام النداء الآلي.")
	w.press(citizen, "rate:"+id+":5")
	w.press(citizen, "rate:"+id+":5")
	w.text(citizen, "krm-٠٠٠٠٠١")
	w.wait(time.Hour)
	w.text(manager, "/stats اليوم")
	// The history: to her, to the manager (the number typed in Arabic
	// digits), not to staff of another centre.
	w.text(fatima, "/history "+id)
	w.text(manager, "/history krm ١")
	w.text(maryam, "/history "+id)

	got := w.ticket(id)
	if got.Status != shakwa.StatusClosed || got.Rating != 5 || got.Claimed.IsZero() || got.FirstReply.IsZero() ||
		got.Resolved.IsZero() || got.Rated.IsZero() {
		t.Errorf("final ticket: %+v", got)
	}
	if d := got.Claimed.Sub(got.Created); d != 12*time.Minute {
		t.Errorf("time to claim %v; want 12m", d)
	}
	golden.Check(t, "loop_ar.golden", w.script.String())
}

// TestRejectionArabic records rejections, in Arabic: the holder rejects
// for missing information with a word of their own, the citizen adds it
// once and the ticket is back with her; a second rejection leaves nothing
// to add, and the old button says so; a supervisor rejects an unclaimed
// ticket from the queue; another staff member may not.
// testdata/reject_ar.golden.
func TestRejectionArabic(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.wait(10 * time.Minute)
	w.press(khalid, "reject:"+id)
	w.press(fatima, "reject:"+id)
	w.press(fatima, "reason:need_info")
	w.text(fatima, "نرجو إرسال صورة التذكرة التي حصلت عليها عند الدخول.")
	if got := w.ticket(id); got.Status != shakwa.StatusRejected || got.Reason != "need_info" {
		t.Fatalf("after the rejection: %s %q", got.Status, got.Reason)
	}
	w.wait(time.Hour)
	w.press(citizen, "amend:"+id)
	w.text(citizen, "هذه صورة التذكرة، رقمي ٤٥")
	if got := w.ticket(id); got.Status != shakwa.StatusClaimed || got.Holder.ID != fatima.id || got.Amended.IsZero() {
		t.Fatalf("after the amendment: %s held by %q, amended %v", got.Status, got.Holder.ID, got.Amended)
	}
	w.text(fatima, "/reject "+id)
	w.press(fatima, "reason:need_info")
	w.press(fatima, "skip")
	w.press(citizen, "amend:"+id)
	w.text(citizen, id)

	// A supervisor rejects a ticket nobody has claimed.
	second := w.fileComplaint(citizen, "KRM")
	w.text(khalid, "/reject "+second)
	w.text(noura, "/reject "+second)
	w.press(noura, "reason:duplicate")
	w.text(noura, "مكرر للطلب "+id)
	if got := w.ticket(second); got.Status != shakwa.StatusRejected || got.Reason != "duplicate" || got.DuplicateOf != id {
		t.Errorf("the supervisor's rejection: %s %q, duplicate of %q", got.Status, got.Reason, got.DuplicateOf)
	}
	evs, _ := w.store.Events(context.Background(), id)
	if last := evs[len(evs)-1]; last.Kind != "note" || !strings.Contains(last.Text, second) {
		t.Errorf("the original's last event %+v; want a note naming %s", last, second)
	}
	w.text(manager, "/stats اليوم KRM")
	golden.Check(t, "reject_ar.golden", w.script.String())
}

// TestWithdrawalArabic records a citizen withdrawing a ticket their centre
// is working on: asked to confirm, the holder and the group told, and a
// second press answered without a change. testdata/withdraw_ar.golden.
func TestWithdrawalArabic(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.wait(time.Hour)
	w.text(citizen, "krm ١") // its number, to see it (a bare «١» would go to the staff member at work on it)
	w.press(citizen, "withdraw:"+id)
	w.press(citizen, "view:"+id)
	w.press(citizen, "withdraw:"+id)
	w.press(citizen, "withdrawn:"+id)
	if got := w.ticket(id); got.Status != shakwa.StatusWithdrawn || got.Closed.IsZero() {
		t.Fatalf("after the withdrawal: %s, closed %v", got.Status, got.Closed)
	}
	w.press(citizen, "withdrawn:"+id)
	w.press(other, "withdrawn:"+id)
	w.press(fatima, "close:"+id)
	w.text(manager, "/stats اليوم KRM")
	golden.Check(t, "withdraw_ar.golden", w.script.String())
}

// TestReassignArabic records a supervisor giving a held ticket to another
// staff member (both told; the first can no longer close it), taking an
// unclaimed one herself, and a staff member who may not reassign.
// testdata/reassign_ar.golden.
func TestReassignArabic(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.wait(2 * time.Hour)
	w.text(khalid, "/reassign "+id)
	w.text(noura, "/reassign "+id)
	w.press(noura, "reassign:"+id+":"+khalid.id)
	if got := w.ticket(id); got.Holder.ID != khalid.id || got.Status != shakwa.StatusClaimed {
		t.Fatalf("after reassigning: %s held by %q", got.Status, got.Holder.ID)
	}
	w.press(fatima, "close:"+id)
	w.press(noura, "reassign:"+id+":"+khalid.id)

	second := w.fileComplaint(citizen, "KRM")
	w.text(noura, "/reassign "+second)
	w.press(noura, "reassign:"+second+":"+noura.id)
	if got := w.ticket(second); got.Holder.ID != noura.id || got.Claimed.IsZero() {
		t.Errorf("the supervisor took it: held by %q, claimed %v", got.Holder.ID, got.Claimed)
	}
	golden.Check(t, "reassign_ar.golden", w.script.String())
}

// TestEscalationArabic drives the SLA steps with the test clock: the
// group is reminded before the claim deadline, the supervisor told at it;
// a claim ends the claim's steps and starts the resolution's (the
// holder's reminder, then the supervisor); a resolution ends them. Steps
// missed while nothing ran (the service was down) are not sent one by
// one: each person gets one summary. testdata/escalation_ar.golden.
func TestEscalationArabic(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.wait(23 * time.Minute)
	if rs := w.runJobs(JobSLA); len(rs) != 0 {
		t.Errorf("before 80%% of the claim target: %v", texts(rs))
	}
	w.wait(time.Minute) // 24 of 30 minutes
	w.runJobs(JobSLA)
	w.wait(6 * time.Minute)
	w.runJobs(JobSLA)
	w.wait(30 * time.Minute)
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.wait(4 * time.Hour) // the managers' rung of the claim: gone with the claim
	if rs := w.runJobs(JobSLA); len(rs) != 0 {
		t.Errorf("claim steps after the claim: %v", texts(rs))
	}
	w.wait(38*time.Hour + 24*time.Minute - 5*time.Hour) // 80 % of 48 h after filing
	w.runJobs(JobSLA)
	w.wait(9*time.Hour + 36*time.Minute) // the deadline
	w.runJobs(JobSLA)
	w.text(noura, "/overdue")
	w.press(noura, "show:"+id)
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت معالجة الطلب وإبلاغ المتعامل بالموعد الجديد.")
	w.wait(5 * time.Hour)
	if rs := w.runJobs(JobSLA); len(rs) != 0 {
		t.Errorf("steps after the resolution: %v", texts(rs))
	}

	// Down for a day: two tickets miss every step; each person hears once.
	a, b := w.fileComplaint(citizen, "KRM"), w.fileComplaint(other, "KRM")
	w.wait(26 * time.Hour)
	for range 6 {
		w.runJobs(JobSLA) // each run takes the next step, late
	}
	w.wait(time.Minute)
	w.runJobs(JobOverdue)
	w.text(manager, "/overdue")
	_, _ = a, b
	golden.Check(t, "escalation_ar.golden", w.script.String())
}

// TestDuplicatesAndLimitsArabic records a citizen filing the same matter
// twice (asked, and it joins the open ticket), then a different one at the
// same centre and category (a new ticket when they say so), then one too
// many (told kindly, and the summary waits). testdata/duplicate_ar.golden.
func TestDuplicatesAndLimitsArabic(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, "limits: {duplicate_within: 0s}", "limits: {open_tickets: 2, duplicate_within: 72h, messages_per_minute: 100}", 1))
	first := w.fileComplaint(citizen, "KRM")
	w.wait(2 * time.Hour)
	w.toSummary(citizen, "KRM")
	w.press(citizen, "confirm")
	w.press(citizen, "dup:same:"+first)
	if n := len(w.ticketsOf(citizen)); n != 1 {
		t.Errorf("%d tickets after adding to the first; want 1", n)
	}
	w.toSummary(citizen, "KRM")
	w.press(citizen, "confirm")
	w.press(citizen, "dup:new")
	w.press(citizen, "dup:new") // pressed twice: nothing more
	if n := len(w.ticketsOf(citizen)); n != 2 {
		t.Errorf("%d tickets after a new one; want 2", n)
	}
	w.toSummary(citizen, "BRS")
	w.press(citizen, "confirm")
	w.press(citizen, "confirm")
	if n := len(w.ticketsOf(citizen)); n != 2 {
		t.Errorf("%d tickets past the limit of open ones; want 2", n)
	}
	golden.Check(t, "duplicate_ar.golden", w.script.String())
}

// TestStaffWritesArabic: what a staff member writes in their private chat
// answers the request they hold; with two, they are asked which, and the
// text waits for the choice (a second press sends nothing twice); with
// none, they are told it reaches nobody, not shown the citizens' menu.
// testdata/staff_writes_ar.golden.
func TestStaffWritesArabic(t *testing.T) {
	w := newWorld(t)
	w.text(fatima, "صباح الخير")
	first := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + first})
	w.text(fatima, "نعتذر عن الانتظار، سنراجع نظام الأرقام اليوم.")
	second := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + second})
	w.text(fatima, "هل يمكنك إرسال صورة الإيصال؟")
	w.press(fatima, "answer:"+second)
	w.press(fatima, "answer:"+second)
	w.text(fatima, "نص لن يُرسل")
	w.press(fatima, "answer:-")
	var replies []string
	for _, id := range []string{first, second} {
		es, err := w.store.Events(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Kind == "reply" {
				replies = append(replies, id+": "+e.Text)
			}
		}
	}
	want := []string{first + ": نعتذر عن الانتظار، سنراجع نظام الأرقام اليوم.", second + ": هل يمكنك إرسال صورة الإيصال؟"}
	if !slices.Equal(replies, want) {
		t.Errorf("replies on the tickets: %q; want %q", replies, want)
	}
	golden.Check(t, "staff_writes_ar.golden", w.script.String())
}
