package handlers

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
)

// TestEscalationTwoRunners: two replicas run the SLA jobs on one Redis
// while a ticket nobody claims ages for a day: the group is reminded once,
// the supervisor told once at the deadline, the manager once four hours
// later, and nothing after.
func TestEscalationTwoRunners(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.fileComplaint(citizen, "KRM")
	var mu sync.Mutex
	clock := w.now
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	out := &queued{calls: map[string]int{}}
	var runners []*bot.Jobs
	for range 2 {
		h := New(w.h.cfg(), w.store, w.h.text, now, slog.New(slog.DiscardHandler), Options{})
		jobs := bot.NewJobs(w.store, out, now, slog.New(slog.DiscardHandler))
		jobs.Handle(JobSLA, h)
		jobs.Handle(JobOverdue, h)
		runners = append(runners, jobs)
	}
	for range 24 * 60 / 2 {
		mu.Lock()
		clock = clock.Add(2 * time.Minute)
		mu.Unlock()
		var wg sync.WaitGroup
		for _, r := range runners {
			wg.Go(func() {
				if _, err := r.RunDue(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	got := map[string]int{}
	for _, r := range out.list {
		switch {
		case r.Chat == "-1001" && strings.Contains(r.Text, "لم يُستلم بعد") && strings.Contains(r.Text, id):
			got["reminder"]++
		case r.Chat == noura.id && strings.Contains(r.Text, id):
			got["supervisor"]++
		case r.Chat == manager.id && strings.Contains(r.Text, id):
			got["manager"]++
		case r.Edit:
		default:
			t.Errorf("unexpected message to %s: %q", r.Chat, r.Text)
		}
	}
	if got["reminder"] != 1 || got["supervisor"] != 1 || got["manager"] != 1 {
		t.Errorf("sent %v; want the reminder, the supervisor and the manager once each", got)
	}
	for once, n := range out.calls {
		if n != 1 {
			t.Errorf("%s queued %d times", once, n)
		}
	}
}

// TestEscalationRacingClose: the supervisor's step of a ticket's
// resolution deadline runs while its holder resolves it: the ticket ends
// resolved, and the supervisor hears of it at most once, whichever came
// first.
func TestEscalationRacingClose(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, "limits: {duplicate_within: 0s}",
		"limits: {duplicate_within: 0s, open_tickets: 100, tickets_per_day: 100}", 1))
	ctx := context.Background()
	for round := range 20 {
		w.wait(time.Minute) // within the citizen's messages a minute
		id := w.fileComplaint(citizen, "KRM")
		w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
		_, resolve := w.h.model.Deadlines("KRM", "waiting", w.ticket(id).Created)
		now := resolve
		h := New(w.h.cfg(), w.store, w.h.text, func() time.Time { return now }, slog.New(slog.DiscardHandler), Options{})
		var rs bot.Replies
		var wg sync.WaitGroup
		wg.Go(func() { h.RunJob(ctx, &rs, &shakwa.Job{Kind: JobSLA, Key: id, Due: resolve}) })
		wg.Go(func() {
			if _, err := w.store.Resolve(ctx, id, shakwa.Staff{ID: fatima.id, Name: fatima.name}, "تمت المعالجة", now); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if rs.Err != nil {
			t.Fatalf("round %d: the job failed: %v", round, rs.Err)
		}
		if got := w.ticket(id); got.Status != shakwa.StatusResolved {
			t.Errorf("round %d: ticket %s; want resolved", round, got.Status)
		}
		if n := len(find(rs.List, noura.id, id)); n > 1 {
			t.Errorf("round %d: the supervisor heard %d times", round, n)
		}
	}
}

// failing is an outbox that refuses every reply, as a Redis that is down
// does.
type failing struct{}

func (failing) Enqueue(context.Context, string, time.Duration, []bot.Reply) (bool, error) {
	return false, errors.New("outbox unreachable")
}

// TestSLAStepOutlivesFailedSend: the reminder's messages cannot be queued
// (the outbox's Redis is down): the reminder is run again and sent once it
// can be, and the supervisor's step still follows at the deadline.
func TestSLAStepOutlivesFailedSend(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.fileComplaint(citizen, "KRM")
	now := func() time.Time { return w.now }
	quiet := slog.New(slog.DiscardHandler)
	down := bot.NewJobs(w.store, failing{}, now, quiet)
	down.Handle(JobSLA, w.h)
	out := &queued{calls: map[string]int{}}
	up := bot.NewJobs(w.store, out, now, quiet)
	up.Handle(JobSLA, w.h)

	w.now = w.now.Add(24 * time.Minute) // 80 % of the half hour
	if _, err := down.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	w.now = w.now.Add(time.Minute)
	if _, err := up.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(find(out.list, "-1001", id)); n != 1 {
		t.Fatalf("the group was reminded %d times once the outbox was back; want once: %v", n, out.list)
	}
	w.now = w.now.Add(5 * time.Minute)
	if _, err := up.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(find(out.list, noura.id, id)); n != 1 {
		t.Errorf("the supervisor heard %d times at the deadline; want once", n)
	}
}

// TestSLAAfterHandsChange: a ticket released back to the queue after its
// claim deadline has its supervisor told at once that it is late again,
// and its manager at the ladder's next rung; a ticket its citizen reopens
// days later has its whole resolution target again.
func TestSLAAfterHandsChange(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := w.fileComplaint(citizen, "KRM")
	w.wait(24 * time.Minute)
	w.runJobs(JobSLA) // the reminder
	w.wait(6 * time.Minute)
	if n := len(find(w.runJobs(JobSLA), noura.id, id)); n != 1 {
		t.Fatalf("at the deadline the supervisor heard %d times; want once", n)
	}
	w.wait(time.Minute)
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.wait(time.Hour)
	w.press(fatima, "release:"+id)
	if got := w.ticket(id).Status; got != shakwa.StatusNew {
		t.Fatalf("released ticket is %s", got)
	}
	rs := w.runJobs(JobSLA)
	if n := len(find(rs, noura.id, id)); n != 1 {
		t.Errorf("released an hour past its deadline, the supervisor heard %d times; want once: %v", n, rs)
	}
	if len(find(rs, manager.id, id)) != 0 {
		t.Errorf("the manager heard before the ladder's second rung")
	}
	w.wait(3 * time.Hour)
	if n := len(find(w.runJobs(JobSLA), manager.id, id)); n != 1 {
		t.Errorf("four hours past the deadline the manager heard %d times; want once", n)
	}

	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت المعالجة")
	w.wait(72 * time.Hour)
	w.press(citizen, "reopen:"+id)
	tk := w.ticket(id)
	if !working(tk.Status) {
		t.Fatalf("reopened ticket is %s", tk.Status)
	}
	due, ok, err := w.store.JobDue(ctx, JobSLA, id)
	if err != nil || !ok {
		t.Fatalf("no SLA step after the reopen (%v)", err)
	}
	if want := w.now.Add(48 * time.Hour * 80 / 100); !due.Equal(want) {
		t.Errorf("after the reopen the next step is at %v; want the reminder of a new 48 h, %v", due, want)
	}
}

// TestSLANotRetoldOnReassign: a ticket past its resolution deadline that
// the supervisor gives to another staff member does not tell the ladder's
// people again (they heard, and one of them gave it); released back to the
// queue, it does.
func TestSLANotRetoldOnReassign(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	for range 60 {
		w.wait(time.Hour)
		w.runJobs(JobSLA)
	}
	w.text(noura, "/reassign "+id)
	w.press(noura, "reassign:"+id+":"+khalid.id)
	if got := w.ticket(id).Holder.ID; got != khalid.id {
		t.Fatalf("holder after the reassignment: %q; want Khalid", got)
	}
	rs := w.runJobs(JobSLA)
	if n, m := len(find(rs, noura.id, id)), len(find(rs, manager.id, id)); n+m != 0 {
		t.Errorf("after a reassignment past the deadline: supervisor told %d times, manager %d; want neither again: %v", n, m, texts(rs))
	}
	w.press(khalid, "release:"+id)
	if rs := w.runJobs(JobSLA); len(find(rs, manager.id, id))+len(find(rs, noura.id, id)) == 0 {
		t.Errorf("released past its deadline: nobody told; want the ladder's latest rung: %v", texts(rs))
	}
}

// TestSLARungsAtOneTime: two rungs of the ladder with the same delay are
// both taken.
func TestSLARungsAtOneTime(t *testing.T) {
	w := newWorldWith(t, testConfig+`
escalation:
  remind_at: 0
  ladder:
    - {to: supervisors, after: 0s}
    - {to: managers, after: 0s}
`)
	id := w.fileComplaint(citizen, "KRM")
	w.wait(30 * time.Minute)
	rs := w.runJobs(JobSLA)
	if len(find(rs, noura.id, id)) != 1 || len(find(rs, manager.id, id)) != 1 {
		t.Errorf("at the deadline; want the supervisor and the manager told once each: %v", rs)
	}
}

// TestReopenPastGoneHolder: a ticket whose holder has left the centre
// (removed from the roster by a reload) goes to the centre's queue when
// its citizen reopens it, with a new card, not back to them.
func TestReopenPastGoneHolder(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت المعالجة")
	cfg, err := config.Parse([]byte(strings.Replace(testConfig, "  - {telegram: 111,", "  # gone: {telegram: 111,", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Person(111); ok {
		t.Fatal("the holder is still in the roster")
	}
	if err := w.h.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	rs := w.press(citizen, "reopen:"+id)
	got := w.ticket(id)
	if got.Status != shakwa.StatusNew || got.Holder.ID != "" {
		t.Errorf("reopened with its holder gone: %s held by %q; want new, in the queue", got.Status, got.Holder.ID)
	}
	if len(find(rs, fatima.id, id)) != 0 || len(find(rs, "-1001", id)) != 1 {
		t.Errorf("replies %v; want a card in the centre's group and nothing to the holder gone", texts(rs))
	}
	q, err := w.store.Queue(context.Background(), "KRM", 0)
	if err != nil || len(q) != 1 || q[0].ID != id {
		t.Errorf("queue %v (%v); want the reopened ticket", q, err)
	}
}

// TestOverdueOfGoneHolder: /overdue names a late ticket whose holder has
// left the roster (nobody else would see it), as well as a late one in the
// queue.
func TestOverdueOfGoneHolder(t *testing.T) {
	w := newWorld(t)
	held := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+held)
	queued := w.fileComplaint(other, "KRM")
	cfg, err := config.Parse([]byte(strings.Replace(testConfig, "  - {telegram: 111,", "  # gone: {telegram: 111,", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.h.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	w.wait(49 * time.Hour) // past both deadlines
	rs := w.text(noura, "/overdue")
	for _, id := range []string{held, queued} {
		if len(find(rs, noura.id, id)) != 1 {
			t.Errorf("/overdue: %v; want %s named", texts(rs), id)
		}
	}
}

// TestRemindersTogether: tickets whose claim reminders fall due together
// (filed overnight, they all count from the opening) are reminded in the
// group in one message with a claim button each, not one message each;
// one filed later has its own; and each is reminded once.
func TestRemindersTogether(t *testing.T) {
	w := newWorld(t)
	var ids []string
	for i := range 4 {
		p := person{strconv.Itoa(7001 + i), "مواطن", "ar"}
		ids = append(ids, w.fileComplaint(p, "KRM"))
	}
	w.wait(10 * time.Minute)
	late := w.fileComplaint(person{"7010", "مواطن", "ar"}, "KRM")
	w.wait(14 * time.Minute)
	rs := w.runJobs(JobSLA)
	var reminders []bot.Reply
	for _, r := range rs {
		if r.Chat == "-1001" && strings.Contains(r.Text, "⏳") {
			reminders = append(reminders, r)
		}
	}
	if len(reminders) != 1 {
		t.Fatalf("reminders to the group: %d; want one for the four: %v", len(reminders), texts(rs))
	}
	t.Logf("the reminder:\n%s", reminders[0].Text)
	var pressed []string
	for _, row := range reminders[0].Buttons {
		for _, b := range row {
			pressed = append(pressed, b.Data)
		}
	}
	for _, id := range ids {
		if !strings.Contains(reminders[0].Text, id) || !slices.Contains(pressed, "claim:"+id) {
			t.Errorf("the reminder does not name %s with its button: %q %v", id, reminders[0].Text, pressed)
		}
	}
	if strings.Contains(reminders[0].Text, late) {
		t.Errorf("the reminder names %s, due ten minutes later", late)
	}
	w.wait(time.Minute)
	if rs := w.runJobs(JobSLA); len(find(rs, "-1001", "⏳")) != 0 {
		t.Errorf("a minute on, reminded again: %v", texts(rs))
	}
	// At the deadline the supervisor hears of the four in one message, a
	// button each, and each card says how late it is.
	w.wait(5 * time.Minute)
	rs = w.runJobs(JobSLA)
	told := find(rs, noura.id, "⚠️")
	if len(told) != 1 {
		t.Fatalf("at the deadline the supervisor got %d messages; want one for the four: %v", len(told), texts(rs))
	}
	t.Logf("the supervisor reads:\n%s", told[0].Text)
	for _, id := range ids {
		if !strings.Contains(told[0].Text, id) {
			t.Errorf("the supervisor's message does not name %s", id)
		}
	}
	if len(told[0].Buttons) != 4 {
		t.Errorf("the supervisor's message has %d buttons; want one a ticket", len(told[0].Buttons))
	}
	edits := 0
	for _, r := range rs {
		if r.Chat == "-1001" && r.Edit {
			edits++
		}
	}
	if edits != 4 {
		t.Errorf("cards edited at the deadline: %d; want the four", edits)
	}
	w.wait(4 * time.Minute)
	if rs := w.runJobs(JobSLA); len(find(rs, "-1001", late)) != 1 {
		t.Errorf("the later ticket's own reminder: %v; want it", texts(rs))
	}
}

// TestRetoldAfterTogether: a ticket whose rung was told with another's,
// then released past its deadline, is told again, as one told alone is.
func TestRetoldAfterTogether(t *testing.T) {
	w := newWorld(t)
	a := w.fileComplaint(person{"7101", "مواطن", "ar"}, "KRM")
	b := w.fileComplaint(person{"7102", "مواطن", "ar"}, "KRM")
	w.wait(24 * time.Minute)
	w.runJobs(JobSLA)
	w.wait(6 * time.Minute)
	if told := find(w.runJobs(JobSLA), noura.id, "⚠️"); len(told) != 1 || !strings.Contains(told[0].Text, b) {
		t.Fatalf("at the deadline: %v; want one message naming both", texts(told))
	}
	w.wait(time.Minute)
	for _, id := range []string{a, b} {
		w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	}
	w.wait(time.Hour)
	w.press(fatima, "release:"+b)
	if rs := w.runJobs(JobSLA); len(find(rs, noura.id, b)) != 1 {
		t.Errorf("%s released past its deadline: the supervisor heard %d times; want once: %v", b, len(find(rs, noura.id, b)), texts(rs))
	}
}

// TestCardEditsCarryTheTicketsVersion: a card and its edits say which
// state of the ticket they show (its last change), so that the outbox
// drops an edit made from an older read of the ticket (an SLA run that
// read it before a claim, its edit queued after the claim's).
func TestCardEditsCarryTheTicketsVersion(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	before := w.ticket(id)
	w.wait(time.Minute)
	rs := w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	after := w.ticket(id)
	var claimed bot.Reply
	for _, r := range rs {
		if r.Ref == refCard+id && r.Edit {
			claimed = r
		}
	}
	var late bot.Replies
	w.h.notify.EditCard(&late, before, "card.new", nil) // from the read before the claim
	if claimed.Queued != after.Updated.UnixNano() || len(late.List) != 1 || late.List[0].Queued != before.Updated.UnixNano() ||
		late.List[0].Queued >= claimed.Queued {
		t.Errorf("the claim's card edit is version %d, the late one %v; want the tickets' last changes, the claim's later (%v, %v)",
			claimed.Queued, late.List, after.Updated, before.Updated)
	}
}

// TestReassignFromAnEscalation: a supervisor told a ticket is late opens it
// from the message and gives it to someone from there, without typing
// /reassign.
func TestReassignFromAnEscalation(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	w.wait(49 * time.Hour)
	w.runJobs(JobSLA)
	rs := w.press(noura, "show:"+id)
	var reassign string
	for _, r := range rs {
		for _, row := range r.Buttons {
			for _, b := range row {
				if b.Data == "reassign:"+id {
					reassign = b.Data
				}
			}
		}
	}
	if reassign == "" {
		t.Fatalf("the supervisor's view of a late ticket: %v; want a button to give it to someone", texts(rs))
	}
	rs = w.press(noura, reassign)
	if got := find(rs, noura.id, w.tr("ar", "reassign.ask", w.h.ticketData("ar", w.ticket(id)))); len(got) != 1 || len(got[0].Buttons) == 0 {
		t.Fatalf("the button: %v; want whom it may go to", texts(rs))
	}
	// Put away, the picker changes nothing and says so in its place.
	rs = w.press(noura, "reassign:"+id+":-")
	if got := find(rs, noura.id, w.tr("ar", "reassign.kept", w.h.ticketData("ar", w.ticket(id)))); len(got) != 1 || !got[0].Edit {
		t.Errorf("the picker's cancel: %+v; want it to say the ticket stays, in place of the picker", rs)
	}
	if got := w.ticket(id).Holder.ID; got != fatima.id {
		t.Errorf("after the cancel: holder %q; want Fatima still", got)
	}
	w.press(noura, "reassign:"+id+":"+khalid.id)
	if got := w.ticket(id).Holder.ID; got != khalid.id {
		t.Errorf("holder %q; want Khalid", got)
	}
	// Staff see no such button: the holder on a ticket of theirs, nor
	// another staff member of the centre.
	for _, p := range []person{khalid, fatima} {
		rs := w.press(p, "show:"+id)
		if len(find(rs, p.id, id)) == 0 {
			t.Fatalf("%s's view of %s: %v; want the ticket", p.name, id, texts(rs))
		}
		for _, r := range rs {
			for _, row := range r.Buttons {
				for _, b := range row {
					if strings.HasPrefix(b.Data, "reassign:") {
						t.Errorf("%s's view offers %q", p.name, b.Data)
					}
				}
			}
		}
	}
}

// TestReassignToNobody: a supervisor who holds the only hands of a centre
// is told there is no one to give the ticket to, not shown a question
// with no buttons.
func TestReassignToNobody(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, `  - {telegram: 113, name: "مريم الكعبي", role: staff, centres: [BRS]}`+"\n", "", 1))
	id := w.fileComplaint(citizen, "BRS")
	w.do(noura, bot.Message{Chat: "-1002", Button: "claim:" + id})
	if got := w.ticket(id).Holder.ID; got != noura.id {
		t.Fatalf("holder %q; want Noura", got)
	}
	rs := w.press(noura, "reassign:"+id)
	want := w.tr("ar", "reassign.nobody", w.h.ticketData("ar", w.ticket(id)))
	if got := find(rs, noura.id, want); len(got) != 1 {
		t.Errorf("the picker with nobody to pick: %v; want %q", texts(rs), want)
	}
}

// TestRemindersTogetherDropped: a run that took the other tickets' reminder
// and then could not queue its message gives them back, so the others'
// own runs say theirs; the run tried again, after its ticket was claimed,
// has nothing to say.
func TestRemindersTogetherDropped(t *testing.T) {
	w := newWorld(t)
	for i := range 3 {
		w.fileComplaint(person{strconv.Itoa(7001 + i), "مواطن", "ar"}, "KRM")
	}
	w.wait(24 * time.Minute)
	ctx := context.Background()
	js, err := w.store.ClaimJobs(ctx, JobSLA, w.now, time.Minute, 100)
	if err != nil || len(js) != 3 {
		t.Fatalf("claim jobs: %d, %v; want the three reminders", len(js), err)
	}
	var rs bot.Replies
	w.h.RunJob(ctx, &rs, &js[0])
	if rs.Err != nil || len(find(rs.List, "-1001", "⏳")) != 1 {
		t.Fatalf("the first run: %v, %v; want the reminder of the three", rs.Err, texts(rs.List))
	}
	rs.Dropped(ctx) // as the job runner does when the replies are not queued
	if _, err := w.store.RetryJob(ctx, js[0], w.now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	first := js[0].Key
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + first})
	var told []bot.Reply
	for _, j := range js[1:] {
		var rs bot.Replies
		w.h.RunJob(ctx, &rs, &j)
		if rs.Err != nil {
			t.Fatal(rs.Err)
		}
		told = append(told, find(rs.List, "-1001", "⏳")...)
		if _, err := w.store.DoneJob(ctx, j, j.Again); err != nil {
			t.Fatal(err)
		}
	}
	w.wait(time.Second)
	told = append(told, find(w.runJobs(JobSLA), "-1001", "⏳")...)
	var named []string
	for _, r := range told {
		for _, j := range js {
			if strings.Contains(r.Text, j.Key) {
				named = append(named, j.Key)
			}
		}
	}
	slices.Sort(named)
	want := []string{js[1].Key, js[2].Key}
	slices.Sort(want)
	if !slices.Equal(named, want) {
		t.Errorf("reminded of %v; want the two still unclaimed, once each: %v", named, texts(told))
	}
}
