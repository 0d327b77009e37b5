package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

func (s *Store) inviteKey(code string) string { return s.plain("invite:" + s.opaque("invite:"+code)) }
func (s *Store) membersKey() string           { return s.plain("members") }
func (s *Store) auditKey() string             { return s.plain("audit:log") }

// auditCap is how many entries the audit record keeps.
const auditCap = 10_000

// CreateInvite keeps code, for ttl, as giving inv to whoever joins with
// it first; it returns shakwa.ErrConflict when the code is taken. The code
// is kept by its opaque name only.
func (s *Store) CreateInvite(ctx context.Context, code string, inv shakwa.Invite, ttl time.Duration) error {
	b, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	entry, err := json.Marshal(shakwa.AuditEntry{At: inv.At, Kind: "invited", By: inv.By, Role: string(inv.Role)})
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	ok, err := s.rdb.SetNX(ctx, s.inviteKey(code), b, ttl).Result()
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	if !ok {
		return fmt.Errorf("create invite: code taken: %w", shakwa.ErrConflict)
	}
	return s.audit(ctx, entry)
}

// Join uses code, once: the person m gets what its invite gives, and the
// record says so. It returns shakwa.ErrNotFound for a code that is
// unknown, used or expired.
func (s *Store) Join(ctx context.Context, code string, m shakwa.Member) (shakwa.Member, error) {
	raw, err := s.rdb.GetDel(ctx, s.inviteKey(code)).Bytes()
	if errors.Is(err, redis.Nil) {
		return shakwa.Member{}, fmt.Errorf("join: %w", shakwa.ErrNotFound)
	}
	if err != nil {
		return shakwa.Member{}, fmt.Errorf("join: %w", err)
	}
	var inv shakwa.Invite
	if err := json.Unmarshal(raw, &inv); err != nil {
		return shakwa.Member{}, fmt.Errorf("join: %w", err)
	}
	m.Role, m.Centres, m.By = inv.Role, inv.Centres, inv.By
	b, err := json.Marshal(m)
	if err != nil {
		return shakwa.Member{}, fmt.Errorf("join: %w", err)
	}
	entry, err := json.Marshal(shakwa.AuditEntry{At: m.At, Kind: "joined", By: inv.By, Who: strconv.FormatInt(m.Telegram, 10), Role: string(m.Role)})
	if err != nil {
		return shakwa.Member{}, fmt.Errorf("join: %w", err)
	}
	if err := s.rdb.HSet(ctx, s.membersKey(), strconv.FormatInt(m.Telegram, 10), b).Err(); err != nil {
		return shakwa.Member{}, fmt.Errorf("join: %w", err)
	}
	return m, s.audit(ctx, entry)
}

// Member returns the person with Telegram id who joined with an invite;
// ok is false when there is none.
func (s *Store) Member(ctx context.Context, id int64) (m shakwa.Member, ok bool, err error) {
	k, err := s.readVia(ctx, read{key: s.membersKey(), field: strconv.FormatInt(id, 10)})
	if err != nil || k.absent {
		return shakwa.Member{}, false, err
	}
	if err := json.Unmarshal([]byte(k.v), &m); err != nil {
		return shakwa.Member{}, false, fmt.Errorf("member %d: %w", id, err)
	}
	return m, true, nil
}

// PreloadMember has Member(ctx, id) read with the batch's Begin.
func (s *Store) PreloadMember(ctx context.Context, id int64) {
	batchOf(ctx).readAhead(read{key: s.membersKey(), field: strconv.FormatInt(id, 10)})
}

// Members returns everyone who joined with an invite.
func (s *Store) Members(ctx context.Context) ([]shakwa.Member, error) {
	all, err := s.rdb.HGetAll(ctx, s.membersKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	out := make([]shakwa.Member, 0, len(all))
	for id, v := range all {
		var m shakwa.Member
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, fmt.Errorf("member %s: %w", id, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Revoke takes the role of member id away, recording by; ok is false when
// id joined with no invite.
func (s *Store) Revoke(ctx context.Context, id int64, by, via string, now time.Time) (ok bool, err error) {
	n, err := s.rdb.HDel(ctx, s.membersKey(), strconv.FormatInt(id, 10)).Result()
	if err != nil {
		return false, fmt.Errorf("revoke: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	entry, err := json.Marshal(shakwa.AuditEntry{At: now, Kind: "revoked", By: by, Who: strconv.FormatInt(id, 10), Via: via})
	if err != nil {
		return true, fmt.Errorf("revoke: %w", err)
	}
	return true, s.audit(ctx, entry)
}

// AuditLog returns the latest limit entries of the record of invites,
// joins and revocations, the latest last.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]shakwa.AuditEntry, error) {
	raw, err := s.rdb.LRange(ctx, s.auditKey(), int64(-limit), -1).Result()
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	out := make([]shakwa.AuditEntry, 0, len(raw))
	for _, r := range raw {
		var e shakwa.AuditEntry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Audit adds e to the record of what was done outside tickets (see
// AuditLog).
func (s *Store) Audit(ctx context.Context, e shakwa.AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return s.audit(ctx, b)
}

func (s *Store) audit(ctx context.Context, entry []byte) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, s.auditKey(), entry)
		p.LTrim(ctx, s.auditKey(), -auditCap, -1)
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}
