package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// AddFeedback stores f, given by the citizen at from, and assigns f.ID
// ("F-" and a six-digit number) and f.Citizen (from's opaque id; from
// itself is kept on the person's record only). The caller sets Created.
// It returns an error wrapping shakwa.ErrInvalid when the kind, centre,
// citizen or creation time is missing.
func (s *Store) AddFeedback(ctx context.Context, f *shakwa.Feedback, from shakwa.Address) error {
	if f == nil || f.Kind == "" || f.Centre == "" || f.Created.IsZero() || from.IsZero() {
		return fmt.Errorf("add feedback: need kind, centre and creation time: %w", shakwa.ErrInvalid)
	}
	n, err := s.rdb.Incr(ctx, s.plain("fb:seq")).Result()
	if err != nil {
		return fmt.Errorf("add feedback: next number: %w", err)
	}
	id := fmt.Sprintf("F-%06d", n)
	// Index first, so a crash leaves an entry readers skip, never a lost
	// record. Readers never remove entries, so this cannot race with them.
	key := s.plain("fb:created")
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		s.rememberPerson(ctx, p, from, f.Created)
		p.ZAdd(ctx, key, redis.Z{Score: score(f.Created), Member: id})
		p.SAdd(ctx, s.key("fbby", s.PersonID(from)), id) // what ForgetPerson erases
		return nil
	}); err != nil {
		return fmt.Errorf("add feedback %s: index: %w", id, err)
	}
	nf := *f
	nf.ID, nf.Citizen = id, s.PersonID(from)
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.key("fb", id), feedbackFields(&nf)...)
		return s.tallyFeedback(ctx, p, &nf)
	}); err != nil {
		return fmt.Errorf("add feedback %s: %w", id, err)
	}
	f.ID, f.Citizen = id, nf.Citizen
	return nil
}

// FeedbackCreated returns the feedback given in [from, to), oldest first.
func (s *Store) FeedbackCreated(ctx context.Context, from, to time.Time) ([]*shakwa.Feedback, error) {
	ids, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.plain("fb:created"), Start: msMin(from), Stop: msMax(to), ByScore: true,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("feedback created: %w", err)
	}
	fs, err := s.loadFeedback(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("feedback created: %w", err)
	}
	var out []*shakwa.Feedback
	for _, f := range fs {
		if within(f.Created, from, to) {
			out = append(out, f)
		}
	}
	return out, nil
}

// loadFeedback reads the feedback ids, in order, skipping any that are
// indexed but were never written (their writer stopped).
func (s *Store) loadFeedback(ctx context.Context, ids []string) ([]*shakwa.Feedback, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.key("fb", id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	var out []*shakwa.Feedback
	for _, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		f, err := parseFeedback(c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
