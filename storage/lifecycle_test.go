package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

func testSequences(t *testing.T, open opener) {
	s := open(t).s
	for i, want := range []string{"KRM-000001", "KRM-000002", "KRM-000003"} {
		if got := newTicket(t, s, "KRM", citizen, at(i)).ID; got != want {
			t.Errorf("ticket %d: got id %s; want %s", i, got, want)
		}
	}
	if got := newTicket(t, s, "DXB", citizen, at(0)).ID; got != "DXB-000001" {
		t.Errorf("first DXB ticket: got %s; want DXB-000001", got)
	}
	const workers, each = 8, 10
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				tk := &shakwa.Ticket{Centre: "AUH", Created: at(0)}
				if err := s.CreateTicket(ctx(t), tk, citizen, ""); err != nil {
					t.Errorf("CreateTicket: %v", err)
					return
				}
				mu.Lock()
				got = append(got, tk.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	for i, id := range got {
		if want := fmt.Sprintf("AUH-%06d", i+1); id != want {
			t.Errorf("concurrent ids[%d] = %s; want %s", i, id, want)
			break
		}
	}
	if len(got) != workers*each {
		t.Errorf("got %d tickets; want %d", len(got), workers*each)
	}
}

// testTimes walks one ticket through its life and checks each recorded
// time, and that first times never move.
func testTimes(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	id := newTicket(t, s, "KRM", citizen, at(0)).ID
	steps := []struct {
		name  string
		do    func(now time.Time) (*shakwa.Ticket, error)
		check func(tk *shakwa.Ticket) string
	}{
		{"claim", func(n time.Time) (*shakwa.Ticket, error) { return s.Claim(c, id, fatima, nil, n) },
			func(tk *shakwa.Ticket) string { return same("Claimed", tk.Claimed, at(1)) }},
		{"release", func(n time.Time) (*shakwa.Ticket, error) { return s.Release(c, id, fatima, n) },
			func(tk *shakwa.Ticket) string { return same("Claimed", tk.Claimed, at(1)) }},
		{"claim again", func(n time.Time) (*shakwa.Ticket, error) { return s.Claim(c, id, omar, nil, n) },
			func(tk *shakwa.Ticket) string { return same("Claimed", tk.Claimed, at(1)) + holder(tk, omar) }},
		{"reply", func(n time.Time) (*shakwa.Ticket, error) { return s.Reply(c, id, omar, "a", n) },
			func(tk *shakwa.Ticket) string { return same("FirstReply", tk.FirstReply, at(4)) }},
		{"reply again", func(n time.Time) (*shakwa.Ticket, error) { return s.Reply(c, id, omar, "b", n) },
			func(tk *shakwa.Ticket) string { return same("FirstReply", tk.FirstReply, at(4)) }},
		{"resolve", func(n time.Time) (*shakwa.Ticket, error) { return s.Resolve(c, id, omar, "done", n) },
			func(tk *shakwa.Ticket) string {
				return same("Resolved", tk.Resolved, at(6)) + text("Resolution", tk.Resolution, "done") + holder(tk, omar)
			}},
		{"rate", func(n time.Time) (*shakwa.Ticket, error) { return s.Rate(c, id, citizen, 2, n) },
			func(tk *shakwa.Ticket) string {
				return same("Rated", tk.Rated, at(7)) + same("Closed", tk.Closed, at(7)) + num("Rating", tk.Rating, 2)
			}},
		{"reopen", func(n time.Time) (*shakwa.Ticket, error) { return s.Reopen(c, id, citizen, "", n) },
			func(tk *shakwa.Ticket) string {
				return same("Reopened", tk.Reopened, at(8)) + num("Reopens", tk.Reopens, 1) + num("Rating", tk.Rating, 2) +
					same("Closed", tk.Closed, time.Time{}) + text("Resolution", tk.Resolution, "") +
					same("Resolved", tk.Resolved, at(6)) + holder(tk, omar) + text("Status", string(tk.Status), "claimed")
			}},
		{"transfer", func(n time.Time) (*shakwa.Ticket, error) { return s.Transfer(c, id, omar, "DXB", n) },
			func(tk *shakwa.Ticket) string {
				return same("Transferred", tk.Transferred, at(9)) + holder(tk, shakwa.Staff{}) + text("Centre", tk.Centre, "DXB")
			}},
		{"claim in DXB", func(n time.Time) (*shakwa.Ticket, error) { return s.Claim(c, id, fatima, nil, n) },
			func(tk *shakwa.Ticket) string { return same("Claimed", tk.Claimed, at(1)) }},
		{"resolve again", func(n time.Time) (*shakwa.Ticket, error) { return s.Resolve(c, id, fatima, "again", n) },
			func(tk *shakwa.Ticket) string {
				return same("Resolved", tk.Resolved, at(11)) + same("FirstReply", tk.FirstReply, at(4)) +
					same("Created", tk.Created, at(0))
			}},
	}
	for i, st := range steps {
		now := at(i + 1)
		tk, err := st.do(now)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if msg := st.check(tk) + same("Updated", tk.Updated, now); msg != "" {
			t.Errorf("after %s:%s", st.name, msg)
		}
	}
	evs, err := s.Events(c, id)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"created", "claimed", "released", "claimed", "reply", "reply", "resolved", "rated",
		"reopened", "transferred", "claimed", "resolved"}
	if !slices.Equal(kinds, want) {
		t.Errorf("event kinds %v; want %v", kinds, want)
	}
	if e := evs[len(evs)-3]; e.By != omar.ID || e.Text != "DXB" {
		t.Errorf("transfer event by %q text %q; want %q, DXB", e.By, e.Text, omar.ID)
	}
}

