package storage

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Session returns the session saved under the name who, or nil when there
// is none (or it expired). who is any name (a person's Address.String(),
// say); keys hold only its opaque form.
func (s *Store) Session(ctx context.Context, who string) ([]byte, error) {
	k, err := s.readVia(ctx, read{key: s.sessionKey(who)})
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if k.absent {
		return nil, nil
	}
	return []byte(k.v), nil
}

func (s *Store) sessionKey(who string) string { return s.key("session", s.opaque("session:"+who)) }

// SaveSession saves data as who's session for ttl; ttl <= 0 keeps it until
// it is deleted.
func (s *Store) SaveSession(ctx context.Context, who string, data []byte, ttl time.Duration) error {
	if ttl < 0 {
		ttl = 0
	}
	key := s.sessionKey(who)
	if b := batchOf(ctx); b != nil {
		b.set(read{key: key}, known{v: string(data)})
		b.later(write{add: func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.Set(ctx, key, data, ttl) }})
		return nil
	}
	if err := s.rdb.Set(ctx, key, data, ttl).Err(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// DeleteSession forgets who's session; it is not an error if there is none.
func (s *Store) DeleteSession(ctx context.Context, who string) error {
	key := s.sessionKey(who)
	if b := batchOf(ctx); b != nil {
		b.set(read{key: key}, known{absent: true})
		b.later(write{add: func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return p.Del(ctx, key) }})
		return nil
	}
	if err := s.rdb.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// personKey names the record of the person with opaque id.
func (s *Store) personKey(id string) string { return s.key("person", id) }

// Person fields. at is when the record was last written (Unix ms).
const (
	pChannel = "channel"
	pChat    = "chat"
	pLang    = "lang"
	pAt      = "at"
)

// peopleKey is the sorted set of people's records (by opaque id), by when
// each was last written (Unix ms): how the retention sweep finds the
// records that no ticket keeps (see ForgetUntouched). Each write of a
// record writes its entry too, in the same round trip; on a Cluster they
// are in different slots, so the entry, like a ticket's index entries, is
// a hint that the sweep checks against the record itself.
const peopleKey = "people"

// Lang returns the language the person at a chose, or "" when they have
// not chosen.
func (s *Store) Lang(ctx context.Context, a shakwa.Address) (string, error) {
	k, err := s.readVia(ctx, read{key: s.personKey(s.PersonID(a)), field: pLang})
	if err != nil {
		return "", fmt.Errorf("read language: %w", err)
	}
	return k.v, nil
}

// SetLang records the language of the person at a, at now; "" forgets
// it. It keeps their address on their record.
func (s *Store) SetLang(ctx context.Context, a shakwa.Address, lang string, now time.Time) error {
	key := s.personKey(s.PersonID(a))
	if b := batchOf(ctx); b != nil {
		b.set(read{key: key, field: pLang}, known{v: lang, absent: lang == ""})
		b.later(write{add: func(ctx context.Context, p redis.Pipeliner) redis.Cmder { return s.setLang(ctx, p, a, lang, now) }})
		return nil
	}
	// One transaction holds one slot: on a Cluster the index entry,
	// in another, goes first, on its own.
	_, cluster := s.rdb.(*redis.ClusterClient)
	if cluster {
		if err := s.indexPerson(ctx, s.rdb, s.PersonID(a), now).Err(); err != nil {
			return fmt.Errorf("set language: %w", err)
		}
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if !cluster {
			s.indexPerson(ctx, p, s.PersonID(a), now)
		}
		s.writeLang(ctx, p, a, lang, now)
		return nil
	})
	if err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	return nil
}

// setLang puts SetLang's writes on p.
func (s *Store) setLang(ctx context.Context, p redis.Pipeliner, a shakwa.Address, lang string, now time.Time) redis.Cmder {
	s.indexPerson(ctx, p, s.PersonID(a), now)
	return s.writeLang(ctx, p, a, lang, now)
}

