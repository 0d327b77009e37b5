package storage_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/storage"
)

// testLines: a line takes what must wait, and what its sender sends after
// it, in order; an empty line takes nothing that need not wait; a line
// always has its job while it holds anything, and loses it as it empties,
// even under a claim; a full line refuses; the sender's number is in no
// key and no job.
func testLines(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	const kind, sender = "wamedia", "971501234567"
	now := time.UnixMilli(1_800_000_000_000)
	line := s.LineName(kind, sender)
	if line == s.LineName(kind, "971501234568") || strings.Contains(line, sender) {
		t.Fatalf("line name %q: want one of its own per sender, without the number", line)
	}
	queue := func(item string, wait bool) bool {
		t.Helper()
		ok, err := s.QueueLine(c, kind, sender, []byte(item), wait, now, 3)
		if err != nil {
			t.Fatalf("QueueLine(%s): %v", item, err)
		}
		return ok
	}
	if queue("text-1", false) {
		t.Errorf("an empty line took a text that need not wait")
	}
	if head, err := s.LineHead(c, kind, line); head != nil || err != nil {
		t.Errorf("LineHead of none = %q, %v", head, err)
	}
	if !queue("photo-2", true) || !queue("text-3", false) {
		t.Fatalf("want the photo, and the text behind it, queued")
	}
	js, err := s.ClaimJobs(c, kind, now, time.Minute, 10)
	if err != nil || len(js) != 1 || js[0].Key != line {
		t.Fatalf("ClaimJobs = %v, %v; want the line's one job", js, err)
	}
	// Queued while its job is claimed: the claim stands.
	if !queue("text-4", false) {
		t.Fatalf("want the text queued behind the others")
	}
	if _, err := s.QueueLine(c, kind, sender, []byte("text-5"), false, now, 3); !errors.Is(err, storage.ErrLineFull) {
		t.Errorf("a fourth item in a line of three: %v; want ErrLineFull", err)
	}
	if again, _ := s.ClaimJobs(c, kind, now, time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed again while held: %v", again)
	}
	for i, want := range []string{"photo-2", "text-3", "text-4"} {
		head, err := s.LineHead(c, kind, line)
		if string(head) != want || err != nil {
			t.Fatalf("head #%d = %q, %v; want %s", i+1, head, err, want)
		}
		if n, err := s.PopLine(c, kind, line, head); n != 2-i || err != nil {
			t.Fatalf("PopLine(%s) = %d, %v; want %d left", want, n, err, 2-i)
		}
		// A drain run twice pops once.
		if n, err := s.PopLine(c, kind, line, head); n != 2-i || err != nil {
			t.Fatalf("PopLine(%s) again = %d, %v; want %d left", want, n, err, 2-i)
		}
	}
	if _, ok, _ := s.JobDue(c, kind, line); ok {
		t.Errorf("an empty line kept its job")
	}
	if ok, _ := s.DoneJob(c, js[0], time.Time{}); ok {
		t.Errorf("the drained claim still held a job")
	}
	if queue("text-6", false) {
		t.Errorf("the drained line took a text that need not wait")
	}
	// Emptied while nobody held the job, a line gets a new one.
	if !queue("photo-7", true) {
		t.Fatal("want the photo queued")
	}
	if due, ok, _ := s.JobDue(c, kind, line); !ok || !due.Equal(now) {
		t.Errorf("the line's job: due %v, %v; want due now", due, ok)
	}
	// A line found empty (its TTL over) ends its job with a nil pop.
	for _, k := range f.keys(t, "line:*") {
		if strings.Contains(k, sender) {
			t.Errorf("key %q names the sender", k)
		}
		f.rdb.Del(c, k)
	}
	if n, err := s.PopLine(c, kind, line, nil); n != 0 || err != nil {
		t.Errorf("PopLine(nil) of an empty line = %d, %v", n, err)
	}
	if _, ok, _ := s.JobDue(c, kind, line); ok {
		t.Errorf("the job of a line found empty stayed")
	}
	if ttl := ttlOf(t, f, "photo-8"); ttl <= 6*24*time.Hour {
		t.Errorf("a line's TTL is %v; want about a week", ttl)
	}
}

// ttlOf queues item in a line of its own and returns the line's TTL.
func ttlOf(t *testing.T, f *fixture, item string) time.Duration {
	t.Helper()
	c := ctx(t)
	if _, err := f.s.QueueLine(c, "wamedia", "ttl-"+item, []byte(item), true, time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	ks := f.keys(t, "line:*")
	if len(ks) != 1 {
		t.Fatalf("line keys %v; want one", ks)
	}
	ttl, err := f.rdb.PTTL(c, ks[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	return ttl
}
