package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/shakwa/shakwa"
)

// JobStore keeps the jobs of every kind, due times and claims, for every
// process that shares it.
type JobStore interface {
	// ClaimJobs claims up to limit due jobs of kind for lease.
	ClaimJobs(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int) ([]shakwa.Job, error)
	// DoneJob ends the claim: the job is gone, or due again at next when
	// that is not zero. false: the claim no longer held the job.
	DoneJob(ctx context.Context, j shakwa.Job, next time.Time) (bool, error)
	// RetryJob ends the claim with a failure: due again at at.
	RetryJob(ctx context.Context, j shakwa.Job, at time.Time) (int, error)
}

// JobHandler does the jobs of one kind.
//
// The runner calls RunJob for a job once it is due, in one process of all
// that share the store (a job whose process died is run again after its
// lease). Replies written to w are queued together after RunJob returns,
// under a once key of the job's run, so a job run twice sends once; a job
// that calls w.Fail sends nothing and runs again later, for as long as it
// fails. A run that sets j.Again has the job due again then, once its
// replies are queued: a job in steps. RunJob must be safe to run twice: it
// changes state with the store's checked transitions. ctx carries the
// run's deadline. A panic is recovered, logged, and retried like a
// failure.
type JobHandler interface {
	RunJob(ctx context.Context, w Responder, j *shakwa.Job)
}

// JobFunc adapts a function to a JobHandler.
type JobFunc func(ctx context.Context, w Responder, j *shakwa.Job)

// RunJob calls f(ctx, w, j).
func (f JobFunc) RunJob(ctx context.Context, w Responder, j *shakwa.Job) { f(ctx, w, j) }

// Jobs runs the due jobs of the kinds it knows, in every process that
// shares its store; each run happens in one of them.
type Jobs struct {
	store JobStore
	out   Enqueuer
	now   func() time.Time
	log   *slog.Logger
	kinds map[string]jobKind

	// Poll is how often due jobs are looked for; Lease how long a claimed
	// job is held before another process may run it (it must outlast
	// Timeout, which bounds one run); Batch how many jobs of a kind one
	// look claims; Tries how many failed runs of a job are logged as
	// warnings before each further one is an error (a failing job is
	// retried for as long as it fails); Keep how long a run's once key is
	// remembered.
	Poll, Lease, Timeout, Keep time.Duration
	Batch, Tries               int
	// Observe, when set, hears of each run.
	Observe Observer
}

type jobKind struct {
	h    JobHandler
	next func(after time.Time) time.Time // nil: run once
}

// NewJobs returns a runner with the default timings; now is its clock.
func NewJobs(store JobStore, out Enqueuer, now func() time.Time, log *slog.Logger) *Jobs {
	return &Jobs{store: store, out: out, now: now, log: log, kinds: map[string]jobKind{},
		Poll: time.Second, Lease: time.Minute, Timeout: 20 * time.Second, Keep: 48 * time.Hour,
		Batch: 50, Tries: 5}
}

// Handle makes h run the jobs of kind, once each.
func (r *Jobs) Handle(kind string, h JobHandler) { r.kinds[kind] = jobKind{h: h} }

// Recur makes h run the jobs of kind, and after each run schedules the job
// again at next(after), where after is the later of the run's due time and
// now: a runner that was down for days runs a recurring job once, not once
// for every missed time.
func (r *Jobs) Recur(kind string, h JobHandler, next func(after time.Time) time.Time) {
	r.kinds[kind] = jobKind{h: h, next: next}
}

