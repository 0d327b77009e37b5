package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zone database

	"github.com/shakwa/shakwa"
)

const (
	baseSettings = `timezone: Asia/Dubai
session:
  idle: 30m
reopen_days: 7
`
	baseCentres = `centres:
  - code: KRM
    name: {ar: الكرامة, en: Karama}
    staff_chat: -1001
    sla: {claim: 30m, resolve: 48h}
  - code: BRS
    name: {ar: البرشاء}
    staff_chat: -1002
`
	baseCategories = `categories:
  - code: waiting_time
    name: {ar: طول فترة الانتظار, en: Waiting time}
  - code: other
    name: {ar: أخرى}
`
	basePeople = `people:
  - telegram: 11
    name: أحمد
    role: staff
    centres: [KRM]
  - telegram: 12
    name: سعيد
    role: supervisor
    centres: [KRM, BRS]
  - telegram: 13
    name: عبدالله
    role: manager
`
	base = baseSettings + baseCentres + baseCategories + basePeople
)

// edit returns base with old replaced by new, failing the test unless old
// occurs exactly once.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if n := strings.Count(base, old); n != 1 {
		t.Fatalf("%q occurs %d times in base; want 1", old, n)
	}
	return strings.Replace(base, old, new, 1)
}

func TestParseBase(t *testing.T) {
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatalf("Parse(base) error: %v", err)
	}
	if got, want := c.Location.String(), "Asia/Dubai"; got != want {
		t.Errorf("Location = %q; want %q", got, want)
	}
	if got, want := c.CentreCodes(), []string{"KRM", "BRS"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("CentreCodes() = %v; want %v", got, want)
	}
}