func same(name string, got, want time.Time) string {
	if got.Equal(want) {
		return ""
	}
	return fmt.Sprintf(" %s got %v; want %v;", name, got, want)
}

func text(name, got, want string) string {
	if got == want {
		return ""
	}
	return fmt.Sprintf(" %s got %q; want %q;", name, got, want)
}

func num(name string, got, want int) string {
	if got == want {
		return ""
	}
	return fmt.Sprintf(" %s got %d; want %d;", name, got, want)
}

func holder(tk *shakwa.Ticket, want shakwa.Staff) string {
	if tk.Holder == want {
		return ""
	}
	return fmt.Sprintf(" Holder got %+v; want %+v;", tk.Holder, want)
}

// testReopenWithoutHolder: a resolved ticket with no recorded holder (data
// from before holders were kept) reopens into the queue.
func testReopenWithoutHolder(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	id := newTicket(t, s, "KRM", citizen, at(0)).ID
	for _, err := range []error{
		second(s.Claim(c, id, fatima, nil, at(1))),
		second(s.Resolve(c, id, fatima, "ok", at(2))),
		f.rdb.HDel(c, f.prefix+"t:{"+id+"}", "holder.id", "holder.name").Err(),
	} {
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	tk, err := s.Reopen(c, id, citizen, "", at(3))
	if err != nil || tk.Status != shakwa.StatusNew {
		t.Fatalf("Reopen = %v, %v; want status new", tk, err)
	}
	q, err := s.Queue(c, "KRM", 0)
	if err != nil || !slices.Equal(ids(q), []string{id}) {
		t.Errorf("Queue = %v, %v; want [%s]", ids(q), err, id)
	}
}

func second(_ *shakwa.Ticket, err error) error { return err }

func testCitizenIsolation(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	id := newTicket(t, s, "KRM", citizen, at(0)).ID
	// A stranger learns nothing: the same answer as for a ticket that does
	// not exist, in every state.
	check := func(state string) {
		t.Helper()
		for name, err := range map[string]error{
			"Info":   second(s.Info(c, id, stranger, "x", nil, at(5))),
			"Rate":   second(s.Rate(c, id, stranger, 1, at(5))),
			"Reopen": second(s.Reopen(c, id, stranger, "", at(5))),
			"Info on the same chat of another channel": second(s.Info(c, id,
				shakwa.Address{Channel: "whatsapp", Chat: citizen.Chat}, "x", nil, at(5))),
		} {
			if !errors.Is(err, shakwa.ErrNotFound) {
				t.Errorf("%s by a stranger on a %s ticket: got %v; want ErrNotFound", name, state, err)
			}
		}
	}
	check("new")
	for _, err := range []error{
		second(s.Claim(c, id, fatima, nil, at(1))), second(s.Resolve(c, id, fatima, "ok", at(2))),
	} {
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	check("resolved")
	if tk := mustGet(t, s, id); tk.Status != shakwa.StatusResolved {
		t.Errorf("status after strangers: %s; want resolved", tk.Status)
	}
	if ts, err := s.CitizenTickets(c, stranger, 0); len(ts) != 0 || err != nil {
		t.Errorf("CitizenTickets(stranger) = %v, %v; want none", ids(ts), err)
	}
}

func testEventLogCap(t *testing.T, open opener) {
	s, c := open(t, storage.WithLogCap(3)).s, ctx(t)
	id := newTicket(t, s, "KRM", citizen, at(0)).ID
	for i := 1; i <= 5; i++ {
		if _, err := s.Note(c, id, fatima, fmt.Sprint(i), at(i)); err != nil {
			t.Fatalf("Note: %v", err)
		}
	}
	evs, err := s.Events(c, id)
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Text)
	}
	if want := []string{"3", "4", "5"}; !slices.Equal(got, want) {
		t.Errorf("capped log texts %v; want %v", got, want)
	}
}

// testClaimRace has many staff press "claim" on the same ticket at once:
// exactly one wins each round and everyone else is told who.
func testClaimRace(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	workers, rounds := 50, 200
	if testing.Short() {
		rounds = 20
	}
	for r := range rounds {
		id := newTicket(t, s, "KRM", citizen, at(r)).ID
		winners := make(chan string, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				me := shakwa.Staff{ID: fmt.Sprint(1000 + w), Name: fmt.Sprint("staff ", w)}
				tk, err := s.Claim(c, id, me, nil, at(r))
				switch {
				case err == nil:
					winners <- me.ID
				case !errors.Is(err, shakwa.ErrConflict):
					t.Errorf("round %d: Claim: %v", r, err)
				case tk == nil || tk.Holder.ID == "" || tk.Holder.ID == me.ID:
					t.Errorf("round %d: refused claim returned %+v; want the winner as holder", r, tk)
				}
			})
		}
		wg.Wait()
		close(winners)
		var won []string
		for w := range winners {
			won = append(won, w)
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %d winners %v; want exactly 1", r, len(won), won)
		}
		if tk := mustGet(t, s, id); tk.Holder.ID != won[0] {
			t.Errorf("round %d: holder %s; want winner %s", r, tk.Holder.ID, won[0])
		}
	}
}

