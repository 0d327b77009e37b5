package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// An act is a change of a ticket that an update's handling is sure to
// make first, made with the update's Begin, in its script: the handling
// then finds it made (see transit) instead of spending a round trip of
// its own between its begin and its commit. A staff member's claim is one
// (PreloadClaim): the answer needs the claim's outcome, and the claim
// needs nothing the handling reads first.
//
// The act is made only when the begin gives the update its turn in its
// chat's line, in the same script (aheadScript): never for a copy of an
// update handled already, nor while another handling of the update or an
// earlier update of the chat holds the chat. It is made at the begin's
// time. Once made, it is made: a handling that fails after it finds it
// again by the update's mark, as it would a change of its own (see
// settle), one that never asks for it has the ticket's indexes brought up
// to date by its commit all the same, and a begin whose reads fail after
// it brings them up to date itself.
//
// On a cluster the chat's line and the ticket live on different nodes, so
// no act is made with the begin: the handling makes the change itself.
type act struct {
	id   string                     // the ticket
	at   func(time.Time) transition // the change, made at the begin's time
	tr   transition                 // as made
	mark string
	res  []any // transitionScript's reply, once the begin made it
	used bool  // the handling took res, or the indexes were brought up to date
}

// aheadScript is beginScript, and then, if the update has its turn, an
// act.
//
// KEYS: beginScript's (line, hold, done), then the transition's (ticket,
// log).
// ARGV: 1-4 beginScript's (update, token, now, lease), 5 and 6 what goes
// before and after a person id to name their record, 7... the
// transition's (see transitionScript).
//
// Reply: {beginScript's reply}, or, when it is "turn", {"turn", the
// transition's reply, the ticket's history, its citizen ("" for none),
// their record (fields and values)}. The record's key is the ticket's to
// name, not the caller's: this script runs on one server only, never on a
// cluster.
var aheadScript = redis.NewScript(beginLua + transitLua + `
local r = begin({KEYS[1], KEYS[2], KEYS[3]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4]})
if r ~= 'turn' then return {r} end
local t = transit({KEYS[4], KEYS[5]}, {unpack(ARGV, 7)})
local person = {}
local citizen = redis.call('HGET', KEYS[4], 'citizen') or ''
if citizen ~= '' then person = redis.call('HGETALL', ARGV[5] .. citizen .. ARGV[6]) end
return {r, t, redis.call('LRANGE', KEYS[5], 0, -1), citizen, person}
`)

// PreloadClaim has the batch's Begin claim ticket id for by, in its own
// script, when it gives the update its turn (see act); a Claim of the
// same ticket in the update then answers from it. The caller must be sure
// that handling the update claims the ticket: the claim is made whatever
// the handling does next. Without a batch, or on a cluster, it does
// nothing.
func (s *Store) PreloadClaim(ctx context.Context, id string, by shakwa.Staff, centres []string) {
	b := batchOf(ctx)
	if _, cluster := s.rdb.(*redis.ClusterClient); b == nil || cluster {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.act = &act{id: id, at: func(now time.Time) transition { return claimOf(by, centres, now) }}
}

// pending is the act the batch (which may be nil) has yet to make, or nil.
func (b *batch) pending() *act {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.act == nil || b.act.res != nil {
		return nil
	}
	return b.act
}

// aheadArgs are aheadScript's keys and arguments for a, with a begin of
// keys and args (beginScript's) at now.
func (s *Store) aheadArgs(ctx context.Context, a *act, keys []string, args []any, now time.Time) ([]string, []any, error) {
	tr := a.at(now)
	tkeys, targs, mark, err := s.prepare(ctx, a.id, now, &tr)
	if err != nil {
		return nil, nil, err
	}
	a.tr, a.mark = tr, mark
	pre, post, _ := strings.Cut(s.personKey("\x00"), "\x00")
	return append(slices.Clip(keys), tkeys...), append(append(slices.Clip(args), pre, post), targs...), nil
}

// keepAct reads aheadScript's reply res for a: the begin's answer, and
// what the act made, kept in b.
func (s *Store) keepAct(b *batch, a *act, res []any) (string, error) {
	if len(res) == 0 {
		return "", fmt.Errorf("empty script reply")
	}
	begun, _ := res[0].(string)
	if len(res) != 5 {
		return begun, nil
	}
	made, ok := res[1].([]any)
	if !ok || len(made) == 0 {
		return "", fmt.Errorf("unexpected act reply %v", res[1])
	}
	b.mu.Lock()
	a.res = made
	b.mu.Unlock()
	if events, err := stringsOf(res[2]); err == nil {
		s.keepHistory(b, a.id, events)
	}
	citizen, _ := res[3].(string)
	person, _ := res[4].([]any)
	if m, err := pairs(person); err == nil && citizen != "" {
		s.keepPerson(b, citizen, m)
	}
	return begun, nil
}

// made returns the reply to the transition name of ticket id that the
// update's begin made, and takes it: nil when it made none.
func (b *batch) made(id, name string) []any {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if a := b.act; a != nil && a.id == id && a.tr.name == name && a.res != nil && !a.used {
		a.used = true
		return a.res
	}
	return nil
}

// settleAct brings the indexes up to date after the act the begin made,
// when the handling did not take it: the change is made. now says the
// update fails here, and nothing of its batch will be committed: the
// indexes are written at once rather than with the commit.
func (s *Store) settleAct(ctx context.Context, now bool) error {
	b := batchOf(ctx)
	if b == nil {
		return nil
	}
	b.mu.Lock()
	a := b.act
	if a == nil || a.res == nil || a.used {
		b.mu.Unlock()
		return nil
	}
	a.used = true
	b.mu.Unlock()
	if now {
		ctx = context.WithValue(ctx, batchKey{}, (*batch)(nil))
	}
	_, err := s.settle(ctx, a.id, a.tr, a.mark, a.res)
	if errors.Is(err, shakwa.ErrConflict) || errors.Is(err, shakwa.ErrNotFound) {
		return nil // refused: nothing changed
	}
	return err
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
