package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shakwa/shakwa"
)

// Life is a ticket's whole life, for SeedTickets: the ticket as filed (as
// CreateTicket takes it, by the citizen at From) and its changes, oldest
// first.
type Life struct {
	Ticket  shakwa.Ticket
	From    shakwa.Address
	Changes []Change
}

// Change is one call of a transition method, as data: Kind is the method
// (Claim, Release, Reply, Resolve, Transfer, Rate, CloseResolved, Reopen),
// At its now, By the staff member of the staff's methods, Actor the by of
// CloseResolved, Text the reply or the resolution, To the centre of a
// transfer and Stars a rating. A Rate or Reopen is the citizen's at From.
type Change struct {
	Kind  ChangeKind
	At    time.Time
	By    shakwa.Staff
	Actor string
	Text  string
	To    string
	Stars int
}

// ChangeKind names a transition method.
type ChangeKind int

// The transition methods a Change can stand for.
const (
	ChangeClaim ChangeKind = iota
	ChangeRelease
	ChangeReply
	ChangeResolve
	ChangeTransfer
	ChangeRate
	ChangeClose
	ChangeReopen
)

// SeedTickets files the tickets of lives, numbered in each centre in the
// order of lives, and makes their changes, as CreateTicket and the
// transition methods would one call after the other, but in a few round
// trips for them all: what it leaves (each ticket's record and events,
// the indexes, the citizens' records, the centres' numbers and tallies)
// is what those calls leave. It is for synthetic data on a store nobody
// else writes the same tickets to: it makes no intermediate states, so
// it needs no protection against concurrent writers of the same tickets.
//
// A change the method would refuse fails the whole call before anything
// is written, with the error the method would give (wrapping
// shakwa.ErrConflict, shakwa.ErrNotFound or shakwa.ErrInvalid).
func (s *Store) SeedTickets(ctx context.Context, lives []Life) error {
	counts := map[string]int64{}
	var centres []string
	for _, l := range lives {
		t := l.Ticket
		if !validCode(t.Centre) || t.Created.IsZero() || l.From.IsZero() {
			return fmt.Errorf("seed tickets: need a centre code, a citizen and a creation time: %w", shakwa.ErrInvalid)
		}
		if counts[t.Centre] == 0 {
			centres = append(centres, t.Centre)
		}
		counts[t.Centre]++
	}
	seeded := make([]*seededTicket, len(lives))
	for i := range lives {
		var err error
		if seeded[i], err = s.live(&lives[i]); err != nil {
			return fmt.Errorf("seed tickets: ticket %d: %w", i, err)
		}
	}
	next, err := s.reserveNumbers(ctx, centres, counts)
	if err != nil {
		return err
	}
	for i, st := range seeded {
		c := lives[i].Ticket.Centre
		st.ticket.ID = fmt.Sprintf("%s-%06d", c, next[c])
		st.fields["id"] = st.ticket.ID
		next[c]++
	}
	var settle []func() error
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, st := range seeded {
			f, err := s.queueSeeded(ctx, p, lives[i].From, st)
			if err != nil {
				return err
			}
			settle = append(settle, f)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("seed tickets: %w", err)
	}
	for _, f := range settle {
		if err := f(); err != nil {
			return fmt.Errorf("seed tickets: %w", err)
		}
	}
	return nil
}

// TicketCount is how many tickets the store holds: before seeding, to
// tell a store in use from an empty one.
func (s *Store) TicketCount(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.plain("created")).Result()
	if err != nil {
		return 0, fmt.Errorf("ticket count: %w", err)
	}
	return n, nil
}

// reserveNumbers takes counts[c] ticket numbers of each centre at once,
// as that many CreateTicket calls would, and returns the first of each.
func (s *Store) reserveNumbers(ctx context.Context, centres []string, counts map[string]int64) (map[string]int64, error) {
	cmds := make([]*redis.IntCmd, len(centres))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range centres {
			cmds[i] = p.IncrBy(ctx, s.key("seq", c), counts[c])
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("seed tickets: next numbers: %w", err)
	}
	first := make(map[string]int64, len(centres))
	for i, c := range centres {
		first[c] = cmds[i].Val() - counts[c] + 1
	}
	return first, nil
}

// seededTicket is a ticket at the end of its life: its record, its
// events, and the revision at which it left each centre it left.
type seededTicket struct {
	fields map[string]string
	ticket *shakwa.Ticket
	events []string
	left   map[string]int64
}

