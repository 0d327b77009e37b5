package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

// testStaffRevoked: a staff member never revoked reads the zero time; a
// revocation reads back to the millisecond, one given with an earlier
// time after it leaves it, a later one moves it on, and another person's
// stays their own.
func testStaffRevoked(t *testing.T, open opener) {
	s, c := open(t).s, ctx(t)
	read := func(person string, want time.Time) {
		t.Helper()
		got, err := s.StaffRevoked(c, person)
		if err != nil || !got.Equal(want) {
			t.Errorf("StaffRevoked(%s) = %v, %v; want %v, nil", person, got, err, want)
		}
	}
	read("111", time.Time{})
	if err := s.RevokeStaff(c, "111", at(10)); err != nil {
		t.Fatalf("RevokeStaff: %v", err)
	}
	read("111", at(10).Truncate(time.Millisecond))
	read("112", time.Time{})
	if err := s.RevokeStaff(c, "111", at(5)); err != nil {
		t.Fatalf("RevokeStaff, earlier: %v", err)
	}
	read("111", at(10).Truncate(time.Millisecond))
	if err := s.RevokeStaff(c, "111", at(20)); err != nil {
		t.Fatalf("RevokeStaff, later: %v", err)
	}
	read("111", at(20).Truncate(time.Millisecond))
	if err := s.RevokeStaff(c, "112", at(1)); err != nil {
		t.Fatalf("RevokeStaff 112: %v", err)
	}
	read("112", at(1).Truncate(time.Millisecond))
	read("111", at(20).Truncate(time.Millisecond))
	if err := s.RevokeStaff(c, "", at(1)); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("RevokeStaff of nobody = %v; want ErrInvalid", err)
	}
}
