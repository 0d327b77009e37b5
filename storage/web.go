package storage

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Mail is one message kept for a web chat.
type Mail struct {
	ID   string // the stream entry id, "MS-SEQ"; ids of one mailbox increase
	Data []byte
}

// mailKey names a web chat's mailbox, under the chat's opaque name: a
// visitor id is as good as a session.
func (s *Store) mailKey(chat string) string { return s.key("mail", s.chatName("web:"+chat)) }

// MailAppend appends data to chat's mailbox and returns its id; ids
// increase. The mailbox keeps at least its last keep entries (it trims
// approximately, so a few more may stay) and expires after ttl without
// appends. keep < 1 or ttl <= 0 wrap shakwa.ErrInvalid.
func (s *Store) MailAppend(ctx context.Context, chat string, data []byte, keep int, ttl time.Duration) (string, error) {
	if keep < 1 || ttl <= 0 {
		return "", fmt.Errorf("mail: keep %d, ttl %v: %w", keep, ttl, shakwa.ErrInvalid)
	}
	key := s.mailKey(chat)
	var add *redis.StringCmd
	// One key, so MULTI is fine on a cluster: no entry without a TTL.
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		add = p.XAdd(ctx, &redis.XAddArgs{Stream: key, MaxLen: int64(keep), Approx: true, Values: []any{"d", data}})
		p.PExpire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("append mail: %w", err)
	}
	return add.Val(), nil
}

// MailSince returns up to limit entries of chat's mailbox that follow the
// entry after ("" = from the oldest kept; otherwise an id MailAppend
// returned), oldest first; limit <= 0 returns all. An unknown or expired
// mailbox has none. An after that is not a mail id ("MS-SEQ") wraps
// shakwa.ErrInvalid.
func (s *Store) MailSince(ctx context.Context, chat, after string, limit int) ([]Mail, error) {
	start := "-"
	if after != "" {
		last, err := validMailID(after)
		if err != nil {
			return nil, fmt.Errorf("mail since %q: %w", after, err)
		}
		if last {
			return nil, nil // nothing can follow the greatest id
		}
		start = "(" + after
	}
	var msgs []redis.XMessage
	var err error
	if limit > 0 {
		msgs, err = s.rdb.XRangeN(ctx, s.mailKey(chat), start, "+", int64(limit)).Result()
	} else {
		msgs, err = s.rdb.XRange(ctx, s.mailKey(chat), start, "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("mail since %q: %w", after, err)
	}
	out := make([]Mail, 0, len(msgs))
	for _, m := range msgs {
		d, _ := m.Values["d"].(string)
		out = append(out, Mail{ID: m.ID, Data: []byte(d)})
	}
	return out, nil
}

// MailDrop removes entry id from chat's mailbox; one that is not there is
// no error. An id that is not a mail id wraps shakwa.ErrInvalid.
func (s *Store) MailDrop(ctx context.Context, chat, id string) error {
	if _, err := validMailID(id); err != nil {
		return fmt.Errorf("mail drop %q: %w", id, err)
	}
	if err := s.rdb.XDel(ctx, s.mailKey(chat), id).Err(); err != nil {
		return fmt.Errorf("mail drop: %w", err)
	}
	return nil
}

// validMailID checks a mail id ("MS-SEQ") given by a client, so that a
// malformed one is refused as invalid rather than sent to Redis. It
// reports whether id is the greatest id, after which nothing can come.
func validMailID(id string) (last bool, err error) {
	ms, seq, ok := strings.Cut(id, "-")
	m, err1 := strconv.ParseUint(ms, 10, 64)
	n, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return false, fmt.Errorf("not a mail id: %w", shakwa.ErrInvalid)
	}
	return m == math.MaxUint64 && n == math.MaxUint64, nil
}
