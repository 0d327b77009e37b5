package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Queue returns up to limit unclaimed (new) tickets of centre, oldest
// first; limit <= 0 returns all.
func (s *Store) Queue(ctx context.Context, centre string, limit int) ([]*shakwa.Ticket, error) {
	ts, err := s.scan(ctx, query{key: s.key("queue", centre), min: "-inf", max: "+inf", limit: limit})
	if err != nil {
		return nil, fmt.Errorf("queue of %s: %w", centre, err)
	}
	return ts, nil
}

// NewestInQueue returns up to limit of the unclaimed (new) tickets of
// centre, newest first.
func (s *Store) NewestInQueue(ctx context.Context, centre string, limit int) ([]*shakwa.Ticket, error) {
	ts, err := s.scan(ctx, query{key: s.key("queue", centre), min: "-inf", max: "+inf", rev: true, limit: limit})
	if err != nil {
		return nil, fmt.Errorf("queue of %s: %w", centre, err)
	}
	return ts, nil
}

// OpenTickets returns up to limit of centre's open tickets, oldest first,
// whoever holds them (one who has left the roster too), from the set the
// centre's figures keep (see Backlog); limit <= 0 returns all.
func (s *Store) OpenTickets(ctx context.Context, centre string, limit int) ([]*shakwa.Ticket, error) {
	ids, err := s.rdb.ZRange(ctx, s.agg(centre, "open"), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, fmt.Errorf("open tickets of %s: %w", centre, err)
	}
	ts, err := s.loadTickets(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("open tickets of %s: %w", centre, err)
	}
	out := ts[:0]
	for _, t := range ts {
		if t != nil && t.Centre == centre && t.Status.Open() {
			out = append(out, t)
		}
	}
	return out, nil
}

// Held returns the claimed and in-progress tickets staffID holds, oldest
// first.
func (s *Store) Held(ctx context.Context, staffID string) ([]*shakwa.Ticket, error) {
	ts, err := s.scan(ctx, query{key: s.key("held", staffID), min: "-inf", max: "+inf"})
	if err != nil {
		return nil, fmt.Errorf("tickets held by %s: %w", staffID, err)
	}
	return ts, nil
}

// CitizenTickets returns up to limit tickets of the citizen who, newest
// first; limit <= 0 returns all.
func (s *Store) CitizenTickets(ctx context.Context, who shakwa.Address, limit int) ([]*shakwa.Ticket, error) {
	q := s.citizenQuery(who, limit)
	if k, ok := batchOf(ctx).lookup(s.citizenRead(q)); ok {
		// Read with the update's Begin: the first of the index's reads.
		q.first, q.read = nil, true
		if k.v != "" {
			q.first = strings.Split(k.v, "\n")
		}
	}
	ts, err := s.scan(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("tickets of a citizen: %w", err)
	}
	return ts, nil
}

func (s *Store) citizenQuery(who shakwa.Address, limit int) query {
	return query{key: s.key("citizen", s.PersonID(who)), min: "-inf", max: "+inf", rev: true, limit: limit}
}

// citizenRead is the first ZRANGE of q as a batch read.
func (s *Store) citizenRead(q query) read {
	a := q.args(0)
	return read{key: q.key, field: "\x00range:" + strconv.Itoa(q.limit), zr: &a}
}

// PreloadCitizenTickets has the first read of CitizenTickets(ctx, who,
// limit) made with the batch's Begin: what filing a complaint checks the
// citizen's limits with.
func (s *Store) PreloadCitizenTickets(ctx context.Context, who shakwa.Address, limit int) {
	batchOf(ctx).readAhead(s.citizenRead(s.citizenQuery(who, limit)))
}

// TicketsCreated returns the tickets created in [from, to), oldest first,
// all at once: for small ranges (and tests); see EachTicketCreated.
func (s *Store) TicketsCreated(ctx context.Context, from, to time.Time) ([]*shakwa.Ticket, error) {
	var out []*shakwa.Ticket
	err := s.EachTicketCreated(ctx, from, to, func(ts []*shakwa.Ticket) error {
		out = append(out, ts...)
		return nil
	})
	return out, err
}

// EachTicketCreated calls fn with the tickets created in [from, to),
// oldest first, a batch at a time, so that an export of any size never
// holds them all. The index is read on from the score where the last batch
// ended, so every batch costs the same however far in it is. fn's error
// stops the reading and is returned.
func (s *Store) EachTicketCreated(ctx context.Context, from, to time.Time, fn func([]*shakwa.Ticket) error) error {
	const batch = 500
	key := s.plain("created")
	start, stop := msMin(from), msMax(to)
	atStart := 0 // entries at the start score already taken
	for {
		zs, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: start, Stop: stop,
			ByScore: true, Offset: int64(atStart), Count: batch}).Result()
		if err != nil {
			return fmt.Errorf("tickets created: read index: %w", err)
		}
		ids := make([]string, len(zs))
		for i, z := range zs {
			ids[i], _ = z.Member.(string)
		}
		ts, err := s.loadTickets(ctx, ids)
		if err != nil {
			return fmt.Errorf("tickets created: %w", err)
		}
		kept := ts[:0]
		for _, t := range ts {
			if t != nil && s.belongs(t, key) && within(t.Created, from, to) {
				kept = append(kept, t)
			}
		}
		if len(kept) > 0 {
			if err := fn(kept); err != nil {
				return err
			}
		}
		if len(zs) < batch {
			return nil
		}
		last := zs[len(zs)-1].Score
		same := 0
		for _, z := range zs {
			if z.Score == last {
				same++
			}
		}
		next := strconv.FormatFloat(last, 'f', -1, 64)
		if next == start {
			atStart += same
		} else {
			start, atStart = next, same
		}
	}
}

// within reports whether from <= t < to.
func within(t, from, to time.Time) bool {
	return !t.Before(from) && t.Before(to)
}

// msMin and msMax bound a score range that holds every time in [from, to);
// scores are whole milliseconds, so the exact range is checked afterwards.
func msMin(from time.Time) string {
	return strconv.FormatInt(from.UnixMilli()-1, 10)
}

func msMax(to time.Time) string {
	return strconv.FormatInt(to.UnixMilli()+1, 10)
}