// testClaimCentres: a claim limited to the claimer's centres is refused
// once a transfer has moved the ticket elsewhere.
func testClaimCentres(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	id := newTicket(t, s, "KRM", citizen, at(0)).ID
	if _, err := s.Transfer(c, id, omar, "DXB", at(1)); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	tk, err := s.Claim(c, id, fatima, []string{"KRM"}, at(2))
	if !errors.Is(err, shakwa.ErrConflict) || tk == nil || tk.Centre != "DXB" || tk.Status != shakwa.StatusNew {
		t.Fatalf("claim by KRM staff after transfer = %+v, %v; want conflict, still new in DXB", tk, err)
	}
	if tk, err := s.Claim(c, id, omar, []string{"DXB", "KRM"}, at(3)); err != nil || tk.Holder != omar {
		t.Errorf("claim by DXB staff = %+v, %v; want it claimed", tk, err)
	}
}

// testInfoFiles: files the citizen adds join the ticket's attachments.
func testInfoFiles(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	tk := &shakwa.Ticket{Centre: "KRM", Text: "نص الشكوى", Created: at(0),
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "p1"}}}
	if err := s.CreateTicket(c, tk, citizen, ""); err != nil {
		t.Fatal(err)
	}
	bare := newTicket(t, s, "KRM", citizen, at(0))
	add := []shakwa.Attachment{{Kind: "document", ID: "d1", Name: "إيصال.pdf"}, {Kind: "photo", ID: "p2"}}
	for _, tc := range []struct {
		id   string
		want []string
	}{{tk.ID, []string{"p1", "d1", "p2"}}, {bare.ID, []string{"d1", "p2"}}} {
		got, err := s.Info(c, tc.id, citizen, "صورة الإيصال", add, at(1))
		if err != nil {
			t.Fatalf("Info: %v", err)
		}
		var ids []string
		for _, a := range mustGet(t, s, tc.id).Attachments {
			ids = append(ids, a.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.want) || len(got.Attachments) != len(tc.want) {
			t.Errorf("%s attachments %v; want %v", tc.id, ids, tc.want)
		}
	}
	if a := mustGet(t, s, tk.ID).Attachments[1]; a.Name != "إيصال.pdf" || a.Kind != "document" {
		t.Errorf("appended attachment %+v; want the document with its name", a)
	}
}

// testRejectRace: the holder resolving and a supervisor rejecting the same
// ticket at once: exactly one wins, and the ticket is what the winner made
// it, with one event.
func testRejectRace(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	rounds := 100
	if testing.Short() {
		rounds = 10
	}
	for r := range rounds {
		id := newTicket(t, s, "KRM", citizen, at(r)).ID
		if _, err := s.Claim(c, id, fatima, nil, at(r)); err != nil {
			t.Fatal(err)
		}
		var resolved, rejected error
		var wg sync.WaitGroup
		wg.Go(func() { _, resolved = s.Resolve(c, id, fatima, "تم", at(r+1)) })
		wg.Go(func() { _, rejected = s.Reject(c, id, omar, "duplicate", "", "KRM-000001", []string{"KRM"}, at(r+1)) })
		wg.Wait()
		tk := mustGet(t, s, id)
		evs, _ := s.Events(c, id)
		switch {
		case resolved == nil && errors.Is(rejected, shakwa.ErrConflict):
			if tk.Status != shakwa.StatusResolved || tk.Reason != "" {
				t.Errorf("round %d: resolve won, ticket %s reason %q", r, tk.Status, tk.Reason)
			}
		case rejected == nil && errors.Is(resolved, shakwa.ErrConflict):
			if tk.Status != shakwa.StatusRejected || tk.Reason != "duplicate" || tk.DuplicateOf != "KRM-000001" || !tk.Resolved.IsZero() {
				t.Errorf("round %d: reject won, ticket %s reason %q resolved %v", r, tk.Status, tk.Reason, tk.Resolved)
			}
		default:
			t.Fatalf("round %d: resolve %v, reject %v; want exactly one to win", r, resolved, rejected)
		}
		if len(evs) != 3 {
			t.Errorf("round %d: %d events; want created, claimed and the winner's", r, len(evs))
		}
	}
}

// testReassignRace: the holder closing while a supervisor gives the ticket
// to someone else: exactly one wins, and the ticket is what the winner
// made it.
func testReassignRace(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	khalid := shakwa.Staff{ID: "503", Name: "Khalid"}
	for r := range 50 {
		id := newTicket(t, s, "KRM", citizen, at(r)).ID
		if _, err := s.Claim(c, id, fatima, nil, at(r)); err != nil {
			t.Fatal(err)
		}
		var resolved, moved error
		var wg sync.WaitGroup
		wg.Go(func() { _, resolved = s.Resolve(c, id, fatima, "تم", at(r+1)) })
		wg.Go(func() { _, moved = s.Reassign(c, id, omar, khalid, []string{"KRM"}, at(r+1)) })
		wg.Wait()
		tk := mustGet(t, s, id)
		switch {
		case resolved == nil && errors.Is(moved, shakwa.ErrConflict):
			if tk.Status != shakwa.StatusResolved || tk.Holder != fatima {
				t.Errorf("round %d: close won, ticket %s held by %v", r, tk.Status, tk.Holder)
			}
		case moved == nil && errors.Is(resolved, shakwa.ErrConflict):
			if tk.Status != shakwa.StatusClaimed || tk.Holder != khalid {
				t.Errorf("round %d: reassign won, ticket %s held by %v", r, tk.Status, tk.Holder)
			}
		default:
			t.Fatalf("round %d: close %v, reassign %v; want exactly one to win", r, resolved, moved)
		}
	}
}