func TestParseDefaults(t *testing.T) {
	doc := `
centres:
  - code: KRM
    name: {ar: الكرامة}
    staff_chat: -1001
  - code: BRS
    name: {ar: البرشاء}
    staff_chat: -1002
    sla: {resolve: 3d}
  - code: DRA
    name: {ar: ديرة}
    staff_chat: -1003
    sla: {claim: 10m}
categories:
  - code: other
    name: {ar: أخرى}
`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"timezone", c.Timezone, "Asia/Dubai"},
		{"location", c.Location.String(), "Asia/Dubai"},
		{"session.idle", time.Duration(c.Session.Idle), 30 * time.Minute},
		{"reopen_days", c.ReopenDays, 7},
		{"close_after", time.Duration(c.CloseAfter), 7 * 24 * time.Hour},
		{"centres[0].sla.claim", time.Duration(c.Centres[0].SLA.Claim), 30 * time.Minute},
		{"centres[0].sla.resolve", time.Duration(c.Centres[0].SLA.Resolve), 48 * time.Hour},
		{"centres[1].sla.claim", time.Duration(c.Centres[1].SLA.Claim), 30 * time.Minute},
		{"centres[1].sla.resolve", time.Duration(c.Centres[1].SLA.Resolve), 72 * time.Hour},
		{"centres[2].sla.claim", time.Duration(c.Centres[2].SLA.Claim), 10 * time.Minute},
		{"centres[2].sla.resolve", time.Duration(c.Centres[2].SLA.Resolve), 48 * time.Hour},
		{"people", len(c.People), 0},
		{"reports.at", c.Reports.At, "08:00"},
		{"reports", fmt.Sprint(c.Reports.Daily, c.Reports.Weekly, c.Reports.Monthly, c.Reports.MonthlyOn), "true true true 1"},
		{"weekly report day", c.WeeklyReportDay(), time.Monday},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v; want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestParseValidation(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown timezone", "timezone: Asia/Dubai", "timezone: Mars/Base", `timezone: "Mars/Base" is not a known IANA time zone`},
		{"empty timezone", "timezone: Asia/Dubai", `timezone: ""`, `timezone: required`},
		{"zero idle", "idle: 30m", "idle: 0s", `session.idle: must be greater than zero`},
		{"negative idle", "idle: 30m", "idle: -1m", `session.idle: must be greater than zero`},
		{"zero reopen days", "reopen_days: 7", "reopen_days: 0", `reopen_days: must be at least 1`},
		{"week starting on a Friday", "reopen_days: 7", "reopen_days: 7\nweek_start: friday", `week_start: "friday": want sunday or monday`},
		{"report time", "reopen_days: 7", "reopen_days: 7\nreports: {at: \"8am\"}", `reports.at: "8am": want a time of day as HH:MM`},
		{"report weekday", "reopen_days: 7", "reopen_days: 7\nreports: {weekly_on: fri}", `reports.weekly_on: "fri": want a day of the week`},
		{"report month day", "reopen_days: 7", "reopen_days: 7\nreports: {monthly_on: 31}", `reports.monthly_on: 31: want a day from 1 to 28`},
		{"short close_after", "reopen_days: 7", "reopen_days: 7\nclose_after: 10m", `close_after: must be at least 1h`},
		{"template without a name", "reopen_days: 7", "reopen_days: 7\nwhatsapp: {template: {languages: {ar: ar}}}", `whatsapp.template.name: required`},
		{"template without Arabic", "reopen_days: 7", "reopen_days: 7\nwhatsapp: {template: {name: t, languages: {en: en_US}}}", `whatsapp.template.languages.ar: required`},
		{"template in French", "reopen_days: 7", "reopen_days: 7\nwhatsapp: {template: {name: t, languages: {ar: ar, fr: fr}}}", `whatsapp.template.languages.fr: unknown language`},
		{"working hours backwards", "reopen_days: 7", "reopen_days: 7\nworking_hours: {monday: 15:30-07:30}", `working_hours.monday: "15:30-07:30": want HH:MM-HH:MM`},
		{"working hours in words", "reopen_days: 7", "reopen_days: 7\nworking_hours: {monday: mornings}", `working_hours.monday: "mornings"`},
		{"no working day", "reopen_days: 7", "reopen_days: 7\nworking_hours: {monday: closed}", `working_hours: no working day`},
		{"holiday not a date", "reopen_days: 7", "reopen_days: 7\nholidays: [2026-13-01]", `holidays[0]: "2026-13-01": want a date as YYYY-MM-DD`},
		{"centre holiday not a date", "staff_chat: -1002", "staff_chat: -1002\n    holidays: [tomorrow]", `centres[1].holidays[0]: "tomorrow"`},
		{"centre week", "staff_chat: -1002", "staff_chat: -1002\n    working_hours: {sunday: 8-14}", `centres[1].working_hours.sunday: "8-14"`},
		{"centre zone", "staff_chat: -1002", "staff_chat: -1002\n    timezone: Asia/Nowhere", `centres[1].timezone: "Asia/Nowhere" is not a known IANA time zone`},
		{"unknown clock", "sla: {claim: 30m, resolve: 48h}", "sla: {claim: 30m, resolve: 48h, clock: lunar}", `centres[0].sla.clock: "lunar": want working or calendar`},
		{"category clock", "name: {ar: أخرى}", "name: {ar: أخرى}\n    sla: {claim: 10m, clock: calendar}", `categories[1].sla.clock: the clock is the centre's`},
		{"empty category sla", "name: {ar: أخرى}", "name: {ar: أخرى}\n    sla: {}", `categories[1].sla: give claim, resolve or both`},
		{"web colour", "reopen_days: 7", "reopen_days: 7\nweb: {colour: green}", `web.colour: "green": want #rrggbb`},
		{"light web colour", "reopen_days: 7", "reopen_days: 7\nweb: {colour: \"#ffee88\"}", `web.colour: "#ffee88": too light for white text`},
		{"web name in French", "reopen_days: 7", "reopen_days: 7\nweb: {name: {fr: bot}}", `web.name: "fr": want ar or en`},
		{"web logo type", "reopen_days: 7", "reopen_days: 7\nweb: {logo: logo.gif}", `web.logo: "logo.gif": want a .png, .jpg or .svg file`},
		{"embed origin with a path", "reopen_days: 7", "reopen_days: 7\nweb: {embed_origins: [\"https://a.example/chat\"]}", `web.embed_origins[0]: "https://a.example/chat": want scheme://host[:port]`},
		{"no centres", baseCentres, "centres: []\n", `centres: at least one centre is required`},
		{"lower-case centre code", "code: BRS", "code: brs", `centres[1].code: "brs" must be 2-6 upper-case letters`},
		{"long centre code", "code: BRS", "code: BARSHAA", `centres[1].code: "BARSHAA" must be 2-6 upper-case letters`},
		{"short centre code", "code: BRS", "code: B", `centres[1].code: "B" must be 2-6 upper-case letters`},
		{"centre code with digit", "code: BRS", "code: BR5", `centres[1].code: "BR5" must be 2-6 upper-case letters`},
		{"missing centre code", "  - code: BRS\n", "  - code: \"\"\n", `centres[1].code: required`},
		{"duplicate centre code", "code: BRS", "code: KRM", `centres[1].code: duplicate "KRM" (first at centres[0])`},
		{"centre without arabic name", "name: {ar: البرشاء}", "name: {en: Al Barsha}", `centres[1].name.ar: required`},
		{"centre with blank arabic name", "name: {ar: البرشاء}", `name: {ar: "  "}`, `centres[1].name.ar: required`},
		{"missing staff chat", "    staff_chat: -1002\n", "", `centres[1].staff_chat: required`},
		{"duplicate staff chat", "staff_chat: -1002", "staff_chat: -1001", `centres[1].staff_chat: duplicate -1001 (first at centres[0])`},
		{"zero claim sla", "claim: 30m", "claim: 0s", `centres[0].sla.claim: must be greater than zero`},
		{"negative resolve sla", "resolve: 48h", "resolve: -1h", `centres[0].sla.resolve: must be greater than zero`},
		{"claim longer than resolve", "claim: 30m", "claim: 3d", `centres[0].sla.claim: 72h0m0s must not be longer than resolve (48h0m0s)`},
		{"no categories", baseCategories, "categories: []\n", `categories: at least one category is required`},
		{"missing category code", "code: other", `code: ""`, `categories[1].code: required`},
		{"upper-case category code", "code: other", "code: Other", `categories[1].code: "Other" must be a lower-case letter then up to 31`},
		{"category code with space", "code: other", `code: "other things"`, `categories[1].code: "other things" must be`},
		{"duplicate category code", "code: other", "code: waiting_time", `categories[1].code: duplicate "waiting_time" (first at categories[0])`},
		{"category without arabic name", "name: {ar: أخرى}", "name: {en: Other}", `categories[1].name.ar: required`},
		{"missing telegram id", "telegram: 12", "telegram: 0", `people[1].telegram: required`},
		{"negative telegram id", "telegram: 12", "telegram: -12", `people[1].telegram: -12 is not a user id`},
		{"duplicate telegram id", "telegram: 12", "telegram: 11", `people[1].telegram: duplicate 11 (first at people[0])`},
		{"missing person name", "name: سعيد", `name: ""`, `people[1].name: required`},
		{"missing role", "    role: supervisor\n", "", `people[1].role: required`},
		{"unknown role", "role: supervisor", "role: admin", `people[1].role: "admin" must be staff, supervisor, manager or evaluator`},
		{"citizen role", "role: supervisor", "role: citizen", `people[1].role: "citizen" must be staff, supervisor, manager or evaluator`},
		{"staff without centres", "    centres: [KRM]\n", "", `people[0].centres: at least one centre is required for role staff`},
		{"supervisor without centres", "centres: [KRM, BRS]", "centres: []", `people[1].centres: at least one centre is required for role supervisor`},
		{"unknown centre", "centres: [KRM, BRS]", "centres: [KRM, XYZ]", `people[1].centres[1]: unknown centre "XYZ"`},
		{"duplicate person centre", "centres: [KRM, BRS]", "centres: [KRM, KRM]", `people[1].centres[1]: duplicate "KRM"`},
		{"manager with unknown centre", "role: manager\n", "role: manager\n    centres: [ABC]\n", `people[2].centres[0]: unknown centre "ABC"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(edit(t, tc.old, tc.new)))
			if err == nil {
				t.Fatalf("Parse succeeded (%d centres); want error %q", len(c.Centres), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error:\n%v\nwant it to contain %q", err, tc.want)
			}
			if !errors.Is(err, shakwa.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false; want true")
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Errorf("errors.As(err, *FieldError) = false; want true")
			}
		})
	}
}

func TestValidateReportsEverything(t *testing.T) {
	doc := edit(t, baseCentres, `centres:
  - code: krm
    name: {en: Karama}
`)
	_, err := Parse([]byte(doc))
	if err == nil {
		t.Fatal("Parse succeeded; want errors")
	}
	for _, want := range []string{
		`centres[0].code: "krm" must be`,
		`centres[0].name.ar: required`,
		`centres[0].staff_chat: required`,
		`people[0].centres[0]: unknown centre "KRM"`,
		`people[1].centres[1]: unknown centre "BRS"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q; got:\n%v", want, err)
		}
	}
	if got, want := strings.Count(err.Error(), "\n")+1, 6; got != want {
		t.Errorf("got %d problems; want %d:\n%v", got, want, err)
	}
}

func TestParseDecodeErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown top-level field", base + "colour: blue\n", "field colour not found"},
		{"unknown centre field", edit(t, "staff_chat: -1002", "staff_chat: -1002\n    staffchat: -1"), "field staffchat not found"},
		{"unknown sla field", edit(t, "claim: 30m", "claim: 30m, respond: 1h"), "field respond not found"},
		{"unknown name field", edit(t, "en: Karama", "fr: Karama"), "field fr not found"},
		{"unknown person field", edit(t, "role: manager", "role: manager\n    phone: 1"), "field phone not found"},
		{"unknown session field", edit(t, "idle: 30m", "idle: 30m\n  ttl: 1h"), "field ttl not found"},
		{"bad duration", edit(t, "idle: 30m", "idle: half an hour"), `line 3: duration "half an hour"`},
		{"duration without unit", edit(t, "resolve: 48h", "resolve: 48"), `duration "48"`},
		{"staff chat not a number", edit(t, "staff_chat: -1002", "staff_chat: group"), "cannot unmarshal"},
		{"two documents", base + "---\n" + base, "exactly one YAML document"},
		{"not a mapping", "- a\n- b\n", "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "null\n"} {
		_, err := Parse([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), "centres: at least one centre is required") {
			t.Errorf("Parse(%q) error = %v; want the missing centres reported", doc, err)
		}
	}
}

