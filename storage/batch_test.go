package storage_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// testBatch: under a batch, what was read ahead is read with Begin, only
// when it is the update's turn; writes wait for Commit, are read back
// within the update, and are dropped by Discard; the replies and Finish go
// with them, and a turn lost meanwhile is a conflict.
func testBatch(t *testing.T, open opener) {
	f := open(t)
	s := f.s
	t0 := time.UnixMilli(1_800_000_000_000)
	const chat, lease, keep = "telegram:1001", 10 * time.Second, time.Hour
	who, addr := "p1", shakwa.Address{Channel: "telegram", Chat: "1001"}
	if err := s.SaveSession(ctx(t), who, []byte("v1"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLang(ctx(t), addr, "en", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Count(ctx(t), "msg:"+who, time.Minute, t0); err != nil {
		t.Fatal(err)
	}

	// An update waiting behind another reads nothing it would keep.
	if _, wait, err := s.Begin(ctx(t), chat, "u0", "x0", t0, lease); err != nil || wait {
		t.Fatalf("begin u0: wait %v, %v", wait, err)
	}
	b := s.Batch(ctx(t))
	s.PreloadSession(b, who)
	s.PreloadLang(b, addr)
	s.PreloadCount(b, "msg:"+who, time.Minute, t0)
	if _, wait, err := s.Begin(b, chat, "u1", "x1", t0, lease); err != nil || !wait {
		t.Fatalf("begin u1 behind u0: wait %v, %v; want wait", wait, err)
	}
	if err := s.SaveSession(ctx(t), who, []byte("v2"), time.Hour); err != nil { // u0 writes
		t.Fatal(err)
	}
	if held, err := s.Finish(ctx(t), chat, "u0", "x0", t0, keep); err != nil || !held {
		t.Fatalf("finish u0: %v, %v", held, err)
	}
	if done, wait, err := s.Begin(b, chat, "u1", "x1", t0, lease); err != nil || done || wait {
		t.Fatalf("begin u1: done %v wait %v, %v; want its turn", done, wait, err)
	}
	// What was read ahead is what the update sees, not what changed since.
	if err := f.rdb.Del(ctx(t), f.keys(t, "session:*")...).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(b, who); err != nil || string(got) != "v2" {
		t.Fatalf("session read ahead: %q, %v; want v2 (u0's)", got, err)
	}
	if got, err := s.Lang(b, addr); err != nil || got != "en" {
		t.Fatalf("lang read ahead: %q, %v; want en", got, err)
	}
	if n, err := s.Count(b, "msg:"+who, time.Minute, t0); err != nil || n != 2 {
		t.Fatalf("count: %d, %v; want 2", n, err)
	}

	// Writes wait, and are read back.
	if err := s.SaveSession(b, who, []byte("v3"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLang(b, addr, "ar", time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SwapSession(b, who, []byte("v2"), []byte("v4"), time.Hour); err != nil || ok {
		t.Fatalf("swap from a value it no longer has: %v, %v; want false", ok, err)
	}
	if ok, err := s.SwapSession(b, who, []byte("v3"), []byte("v4"), time.Hour); err != nil || !ok {
		t.Fatalf("swap: %v, %v; want true", ok, err)
	}
	if got, _ := s.Session(b, who); string(got) != "v4" {
		t.Fatalf("session within the update: %q; want v4", got)
	}
	if got, _ := s.Lang(b, addr); got != "ar" {
		t.Fatalf("lang within the update: %q; want ar", got)
	}
	if _, err := s.EnqueueAll(b, "in:u1", time.Hour, []string{chat}, nil, []string{""}, [][][]byte{{[]byte("r1")}}, t0); err != nil {
		t.Fatal(err)
	}
	if held, err := s.Finish(b, chat, "u1", "x1", t0, keep); err != nil || !held {
		t.Fatalf("finish under a batch: %v, %v", held, err)
	}
	if got, _ := s.Session(ctx(t), who); got != nil {
		t.Fatalf("session before the commit: %q; want none yet", got)
	}
	if n, _ := s.Pending(ctx(t)); n != 0 {
		t.Fatalf("pending before the commit: %d; want 0", n)
	}
	if line, _ := s.Line(ctx(t), chat); len(line) != 1 {
		t.Fatalf("line before the commit: %v; want u1 still in it", line)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(ctx(t), who); string(got) != "v4" {
		t.Fatalf("session after the commit: %q; want v4", got)
	}
	if got, _ := s.Lang(ctx(t), addr); got != "ar" {
		t.Fatalf("lang after the commit: %q; want ar", got)
	}
	if n, _ := s.Count(ctx(t), "msg:"+who, time.Minute, t0); n != 3 {
		t.Fatalf("count after the commit: %d; want 3", n)
	}
	if n, _ := s.Pending(ctx(t)); n != 1 {
		t.Fatalf("pending after the commit: %d; want 1", n)
	}
	if line, _ := s.Line(ctx(t), chat); len(line) != 0 {
		t.Fatalf("line after the commit: %v; want empty", line)
	}
	if done, _, err := s.Begin(ctx(t), chat, "u1", "copy", t0, lease); err != nil || !done {
		t.Fatalf("a copy of u1: done %v, %v; want done", done, err)
	}

	// Discard drops what waits, but a job scheduled: it may follow up a
	// change made (a resolution that closes on its own).
	d := s.Batch(ctx(t))
	if err := s.SaveSession(d, who, []byte("dropped"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.ScheduleJob(d, "autoclose", "KRM-000009", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Discard(d)
	if err := s.Commit(d); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Session(ctx(t), who); string(got) != "v4" {
		t.Fatalf("session after a discard: %q; want v4", got)
	}
	if due, ok, err := s.JobDue(ctx(t), "autoclose", "KRM-000009"); !ok || !due.Equal(t0.Add(time.Hour)) || err != nil {
		t.Errorf("a job scheduled in a discarded batch: due %v, %v, %v; want it kept", due, ok, err)
	}

	// A turn lost while the update was handled: the rest is written, and
	// the commit says so.
	l := s.Batch(ctx(t))
	if _, _, err := s.Begin(l, chat, "u2", "x2", t0, lease); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Begin(ctx(t), chat, "u2", "taker", t0.Add(2*lease), lease); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSession(l, who, []byte("v5"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(l, chat, "u2", "x2", t0, keep); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(l); !errors.Is(err, shakwa.ErrConflict) {
		t.Fatalf("commit after the turn was lost: %v; want a conflict", err)
	}
	if got, _ := s.Session(ctx(t), who); string(got) != "v5" {
		t.Fatalf("session after a lost turn: %q; want v5", got)
	}
}

// testPreloadCitizen: a citizen's latest tickets read with the Begin are
// what CitizenTickets answers under the batch (TestRoundTrips counts the
// round trip it saves), and a
// ticket the update files is among them after.
func testPreloadCitizen(t *testing.T, open opener) {
	f := open(t)
	s := f.s
	t0 := time.UnixMilli(1_800_000_000_000)
	const chat, lease = "telegram:2001", 10 * time.Second
	addr := shakwa.Address{Channel: "telegram", Chat: "2001"}
	file := func(c context.Context, at time.Time) string {
		t.Helper()
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: at, Updated: at}
		if err := s.CreateTicket(c, tk, addr, ""); err != nil {
			t.Fatal(err)
		}
		return tk.ID
	}
	ids := func(ts []*shakwa.Ticket) []string {
		var out []string
		for _, tk := range ts {
			out = append(out, tk.ID)
		}
		return out
	}
	first, second := file(ctx(t), t0), file(ctx(t), t0.Add(time.Minute))
	b := s.Batch(ctx(t))
	s.PreloadCitizenTickets(b, addr, 200)
	if _, wait, err := s.Begin(b, chat, "u1", "x1", t0, lease); err != nil || wait {
		t.Fatalf("begin: wait %v, %v", wait, err)
	}
	got, err := s.CitizenTickets(b, addr, 200)
	if want := []string{second, first}; err != nil || !slices.Equal(ids(got), want) {
		t.Fatalf("preloaded: %v, %v; want %v", ids(got), err, want)
	}
	third := file(b, t0.Add(2*time.Minute))
	got, err = s.CitizenTickets(b, addr, 200)
	if want := []string{third, second, first}; err != nil || !slices.Equal(ids(got), want) {
		t.Errorf("after filing in the same update: %v, %v; want %v", ids(got), err, want)
	}
	plain, err := s.CitizenTickets(ctx(t), addr, 200)
	if err != nil || !slices.Equal(ids(plain), ids(got)) {
		t.Errorf("without a batch: %v, %v; want %v", ids(plain), err, ids(got))
	}
}

// testPreloadParties: a transition of a ticket whose citizen was read with
// the Begin reads the ticket's history and its citizen's record in its
// own round trip, and Events and Person answer from them under the batch,
// as they would without it; a second transition of the ticket in the same
// update is in the history read after it.
func testPreloadParties(t *testing.T, open opener) {
	f := open(t)
	s := f.s
	t0 := time.UnixMilli(1_800_000_000_000)
	addr := shakwa.Address{Channel: "whatsapp", Chat: "971500000001"}
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: t0, Updated: t0}
	if err := s.CreateTicket(ctx(t), tk, addr, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLang(ctx(t), addr, "en", time.Now()); err != nil {
		t.Fatal(err)
	}
	fatima := shakwa.Staff{ID: "501", Name: "Fatima", Via: "telegram"}
	// As after a restart of the server: the transition loads its script
	// again.
	if err := f.rdb.ScriptFlush(ctx(t)).Err(); err != nil {
		t.Fatal(err)
	}
	b := s.Batch(ctx(t))
	s.PreloadParties(b, tk.ID)
	if _, wait, err := s.Begin(b, "telegram:-1001", "u1", "x1", t0, 10*time.Second); err != nil || wait {
		t.Fatalf("begin: wait %v, %v", wait, err)
	}
	claimed, err := s.Claim(b, tk.ID, fatima, []string{"KRM"}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	kinds := func(c context.Context) []string {
		t.Helper()
		evs, err := s.Events(c, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Kind)
		}
		return out
	}
	if got, want := kinds(b), []string{"created", "claimed"}; !slices.Equal(got, want) {
		t.Errorf("history under the batch: %v; want %v", got, want)
	}
	p, err := s.Person(b, claimed.Citizen)
	if err != nil || p.Address != addr || p.Lang != "en" {
		t.Errorf("citizen under the batch: %+v, %v; want %v in en", p, err, addr)
	}
	if _, err := s.Reply(b, tk.ID, fatima, "نعتذر عن التأخير", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(b), []string{"created", "claimed", "reply"}; !slices.Equal(got, want) {
		t.Errorf("history after a second transition: %v; want %v", got, want)
	}
	if got := kinds(ctx(t)); !slices.Equal(got, kinds(b)) {
		t.Errorf("history without the batch: %v; want %v", got, kinds(b))
	}
	// A citizen erased meanwhile is not found, as without the batch.
	other := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: t0, Updated: t0}
	gone := shakwa.Address{Channel: "telegram", Chat: "2002"}
	if err := s.CreateTicket(ctx(t), other, gone, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetPerson(ctx(t), gone); err != nil {
		t.Fatal(err)
	}
	b = s.Batch(ctx(t))
	s.PreloadParties(b, other.ID)
	if _, _, err := s.Begin(b, "telegram:-1001", "u2", "x2", t0, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(b, other.ID, fatima, nil, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Person(b, other.Citizen); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("an erased citizen under the batch: %v; want not found", err)
	}
}

// testCreateInCommit: a ticket filed under an update's batch with a once
// key is there after the commit, in its citizen's index, even when the
// update failed (Discard); a second try of the update names the same
// ticket and files nothing new.
func testCreateInCommit(t *testing.T, open opener) {
	f := open(t)
	s := f.s
	t0 := time.UnixMilli(1_800_000_000_000)
	addr := shakwa.Address{Channel: "telegram", Chat: "2001"}
	file := func(once string, fail bool) string {
		t.Helper()
		b := s.Batch(ctx(t))
		if _, _, err := s.Begin(b, "telegram:2001", once, "x-"+once, t0, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: t0, Updated: t0}
		if err := s.CreateTicket(b, tk, addr, once); err != nil {
			t.Fatal(err)
		}
		if fail {
			s.Discard(b)
		}
		if err := s.Commit(b); err != nil {
			t.Fatalf("commit: %v", err)
		}
		got, err := s.Ticket(ctx(t), tk.ID)
		if err != nil || got.Citizen != s.PersonID(addr) || got.Status != shakwa.StatusNew {
			t.Fatalf("ticket %s after the commit: %+v, %v", tk.ID, got, err)
		}
		return tk.ID
	}
	first := file("u1", false)
	again := file("u1", false)
	failed := file("u2", true)
	if again != first {
		t.Errorf("a second try of the update filed %s; want %s again", again, first)
	}
	mine, err := s.CitizenTickets(ctx(t), addr, 10)
	if err != nil || len(mine) != 2 || mine[0].ID != failed || mine[1].ID != first {
		var ids []string
		for _, tk := range mine {
			ids = append(ids, tk.ID)
		}
		t.Errorf("the citizen's tickets: %v, %v; want [%s %s]", ids, err, failed, first)
	}
	if p, err := s.Person(ctx(t), s.PersonID(addr)); err != nil || p.Address != addr {
		t.Errorf("the citizen's record: %+v, %v", p, err)
	}
}

// testClaimAhead: a claim preloaded is made with the update's begin, at
// its time, once it is the update's turn: not while an earlier update of
// the chat holds it, nor while another handling of the update does, never
// for an update handled already; the handling's Claim answers from it,
// refusals included, and the claim is counted once. A claim the handling
// never asks for still reaches the indexes with the commit, and one made
// by a begin whose reads fail reaches them at once. On a cluster the
// handling claims for itself, with the same outcome.
func testClaimAhead(t *testing.T, open opener) {
	var mu sync.Mutex
	claims := 0
	f := open(t, storage.WithTicketEvents(func(_, kind string) {
		mu.Lock()
		defer mu.Unlock()
		if kind == "claimed" {
			claims++
		}
	}))
	s := f.s
	t0 := time.UnixMilli(1_800_000_000_000)
	const chat, lease, keep = "telegram:-1001", 10 * time.Second, time.Hour
	addr := shakwa.Address{Channel: "telegram", Chat: "2001"}
	fatima := shakwa.Staff{ID: "501", Name: "Fatima", Via: "telegram"}
	omar := shakwa.Staff{ID: "502", Name: "Omar", Via: "telegram"}
	_, cluster := f.rdb.(*redis.ClusterClient)
	ticket := func() *shakwa.Ticket {
		t.Helper()
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: t0, Updated: t0}
		if err := s.CreateTicket(ctx(t), tk, addr, ""); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	held := func(who shakwa.Staff) []string {
		t.Helper()
		ts, err := s.Held(ctx(t), who.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ids(ts)
	}
	update := func(id string, tk string, by shakwa.Staff) context.Context {
		b := s.Batch(shakwa.WithUpdate(ctx(t), chat+":"+id))
		s.PreloadClaim(b, tk, by, []string{"KRM"})
		return b
	}
	status := func(tk string) shakwa.Status {
		t.Helper()
		return mustGet(t, s, tk).Status
	}
	begin := func(b context.Context, id, token string, at time.Time) (done, wait bool) {
		t.Helper()
		done, wait, err := s.Begin(b, chat, id, token, at, lease)
		if err != nil {
			t.Fatalf("begin %s: %v", id, err)
		}
		return done, wait
	}
	finish := func(id, token string, at time.Time) {
		t.Helper()
		if _, err := s.Finish(ctx(t), chat, id, token, at, keep); err != nil {
			t.Fatalf("finish %s: %v", id, err)
		}
	}

	// Behind an earlier update of the chat: nothing is claimed until the
	// update's turn, and then with its begin, at its time.
	tk := ticket()
	begin(ctx(t), "u0", "x0", t0)
	b := update("u1", tk.ID, fatima)
	if _, wait := begin(b, "u1", "x1", t0); !wait {
		t.Fatal("begin u1 behind u0: its turn; want wait")
	}
	if got := status(tk.ID); got != shakwa.StatusNew {
		t.Fatalf("ticket behind an earlier update: %s; want new", got)
	}
	finish("u0", "x0", t0)
	if done, wait := begin(b, "u1", "x1", t0.Add(time.Minute)); done || wait {
		t.Fatalf("begin u1: done %v wait %v; want its turn", done, wait)
	}
	if got := mustGet(t, s, tk.ID); !cluster && (got.Status != shakwa.StatusClaimed || got.Holder.ID != fatima.ID) {
		t.Fatalf("ticket after the begin: %s held by %q; want claimed by Fatima", got.Status, got.Holder.ID)
	}
	claimed, err := s.Claim(b, tk.ID, fatima, []string{"KRM"}, t0.Add(2*time.Minute))
	when := t0.Add(time.Minute) // the begin's
	if cluster {
		when = t0.Add(2 * time.Minute) // the handling's
	}
	if err != nil || claimed.Holder.ID != fatima.ID || !claimed.Claimed.Equal(when) {
		t.Fatalf("claim: %+v, %v; want Fatima's, claimed at %v", claimed, err, when)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	evs, err := s.Events(ctx(t), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(evs); n != 2 || evs[1].Kind != "claimed" {
		t.Errorf("history: %+v; want created and one claimed", evs)
	}
	if got := held(fatima); !slices.Equal(got, []string{tk.ID}) {
		t.Errorf("Fatima holds %v; want %v", got, []string{tk.ID})
	}
	mu.Lock()
	if claims != 1 {
		t.Errorf("%d claims counted; want 1", claims)
	}
	mu.Unlock()
	finish("u1", "x1", t0)

	// A copy of u1, after Fatima let the ticket go: handled already, it
	// claims nothing.
	if _, err := s.Release(ctx(t), tk.ID, fatima, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if done, _ := begin(update("u1", tk.ID, fatima), "u1", "x2", t0); !done {
		t.Fatal("begin a copy of u1: not done")
	}
	if got := status(tk.ID); got != shakwa.StatusNew {
		t.Errorf("ticket after a copy of a handled update: %s; want new", got)
	}

	// A copy of u2 while u2's first handling holds the chat claims
	// nothing; nor does a copy that waited in the line while its first
	// handling, which had lost its place, finished it.
	begin(ctx(t), "u2", "y1", t0)
	if _, _, err := s.Begin(update("u2", tk.ID, fatima), chat, "u2", "y2", t0, lease); !errors.Is(err, shakwa.ErrConflict) {
		t.Fatalf("begin a copy of u2 while it is handled: %v; want a conflict", err)
	}
	late := t0.Add(2 * lease)
	begin(ctx(t), "u3", "z", late) // u2's hold ran out: u3's turn
	b = update("u2", tk.ID, fatima)
	if _, wait := begin(b, "u2", "y3", late); !wait {
		t.Fatal("a copy of u2 behind u3: its turn; want wait")
	}
	finish("u2", "y1", late) // the first handling, done after all
	finish("u3", "z", late)
	if done, _ := begin(b, "u2", "y3", late); !done {
		t.Fatal("the copy of u2 after its first handling finished: not done")
	}
	if got := status(tk.ID); got != shakwa.StatusNew {
		t.Errorf("ticket after copies of an update: %s; want new", got)
	}

	// Omar's press after Fatima's claim is refused with the ticket as it
	// is, from the begin.
	if _, err := s.Claim(ctx(t), tk.ID, fatima, nil, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	later := late.Add(2 * lease) // the copy's place in the line ran out
	b = update("u4", tk.ID, omar)
	begin(b, "u4", "w", later)
	got, err := s.Claim(b, tk.ID, omar, []string{"KRM"}, later)
	if !errors.Is(err, shakwa.ErrConflict) || got == nil || got.Holder.ID != fatima.ID {
		t.Errorf("Omar's claim of Fatima's ticket: %+v, %v; want a conflict naming Fatima", got, err)
	}
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	finish("u4", "w", later)

	// A claim made with the begin that the handling never asks for (it
	// failed first) is in the indexes after the commit all the same; the
	// handling's next try finds it its own.
	other := ticket()
	b = update("u5", other.ID, omar)
	if done, wait := begin(b, "u5", "v1", later); done || wait {
		t.Fatalf("begin u5: done %v wait %v; want its turn", done, wait)
	}
	s.Discard(b)
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
	if got := held(omar); !cluster && !slices.Equal(got, []string{other.ID}) {
		t.Errorf("Omar holds %v after a claim with the begin and a failed handling; want %v", got, []string{other.ID})
	}
	if err := s.Abort(ctx(t), chat, "u5", "v1"); err != nil {
		t.Fatal(err)
	}
	b = update("u5", other.ID, omar)
	begin(b, "u5", "v2", later)
	if got, err := s.Claim(b, other.ID, omar, []string{"KRM"}, later); err != nil || got.Holder.ID != omar.ID {
		t.Errorf("the next try's claim: %+v, %v; want Omar's", got, err)
	}
	finish("u5", "v2", later)

	// A begin whose reads fail after its claim: the update fails there,
	// and the claim is in the indexes.
	third := ticket()
	b = update("u6", third.ID, omar)
	broken := shakwa.Address{Channel: "telegram", Chat: "777"}
	s.PreloadLang(b, broken)
	// A record that is not a hash: the read of its language fails.
	if err := f.rdb.Set(ctx(t), f.prefix+"person:{"+s.PersonID(broken)+"}", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if keys := f.keys(t, "person:{"+s.PersonID(broken)+"}"); len(keys) != 1 {
		t.Fatalf("person keys %v: the test must name the store's key", keys)
	}
	if _, _, err := s.Begin(b, chat, "u6", "q", later, lease); err == nil {
		t.Fatal("begin with a read of a hash as a string: no error")
	}
	if got := held(omar); !cluster && !slices.Contains(got, third.ID) {
		t.Errorf("Omar holds %v after a begin that claimed and then failed; want %s among them", got, third.ID)
	}
}
