package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Self-assessments are one hash per centre and month, qa:{KRM}:2026-11,
// with the fields opened and done (Unix milliseconds), done_by, and
// a:CODE holding the JSON of the answer on standard CODE.
const (
	fQAOpened = "opened"
	fQADone   = "done"
	fQADoneBy = "done_by"
	qaAnswer  = "a:"
)

// assessmentKey names the self-assessment of centre in month.
func (s *Store) assessmentKey(centre, month string) string { return s.key("qa", centre) + ":" + month }

// validMonth reports whether m is a month written YYYY-MM.
func validMonth(m string) bool {
	t, err := time.Parse("2006-01", m)
	return err == nil && t.Format("2006-01") == m
}

// validMark reports whether m is one of the marks of a standard.
func validMark(m string) bool {
	return m == shakwa.MarkMet || m == shakwa.MarkPartly || m == shakwa.MarkUnmet
}

// OpenAssessment records that the self-assessment of centre in month
// began at at, unless it began before; opened reports whether this call
// recorded it. It returns an error wrapping shakwa.ErrInvalid when the
// centre code is not one (see CreateTicket), month is not written
// YYYY-MM or at is zero.
func (s *Store) OpenAssessment(ctx context.Context, centre, month string, at time.Time) (opened bool, err error) {
	if !validCode(centre) || !validMonth(month) || at.IsZero() {
		return false, fmt.Errorf("open assessment: need a centre code, a month (YYYY-MM) and a time: %w", shakwa.ErrInvalid)
	}
	opened, err = s.rdb.HSetNX(ctx, s.assessmentKey(centre, month), fQAOpened, at.UnixMilli()).Result()
	if err != nil {
		return false, fmt.Errorf("open assessment of %s in %s: %w", centre, month, err)
	}
	return opened, nil
}

// answerScript keeps an answer unless its standard has one, and marks the
// assessment done when that answer was the last one missing.
// KEYS: assessment. ARGV: answer field, answer JSON, at (ms), by, then the
// answer fields of every standard. It returns {stored, done}.
var answerScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {0, 0} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSETNX', KEYS[1], 'opened', ARGV[3])
if redis.call('HEXISTS', KEYS[1], 'done') == 1 then return {1, 0} end
for i = 5, #ARGV do
	if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return {1, 0} end
end
redis.call('HSET', KEYS[1], 'done', ARGV[3], 'done_by', ARGV[4])
return {1, 1}
`)

// withdrawScript takes the answer ARGV[1] back from an assessment that is
// not done, and returns how many it took (0 or 1). KEYS: assessment.
var withdrawScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'done') == 1 then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])
`)

// WithdrawAnswer takes back the answer on standard criterion of centre's
// self-assessment in month, so that it is asked again (a mis-tapped
// answer), while the assessment is not done; it reports whether there was
// one to take. A done assessment stays as it is.
func (s *Store) WithdrawAnswer(ctx context.Context, centre, month, criterion string) (bool, error) {
	if !validCode(centre) || !validMonth(month) || criterion == "" {
		return false, fmt.Errorf("withdraw answer: need a centre code, a month (YYYY-MM) and a criterion: %w", shakwa.ErrInvalid)
	}
	n, err := withdrawScript.Run(ctx, s.rdb, []string{s.assessmentKey(centre, month)}, qaAnswer+criterion).Int()
	if err != nil {
		return false, fmt.Errorf("withdraw answer of %s in %s: %w", centre, month, err)
	}
	return n == 1, nil
}

// assessDoneScript marks an assessment done at ARGV[1] by ARGV[2] when it is
// not and every standard of ARGV[3..] has its answer. KEYS: assessment.
var assessDoneScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'done') == 1 or redis.call('HEXISTS', KEYS[1], 'opened') == 0 then return 0 end
for i = 3, #ARGV do
	if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return 0 end
