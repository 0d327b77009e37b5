package storage_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

// testInvites: a code is joined with once, within its time; the member is
// found, listed and revoked; the record says who did each.
func testInvites(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	inv := shakwa.Invite{Role: shakwa.RoleStaff, Centres: []string{"KRM"}, By: "114", At: at(0)}
	if err := s.CreateInvite(c, "48215531", inv, time.Hour); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	if err := s.CreateInvite(c, "48215531", inv, time.Hour); !errors.Is(err, shakwa.ErrConflict) {
		t.Errorf("a second invite with the code: %v; want a conflict", err)
	}
	if err := s.CreateInvite(c, "10000000", inv, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Join(c, "11111111", shakwa.Member{Telegram: 120}); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Join with an unknown code: %v; want not found", err)
	}
	m, err := s.Join(c, "48215531", shakwa.Member{Telegram: 120, Name: "هدى", At: at(1)})
	if err != nil || m.Role != shakwa.RoleStaff || !slices.Equal(m.Centres, []string{"KRM"}) || m.By != "114" {
		t.Fatalf("Join: %+v, %v", m, err)
	}
	if _, err := s.Join(c, "48215531", shakwa.Member{Telegram: 121}); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Join with a used code: %v; want not found", err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := s.Join(c, "10000000", shakwa.Member{Telegram: 122}); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Join with an expired code: %v; want not found", err)
	}
	if got, ok, err := s.Member(c, 120); err != nil || !ok || got.Name != "هدى" {
		t.Errorf("Member(120) = %+v, %v, %v", got, ok, err)
	}
	if ms, err := s.Members(c); err != nil || len(ms) != 1 {
		t.Errorf("Members = %v, %v; want one", ms, err)
	}
	if ok, err := s.Revoke(c, 120, "900", "telegram", at(2)); err != nil || !ok {
		t.Errorf("Revoke: %v, %v", ok, err)
	}
	if ok, err := s.Revoke(c, 120, "900", "telegram", at(3)); err != nil || ok {
		t.Errorf("Revoke again: %v, %v; want nothing done", ok, err)
	}
	if _, ok, _ := s.Member(c, 120); ok {
		t.Error("a revoked member is still one")
	}
	log, err := s.AuditLog(c, 10)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range log {
		kinds = append(kinds, e.Kind+":"+e.By+":"+e.Who)
	}
	if want := []string{"invited:114:", "invited:114:", "joined:114:120", "revoked:900:120"}; !slices.Equal(kinds, want) {
		t.Errorf("record %v; want %v", kinds, want)
	}
}
