package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// TestSeedTickets: tickets seeded in bulk leave behind exactly what the
// same tickets filed and changed one call at a time leave (every key: the
// tickets, their events, the indexes, the citizens, the numbers, the
// tallies and their records), on a single Redis, a cluster and in memory;
// a change a method would refuse fails the seeding before it writes.
func TestSeedTickets(t *testing.T) {
	memory := func(t *testing.T, opts ...storage.Option) *fixture {
		t.Helper()
		f := &fixture{prefix: storagetest.Prefix(t)}
		s, stop, err := storage.OpenMemory(ctx(t), append(opts, storage.WithPrefix(f.prefix))...)
		if err != nil {
			t.Fatalf("OpenMemory: %v", err)
		}
		f.s, f.rdb = s, redis.NewClient(storage.MemoryOptions(s))
		f.reopen = func(_ context.Context, opts ...storage.Option) (*storage.Store, error) {
			return storage.New(ctx(t), redis.NewClient(storage.MemoryOptions(s)), opts...)
		}
		t.Cleanup(func() { _ = f.rdb.Close(); stop() })
		return f
	}
	for _, tc := range []struct {
		name string
		open func(t *testing.T) opener
	}{
		{"Single", func(t *testing.T) opener { return openerFor(storagetest.URL(t)) }},
		{"Cluster", func(t *testing.T) opener { return openerFor(storagetest.ClusterURL(t)) }},
		{"Memory", func(*testing.T) opener { return memory }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			open := tc.open(t)
			lives := append(edgeLives(), randomLives(rand.New(rand.NewPCG(7, 8)), 150)...)
			one, bulk := twins(t, open)
			for _, l := range lives {
				playLife(t, one.s, l)
			}
			if err := bulk.s.SeedTickets(ctx(t), lives[:40]); err != nil {
				t.Fatalf("SeedTickets: %v", err)
			}
			if err := bulk.s.SeedTickets(ctx(t), lives[40:]); err != nil {
				t.Fatalf("SeedTickets: %v", err)
			}
			compareDumps(t, dump(t, one), dump(t, bulk))
			if n, err := bulk.s.TicketCount(ctx(t)); n != int64(len(lives)) || err != nil {
				t.Errorf("TicketCount = %d, %v; want %d", n, err, len(lives))
			}

			before := dump(t, bulk)
			for _, bad := range []struct {
				change storage.Change
				want   error
			}{
				{storage.Change{Kind: storage.ChangeRate, At: at(1), Stars: 4}, shakwa.ErrConflict},
				{storage.Change{Kind: storage.ChangeResolve, At: at(1), By: fatima, Text: "…"}, shakwa.ErrConflict},
				{storage.Change{Kind: storage.ChangeTransfer, At: at(1), By: fatima, To: "KRM"}, shakwa.ErrConflict},
				{storage.Change{Kind: storage.ChangeTransfer, At: at(1), By: fatima, To: "k r m"}, shakwa.ErrInvalid},
				{storage.Change{Kind: storage.ChangeClaim, By: fatima}, shakwa.ErrInvalid},
			} {
				l := storage.Life{Ticket: filed("KRM", at(0)), From: citizen, Changes: []storage.Change{bad.change}}
				err := bulk.s.SeedTickets(ctx(t), []storage.Life{lives[0], l})
				if !errors.Is(err, bad.want) {
					t.Errorf("seeding %+v: %v; want %v", bad.change, err, bad.want)
				}
			}
			compareDumps(t, before, dump(t, bulk))
		})
	}
}

// twins opens two stores with the tallies on, keys of their own and the
// same id key, so that the same people get the same opaque ids in both.
func twins(t *testing.T, open opener) (one, other *fixture) {
	one, other = open(t, storage.WithTallier(tallyModel)), open(t)
	key, err := one.rdb.Get(ctx(t), one.prefix+"meta:idkey").Result()
	if err != nil {
		t.Fatalf("id key: %v", err)
	}
	if err := other.rdb.Set(ctx(t), other.prefix+"meta:idkey", key, 0).Err(); err != nil {
		t.Fatalf("id key: %v", err)
	}
	first := other.s // its client is the fixture's: closed when the test ends
	t.Cleanup(func() { _ = first.Close() })
	if other.s, err = other.reopen(ctx(t), storage.WithPrefix(other.prefix), storage.WithTallier(tallyModel)); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	return one, other
}

