package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"
)

// testReindex: entries a crash lost are put back, found by the tickets'
// own keys, also for a ticket no index names; a dry run only counts them.
func testReindex(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	a := newTicket(t, s, "KRM", citizen, at(0)).ID
	b := newTicket(t, s, "KRM", citizen, at(1)).ID
	if _, err := s.Claim(c, b, fatima, nil, at(2)); err != nil {
		t.Fatal(err)
	}
	// Lost: a's queue entry, b's held entry, and every entry of b's in
	// "created" and the citizen's list.
	for _, k := range []struct{ key, id string }{{"queue:{KRM}", a}, {"held:{" + fatima.ID + "}", b},
		{"created", b}, {"citizen:{" + s.PersonID(citizen) + "}", b}} {
		if err := f.rdb.ZRem(c, f.prefix+k.key, k.id).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Reindex(c, true, nil); err != nil || n != 4 {
		t.Fatalf("Reindex dry run = %d, %v; want 4 missing", n, err)
	}
	if q, _ := s.Queue(c, "KRM", 10); len(q) != 0 {
		t.Fatalf("a dry run wrote: queue %d", len(q))
	}
	done := 0
	if n, err := s.Reindex(c, false, func(d int) { done = d }); err != nil || n != 4 {
		t.Fatalf("Reindex = %d, %v; want 4 added", n, err)
	}
	if done < 2 {
		t.Errorf("progress said %d tickets; want 2", done)
	}
	q, _ := s.Queue(c, "KRM", 10)
	held, _ := s.Held(c, fatima.ID)
	mine, _ := s.CitizenTickets(c, citizen, 10)
	if len(q) != 1 || q[0].ID != a || len(held) != 1 || held[0].ID != b || len(mine) != 2 {
		t.Errorf("after Reindex: queue %v, held %v, citizen's %d; want a, b and both", q, held, len(mine))
	}
	if n, _ := s.Reindex(c, false, nil); n != 0 {
		t.Errorf("a second Reindex added %d; want 0", n)
	}
}

// testRetryDead: dead letters go back to the outbox once each, in order,
// and leave the dead letters; a dry run only counts.
func testRetryDead(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	o := newOutbox(t, s)
	t0 := time.UnixMilli(1_800_000_000_000)
	o.enqueue("telegram:1", t0, "a", "b")
	for i, want := range []string{"a", "b"} {
		now := t0.Add(time.Duration(i+1) * time.Minute)
		q, item, _, _, err := s.NextDue(c, now, time.Second, nil)
		if err != nil || string(item) != want {
			t.Fatalf("NextDue = %q, %v; want %s", item, err, want)
		}
		if err := s.Dead(c, q, "403 blocked", now); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	enqueue := func(_ context.Context, once string, item []byte) error {
		got = append(got, once[:5]+string(item))
		return nil
	}
	if n, err := s.RetryDead(c, t0, true, enqueue, nil); err != nil || n != 2 || len(got) != 0 {
		t.Fatalf("dry run: %d, %v, enqueued %v; want 2 counted, none enqueued", n, err, got)
	}
	if n, err := s.RetryDead(c, t0, false, enqueue, nil); err != nil || n != 2 {
		t.Fatalf("RetryDead = %d, %v", n, err)
	}
	if !slices.Equal(got, []string{"dead:a", "dead:b"}) {
		t.Errorf("enqueued %v; want a then b, each under a dead letter's once key", got)
	}
	if dl, err := s.DeadLetters(c, 0); err != nil || len(dl) != 0 {
		t.Errorf("dead letters left: %d, %v; want none", len(dl), err)
	}
}
