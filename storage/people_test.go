package storage_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
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
	known := func(a shakwa.Address) bool { t.Helper(); return knownPerson(t, s, a) }
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

// testStaleKeepsNoRecord: entries of a citizen's index that name no
// ticket of theirs (a ticket gone, or another's: stale, as a crash between
// two writes leaves them) keep their record neither from the sweep of
// untouched records nor from the retention sweep after their last ticket:
// they are pruned, more of them than a look takes at once; a real ticket
// still keeps its citizen's record, and its entry stays.
func testStaleKeepsNoRecord(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	known := func(a shakwa.Address) bool { t.Helper(); return knownPerson(t, s, a) }
	entries := func(a shakwa.Address) []string {
		t.Helper()
		ids, err := f.rdb.ZRange(c, f.prefix+"citizen:{"+s.PersonID(a)+"}", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	other := newTicket(t, s, "KRM", shakwa.Address{Channel: "telegram", Chat: "4004"}, at(0))
	stale := func(a shakwa.Address, n int) {
		t.Helper()
		zs := []redis.Z{redisZ(at(0), other.ID)} // another citizen's
		for i := range n {
			zs = append(zs, redisZ(at(i), "KRM-9"+strconv.Itoa(100000+i))) // gone
		}
		if err := f.rdb.ZAdd(c, f.prefix+"citizen:{"+s.PersonID(a)+"}", zs...).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// Never filed a ticket: the sweep of untouched records.
	lone := shakwa.Address{Channel: "whatsapp", Chat: "971501234567"}
	if err := s.SetLang(c, lone, "ar", at(1)); err != nil {
		t.Fatal(err)
	}
	stale(lone, 2*10+3)
	kept := newTicket(t, s, "KRM", citizen, at(2))
	stale(citizen, 2)
	if _, _, err := s.ForgetUntouched(c, at(10), 100); err != nil {
		t.Fatal(err)
	}
	if known(lone) || len(entries(lone)) != 0 {
		t.Errorf("a record only stale entries keep: kept %v, %d entries left; want it gone, none", known(lone), len(entries(lone)))
	}
	if !known(citizen) || !slices.Contains(entries(citizen), kept.ID) {
		t.Errorf("a record a ticket keeps: kept %v, entries %v; want it kept with its ticket's", known(citizen), entries(citizen))
	}

	// Their last ticket erased by the retention sweep.
	last := shakwa.Address{Channel: "whatsapp", Chat: "971507654321"}
	tk := newTicket(t, s, "KRM", last, at(3))
	if _, err := s.Withdraw(c, tk.ID, last, at(4)); err != nil {
		t.Fatal(err)
	}
	stale(last, 2*10+3)
	if _, _, err := s.EraseClosedBefore(c, at(100), at(100), 100, false, nil); err != nil {
		t.Fatal(err)
	}
	if known(last) || len(entries(last)) != 0 {
		t.Errorf("after the erasure of their last ticket: record kept %v, %d entries left; want it gone, none", known(last), len(entries(last)))
	}
}

// knownPerson reports whether s keeps a record of a.
func knownPerson(t *testing.T, s *storage.Store, a shakwa.Address) bool {
	t.Helper()
	_, err := s.Person(ctx(t), s.PersonID(a))
	if err != nil && !errors.Is(err, shakwa.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// score is t as the people index scores it, in text.
func score(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// redisZ is member at t, as the people index keeps it.
func redisZ(t time.Time, member string) redis.Z {
	return redis.Z{Score: float64(t.UnixMilli()), Member: member}
}