func filed(centre string, created time.Time) shakwa.Ticket {
	return shakwa.Ticket{Centre: centre, Category: "delay", Text: "انتظرت ثلاث ساعات", Phone: "+971500000001",
		Lang: "ar", Created: created, Updated: created}
}

// edgeLives are lives with every kind of change, and the turns that move
// tallies between centres: there and back again, twice away.
func edgeLives() []storage.Life {
	c := func(k storage.ChangeKind, minutes int, by shakwa.Staff) storage.Change {
		return storage.Change{Kind: k, At: at(minutes), By: by, Text: "تم"}
	}
	to := func(centre string, minutes int, by shakwa.Staff) storage.Change {
		return storage.Change{Kind: storage.ChangeTransfer, At: at(minutes), By: by, To: centre}
	}
	rate := func(stars, minutes int) storage.Change {
		return storage.Change{Kind: storage.ChangeRate, At: at(minutes), Stars: stars}
	}
	closed := storage.Change{Kind: storage.ChangeClose, At: at(9000), Actor: shakwa.SystemActor}
	reopen := func(minutes int) storage.Change { return storage.Change{Kind: storage.ChangeReopen, At: at(minutes)} }
	return []storage.Life{
		{Ticket: filed("KRM", at(0)), From: citizen},
		{Ticket: filed("KRM", at(1)), From: citizen, Changes: []storage.Change{c(storage.ChangeClaim, 2, fatima)}},
		{Ticket: filed("BRS", at(2)), From: stranger, Changes: []storage.Change{
			c(storage.ChangeClaim, 3, fatima), c(storage.ChangeRelease, 4, fatima), c(storage.ChangeClaim, 5, omar),
			c(storage.ChangeReply, 6, omar), c(storage.ChangeReply, 7, omar), c(storage.ChangeResolve, 60, omar), rate(2, 70),
			reopen(80), c(storage.ChangeResolve, 90, omar), rate(5, 100)}},
		{Ticket: filed("KRM", at(3)), From: citizen, Changes: []storage.Change{
			to("BRS", 4, fatima), to("KRM", 5, omar), c(storage.ChangeClaim, 6, fatima), c(storage.ChangeResolve, 3000, fatima)}},
		{Ticket: filed("KRM", at(4)), From: citizen, Changes: []storage.Change{
			c(storage.ChangeClaim, 5, fatima), to("BRS", 6, fatima), to("DRA", 7, omar), c(storage.ChangeClaim, 8, omar),
			c(storage.ChangeResolve, 20, omar), closed, reopen(9001), c(storage.ChangeResolve, 9100, omar)}},
	}
}

// randomLives makes n lives by walking the transitions a ticket may take,
// each step one the methods accept.
func randomLives(r *rand.Rand, n int) []storage.Life {
	centres := []string{"KRM", "BRS", "DRA"}
	staff := []shakwa.Staff{fatima, omar, {ID: "503", Name: "Huda"}}
	var out []storage.Life
	for i := range n {
		created := base.Add(time.Duration(r.Int64N(int64(40 * 24 * time.Hour))))
		who := shakwa.Address{Channel: []string{"telegram", "whatsapp", "web"}[i%3], Chat: fmt.Sprint(7000 + r.IntN(n))}
		l := storage.Life{Ticket: filed(centres[r.IntN(3)], created), From: who}
		status, centre, holder, now := shakwa.StatusNew, l.Ticket.Centre, shakwa.Staff{}, created
		for range r.IntN(9) {
			now = now.Add(time.Duration(r.Int64N(int64(50 * time.Hour))))
			ch := storage.Change{At: now, Text: "…"}
			switch status {
			case shakwa.StatusNew:
				if r.IntN(5) == 0 {
					ch.Kind, ch.By, ch.To = storage.ChangeTransfer, staff[r.IntN(3)], centres[(slices.Index(centres, centre)+1+r.IntN(2))%3]
					centre = ch.To
					break
				}
				holder = staff[r.IntN(3)]
				ch.Kind, ch.By, status = storage.ChangeClaim, holder, shakwa.StatusClaimed
			case shakwa.StatusClaimed, shakwa.StatusInProgress:
				ch.By = holder
				switch r.IntN(6) {
				case 0:
					ch.Kind, status, holder = storage.ChangeRelease, shakwa.StatusNew, shakwa.Staff{}
				case 1:
					ch.Kind, ch.To, status = storage.ChangeTransfer, centres[(slices.Index(centres, centre)+1)%3], shakwa.StatusNew
					centre, holder = ch.To, shakwa.Staff{}
				case 2, 3:
					ch.Kind, status = storage.ChangeReply, shakwa.StatusInProgress
				default:
					ch.Kind, status = storage.ChangeResolve, shakwa.StatusResolved
				}
			case shakwa.StatusResolved:
				switch r.IntN(3) {
				case 0:
					ch.Kind, ch.Stars, status = storage.ChangeRate, 1+r.IntN(5), shakwa.StatusClosed
				case 1:
					ch.Kind, ch.Actor, status = storage.ChangeClose, shakwa.SystemActor, shakwa.StatusClosed
				default:
					ch.Kind, status = storage.ChangeReopen, reopened(holder)
				}
			case shakwa.StatusClosed:
				ch.Kind, status = storage.ChangeReopen, reopened(holder)
			}
			l.Changes = append(l.Changes, ch)
		}
		out = append(out, l)
	}
	return out
}

