package bot_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// ran records the jobs a handler ran, and replies to each.
type ran struct {
	mu   sync.Mutex
	keys []string
}

func (r *ran) handler(fail func(j *shakwa.Job) error) bot.JobHandler {
	return bot.JobFunc(func(ctx context.Context, w bot.Responder, j *shakwa.Job) {
		r.mu.Lock()
		r.keys = append(r.keys, j.Key)
		r.mu.Unlock()
		if fail != nil {
			if err := fail(j); err != nil {
				w.Fail(err)
				return
			}
		}
		w.Reply(bot.Reply{Channel: "telegram", Chat: "1", Text: "job " + j.Key})
	})
}

func (r *ran) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.keys)
}

func schedule(t *testing.T, s *storage.Store, kind, key string, at time.Time) {
	t.Helper()
	if err := s.ScheduleJob(context.Background(), kind, key, at); err != nil {
		t.Fatal(err)
	}
}

// TestJobsRunOnceAcrossProcesses: two runners on one store (two replicas),
// polling at once: each due job runs once, its replies queued once, and a
// job not yet due waits for the clock.
func TestJobsRunOnceAcrossProcesses(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	out := &collect{}
	r := &ran{}
	runners := []*bot.Jobs{bot.NewJobs(store, out, clk.Now, quiet), bot.NewJobs(store, out, clk.Now, quiet)}
	for _, j := range runners {
		j.Handle("autoclose", r.handler(nil))
	}
	for i, key := range []string{"KRM-000001", "KRM-000002", "KRM-000003"} {
		schedule(t, store, "autoclose", key, clk.Now().Add(time.Duration(i)*time.Hour))
	}
	clk.add(90 * time.Minute)
	var wg sync.WaitGroup
	for _, j := range runners {
		wg.Go(func() {
			if _, err := j.RunDue(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := r.list()
	slices.Sort(got)
	if !slices.Equal(got, []string{"KRM-000001", "KRM-000002"}) {
		t.Errorf("ran %v; want the two due jobs, once each", got)
	}
	clk.add(time.Hour)
	if n, err := runners[1].RunDue(context.Background()); n != 1 || err != nil {
		t.Errorf("RunDue an hour later = %d, %v; want the third job", n, err)
	}
	if n, _ := runners[0].RunDue(context.Background()); n != 0 {
		t.Errorf("RunDue again = %d; want nothing left", n)
	}
	if got := out.texts(); len(got) != 3 {
		t.Errorf("replies %v; want one per job", got)
	}
}

// TestJobsRetryAndSurviveRestart: a failing job is retried with backoff by
// whichever runner finds it due, past Tries, for as long as it fails.
// A runner that dies with a job claimed leaves it to another after the
// lease.
func TestJobsRetryAndSurviveRestart(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	out := &collect{}
	r := &ran{}
	fails := 2
	failing := r.handler(func(j *shakwa.Job) error {
		if fails > 0 {
			fails--
			return errors.New("redis: i/o timeout")
		}
		return nil
	})
	j1 := bot.NewJobs(store, out, clk.Now, quiet)
	j1.Handle("idle", failing)
	schedule(t, store, "idle", "p1", clk.Now())
	j1.RunDue(context.Background())
	j1.RunDue(context.Background()) // backing off: not again yet
	if got := r.list(); len(got) != 1 {
		t.Fatalf("ran %v; want once, then a backoff", got)
	}
	j2 := bot.NewJobs(store, out, clk.Now, quiet) // a restarted process
	j2.Handle("idle", failing)
	for range 5 {
		clk.add(10 * time.Second)
		j2.RunDue(context.Background())
	}
	if got := r.list(); len(got) != 3 || len(out.texts()) != 1 {
		t.Errorf("ran %d times, %d replies; want 3 runs (2 failures) and one reply", len(got), len(out.texts()))
	}

	// Failing more often than Tries: still retried, never dropped.
	fails = 9
	schedule(t, store, "idle", "p3", clk.Now())
	for range 40 {
		clk.add(2 * time.Minute)
		j2.RunDue(context.Background())
	}
	if got := r.list(); len(got) != 13 || len(out.texts()) != 2 {
		t.Errorf("ran %d times, %d replies; want 10 more runs (9 failures) and one more reply", len(got), len(out.texts()))
	}

	// A runner claims a job and dies: its claim ends after the lease.
	schedule(t, store, "idle", "p2", clk.Now())
	if js, err := store.ClaimJobs(context.Background(), "idle", clk.Now(), j2.Lease, 10); err != nil || len(js) != 1 {
		t.Fatalf("ClaimJobs = %v, %v", js, err)
	}
	if n, _ := j2.RunDue(context.Background()); n != 0 {
		t.Errorf("RunDue while the dead runner's claim holds = %d; want 0", n)
	}
	clk.add(j2.Lease + time.Second)
	if n, _ := j2.RunDue(context.Background()); n != 1 {
		t.Errorf("RunDue after the lease = %d; want the job", n)
	}
}

// doneFails is a JobStore whose DoneJob fails once: the run queued its
// replies, then its process died before finishing the job.
type doneFails struct {
	*storage.Store
	once bool
}

func (d *doneFails) DoneJob(ctx context.Context, j shakwa.Job, next time.Time) (bool, error) {
	if !d.once {
		d.once = true
		return false, errors.New("connection reset")
	}
	return d.Store.DoneJob(ctx, j, next)
}

// TestJobsReplyOnceWhenRunTwice: a job whose run died after queueing its
// replies runs again after its lease, and sends nothing twice.
func TestJobsReplyOnceWhenRunTwice(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	ch := &channel{}
	o := bot.NewOutbox(store, []bot.Channel{ch}, clk.Now, quiet)
	r := &ran{}
	jobs := bot.NewJobs(&doneFails{Store: store}, o, clk.Now, quiet)
	jobs.Handle("autoclose", r.handler(nil))
	schedule(t, store, "autoclose", "KRM-000009", clk.Now())
	jobs.RunDue(context.Background())
	clk.add(jobs.Lease + time.Second)
	jobs.RunDue(context.Background())
	drain(t, o)
	if len(r.list()) != 2 || len(ch.lines()) != 1 {
		t.Errorf("ran %d times, sent %v; want two runs and one message", len(r.list()), ch.lines())
	}
}

// TestJobsRecur: a recurring job runs again at its next time; after
// downtime it runs once, not once per missed time.
func TestJobsRecur(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	r := &ran{}
	jobs := bot.NewJobs(store, &collect{}, clk.Now, quiet)
	hourly := func(after time.Time) time.Time { return after.Truncate(time.Hour).Add(time.Hour) }
	jobs.Recur("report", r.handler(nil), hourly)
	first := hourly(clk.Now())
	schedule(t, store, "report", "daily", first)
	clk.add(first.Sub(clk.Now()))
	jobs.RunDue(context.Background())
	clk.add(time.Hour)
	jobs.RunDue(context.Background())
	clk.add(5 * time.Hour) // down for five hours
	jobs.RunDue(context.Background())
	jobs.RunDue(context.Background())
	if got := len(r.list()); got != 3 {
		t.Errorf("ran %d times; want 3 (on time twice, then once after the downtime)", got)
	}
	due, ok, err := store.JobDue(context.Background(), "report", "daily")
	if want := hourly(clk.Now()); !ok || err != nil || !due.Equal(want) {
		t.Errorf("next run %v, %v, %v; want %v", due, ok, err, want)
	}
}

// TestJobsUndo: what a run asked to undo is undone when its replies are
// dropped, its run failing or its replies not queued, and only then.
func TestJobsUndo(t *testing.T) {
	store := storagetest.Store(t)
	clk := newClock()
	out := &collect{}
	var mu sync.Mutex
	var undone []string
	failed := false
	jobs := bot.NewJobs(store, out, clk.Now, quiet)
	jobs.Handle("sla", bot.JobFunc(func(ctx context.Context, w bot.Responder, j *shakwa.Job) {
		w.Undo(func(ctx context.Context) {
			mu.Lock()
			defer mu.Unlock()
			undone = append(undone, j.Key)
		})
		w.Reply(bot.Reply{Channel: "telegram", Chat: "1", Text: "job " + j.Key})
		mu.Lock()
		defer mu.Unlock()
		if j.Key == "failed" && !failed {
			failed = true
			w.Fail(errors.New("redis: i/o timeout"))
		}
		if j.Key == "panicked" && !failed {
			failed = true
			panic("boom")
		}
	}))
	run := func(key string) {
		t.Helper()
		schedule(t, store, "sla", key, clk.Now())
		jobs.RunDue(context.Background())
		clk.add(time.Hour)
	}
	run("done")
	run("failed")
	jobs.RunDue(context.Background()) // tried again: done
	mu.Lock()
	failed = false
	mu.Unlock()
	run("panicked")
	jobs.RunDue(context.Background())
	out.mu.Lock()
	out.lost = 1
	out.mu.Unlock()
	run("answer lost") // queued after all: nothing undone, sent once
	out.mu.Lock()
	out.fail = errors.New("connection reset")
	out.mu.Unlock()
	run("not queued")
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"failed", "panicked", "not queued"}; !slices.Equal(undone, want) {
		t.Errorf("undone %v; want %v", undone, want)
	}
	if n := strings.Count(strings.Join(out.texts(), "\n"), "job answer lost"); n != 1 {
		t.Errorf("the run whose answer was lost sent %d replies; want 1", n)
	}
}
