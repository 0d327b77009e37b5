package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Jobs keep, per kind, under the kind as hash tag:
//
//	jobs:{KIND}        sorted set: job key -> when it is due (ms), or when its claim ends
//	jobs:{KIND}:orig   hash: job key -> when a claimed job was due (ms)
//	jobs:{KIND}:tries  hash: job key -> failed runs so far
//
// A claim moves the job's score to the end of its lease, so that a job
// whose runner died is due again once the lease is over; only the claim
// whose lease end is still the score may finish it.

func (s *Store) jobKeys(kind string) []string {
	k := s.key("jobs", kind)
	return []string{k, k + ":orig", k + ":tries"}
}

// scheduleScript sets a job's due time; the job starts afresh.
// KEYS: jobs, orig, tries. ARGV: key, due (ms), only if earlier ("1").
var scheduleScript = redis.NewScript(`
if ARGV[3] == '1' then
  local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if cur and tonumber(cur) <= tonumber(ARGV[2]) then return 0 end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`)

// ScheduleJob makes job key of kind due at due, replacing any time it had: a
// claim in progress can no longer finish it (its DoneJob reports false) and
// the job runs again at due.
func (s *Store) ScheduleJob(ctx context.Context, kind, key string, due time.Time) error {
	if !validCode(kind) || key == "" {
		return fmt.Errorf("schedule %s job: kind or key: %w", kind, shakwa.ErrInvalid)
	}
	if b := batchOf(ctx); b != nil {
		// Kept even if the handling fails (see Discard): it may have made
		// the change the job follows up (a resolution that closes on its
		// own), and a job finds out for itself when there is nothing to do.
		b.later(write{add: evalLater(scheduleScript, s.jobKeys(kind), key, due.UnixMilli(), "0"), always: true})
		return nil
	}
	if err := scheduleScript.Run(ctx, s.rdb, s.jobKeys(kind), key, due.UnixMilli(), "0").Err(); err != nil {
		return fmt.Errorf("schedule %s job %s: %w", kind, key, err)
	}
	return nil
}

// UnscheduleJob removes job key of kind; it is not an error if there is none.
func (s *Store) UnscheduleJob(ctx context.Context, kind, key string) error {
	keys := s.jobKeys(kind)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, keys[0], key)
		p.HDel(ctx, keys[1], key)
		p.HDel(ctx, keys[2], key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("unschedule %s job %s: %w", kind, key, err)
	}
	return nil
}

// JobDue returns when job key of kind is due (or its claim ends), and
// whether it is scheduled at all.
func (s *Store) JobDue(ctx context.Context, kind, key string) (time.Time, bool, error) {
	v, err := s.rdb.ZScore(ctx, s.jobKeys(kind)[0], key).Result()
	if err == redis.Nil {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%s job %s: %w", kind, key, err)
	}
	return time.UnixMilli(int64(v)).UTC(), true, nil
}

// claimScript claims up to ARGV[3] due jobs for a lease.
// KEYS: jobs, orig, tries. ARGV: now (ms), lease end (ms), limit.
// Reply: key, due, attempts for each job claimed.
var claimScript = redis.NewScript(`
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[3]), 'WITHSCORES')
local out = {}
for i = 1, #due, 2 do
  local key, score = due[i], due[i + 1]
  redis.call('HSETNX', KEYS[2], key, score)
  redis.call('ZADD', KEYS[1], ARGV[2], key)
  out[#out + 1] = key
  out[#out + 1] = redis.call('HGET', KEYS[2], key)
  out[#out + 1] = redis.call('HGET', KEYS[3], key) or '0'
end
return out
`)

// ClaimJobs claims up to limit jobs of kind due at or before now, earliest
// first, for lease: no other ClaimJobs gets them until it ends. The runner
// ends each claim with DoneJob, RetryJob or ReleaseJob; a claim that ends on its
// own (the runner died) makes the job due again.
func (s *Store) ClaimJobs(ctx context.Context, kind string, now time.Time, lease time.Duration, limit int) ([]shakwa.Job, error) {
	until := now.Add(positive(lease)).UnixMilli()
	res, err := claimScript.Run(ctx, s.rdb, s.jobKeys(kind), now.UnixMilli(), until, max(limit, 1)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("claim %s jobs: %w", kind, err)
	}
	jobs := make([]shakwa.Job, 0, len(res)/3)
	for i := 0; i+2 < len(res); i += 3 {
		due, err1 := strconv.ParseFloat(res[i+1], 64)
		n, err2 := strconv.Atoi(res[i+2])
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("claim %s jobs: unreadable job %q", kind, res[i])
		}
		jobs = append(jobs, shakwa.Job{Kind: kind, Key: res[i], Due: time.UnixMilli(int64(due)).UTC(), Token: until, Attempts: n})
	}
	return jobs, nil
}

