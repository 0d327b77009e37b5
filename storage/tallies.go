package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Metrics are kept as tallies per centre, so that reading a month of them
// costs the same at ten thousand tickets as at a million. Under the
// centre's hash tag:
//
//	agg:{C}:d:YYYYMMDD   hash: the centre's totals for one local day
//	agg:{C}:m:YYYYMM     hash: the same for the month
//	agg:{C}:xd:YYYYMMDD  hash: breakdowns (category, channel, staff) of a day
//	agg:{C}:xm:YYYYMM    hash: the same for the month
//	agg:{C}:n:YYYYMMDD   hash: a day's recent counts (shakwa.Tally.Recent),
//	                     expiring two days after the day began in UTC
//	agg:{C}:xn:YYYYMMDD  hash: the same for the breakdowns
//	agg:{C}:r            hash: ticket id -> the tallies it added here
//	agg:{C}:open         sorted set: the centre's open tickets, by creation (ms)
//
// A ticket's tallies are a function of the ticket as it is (see Tallier).
// Each change of a ticket replaces what it added before by what it adds
// now, in one script on the centre's slot (tallySource), with the old tallies read from
// the record the last replacement left. So a replacement done twice
// changes nothing, and one that was missed (the process died between the
// ticket's change and its tallies) is made good by the ticket's next
// change, or by RebuildTallies. A transfer takes the ticket's tallies out
// of the centre it leaves and puts them in the one it joins.

// Tallier turns tickets and feedback into the tallies their centre keeps;
// its fields and days are its own business (the metrics package's).
type Tallier interface {
	TicketTallies(t *shakwa.Ticket) []shakwa.Tally
	FeedbackTallies(f *shakwa.Feedback) []shakwa.Tally
}

// WithTallier has the store keep t's tallies with every ticket and
// feedback it writes.
func WithTallier(t Tallier) Option { return func(s *Store) { s.tallier = t } }