// testUndelivered: messages that did not reach citizens are listed per
// centre, the latest first across centres, since a time; marking one
// again moves it; a week on, it is gone.
func testUndelivered(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	for _, m := range []struct {
		centre, id string
		at         int
	}{{"KRM", "KRM-000001", 1}, {"DXB", "DXB-000001", 2}, {"KRM", "KRM-000002", 3}, {"KRM", "KRM-000001", 4}} {
		if err := s.MarkUndelivered(c, m.centre, m.id, at(m.at)); err != nil {
			t.Fatal(err)
		}
	}
	ids, when, err := s.Undelivered(c, []string{"KRM", "DXB"}, at(2))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != "[KRM-000001 KRM-000002 DXB-000001]" || !when[0].Equal(at(4).Truncate(time.Millisecond)) {
		t.Errorf("undelivered since 2: %v at %v; want KRM-000001 (4), KRM-000002 (3), DXB-000001 (2)", ids, when)
	}
	if ids, _, _ := s.Undelivered(c, []string{"DXB"}, at(3)); len(ids) != 0 {
		t.Errorf("DXB since 3: %v; want none", ids)
	}
	later := at(4).Add(storage.UndeliveredKeep + time.Hour)
	if err := s.MarkUndelivered(c, "KRM", "KRM-000009", later); err != nil {
		t.Fatal(err)
	}
	if ids, _, _ := s.Undelivered(c, []string{"KRM"}, at(0)); fmt.Sprint(ids) != "[KRM-000009]" {
		t.Errorf("a week on: %v; want only the new one", ids)
	}
}

// testCount: a counter counts within its window and starts again in the
// next; counters of different names are apart.
func testCount(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	w0 := at(0).Truncate(time.Minute)
	for i := 1; i <= 3; i++ {
		if n, err := s.Count(c, "msg:a", time.Minute, w0.Add(time.Duration(i)*time.Second)); err != nil || n != int64(i) {
			t.Fatalf("count %d: %d, %v", i, n, err)
		}
	}
	if n, _ := s.Count(c, "msg:b", time.Minute, w0); n != 1 {
		t.Errorf("another counter: %d; want 1", n)
	}
	if n, _ := s.Count(c, "msg:a", time.Minute, w0.Add(time.Minute)); n != 1 {
		t.Errorf("the next window: %d; want 1", n)
	}
}

// testRejectClaimRace: a supervisor rejecting a new ticket while a staff
// member claims it: the ticket ends rejected either way, and the claim
// either came first (its holder kept) or was refused.
func testRejectClaimRace(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	for r := range 50 {
		id := newTicket(t, s, "KRM", citizen, at(r)).ID
		var claimed, rejected error
		var wg sync.WaitGroup
		wg.Go(func() { _, claimed = s.Claim(c, id, fatima, nil, at(r+1)) })
		wg.Go(func() { _, rejected = s.Reject(c, id, omar, "out_of_scope", "", "", []string{"KRM"}, at(r+1)) })
		wg.Wait()
		tk := mustGet(t, s, id)
		if rejected != nil || tk.Status != shakwa.StatusRejected {
			t.Fatalf("round %d: reject %v, ticket %s; want it rejected", r, rejected, tk.Status)
		}
		switch {
		case claimed == nil && tk.Holder != fatima:
			t.Errorf("round %d: the claim won first but the holder is %v", r, tk.Holder)
		case claimed != nil && (!errors.Is(claimed, shakwa.ErrConflict) || tk.Holder.ID != ""):
			t.Errorf("round %d: claim %v after the rejection, holder %v", r, claimed, tk.Holder)
		}
	}
}

// testHistory: every change leaves its entry, with who and from which
// channel; EventsOf reads several tickets' histories, in order, and nil
// for one that has none.
func testHistory(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	a := newTicket(t, s, "KRM", citizen, at(0)).ID
	b := newTicket(t, s, "BRS", citizen, at(1)).ID
	web := fatima
	web.Via = "web"
	if _, err := s.Claim(c, a, web, nil, at(2)); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if _, err := s.Info(c, a, citizen, "more", nil, at(3)); err != nil {
		t.Fatalf("Info: %v", err)
	}
	// Only the holder is shown the phone, and each showing is an entry.
	if _, err := s.RevealPhone(c, a, omar, at(4)); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("RevealPhone by another: %v; want a conflict", err)
	}
	if _, err := s.RevealPhone(c, a, web, at(4)); err != nil {
		t.Fatalf("RevealPhone: %v", err)
	}
	got, err := s.EventsOf(c, []string{a, "KRM-999999", b})
	if err != nil {
		t.Fatalf("EventsOf: %v", err)
	}
	if len(got) != 3 || got[1] != nil || len(got[2]) != 1 {
		t.Fatalf("EventsOf: %d histories (%v); want 3, the missing ticket's nil", len(got), got)
	}
	var line []string
	for _, e := range got[0] {
		line = append(line, e.Kind+"/"+e.Via+"/"+fmt.Sprint(e.By == fatima.ID))
	}
	want := []string{"created/" + citizen.Channel + "/false", "claimed/web/true", "info/" + citizen.Channel + "/false",
		"revealed/web/true"}
	if !slices.Equal(line, want) {
		t.Errorf("history of %s: %v; want %v", a, line, want)
	}
	single, err := s.Events(c, a)
	if err != nil || !reflect.DeepEqual(single, got[0]) {
		t.Errorf("Events(%s) = %v, %v; want what EventsOf read", a, single, err)
	}
}

