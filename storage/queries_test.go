package storage_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// wantIDs checks the ids of a query's result.
func wantIDs(t *testing.T, name string, ts []*shakwa.Ticket, err error, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if err != nil || !slices.Equal(ids(ts), want) {
		t.Errorf("%s = %v, %v; want %v", name, ids(ts), err, want)
	}
}

func testIndexes(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	a := newTicket(t, s, "KRM", citizen, at(0)).ID
	b := newTicket(t, s, "KRM", citizen, at(1)).ID
	d := newTicket(t, s, "KRM", stranger, at(2)).ID
	e := newTicket(t, s, "DXB", citizen, at(3)).ID

	ts, err := s.Queue(c, "KRM", 0)
	wantIDs(t, "Queue(KRM)", ts, err, a, b, d)
	ts, err = s.Queue(c, "KRM", 2)
	wantIDs(t, "Queue(KRM, 2)", ts, err, a, b)
	ts, err = s.CitizenTickets(c, citizen, 0)
	wantIDs(t, "CitizenTickets", ts, err, e, b, a)
	ts, err = s.CitizenTickets(c, citizen, 2)
	wantIDs(t, "CitizenTickets(2)", ts, err, e, b)

	for _, err := range []error{
		second(s.Claim(c, b, fatima, nil, at(5))), second(s.Claim(c, a, fatima, nil, at(6))),
		second(s.Claim(c, d, omar, nil, at(7))), second(s.Resolve(c, d, omar, "ok", at(8))),
	} {
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	ts, err = s.Queue(c, "KRM", 0)
	wantIDs(t, "Queue(KRM) after claims", ts, err)
	ts, err = s.Held(c, fatima.ID)
	wantIDs(t, "Held(fatima)", ts, err, a, b)
	ts, err = s.Held(c, omar.ID)
	wantIDs(t, "Held(omar) after resolve", ts, err)

	if _, err := s.Release(c, a, fatima, at(9)); err != nil {
		t.Fatalf("Release: %v", err)
	}
	ts, err = s.Queue(c, "KRM", 0)
	wantIDs(t, "Queue(KRM) after release", ts, err, a)
	ts, err = s.Held(c, fatima.ID)
	wantIDs(t, "Held(fatima) after release", ts, err, b)

	if _, err := s.Reopen(c, d, stranger, "", at(10)); err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	ts, err = s.Held(c, omar.ID)
	wantIDs(t, "Held(omar) after reopen", ts, err, d)
}

// testIndexTransfer: a transferred ticket leaves the old centre's queue and
// its holder's list and shows in the new centre's queue only.
func testIndexTransfer(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	a := newTicket(t, s, "KRM", citizen, at(0)).ID
	b := newTicket(t, s, "KRM", citizen, at(1)).ID
	x := newTicket(t, s, "XYZ", citizen, at(2)).ID
	if _, err := s.Claim(c, a, fatima, nil, at(3)); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if _, err := s.Transfer(c, a, fatima, "XYZ", at(4)); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	if _, err := s.Transfer(c, b, omar, "XYZ", at(5)); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	ts, err := s.Queue(c, "KRM", 0)
	wantIDs(t, "Queue(KRM)", ts, err)
	ts, err = s.Queue(c, "XYZ", 0)
	wantIDs(t, "Queue(XYZ)", ts, err, a, b, x)
	ts, err = s.Held(c, fatima.ID)
	wantIDs(t, "Held(fatima)", ts, err)
	if _, err := s.Transfer(c, b, omar, "KRM", at(6)); err != nil {
		t.Fatalf("Transfer back: %v", err)
	}
	ts, err = s.Queue(c, "KRM", 0)
	wantIDs(t, "Queue(KRM) after transfer back", ts, err, b)
	ts, err = s.Queue(c, "XYZ", 0)
	wantIDs(t, "Queue(XYZ) after transfer back", ts, err, a, x)
}

// testStaleIndexEntries puts wrong entries in the indexes behind the
// Store's back: readers skip and remove them, and keep the right ones.
func testStaleIndexEntries(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	a := newTicket(t, s, "KRM", citizen, at(0)).ID
	b := newTicket(t, s, "KRM", citizen, at(1)).ID
	if _, err := s.Claim(c, b, fatima, nil, at(2)); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	queue, held := f.prefix+"queue:{KRM}", f.prefix+"held:{"+omar.ID+"}"
	for _, kv := range []struct {
		key, id string
	}{{queue, b}, {queue, "KRM-000404"}, {held, a}, {held, b}} {
		if err := f.rdb.ZAdd(c, kv.key, redis.Z{Score: 1, Member: kv.id}).Err(); err != nil {
			t.Fatalf("ZADD: %v", err)
		}
	}
	ts, err := s.Queue(c, "KRM", 1) // the stale entries come first
	wantIDs(t, "Queue(KRM, 1)", ts, err, a)
	ts, err = s.Queue(c, "KRM", 0)
	wantIDs(t, "Queue(KRM)", ts, err, a)
	ts, err = s.Held(c, omar.ID)
	wantIDs(t, "Held(omar)", ts, err)
	for _, kv := range []struct {
		key  string
		want []string
	}{{queue, []string{a}}, {held, []string{}}} {
		got, err := f.rdb.ZRange(c, kv.key, 0, -1).Result()
		if err != nil || !slices.Equal(got, kv.want) {
			t.Errorf("%s after reads = %v, %v; want %v (stale entries pruned)", kv.key, got, err, kv.want)
		}
	}
}

func testTimeRanges(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := at(0)
	a := newTicket(t, s, "KRM", citizen, t0).ID
	b := newTicket(t, s, "KRM", citizen, t0.Add(time.Nanosecond)).ID // same millisecond
	d := newTicket(t, s, "DXB", citizen, t0.Add(time.Hour)).ID

	ts, err := s.TicketsCreated(c, t0, t0.Add(time.Hour))
	wantIDs(t, "created [t0, t0+1h)", ts, err, a, b)
	ts, err = s.TicketsCreated(c, t0.Add(time.Nanosecond), t0.Add(time.Hour+time.Nanosecond))
	wantIDs(t, "created [t0+1ns, t0+1h+1ns)", ts, err, b, d)
	ts, err = s.TicketsCreated(c, time.Time{}, t0.Add(24*time.Hour))
	wantIDs(t, "created since ever", ts, err, a, b, d)
	ts, err = s.TicketsCreated(c, t0.Add(time.Hour), t0)
	wantIDs(t, "created in an empty range", ts, err)
}

func testFeedback(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	in := []*shakwa.Feedback{
		{Kind: shakwa.KindFeedback, Centre: "KRM", Stars: 4, Text: "سريع", Created: at(0)},
		{Kind: shakwa.KindThanks, Centre: "KRM", Staff: "Fatima", Created: at(10)},
		{Kind: shakwa.KindFeedback, Centre: "DXB", Stars: 1, Created: at(20)},
	}
	from := []shakwa.Address{citizen, stranger, citizen}
	for i, f := range in {
		if err := s.AddFeedback(c, f, from[i]); err != nil {
			t.Fatalf("AddFeedback: %v", err)
		}
		if want := []string{"F-000001", "F-000002", "F-000003"}[i]; f.ID != want {
			t.Errorf("feedback %d: id %s; want %s", i, f.ID, want)
		}
		if f.Citizen != s.PersonID(from[i]) {
			t.Errorf("feedback %d: citizen %q; want the giver's opaque id", i, f.Citizen)
		}
	}
	got, err := s.FeedbackCreated(c, at(0), at(20))
	if err != nil || len(got) != 2 {
		t.Fatalf("FeedbackCreated = %v, %v; want 2", got, err)
	}
	for i, f := range got {
		w := *in[i]
		if f.ID != w.ID || f.Kind != w.Kind || f.Centre != w.Centre || f.Stars != w.Stars || f.Staff != w.Staff ||
			f.Text != w.Text || f.Citizen != w.Citizen || !f.Created.Equal(w.Created) {
			t.Errorf("feedback %d = %+v; want %+v", i, *f, w)
		}
	}
	if err := s.AddFeedback(c, &shakwa.Feedback{Centre: "KRM", Created: at(0)}, citizen); err == nil {
		t.Errorf("AddFeedback without kind: got nil; want ErrInvalid")
	}
}

// testEachTicketCreated: the batched read gives every ticket of the range
// once, oldest first, across batches that end inside a run of tickets of
// the same millisecond.
func testEachTicketCreated(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := at(0)
	var want []string
	for i := range 1300 {
		// 700 in one millisecond, then one per millisecond.
		when := t0.Add(time.Duration(max(0, i-699)) * time.Millisecond)
		want = append(want, newTicket(t, s, "KRM", citizen, when).ID)
	}
	newTicket(t, s, "KRM", citizen, t0.Add(time.Hour)) // outside
	var got []string
	batches := 0
	err := s.EachTicketCreated(c, t0, t0.Add(time.Minute), func(ts []*shakwa.Ticket) error {
		batches++
		for _, tk := range ts {
			got = append(got, tk.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	sorted := slices.Clone(want)
	slices.Sort(sorted)
	if !slices.Equal(got, sorted) || batches < 3 {
		t.Errorf("EachTicketCreated: %d tickets in %d batches; want the %d of the range, each once, in batches", len(got), batches, len(want))
	}
	stop := errors.New("stop")
	if err := s.EachTicketCreated(c, t0, t0.Add(time.Minute), func([]*shakwa.Ticket) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachTicketCreated with fn failing: %v; want its error", err)
	}
}
