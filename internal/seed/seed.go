// Package seed writes synthetic but realistic tickets and feedback through
// the storage methods production uses, so that the tickets, their indexes
// and their tallies are exactly what production would have written: for
// "shakwa seed" and for the benchmarks of the figures at scale.
//
// Tickets are filed over the plan's days, more on weekdays and in the
// daytime of the centres' zone, on every channel; most are claimed within
// minutes to hours and resolved within hours to days, some are rejected,
// reopened or transferred; most are rated, better at some centres than
// at others. Feedback and thanks (to a staff member) come on the side.
package seed

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// Version changes whenever the same plan makes other data, so that data
// kept for reuse (the benchmarks') is made again.
const Version = "1"

// Store is what seeding writes through: storage.Store.
type Store interface {
	SeedTickets(ctx context.Context, lives []storage.Life) error
	AddFeedback(ctx context.Context, f *shakwa.Feedback, from shakwa.Address) error
}

// Plan is what to seed.
type Plan struct {
	World   World
	Tickets int
	// Days is how many days, up to Now, the tickets are filed over.
	Days int
	// Seed picks the data: the same plan makes the same tickets.
	Seed uint64
	// Now is the end of the span: every change happens before it.
	Now time.Time
	// Loc is the centres' zone, where days and the daytime are.
	Loc *time.Location
	// CloseAfter is how long a resolved ticket waits for its rating before
	// it is closed, as the bot's job does; ReopenDays how long a citizen
	// may reopen one.
	CloseAfter time.Duration
	ReopenDays int
	// Workers is how many tickets are written at once; 64 when zero.
	Workers int
}

// Result is what Run wrote.
type Result struct {
	Tickets  int
	Feedback int
	Took     time.Duration
}

// check fills in p's defaults and reports what is missing.
func (p *Plan) check() error {
	if p.Loc == nil {
		p.Loc = time.UTC
	}
	if p.CloseAfter <= 0 {
		p.CloseAfter = 7 * 24 * time.Hour
	}
	if p.ReopenDays <= 0 {
		p.ReopenDays = 7
	}
	if p.Workers <= 0 {
		p.Workers = 64
	}
	for _, c := range p.World.Centres {
		if len(c.Staff) == 0 {
			return fmt.Errorf("seed: centre %s has no staff: %w", c.Code, shakwa.ErrInvalid)
		}
	}
	switch {
	case p.Tickets < 0, p.Days < 1, p.Now.IsZero():
		return fmt.Errorf("seed: want tickets, days and now: %w", shakwa.ErrInvalid)
	case len(p.World.Centres) == 0, len(p.World.Categories) == 0:
		return fmt.Errorf("seed: want centres and categories: %w", shakwa.ErrInvalid)
	}
	return nil
}

// Run writes p's tickets, and about one feedback or thanks for every ten,
// to s: the tickets with storage's SeedTickets, which leaves what filing
// them and making their changes one call at a time would, the feedback
// with AddFeedback. One writer writes all of a centre's tickets, in the
// order they were filed, so the same plan on an empty store makes the
// same tickets under the same numbers (feedback numbers are shared by every centre and
// come out in any order). progress, when not nil, hears from one goroutine
// how many tickets are written of how many, a few times a second and at
// the end.
func Run(ctx context.Context, s Store, p Plan, progress func(done, total int)) (Result, error) {
	if err := p.check(); err != nil {
		return Result{}, err
	}
	start := time.Now()
	sc := newScript(&p)
	counts := sc.counts()
	order := make([]int, len(counts)) // the busiest centres first, to finish together
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(counts[b], counts[a]) })

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var tickets, feedback atomic.Int64
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(p.Workers, len(order)) {
		wg.Go(func() {
			for c := range work {
				if err := sc.centre(ctx, s, c, counts[c], &tickets, &feedback); err != nil {
					cancel(err)
				}
			}
		})
	}
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		defer close(work)
		for _, c := range order {
			select {
			case work <- c:
			case <-ctx.Done():
				return
			}
		}
	}()
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-finished:
			done = true
		case <-tick.C:
		}
		if progress != nil {
			progress(int(tickets.Load()), p.Tickets)
		}
	}
	<-fed
	res := Result{Tickets: int(tickets.Load()), Feedback: int(feedback.Load()), Took: time.Since(start)}
	// Until the deferred cancel, a cause is a writer's error or the caller's.
	return res, context.Cause(ctx)
}

// batch is how many tickets one SeedTickets call writes.
const batch = 100

// centre writes the n tickets of centre c, oldest first, then its
// feedback.
func (sc *script) centre(ctx context.Context, s Store, c, n int, tickets, feedback *atomic.Int64) error {
	lives := make([]storage.Life, n)
	for j := range lives {
		lives[j] = sc.story(c, j)
	}
	slices.SortStableFunc(lives, func(a, b storage.Life) int { return a.Ticket.Created.Compare(b.Ticket.Created) })
	for len(lives) > 0 {
		k := min(batch, len(lives))
		if err := s.SeedTickets(ctx, lives[:k]); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		tickets.Add(int64(k))
		lives = lives[k:]
	}
	for i := range feedbackCount(n) {
		f, from := sc.feedback(c, i)
		if err := s.AddFeedback(ctx, &f, from); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		feedback.Add(1)
	}
	return nil
}