end
redis.call('HSET', KEYS[1], 'done', ARGV[1], 'done_by', ARGV[2])
return 1
`)

// FinishAssessment marks the open self-assessment of centre in month done,
// at at by by, when every standard of all has its answer already: the
// standards changed since its last answer (one was taken out of the
// configuration), so no answer will complete it. It reports whether this
// call did.
func (s *Store) FinishAssessment(ctx context.Context, centre, month string, at time.Time, by string, all []string) (bool, error) {
	if !validCode(centre) || !validMonth(month) || at.IsZero() || len(all) == 0 {
		return false, fmt.Errorf("finish assessment: need a centre code, a month (YYYY-MM), a time and standards: %w", shakwa.ErrInvalid)
	}
	args := []any{at.UnixMilli(), by}
	for _, code := range all {
		args = append(args, qaAnswer+code)
	}
	n, err := assessDoneScript.Run(ctx, s.rdb, []string{s.assessmentKey(centre, month)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("finish assessment of %s in %s: %w", centre, month, err)
	}
	return n == 1, nil
}

// AnswerAssessment keeps a as the answer on standard a.Criterion in the
// self-assessment of centre in month, in one step, unless that standard
// has an answer already: then nothing changes and stored is false (the
// button was pressed twice, or another supervisor answered first; the
// first answer stays). A stored answer opens the assessment at a.At if it
// was not open. all lists the codes of every standard: when a's answer is
// the last of them missing, the assessment is done, at a.At by a.By, and
// done is true; only the call that completes it reports done.
//
// It returns an error wrapping shakwa.ErrInvalid when the centre code or
// month is not one (see OpenAssessment), or a lacks its criterion, a
// known mark, By or At.
func (s *Store) AnswerAssessment(ctx context.Context, centre, month string, a shakwa.Answer, all []string) (stored, done bool, err error) {
	if !validCode(centre) || !validMonth(month) || a.Criterion == "" || !validMark(a.Mark) || a.By == "" || a.At.IsZero() {
		return false, false, fmt.Errorf("answer assessment: need a centre code, a month (YYYY-MM), a criterion, a mark, who and when: %w", shakwa.ErrInvalid)
	}
	a.At = a.At.UTC()
	b, err := json.Marshal(a)
	if err != nil {
		return false, false, fmt.Errorf("answer assessment of %s in %s: %w", centre, month, err)
	}
	args := make([]any, 0, 4+len(all))
	args = append(args, qaAnswer+a.Criterion, b, a.At.UnixMilli(), a.By)
	for _, code := range all {
		args = append(args, qaAnswer+code)
	}
	res, err := answerScript.Run(ctx, s.rdb, []string{s.assessmentKey(centre, month)}, args...).Int64Slice()
	if err != nil {
		return false, false, fmt.Errorf("answer assessment of %s in %s: %w", centre, month, err)
	}
	if len(res) != 2 {
		return false, false, fmt.Errorf("answer assessment of %s in %s: reply of %d values", centre, month, len(res))
	}
	return res[0] == 1, res[1] == 1, nil
}

// Assessment returns the self-assessment of centre in month. When there
// is none its Opened is zero; Centre and Month are always filled in, and
// Answers is never nil. It returns an error wrapping shakwa.ErrInvalid
// when the centre code or month is not one (see OpenAssessment).
func (s *Store) Assessment(ctx context.Context, centre, month string) (shakwa.Assessment, error) {
	as, err := s.Assessments(ctx, []string{centre}, month)
	if err != nil {
		return shakwa.Assessment{}, err
	}
	return as[0], nil
}

// Assessments returns the self-assessments of centres in month, in the
// order given, in one round trip; each is as Assessment returns it. It
// returns an error wrapping shakwa.ErrInvalid when a centre code or the
// month is not one (see OpenAssessment).
func (s *Store) Assessments(ctx context.Context, centres []string, month string) ([]shakwa.Assessment, error) {
	months := make([]string, len(centres))
	for i := range months {
		months[i] = month
	}
	return s.assessments(ctx, centres, months)
}

// AssessmentMonths returns centre's self-assessments of months, in the
// order given, in one round trip: a month and the one before it, say.
// Errors are as Assessments'.
func (s *Store) AssessmentMonths(ctx context.Context, centre string, months ...string) ([]shakwa.Assessment, error) {
	centres := make([]string, len(months))
	for i := range centres {
		centres[i] = centre
	}
	return s.assessments(ctx, centres, months)
}

// assessments reads the assessment of centres[i] in months[i], for every
// i, in one round trip.
func (s *Store) assessments(ctx context.Context, centres, months []string) ([]shakwa.Assessment, error) {
	for i, c := range centres {
		if !validMonth(months[i]) {
			return nil, fmt.Errorf("assessments of %s: need a month (YYYY-MM): %w", months[i], shakwa.ErrInvalid)
		}
		if !validCode(c) {
			return nil, fmt.Errorf("assessments of %s: centre code %q: %w", months[i], c, shakwa.ErrInvalid)
		}
	}
	if len(centres) == 0 {
		return []shakwa.Assessment{}, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(centres))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range centres {
			cmds[i] = p.HGetAll(ctx, s.assessmentKey(c, months[i]))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("assessments: %w", err)
	}
	out := make([]shakwa.Assessment, len(centres))
	for i, c := range cmds {
		a, err := parseAssessment(centres[i], months[i], c.Val())
		if err != nil {
			return nil, fmt.Errorf("assessment of %s in %s: %w", centres[i], months[i], err)
		}
		out[i] = a
	}
	return out, nil
}

// parseAssessment reads an assessment hash, which may be empty.
func parseAssessment(centre, month string, m map[string]string) (shakwa.Assessment, error) {
	a := shakwa.Assessment{Centre: centre, Month: month, DoneBy: m[fQADoneBy], Answers: map[string]shakwa.Answer{}}
	var err error
	if a.Opened, err = parseMillis(m, fQAOpened); err != nil {
		return a, err
	}
	if a.Done, err = parseMillis(m, fQADone); err != nil {
		return a, err
	}
	for f, v := range m {
		code, ok := strings.CutPrefix(f, qaAnswer)
		if !ok {
			continue
		}
		var ans shakwa.Answer
		if err := json.Unmarshal([]byte(v), &ans); err != nil {
			return a, fmt.Errorf("answer %s: %w", code, err)
		}
		a.Answers[code] = ans
	}
	return a, nil
}

// parseMillis reads an optional time field kept as Unix milliseconds.
func parseMillis(m map[string]string, name string) (time.Time, error) {
	s := m[name]
	if s == "" {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %s: %w", name, err)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// Mystery-shopper visits: visit:{V-000001} holds a visit's JSON,
// visit:{V-000001}:released the JSON of its released and released_by
// fields once a manager released it, and visit:{V-000001}:discarded that
// of its discarded and discarded_by once one discarded it instead: one
// hash tag, so that a script decides between the two on a Cluster too.
// visits:{KRM} indexes a centre's visits by the start of their day, and
// fileuse:{FILE} has a visit whose photos include FILE, as it has tickets. visit:{seq} counts them, and
// visit:{seq}:once:OPAQUE keeps the number given to what filed one. The
// counter and its once keys share a hash tag, so that reserveScript takes
// a number and keeps it in one step on a Cluster too; visit ids begin
// with "V-", so visit:{seq} is no visit's key.
func (s *Store) visitKey(id string) string      { return s.key("visit", id) }
func (s *Store) releasedKey(id string) string   { return s.key("visit", id) + ":released" }
func (s *Store) discardedKey(id string) string  { return s.key("visit", id) + ":discarded" }
func (s *Store) visitsKey(centre string) string { return s.key("visits", centre) }
func (s *Store) visitSeqKey() string            { return s.key("visit", "seq") }

// visitOnceKey names the number kept for once; with an empty once, a key
// that is never set.
func (s *Store) visitOnceKey(once string) string {
	if once == "" {
		return s.visitSeqKey() + ":once:"
	}
	return s.visitSeqKey() + ":once:" + s.opaque("visit:once:"+once)
}

func visitID(n int64) string { return fmt.Sprintf("V-%06d", n) }

// visitFiles are the files of the file store that v's photos keep.
func visitFiles(v *shakwa.Visit) []string {
	var out []string
	for _, a := range v.Attachments {
		if a.File != "" && !slices.Contains(out, a.File) {
			out = append(out, a.File)
		}
	}
	return out
}

// visitOnceTTL is how long a visit number stays reserved for what filed
// it: longer than any platform resends an update.
const visitOnceTTL = 48 * time.Hour

// AddVisit keeps v as a new visit on the day that starts at day (in the
// centre's zone). It assigns v.ID (V-000001 and so on, increasing), and
// fills in v.Day from day when it is empty; the caller sets the rest.
// Released and ReleasedBy start empty whatever v holds.
//
// once names what files the visit (the platform update, say): a second
// AddVisit with the same once key within 48 hours files nothing new and
// sets v to the visit as first filed. An empty once files a new visit
// every time.
//
// It returns an error wrapping shakwa.ErrInvalid when v's centre code is
// not one (see CreateTicket), v.By is empty or day is zero.
func (s *Store) AddVisit(ctx context.Context, v *shakwa.Visit, day time.Time, once string) error {
	if v == nil || !validCode(v.Centre) || v.By == "" || day.IsZero() {
		return fmt.Errorf("add visit: need a centre code, an evaluator and a day: %w", shakwa.ErrInvalid)
	}
	ttl := int64(0)
	if once != "" {
		ttl = visitOnceTTL.Milliseconds()
	}
	n, err := reserveScript.Run(ctx, s.rdb, []string{s.visitSeqKey(), s.visitOnceKey(once)}, ttl).Int64()
	if err != nil {
		return fmt.Errorf("add visit to %s: next number: %w", v.Centre, err)
	}
	nv := *v
	nv.ID, nv.Filed, nv.Released, nv.ReleasedBy = visitID(n), v.Filed.UTC(), time.Time{}, ""
	if nv.Day == "" {
		nv.Day = day.Format(time.DateOnly)
	}
	b, err := json.Marshal(&nv)
	if err != nil {
		return fmt.Errorf("add visit %s: %w", nv.ID, err)
	}
	// The index entries first: a crash after them leaves an entry readers
	// skip (or a file kept), never a visit no index knows. NX keeps the
	// day of a visit filed before under the same once key.
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAddNX(ctx, s.visitsKey(nv.Centre), redis.Z{Score: score(day), Member: nv.ID})
		for _, file := range visitFiles(&nv) {
			p.ZAddNX(ctx, s.fileUseKey(file), redis.Z{Score: score(nv.Filed), Member: nv.ID})
		}
		return nil
	}); err != nil {
		return fmt.Errorf("add visit %s: %w", nv.ID, err)
	}
	ok, err := s.rdb.SetNX(ctx, s.visitKey(nv.ID), b, 0).Result()
	if err != nil {
		return fmt.Errorf("add visit %s: %w", nv.ID, err)
	}
	if !ok {
		if once == "" {
			return fmt.Errorf("add visit %s: number already used: %w", nv.ID, shakwa.ErrConflict)
		}
		// Filed by an earlier try of the same update: that visit it is.
		first, err := s.Visit(ctx, nv.ID)
		if err != nil {
			return fmt.Errorf("add visit again: %w", err)
		}
		// Take back the entries of what the retry named that the first
		// did not: another centre, other photos.
		if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			if first.Centre != nv.Centre {
				p.ZRem(ctx, s.visitsKey(nv.Centre), nv.ID)
			}
			for _, file := range visitFiles(&nv) {
				if !slices.Contains(visitFiles(first), file) {
					p.ZRem(ctx, s.fileUseKey(file), nv.ID)
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("add visit again %s: %w", nv.ID, err)
		}
		nv = *first
	}
	*v = nv
	return nil
}

// Visit returns visit id, with whether and by whom it was released or
// discarded (a discarded visit is still found here, and only here). It
// returns an error wrapping shakwa.ErrNotFound when there is none.
func (s *Store) Visit(ctx context.Context, id string) (*shakwa.Visit, error) {
	vs, err := s.loadVisits(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if vs[0] == nil {
		return nil, fmt.Errorf("visit %s: %w", id, shakwa.ErrNotFound)
	}
	return vs[0], nil
}

// Visits returns the visits to centres whose day starts in [from, to),
// oldest first (visits of one day by id), in two round trips at most.
// Visits discarded, or whose record is missing, are left out.
func (s *Store) Visits(ctx context.Context, centres []string, from, to time.Time) ([]*shakwa.Visit, error) {
	if len(centres) == 0 || !from.Before(to) {
		return []*shakwa.Visit{}, nil
	}
	// Scores are whole milliseconds: [from, to) is [⌈from⌉, ⌈to⌉) of them.
	lo, hi := strconv.FormatInt(ceilMillis(from), 10), "("+strconv.FormatInt(ceilMillis(to), 10)
	cmds := make([]*redis.ZSliceCmd, len(centres))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range centres {
			cmds[i] = p.ZRangeByScoreWithScores(ctx, s.visitsKey(c), &redis.ZRangeBy{Min: lo, Max: hi})
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("visits from %s to %s: %w", fmtTime(from), fmtTime(to), err)
	}
	type entry struct {
		id     string
		centre string
		at     float64
	}
	var entries []entry
	seen := map[string]bool{}
	for i, c := range cmds {
		for _, z := range c.Val() {
			id, _ := z.Member.(string)
			if seen[id] {
				continue
			}
			seen[id] = true
			entries = append(entries, entry{id, centres[i], z.Score})
		}
	}
	if len(entries) == 0 {
		return []*shakwa.Visit{}, nil
	}
	slices.SortFunc(entries, func(a, b entry) int {
		// By id as numbers: V-999999 before V-1000000.
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(len(a.id), len(b.id)), strings.Compare(a.id, b.id))
	})
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.id
	}
	vs, err := s.loadVisits(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*shakwa.Visit, 0, len(vs))
	for i, v := range vs {
		// An entry a retry left under another centre names a visit that
		// is not that centre's; one of a visit discarded may stay if
		// DiscardVisit stopped before taking it out.
		if v != nil && v.Centre == entries[i].centre && v.Discarded.IsZero() {
			out = append(out, v)
		}
	}
	return out, nil
}

// ceilMillis is t in Unix milliseconds, rounded up.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli() // rounded down
	if time.UnixMilli(ms).Before(t) {
		ms++
	}
	return ms
}

// loadVisits reads the visits ids in one pipeline. Missing visits are nil
// in the result.
func (s *Store) loadVisits(ctx context.Context, ids []string) ([]*shakwa.Visit, error) {
	cmds := make([]*redis.SliceCmd, len(ids))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.MGet(ctx, s.visitKey(id), s.releasedKey(id), s.discardedKey(id))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("load visits: %w", err)
	}
	out := make([]*shakwa.Visit, len(ids))
	for i, c := range cmds {
		vals := c.Val()
		if len(vals) != 3 {
			return nil, fmt.Errorf("visit %s: reply of %d values", ids[i], len(vals))
		}
		rec, _ := vals[0].(string)
		if rec == "" {
			continue
		}
		rel, _ := vals[1].(string)
		dis, _ := vals[2].(string)
		v, err := parseVisit(ids[i], rec, rel, dis)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// parseVisit reads a visit's record and, when it was released or
// discarded, the record of that ("" when not).
func parseVisit(id, rec, released, discarded string) (*shakwa.Visit, error) {
	v := &shakwa.Visit{}
	if err := json.Unmarshal([]byte(rec), v); err != nil {
		return nil, fmt.Errorf("visit %s: %w", id, err)
	}
	if released != "" {
		if err := json.Unmarshal([]byte(released), v); err != nil {
			return nil, fmt.Errorf("visit %s: released: %w", id, err)
		}
	}
	if discarded != "" {
		if err := json.Unmarshal([]byte(discarded), v); err != nil {
			return nil, fmt.Errorf("visit %s: discarded: %w", id, err)
		}
	}
	return v, nil
}

// decideScript records a visit's release (ARGV[1] 2) or its discard (3)
// unless it was released or discarded before: the one excludes the other.
// KEYS: visit, released, discarded. ARGV[2]: the JSON of what it records.
// It returns nil for no such visit, else {visit, release, discard, 1 when
// this call recorded it}, with "" for a release or discard there is not.
var decideScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local r = redis.call('GET', KEYS[2])
local d = redis.call('GET', KEYS[3])
if r or d then return {v, r or '', d or '', 0} end
local k = tonumber(ARGV[1])
redis.call('SET', KEYS[k], ARGV[2])
if k == 2 then return {v, ARGV[2], '', 1} end
return {v, '', ARGV[2], 1}
`)

