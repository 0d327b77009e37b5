package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// eraseScript removes a ticket's personal data in one step: the citizen's
// words, phone and files, the resolution written to them, and what links
// the ticket to them (its citizen, and the history's entries by them,
// become shakwa.ErasedCitizen); the history keeps its kinds, times, staff
// and channels, and a rejection's reason, but no words. Times, centre,
// category, status, holder and rating stay: the figures are made of them.
// The erasure itself is the history's last entry (ARGV[2]).
// KEYS: ticket, log. ARGV: the time (stored form), the entry (JSON), the
// history's cap.
// Reply: {} when there is no such ticket, or it was erased before; else
// the ticket's fields before and after, as transitionScript's.
var eraseScript = redis.NewScript(`
local t = KEYS[1]
if redis.call('EXISTS', t) == 0 or redis.call('HEXISTS', t, 'erased') == 1 then return {} end
local before = redis.call('HGETALL', t)
local citizen = redis.call('HGET', t, 'citizen') or ''
redis.call('HDEL', t, 'text', 'phone', 'attachments', 'resolution')
redis.call('HSET', t, 'citizen', '-', 'erased', ARGV[1])
redis.call('HINCRBY', t, 'rev', 1)
local keep = {transferred = true, reassigned = true, rated = true}
local n = redis.call('LLEN', KEYS[2])
for i = 0, n - 1 do
  local ok, e = pcall(cjson.decode, redis.call('LINDEX', KEYS[2], i))
  if ok and type(e) == 'table' then
    if citizen ~= '' and e.by == citizen then e.by = '-' end
    if e.text and e.text ~= '' and not keep[e.kind] then
      if e.kind == 'rejected' then e.text = string.match(e.text, '^(%S+)') else e.text = nil end
    end
    redis.call('LSET', KEYS[2], i, cjson.encode(e))
  end
end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
local after = redis.call('HGETALL', t)
local r = {'ok', #before}
for i = 1, #before do r[#r + 1] = before[i] end
for i = 1, #after do r[#r + 1] = after[i] end
return r
`)

// EraseTicket removes ticket id's personal data (see eraseScript), with
// an entry "erased" by by (shakwa.SystemActor for the retention sweep,
// shakwa.ErasedCitizen at the citizen's request) in its history, and
// returns it as it is now; erased is false when there was nothing to do
// (no such ticket, or erased before). Its indexes and tallies follow as a
// transition's do: the figures do not change.
func (s *Store) EraseTicket(ctx context.Context, id, by string, now time.Time) (t *shakwa.Ticket, erased bool, err error) {
	ev, err := eventJSON("erased", by, "", "", now)
	if err != nil {
		return nil, false, fmt.Errorf("erase %s: %w", id, err)
	}
	res, err := eraseScript.Run(ctx, s.rdb, []string{s.ticketKey(id), s.logKey(id)}, fmtTime(now), ev, s.logCap).Slice()
	if err != nil {
		return nil, false, fmt.Errorf("erase %s: %w", id, err)
	}
	if len(res) == 0 {
		return nil, false, nil
	}
	before, after, err := parseTransition(res)
	if err != nil {
		return nil, false, fmt.Errorf("erase %s: %w", id, err)
	}
	s.ticketEvent(after.Centre, "erased")
	if err := s.indexSoon(ctx, before, after); err != nil {
		return after, true, fmt.Errorf("erase %s: %w", id, err)
	}
	return after, true, nil
}

