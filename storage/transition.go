package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// transitionScript checks a ticket's state and, if the check passes,
// applies a list of field operations and appends an event, all at once.
//
// KEYS: ticket, log.
// ARGV: 1 allowed statuses, space separated ("" = any);
// 2 staff id that must match the recorded holder, if one is recorded ("" = no check);
// 3 the citizen id the ticket must have ("" = no check);
// 4 a centre the ticket must not be in ("" = no check);
// 5 the event (JSON); 6 the log cap;
// 7 centres the ticket must be in, space separated ("" = any);
// 8 a staff id that must not be the recorded holder ("" = no check);
// 9... operations as (op, field, value) triples: set, keep (set if absent),
// del, incr, reopen (status claimed if a holder is recorded and is not
// the value, else new with no holder),
// claimnew (status claimed if it is new),
// append (a JSON array appended to the JSON array in the field), absent
// (no change: the field must not exist, checked before any change).
//
// Reply: {"missing"}, {"stranger"}, or {"ok"|"conflict", n, the ticket as
// it was (n fields and values), the ticket as it is after the script
// (fields and values)}. A change counts one more revision (rev).
var transitionScript = redis.NewScript(transitLua + `
return transit(KEYS, ARGV)
`)

// transitLua is transitionScript's work as a Lua function of its keys and
// arguments, for the scripts that run it.
const transitLua = `
local function transit(K, A)
  local t = K[1]
  local cur = redis.call('HMGET', t, 'status', 'holder.id', 'citizen', 'centre')
  if not cur[1] then return {'missing'} end
  if A[3] ~= '' and cur[3] ~= A[3] then return {'stranger'} end
  local before = redis.call('HGETALL', t)
  local function reply(code)
    local r = {code, #before}
    for i = 1, #before do r[#r + 1] = before[i] end
    local all = before
    if code == 'ok' then all = redis.call('HGETALL', t) end
    for i = 1, #all do r[#r + 1] = all[i] end
    return r
  end
  if A[1] ~= '' and not string.find(' ' .. A[1] .. ' ', ' ' .. cur[1] .. ' ', 1, true) then
    return reply('conflict')
  end
  if A[2] ~= '' and cur[2] and cur[2] ~= '' and cur[2] ~= A[2] then return reply('conflict') end
  if A[4] ~= '' and cur[4] == A[4] then return reply('conflict') end
  if A[8] ~= '' and cur[2] == A[8] then return reply('conflict') end
  if A[7] ~= '' and not string.find(' ' .. A[7] .. ' ', ' ' .. (cur[4] or '') .. ' ', 1, true) then
    return reply('conflict')
  end
  for i = 9, #A, 3 do
    if A[i] == 'absent' and redis.call('HEXISTS', t, A[i + 1]) == 1 then return reply('conflict') end
  end
  for i = 9, #A, 3 do
    local op, f, v = A[i], A[i + 1], A[i + 2]
    if op == 'set' then redis.call('HSET', t, f, v)
    elseif op == 'keep' then redis.call('HSETNX', t, f, v)
    elseif op == 'del' then redis.call('HDEL', t, f)
    elseif op == 'incr' then redis.call('HINCRBY', t, f, 1)
    elseif op == 'claimnew' then
      if redis.call('HGET', t, f) == 'new' then redis.call('HSET', t, f, 'claimed') end
    elseif op == 'reopen' then
      local h = redis.call('HGET', t, 'holder.id')
      if h and h ~= '' and h ~= v then redis.call('HSET', t, f, 'claimed') else
        redis.call('HSET', t, f, 'new')
        redis.call('HDEL', t, 'holder.id', 'holder.name')
      end
    elseif op == 'append' then
      local old = redis.call('HGET', t, f)
      if not old or old == '' then redis.call('HSET', t, f, v) else
        local a = cjson.decode(old)
        for _, x in ipairs(cjson.decode(v)) do a[#a + 1] = x end
        redis.call('HSET', t, f, cjson.encode(a))
      end
    end
  end
  redis.call('HINCRBY', t, 'rev', 1)
  redis.call('RPUSH', K[2], A[5])
  redis.call('LTRIM', K[2], -tonumber(A[6]), -1)
  return reply('ok')
end
`

// op is one field operation of a transition.
type op struct{ kind, field, value string }

func set(f, v string) op            { return op{"set", f, v} }
func keep(f string, t time.Time) op { return op{"keep", f, fmtTime(t)} }

// first sets f to v when f is not set yet: who did a thing first.
func first(f, v string) op { return op{"keep", f, v} }
func del(f string) op      { return op{"del", f, ""} }
func absent(f string) op   { return op{"absent", f, ""} }

// transition describes one change of a ticket for transitionScript.
type transition struct {
	name    string          // for errors: "claim"
	from    []shakwa.Status // allowed current statuses; none = any
	holder  string          // a recorded holder must be this staff id
	citizen string          // the ticket must be this citizen's (a Person.ID)
	notIn   string          // the ticket must not be in this centre
	in      []string        // the ticket must be in one of these centres; none = any
	notHeld string          // the ticket must not be held by this staff id
	event   shakwa.Event
	ops     []op
}