// What decideScript records: the index of its key.
const (
	decideRelease = 2
	decideDiscard = 3
)

// ReleaseVisit releases visit id to its centre, recording by and at, and
// returns it as stored. released is false when it was released before (a
// second press) or discarded: then it stays as it was, and v says which.
// It returns an error wrapping shakwa.ErrNotFound when there is no such
// visit, and one wrapping shakwa.ErrInvalid when by is empty or at is
// zero.
func (s *Store) ReleaseVisit(ctx context.Context, id, by string, at time.Time) (v *shakwa.Visit, released bool, err error) {
	if by == "" || at.IsZero() {
		return nil, false, fmt.Errorf("release visit %s: need who and when: %w", id, shakwa.ErrInvalid)
	}
	rel, err := json.Marshal(struct {
		Released   time.Time `json:"released"`
		ReleasedBy string    `json:"released_by"`
	}{at.UTC(), by})
	if err != nil {
		return nil, false, fmt.Errorf("release visit %s: %w", id, err)
	}
	v, released, err = s.decideVisit(ctx, decideRelease, id, rel)
	if err != nil {
		return nil, false, fmt.Errorf("release %w", err)
	}
	return v, released, nil
}

// DiscardVisit discards visit id, filed by mistake, recording by and at:
// it is never released, and no longer among Visits, so it counts
// nowhere. The record stays, for Visit to say it was discarded, and the
// audit record (see AuditLog) has who discarded it and when. discarded
// is false when it was discarded before (a second press, another manager
// first) or released (a released visit stays): then nothing changes, and
// v says which. Errors are as ReleaseVisit's.
//
// The visit leaves its centre's index and its photos' entries in the file
// use index (see FileUsed) right after, on every call that finds it
// discarded: a call that stopped in between is completed by the next.
func (s *Store) DiscardVisit(ctx context.Context, id, by string, at time.Time) (v *shakwa.Visit, discarded bool, err error) {
	if by == "" || at.IsZero() {
		return nil, false, fmt.Errorf("discard visit %s: need who and when: %w", id, shakwa.ErrInvalid)
	}
	dis, err := json.Marshal(struct {
		Discarded   time.Time `json:"discarded"`
		DiscardedBy string    `json:"discarded_by"`
	}{at.UTC(), by})
	if err != nil {
		return nil, false, fmt.Errorf("discard visit %s: %w", id, err)
	}
	v, discarded, err = s.decideVisit(ctx, decideDiscard, id, dis)
	if err != nil {
		return nil, false, fmt.Errorf("discard %w", err)
	}
	if v.Discarded.IsZero() {
		return v, false, nil // released
	}
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.visitsKey(v.Centre), v.ID)
		for _, file := range visitFiles(v) {
			p.ZRem(ctx, s.fileUseKey(file), v.ID)
		}
		return nil
	}); err != nil {
		return v, discarded, fmt.Errorf("discard visit %s: indexes: %w", id, err)
	}
	if discarded {
		e := shakwa.AuditEntry{At: v.Discarded, Kind: "discarded", By: by, Who: v.By,
			What: v.ID + " " + v.Centre + " " + v.Day}
		if err := s.Audit(ctx, e); err != nil {
			return v, true, fmt.Errorf("discard visit %s: %w", id, err)
		}
	}
	return v, discarded, nil
}

// decideVisit records what (decideRelease, decideDiscard) of visit id,
// as arg says, unless it was released or discarded before, and returns
// the visit as stored and whether this call recorded it.
func (s *Store) decideVisit(ctx context.Context, what int, id string, arg []byte) (*shakwa.Visit, bool, error) {
	keys := []string{s.visitKey(id), s.releasedKey(id), s.discardedKey(id)}
	res, err := decideScript.Run(ctx, s.rdb, keys, what, arg).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, false, fmt.Errorf("visit %s: %w", id, shakwa.ErrNotFound)
	}
	if err != nil {
		return nil, false, fmt.Errorf("visit %s: %w", id, err)
	}
	if len(res) != 4 {
		return nil, false, fmt.Errorf("visit %s: reply of %d values", id, len(res))
	}
	rec, _ := res[0].(string)
	rel, _ := res[1].(string)
	dis, _ := res[2].(string)
	n, _ := res[3].(int64)
	v, err := parseVisit(id, rec, rel, dis)
	if err != nil {
		return nil, false, err
	}
	return v, n == 1, nil
}