// ForgetPerson removes what is kept of the person at a beyond their
// tickets (which EraseTicket erases): their record (address and
// language), so the bot no longer knows how to reach them nor which
// tickets were theirs; the words of the feedback and thanks they gave,
// and its link to them (its stars stay in the figures); their web chat's
// conversation; the dead letters addressed to them (messages the outbox
// gave up on hold their chat and words); and what the outbox still holds
// for them, parked for their window or not (replies to this very update
// are queued after). Done twice, it finds nothing more to remove.
func (s *Store) ForgetPerson(ctx context.Context, a shakwa.Address) error {
	if err := s.forgetFeedback(ctx, s.PersonID(a)); err != nil {
		return fmt.Errorf("forget person: %w", err)
	}
	if err := s.forgetDeadLetters(ctx, a); err != nil {
		return fmt.Errorf("forget person: %w", err)
	}
	if err := s.dropQueues(ctx, a.String()); err != nil {
		return fmt.Errorf("forget person: %w", err)
	}
	keys := []string{s.personKey(s.PersonID(a))}
	if a.Channel == "web" {
		keys = append(keys, s.mailKey(a.Chat))
	}
	for _, k := range keys { // apart: on a Cluster they live on different nodes
		if err := s.rdb.Del(ctx, k).Err(); err != nil {
			return fmt.Errorf("forget person: %w", err)
		}
	}
	return nil
}

// forgetRecordScript deletes a person's record (KEYS[2]: how to reach
// them, which on WhatsApp is their phone number, and their language) when
// no ticket of theirs is left in their index (KEYS[1]); one step, so that
// a ticket filed meanwhile keeps it. The keys share the person's slot.
// Reply: none when it deleted the record, else the index's first ARGV[1]
// entries, the tickets that keep it.
var forgetRecordScript = redis.NewScript(`
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return {}
end
return redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
`)

// keepLook is how many of the tickets that keep a person's record the
// scripts that would delete it name, to be checked (see keptBy).
const keepLook = 10

// forgetIfNoTickets deletes the record of person (a Person.ID) once the
// retention sweep has erased their last ticket: nothing is left to tell
// them of, and a number kept for no ticket is kept for nothing. Entries of
// their index that name no ticket of theirs (stale, see the package doc)
// do not keep it: they are pruned, and the script asked again.
func (s *Store) forgetIfNoTickets(ctx context.Context, person string) error {
	if person == "" || person == shakwa.ErasedCitizen {
		return nil
	}
	keys := s.untouchedKeys(person)
	for range maxPrunes {
		ids, err := forgetRecordScript.Run(ctx, s.rdb, keys, keepLook).StringSlice()
		if err != nil {
			return fmt.Errorf("forget a person without tickets: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		ts, err := s.loadTickets(ctx, ids)
		if err == nil {
			err = s.pruneUnless(ctx, keys[0], ids, ts)
		}
		if !errors.Is(err, errStale) {
			return err // nil: a ticket keeps the record
		}
	}
	return nil
}

// maxPrunes bounds how many times a deletion of a person's record prunes
// stale entries of their index and tries again; each time takes up to
// keepLook of them, so only a long run of stale entries outlasts it, and
// the record then waits for the next sweep.
const maxPrunes = 20

// errStale is pruneUnless's: none of the entries names a ticket that
// belongs in the index.
var errStale = errors.New("stale entries")

// pruneUnless returns nil when one of ts, the tickets that entries ids of
// index key name, belongs there; otherwise it prunes those entries and
// returns errStale.
func (s *Store) pruneUnless(ctx context.Context, key string, ids []string, ts []*shakwa.Ticket) error {
	if slices.ContainsFunc(ts, func(t *shakwa.Ticket) bool { return s.belongs(t, key) }) {
		return nil
	}
	if err := s.prune(ctx, key, ids); err != nil {
		return err
	}
	return errStale
}

// forgetFeedback erases the words of the feedback person gave, and its
// link to them.
func (s *Store) forgetFeedback(ctx context.Context, person string) error {
	by := s.key("fbby", person)
	ids, err := s.rdb.SMembers(ctx, by).Result()
	if err != nil {
		return fmt.Errorf("their feedback: %w", err)
	}
	for _, id := range ids {
		key := s.key("fb", id)
		if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HDel(ctx, key, "text")
			p.HSet(ctx, key, fCitizen, shakwa.ErasedCitizen)
			return nil
		}); err != nil {
			return fmt.Errorf("feedback %s: %w", id, err)
		}
	}
	return s.rdb.Del(ctx, by).Err()
}