// writeLang puts on p SetLang's writes of the record.
func (s *Store) writeLang(ctx context.Context, p redis.Pipeliner, a shakwa.Address, lang string, now time.Time) redis.Cmder {
	key := s.writePerson(ctx, p, a, now)
	if lang == "" {
		return p.HDel(ctx, key, pLang)
	}
	return p.HSet(ctx, key, pLang, lang)
}

// rememberPerson puts a on its person's record, written at at, and the
// record's entry in the people index, in the pipeline p. The entry goes
// first: on one server a pipeline runs in order, so a record is never
// there without it.
func (s *Store) rememberPerson(ctx context.Context, p redis.Pipeliner, a shakwa.Address, at time.Time) {
	s.indexPerson(ctx, p, s.PersonID(a), at)
	s.writePerson(ctx, p, a, at)
}

// indexPerson puts on c the entry of person id's record, written at at,
// in the people index. Its time only moves on (GT): a write stamped
// earlier (by another replica's clock) leaves it.
func (s *Store) indexPerson(ctx context.Context, c redis.Cmdable, id string, at time.Time) *redis.IntCmd {
	return c.ZAddGT(ctx, s.plain(peopleKey), redis.Z{Score: float64(at.UnixMilli()), Member: id})
}

// writePerson puts on p a's part of their record, written at at, and
// returns the record's key.
func (s *Store) writePerson(ctx context.Context, p redis.Pipeliner, a shakwa.Address, at time.Time) string {
	key := s.personKey(s.PersonID(a))
	p.HSet(ctx, key, "v", version, pChannel, a.Channel, pChat, a.Chat, pAt, at.UnixMilli())
	return key
}

// Person returns the record of the person with opaque id: their address
// and language. It returns an error wrapping shakwa.ErrNotFound when the
// store keeps no address for id (the person never filed anything, or was
// erased).
func (s *Store) Person(ctx context.Context, id string) (shakwa.Person, error) {
	m, ok := s.personKnown(ctx, id)
	if !ok {
		var err error
		if m, err = s.rdb.HGetAll(ctx, s.personKey(id)).Result(); err != nil {
			return shakwa.Person{}, fmt.Errorf("person %s: %w", id, err)
		}
	}
	if m[pChannel] == "" || m[pChat] == "" {
		return shakwa.Person{}, fmt.Errorf("person %s: %w", id, shakwa.ErrNotFound)
	}
	if v := m["v"]; v != version {
		return shakwa.Person{}, fmt.Errorf("person %s: unknown record version %q", id, v)
	}
	return shakwa.Person{ID: id, Address: shakwa.Address{Channel: m[pChannel], Chat: m[pChat]}, Lang: m[pLang]}, nil
}

// personKnown is person id's record as the update's batch knows it (read
// with a transition, see transit; its language perhaps set since), if it
// knows every field.
func (s *Store) personKnown(ctx context.Context, id string) (map[string]string, bool) {
	b := batchOf(ctx)
	if b == nil {
		return nil, false
	}
	key := s.personKey(id)
	m := map[string]string{}
	for _, f := range []string{"v", pChannel, pChat, pLang} {
		k, ok := b.get(read{key: key, field: f})
		if !ok {
			return nil, false
		}
		if !k.absent {
			m[f] = k.v
		}
	}
	return m, true
}

// refsKey names the map of a chat's messages (see SetRef).
func (s *Store) refsKey(chat string) string { return s.key("refs", s.chatName(chat)) }

// refsTTL is how long a chat's map of messages lives after its last
// change: the messages it names are long scrolled away by then.
const refsTTL = 90 * 24 * time.Hour

// SetRef records that our message ref in chat (an address as
// "channel:chat") is the platform message messageID, both ways. A ref
// sent again (an edit that became a new message) points at the newest id;
// older ids still lead back to the ref. With trail set, messageID leads
// back to ref but ref keeps pointing where it did: messageID is a trailing
// part of a longer reply.
func (s *Store) SetRef(ctx context.Context, chat, ref, messageID string, trail bool) error {
	return s.setRef(ctx, chat, ref, messageID, trail, 0)
}