// endScript ends a claim, if it still holds the job: done (remove it, or
// schedule it at ARGV[4] when that is not 0), retry (due at ARGV[4], one
// more failure) or release (due at ARGV[4], no failure).
// KEYS: jobs, orig, tries. ARGV: key, token, mode, at (ms).
// Reply: 0 the claim no longer held the job; else 1, or the failures so
// far for retry.
var endScript = redis.NewScript(`
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur or tonumber(cur) ~= tonumber(ARGV[2]) then return 0 end
local mode, at = ARGV[3], tonumber(ARGV[4])
if mode == 'done' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  if at == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], at, ARGV[1]) end
  return 1
end
redis.call('ZADD', KEYS[1], at, ARGV[1])
if mode == 'retry' then return redis.call('HINCRBY', KEYS[3], ARGV[1], 1) end
return 1
`)

// DoneJob ends the claim j: the job is removed, or, when next is not
// zero, scheduled afresh at next (a recurring job). It reports false when
// the claim no longer held the job (it was scheduled anew meanwhile, or
// the lease ended and another claim took it); nothing changes then.
func (s *Store) DoneJob(ctx context.Context, j shakwa.Job, next time.Time) (bool, error) {
	var at int64
	if !next.IsZero() {
		at = next.UnixMilli()
	}
	n, err := s.endClaim(ctx, j, "done", at)
	return n > 0, err
}

// RetryJob ends the claim j with a failure: the job is due again at
// at. It returns the failures so far, this one included, or 0 when the
// claim no longer held the job.
func (s *Store) RetryJob(ctx context.Context, j shakwa.Job, at time.Time) (int, error) {
	return s.endClaim(ctx, j, "retry", at.UnixMilli())
}

// ReleaseJob ends the claim j without running it: the job is due
// again at at, no failure counted. The runner is stopping.
func (s *Store) ReleaseJob(ctx context.Context, j shakwa.Job, at time.Time) error {
	_, err := s.endClaim(ctx, j, "release", at.UnixMilli())
	return err
}

func (s *Store) endClaim(ctx context.Context, j shakwa.Job, mode string, at int64) (int, error) {
	n, err := endScript.Run(ctx, s.rdb, s.jobKeys(j.Kind), j.Key, j.Token, mode, at).Int()
	if err != nil {
		return 0, fmt.Errorf("%s %s job %s: %w", mode, j.Kind, j.Key, err)
	}
	return n, nil
}

// takeScript gives KEYS[1] to ARGV[1] unless another has it, for ARGV[2]
// ms, and returns who has it.
var takeScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
`)

// untakeScript gives KEYS[1] back when ARGV[1] has it.
var untakeScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)

// Untake gives back the work of names that owner took (see Take) and
// could not do, so that whoever comes to it next takes it; work another
// took stays theirs. All of names go in one round trip (one a node on a
// Cluster).
func (s *Store) Untake(ctx context.Context, owner string, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	cmds := make([]*redis.Cmd, len(names))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, name := range names {
			cmds[i] = untakeScript.Eval(ctx, p, []string{s.key("take", name)}, owner)
		}
		return nil
	})
	for i, c := range cmds {
		if err := c.Err(); err != nil {
			return fmt.Errorf("untake %s: %w", names[i], err)
		}
	}
	if err != nil {
		return fmt.Errorf("untake: %w", err)
	}
	return nil
}

// Take gives the work named name to owner for ttl, unless someone took it
// first, and returns who has it: owner when it is theirs (taken now, or by
// them before, so that a run tried again finds its own). Jobs use it to
// share work: one run does what several would have done each.
func (s *Store) Take(ctx context.Context, name, owner string, ttl time.Duration) (string, error) {
	v, err := takeScript.Run(ctx, s.rdb, []string{s.key("take", name)}, owner, positive(ttl).Milliseconds()).Text()
	if err != nil {
		return "", fmt.Errorf("take %s: %w", name, err)
	}
	return v, nil
}
