package storage_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
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
	if n, err := s.Reindex(c, time.Now(), true, nil); err != nil || n != 4 {
		t.Fatalf("Reindex dry run = %d, %v; want 4 missing", n, err)
	}
	if q, _ := s.Queue(c, "KRM", 10); len(q) != 0 {
		t.Fatalf("a dry run wrote: queue %d", len(q))
	}
	done := 0
	if n, err := s.Reindex(c, time.Now(), false, func(d int) { done = d }); err != nil || n != 4 {
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
	if n, _ := s.Reindex(c, time.Now(), false, nil); n != 0 {
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

// testForgetPerson: forgetting a citizen takes the words of their feedback
// and its link to them, their web chat's conversation and the dead letters
// addressed to them, and nothing of anybody else's.
func testForgetPerson(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	gone, kept := shakwa.Address{Channel: "web", Chat: "visitor-1"}, shakwa.Address{Channel: "web", Chat: "visitor-2"}
	t0 := time.UnixMilli(1_800_000_000_000)
	var fb []*shakwa.Feedback
	for _, a := range []shakwa.Address{gone, kept} {
		f := &shakwa.Feedback{Kind: shakwa.KindThanks, Centre: "KRM", Stars: 5, Text: "شكراً لمريم", Created: t0}
		if err := s.AddFeedback(c, f, a); err != nil {
			t.Fatal(err)
		}
		fb = append(fb, f)
		if _, err := s.MailAppend(c, a.Chat, []byte(`{"text":"مرحبا"}`), 100, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	o := newOutbox(t, s)
	o.enqueue("web:visitor-1", t0, `{"channel":"web","chat":"visitor-1","text":"طلبك KRM-000001"}`)
	o.enqueue("web:visitor-2", t0, `{"channel":"web","chat":"visitor-2","text":"طلبك KRM-000002"}`)
	for range 2 {
		q, _, _, _, err := s.NextDue(c, t0, time.Second, nil)
		if err != nil || q == "" {
			t.Fatalf("NextDue: %q, %v", q, err)
		}
		if err := s.Dead(c, q, "403 blocked", t0); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // twice: nothing more the second time
		if err := s.ForgetPerson(c, gone); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FeedbackCreated(c, t0, t0.Add(time.Second))
	if err != nil || len(got) != 2 {
		t.Fatalf("feedback %v, %v", got, err)
	}
	for _, f := range got {
		erased := f.ID == fb[0].ID
		if erased != (f.Text == "" && f.Citizen == shakwa.ErasedCitizen) || f.Stars != 5 {
			t.Errorf("feedback %s after forgetting %s: %+v", f.ID, fb[0].ID, f)
		}
	}
	ds, err := s.DeadLetters(c, 0)
	if err != nil || len(ds) != 1 || !strings.Contains(string(ds[0].Item), "visitor-2") {
		t.Errorf("dead letters %d (%v); want only the other visitor's", len(ds), err)
	}
	for chat, want := range map[string]int{gone.Chat: 0, kept.Chat: 1} {
		if m, err := s.MailSince(c, chat, "", 10); err != nil || len(m) != want {
			t.Errorf("mailbox of %s: %d entries (%v); want %d", chat, len(m), err, want)
		}
	}
}
