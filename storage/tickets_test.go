package storage_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

func testCreateAndRead(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	in := &shakwa.Ticket{
		Centre: "KRM", Category: "staff", Text: "الموظف لم يرد\nline two",
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "AgAD-1"}, {Kind: "document", ID: "BQAD-2", Name: "receipt.pdf"}},
		Phone:       "+971500000000", Citizen: "forged", Channel: "forged", Lang: "ar",
		Status: shakwa.StatusClosed, Holder: omar, Rating: 3, Claimed: at(1), // ignored on create
		Created: at(0), Updated: at(0),
	}
	if err := s.CreateTicket(c, in, citizen, ""); err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	want := shakwa.Ticket{
		ID: "KRM-000001", Centre: "KRM", Category: "staff", Text: in.Text, Attachments: in.Attachments,
		Phone: in.Phone, Citizen: s.PersonID(citizen), Channel: "telegram", Lang: "ar", Status: shakwa.StatusNew,
		Created: at(0), Updated: at(0), Rev: 1,
	}
	if !sameTicket(*in, want) {
		t.Errorf("CreateTicket set %+v; want %+v", *in, want)
	}
	got := mustGet(t, s, "KRM-000001")
	if !sameTicket(*got, want) {
		t.Errorf("Ticket = %+v; want %+v", *got, want)
	}
	evs, err := s.Events(c, "KRM-000001")
	if err != nil || len(evs) != 1 {
		t.Fatalf("Events = %v, %v; want one event", evs, err)
	}
	if e := evs[0]; e.Kind != "created" || !e.At.Equal(at(0)) || e.By != s.PersonID(citizen) || e.Text != "KRM" {
		t.Errorf("created event = %+v; want created at %v by the citizen's id, text KRM", e, at(0))
	}
	if p, err := s.Person(c, got.Citizen); err != nil || p.Address != citizen {
		t.Errorf("Person(ticket's citizen) = %+v, %v; want the citizen's address", p, err)
	}

	if _, err := s.Ticket(c, "KRM-999999"); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Ticket(unknown): got %v; want ErrNotFound", err)
	}
	if _, err := s.Events(c, "KRM-999999"); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Events(unknown): got %v; want ErrNotFound", err)
	}
	for _, bad := range []*shakwa.Ticket{
		nil, {Created: at(0)}, {Centre: "K{R}M", Created: at(0)}, {Centre: "KRM"},
	} {
		if err := s.CreateTicket(c, bad, citizen, ""); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("CreateTicket(%+v): got %v; want ErrInvalid", bad, err)
		}
	}
}

// sameTicket compares tickets, times by instant.
func sameTicket(a, b shakwa.Ticket) bool {
	return reflect.DeepEqual(norm(a), norm(b))
}

// norm puts every time of t in UTC, so that equal instants compare equal.
func norm(t shakwa.Ticket) shakwa.Ticket {
	for _, p := range []*time.Time{&t.Created, &t.Claimed, &t.FirstReply, &t.Resolved,
		&t.Rated, &t.Reopened, &t.Transferred, &t.Closed, &t.Updated} {
		*p = p.UTC()
	}
	return t
}

// act is one thing done to a ticket in the transition table.
type act func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error)