func reopened(holder shakwa.Staff) shakwa.Status {
	if holder.ID != "" {
		return shakwa.StatusClaimed
	}
	return shakwa.StatusNew
}

// playLife files l's ticket and makes its changes with the methods.
func playLife(t *testing.T, s *storage.Store, l storage.Life) {
	t.Helper()
	tk := l.Ticket
	if err := s.CreateTicket(ctx(t), &tk, l.From, ""); err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	for _, c := range l.Changes {
		var err error
		switch c.Kind {
		case storage.ChangeClaim:
			_, err = s.Claim(ctx(t), tk.ID, c.By, nil, c.At)
		case storage.ChangeRelease:
			_, err = s.Release(ctx(t), tk.ID, c.By, c.At)
		case storage.ChangeReply:
			_, err = s.Reply(ctx(t), tk.ID, c.By, c.Text, c.At)
		case storage.ChangeResolve:
			_, err = s.Resolve(ctx(t), tk.ID, c.By, c.Text, c.At)
		case storage.ChangeTransfer:
			_, err = s.Transfer(ctx(t), tk.ID, c.By, c.To, c.At)
		case storage.ChangeRate:
			_, err = s.Rate(ctx(t), tk.ID, l.From, c.Stars, c.At)
		case storage.ChangeClose:
			_, err = s.CloseResolved(ctx(t), tk.ID, c.Actor, c.At)
		case storage.ChangeReopen:
			_, err = s.Reopen(ctx(t), tk.ID, l.From, "", c.At)
		}
		if err != nil {
			t.Fatalf("%s change %+v: %v", tk.ID, c, err)
		}
	}
}

// dump reads every key of f's store, without the prefix, with its value:
// strings, hashes, lists, and sorted sets as member -> score.
func dump(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	c := ctx(t)
	out := map[string]any{}
	for _, k := range f.keys(t, "*") {
		var v any
		var err error
		switch typ := f.rdb.Type(c, k).Val(); typ {
		case "string":
			v, err = f.rdb.Get(c, k).Result()
		case "hash":
			v, err = f.rdb.HGetAll(c, k).Result()
		case "list":
			v, err = f.rdb.LRange(c, k, 0, -1).Result()
		case "zset":
			var zs []redis.Z
			zs, err = f.rdb.ZRangeWithScores(c, k, 0, -1).Result()
			m := map[string]float64{}
			for _, z := range zs {
				m[z.Member.(string)] = z.Score
			}
			v = m
		default:
			t.Fatalf("key %s of type %s", k, typ)
		}
		if err != nil {
			t.Fatalf("read %s: %v", k, err)
		}
		out[strings.TrimPrefix(k, f.prefix)] = v
	}
	return out
}

// compareDumps reports every key that differs.
func compareDumps(t *testing.T, want, got map[string]any) {
	t.Helper()
	if len(want) < 10 {
		t.Fatalf("only %d keys: nothing was written", len(want))
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: missing; want %v", k, w)
		} else if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\ngot  %v\nwant %v", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %v; want no such key", k, g)
		}
	}
}