// tallySource is the script that replaces what a ticket or feedback added
// to its centre's tallies. The record of a ticket is its facts (see
// encodeFacts: what its tallies are made from, with its revision), or a
// tombstone "REV|-" once it left the centre. A change older than the
// record (a revision not above it) changes nothing; otherwise the old
// tallies are taken away and the new ones added. The caller sends the
// change it expects, made from the facts it expects (the tallies that
// differ between those facts and the new ones, since most stay): when the
// record holds other facts (a change was missed), or none while the caller
// expected some, the script changes nothing and answers {"stale", record}
// for the caller to try again from that.
//
// KEYS: records, open set. ARGV: id, key prefix ("…agg:{C}:"), expected
// facts, new facts ("" for none: feedback), tallies to take away, to add,
// revision of the new facts, open ("1"/"0", "" for not a ticket), creation
// (ms). Returns 0 when nothing changed, 1 when it did.
const tallySource = `
local id, p, expect, facts, old, new = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local cur = redis.call('HGET', KEYS[1], id) or ''
if facts ~= '' then
  if tonumber(ARGV[7]) <= tonumber(string.match(cur, '^(%d+)') or '0') then return 0 end
end
if cur == '' or string.sub(cur, -2) == '|-' then
  if expect ~= '' then return {'stale', cur} end
  old = ''
elseif cur ~= expect then
  return {'stale', cur}
end
if ARGV[8] == '1' then redis.call('ZADD', KEYS[2], ARGV[9], id) elseif ARGV[8] == '0' then redis.call('ZREM', KEYS[2], id) end
if facts ~= '' then redis.call('HSET', KEYS[1], id, facts) end
if old == new then return 0 end
-- vadd adds v to element i of the vector in field f of hash k: its
-- elements in use, "I:N" joined by commas, in no order (a new one goes at
-- the end), so that a change finds its element with one plain search and
-- rewrites the string around it, however long the vector.
local function vadd(k, f, i, v)
  local cur = redis.call('HGET', k, f)
  if not cur then
    redis.call('HSET', k, f, i .. ':' .. v)
    return
  end
  local s, key = ',' .. cur .. ',', ',' .. i .. ':'
  local a = string.find(s, key, 1, true)
  if not a then
    redis.call('HSET', k, f, cur .. ',' .. i .. ':' .. v)
    return
  end
  local b = string.find(s, ',', a + #key, true)
  local n = tonumber(string.sub(s, a + #key, b - 1)) + v
  if n == 0 then s = string.sub(s, 1, a) .. string.sub(s, b + 1)
  else s = string.sub(s, 1, a + #key - 1) .. n .. string.sub(s, b) end
  s = string.sub(s, 2, -2)
  if s == '' then redis.call('HDEL', k, f) else redis.call('HSET', k, f, s) end
end
-- recentEnd is when a day's recent counts go (ms): two days after the
-- day began in UTC, which is after it ended in any zone. A day long past
-- (a rebuild, an old ticket's change) is gone at once.
local function recentEnd(day)
  local y, m, d = tonumber(string.sub(day, 1, 4)), tonumber(string.sub(day, 5, 6)), tonumber(string.sub(day, 7, 8))
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return (era * 146097 + doe - 719468 + 2) * 86400000
end
local function add(rec, sign)
  for x, day, f, n in string.gmatch(rec, '(%a)(%d+) (%S+) (%S+)') do
    local keys
    if x == 'x' or x == 'w' then keys = {p .. 'xd:' .. day, p .. 'xm:' .. string.sub(day, 1, 6)}
    elseif x == 'u' then keys = {p .. 'n:' .. day}
    elseif x == 'y' then keys = {p .. 'xn:' .. day}
    else keys = {p .. 'd:' .. day, p .. 'm:' .. string.sub(day, 1, 6)} end
    local i, v
    if x == 'v' or x == 'w' or x == 'u' or x == 'y' then
      local is, ns = string.match(n, '^(%d+):(%-?%d+)$')
      i, v = tonumber(is), sign * tonumber(ns)
    else
      v = sign * tonumber(n)
    end
    for _, k in ipairs(keys) do
      if i then vadd(k, f, i, v)
      elseif redis.call('HINCRBY', k, f, v) == 0 then redis.call('HDEL', k, f) end
      if x == 'u' or x == 'y' then redis.call('PEXPIREAT', k, recentEnd(day)) end
    end
  end
end
add(old, -1)
add(new, 1)
return 1
`