// testErase: erasing a ticket takes its citizen's words, phone, files and
// the link to them, from the ticket and its history, once; its times,
// centre, status and rating stay, and the citizen's list no longer has it.
func testErase(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "انتظرت طويلاً", Phone: "+971501234567",
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "AgAD"}}, Created: at(0)}
	if err := s.CreateTicket(c, tk, citizen, ""); err != nil {
		t.Fatal(err)
	}
	id := tk.ID
	steps := []func() error{
		func() error { _, err := s.Claim(c, id, fatima, nil, at(1)); return err },
		func() error { _, err := s.Info(c, id, citizen, "رقمي ٤٥", nil, at(2)); return err },
		func() error { _, err := s.Resolve(c, id, fatima, "تمت خدمتك يا سالم", at(3)); return err },
		func() error { _, err := s.Rate(c, id, citizen, 4, at(4)); return err },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	before, _ := s.Ticket(c, id)
	got, erased, err := s.EraseTicket(c, id, shakwa.SystemActor, at(5))
	if err != nil || !erased {
		t.Fatalf("EraseTicket: %v, %v", erased, err)
	}
	if got.Text != "" || got.Phone != "" || got.Resolution != "" || len(got.Attachments) != 0 ||
		got.Citizen != shakwa.ErasedCitizen || !got.Erased.Equal(at(5)) {
		t.Errorf("erased ticket: %+v", got)
	}
	if got.Status != before.Status || got.Rating != 4 || !got.Created.Equal(before.Created) || !got.Resolved.Equal(before.Resolved) ||
		got.Centre != "KRM" || got.Holder.ID != fatima.ID {
		t.Errorf("erased ticket lost what the figures need: %+v; was %+v", got, before)
	}
	evs, err := s.Events(c, id)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != "erased" || last.By != shakwa.SystemActor {
		t.Errorf("last entry %+v; want the erasure", last)
	}
	for _, e := range evs {
		if e.By == before.Citizen || e.Kind != "rated" && e.Text != "" {
			t.Errorf("entry %+v keeps the citizen or their words", e)
		}
	}
	if _, again, err := s.EraseTicket(c, id, shakwa.SystemActor, at(6)); err != nil || again {
		t.Errorf("second EraseTicket: %v, %v; want nothing done", again, err)
	}
	if ts, err := s.CitizenTickets(c, citizen, 10); err != nil || len(ts) != 0 {
		t.Errorf("the citizen's tickets after the erasure: %d, %v; want none", len(ts), err)
	}
}

// testTransitionReplay: a transition that a handling of the same update
// made before (it failed after the change, and the update came again)
// answers as done, once more, with the history unchanged; another update
// making the same change is refused as ever, and so is a change of
// another kind by the same update.
func testTransitionReplay(t *testing.T, open opener) {
	s := open(t).s
	t0 := time.UnixMilli(1_800_000_000_000)
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: t0, Updated: t0}
	if err := s.CreateTicket(ctx(t), tk, shakwa.Address{Channel: "telegram", Chat: "7"}, ""); err != nil {
		t.Fatal(err)
	}
	fatima := shakwa.Staff{ID: "501", Name: "Fatima", Via: "telegram"}
	first := shakwa.WithUpdate(ctx(t), "telegram:-1001:41")
	if _, err := s.Claim(first, tk.ID, fatima, []string{"KRM"}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	again, err := s.Claim(first, tk.ID, fatima, []string{"KRM"}, t0.Add(2*time.Minute))
	if err != nil || again.Status != shakwa.StatusClaimed || !again.Claimed.Equal(t0.Add(time.Minute)) {
		t.Errorf("the same update's claim again: %+v, %v; want the claim as made, no error", again, err)
	}
	if _, err := s.Claim(shakwa.WithUpdate(ctx(t), "telegram:-1001:42"), tk.ID, fatima, []string{"KRM"}, t0.Add(3*time.Minute)); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("another update's claim: %v; want a conflict", err)
	}
	if _, err := s.Claim(ctx(t), tk.ID, fatima, []string{"KRM"}, t0.Add(3*time.Minute)); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("a claim naming no update: %v; want a conflict", err)
	}
	if _, err := s.Release(first, tk.ID, shakwa.Staff{ID: "502"}, t0.Add(4*time.Minute)); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("a release by another staff member under the same update: %v; want a conflict", err)
	}
	evs, err := s.Events(ctx(t), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(evs); n != 2 || evs[1].Kind != "claimed" {
		t.Errorf("history %+v; want created and one claim", evs)
	}
}