// apply runs tr on ticket id and then brings the indexes up to date. A
// refused transition returns the current ticket and an error wrapping
// shakwa.ErrConflict. If only the index update fails, the transition has
// happened: the ticket is returned together with the error.
func (s *Store) apply(ctx context.Context, id string, now time.Time, tr transition) (*shakwa.Ticket, error) {
	keys, args, mark, err := s.prepare(ctx, id, now, &tr)
	if err != nil {
		return nil, err
	}
	res, err := s.transit(ctx, id, tr.name, keys, args)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", tr.name, id, err)
	}
	return s.settle(ctx, id, tr, mark, res)
}

// prepare is transitionScript's keys and arguments for tr on ticket id at
// now, and the mark it leaves of the update ctx names (see updateMark).
func (s *Store) prepare(ctx context.Context, id string, now time.Time, tr *transition) (keys []string, args []any, mark string, err error) {
	if now.IsZero() {
		return nil, nil, "", fmt.Errorf("%s %s: zero time: %w", tr.name, id, shakwa.ErrInvalid)
	}
	tr.event.At = now
	mark = s.updateMark(ctx, tr.event.Kind)
	if mark != "" {
		tr.ops = append(tr.ops, set(fByUpdate, mark))
	}
	args, err = tr.args(s.logCap, now)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s %s: %w", tr.name, id, err)
	}
	return []string{s.ticketKey(id), s.logKey(id)}, args, mark, nil
}

// settle reads transitionScript's reply res to tr, which left mark, and
// brings the indexes up to date after a change.
func (s *Store) settle(ctx context.Context, id string, tr transition, mark string, res []any) (*shakwa.Ticket, error) {
	code, _ := res[0].(string)
	switch code {
	case "missing", "stranger":
		return nil, fmt.Errorf("%s %s: %w", tr.name, id, shakwa.ErrNotFound)
	case "ok", "conflict":
	default:
		return nil, fmt.Errorf("%s %s: unexpected script reply %q", tr.name, id, code)
	}
	before, after, err := parseTransition(res)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", tr.name, id, err)
	}
	if code == "conflict" && mark != "" && lastMark(res) == mark {
		// This very update made this change, in a handling that failed
		// after it: the change stands, and the handling goes on as the
		// first should have (what it says goes under the update's once
		// key, so nothing is said twice). The indexes are brought up to
		// date again: when the script's reply was lost on the way, the
		// first handling never got to them. What the ticket was before
		// is not known any more, so its entries are added and its
		// tallies replaced from what they hold; an entry of its former
		// state left behind is stale, which readers allow for.
		was, err := s.replayed(ctx, tr, after)
		if err == nil {
			err = s.indexSoon(ctx, was, after)
		}
		if err != nil {
			return after, fmt.Errorf("%s %s: %w", tr.name, id, err)
		}
		return after, nil
	}
	if code == "conflict" {
		return after, fmt.Errorf("%s %s: ticket is %s%s: %w", tr.name, id, after.Status, heldBy(after), shakwa.ErrConflict)
	}
	// With the update's other writes when there is a batch: the change is
	// made, so they are kept even if the update fails.
	s.ticketEvent(after.Centre, tr.event.Kind)
	if err := s.indexSoon(ctx, before, after); err != nil {
		return after, fmt.Errorf("%s %s: %w", tr.name, id, err)
	}
	return after, nil
}

// replayed is what settle knows of ticket after as it was before the
// change tr, made by an earlier handling of the update: nothing (nil), but
// for a transfer the centre it left, read from its history, so that the
// tallies it had there go (a tally run from a ticket other than the one
// recorded is made again from the record, see tallyRun.settle).
func (s *Store) replayed(ctx context.Context, tr transition, after *shakwa.Ticket) (*shakwa.Ticket, error) {
	if tr.event.Kind != "transferred" {
		return nil, nil
	}
	evs, err := s.Events(ctx, after.ID)
	if err != nil {
		return nil, err
	}
	// Before the newest transfer (this one), the newest event that named
	// a centre, the creation or an earlier transfer, names the centre left.
	seen := false
	for _, ev := range slices.Backward(evs) {
		if ev.Kind != "created" && ev.Kind != "transferred" || ev.Text == "" {
			continue
		}
		if !seen {
			seen = ev.Kind == "transferred"
			continue
		}
		if ev.Text == after.Centre {
			return nil, nil
		}
		return &shakwa.Ticket{ID: after.ID, Centre: ev.Text, Created: after.Created}, nil
	}
	return nil, nil // the log no longer goes back that far
}

