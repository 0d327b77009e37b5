package storage_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// testDiscardVisit: a visit filed by mistake is discarded once, by the
// first of two presses or managers, and then is among no visits, never
// released, with who and when in the audit record; a released visit
// stays; its photos keep their bytes only while another visit or a
// ticket has them.
func testDiscardVisit(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	withPhoto := func(d int, file string) *shakwa.Visit {
		t.Helper()
		v := &shakwa.Visit{Centre: "KRM", Channel: "visit", By: "700", Filed: at(d),
			Attachments: []shakwa.Attachment{{Kind: "photo", ID: "tg-" + file, From: "telegram", File: file}, {Kind: "photo", ID: "tg-plain"}}}
		if err := s.AddVisit(c, v, day(d), ""); err != nil {
			t.Fatalf("AddVisit: %v", err)
		}
		return v
	}
	used := func(file string, except ...string) bool {
		t.Helper()
		u, err := s.FileUsed(c, file, except...)
		if err != nil {
			t.Fatalf("FileUsed: %v", err)
		}
		return u
	}
	listed := func() []string {
		t.Helper()
		vs, err := s.Visits(c, []string{"KRM"}, day(1), day(10))
		if err != nil {
			t.Fatalf("Visits: %v", err)
		}
		return visitIDs(vs)
	}

	wrong, twin, kept := withPhoto(1, "f-shared"), withPhoto(2, "f-shared"), newVisit(t, s, "KRM", 3, "")
	if !used("f-shared") || used("f-shared", wrong.ID, twin.ID) || !used("f-shared", wrong.ID) {
		t.Errorf("a photo of two visits: used %v, but by both %v, but by one %v; want true, false, true",
			used("f-shared"), used("f-shared", wrong.ID, twin.ID), used("f-shared", wrong.ID))
	}

	// Discarded once; the second press changes nothing and says so.
	v, discarded, err := s.DiscardVisit(c, wrong.ID, "900", at(10))
	if err != nil || !discarded || !v.Discarded.Equal(at(10)) || v.DiscardedBy != "900" || !v.Released.IsZero() {
		t.Fatalf("DiscardVisit = %+v, %v, %v; want discarded at %v by 900", v, discarded, err, at(10))
	}
	v, discarded, err = s.DiscardVisit(c, wrong.ID, "901", at(11))
	if err != nil || discarded || !v.Discarded.Equal(at(10)) || v.DiscardedBy != "900" {
		t.Errorf("DiscardVisit again = %+v, %v, %v; want as discarded first, by 900", v, discarded, err)
	}
	if got, want := listed(), []string{twin.ID, kept.ID}; !slices.Equal(got, want) {
		t.Errorf("Visits after the discard = %v; want %v", got, want)
	}
	if v, err := s.Visit(c, wrong.ID); err != nil || !v.Discarded.Equal(at(10)) || v.DiscardedBy != "900" {
		t.Errorf("Visit of the discarded = %+v, %v; want it, discarded", v, err)
	}
	if !used("f-shared") || used("f-shared", twin.ID) {
		t.Errorf("the photo after one of its visits was discarded: used %v, but by the other %v; want true, false",
			used("f-shared"), used("f-shared", twin.ID))
	}

	// Never released after.
	v, released, err := s.ReleaseVisit(c, wrong.ID, "901", at(12))
	if err != nil || released || !v.Released.IsZero() || v.Discarded.IsZero() {
		t.Errorf("ReleaseVisit of the discarded = %+v, %v, %v; want not released, discarded", v, released, err)
	}
	if v, _ := s.Visit(c, wrong.ID); !v.Released.IsZero() {
		t.Errorf("the discarded visit was released: %+v", v)
	}

	// A released visit stays.
	if _, _, err := s.ReleaseVisit(c, kept.ID, "900", at(12)); err != nil {
		t.Fatal(err)
	}
	v, discarded, err = s.DiscardVisit(c, kept.ID, "900", at(13))
	if err != nil || discarded || !v.Discarded.IsZero() || !v.Released.Equal(at(12)) {
		t.Errorf("DiscardVisit of the released = %+v, %v, %v; want released, not discarded", v, discarded, err)
	}
	if got := listed(); !slices.Contains(got, kept.ID) {
		t.Errorf("Visits after discarding the released = %v; want it still", got)
	}

	// The last visit of the photo goes: nothing uses it.
	if _, discarded, err := s.DiscardVisit(c, twin.ID, "900", at(14)); err != nil || !discarded {
		t.Fatalf("DiscardVisit of the twin: %v, %v", discarded, err)
	}
	if used("f-shared") {
		t.Error("the photo is used after both its visits were discarded")
	}

	// Who discarded what, and when, once each.
	log, err := s.AuditLog(c, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		if e.Kind == "discarded" {
			got = append(got, fmt.Sprintf("%s %s by %s at %s", e.What, e.Who, e.By, e.At.UTC().Format("15:04")))
		}
	}
	want := []string{
		wrong.ID + " KRM 2026-03-01 700 by 900 at " + at(10).UTC().Format("15:04"),
		twin.ID + " KRM 2026-03-02 700 by 900 at " + at(14).UTC().Format("15:04"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit of discards = %q; want %q", got, want)
	}

	// An index entry left behind (a discard stopped before taking it out)
	// names no visit, and the next press takes it out.
	if err := f.rdb.ZAdd(c, f.prefix+"visits:{KRM}", redis.Z{Score: float64(day(1).UnixMilli()), Member: wrong.ID}).Err(); err != nil {
		t.Fatal(err)
	}
	if got := listed(); slices.Contains(got, wrong.ID) {
		t.Errorf("Visits with a discarded visit's entry left = %v; want it left out", got)
	}
	if _, _, err := s.DiscardVisit(c, wrong.ID, "901", at(15)); err != nil {
		t.Fatal(err)
	}
	if err := f.rdb.ZScore(c, f.prefix+"visits:{KRM}", wrong.ID).Err(); err == nil {
		t.Error("the entry left behind is there after another press")
	}

	// Unknown visits and malformed calls.
	if _, _, err := s.DiscardVisit(c, "V-999999", "900", at(10)); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("DiscardVisit unknown: %v; want not found", err)
	}
	if _, _, err := s.DiscardVisit(c, kept.ID, "", at(10)); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("DiscardVisit by nobody: %v; want invalid", err)
	}
}