// live plays l's changes on the record CreateTicket would write, the way
// transitionScript would; the ticket's id is left to the caller.
func (s *Store) live(l *Life) (*seededTicket, error) {
	in := l.Ticket
	in.Citizen, in.Channel = s.PersonID(l.From), l.From.Channel
	nt := fresh(&in, "")
	list, err := ticketFields(nt)
	if err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	st := &seededTicket{fields: map[string]string{}, left: map[string]int64{}}
	for i := 0; i < len(list); i += 2 {
		st.fields[list[i].(string)] = list[i+1].(string)
	}
	ev, err := eventJSON("created", nt.Citizen, nt.Channel, nt.Centre, nt.Created)
	if err != nil {
		return nil, fmt.Errorf("create ticket: %w", err)
	}
	st.events = append(st.events, ev)
	for _, c := range l.Changes {
		tr, err := s.changeTransition(c, l.From)
		if err != nil {
			return nil, err
		}
		was := st.fields[fCentre]
		if err := st.apply(tr, c.At); err != nil {
			return nil, err
		}
		if now := st.fields[fCentre]; now != was {
			rev, _ := strconv.ParseInt(st.fields[fRev], 10, 64)
			st.left[was] = rev
		}
	}
	if st.ticket, err = parseTicket(st.fields); err != nil {
		return nil, err
	}
	delete(st.left, st.ticket.Centre) // back where it was: its record there is the ticket's
	if n := len(st.events); n > s.logCap {
		st.events = st.events[n-s.logCap:]
	}
	return st, nil
}

// changeTransition is the transition the method c names would apply: the
// same rows as in lifecycle.go.
func (s *Store) changeTransition(c Change, from shakwa.Address) (transition, error) {
	by, citizen := c.By, s.PersonID(from)
	switch c.Kind {
	case ChangeClaim:
		return transition{name: "claim", from: []shakwa.Status{shakwa.StatusNew},
			event: shakwa.Event{Kind: "claimed", By: by.ID, Via: by.Via},
			ops: []op{set(fStatus, string(shakwa.StatusClaimed)), set(fHolderID, by.ID),
				set(fHolderName, by.Name), keep(fClaimed, c.At), first(fClaimedBy, by.ID)}}, nil
	case ChangeRelease:
		return transition{name: "release", from: working, holder: by.ID,
			event: shakwa.Event{Kind: "released", By: by.ID, Via: by.Via},
			ops:   []op{set(fStatus, string(shakwa.StatusNew)), del(fHolderID), del(fHolderName)}}, nil
	case ChangeReply:
		return transition{name: "reply", from: working, holder: by.ID,
			event: shakwa.Event{Kind: "reply", By: by.ID, Via: by.Via, Text: c.Text},
			ops:   []op{set(fStatus, string(shakwa.StatusInProgress)), keep(fFirstReply, c.At), first(fRepliedBy, by.ID)}}, nil
	case ChangeResolve:
		return transition{name: "resolve", from: working, holder: by.ID,
			event: shakwa.Event{Kind: "resolved", By: by.ID, Via: by.Via, Text: c.Text},
			ops: []op{set(fStatus, string(shakwa.StatusResolved)), set(fResolution, c.Text),
				set(fResolved, fmtTime(c.At))}}, nil
	case ChangeTransfer:
		if !validCode(c.To) {
			return transition{}, fmt.Errorf("transfer: bad centre code %q: %w", c.To, shakwa.ErrInvalid)
		}
		return transition{name: "transfer",
			from:   []shakwa.Status{shakwa.StatusNew, shakwa.StatusClaimed, shakwa.StatusInProgress},
			holder: by.ID, notIn: c.To,
			event: shakwa.Event{Kind: "transferred", By: by.ID, Via: by.Via, Text: c.To},
			ops: []op{set(fStatus, string(shakwa.StatusNew)), set(fCentre, c.To),
				del(fHolderID), del(fHolderName), set(fTransferred, fmtTime(c.At))}}, nil
	case ChangeRate:
		if c.Stars < 1 || c.Stars > 5 {
			return transition{}, fmt.Errorf("rate: %d stars: %w", c.Stars, shakwa.ErrInvalid)
		}
		n := strconv.Itoa(c.Stars)
		return transition{name: "rate", from: []shakwa.Status{shakwa.StatusResolved}, citizen: citizen,
			event: shakwa.Event{Kind: "rated", By: citizen, Via: from.Channel, Text: n},
			ops: []op{set(fStatus, string(shakwa.StatusClosed)), set(fRating, n),
				set(fRated, fmtTime(c.At)), set(fClosed, fmtTime(c.At))}}, nil
	case ChangeClose:
		return transition{name: "close", from: []shakwa.Status{shakwa.StatusResolved},
			event: shakwa.Event{Kind: "closed", By: c.Actor},
			ops:   []op{set(fStatus, string(shakwa.StatusClosed)), set(fClosed, fmtTime(c.At))}}, nil
	case ChangeReopen:
		return transition{name: "reopen", from: []shakwa.Status{shakwa.StatusResolved, shakwa.StatusClosed},
			citizen: citizen, event: shakwa.Event{Kind: "reopened", By: citizen, Via: from.Channel},
			ops: []op{{"reopen", fStatus, ""}, set(fReopened, fmtTime(c.At)), {"incr", fReopens, ""},
				del(fClosed), del(fResolution)}}, nil
	}
	return transition{}, fmt.Errorf("change %d: %w", c.Kind, shakwa.ErrInvalid)
}