// transit runs transitionScript, for the transition name of ticket id, on
// keys, or has the reply of the update's begin when it made the
// transition already (see act). When the
// update's batch read the ticket's citizen ahead (PreloadParties), the
// ticket's history and its citizen's record are read in the same round
// trip, after the script, for the answer that tells of the change.
func (s *Store) transit(ctx context.Context, id, name string, keys []string, args []any) ([]any, error) {
	b := batchOf(ctx)
	if res := b.made(id, name); res != nil {
		return res, nil // with the update's begin (see act)
	}
	b.forget(s.logKey(id)) // the script adds to it
	citizen, ok := b.lookup(read{key: s.ticketKey(id), field: fCitizen})
	if !ok || citizen.absent {
		return transitionScript.Run(ctx, s.rdb, keys, args...).Slice()
	}
	var run *redis.Cmd
	var history *redis.StringSliceCmd
	var person *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		run = transitionScript.EvalSha(ctx, p, keys, args...)
		history = p.LRange(ctx, s.logKey(id), 0, -1)
		person = p.HGetAll(ctx, s.personKey(citizen.v))
		return nil
	})
	if redis.HasErrorPrefix(run.Err(), "NOSCRIPT") {
		// The server lost its scripts (it restarted): the script alone,
		// loading it, and the reads when they are asked for.
		return transitionScript.Run(ctx, s.rdb, keys, args...).Slice()
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	res, err := run.Slice()
	if err != nil {
		return nil, err
	}
	if history.Err() == nil {
		s.keepHistory(b, id, history.Val())
	}
	if m, err := person.Result(); err == nil {
		s.keepPerson(b, citizen.v, m)
	}
	return res, nil
}

// keepHistory has b know ticket id's history.
func (s *Store) keepHistory(b *batch, id string, events []string) {
	b.set(read{key: s.logKey(id)}, known{v: strings.Join(events, "\n")})
}

// keepPerson has b know the record of person id, whose fields are m.
func (s *Store) keepPerson(b *batch, id string, m map[string]string) {
	key := s.personKey(id)
	for _, f := range []string{"v", pChannel, pChat, pLang} {
		v, ok := m[f]
		b.set(read{key: key, field: f}, known{v: v, absent: !ok})
	}
}

// PreloadParties has the citizen of ticket id read with the batch's Begin,
// so that a transition of the ticket reads its history and its citizen's
// record in the transition's own round trip (see transit).
func (s *Store) PreloadParties(ctx context.Context, id string) {
	batchOf(ctx).readAhead(read{key: s.ticketKey(id), field: fCitizen})
}

// updateMark is what a transition of kind records of the update ctx
// names (see shakwa.WithUpdate), opaque: the update's name holds a chat id.
// It is "" without an update.
func (s *Store) updateMark(ctx context.Context, kind string) string {
	u := shakwa.UpdateOf(ctx)
	if u == "" {
		return ""
	}
	return s.opaque("update:"+u) + ":" + kind
}

// lastMark is the update mark of the ticket as transitionScript found it
// (the first of its reply's two hashes).
func lastMark(res []any) string {
	n, _ := res[1].(int64)
	for i := 2; i+1 < 2+int(n) && i+1 < len(res); i += 2 {
		if k, _ := res[i].(string); k == fByUpdate {
			v, _ := res[i+1].(string)
			return v
		}
	}
	return ""
}

// heldBy describes a ticket's holder for errors.
func heldBy(t *shakwa.Ticket) string {
	if t.Holder.ID == "" {
		return ""
	}
	return ", held by " + t.Holder.ID
}

// args encodes tr as transitionScript's ARGV.
func (tr transition) args(logCap int, now time.Time) ([]any, error) {
	from := make([]string, len(tr.from))
	for i, st := range tr.from {
		from[i] = string(st)
	}
	ev, err := json.Marshal(tr.event)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	args := []any{strings.Join(from, " "), tr.holder, tr.citizen, tr.notIn, string(ev), logCap,
		strings.Join(tr.in, " "), tr.notHeld}
	for _, o := range append(tr.ops, set(fUpdated, fmtTime(now))) {
		args = append(args, o.kind, o.field, o.value)
	}
	return args, nil
}

// parseTransition reads transitionScript's reply: the ticket before the
// script and after it.
func parseTransition(res []any) (before, after *shakwa.Ticket, err error) {
	n, _ := res[1].(int64)
	if len(res) < 2+int(n) || n < 0 {
		return nil, nil, fmt.Errorf("short script reply")
	}
	mb, err := pairs(res[2 : 2+n])
	if err != nil {
		return nil, nil, err
	}
	ma, err := pairs(res[2+n:])
	if err != nil {
		return nil, nil, err
	}
	if before, err = parseTicket(mb); err != nil {
		return nil, nil, err
	}
	if after, err = parseTicket(ma); err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// eventJSON encodes one event.
func eventJSON(kind, by, via, text string, at time.Time) (string, error) {
	b, err := json.Marshal(shakwa.Event{At: at, Kind: kind, By: by, Via: via, Text: text})
	if err != nil {
		return "", fmt.Errorf("encode event: %w", err)
	}
	return string(b), nil
}