// testDiscardRace: managers discarding and releasing one visit at once:
// exactly one of them decides it, the others are told how it was decided.
func testDiscardRace(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	for round := range 5 {
		v := newVisit(t, s, "KRM", 1+round, "")
		var mu sync.Mutex
		var wins []string
		seen := map[string]int{}
		var wg sync.WaitGroup
		for i := range 8 {
			by := fmt.Sprint(900 + i)
			wg.Go(func() {
				var got *shakwa.Visit
				var won bool
				var err error
				if i%2 == 0 {
					got, won, err = s.DiscardVisit(c, v.ID, by, at(10+i))
				} else {
					got, won, err = s.ReleaseVisit(c, v.ID, by, at(10+i))
				}
				if err != nil {
					t.Errorf("%s: %v", by, err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if won {
					wins = append(wins, by)
				}
				seen[got.DiscardedBy+"/"+got.ReleasedBy]++
			})
		}
		wg.Wait()
		if len(wins) != 1 {
			t.Fatalf("round %d: decided by %v; want exactly one", round, wins)
		}
		if len(seen) != 1 {
			t.Errorf("round %d: the presses saw %v; want all the same decision", round, seen)
		}
		got, err := s.Visit(c, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Released.IsZero() == got.Discarded.IsZero() {
			t.Errorf("round %d: %+v; want released or discarded, not both", round, got)
		}
		if w := got.DiscardedBy + got.ReleasedBy; w != wins[0] {
			t.Errorf("round %d: decided by %s; the winner was %s", round, w, wins[0])
		}
	}
}

// testReindexVisits: Reindex puts a visit's photo back in the file use
// index (visits filed before it was kept there), but not a discarded
// visit's.
func testReindexVisits(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	var ids []string
	for _, file := range []string{"f-old", "f-gone"} {
		v := &shakwa.Visit{Centre: "KRM", Channel: "visit", By: "700", Filed: at(1),
			Attachments: []shakwa.Attachment{{Kind: "photo", ID: "tg-" + file, From: "telegram", File: file}}}
		if err := s.AddVisit(c, v, day(1), ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	if _, _, err := s.DiscardVisit(c, ids[1], "900", at(2)); err != nil {
		t.Fatal(err)
	}
	if err := f.rdb.Del(c, f.prefix+"fileuse:{f-old}").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Reindex(c, at(3), true, nil); err != nil || n != 1 {
		t.Errorf("Reindex dry run = %d, %v; want 1 missing", n, err)
	}
	if n, err := s.Reindex(c, at(3), false, nil); err != nil || n != 1 {
		t.Errorf("Reindex = %d, %v; want 1 added", n, err)
	}
	for file, want := range map[string]bool{"f-old": true, "f-gone": false} {
		if used, err := s.FileUsed(c, file); err != nil || used != want {
			t.Errorf("after Reindex %s used = %v, %v; want %v", file, used, err, want)
		}
	}
}