// apply does what transitionScript does with tr at now, on the record in
// memory: the same checks, the same operations, the revision and the
// event.
func (st *seededTicket) apply(tr transition, now time.Time) error {
	if now.IsZero() {
		return fmt.Errorf("%s: zero time: %w", tr.name, shakwa.ErrInvalid)
	}
	m := st.fields
	if tr.citizen != "" && m[fCitizen] != tr.citizen {
		return fmt.Errorf("%s: %w", tr.name, shakwa.ErrNotFound)
	}
	refused := len(tr.from) > 0 && !slices.Contains(tr.from, shakwa.Status(m[fStatus])) ||
		tr.holder != "" && m[fHolderID] != "" && m[fHolderID] != tr.holder ||
		tr.notIn != "" && m[fCentre] == tr.notIn ||
		len(tr.in) > 0 && !slices.Contains(tr.in, m[fCentre])
	if refused {
		return fmt.Errorf("%s: ticket is %s: %w", tr.name, m[fStatus], shakwa.ErrConflict)
	}
	for _, o := range append(tr.ops, set(fUpdated, fmtTime(now))) {
		switch o.kind {
		case "set":
			m[o.field] = o.value
		case "keep":
			if _, ok := m[o.field]; !ok {
				m[o.field] = o.value
			}
		case "del":
			delete(m, o.field)
		case "incr":
			n, _ := strconv.Atoi(m[o.field])
			m[o.field] = strconv.Itoa(n + 1)
		case "reopen":
			if m[fHolderID] != "" {
				m[o.field] = string(shakwa.StatusClaimed)
			} else {
				m[o.field] = string(shakwa.StatusNew)
			}
		default:
			return fmt.Errorf("%s: operation %s: %w", tr.name, o.kind, shakwa.ErrInvalid)
		}
	}
	rev, _ := strconv.ParseInt(m[fRev], 10, 64)
	m[fRev] = strconv.FormatInt(rev+1, 10)
	tr.event.At = now
	b, err := json.Marshal(tr.event)
	if err != nil {
		return fmt.Errorf("%s: encode event: %w", tr.name, err)
	}
	st.events = append(st.events, string(b))
	return nil
}

// queueSeeded queues on p the writes of a seeded ticket: its citizen's
// record, its record and events, its indexes, and its tallies where it is
// and tombstones where it was; it returns what settles the tallies.
func (s *Store) queueSeeded(ctx context.Context, p redis.Pipeliner, from shakwa.Address, st *seededTicket) (func() error, error) {
	t := st.ticket
	s.rememberPerson(ctx, p, from, t.Created)
	fields := make([]any, 0, 2*len(st.fields))
	for _, k := range sortedKeys(st.fields) {
		fields = append(fields, k, st.fields[k])
	}
	p.HSet(ctx, s.ticketKey(t.ID), fields...)
	events := make([]any, len(st.events))
	for i, e := range st.events {
		events[i] = e
	}
	p.RPush(ctx, s.logKey(t.ID), events...)
	s.indexIn(ctx, p, nil, t)
	if s.tallier == nil {
		return func() error { return nil }, nil
	}
	var runs []*tallyRun
	for _, c := range sortedKeys(st.left) {
		gone := strconv.FormatInt(st.left[c], 10) + "|-"
		r, err := s.newTallyRun(c, t.ID, nil, gone, nil, st.left[c], "0", t.Created)
		if err != nil {
			return nil, err
		}
		r.queue(ctx, p)
		runs = append(runs, r)
	}
	here, err := s.tallyTicket(ctx, p, t, nil)
	if err != nil {
		return nil, err
	}
	return func() error {
		for _, r := range runs {
			if err := r.settle(ctx); err != nil {
				return err
			}
		}
		return here()
	}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	return keys
}