var acts = map[string]act{
	"claim A": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Claim(c, id, fatima, nil, now)
	},
	"claim B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Claim(c, id, omar, nil, now)
	},
	"release A": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Release(c, id, fatima, now)
	},
	"release B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Release(c, id, omar, now)
	},
	"reply A": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reply(c, id, fatima, "نعتذر", now)
	},
	"reply B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reply(c, id, omar, "hello", now)
	},
	"note B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Note(c, id, omar, "internal", now)
	},
	"info citizen": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Info(c, id, citizen, "more", nil, now)
	},
	"info stranger": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Info(c, id, stranger, "more", nil, now)
	},
	"resolve A": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Resolve(c, id, fatima, "fixed", now)
	},
	"resolve B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Resolve(c, id, omar, "fixed", now)
	},
	"transfer A": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Transfer(c, id, fatima, "XYZ", now)
	},
	"transfer B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Transfer(c, id, omar, "XYZ", now)
	},
	"transfer A here": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Transfer(c, id, fatima, "KRM", now)
	},
	"transfer A bad": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Transfer(c, id, fatima, "X}Y", now)
	},
	"rate 5": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Rate(c, id, citizen, 5, now)
	},
	"rate 0": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Rate(c, id, citizen, 0, now)
	},
	"rate 6": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Rate(c, id, citizen, 6, now)
	},
	"rate stranger": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Rate(c, id, stranger, 5, now)
	},
	"reopen": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reopen(c, id, citizen, "", now)
	},
	"reopen stranger": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reopen(c, id, stranger, "", now)
	},
	"reject A": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reject(c, id, fatima, "need_info", "أرفق صورة الإيصال", "", nil, now)
	},
	"reject B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reject(c, id, omar, "out_of_scope", "", "", nil, now)
	},
	"reject bad": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reject(c, id, fatima, "two words", "", "", nil, now)
	},
	// B supervises KRM: any open ticket there, whoever holds it.
	"reject B as supervisor": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reject(c, id, omar, "abusive", "", "", []string{"KRM"}, now)
	},
	"reject B as supervisor elsewhere": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reject(c, id, omar, "abusive", "", "", []string{"DXB"}, now)
	},
	// B supervises KRM and gives the ticket to A, or takes it.
	"reassign to A": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reassign(c, id, omar, fatima, []string{"KRM"}, now)
	},
	"reassign to B": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reassign(c, id, omar, omar, []string{"KRM"}, now)
	},
	"reassign elsewhere": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Reassign(c, id, omar, omar, []string{"DXB"}, now)
	},
	"withdraw": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Withdraw(c, id, citizen, now)
	},
	"withdraw stranger": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Withdraw(c, id, stranger, now)
	},
	"amend": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Amend(c, id, citizen, "الإيصال مرفق", nil, "", now)
	},
	"amend stranger": func(c context.Context, s *storage.Store, id string, now time.Time) (*shakwa.Ticket, error) {
		return s.Amend(c, id, stranger, "…", nil, "", now)
	},
}

// states are reached from a new ticket by these acts.
var states = map[shakwa.Status][]string{
	shakwa.StatusNew:        nil,
	shakwa.StatusClaimed:    {"claim A"},
	shakwa.StatusInProgress: {"claim A", "reply A"},
	shakwa.StatusResolved:   {"claim A", "reply A", "resolve A"},
	shakwa.StatusClosed:     {"claim A", "reply A", "resolve A", "rate 5"},
	shakwa.StatusRejected:   {"claim A", "reject A"},
	shakwa.StatusWithdrawn:  {"claim A", "withdraw"},
	amended:                 {"claim A", "reject A", "amend", "reject A"},
}

// amended is a ticket rejected again after its citizen amended it once.
const amended shakwa.Status = "rejected again"

