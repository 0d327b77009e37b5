package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// An act is a change of a ticket that an update's handling is sure to
// make first, made with the update's Begin, in its round trip: the
// handling then finds it made (see transit) instead of spending a round
// trip of its own between its begin and its commit. A staff member's claim
// is one (PreloadClaim): the answer needs the claim's outcome, and the
// claim needs nothing the handling reads first.
//
// The act is made only while the update has its turn in its chat's line,
// checked in the same script (aheadScript): never for a copy of an update
// handled already, nor while another handling of the update or an earlier
// update of the chat holds the chat. Once made, it is made: a handling that
// fails after it finds it again by the update's mark, as it would a change
// of its own (see settle), and one that never asks for it has its indexes
// brought up to date by the commit all the same.
//
// On a cluster the chat's line and the ticket live on different nodes, so
// no act is made with the begin: the handling makes the change itself.
type act struct {
	id   string // the ticket
	tr   transition
	keys []string
	args []any
	mark string
	res  []any // transitionScript's reply, once the begin made it
	used bool  // the handling took res
}

// aheadScript makes an act if the update has its turn.
//
// KEYS: the chat's line and hold (as beginScript's), then the
// transition's (ticket, log).
// ARGV: 1 the update, 2 its token, 3 and 4 what goes before and after a
// person id to name their record, 5... the transition's (see
// transitionScript).
//
// Reply: {"notyet"}, or {the transition's reply, the ticket's history,
// its citizen ("" for none), their record (fields and values)}. The record's key is
// the ticket's to name, not the caller's: this script runs on one server
// only, never on a cluster.
var aheadScript = redis.NewScript(transitLua + `
local h = redis.call('HGET', KEYS[2], ARGV[1])
if redis.call('ZRANGE', KEYS[1], 0, 0)[1] ~= ARGV[1] or not h or string.sub(h, 1, #ARGV[2] + 1) ~= ARGV[2] .. ':' then
  return {'notyet'}
end
local r = transit({KEYS[3], KEYS[4]}, {unpack(ARGV, 5)})
local person = {}
local citizen = redis.call('HGET', KEYS[3], 'citizen') or ''
if citizen ~= '' then person = redis.call('HGETALL', ARGV[3] .. citizen .. ARGV[4]) end
return {r, redis.call('LRANGE', KEYS[4], 0, -1), citizen, person}
`)

// PreloadClaim has the batch's Begin claim ticket id for by, in its own
// round trip, when the update has its turn (see act); a Claim of the same
// ticket in the update then answers from it. The caller must be sure
// that handling the update claims the ticket: the claim is made whatever
// the handling does next. Without a batch, or on a cluster, it does
// nothing.
func (s *Store) PreloadClaim(ctx context.Context, id string, by shakwa.Staff, centres []string, now time.Time) {
	b := batchOf(ctx)
	if _, cluster := s.rdb.(*redis.ClusterClient); b == nil || cluster {
		return
	}
	tr := claimOf(by, centres, now)
	keys, args, mark, err := s.prepare(ctx, id, now, &tr)
	if err != nil {
		return // the handling's Claim meets the same error
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.acts = append(b.acts, &act{id: id, tr: tr, keys: keys, args: args, mark: mark})
}

// addActs puts the acts the batch has yet to make into p, after a begin
// of keys and args (beginScript's), and returns their commands, in order.
func (s *Store) addActs(ctx context.Context, b *batch, p redis.Pipeliner, keys []string, args []any) ([]*act, []*redis.Cmd) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var acts []*act
	var cmds []*redis.Cmd
	pre, post, _ := strings.Cut(s.personKey("\x00"), "\x00")
	for _, a := range b.acts {
		if a.res != nil {
			continue
		}
		acts = append(acts, a)
		cmds = append(cmds, aheadScript.EvalSha(ctx, p, append([]string{keys[0], keys[1]}, a.keys...),
			append([]any{args[0], args[1], pre, post}, a.args...)...))
	}
	return acts, cmds
}

// keepActs records what the begin's acts made. An act the server could
// not run is left to the handling; the server is given the script again
// when it lost it (it restarted), for the next update.
func (s *Store) keepActs(ctx context.Context, b *batch, acts []*act, cmds []*redis.Cmd) {
	for i, c := range cmds {
		res, err := c.Slice()
		if redis.HasErrorPrefix(err, "NOSCRIPT") {
			aheadScript.Load(ctx, s.rdb) // an error is the handling's to meet
		}
		if err != nil || len(res) != 4 {
			continue // not made: the handling makes it
		}
		tres, ok := res[0].([]any)
		if !ok || len(tres) == 0 {
			continue
		}
		a := acts[i]
		b.mu.Lock()
		a.res = tres
		b.mu.Unlock()
		if events, err := stringsOf(res[1]); err == nil {
			s.keepHistory(b, a.id, events)
		}
		citizen, _ := res[2].(string)
		person, _ := res[3].([]any)
		if m, err := pairs(person); err == nil && citizen != "" {
			s.keepPerson(b, citizen, m)
		}
	}
}

// made returns the reply to the transition name of ticket id that the
// update's begin made, and takes it: nil when it made none.
func (b *batch) made(id, name string) []any {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range b.acts {
		if a.id == id && a.tr.name == name && a.res != nil && !a.used {
			a.used = true
			return a.res
		}
	}
	return nil
}

// settleActs brings the indexes up to date after the acts the begin made
// that the handling did not take: the change is made.
func (s *Store) settleActs(ctx context.Context) error {
	b := batchOf(ctx)
	if b == nil {
		return nil
	}
	b.mu.Lock()
	var left []*act
	for _, a := range b.acts {
		if a.res != nil && !a.used {
			a.used = true
			left = append(left, a)
		}
	}
	b.mu.Unlock()
	var errs []error
	for _, a := range left {
		if _, err := s.settle(ctx, a.id, a.tr, a.mark, a.res); err != nil && !errors.Is(err, shakwa.ErrConflict) &&
			!errors.Is(err, shakwa.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stringsOf is a script's reply that is a list of strings.
func stringsOf(v any) ([]string, error) {
	vs, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list: %T", v)
	}
	out := make([]string, len(vs))
	for i, x := range vs {
		if out[i], ok = x.(string); !ok {
			return nil, fmt.Errorf("not a string: %T", x)
		}
	}
	return out, nil
}