func TestExampleFile(t *testing.T) {
	c, err := Load("../config.example.yaml")
	if err != nil {
		t.Fatalf("Load example: %v", err)
	}
	if !c.Example {
		t.Error("example: false; want the example marked, so that serve refuses its placeholder people")
	}
	if len(c.Centres) < 4 || len(c.Categories) < 9 {
		t.Errorf("example has %d centres, %d categories; want at least 4 and 9", len(c.Centres), len(c.Categories))
	}
	roles := map[shakwa.Role]int{}
	for _, p := range c.People {
		roles[p.Role]++
	}
	for _, r := range []shakwa.Role{shakwa.RoleStaff, shakwa.RoleSupervisor, shakwa.RoleManager} {
		if roles[r] == 0 {
			t.Errorf("example has no %s", r)
		}
	}
	for i, ce := range c.Centres {
		if ce.Name.EN == "" {
			t.Errorf("centres[%d] (%s) has no English name", i, ce.Code)
		}
	}
	if ce, ok := c.Centre("KRM"); !ok || ce.Name.AR != "مركز سعادة المتعاملين - الكرامة" {
		t.Errorf("Centre(KRM) = %+v, %v; want the Karama centre", ce, ok)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("testdata-does-not-exist.yaml"); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

// TestCalendars: the SLA clock of each centre is the configuration's
// working hours and holidays, a centre's own week and holidays on top, or
// every hour for a centre on calendar time.
func TestCalendars(t *testing.T) {
	c, err := Parse([]byte(strings.Replace(base, "reopen_days: 7\n", `reopen_days: 7
working_hours: {monday: 07:30-15:30, friday: 07:30-12:00}
holidays: [2026-12-02]
`, 1) + ""))
	if err != nil {
		t.Fatal(err)
	}
	krm := c.Calendar("KRM")
	if krm.EveryHour() || krm.Week[time.Monday].String() != "07:30-15:30" || krm.Week[time.Sunday].String() != "closed" ||
		!krm.Holidays["2026-12-02"] || krm.Loc.String() != "Asia/Dubai" {
		t.Errorf("KRM calendar %+v", krm)
	}
	own, err := Parse([]byte(edit(t, "staff_chat: -1002", `staff_chat: -1002
    sla: {claim: 1h, resolve: 2d, clock: calendar}`)))
	if err != nil {
		t.Fatal(err)
	}
	if !own.Calendar("BRS").EveryHour() || !own.Calendar("KRM").EveryHour() {
		t.Error("with no working hours, or clock: calendar, every hour counts")
	}
	week, err := Parse([]byte(strings.Replace(edit(t, "staff_chat: -1002", `staff_chat: -1002
    working_hours: {sunday: 08:00-16:00}
    holidays: [2026-12-18]`), "reopen_days: 7\n", "reopen_days: 7\nworking_hours: {monday: 07:30-15:30}\nholidays: [2026-12-02]\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	riyadh, err := Parse([]byte(strings.Replace(edit(t, "staff_chat: -1002", "staff_chat: -1002\n    timezone: Asia/Riyadh"),
		"reopen_days: 7\n", "reopen_days: 7\nworking_hours: {sunday: 08:00-16:00}\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := riyadh.Calendar("BRS").Loc.String(); got != "Asia/Riyadh" {
		t.Errorf("BRS's calendar zone %s; want its own, Asia/Riyadh", got)
	}
	if got := riyadh.Calendar("KRM").Loc.String(); got != "Asia/Dubai" {
		t.Errorf("KRM's calendar zone %s; want the configuration's", got)
	}
	brs := week.Calendar("BRS")
	if brs.Week[time.Sunday].String() != "08:00-16:00" || !brs.Week[time.Monday].Closed() || !brs.Holidays["2026-12-02"] || !brs.Holidays["2026-12-18"] {
		t.Errorf("BRS's own week and holidays: %+v", brs)
	}
}