// encodeTallies writes tallies as the tally script reads them: one per line,
// "tYYYYMMDD field n" (x for breakdowns), for a vector's element
// "vYYYYMMDD field index:n" (w for breakdowns), and for a recent vector's
// "uYYYYMMDD field index:n" (y for breakdowns). Fields with spaces cannot
// be keys: they are refused, as is a recent count that is no vector.
func encodeTallies(ts []shakwa.Tally) (string, error) {
	var b strings.Builder
	for _, t := range ts {
		if t.N == 0 {
			continue
		}
		if len(t.Day) != 8 || strings.Trim(t.Day, "0123456789") != "" || !tallyField(t.Field) || t.Vector && t.Index < 0 ||
			t.Recent && !t.Vector {
			return "", fmt.Errorf("tally %q on %q: %w", t.Field, t.Day, shakwa.ErrInvalid)
		}
		x := byte('t')
		switch {
		case t.Recent && t.Dims:
			x = 'y'
		case t.Recent:
			x = 'u'
		case t.Dims && t.Vector:
			x = 'w'
		case t.Vector:
			x = 'v'
		case t.Dims:
			x = 'x'
		}
		b.WriteByte(x)
		b.WriteString(t.Day)
		b.WriteByte(' ')
		b.WriteString(t.Field)
		b.WriteByte(' ')
		if t.Vector {
			b.WriteString(strconv.Itoa(t.Index))
			b.WriteByte(':')
		}
		b.WriteString(strconv.FormatInt(t.N, 10))
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// tallyField reports whether f can be a tally's field: printable, no
// spaces, not the script's own words.
func tallyField(f string) bool {
	if f == "" || f == "=" || f == "-" {
		return false
	}
	for _, r := range f {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// agg names a tally key of centre c.
func (s *Store) agg(c, name string) string { return s.key("agg", c) + ":" + name }

// tallyTicket queues on p the replacement of t's tallies in its centre,
// was being what they were made from before (nil for a ticket new to the
// store, or whose tallies were dropped), and, when it left a centre
// (was.Centre), their removal from that one. It returns what to call once
// p has run: it makes good any replacement the script found stale.
func (s *Store) tallyTicket(ctx context.Context, p redis.Pipeliner, t, was *shakwa.Ticket) (func() error, error) {
	if s.tallier == nil || t == nil {
		return func() error { return nil }, nil
	}
	open := "0"
	if t.Status.Open() {
		open = "1"
	}
	var runs []*tallyRun
	if was != nil && was.Centre != t.Centre {
		// The centre it left keeps a tombstone: a late change of the old
		// revision finds it and adds nothing.
		gone := strconv.FormatInt(t.Rev, 10) + "|-"
		r, err := s.newTallyRun(was.Centre, t.ID, was, gone, nil, t.Rev, "0", t.Created)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
		was = nil // new to the centre it joins
	}
	r, err := s.newTallyRun(t.Centre, t.ID, was, encodeFacts(t), t, t.Rev, open, t.Created)
	if err != nil {
		return nil, err
	}
	runs = append(runs, r)
	for _, r := range runs {
		r.queue(ctx, p)
	}
	return func() error {
		for _, r := range runs {
			if err := r.settle(ctx); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// tallyRun is one run of the tally script for a ticket in a centre.
type tallyRun struct {
	s             *Store
	centre, id    string
	expect, facts string
	now           []shakwa.Tally // what the ticket adds as it is now
	old, new      string         // what to take away and add: what changes
	rev           int64
	open          string
	created       time.Time
	cmd           *redis.Cmd
}

// newTallyRun prepares the replacement, in centre, of the tallies of was
// by those of now (either may be nil: none), now's facts being facts.
func (s *Store) newTallyRun(centre, id string, was *shakwa.Ticket, facts string, now *shakwa.Ticket, rev int64, open string, created time.Time) (*tallyRun, error) {
	r := &tallyRun{s: s, centre: centre, id: id, facts: facts, rev: rev, open: open, created: created}
	if now != nil {
		r.now = s.tallier.TicketTallies(now)
	}
	if was != nil {
		r.expect = encodeFacts(was)
	}
	return r, r.change(was)
}

// change sets what the run takes away and adds, for a record that holds
// was's facts: only the tallies that differ, since most of a ticket's stay
// as they were from one change to the next.
func (r *tallyRun) change(was *shakwa.Ticket) error {
	var before []shakwa.Tally
	if was != nil {
		before = r.s.tallier.TicketTallies(was)
	}
	var err error
	if r.old, err = encodeTallies(before); err != nil {
		return fmt.Errorf("tallies of %s: %w", r.id, err)
	}
	if r.new, err = encodeTallies(r.now); err != nil {
		return fmt.Errorf("tallies of %s: %w", r.id, err)
	}
	r.old, r.new = cancelLines(r.old, r.new)
	return nil
}

// cancelLines drops the lines old and new have in common, each as often
// as both have it.
func cancelLines(old, new string) (string, string) {
	if old == "" || new == "" {
		return old, new
	}
	left := map[string]int{} // old's lines not cancelled yet
	for line := range strings.Lines(old) {
		left[line]++
	}
	var added strings.Builder
	for line := range strings.Lines(new) {
		if left[line] > 0 {
			left[line]--
			continue
		}
		added.WriteString(line)
	}
	var taken strings.Builder
	for line := range strings.Lines(old) {
		if left[line] > 0 {
			left[line]--
			taken.WriteString(line)
		}
	}
	return taken.String(), added.String()
}

func (r *tallyRun) args() []any {
	return []any{r.id, r.s.agg(r.centre, ""), r.expect, r.facts, r.old, r.new, r.rev, r.open, r.created.UnixMilli()}
}

func (r *tallyRun) keys() []string {
	return []string{r.s.agg(r.centre, "r"), r.s.agg(r.centre, "open")}
}

// queue puts the run on p. Eval rather than EvalSha: a pipeline cannot
// fall back on NOSCRIPT, and Redis caches the script by its body anyway.
func (r *tallyRun) queue(ctx context.Context, p redis.Pipeliner) {
	r.cmd = p.Eval(ctx, tallySource, r.keys(), r.args()...)
}

// settle reads the run's answer and, while the record held other facts
// than expected, runs again from those.
func (r *tallyRun) settle(ctx context.Context) error {
	for range 8 {
		res, err := r.cmd.Slice()
		if err != nil {
			if _, ok := r.cmd.Val().(int64); ok {
				return nil
			}
			return fmt.Errorf("tallies of %s: %w", r.id, err)
		}
		if len(res) != 2 {
			return fmt.Errorf("tallies of %s: unexpected script reply", r.id)
		}
		cur, _ := res[1].(string)
		// An empty record or a tombstone: the ticket adds nothing here
		// yet.
		var was *shakwa.Ticket
		r.expect = ""
		if cur != "" && !strings.HasSuffix(cur, "|-") {
			if was, err = decodeFacts(r.id, r.centre, cur); err != nil {
				return fmt.Errorf("tallies of %s: %w", r.id, err)
			}
			r.expect = cur
		}
		if err := r.change(was); err != nil {
			return err
		}
		r.cmd = r.s.rdb.Eval(ctx, tallySource, r.keys(), r.args()...)
	}
	return fmt.Errorf("tallies of %s: the record keeps changing", r.id)
}

// encodeFacts is what a ticket's tallies are made from, with its
// revision first: "REV|status|category|channel|holder|rating|reopens|
// created|claimed|first reply|resolved|rated|reopened|transferred|closed|
// rejected", times in Unix milliseconds ("" for none).
func encodeFacts(t *shakwa.Ticket) string {
	clean := func(s string) string { return strings.NewReplacer("|", "_", "\n", "_").Replace(s) }
	ms := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return strconv.FormatInt(t.UnixMilli(), 10)
	}
	return strings.Join([]string{
		strconv.FormatInt(t.Rev, 10), string(t.Status), clean(t.Category), clean(t.Channel), clean(t.Holder.ID),
		strconv.Itoa(t.Rating), strconv.Itoa(t.Reopens),
		ms(t.Created), ms(t.Claimed), ms(t.FirstReply), ms(t.Resolved), ms(t.Rated), ms(t.Reopened),
		ms(t.Transferred), ms(t.Closed), ms(t.Rejected), clean(t.ClaimedBy), clean(t.RepliedBy),
	}, "|")
}

// decodeFacts reads encodeFacts back into a ticket of centre, with what
// tallies need.
func decodeFacts(id, centre, s string) (*shakwa.Ticket, error) {
	f := strings.Split(s, "|")
	if len(f) == 15 {
		f = append(f, "") // written before rejections were
	}
	if len(f) == 16 {
		f = append(f, "", "") // written before who claimed and replied first were
	}
	if len(f) != 18 {
		return nil, fmt.Errorf("facts %q: %d fields", s, len(f))
	}
	t := &shakwa.Ticket{ID: id, Centre: centre, Status: shakwa.Status(f[1]), Category: f[2], Channel: f[3],
		Holder: shakwa.Staff{ID: f[4]}, ClaimedBy: f[16], RepliedBy: f[17]}
	var err error
	if t.Rev, err = strconv.ParseInt(f[0], 10, 64); err != nil {
		return nil, fmt.Errorf("facts %q: %w", s, err)
	}
	if t.Rating, err = strconv.Atoi(f[5]); err != nil {
		return nil, fmt.Errorf("facts %q: %w", s, err)
	}
	if t.Reopens, err = strconv.Atoi(f[6]); err != nil {
		return nil, fmt.Errorf("facts %q: %w", s, err)
	}
	for i, p := range []*time.Time{&t.Created, &t.Claimed, &t.FirstReply, &t.Resolved, &t.Rated, &t.Reopened, &t.Transferred, &t.Closed, &t.Rejected} {
		if f[7+i] == "" {
			continue
		}
		ms, err := strconv.ParseInt(f[7+i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("facts %q: %w", s, err)
		}
		*p = time.UnixMilli(ms).UTC()
	}
	return t, nil
}

// tallyFeedback adds f's tallies to its centre. Feedback never changes,
// so no record of them is kept.
func (s *Store) tallyFeedback(ctx context.Context, p redis.Pipeliner, f *shakwa.Feedback) error {
	if s.tallier == nil {
		return nil
	}
	rec, err := encodeTallies(s.tallier.FeedbackTallies(f))
	if err != nil {
		return fmt.Errorf("tallies of %s: %w", f.ID, err)
	}
	if rec != "" {
		r := &tallyRun{s: s, centre: f.Centre, id: f.ID, new: rec, open: "", created: f.Created}
		r.queue(ctx, p)
	}
	return nil
}

// ReadTallies returns the fields of each read as stored (see
// shakwa.TallyKey), in order: an empty map for none; only the fields asked
// for when a read names some. One pipelined round trip.
func (s *Store) ReadTallies(ctx context.Context, reads []shakwa.TallyKey) ([]map[string]string, error) {
	if len(reads) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	all := make([]*redis.MapStringStringCmd, len(reads))
	some := make([]*redis.SliceCmd, len(reads))
	for i, r := range reads {
		if len(r.Fields) > 0 {
			some[i] = pipe.HMGet(ctx, s.agg(r.Centre, r.Key), r.Fields...)
		} else {
			all[i] = pipe.HGetAll(ctx, s.agg(r.Centre, r.Key))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("read tallies: %w", err)
	}
	out := make([]map[string]string, len(reads))
	for i, r := range reads {
		if all[i] != nil {
			out[i] = all[i].Val()
			continue
		}
		m := make(map[string]string, len(r.Fields))
		for j, v := range some[i].Val() {
			if v, ok := v.(string); ok {
				m[r.Fields[j]] = v
			}
		}
		out[i] = m
	}
	return out, nil
}

// Backlog returns, for each centre, how many of its tickets are open now
// and, for each of before (oldest first), how many of those were created
// before it: the backlog by age. One pipelined round trip.
func (s *Store) Backlog(ctx context.Context, centres []string, before []time.Time) (open []int64, older [][]int64, err error) {
	pipe := s.rdb.Pipeline()
	cards := make([]*redis.IntCmd, len(centres))
	counts := make([][]*redis.IntCmd, len(centres))
	for i, c := range centres {
		k := s.agg(c, "open")
		cards[i] = pipe.ZCard(ctx, k)
		for _, b := range before {
			counts[i] = append(counts[i], pipe.ZCount(ctx, k, "-inf", "("+strconv.FormatInt(b.UnixMilli(), 10)))
		}
	}
	if len(centres) == 0 {
		return nil, nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("backlog: %w", err)
	}
	open = make([]int64, len(centres))
	older = make([][]int64, len(centres))
	for i := range centres {
		open[i] = cards[i].Val()
		for _, c := range counts[i] {
			older[i] = append(older[i], c.Val())
		}
	}
	return open, older, nil
}

// rebuildBatch is how many tickets RebuildTallies reads and tallies at a
// time.
const rebuildBatch = 500

// RebuildTallies throws away the tallies of centres (every centre when
// empty) and makes them again from every ticket and feedback kept, with
// the store's Tallier: after an upgrade that changed what is tallied, or
// to check them. progress, when not nil, hears how many of the tickets and
// feedback were done, of how many. Changes made meanwhile are tallied as
// usual; a ticket changed between the throwing away and its turn is
// tallied once all the same (its record replaces, never adds twice).
func (s *Store) RebuildTallies(ctx context.Context, centres []string, progress func(done, total int)) error {
	if s.tallier == nil {
		return fmt.Errorf("rebuild tallies: no tallier: %w", shakwa.ErrInvalid)
	}
	only := map[string]bool{}
	for _, c := range centres {
		only[c] = true
	}
	if err := s.dropTallies(ctx, only); err != nil {
		return err
	}
	nt, err := s.rdb.ZCard(ctx, s.plain("created")).Result()
	if err != nil {
		return fmt.Errorf("rebuild tallies: %w", err)
	}
	nf, err := s.rdb.ZCard(ctx, s.plain("fb:created")).Result()
	if err != nil {
		return fmt.Errorf("rebuild tallies: %w", err)
	}
	total, done := int(nt+nf), 0
	report := func(n int) {
		done += n
		if progress != nil {
			progress(done, total)
		}
	}
	for start := int64(0); ; start += rebuildBatch {
		ids, err := s.rdb.ZRange(ctx, s.plain("created"), start, start+rebuildBatch-1).Result()
		if err != nil {
			return fmt.Errorf("rebuild tallies: %w", err)
		}
		ts, err := s.loadTickets(ctx, ids)
		if err != nil {
			return fmt.Errorf("rebuild tallies: %w", err)
		}
		var settle []func() error
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, t := range ts {
				if t != nil && (len(only) == 0 || only[t.Centre]) {
					f, err := s.tallyTicket(ctx, p, t, nil)
					if err != nil {
						return err
					}
					settle = append(settle, f)
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("rebuild tallies: %w", err)
		}
		for _, f := range settle {
			if err := f(); err != nil {
				return fmt.Errorf("rebuild tallies: %w", err)
			}
		}
		report(len(ids))
		if len(ids) < rebuildBatch {
			break
		}
	}
	for start := int64(0); ; start += rebuildBatch {
		ids, err := s.rdb.ZRange(ctx, s.plain("fb:created"), start, start+rebuildBatch-1).Result()
		if err != nil {
			return fmt.Errorf("rebuild tallies: %w", err)
		}
		fs, err := s.loadFeedback(ctx, ids)
		if err != nil {
			return fmt.Errorf("rebuild tallies: %w", err)
		}
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, f := range fs {
				if len(only) == 0 || only[f.Centre] {
					if err := s.tallyFeedback(ctx, p, f); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("rebuild tallies: %w", err)
		}
		report(len(ids))
		if len(ids) < rebuildBatch {
			break
		}
	}
	return nil
}

// dropTallies deletes the tally keys of the centres in only (all when
// empty), on every node.
func (s *Store) dropTallies(ctx context.Context, only map[string]bool) error {
	match := s.prefix + "agg:{*"
	drop := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, match, 1000).Iterator()
		var batch []string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			// One key at a time: in a Cluster the keys of one batch are
			// in many slots.
			pipe := c.Pipeline()
			for _, k := range batch {
				pipe.Unlink(ctx, k)
			}
			_, err := pipe.Exec(ctx)
			batch = batch[:0]
			return err
		}
		for iter.Next(ctx) {
			k := iter.Val()
			centre, _, _ := strings.Cut(strings.TrimPrefix(k, s.prefix+"agg:{"), "}")
			if len(only) > 0 && !only[centre] {
				continue
			}
			if batch = append(batch, k); len(batch) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return drop(ctx, n) })
	} else {
		err = drop(ctx, s.rdb)
	}
	if err != nil {
		return fmt.Errorf("drop tallies: %w", err)
	}
	return nil
}

// TallyMark is what the tallies were last made with (a Tallier's
// fingerprint, see SetTallyMark); "" when never.
func (s *Store) TallyMark(ctx context.Context) (string, error) {
	v, err := s.rdb.Get(ctx, s.plain("meta:tallies")).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("tally mark: %w", err)
	}
	return v, nil
}

// SetTallyMark records what the tallies were made with, once a rebuild
// made them so.
func (s *Store) SetTallyMark(ctx context.Context, mark string) error {
	if err := s.rdb.Set(ctx, s.plain("meta:tallies"), mark, 0).Err(); err != nil {
		return fmt.Errorf("tally mark: %w", err)
	}
	return nil
}
