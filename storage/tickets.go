package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// createScript writes a new ticket and its first event unless the ticket
// exists. KEYS: ticket, log. ARGV: event, log cap, field/value pairs.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
return 1
`)

// ticketKey and logKey name a ticket's hash and event log.
func (s *Store) ticketKey(id string) string { return s.key("t", id) }
func (s *Store) logKey(id string) string    { return s.key("t", id) + ":log" }

// validCode reports whether a centre code can name keys and ticket ids.
func validCode(c string) bool {
	return c != "" && !strings.ContainsAny(c, "{}- \t\r\n")
}

// reserveScript gives out the centre's next ticket number, or the number
// it gave out before for the same once key. KEYS: seq, once. ARGV: TTL (ms).
var reserveScript = redis.NewScript(`
local n = redis.call('GET', KEYS[2])
if n then return tonumber(n) end
n = redis.call('INCR', KEYS[1])
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[2], n, 'PX', ARGV[1]) end
return n
`)

// onceTTL is how long a ticket number stays reserved for what filed it:
// longer than any platform resends an update.
const onceTTL = 9 * 24 * time.Hour

// CreateTicket stores t as a new ticket filed by the citizen at from. It
// assigns t.ID (the centre code, a dash and the centre's next number,
// zero-padded to six digits, e.g. KRM-000001), sets t.Status to new, and
// sets t.Citizen and t.Channel from from; from itself is kept on the
// citizen's person record only. The caller sets Centre, Created and
// Updated; the holder, outcome fields and the other times start empty
// whatever t holds.
//
// once names what files the ticket (the platform update, say): the
// ticket number is reserved for it in the same step that takes it, so a
// second CreateTicket with the same once key (the update came again after
// a crash) gets the same ticket, as first stored, and files nothing new.
// An empty once files a new ticket every time.
//
// Under an update's batch with a once key, on one server, the ticket is
// written with the update's commit (see createLater); t is the ticket as
// this update files it.
//
// It returns an error wrapping shakwa.ErrInvalid when the centre code or
// Created is missing or the centre code holds braces, dashes or spaces.
func (s *Store) CreateTicket(ctx context.Context, t *shakwa.Ticket, from shakwa.Address, once string) error {
	if t == nil || !validCode(t.Centre) || t.Created.IsZero() || from.IsZero() {
		return fmt.Errorf("create ticket: need a centre code, a citizen and a creation time: %w", shakwa.ErrInvalid)
	}
	ttl, onceKey := int64(0), s.key("seq", t.Centre)+":once:"
	if once != "" {
		ttl, onceKey = onceTTL.Milliseconds(), onceKey+s.opaque("once:"+once)
	}
	n, err := reserveScript.Run(ctx, s.rdb, []string{s.key("seq", t.Centre), onceKey}, ttl).Int64()
	if err != nil {
		return fmt.Errorf("create ticket in %s: next number: %w", t.Centre, err)
	}
	in := *t
	in.Citizen, in.Channel = s.PersonID(from), from.Channel
	nt := fresh(&in, fmt.Sprintf("%s-%06d", t.Centre, n))
	fields, err := ticketFields(nt)
	if err != nil {
		return fmt.Errorf("create ticket %s: %w", nt.ID, err)
	}
	ev, err := eventJSON("created", nt.Citizen, from.Channel, t.Centre, t.Created)
	if err != nil {
		return fmt.Errorf("create ticket %s: %w", nt.ID, err)
	}
	// The citizen's address, and the index entries, first: a crash after
	// them leaves entries that readers drop, never a ticket no index
	// knows, nor one whose citizen cannot be reached. One server runs a
	// pipeline in order, so there they go with the ticket in one round
	// trip; a Cluster's nodes do not wait for one another, so there the
	// ticket waits for them.
	keys := []string{s.ticketKey(nt.ID), s.logKey(nt.ID)}
	args := append([]any{ev, s.logCap}, fields...)
	_, cluster := s.rdb.(*redis.ClusterClient)
	if b := batchOf(ctx); b != nil && once != "" && !cluster {
		if err := s.createLater(ctx, b, nt, from, keys, args); err != nil {
			return fmt.Errorf("create ticket %s: %w", nt.ID, err)
		}
		*t = *nt
		return nil
	}
	var created *redis.Cmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if !cluster {
			created = s.createIn(ctx, p, nt, from, keys, args)
			return nil
		}
		s.rememberPerson(ctx, p, from, nt.Created)
		s.indexIn(ctx, p, nil, nt)
		return nil
	}); err != nil {
		return fmt.Errorf("create ticket %s: %w", nt.ID, err)
	}
	if cluster {
		created = createScript.Run(ctx, s.rdb, keys, args...)
	}
	batchOf(ctx).forget(s.key("citizen", nt.Citizen)) // its index has one more
	ok, err := created.Int()
	if err != nil {
		return fmt.Errorf("create ticket %s: %w", nt.ID, err)
	}
	if ok == 0 {
		if once == "" {
			return fmt.Errorf("create ticket %s: number already used: %w", nt.ID, shakwa.ErrConflict)
		}
		// Filed by an earlier try of the same update: that ticket it is.
		if nt, err = s.Ticket(ctx, nt.ID); err != nil {
			return fmt.Errorf("create ticket again: %w", err)
		}
	} else {
		s.ticketEvent(nt.Centre, "created")
	}
	// Again, for a reader that dropped an entry while the record was
	// missing; with the update's other writes when there is a batch.
	if err := s.indexSoon(ctx, nil, nt); err != nil {
		return fmt.Errorf("create ticket %s: %w", nt.ID, err)
	}
	*t = *nt
	return nil
}

// createLater has the update's commit create ticket nt, first: on one
// server the commit is one pipeline, in order, so the address, the index
// entries, the ticket, and then the replies that name it, land in that
// order, in the update's last round trip. It is made even if the update
// fails (the number is its own, under the update's once key). An earlier
// try of the same update that filed it already leaves the ticket as it
// was first stored; this one's answers name the same number. Until the
// commit, reads of the ticket, and of its citizen's tickets, do not find
// it: what the update says of it comes from nt.
func (s *Store) createLater(ctx context.Context, b *batch, nt *shakwa.Ticket, from shakwa.Address, keys []string, args []any) error {
	b.later(write{
		always: true,
		add: func(ctx context.Context, p redis.Pipeliner) redis.Cmder {
			return s.createIn(ctx, p, nt, from, keys, args)
		},
		check: func(c redis.Cmder) error {
			made, err := c.(*redis.Cmd).Int()
			if err != nil {
				return fmt.Errorf("create ticket %s: %w", nt.ID, err)
			}
			if made == 1 {
				s.ticketEvent(nt.Centre, "created")
			}
			return nil
		},
	})
	b.forget(s.key("citizen", nt.Citizen)) // its index will have one more
	// The index entries again after the ticket, for a reader that dropped
	// one while the record was missing, as CreateTicket does.
	return s.indexSoon(ctx, nil, nt)
}

// createIn puts on p, in order, the citizen's address, ticket nt's index
// entries and the script that creates it (keys and args are createScript's),
// and returns the script's command.
func (s *Store) createIn(ctx context.Context, p redis.Pipeliner, nt *shakwa.Ticket, from shakwa.Address, keys []string, args []any) *redis.Cmd {
	s.rememberPerson(ctx, p, from, nt.Created)
	s.indexIn(ctx, p, nil, nt)
	return createScript.Eval(ctx, p, keys, args...)
}

// fresh returns the new ticket id made of what the citizen gave in t.
func fresh(t *shakwa.Ticket, id string) *shakwa.Ticket {
	nt := &shakwa.Ticket{
		ID: id, Rev: 1, Centre: t.Centre, Category: t.Category, Text: t.Text,
		Attachments: t.Attachments, Phone: t.Phone, Citizen: t.Citizen, Channel: t.Channel, Lang: t.Lang,
		Status: shakwa.StatusNew, Created: t.Created, Updated: t.Updated,
	}
	if nt.Updated.IsZero() {
		nt.Updated = nt.Created
	}
	return nt
}

// Ticket returns the ticket id. It returns an error wrapping
// shakwa.ErrNotFound when there is none.
func (s *Store) Ticket(ctx context.Context, id string) (*shakwa.Ticket, error) {
	m, err := s.rdb.HGetAll(ctx, s.ticketKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("ticket %s: %w", id, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("ticket %s: %w", id, shakwa.ErrNotFound)
	}
	return parseTicket(m)
}

// Events returns the history of ticket id, oldest first (at most the newest
// events, see WithLogCap). Event.By is the staff member's ID for staff
// actions and the citizen's address (Address.String) for theirs. Text holds
// the centre for "created" and "transferred" (the centre moved to), the
// message for "reply", "note" and "info", the resolution for "resolved" and
// the stars for "rated". It returns an error wrapping shakwa.ErrNotFound
// for an unknown ticket.
func (s *Store) Events(ctx context.Context, id string) ([]shakwa.Event, error) {
	if k, ok := batchOf(ctx).lookup(read{key: s.logKey(id)}); ok {
		// Read after a transition of the ticket (see transit): it exists.
		// The batch keeps the events joined by newlines, which their JSON
		// never holds.
		if k.v == "" {
			return nil, nil
		}
		return decodeEvents(id, strings.Split(k.v, "\n"))
	}
	pipe := s.rdb.Pipeline()
	exists := pipe.Exists(ctx, s.ticketKey(id))
	items := pipe.LRange(ctx, s.logKey(id), 0, -1)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("events of %s: %w", id, err)
	}
	if exists.Val() == 0 {
		return nil, fmt.Errorf("events of %s: %w", id, shakwa.ErrNotFound)
	}
	return decodeEvents(id, items.Val())
}

// decodeEvents decodes ticket id's history as stored, one JSON event an
// item.
func decodeEvents(id string, items []string) ([]shakwa.Event, error) {
	evs := make([]shakwa.Event, 0, len(items))
	for _, it := range items {
		var e shakwa.Event
		if err := json.Unmarshal([]byte(it), &e); err != nil {
			return nil, fmt.Errorf("events of %s: %w", id, err)
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// EventsOf returns the histories of the tickets ids, in order, in one
// round trip; a ticket that has none (or does not exist) has nil.
func (s *Store) EventsOf(ctx context.Context, ids []string) ([][]shakwa.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.StringSliceCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.LRange(ctx, s.logKey(id), 0, -1)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("events of %d tickets: %w", len(ids), err)
	}
	out := make([][]shakwa.Event, len(ids))
	for i, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		evs, err := decodeEvents(ids[i], c.Val())
		if err != nil {
			return nil, err
		}
		out[i] = evs
	}
	return out, nil
}

// loadTickets reads the tickets ids in one pipeline. Missing tickets are
// nil in the result.
func (s *Store) loadTickets(ctx context.Context, ids []string) ([]*shakwa.Ticket, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.ticketKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load tickets: %w", err)
	}
	out := make([]*shakwa.Ticket, len(ids))
	for i, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			continue
		}
		t, err := parseTicket(m)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}
