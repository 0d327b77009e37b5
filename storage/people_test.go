package storage_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// testForgetUntouched: the record of a person who wrote and filed no
// ticket (how to reach them: on WhatsApp, their phone number) goes once
// it was last written before the cutoff, a bounded batch at a time; one a
// ticket keeps, or one written since, stays. A record an older version
// wrote (no time, no index entry) is reached once Reindex indexes it,
// counted from then.
func testForgetUntouched(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	once := shakwa.Address{Channel: "whatsapp", Chat: "971501234567"}
	twice := shakwa.Address{Channel: "whatsapp", Chat: "971507654321"}
	again := shakwa.Address{Channel: "telegram", Chat: "3003"}
	setLang := func(a shakwa.Address, lang string, when time.Time) {
		t.Helper()
		if err := s.SetLang(c, a, lang, when); err != nil {
			t.Fatalf("SetLang: %v", err)
		}
	}
	known := func(a shakwa.Address) bool {
		t.Helper()
		_, err := s.Person(c, s.PersonID(a))
		if err != nil && !errors.Is(err, shakwa.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	sweep := func(cutoff time.Time, limit int) (int, bool) {
		t.Helper()
		n, more, err := s.ForgetUntouched(c, cutoff, limit)
		if err != nil {
			t.Fatalf("ForgetUntouched: %v", err)
		}
		return n, more
	}
	index := f.prefix + "people"
	setLang(once, "ar", at(0))
	setLang(twice, "en", at(1))
	setLang(again, "en", at(2))
	setLang(again, "ar", at(30))
	newTicket(t, s, "KRM", citizen, at(3))

	if n, more := sweep(at(10), 1); n != 1 || !more {
		t.Errorf("sweep of 1 forgot %d (more %v); want 1, more", n, more)
	}
	if n, more := sweep(at(10), 100); n != 1 || more {
		t.Errorf("next sweep forgot %d (more %v); want the other, no more", n, more)
	}
	if known(once) || known(twice) {
		t.Error("a record written before the cutoff that no ticket keeps is still there")
	}
	if !known(again) || !known(citizen) {
		t.Errorf("records kept: written since %v, a ticket's citizen %v; want both", known(again), known(citizen))
	}
	if l, _ := s.Lang(c, again); l != "ar" {
		t.Errorf("language of the record written since: %q; want ar", l)
	}
	if n, more := sweep(at(10), 100); n != 0 || more {
		t.Errorf("a sweep with nothing new forgot %d (more %v)", n, more)
	}
	if n, err := f.rdb.ZCount(c, index, "-inf", "("+score(at(10))).Result(); err != nil || n != 0 {
		t.Errorf("index entries before the cutoff after the sweep: %d (%v); want none", n, err)
	}

	// An entry older than its record (its update was lost) does not
	// take the record with it: it moves on to the record's time.
	if err := f.rdb.ZAdd(c, index, redisZ(at(0), s.PersonID(again))).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := sweep(at(10), 100); n != 0 || !known(again) {
		t.Errorf("a stale entry: forgot %d, record kept %v; want it kept", n, known(again))
	}
	if sc, err := f.rdb.ZScore(c, index, s.PersonID(again)).Result(); err != nil || int64(sc) != at(30).UnixMilli() {
		t.Errorf("the stale entry's time: %v (%v); want the record's, %d", int64(sc), err, at(30).UnixMilli())
	}

	// As an older version left it: a record without its time, and no
	// entry. No sweep reaches it until Reindex indexes it, from then.
	old := shakwa.Address{Channel: "whatsapp", Chat: "971500000001"}
	setLang(old, "ar", at(0))
	if err := f.rdb.HDel(c, f.prefix+"person:{"+s.PersonID(old)+"}", "at").Err(); err != nil {
		t.Fatal(err)
	}
	if err := f.rdb.ZRem(c, index, s.PersonID(old)).Err(); err != nil {
		t.Fatal(err)
	}
	if sweep(at(100), 100); !known(old) {
		t.Fatal("a record no index names was reached")
	}
	// Missing: the old record, and the citizen's, whose entry the sweep
	// left to their ticket.
	if n, err := s.Reindex(c, at(200), true, nil); err != nil || n != 2 {
		t.Errorf("Reindex dry run = %d, %v; want 2 missing", n, err)
	}
	if n, err := s.Reindex(c, at(200), false, nil); err != nil || n != 2 {
		t.Errorf("Reindex = %d, %v; want 2 added", n, err)
	}
	if n, _ := sweep(at(199), 100); n != 0 || !known(old) {
		t.Errorf("sweep before a retention period from the reindex forgot %d; want none", n)
	}
	if n, _ := sweep(at(201), 100); n != 1 || known(old) || !known(citizen) {
		t.Errorf("sweep past it forgot %d, old record kept %v; want it gone, the citizen's kept", n, known(old))
	}
}

// score is t as the people index scores it, in text.
func score(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// redisZ is member at t, as the people index keeps it.
func redisZ(t time.Time, member string) redis.Z {
	return redis.Z{Score: float64(t.UnixMilli()), Member: member}
}