// loseReply is a hook that, once armed with an event kind, lets the next
// transition of that kind run and loses its reply, as a connection
// broken after Redis ran the script would.
type loseReply struct{ kind atomic.Value }

func (h *loseReply) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *loseReply) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(c context.Context, cmd redis.Cmder) error {
		err := next(c, cmd)
		kind, _ := h.kind.Load().(string)
		if name := cmd.Name(); err == nil && kind != "" && (name == "evalsha" || name == "eval") &&
			strings.Contains(fmt.Sprint(cmd.Args()...), `"kind":"`+kind+`"`) && h.kind.CompareAndSwap(kind, "") {
			cmd.SetErr(errGone)
			return errGone
		}
		return err
	}
}

func (h *loseReply) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// testTransitionReplyLost: a transition whose reply was lost on the way
// (the change made, the handling failed) and whose update came again
// answers as done and brings the indexes and tallies up to date, as the
// first handling would have: the claim is in its holder's list, the
// transfer in the new centre's queue, and no centre's tallies miss the
// ticket or count it twice.
func testTransitionReplyLost(t *testing.T, open opener) {
	f := open(t, storage.WithTallier(tallyModel))
	c := ctx(t)
	hook := &loseReply{}
	f.rdb.AddHook(hook)
	s, err := storage.New(c, f.rdb, storage.WithPrefix(f.prefix), storage.WithTallier(tallyModel)) // on the client with the hook
	if err != nil {
		t.Fatal(err)
	}
	t0 := since(0)
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: t0, Updated: t0}
	if err := s.CreateTicket(c, tk, shakwa.Address{Channel: "telegram", Chat: "7"}, ""); err != nil {
		t.Fatal(err)
	}
	fatima := shakwa.Staff{ID: "9501", Name: "Fatima", Via: "telegram"}
	ids, fb := tallyWork(t, s, rand.New(rand.NewPCG(3, 4)), 40) // other tickets, for tallies of all kinds
	ids = append(ids, tk.ID)

	claim := shakwa.WithUpdate(c, "telegram:-1001:41")
	hook.kind.Store("claimed")
	if _, err := s.Claim(claim, tk.ID, fatima, []string{"KRM"}, t0.Add(time.Minute)); !errors.Is(err, errGone) {
		t.Fatalf("claim with its reply lost: %v; want it to fail", err)
	}
	if got, err := s.Claim(claim, tk.ID, fatima, []string{"KRM"}, t0.Add(2*time.Minute)); err != nil || got.Status != shakwa.StatusClaimed {
		t.Fatalf("the same update's claim again: %+v, %v; want the claim as made", got, err)
	}
	if held, err := s.Held(c, fatima.ID); err != nil || len(held) != 1 || held[0].ID != tk.ID {
		t.Errorf("held by the claimer: %v (%v); want the ticket", held, err)
	}
	checkTallies(t, f, s, ids, fb)

	transfer := shakwa.WithUpdate(c, "telegram:-1001:42")
	hook.kind.Store("transferred")
	if _, err := s.Transfer(transfer, tk.ID, fatima, "BRS", t0.Add(3*time.Minute)); !errors.Is(err, errGone) {
		t.Fatalf("transfer with its reply lost: %v; want it to fail", err)
	}
	if got, err := s.Transfer(transfer, tk.ID, fatima, "BRS", t0.Add(4*time.Minute)); err != nil || got.Centre != "BRS" {
		t.Fatalf("the same update's transfer again: %+v, %v; want the transfer as made", got, err)
	}
	if q, err := s.Queue(c, "BRS", 1000); err != nil || !slices.ContainsFunc(q, func(q *shakwa.Ticket) bool { return q.ID == tk.ID }) {
		t.Errorf("the new centre's queue of %d (%v) does not hold the ticket", len(q), err)
	}
	if held, err := s.Held(c, fatima.ID); err != nil || len(held) != 0 {
		t.Errorf("held by the claimer after the transfer: %v (%v); want none", held, err)
	}
	checkTallies(t, f, s, ids, fb)
}

