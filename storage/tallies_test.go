package storage_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/stats"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

var tallyModel = stats.Model{Loc: time.FixedZone("GST", 4*3600), SLA: map[string]stats.SLA{
	"KRM": {Claim: 4 * time.Hour, Resolve: 72 * time.Hour},
	"BRS": {Claim: time.Hour, Resolve: 24 * time.Hour},
}}

// since is the test clock's start plus d.
func since(d time.Duration) time.Time { return at(0).Add(d) }

// expectTallies folds the tallies of tickets and feedback as they are now
// into what the store must hold for them.
func expectTallies(ts []*shakwa.Ticket, fb []*shakwa.Feedback) *storagetest.Tallies {
	var out storagetest.Tallies
	for _, t := range ts {
		out.Add(t.Centre, tallyModel.TicketTallies(t), 1)
	}
	for _, f := range fb {
		out.Add(f.Centre, tallyModel.FeedbackTallies(f), 1)
	}
	return &out
}

// recentKey reports whether a tally key holds a day's recent counts, which
// go two days after their day (see testRecentTallies).
func recentKey(key string) bool { return strings.HasPrefix(key, "n:") || strings.HasPrefix(key, "xn:") }

// checkTallies compares every tally hash the store holds with what the
// tickets and feedback as they are now add up to.
func checkTallies(t *testing.T, f *fixture, s *storage.Store, ids []string, fb []*shakwa.Feedback) {
	t.Helper()
	var ts []*shakwa.Ticket
	for _, id := range ids {
		ts = append(ts, mustGet(t, s, id))
	}
	want := expectTallies(ts, fb)
	var reads []shakwa.TallyKey
	for _, k := range f.keys(t, "agg:{*}:*") {
		rest := strings.TrimPrefix(k, f.prefix+"agg:{")
		centre, key, _ := strings.Cut(rest, "}:")
		if key == "r" || key == "open" || recentKey(key) {
			continue // recent counts: see testRecentTallies
		}
		reads = append(reads, shakwa.TallyKey{Centre: centre, Key: key})
	}
	got, err := s.ReadTallies(ctx(t), reads)
	if err != nil {
		t.Fatal(err)
	}
	// The same, asking for some fields only: one there, one not.
	some := make([]shakwa.TallyKey, len(reads))
	for i, r := range reads {
		some[i] = r
		for f := range want.Hash(r.Centre, r.Key) {
			some[i].Fields = []string{f, "no-such-field"}
			break
		}
		if some[i].Fields == nil {
			some[i].Fields = []string{"no-such-field"}
		}
	}
	gotSome, err := s.ReadTallies(ctx(t), some)
	if err != nil {
		t.Fatal(err)
	}
	n, hists := 0, 0
	for i, r := range reads {
		w := want.Hash(r.Centre, r.Key)
		got[i], gotSome[i] = storagetest.InOrder(got[i]), storagetest.InOrder(gotSome[i])
		if fmt.Sprint(got[i]) != fmt.Sprint(w) {
			t.Errorf("tallies %s %s:\n got %v\nwant %v", r.Centre, r.Key, got[i], w)
		}
		wantSome := map[string]string{}
		if f := some[i].Fields[0]; f != "no-such-field" {
			wantSome[f] = w[f]
		}
		if fmt.Sprint(gotSome[i]) != fmt.Sprint(wantSome) {
			t.Errorf("tallies %s %s fields %q: got %v; want %v", r.Centre, r.Key, some[i].Fields, gotSome[i], wantSome)
		}
		if len(w) > 0 {
			n++
		}
		for _, v := range w {
			if strings.Contains(v, ",") {
				hists++ // a histogram of more than one bucket
			}
		}
	}
	for c, k := range want.Keys {
		if recentKey(k) {
			continue
		}
		found := false
		for _, r := range reads {
			found = found || r.Centre == c && r.Key == k
		}
		if !found {
			t.Errorf("tallies %s %s missing; want %v", c, k, want.Hash(c, k))
		}
	}
	if n == 0 || hists == 0 {
		t.Fatalf("%d tally hashes, %d histograms of several buckets; want some of each", n, hists)
	}
	// The backlog is the open tickets.
	open, older, err := s.Backlog(ctx(t), []string{"KRM", "BRS"}, []time.Time{since(40 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []string{"KRM", "BRS"} {
		var wantOpen, wantOld int64
		for _, tk := range ts {
			if tk.Centre == c && tk.Status.Open() {
				wantOpen++
				if tk.Created.Before(since(40 * 24 * time.Hour)) {
					wantOld++
				}
			}
		}
		if open[i] != wantOpen || older[i][0] != wantOld {
			t.Errorf("backlog %s = %d (%d older); want %d (%d)", c, open[i], older[i][0], wantOpen, wantOld)
		}
	}
}

// tallyWork files tickets and moves them through their lifecycle at
// random, over sixty days from at(0): claims, replies, transfers both
// ways, resolutions, ratings, reopenings and closes.
func tallyWork(t *testing.T, s *storage.Store, r *rand.Rand, n int) (ids []string, fb []*shakwa.Feedback) {
	t.Helper()
	c := ctx(t)
	staff := []shakwa.Staff{{ID: "111", Name: "فاطمة"}, {ID: "112", Name: "خالد"}}
	for i := range n {
		created := since(time.Duration(r.Int64N(int64(60 * 24 * time.Hour))))
		tk := &shakwa.Ticket{Centre: []string{"KRM", "BRS"}[r.IntN(2)], Category: []string{"waiting", "staff"}[r.IntN(2)],
			Text: "…", Created: created, Updated: created}
		who := shakwa.Address{Channel: []string{"telegram", "whatsapp"}[r.IntN(2)], Chat: fmt.Sprint(9000 + i%50)}
		if err := s.CreateTicket(c, tk, who, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
		now := created
		step := func() time.Time {
			now = now.Add(time.Duration(r.Int64N(int64(50 * time.Hour))))
			return now
		}
		by := staff[r.IntN(2)]
		if r.IntN(10) == 0 {
			if _, err := s.Transfer(c, tk.ID, by, map[string]string{"KRM": "BRS", "BRS": "KRM"}[tk.Centre], step()); err != nil {
				t.Fatal(err)
			}
		}
		if r.IntN(10) < 8 {
			if _, err := s.Claim(c, tk.ID, by, nil, step()); err != nil {
				t.Fatal(err)
			}
			if r.IntN(2) == 0 {
				s.Reply(c, tk.ID, by, "…", step())
			}
			if r.IntN(10) < 7 {
				s.Resolve(c, tk.ID, by, "…", step())
				if r.IntN(2) == 0 {
					s.Rate(c, tk.ID, who, 1+r.IntN(5), step())
				}
				if r.IntN(5) == 0 {
					s.Reopen(c, tk.ID, who, "", step())
					if r.IntN(2) == 0 {
						s.Resolve(c, tk.ID, by, "…", step())
						s.CloseResolved(c, tk.ID, shakwa.SystemActor, step())
					}
				}
			}
		}
		if r.IntN(5) == 0 {
			f := &shakwa.Feedback{Kind: shakwa.KindThanks, Centre: tk.Centre, Staff: by.ID, Created: step()}
			if r.IntN(2) == 0 {
				f.Kind, f.Staff, f.Stars = shakwa.KindFeedback, "", r.IntN(6)
			}
			if err := s.AddFeedback(c, f, who); err != nil {
				t.Fatal(err)
			}
			fb = append(fb, f)
		}
	}
	return ids, fb
}

// testTallies: the store's tallies are always what its tickets add up to
// as they are now, through every transition, transfers included; a change
// whose tallies were missed (made by a store without them) is made good
// by the ticket's next change; a rebuild from the tickets gives the same;
// two writers at once lose nothing.
func testTallies(t *testing.T, open opener) {
	f := open(t, storage.WithTallier(tallyModel))
	s, c := f.s, ctx(t)
	r := rand.New(rand.NewPCG(1, 2))
	ids, fb := tallyWork(t, s, r, 150)
	checkTallies(t, f, s, ids, fb)

	// Changes whose tallies were missed, then later changes of the same
	// tickets.
	blind, err := f.reopen(c, storage.WithPrefix(f.prefix))
	if err != nil {
		t.Fatal(err)
	}
	later := since(70 * 24 * time.Hour)
	var missed []string
	for _, id := range ids {
		tk := mustGet(t, s, id)
		if tk.Status == shakwa.StatusNew {
			if _, err := blind.Claim(c, id, shakwa.Staff{ID: "113"}, nil, later); err != nil {
				t.Fatal(err)
			}
			missed = append(missed, id)
		}
	}
	for _, id := range missed {
		if _, err := s.Note(c, id, shakwa.Staff{ID: "113"}, "…", later.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if len(missed) == 0 {
		t.Fatal("no new tickets to miss changes of")
	}
	checkTallies(t, f, s, ids, fb)

	// Two writers at once on the same tickets.
	other, err := f.reopen(c, storage.WithPrefix(f.prefix), storage.WithTallier(tallyModel))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, st := range []*storage.Store{s, other} {
		wg.Go(func() {
			for _, id := range missed {
				by := shakwa.Staff{ID: "113"}
				if i == 1 {
					st.Reply(c, id, by, "…", later.Add(2*time.Minute))
				} else {
					st.Transfer(c, id, by, "KRM", later.Add(2*time.Minute))
				}
			}
		})
	}
	wg.Wait()
	checkTallies(t, f, s, ids, fb)

	// Thrown away and made again.
	var calls, last int
	if err := s.RebuildTallies(c, nil, func(done, total int) { calls, last = calls+1, done }); err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != len(ids)+len(fb) {
		t.Errorf("progress: %d calls, last at %d; want it to reach %d", calls, last, len(ids)+len(fb))
	}
	checkTallies(t, f, s, ids, fb)
}

// testBatchTallies: tickets filed under an update's batch are counted
// once their update commits, and also when the handling failed after
// filing (Discard keeps what completes the ticket): the tallies equal a
// count of the tickets themselves.
func testBatchTallies(t *testing.T, open opener) {
	f := open(t, storage.WithTallier(tallyModel))
	s, c := f.s, ctx(t)
	var ids []string
	for i := range 8 {
		created := since(time.Duration(i) * time.Hour)
		tk := &shakwa.Ticket{Centre: []string{"KRM", "BRS"}[i%2], Category: "waiting", Text: "…", Created: created, Updated: created}
		b := s.Batch(c)
		if err := s.CreateTicket(b, tk, shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(7000 + i)}, fmt.Sprint("u", i)); err != nil {
			t.Fatal(err)
		}
		if i%4 == 3 {
			s.Discard(b) // the handling failed after filing
		}
		if err := s.Commit(b); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	checkTallies(t, f, s, ids, nil)
}

// testRecentTallies: a deadline is counted by the minute in its day's
// recent counts, not in the month's, while the day is recent: the hash
// goes two days after its day began (UTC), and one for a day long past is
// not kept at all.
func testRecentTallies(t *testing.T, open opener) {
	f := open(t, storage.WithTallier(tallyModel))
	s, c := f.s, ctx(t)
	now := time.Now().Truncate(time.Millisecond)
	recent := func(tk *shakwa.Ticket) shakwa.Tally {
		for _, x := range tallyModel.TicketTallies(tk) {
			if x.Recent {
				return x
			}
		}
		t.Fatalf("no recent tally for %+v", tk)
		return shakwa.Tally{}
	}
	fresh := &shakwa.Ticket{Centre: "BRS", Text: "…", Created: now.Add(-10 * time.Minute)}
	old := &shakwa.Ticket{Centre: "BRS", Text: "…", Created: now.AddDate(0, 0, -30)}
	for _, tk := range []*shakwa.Ticket{fresh, old} {
		if err := s.CreateTicket(c, tk, citizen, ""); err != nil {
			t.Fatal(err)
		}
	}
	x := recent(fresh)
	due := fresh.Created.Add(time.Hour).In(tallyModel.Loc)
	if x.Day != due.Format("20060102") || x.Index != due.Hour()*60+due.Minute() {
		t.Fatalf("recent tally %+v; want minute %d of %s", x, due.Hour()*60+due.Minute(), due.Format("20060102"))
	}
	got, err := s.ReadTallies(c, []shakwa.TallyKey{{Centre: "BRS", Key: "n:" + x.Day}, {Centre: "BRS", Key: "m:" + x.Day[:6]},
		{Centre: "BRS", Key: "n:" + recent(old).Day}})
	if err != nil {
		t.Fatal(err)
	}
	if v := got[0][x.Field]; v != fmt.Sprintf("%d:1", x.Index) {
		t.Errorf("recent %s: %q; want %d:1", x.Field, v, x.Index)
	}
	for _, v := range strings.Split(got[1][x.Field], ",") {
		if i, _, _ := strings.Cut(v, ":"); len(i) > 2 {
			t.Errorf("the month's %s has element %s: minutes; want hours only", x.Field, i)
		}
	}
	if len(got[2]) != 0 {
		t.Errorf("recent counts of a day long past kept: %v", got[2])
	}
	day, _ := time.Parse("20060102", x.Day)
	ttl, err := f.rdb.PTTL(c, f.prefix+"agg:{BRS}:n:"+x.Day).Result()
	if want := time.Until(day.Add(48 * time.Hour)); err != nil || ttl <= 0 || ttl > want+time.Second || ttl < want-time.Minute {
		t.Errorf("recent counts' TTL %v, %v; want about %v (two days after the day began in UTC)", ttl, err, want)
	}
}