// setRef is SetRef, keeping when what the message shows was queued (see
// RefAt) unless queued is 0.
func (s *Store) setRef(ctx context.Context, chat, ref, messageID string, trail bool, queued int64) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		s.setRefIn(ctx, p, chat, ref, messageID, trail, queued)
		return nil
	})
	if err != nil {
		return fmt.Errorf("set ref %s: %w", ref, err)
	}
	return nil
}

// setRefIn puts SetRef's writes on p (a transaction) and returns their
// commands.
func (s *Store) setRefIn(ctx context.Context, p redis.Pipeliner, chat, ref, messageID string, trail bool, queued int64) []redis.Cmder {
	key := s.refsKey(chat)
	var set redis.Cmder
	switch {
	case trail:
		set = p.HSet(ctx, key, "m:"+messageID, ref)
	case queued > 0:
		set = p.HSet(ctx, key, "r:"+ref, messageID, "m:"+messageID, ref, "q:"+ref, queued)
	default:
		set = p.HSet(ctx, key, "r:"+ref, messageID, "m:"+messageID, ref)
	}
	return []redis.Cmder{set, p.PExpire(ctx, key, refsTTL)}
}

// Ref returns the platform id of our message ref in chat, or "".
func (s *Store) Ref(ctx context.Context, chat, ref string) (string, error) {
	return s.refField(ctx, chat, "r:"+ref)
}

// RefAt returns the platform id of our message ref in chat, or "", and
// when what it shows was queued, as SentRef kept it (0 if not kept).
func (s *Store) RefAt(ctx context.Context, chat, ref string) (string, int64, error) {
	vs, err := s.rdb.HMGet(ctx, s.refsKey(chat), "r:"+ref, "q:"+ref).Result()
	if err != nil {
		return "", 0, fmt.Errorf("read ref %s: %w", ref, err)
	}
	id, _ := vs[0].(string)
	q, _ := vs[1].(string)
	queued, _ := strconv.ParseInt(q, 10, 64)
	return id, queued, nil
}

// RefOf returns our name for the platform message messageID in chat, or "".
func (s *Store) RefOf(ctx context.Context, chat, messageID string) (string, error) {
	return s.refField(ctx, chat, "m:"+messageID)
}

func (s *Store) refField(ctx context.Context, chat, field string) (string, error) {
	v, err := s.rdb.HGet(ctx, s.refsKey(chat), field).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read ref %s: %w", field, err)
	}
	return v, nil
}

// positive keeps a TTL at one millisecond at least: a zero TTL would mean
// "for ever" to Redis.
func positive(d time.Duration) time.Duration {
	return max(d, time.Millisecond)
}

// swapScript replaces a string only if it still holds ARGV[1]. KEYS: the
// key. ARGV: old, new ("" with ARGV[4] = "del" deletes), TTL (ms).
var swapScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[4] == 'del' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
`)

// SwapSession replaces who's session with data for ttl, or deletes it
// when data is nil, but only if it still is old (someone may have saved a
// newer one meanwhile), and reports whether it did.
func (s *Store) SwapSession(ctx context.Context, who string, old, data []byte, ttl time.Duration) (bool, error) {
	mode := "set"
	if data == nil {
		mode = "del"
	}
	key := s.sessionKey(who)
	if b := batchOf(ctx); b != nil {
		if k, ok := b.get(read{key: key}); ok {
			// The update read the session: whether it is still old is
			// known here, and checked again when the swap is written.
			if k.absent || k.v != string(old) {
				return false, nil
			}
			b.set(read{key: key}, known{v: string(data), absent: data == nil})
			b.later(write{add: evalLater(swapScript, []string{key}, old, data, positive(ttl).Milliseconds(), mode)})
			return true, nil
		}
	}
	n, err := swapScript.Run(ctx, s.rdb, []string{key}, old, data, positive(ttl).Milliseconds(), mode).Int()
	if err != nil {
		return false, fmt.Errorf("swap session: %w", err)
	}
	return n == 1, nil
}