// testRetentionWaiting: a ticket the sweep may not erase yet (still open)
// does not hold the sweep's place: the next sweep reads on from the newest
// ticket it passed, and erases the one that waited once it is closed
// long enough; a limit stops a sweep and the next goes on.
func testRetentionWaiting(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	waits := newTicket(t, s, "KRM", citizen, at(0))
	if _, err := s.Claim(c, waits.ID, fatima, nil, at(1)); err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for i := range 5 {
		tk := newTicket(t, s, "KRM", citizen, at(2+i))
		if _, err := s.Withdraw(c, tk.ID, citizen, at(10)); err != nil {
			t.Fatal(err)
		}
		last = tk.Created
	}
	sweep := func(cutoff time.Time, limit int) (int, bool) {
		t.Helper()
		n, more, err := s.EraseClosedBefore(c, cutoff, cutoff, limit, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return n, more
	}
	if n, more := sweep(at(100), 2); n != 2 || !more {
		t.Errorf("limited sweep erased %d (more %v); want 2, more", n, more)
	}
	if n, more := sweep(at(100), 100); n != 3 || more {
		t.Errorf("next sweep erased %d (more %v); want the other 3", n, more)
	}
	cur, err := f.rdb.Get(c, f.prefix+"retention:cursor").Int64()
	if err != nil || cur != last.UnixMilli() {
		t.Errorf("cursor %d (%v); want the newest ticket passed, %d", cur, err, last.UnixMilli())
	}
	// How to reach the citizen stays while a ticket of theirs does, and
	// goes with the last.
	known := func() bool {
		t.Helper()
		_, err := s.Person(c, s.PersonID(citizen))
		if err != nil && !errors.Is(err, shakwa.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	if !known() {
		t.Error("the citizen's record went while a ticket of theirs is open")
	}
	if _, err := s.Withdraw(c, waits.ID, citizen, at(101)); err != nil {
		t.Fatal(err)
	}
	if n, _ := sweep(at(102), 100); n != 1 || reread(t, s, waits.ID).Erased.IsZero() {
		t.Errorf("once closed, the ticket that waited: %d erased; want it", n)
	}
	if known() {
		t.Error("the citizen's record (their chat id, a phone number on WhatsApp) outlived their last ticket's erasure")
	}
	if n, _ := sweep(at(103), 100); n != 0 {
		t.Errorf("a sweep with nothing new erased %d", n)
	}
}

func reread(t *testing.T, s *storage.Store, id string) *shakwa.Ticket {
	t.Helper()
	tk, err := s.Ticket(ctx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// testFileUse: a file in a ticket's attachments, filed with it or added
// later, is used until the ticket is erased; Reindex puts back what an
// older version never wrote.
func testFileUse(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	used := func(file string, except ...string) bool {
		t.Helper()
		u, err := s.FileUsed(c, file, except...)
		if err != nil {
			t.Fatalf("FileUsed: %v", err)
		}
		return u
	}
	tk := &shakwa.Ticket{Centre: "KRM", Text: "نص الشكوى", Created: at(0),
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "p1", File: "f1"}}}
	if err := s.CreateTicket(c, tk, citizen, ""); err != nil {
		t.Fatal(err)
	}
	bare := newTicket(t, s, "KRM", citizen, at(0))
	if used("f2", "") {
		t.Fatal("f2 used before any ticket has it")
	}
	if _, err := s.Info(c, bare.ID, citizen, "", []shakwa.Attachment{{Kind: "photo", ID: "p2", File: "f2"}}, at(1)); err != nil {
		t.Fatal(err)
	}
	if !used("f1", "") || !used("f2", "") || used("f1", tk.ID) || !used("f2", tk.ID) {
		t.Errorf("used: f1 %v, f1 but by %s %v, f2 %v; want true, false, true", used("f1", ""), tk.ID, used("f1", tk.ID), used("f2", ""))
	}
	// Two tickets of one file: used but by one of them, not but by both.
	third := newTicket(t, s, "KRM", citizen, at(0))
	if _, err := s.Info(c, third.ID, citizen, "", []shakwa.Attachment{{Kind: "photo", ID: "p1", File: "f1"}}, at(1)); err != nil {
		t.Fatal(err)
	}
	if !used("f1", tk.ID) || !used("f1", third.ID) || used("f1", tk.ID, third.ID) {
		t.Errorf("f1 of two tickets: used but by one %v, %v, but by both %v; want true, true, false",
			used("f1", tk.ID), used("f1", third.ID), used("f1", tk.ID, third.ID))
	}
	if _, _, err := s.EraseTicket(c, tk.ID, shakwa.SystemActor, at(2)); err != nil {
		t.Fatal(err)
	}
	if !used("f1", "") {
		t.Error("f1 not used after one of its two tickets was erased")
	}
	if _, _, err := s.EraseTicket(c, third.ID, shakwa.SystemActor, at(2)); err != nil {
		t.Fatal(err)
	}
	if used("f1", "") {
		t.Error("f1 used after its tickets were erased")
	}
	if err := f.rdb.Del(c, f.prefix+"fileuse:{f2}").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reindex(c, time.Now(), false, nil); err != nil {
		t.Fatal(err)
	}
	if !used("f2", "") || used("f1", "") {
		t.Errorf("after Reindex: f2 used %v, f1 used %v; want true, false", used("f2", ""), used("f1", ""))
	}
}

// testFirstHands: a ticket remembers who claimed it first and who replied
// first, through a release, a second claim, a reassignment and later
// replies, while its holder changes.
func testFirstHands(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	sara := shakwa.Staff{ID: "503", Name: "Sara"}
	id := newTicket(t, s, "KRM", citizen, at(0)).ID
	steps := []struct {
		name string
		do   func() (*shakwa.Ticket, error)
	}{
		{"claim", func() (*shakwa.Ticket, error) { return s.Claim(c, id, fatima, nil, at(1)) }},
		{"release", func() (*shakwa.Ticket, error) { return s.Release(c, id, fatima, at(2)) }},
		{"claim again", func() (*shakwa.Ticket, error) { return s.Claim(c, id, omar, nil, at(3)) }},
		{"reply", func() (*shakwa.Ticket, error) { return s.Reply(c, id, omar, "…", at(4)) }},
		{"reassign", func() (*shakwa.Ticket, error) { return s.Reassign(c, id, fatima, sara, []string{"KRM"}, at(5)) }},
		{"reply again", func() (*shakwa.Ticket, error) { return s.Reply(c, id, sara, "…", at(6)) }},
	}
	for _, st := range steps {
		if _, err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	got := mustGet(t, s, id)
	if got.ClaimedBy != fatima.ID || got.RepliedBy != omar.ID || got.Holder.ID != sara.ID || !got.Claimed.Equal(at(1)) {
		t.Errorf("claimed by %q at %v, replied by %q, held by %q; want %s at %v, %s, %s",
			got.ClaimedBy, got.Claimed, got.RepliedBy, got.Holder.ID, fatima.ID, at(1), omar.ID, sara.ID)
	}
	// A new ticket reassigned before anyone claimed it: claimed by the one
	// it went to.
	other := newTicket(t, s, "KRM", citizen, at(0)).ID
	if _, err := s.Reassign(c, other, fatima, sara, []string{"KRM"}, at(1)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, other); got.ClaimedBy != sara.ID {
		t.Errorf("reassigned while new: claimed by %q; want %s", got.ClaimedBy, sara.ID)
	}
}

// testQueueEnds: a centre's queue reads from either end.
func testQueueEnds(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, newTicket(t, s, "KRM", citizen, at(i)).ID)
	}
	idsOf := func(ts []*shakwa.Ticket) []string {
		var out []string
		for _, tk := range ts {
			out = append(out, tk.ID)
		}
		return out
	}
	oldest, err1 := s.Queue(c, "KRM", 2)
	newest, err2 := s.NewestInQueue(c, "KRM", 2)
	if err1 != nil || err2 != nil || !slices.Equal(idsOf(oldest), ids[:2]) || !slices.Equal(idsOf(newest), []string{ids[2], ids[1]}) {
		t.Errorf("Queue %v, NewestInQueue %v (%v, %v); want %v and %v", idsOf(oldest), idsOf(newest), err1, err2, ids[:2], []string{ids[2], ids[1]})
	}
}

// failAfterScript is a hook that, once armed, lets the next erasure's
// script run and then fails every command after it, as a Redis gone
// between two round trips would.
type failAfterScript struct{ armed, failing atomic.Bool }

var errGone = errors.New("connection lost")

func (h *failAfterScript) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *failAfterScript) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(c context.Context, cmd redis.Cmder) error {
		if h.failing.Load() {
			cmd.SetErr(errGone)
			return errGone
		}
		err := next(c, cmd)
		if name := cmd.Name(); err == nil && (name == "evalsha" || name == "eval") &&
			strings.Contains(fmt.Sprint(cmd.Args()...), `"kind":"erased"`) && h.armed.CompareAndSwap(true, false) {
			h.failing.Store(true)
		}
		return err
	}
}