// forgetDeadLetters removes the dead letters addressed to a: the stream
// is capped (DefaultDeadCap), so reading it whole is bounded.
func (s *Store) forgetDeadLetters(ctx context.Context, a shakwa.Address) error {
	key := s.ob("dead")
	start := "-"
	for {
		msgs, err := s.rdb.XRangeN(ctx, key, start, "+", 1000).Result()
		if err != nil {
			return fmt.Errorf("dead letters: %w", err)
		}
		var gone []string
		for _, m := range msgs {
			it, _ := m.Values["item"].(string)
			var to struct{ Channel, Chat string }
			if json.Unmarshal([]byte(it), &to) == nil && to.Channel == a.Channel && to.Chat == a.Chat {
				gone = append(gone, m.ID)
			}
		}
		if len(gone) > 0 {
			if err := s.rdb.XDel(ctx, key, gone...).Err(); err != nil {
				return fmt.Errorf("dead letters: %w", err)
			}
		}
		if len(msgs) < 1000 {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// errLimit stops a sweep at its limit.
var errLimit = errors.New("limit reached")

// retentionCursor keeps, as a creation time (Unix ms), how far the
// retention sweep has read: every ticket filed before it is erased, or
// waits in retentionWaiting. The next sweep starts there.
const retentionCursor = "retention:cursor"

// retentionWaiting is the sorted set (by creation time) of the tickets
// the sweep passed that it may not erase yet: still open, or closed after
// the cutoff. Each sweep looks at them again first; they are few (the
// tickets filed longer ago than the retention period and not closed
// within it).
const retentionWaiting = "retention:waiting"

// retentionErasing is the hash of the tickets the sweep is erasing: ID
// -> what must follow the erasure (erasing), kept from just before it
// until all of that is done. A sweep stopped in between (Redis failed,
// the process died) leaves the entry, and the next sweep finishes it
// first: the erasure itself holds no more of whose the ticket was nor of
// its files.
const retentionErasing = "retention:erasing"

// erasing is what follows a ticket's erasure by the sweep: its citizen's
// index loses it, and their record goes when no ticket keeps it; its
// files' bytes go when nothing else has them.
type erasing struct {
	Citizen string   `json:"citizen,omitempty"`
	Files   []string `json:"files,omitempty"`
}

// startErasing records what must follow the erasure of t (see
// retentionErasing).
func (s *Store) startErasing(ctx context.Context, t *shakwa.Ticket) error {
	e := erasing{Citizen: t.Citizen}
	for _, a := range t.Attachments {
		if a.File != "" {
			e.Files = append(e.Files, a.File)
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("erase %s: %w", t.ID, err)
	}
	if err := s.rdb.HSet(ctx, s.plain(retentionErasing), t.ID, b).Err(); err != nil {
		return fmt.Errorf("erase %s: %w", t.ID, err)
	}
	return nil
}

// endErasing does what follows the erasure of was (as it was before it):
// its citizen's record goes when no ticket keeps it, erasedOne (when not
// nil) is told, and the record of startErasing goes.
func (s *Store) endErasing(ctx context.Context, was *shakwa.Ticket, erasedOne func(*shakwa.Ticket)) error {
	if err := s.forgetIfNoTickets(ctx, was.Citizen); err != nil {
		return err
	}
	if erasedOne != nil {
		erasedOne(was)
	}
	if err := s.rdb.HDel(ctx, s.plain(retentionErasing), was.ID).Err(); err != nil {
		return fmt.Errorf("erase %s: %w", was.ID, err)
	}
	return nil
}

// finishErasing finishes what a sweep stopped before it had done with
// the erasures it started (see retentionErasing): for each ticket
// erased, its citizen's index is made to no longer name it (the
// erasure's own indexing may not have), then endErasing does the rest.
// A ticket not erased yet is the sweep's again, as before; it is
// dropped from the hash, which its erasure writes anew.
func (s *Store) finishErasing(ctx context.Context, erasedOne func(*shakwa.Ticket)) error {
	key := s.plain(retentionErasing)
	left, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil || len(left) == 0 {
		return err
	}
	ids := make([]string, 0, len(left))
	for id := range left {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ts, err := s.loadTickets(ctx, ids)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if t := ts[i]; t != nil && t.Erased.IsZero() {
			if err := s.rdb.HDel(ctx, key, id).Err(); err != nil {
				return err
			}
			continue
		}
		var e erasing
		if err := json.Unmarshal([]byte(left[id]), &e); err != nil {
			return fmt.Errorf("erasing %s: %w", id, err)
		}
		if e.Citizen != "" && e.Citizen != shakwa.ErasedCitizen {
			if err := s.prune(ctx, s.key("citizen", e.Citizen), []string{id}); err != nil {
				return err
			}
		}
		was := &shakwa.Ticket{ID: id, Citizen: e.Citizen}
		for _, f := range e.Files {
			was.Attachments = append(was.Attachments, shakwa.Attachment{File: f})
		}
		if err := s.endErasing(ctx, was, erasedOne); err != nil {
			return err
		}
	}
	return nil
}

// EraseClosedBefore erases the personal data of tickets closed (in a
// closed state: resolved and rated, closed, rejected, withdrawn) before
// cutoff, oldest filed first, at most limit of them, and returns how many
// it erased and whether it stopped at the limit. A ticket still open, or
// closed after cutoff, is left, and looked at again by the next sweep;
// the sweep remembers where it got to, so that each run reads only what
// is new and what waits. dryRun counts without erasing (nor remembering).
// erasedOne, when not nil, is called with each ticket erased, as it was
// (to remove its files' bytes).
func (s *Store) EraseClosedBefore(ctx context.Context, cutoff, now time.Time, limit int, dryRun bool,
	erasedOne func(was *shakwa.Ticket)) (erased int, more bool, err error) {
	from := time.UnixMilli(0)
	if v, err := s.rdb.Get(ctx, s.plain(retentionCursor)).Int64(); err == nil {
		from = time.UnixMilli(v)
	} else if !errors.Is(err, redis.Nil) {
		return 0, false, fmt.Errorf("retention cursor: %w", err)
	}
	waiting := s.plain(retentionWaiting)
	if !dryRun {
		if err := s.finishErasing(ctx, erasedOne); err != nil {
			return 0, false, fmt.Errorf("retention: %w", err)
		}
	}
	// erase takes t if it may go, and reports whether it is done with
	// (erased now or before, or gone).
	erase := func(t *shakwa.Ticket) (bool, error) {
		switch {
		case t == nil || !t.Erased.IsZero():
			return true, nil
		case t.Status.Open() || t.Closed.IsZero() || !t.Closed.Before(cutoff):
			return false, nil
		case erased >= limit:
			return false, errLimit
		}
		if !dryRun {
			if err := s.startErasing(ctx, t); err != nil {
				return false, err
			}
			if _, _, err := s.EraseTicket(ctx, t.ID, shakwa.SystemActor, now); err != nil {
				return false, err
			}
			if err := s.endErasing(ctx, t, erasedOne); err != nil {
				return false, err
			}
		}
		erased++
		return true, nil
	}
	ids, err := s.rdb.ZRange(ctx, waiting, 0, -1).Result()
	if err != nil {
		return 0, false, fmt.Errorf("retention: waiting: %w", err)
	}
	ts, err := s.loadTickets(ctx, ids)
	if err != nil {
		return 0, false, fmt.Errorf("retention: waiting: %w", err)
	}
	var done []any
	for i, t := range ts {
		ok, err := erase(t)
		if errors.Is(err, errLimit) {
			more = true
			break
		}
		if err != nil {
			return erased, false, fmt.Errorf("retention: %w", err)
		}
		if ok {
			done = append(done, ids[i])
		}
	}
	if !dryRun && len(done) > 0 {
		if err := s.rdb.ZRem(ctx, waiting, done...).Err(); err != nil {
			return erased, more, fmt.Errorf("retention: waiting: %w", err)
		}
	}
	if more {
		return erased, true, nil
	}
	cursor := from
	err = s.EachTicketCreated(ctx, from, cutoff, func(ts []*shakwa.Ticket) (err error) {
		var wait []redis.Z
		defer func() {
			// Those passed are remembered even when the limit stops the run.
			if !dryRun && len(wait) > 0 {
				if werr := s.rdb.ZAdd(ctx, waiting, wait...).Err(); werr != nil {
					err = werr
				}
			}
		}()
		for _, t := range ts {
			ok, err := erase(t)
			if err != nil {
				return err
			}
			if !ok {
				wait = append(wait, redis.Z{Score: score(t.Created), Member: t.ID})
			}
			cursor = t.Created
		}
		return nil
	})
	if errors.Is(err, errLimit) {
		more, err = true, nil
	}
	if err != nil {
		return erased, false, fmt.Errorf("retention: %w", err)
	}
	if !dryRun && cursor.After(from) {
		if err := s.rdb.Set(ctx, s.plain(retentionCursor), strconv.FormatInt(cursor.UnixMilli(), 10), 0).Err(); err != nil {
			return erased, more, fmt.Errorf("retention cursor: %w", err)
		}
	}
	return erased, more, nil
}

// untouchedScript deletes a person's record (KEYS[2]) that no ticket of
// theirs keeps (their index, KEYS[1], is empty) and that was last written
// before the cutoff (ARGV[1], Unix ms): its own time, or, for a record
// written before records kept one, its entry's (ARGV[2]). One step, so
// that a ticket filed or a write made meanwhile keeps it. The keys share
// the person's slot.
// Reply: {kind, at, ...}: "gone" (no record), "tickets" (tickets keep it:
// the index's first ARGV[3] entries follow), "touched" (written since the
// cutoff, at then), or "forgot".
var untouchedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return {'gone', 0} end
if redis.call('ZCARD', KEYS[1]) > 0 then
  local r = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)
  table.insert(r, 1, 0)
  table.insert(r, 1, 'tickets')
  return r
end
local at = tonumber(redis.call('HGET', KEYS[2], 'at') or ARGV[2]) or 0
if at >= tonumber(ARGV[1]) then return {'touched', at} end
redis.call('DEL', KEYS[2])
return {'forgot', at}
`)

// dropEntryScript removes a person's entry (ARGV[1]) from the people index
// (KEYS[1]) if it still has the score the sweep read (ARGV[2]): a write
// since then gave it a newer one, which stays.
var dropEntryScript = redis.NewScript(`
local at = redis.call('ZSCORE', KEYS[1], ARGV[1])
if at and tonumber(at) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`)

// untouchedBatch is how many entries of the people index the sweep reads
// at a time.
const untouchedBatch = 200

// ForgetUntouched deletes the records of people (how to reach them, which
// on WhatsApp is their phone number, and their language) last written
// before cutoff that no ticket keeps: those who wrote, perhaps chose a
// language or gave feedback, and never filed a ticket, or whose tickets
// are erased. A record a ticket keeps goes with the last of them (see
// EraseClosedBefore). It reads the people index oldest first, at most
// limit entries, and returns how many records it deleted and whether it
// stopped at the limit. Each entry it reads leaves the index, or moves on
// to its record's own time when that is newer.
func (s *Store) ForgetUntouched(ctx context.Context, cutoff time.Time, limit int) (forgot int, more bool, err error) {
	index := s.plain(peopleKey)
	seen := 0
	before := "(" + strconv.FormatInt(cutoff.UnixMilli(), 10)
	for seen < limit {
		n := min(untouchedBatch, limit-seen)
		zs, err := s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: index, ByScore: true,
			Start: "-inf", Stop: before, Count: int64(n)}).Result()
		if err != nil {
			return forgot, false, fmt.Errorf("forget untouched: %w", err)
		}
		gone, err := s.forgetUntouched(ctx, index, zs, cutoff)
		if err != nil {
			return forgot, false, fmt.Errorf("forget untouched: %w", err)
		}
		forgot += gone
		seen += len(zs)
		if len(zs) < n {
			return forgot, false, nil
		}
	}
	left, err := s.rdb.ZCount(ctx, index, "-inf", before).Result()
	if err != nil {
		return forgot, false, fmt.Errorf("forget untouched: %w", err)
	}
	return forgot, left > 0, nil
}

// forgetUntouched deals with the entries zs of the people index, in two
// round trips (three when tickets keep some records): it deletes each
// record they name that untouchedScript may, and returns how many it did;
// an entry then leaves the index, unless its record was written since
// cutoff, when the entry takes the record's time. A record is kept only by
// an entry of its index that names a ticket of theirs: stale ones are
// pruned and the record looked at again.
// Eval rather than EvalSha: a pipeline cannot fall back on NOSCRIPT.
func (s *Store) forgetUntouched(ctx context.Context, index string, zs []redis.Z, cutoff time.Time) (int, error) {
	if len(zs) == 0 {
		return 0, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(zs))
	for i, z := range zs {
		id, _ := z.Member.(string)
		cmds[i] = untouchedScript.Eval(ctx, pipe, s.untouchedKeys(id), cutoff.UnixMilli(), int64(z.Score), keepLook)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	replies := make([]untouched, len(zs))
	var named []string // the tickets that keep records, all
	for i, z := range zs {
		id, _ := z.Member.(string)
		r, err := parseUntouched(id, cmds[i])
		if err != nil {
			return 0, err
		}
		replies[i] = r
		named = append(named, r.keep...)
	}
	ts, err := s.loadTickets(ctx, named)
	if err != nil {
		return 0, err
	}
	for i, z := range zs {
		r := &replies[i]
		if r.kind != "tickets" {
			continue
		}
		n := len(r.keep)
		id, _ := z.Member.(string)
		if *r, err = s.untouchedAgain(ctx, id, r.keep, ts[:n], cutoff, int64(z.Score)); err != nil {
			return 0, err
		}
		ts = ts[n:]
	}
	forgot := 0
	pipe = s.rdb.Pipeline()
	for i, z := range zs {
		id, _ := z.Member.(string)
		switch replies[i].kind {
		case "touched":
			pipe.ZAddGT(ctx, index, redis.Z{Score: float64(replies[i].at), Member: id})
			continue
		case "forgot":
			forgot++
		}
		// Gone, kept by a ticket (whose erasure deletes it), or deleted
		// now: the index has no more to say of it.
		dropEntryScript.Eval(ctx, pipe, []string{index}, id, int64(z.Score))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return forgot, err
	}
	return forgot, nil
}

// untouched is a reply of untouchedScript: its kind, its time, and for
// "tickets" the entries that keep the record.
type untouched struct {
	kind string
	at   int64
	keep []string
}

func (s *Store) untouchedKeys(person string) []string {
	return []string{s.key("citizen", person), s.personKey(person)}
}

func parseUntouched(person string, cmd *redis.Cmd) (untouched, error) {
	res, err := cmd.Slice()
	if err != nil || len(res) < 2 {
		return untouched{}, fmt.Errorf("person %s: unexpected reply %v, %v", person, res, err)
	}
	r := untouched{}
	r.kind, _ = res[0].(string)
	r.at, _ = res[1].(int64)
	if r.kind == "tickets" {
		for _, v := range res[2:] {
			if id, ok := v.(string); ok {
				r.keep = append(r.keep, id)
			}
		}
	}
	return r, nil
}

// untouchedAgain is untouchedScript's reply for person once the entries
// ids of their index that kept the record, naming ts, are known to name a
// ticket of theirs: as it was when one does, else asked again after
// pruning them (see forgetIfNoTickets).
func (s *Store) untouchedAgain(ctx context.Context, person string, ids []string, ts []*shakwa.Ticket, cutoff time.Time, score int64) (untouched, error) {
	keys := s.untouchedKeys(person)
	for range maxPrunes {
		err := s.pruneUnless(ctx, keys[0], ids, ts)
		if !errors.Is(err, errStale) {
			return untouched{kind: "tickets"}, err // nil: a ticket keeps it
		}
		r, err := parseUntouched(person, untouchedScript.Run(ctx, s.rdb, keys, cutoff.UnixMilli(), score, keepLook))
		if err != nil || r.kind != "tickets" {
			return r, err
		}
		if ids = r.keep; len(ids) == 0 {
			break
		}
		if ts, err = s.loadTickets(ctx, ids); err != nil {
			return untouched{}, err
		}
	}
	return untouched{kind: "tickets"}, nil
}
