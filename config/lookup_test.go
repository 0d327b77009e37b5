package config

import (
	"testing"

	"github.com/shakwa/shakwa"
)

func TestTextIn(t *testing.T) {
	both := Text{AR: "أخرى", EN: "Other"}
	arOnly := Text{AR: "أخرى"}
	tests := []struct {
		text Text
		lang string
		want string
	}{
		{both, "ar", "أخرى"},
		{both, "en", "Other"},
		{both, "", "أخرى"},
		{both, "fr", "أخرى"},
		{both, "EN", "أخرى"},
		{arOnly, "en", "أخرى"},
		{arOnly, "ar", "أخرى"},
	}
	for _, tc := range tests {
		if got := tc.text.In(tc.lang); got != tc.want {
			t.Errorf("%+v.In(%q) = %q; want %q", tc.text, tc.lang, got, tc.want)
		}
	}
}

func TestServes(t *testing.T) {
	tests := []struct {
		role    shakwa.Role
		centres []string
		centre  string
		want    bool
	}{
		{shakwa.RoleStaff, []string{"KRM"}, "KRM", true},
		{shakwa.RoleStaff, []string{"KRM"}, "BRS", false},
		{shakwa.RoleSupervisor, []string{"KRM", "BRS"}, "BRS", true},
		{shakwa.RoleSupervisor, []string{"KRM", "BRS"}, "DRA", false},
		{shakwa.RoleStaff, nil, "KRM", false},
		{shakwa.RoleManager, nil, "KRM", true},
		{shakwa.RoleManager, []string{"DRA"}, "DRA", true},
		{shakwa.RoleManager, []string{"DRA"}, "KRM", false},
		{shakwa.RoleCitizen, []string{"KRM"}, "KRM", false},
		{"", []string{"KRM"}, "KRM", false},
	}
	for _, tc := range tests {
		p := Person{Telegram: 1, Name: "x", Role: tc.role, Centres: tc.centres}
		if got := p.Serves(tc.centre); got != tc.want {
			t.Errorf("%s %v Serves(%q) = %v; want %v", tc.role, tc.centres, tc.centre, got, tc.want)
		}
	}
}

func TestLookups(t *testing.T) {
	parsed, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	// A Config built in code has no index; lookups must scan instead.
	literal := &Config{
		Centres:    parsed.Centres,
		Categories: parsed.Categories,
		People:     parsed.People,
	}
	for name, c := range map[string]*Config{"parsed": parsed, "literal": literal} {
		t.Run(name, func(t *testing.T) {
			if ce, ok := c.Centre("BRS"); !ok || ce.StaffChat != -1002 {
				t.Errorf("Centre(BRS) = %+v, %v; want staff chat -1002", ce, ok)
			}
			if _, ok := c.Centre("brs"); ok {
				t.Error("Centre(brs) found; want codes matched exactly")
			}
			if _, ok := c.Centre("XYZ"); ok {
				t.Error("Centre(XYZ) found")
			}
			if ca, ok := c.Category("other"); !ok || ca.Name.In("en") != "أخرى" {
				t.Errorf("Category(other) = %+v, %v", ca, ok)
			}
			if _, ok := c.Category("nope"); ok {
				t.Error("Category(nope) found")
			}
			if p, ok := c.Person(12); !ok || p.Role != shakwa.RoleSupervisor {
				t.Errorf("Person(12) = %+v, %v; want the supervisor", p, ok)
			}
			if _, ok := c.Person(99); ok {
				t.Error("Person(99) found")
			}
			if ce, ok := c.CentreByStaffChat(-1001); !ok || ce.Code != "KRM" {
				t.Errorf("CentreByStaffChat(-1001) = %+v, %v; want KRM", ce, ok)
			}
			for _, chat := range []int64{0, -1, 11} {
				if ce, ok := c.CentreByStaffChat(chat); ok {
					t.Errorf("CentreByStaffChat(%d) = %s; want none", chat, ce.Code)
				}
			}
		})
	}
}