func (h *failAfterScript) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(c context.Context, cmds []redis.Cmder) error {
		if h.failing.Load() {
			for _, cmd := range cmds {
				cmd.SetErr(errGone)
			}
			return errGone
		}
		return next(c, cmds)
	}
}

// testRetentionResume: a sweep stopped right after a ticket's erasure
// (before its citizen's index, record and files followed) is finished by
// the next one: the record goes when no ticket keeps it, the files are
// handed over for removal, the citizen's index no longer names it.
func testRetentionResume(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "انتظرت طويلاً",
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "AgAD", File: "f00d"}}, Created: at(0)}
	if err := s.CreateTicket(c, tk, citizen, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Withdraw(c, tk.ID, citizen, at(1)); err != nil {
		t.Fatal(err)
	}
	hook := &failAfterScript{}
	f.rdb.AddHook(hook)
	s, err := storage.New(c, f.rdb, storage.WithPrefix(f.prefix)) // on the client with the hook
	if err != nil {
		t.Fatal(err)
	}
	var told []*shakwa.Ticket
	sweep := func() (int, error) {
		n, _, err := s.EraseClosedBefore(c, at(100), at(100), 100, false, func(was *shakwa.Ticket) { told = append(told, was) })
		return n, err
	}
	hook.armed.Store(true)
	if _, err := sweep(); !errors.Is(err, errGone) {
		t.Fatalf("sweep with Redis gone after the erasure: %v; want it to fail", err)
	}
	hook.failing.Store(false)
	if got, _ := s.Ticket(c, tk.ID); got == nil || got.Erased.IsZero() {
		t.Fatalf("the ticket after the failed sweep: %+v; want it erased (the failure came after)", got)
	}
	if len(told) != 0 {
		t.Fatalf("files handed over by the failed sweep: %d", len(told))
	}
	if _, err := sweep(); err != nil {
		t.Fatalf("next sweep: %v", err)
	}
	if len(told) != 1 || told[0].ID != tk.ID || len(told[0].Attachments) != 1 || told[0].Attachments[0].File != "f00d" {
		t.Errorf("handed over after the next sweep: %+v; want the ticket with its file", told)
	}
	if _, err := s.Person(c, s.PersonID(citizen)); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("the citizen's record after the next sweep: %v; want it gone", err)
	}
	if n, err := f.rdb.ZCard(c, f.prefix+"citizen:{"+s.PersonID(citizen)+"}").Result(); err != nil || n != 0 {
		t.Errorf("the citizen's index: %d entries (%v); want none", n, err)
	}
	if n, err := f.rdb.HLen(c, f.prefix+"retention:erasing").Result(); err != nil || n != 0 {
		t.Errorf("erasures left to finish: %d (%v); want none", n, err)
	}
	told = nil
	if _, err := sweep(); err != nil || len(told) != 0 {
		t.Errorf("a third sweep: %v, handed over %d; want nothing more", err, len(told))
	}
}