// Run runs due jobs until ctx is done, then waits for the runs in flight.
func (r *Jobs) Run(ctx context.Context) error {
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	for {
		if _, err := r.RunDue(ctx); err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunDue runs the jobs due now, of every kind, and returns how many ran.
// Once a run begins it goes to its end, even if ctx is done meanwhile.
func (r *Jobs) RunDue(ctx context.Context) (int, error) {
	kinds := make([]string, 0, len(r.kinds))
	for k := range r.kinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	ran := 0
	var first error
	for _, kind := range kinds {
		for ctx.Err() == nil {
			js, err := r.store.ClaimJobs(ctx, kind, r.now(), r.Lease, r.Batch)
			if err != nil {
				first = firstErr(first, err)
				break
			}
			var wg sync.WaitGroup
			for _, j := range js {
				wg.Go(func() {
					if err := r.run(context.WithoutCancel(ctx), j); err != nil {
						r.log.WarnContext(ctx, "job", "kind", j.Kind, "err", err)
					}
				})
			}
			wg.Wait()
			ran += len(js)
			if len(js) < r.Batch {
				break
			}
		}
	}
	return ran, first
}

func firstErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// run does one job and ends its claim.
func (r *Jobs) run(ctx context.Context, j shakwa.Job) error {
	start := time.Now()
	err := r.runOne(ctx, j)
	observed(r.Observe).Job(j.Kind, err == nil, time.Since(start), r.now())
	return err
}

// runOne is run, but for its observing.
func (r *Jobs) runOne(ctx context.Context, j shakwa.Job) error {
	k := r.kinds[j.Kind]
	rs := r.call(ctx, k.h, &j)
	if rs.Err != nil {
		rs.Dropped(ctx)
		// A job is never dropped: its failures are the stores' (a closing
		// that did not happen is a promise broken). It waits longer each
		// time, up to a quarter of an hour, and says so loudly after Tries.
		delay := min(time.Second<<min(j.Attempts, 10), 15*time.Minute)
		if _, err := r.store.RetryJob(ctx, j, r.now().Add(delay)); err != nil {
			return fmt.Errorf("retry %s job: %w (after %v)", j.Kind, err, rs.Err)
		}
		if j.Attempts+1 >= r.Tries {
			r.log.ErrorContext(ctx, "job keeps failing", "kind", j.Kind, "tries", j.Attempts+1, "err", rs.Err)
		}
		return fmt.Errorf("%s job failed, will retry: %w", j.Kind, rs.Err)
	}
	once := "job:" + j.Kind + ":" + j.Key + ":" + strconv.FormatInt(j.Due.UnixMilli(), 10)
	for i := range rs.List {
		rs.List[i].Priority = Bulk // nobody is waiting for it: it goes after answers
	}
	_, err := r.out.Enqueue(ctx, once, r.Keep, rs.List)
	if err != nil {
		// What was lost may be the answer, not the write: asked again, the
		// once key says whether the replies are there, and what the run
		// took is given back only when they are not.
		if _, again := r.out.Enqueue(ctx, once, r.Keep, rs.List); again == nil {
			err = nil
		}
	}
	if err != nil {
		rs.Dropped(ctx)
		if _, rerr := r.store.RetryJob(ctx, j, r.now().Add(time.Second)); rerr != nil {
			return fmt.Errorf("enqueue %s job's replies: %w (and retry: %v)", j.Kind, err, rerr)
		}
		return fmt.Errorf("enqueue %s job's replies: %w", j.Kind, err)
	}
	next := j.Again
	if k.next != nil {
		next = k.next(later(j.Due, r.now()))
	}
	if _, err := r.store.DoneJob(ctx, j, next); err != nil {
		// The replies are queued under the run's once key: running it
		// again sends nothing twice.
		return fmt.Errorf("finish %s job: %w", j.Kind, err)
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// call runs the handler under the run's deadline; a panic counts as a
// failure.
func (r *Jobs) call(ctx context.Context, h JobHandler, j *shakwa.Job) (rs *Replies) {
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	rs = &Replies{}
	defer func() {
		if p := recover(); p != nil {
			r.log.ErrorContext(ctx, "job panic", "kind", j.Kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			rs = &Replies{Err: fmt.Errorf("panic: %v", p), undo: rs.undo} // dropped, and undone, by runOne
		}
	}()
	h.RunJob(ctx, rs, j)
	return rs
}
