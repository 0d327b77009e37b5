package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

func claim(t *testing.T, s *storage.Store, kind string, now time.Time, lease time.Duration, limit int, want ...string) []shakwa.Job {
	t.Helper()
	js, err := s.ClaimJobs(ctx(t), kind, now, lease, limit)
	if err != nil {
		t.Fatalf("ClaimJobs: %v", err)
	}
	var got []string
	for _, j := range js {
		got = append(got, j.Key)
		if j.Kind != kind {
			t.Errorf("claimed job %+v; want kind %s", j, kind)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("ClaimJobs at %v = %v; want %v", now.Format("15:04:05"), got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("ClaimJobs at %v = %v; want %v", now.Format("15:04:05"), got, want)
		}
	}
	return js
}

// testJobs: jobs come due in order, each once, and a finished one is gone
// or, if recurring, due again.
func testJobs(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	t0 := time.UnixMilli(1_800_000_000_000).UTC()
	for key, at := range map[string]time.Duration{"KRM-000002": 2 * time.Hour, "KRM-000001": time.Hour, "KRM-000003": 3 * time.Hour} {
		if err := s.ScheduleJob(c, "autoclose", key, t0.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ScheduleJob(c, "bad kind", "x", t0); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("ScheduleJob with a bad kind: %v; want ErrInvalid", err)
	}
	claim(t, s, "autoclose", t0, time.Minute, 10)
	claim(t, s, "idle", t0.Add(24*time.Hour), time.Minute, 10) // another kind has none
	js := claim(t, s, "autoclose", t0.Add(150*time.Minute), time.Minute, 10, "KRM-000001", "KRM-000002")
	if !js[0].Due.Equal(t0.Add(time.Hour)) || js[0].Attempts != 0 {
		t.Errorf("claimed %+v; want due at %v, no attempts", js[0], t0.Add(time.Hour))
	}
	claim(t, s, "autoclose", t0.Add(150*time.Minute), time.Minute, 10) // claimed: nobody else gets them
	if ok, err := s.DoneJob(c, js[0], time.Time{}); !ok || err != nil {
		t.Errorf("DoneJob = %v, %v; want true", ok, err)
	}
	if ok, _ := s.DoneJob(c, js[0], time.Time{}); ok {
		t.Errorf("DoneJob twice: true; want false")
	}
	// A recurring job: done, and due again at its next time.
	if ok, _ := s.DoneJob(c, js[1], t0.Add(5*time.Hour)); !ok {
		t.Errorf("DoneJob with next: false")
	}
	if due, ok, err := s.JobDue(c, "autoclose", "KRM-000002"); !ok || err != nil || !due.Equal(t0.Add(5*time.Hour)) {
		t.Errorf("JobDue after DoneJob with next = %v, %v, %v; want %v", due, ok, err, t0.Add(5*time.Hour))
	}
	third := claim(t, s, "autoclose", t0.Add(4*time.Hour), time.Minute, 10, "KRM-000003")[0]
	if ok, _ := s.DoneJob(c, third, time.Time{}); !ok {
		t.Errorf("DoneJob(KRM-000003): false")
	}
	if err := s.UnscheduleJob(c, "autoclose", "KRM-000002"); err != nil {
		t.Fatal(err)
	}
	claim(t, s, "autoclose", t0.Add(6*time.Hour), time.Minute, 10)
	if _, ok, _ := s.JobDue(c, "autoclose", "KRM-000001"); ok {
		t.Errorf("KRM-000001 still scheduled after DoneJob")
	}
}

// testJobClaims: a claim that ends on its own (the runner died) makes the
// job due again, as first scheduled; a job scheduled anew while claimed
// is not finished by the old claim; failures are counted.
func testJobClaims(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	other, err := f.reopen(c, storage.WithPrefix(f.prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	t0 := time.UnixMilli(1_800_000_000_000).UTC()
	if err := s.ScheduleJob(c, "idle", "p1", t0); err != nil {
		t.Fatal(err)
	}
	first := claim(t, s, "idle", t0, 30*time.Second, 1, "p1")[0]
	claim(t, other, "idle", t0.Add(29*time.Second), 30*time.Second, 1)
	second := claim(t, other, "idle", t0.Add(31*time.Second), 30*time.Second, 1, "p1")[0]
	if !second.Due.Equal(t0) {
		t.Errorf("claimed again: due %v; want %v as scheduled", second.Due, t0)
	}
	if ok, _ := s.DoneJob(c, first, time.Time{}); ok {
		t.Errorf("DoneJob by the expired claim: true; want false")
	}
	n, err := other.RetryJob(c, second, t0.Add(time.Minute))
	if n != 1 || err != nil {
		t.Errorf("RetryJob = %d, %v; want 1", n, err)
	}
	third := claim(t, s, "idle", t0.Add(time.Minute), 30*time.Second, 1, "p1")[0]
	if third.Attempts != 1 {
		t.Errorf("attempts after a retry: %d; want 1", third.Attempts)
	}
	if err := s.ReleaseJob(c, third, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	fourth := claim(t, s, "idle", t0.Add(time.Minute), 30*time.Second, 1, "p1")[0]
	if fourth.Attempts != 1 {
		t.Errorf("attempts after a release: %d; want still 1", fourth.Attempts)
	}
	// Scheduled anew while claimed: the claim cannot finish it.
	if err := s.ScheduleJob(c, "idle", "p1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.DoneJob(c, fourth, time.Time{}); ok {
		t.Errorf("DoneJob of a job scheduled anew: true; want false")
	}
	j := claim(t, s, "idle", t0.Add(time.Hour), 30*time.Second, 1, "p1")[0]
	if !j.Due.Equal(t0.Add(time.Hour)) || j.Attempts != 0 {
		t.Errorf("job scheduled anew: %+v; want due in an hour, no attempts", j)
	}
}

// testTakeUntake: work taken is the taker's until given back or its time
// is up; giving back gives back only what the owner has, all of it at
// once, and whoever comes next takes it.
func testTakeUntake(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	take := func(name, owner, want string) {
		t.Helper()
		if who, err := s.Take(c, name, owner, time.Minute); who != want || err != nil {
			t.Fatalf("Take(%s, %s) = %q, %v; want %q", name, owner, who, err, want)
		}
	}
	names := []string{"sla:a", "sla:b", "sla:c", "sla:d"}
	for _, n := range names[:3] {
		take(n, "run-1", "run-1")
	}
	take(names[0], "run-1", "run-1") // taken again by its owner: still theirs
	take(names[3], "run-2", "run-2")
	take(names[2], "run-2", "run-1") // another's: not taken
	if err := s.Untake(c, "run-1", names...); err != nil {
		t.Fatalf("Untake: %v", err)
	}
	for _, n := range names[:3] {
		take(n, "run-3", "run-3") // given back: the next comer's
	}
	take(names[3], "run-3", "run-2") // another's stays theirs
	if err := s.Untake(c, "run-1"); err != nil {
		t.Errorf("Untake of nothing: %v", err)
	}
	if who, err := s.Take(c, "sla:e", "run-4", 50*time.Millisecond); who != "run-4" || err != nil {
		t.Fatalf("Take = %q, %v", who, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		who, err := s.Take(c, "sla:e", "run-5", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if who == "run-5" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Take after the first one's time: %q; want run-5", who)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