func testTransitions(t *testing.T, open opener) {
	const (
		nw, cl, ip   = shakwa.StatusNew, shakwa.StatusClaimed, shakwa.StatusInProgress
		rs, cd       = shakwa.StatusResolved, shakwa.StatusClosed
		rj, wd       = shakwa.StatusRejected, shakwa.StatusWithdrawn
		ok, conflict = "nil", "conflict"
		notFound     = "not found"
		invalid      = "invalid"
	)
	tests := []struct {
		from   shakwa.Status
		act    string
		want   string        // error kind
		status shakwa.Status // after an allowed act
		holder string        // after an allowed act
		event  string        // appended by an allowed act
	}{
		{nw, "claim A", ok, cl, "501", "claimed"},
		{nw, "release A", conflict, "", "", ""},
		{nw, "reply A", conflict, "", "", ""},
		{nw, "note B", ok, nw, "", "note"},
		{nw, "info citizen", ok, nw, "", "info"},
		{nw, "info stranger", notFound, "", "", ""},
		{nw, "resolve A", conflict, "", "", ""},
		{nw, "transfer B", ok, nw, "", "transferred"},
		{nw, "transfer A here", conflict, "", "", ""},
		{nw, "transfer A bad", invalid, "", "", ""},
		{nw, "rate 5", conflict, "", "", ""},
		{nw, "rate 0", invalid, "", "", ""},
		{nw, "rate stranger", notFound, "", "", ""},
		{nw, "reopen", conflict, "", "", ""},
		{nw, "reject A", conflict, "", "", ""},
		{nw, "reject B as supervisor", ok, rj, "", "rejected"},
		{nw, "reject B as supervisor elsewhere", conflict, "", "", ""},
		{nw, "amend", conflict, "", "", ""},
		{nw, "withdraw", ok, wd, "", "withdrawn"},
		{nw, "reassign to A", ok, cl, "501", "reassigned"},
		{nw, "reassign elsewhere", conflict, "", "", ""},
		{cl, "reassign to A", conflict, "", "", ""},
		{cl, "reassign to B", ok, cl, "502", "reassigned"},
		{cl, "reassign elsewhere", conflict, "", "", ""},
		{ip, "reassign to B", ok, ip, "502", "reassigned"},
		{rs, "reassign to B", conflict, "", "", ""},
		{rj, "reassign to B", conflict, "", "", ""},
		{wd, "reassign to B", conflict, "", "", ""},
		{nw, "withdraw stranger", notFound, "", "", ""},
		{cl, "withdraw", ok, wd, "501", "withdrawn"},
		{ip, "withdraw", ok, wd, "501", "withdrawn"},
		{rs, "withdraw", conflict, "", "", ""},
		{cd, "withdraw", conflict, "", "", ""},
		{rj, "withdraw", conflict, "", "", ""},
		{wd, "withdraw", conflict, "", "", ""},
		{wd, "claim A", conflict, "", "", ""},
		{wd, "reopen", conflict, "", "", ""},
		{wd, "info citizen", conflict, "", "", ""},
		{wd, "reject B as supervisor", conflict, "", "", ""},

		{cl, "claim A", conflict, "", "", ""},
		{cl, "claim B", conflict, "", "", ""},
		{cl, "release A", ok, nw, "", "released"},
		{cl, "release B", conflict, "", "", ""},
		{cl, "reply A", ok, ip, "501", "reply"},
		{cl, "reply B", conflict, "", "", ""},
		{cl, "note B", ok, cl, "501", "note"},
		{cl, "info citizen", ok, cl, "501", "info"},
		{cl, "info stranger", notFound, "", "", ""},
		{cl, "resolve A", ok, rs, "501", "resolved"},
		{cl, "resolve B", conflict, "", "", ""},
		{cl, "transfer A", ok, nw, "", "transferred"},
		{cl, "transfer B", conflict, "", "", ""},
		{cl, "rate 5", conflict, "", "", ""},
		{cl, "reopen", conflict, "", "", ""},
		{cl, "reject A", ok, rj, "501", "rejected"},
		{cl, "reject B", conflict, "", "", ""},
		{cl, "reject bad", invalid, "", "", ""},
		{cl, "reject B as supervisor", ok, rj, "501", "rejected"},
		{cl, "reject B as supervisor elsewhere", conflict, "", "", ""},

		{ip, "claim B", conflict, "", "", ""},
		{ip, "release A", ok, nw, "", "released"},
		{ip, "release B", conflict, "", "", ""},
		{ip, "reply A", ok, ip, "501", "reply"},
		{ip, "reply B", conflict, "", "", ""},
		{ip, "note B", ok, ip, "501", "note"},
		{ip, "info citizen", ok, ip, "501", "info"},
		{ip, "resolve A", ok, rs, "501", "resolved"},
		{ip, "resolve B", conflict, "", "", ""},
		{ip, "transfer A", ok, nw, "", "transferred"},
		{ip, "transfer B", conflict, "", "", ""},
		{ip, "rate 5", conflict, "", "", ""},
		{ip, "reopen", conflict, "", "", ""},
		{ip, "reject A", ok, rj, "501", "rejected"},
		{ip, "reject B", conflict, "", "", ""},

		{rs, "claim B", conflict, "", "", ""},
		{rs, "release A", conflict, "", "", ""},
		{rs, "reply A", conflict, "", "", ""},
		{rs, "note B", ok, rs, "501", "note"},
		{rs, "info citizen", conflict, "", "", ""},
		{rs, "resolve A", conflict, "", "", ""},
		{rs, "transfer A", conflict, "", "", ""},
		{rs, "rate 5", ok, cd, "501", "rated"},
		{rs, "rate 6", invalid, "", "", ""},
		{rs, "rate stranger", notFound, "", "", ""},
		{rs, "reopen", ok, cl, "501", "reopened"},
		{rs, "reopen stranger", notFound, "", "", ""},

		{cd, "claim B", conflict, "", "", ""},
		{cd, "release A", conflict, "", "", ""},
		{cd, "reply A", conflict, "", "", ""},
		{cd, "note B", ok, cd, "501", "note"},
		{cd, "info citizen", conflict, "", "", ""},
		{cd, "resolve A", conflict, "", "", ""},
		{cd, "transfer A", conflict, "", "", ""},
		{cd, "rate 5", conflict, "", "", ""},
		{cd, "reopen", ok, cl, "501", "reopened"},
		{cd, "reopen stranger", notFound, "", "", ""},
		{cd, "reject A", conflict, "", "", ""},
		{cd, "reject B as supervisor", conflict, "", "", ""},
		{cd, "amend", conflict, "", "", ""},
		{rs, "reject A", conflict, "", "", ""},
		{rs, "amend", conflict, "", "", ""},

		{rj, "claim B", conflict, "", "", ""},
		{rj, "reply A", conflict, "", "", ""},
		{rj, "note B", ok, rj, "501", "note"},
		{rj, "info citizen", conflict, "", "", ""},
		{rj, "resolve A", conflict, "", "", ""},
		{rj, "transfer A", conflict, "", "", ""},
		{rj, "rate 5", conflict, "", "", ""},
		{rj, "reopen", conflict, "", "", ""},
		{rj, "reject A", conflict, "", "", ""},
		{rj, "amend", ok, cl, "501", "amended"},
		{rj, "amend stranger", notFound, "", "", ""},
		{amended, "amend", conflict, "", "", ""},
	}
	s, c := open(t).s, ctx(t)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.from, tt.act), func(t *testing.T) {
			id := newTicket(t, s, "KRM", citizen, at(0)).ID
			for i, a := range states[tt.from] {
				if _, err := acts[a](c, s, id, at(i+1)); err != nil {
					t.Fatalf("reaching %s: %s: %v", tt.from, a, err)
				}
			}
			before := mustGet(t, s, id)
			evsBefore, _ := s.Events(c, id)
			got, err := acts[tt.act](c, s, id, at(10))
			if k := errKind(err); k != tt.want {
				t.Fatalf("%s on %s: error %v; want %s", tt.act, tt.from, err, tt.want)
			}
			after := mustGet(t, s, id)
			evs, _ := s.Events(c, id)
			if tt.want != ok {
				checkRefused(t, tt.want, got, before, after, len(evs)-len(evsBefore))
				return
			}
			if got.Status != tt.status || got.Holder.ID != tt.holder {
				t.Errorf("got status %s, holder %q; want %s, %q", got.Status, got.Holder.ID, tt.status, tt.holder)
			}
			if !sameTicket(*got, *after) {
				t.Errorf("returned %+v; stored %+v", *got, *after)
			}
			if !got.Updated.Equal(at(10)) {
				t.Errorf("got Updated %v; want %v", got.Updated, at(10))
			}
			if len(evs) != len(evsBefore)+1 || evs[len(evs)-1].Kind != tt.event || !evs[len(evs)-1].At.Equal(at(10)) {
				t.Errorf("events %+v; want one more, %q at %v", evs, tt.event, at(10))
			}
		})
	}
}

// checkRefused checks that a refused act changed nothing and returned what
// it should: the current ticket for a conflict, nothing otherwise.
func checkRefused(t *testing.T, kind string, got, before, after *shakwa.Ticket, newEvents int) {
	t.Helper()
	if !sameTicket(*before, *after) {
		t.Errorf("refused act changed the ticket: %+v; was %+v", *after, *before)
	}
	if newEvents != 0 {
		t.Errorf("refused act logged %d events; want 0", newEvents)
	}
	switch {
	case kind == "conflict" && got == nil:
		t.Errorf("conflict returned no ticket; want the current one")
	case kind == "conflict" && !sameTicket(*got, *before):
		t.Errorf("conflict returned %+v; want current %+v", *got, *before)
	case kind != "conflict" && got != nil:
		t.Errorf("%s returned ticket %+v; want nil", kind, *got)
	}
}
