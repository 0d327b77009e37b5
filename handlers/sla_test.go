package handlers

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
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
