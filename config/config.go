// Package config reads the YAML file that describes a deployment: its time
// zone, service centres with their staff chats and service levels,
// complaint categories, and the staff, supervisors and managers who may act
// on tickets.
//
// Parse and Load return a validated Config with lookup indexes built; the
// Config is read-only from then on and safe for concurrent use.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/worktime"
	"gopkg.in/yaml.v3"
)

// Defaults applied by Parse to settings the file leaves out.
const (
	DefaultTimezone   = "Asia/Dubai"       // Config.Timezone
	DefaultIdle       = 30 * time.Minute   // Config.Session.Idle
	DefaultReopenDays = 7                  // Config.ReopenDays
	DefaultCloseAfter = 7 * 24 * time.Hour // Config.CloseAfter
	DefaultRemindAt   = 80                 // Config.Escalation.RemindAt, percent
	DefaultClaimSLA   = 30 * time.Minute   // SLA.Claim of every centre
	DefaultResolveSLA = 48 * time.Hour     // SLA.Resolve of every centre
)

// Text is a name in Arabic and, optionally, English.
type Text struct {
	AR string `yaml:"ar"`
	EN string `yaml:"en"`
}

// In returns the text for lang: English for "en" when there is one, Arabic
// otherwise.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.AR
}

// Config is one deployment's configuration.
type Config struct {
	// Example marks the example configuration (config.example.yaml),
	// whose people are placeholders: `shakwa serve` refuses a file that
	// sets it, the demo and check-config read it.
	Example bool `yaml:"example"`
	// Timezone is the IANA zone the centres work in; it decides where
	// "today" starts in reports.
	Timezone string `yaml:"timezone"`
	// Location is Timezone loaded; Parse sets it.
	Location *time.Location `yaml:"-"`
	// WeekStart is the first day of a reporting week: "monday" (the
	// default, as in the UAE, whose working week has run Monday to Friday
	// since 2022) or "sunday" (Bahrain, Saudi Arabia, Qatar, Kuwait, Oman:
	// weekends on Friday and Saturday).
	WeekStart string `yaml:"week_start"`
	// Session holds conversation settings.
	Session Session `yaml:"session"`
	// ReopenDays is how many days after resolution a citizen may reopen a
	// ticket.
	ReopenDays int `yaml:"reopen_days"`
	// CloseAfter is how long a resolved ticket waits for the citizen's
	// rating before it is closed without one, and the citizen told so.
	CloseAfter Duration `yaml:"close_after"`
	// Centres are the service centres, in display order.
	Centres []Centre `yaml:"centres"`
	// Categories are the complaint categories, in display order.
	Categories []Category `yaml:"categories"`
	// WorkingHours are when the centres work, for their SLA clocks; nil:
	// every hour counts. Holidays are days every centre is closed.
	WorkingHours *Week    `yaml:"working_hours"`
	Holidays     []string `yaml:"holidays"`
	// RejectReasons are the reasons staff may reject a ticket for, in
	// display order; DefaultRejectReasons when none are given.
	RejectReasons []RejectReason `yaml:"reject_reasons"`
	// People are the staff, supervisors and managers.
	People []Person `yaml:"people"`
	// WhatsApp holds the settings of the WhatsApp channel that are not
	// secrets.
	WhatsApp WhatsApp `yaml:"whatsapp"`
	// Reports says when the daily, weekly and monthly reports go to every
	// manager and supervisor.
	Reports Reports `yaml:"reports"`
	// Escalation says who hears of a ticket near or past its SLA
	// deadline, and when.
	Escalation Escalation `yaml:"escalation"`
	// Limits bound what one citizen files.
	Limits Limits `yaml:"limits"`
	// Retention is how long citizens' personal data is kept.
	Retention Retention `yaml:"retention"`
	// Web is how the web chat presents itself, and where it may be
	// embedded.
	Web Web `yaml:"web"`
	// Quality is the centres' quality programme: monthly self-assessment
	// and mystery-shopper visits.
	Quality Quality `yaml:"quality"`

	idx *index // built by Parse; nil for a Config built in code
}

// Web is the web chat's look: the bot's name in each language, its
// colour, its logo, and the other websites that may embed it.
type Web struct {
	// Name is the bot's name by language, shown in the page's header and
	// over its messages; default the page's title.
	Name map[string]string `yaml:"name"`
	// Colour is the page's main colour, "#rrggbb"; default a dark green.
	// It carries white text, so it must be dark enough for that.
	Colour string `yaml:"colour"`
	// Logo is a PNG, JPEG or SVG file shown in the header, a path on the
	// server (read at start).
	Logo string `yaml:"logo"`
	// EmbedOrigins are the websites (scheme://host[:port]) that may show
	// the chat in their pages with the widget script; the chat's own
	// origin always may.
	EmbedOrigins []string `yaml:"embed_origins"`
}

// Limits bound what one citizen files, so that a flood from one person
// neither buries a centre nor slows anyone else.
type Retention struct {
	// Days is how long after a ticket closes its personal data (the
	// citizen's words, phone and files, what links it to them) is kept;
	// then it is erased, and its times, centre, category and rating stay
	// for the figures. Default 365.
	Days int `yaml:"days"`
}

type Limits struct {
	// OpenTickets is how many open tickets a citizen may have at once.
	// Default 5.
	OpenTickets int `yaml:"open_tickets"`
	// TicketsPerDay is how many a citizen may file in 24 hours. Default 10.
	TicketsPerDay int `yaml:"tickets_per_day"`
	// MessagesPerMinute is how many messages a citizen's chat is answered
	// in a minute; past it what they send is still taken, they are asked
	// once to slow down, and the rest of the minute goes unanswered.
	// Default 20.
	MessagesPerMinute int `yaml:"messages_per_minute"`
	// DuplicateWithin is how recent an open ticket at the same centre and
	// category must be for a new complaint to be asked whether it is the
	// same matter; 0 never asks. Default 72h.
	DuplicateWithin Duration `yaml:"duplicate_within"`
	// BulkPerSecond is how many messages a second the bot sends on its
	// own (reports, reminders, escalations), on each channel, across every
	// replica; answers to people who wrote are not counted and go first.
	// A channel whose own limit is lower keeps it. Default 30 (Telegram's
	// limit for notifications to many people).
	BulkPerSecond float64 `yaml:"bulk_per_second"`
}

// Escalation is what happens around a ticket's SLA deadlines: a reminder
// before (to the group while nobody holds it, else to its holder), then,
// once a deadline passed, each step of the ladder in turn.
type Escalation struct {
	// RemindAt is the share of a target, in percent, at which the
	// reminder goes; 0 sends none. Default 80.
	RemindAt int `yaml:"remind_at"`
	// Ladder are the steps after a deadline; default: the centre's
	// supervisors at once, its managers four hours later.
	Ladder []Step `yaml:"ladder"`
}

// Step is one rung of the escalation ladder: who is told, how long after
// the deadline (in the centre's working time, as the target).
type Step struct {
	To    string   `yaml:"to"` // supervisors or managers
	After Duration `yaml:"after"`
}

// Escalation steps' audiences.
const (
	ToSupervisors = "supervisors"
	ToManagers    = "managers"
)

// Reports says when the scheduled reports go out, in Timezone.
type Reports struct {
	// At is the time of day they go out, "HH:MM". Default: 08:00.
	At string `yaml:"at"`
	// Daily, Weekly and Monthly turn each report on or off. Default: on.
	Daily   bool `yaml:"daily"`
	Weekly  bool `yaml:"weekly"`
	Monthly bool `yaml:"monthly"`
	// WeeklyOn is the day the weekly report (of the week before) goes
	// out: a day's English name. Default: the week's first day.
	WeeklyOn string `yaml:"weekly_on"`
	// MonthlyOn is the day of the month the monthly report (of the month
	// before) goes out, 1 to 28. Default: 1.
	MonthlyOn int `yaml:"monthly_on"`
}

// ReportsAt is Reports.At as hour and minute.
func (c *Config) ReportsAt() (hour, minute int) {
	t, err := time.Parse("15:04", c.Reports.At)
	if err != nil {
		return 8, 0
	}
	return t.Hour(), t.Minute()
}

// WeeklyReportDay is the day the weekly report goes out.
func (c *Config) WeeklyReportDay() time.Weekday {
	if d, ok := weekdays[strings.ToLower(c.Reports.WeeklyOn)]; ok {
		return d
	}
	return c.FirstWeekday()
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// Session holds conversation settings.
type Session struct {
	// Idle is how long a half-finished conversation lives without input.
	Idle Duration `yaml:"idle"`
}

// WhatsApp holds the WhatsApp channel's settings.
type WhatsApp struct {
	// Template is the approved message template that invites a citizen
	// back when something is owed to them more than 24 hours after they
	// last wrote (WhatsApp allows only templates then).
	Template Template `yaml:"template"`
}

// Template names an approved WhatsApp message template: its name and, by
// our language code, the template's language code (ar, en_US...). Its
// body has one parameter, the ticket number.
type Template struct {
	Name      string            `yaml:"name"`
	Languages map[string]string `yaml:"languages"`
}

// Centre is one service centre.
type Centre struct {
	// Code is 2-6 upper-case letters, the prefix of its ticket numbers.
	Code string `yaml:"code"`
	// Name is what citizens and staff see.
	Name Text `yaml:"name"`
	// StaffChat is the Telegram group where the centre's staff get tickets.
	StaffChat int64 `yaml:"staff_chat"`
	// SLA is the centre's service level targets.
	SLA SLA `yaml:"sla"`
	// WorkingHours, when given, replace the configuration's for this
	// centre, the whole week.
	WorkingHours *Week `yaml:"working_hours"`
	// Holidays are closed days of this centre besides the
	// configuration's: YYYY-MM-DD.
	Holidays []string `yaml:"holidays"`
	// GroupLang is the language the bot writes in the staff group: ar
	// (the default) or en.
	GroupLang string `yaml:"group_lang"`
	// Timezone is the zone of the centre's working hours and holidays,
	// when it is not the configuration's (a centre in another country).
	Timezone string `yaml:"timezone"`
}

// Week is the opening hours of each day, "07:30-14:30" or "closed"; a day
// left out is closed.
type Week struct {
	Sunday    string `yaml:"sunday"`
	Monday    string `yaml:"monday"`
	Tuesday   string `yaml:"tuesday"`
	Wednesday string `yaml:"wednesday"`
	Thursday  string `yaml:"thursday"`
	Friday    string `yaml:"friday"`
	Saturday  string `yaml:"saturday"`
}

// days are the week's hours by time.Weekday.
func (w Week) days() [7]string {
	return [7]string{w.Sunday, w.Monday, w.Tuesday, w.Wednesday, w.Thursday, w.Friday, w.Saturday}
}

// Calendar is when the SLA clocks of the centre with the given code run:
// its working hours (or the configuration's) and holidays in its zone (or
// the configuration's), or every hour when its sla.clock is calendar or
// no working hours are configured at all.
func (c *Config) Calendar(code string) worktime.Calendar {
	cal := worktime.Calendar{Loc: c.Location}
	ce, ok := c.Centre(code)
	if ok && ce.Timezone != "" {
		if loc, err := time.LoadLocation(ce.Timezone); err == nil { // Validate has loaded it
			cal.Loc = loc
		}
	}
	week := c.WorkingHours
	if ok && ce.WorkingHours != nil {
		week = ce.WorkingHours
	}
	if week == nil || ok && ce.SLA.Clock == ClockCalendar {
		cal.Always = true
		return cal
	}
	for i, h := range week.days() {
		cal.Week[i], _ = worktime.ParseHours(h) // Validate has checked them
	}
	cal.Holidays = map[string]bool{}
	for _, d := range c.Holidays {
		cal.Holidays[d] = true
	}
	if ok {
		for _, d := range ce.Holidays {
			cal.Holidays[d] = true
		}
	}
	return cal
}

// UnmarshalYAML fills in the default SLA before decoding, so that a centre
// leaving out sla, or one of its times, gets the default. It uses the
// function form of the unmarshaler because that form keeps the decoder's
// strictness (unknown fields stay errors) for the fields inside.
func (c *Centre) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Centre // same fields, no methods: no recursion
	p := plain{SLA: SLA{Claim: Duration(DefaultClaimSLA), Resolve: Duration(DefaultResolveSLA)}}
	if err := unmarshal(&p); err != nil {
		return err
	}
	*c = Centre(p)
	return nil
}

// SLA is a centre's service level targets, measured from a ticket's
// creation.
type SLA struct {
	// Claim is the target time until a staff member claims a ticket.
	Claim Duration `yaml:"claim"`
	// Resolve is the target time until a ticket is resolved.
	Resolve Duration `yaml:"resolve"`
	// Clock is how the targets are counted: "working" (the default: in
	// working hours, when any are configured) or "calendar" (every hour).
	Clock string `yaml:"clock"`
}

// SLA clocks.
const (
	ClockWorking  = "working"
	ClockCalendar = "calendar"
)

// Category is one kind of complaint a citizen can choose.
type Category struct {
	// Code is the stable identifier stored on tickets: a lower-case letter
	// followed by up to 31 lower-case letters, digits or underscores.
	Code string `yaml:"code"`
	// Name is what citizens and staff see.
	Name Text `yaml:"name"`
	// SLA, when given, replaces the centre's targets for tickets of this
	// category (either or both; the clock stays the centre's).
	SLA *SLA `yaml:"sla"`
}

// RejectReason is a reason a ticket can be rejected for.
type RejectReason struct {
	// Code is its key, like a category's: out_of_scope.
	Code string `yaml:"code"`
	// Name is what the citizen and staff read.
	Name Text `yaml:"name"`
	// Amend lets the citizen add what was missing, once: the ticket then
	// goes back to its centre's queue.
	Amend bool `yaml:"amend"`
	// Duplicate says the ticket repeats another: a ticket number in the
	// staff member's words links the two, and the citizen is pointed to
	// the one followed up.
	Duplicate bool `yaml:"duplicate"`
}

// DefaultRejectReasons are the reasons when the configuration gives none.
var DefaultRejectReasons = []RejectReason{
	{Code: "out_of_scope", Name: Text{AR: "خارج اختصاص المركز", EN: "Outside the centre's remit"}},
	{Code: "duplicate", Name: Text{AR: "مكرر لطلب آخر", EN: "A duplicate of another request"}, Duplicate: true},
	{Code: "need_info", Name: Text{AR: "معلومات غير كافية", EN: "Not enough information"}, Amend: true},
	{Code: "abusive", Name: Text{AR: "لغة مسيئة", EN: "Abusive language"}},
}

// RejectReason returns the reason with the given code.
func (c *Config) RejectReason(code string) (RejectReason, bool) {
	i := slices.IndexFunc(c.RejectReasons, func(r RejectReason) bool { return r.Code == code })
	if i < 0 {
		return RejectReason{}, false
	}
	return c.RejectReasons[i], true
}

// Person is someone who works tickets or reads reports.
type Person struct {
	// Telegram is the person's Telegram user id.
	Telegram int64 `yaml:"telegram"`
	// Name is how tickets and reports name the person.
	Name string `yaml:"name"`
	// Role is staff, supervisor, manager or evaluator (a mystery
	// shopper, who files visits and sees no ticket).
	Role shakwa.Role `yaml:"role"`
	// Centres are the codes of the centres the person serves. Staff and
	// supervisors list at least one; a manager who lists none oversees
	// all, and an evaluator who lists none may visit any.
	Centres []string `yaml:"centres"`
}

// Serves reports whether p works for the centre with the given code: staff
// and supervisors when they list it, managers when they list it or list no
// centre at all.
func (p Person) Serves(centre string) bool {
	switch p.Role {
	case shakwa.RoleManager:
		return len(p.Centres) == 0 || slices.Contains(p.Centres, centre)
	case shakwa.RoleStaff, shakwa.RoleSupervisor:
		return slices.Contains(p.Centres, centre)
	}
	return false
}

// Evaluates reports whether p is an evaluator who may file visits to the
// centre with the given code: one listing it, or listing none.
func (p Person) Evaluates(centre string) bool {
	return p.Role == shakwa.RoleEvaluator && (len(p.Centres) == 0 || slices.Contains(p.Centres, centre))
}

// Load reads the file at path and parses it with Parse.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return c, nil
}

// DefaultRetentionDays is retention.days when it is not set.
const DefaultRetentionDays = 365

// Parse decodes one YAML document strictly (an unknown field is an error),
// fills in defaults, validates the result and builds the lookup indexes.
// A validation failure lists every problem found; each is a *FieldError
// and matches shakwa.ErrInvalid.
func Parse(data []byte) (*Config, error) {
	c := &Config{Timezone: DefaultTimezone, WeekStart: "monday", ReopenDays: DefaultReopenDays, CloseAfter: Duration(DefaultCloseAfter)}
	c.Session.Idle = Duration(DefaultIdle)
	c.Reports = Reports{At: "08:00", Daily: true, Weekly: true, Monthly: true, MonthlyOn: 1}
	c.Escalation.RemindAt = DefaultRemindAt
	c.Limits = Limits{OpenTickets: 5, TicketsPerDay: 10, MessagesPerMinute: 20, DuplicateWithin: Duration(72 * time.Hour),
		BulkPerSecond: 30}
	c.Retention.Days = DefaultRetentionDays
	c.Quality.Weights = DefaultQualityWeights
	c.Quality.Assessment = AssessmentSchedule{Day: 1, At: "09:00", RemindAfter: Duration(72 * time.Hour),
		EscalateAfter: Duration(7 * 24 * time.Hour)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse config: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse config: want exactly one YAML document: %w", shakwa.ErrInvalid)
	}
	if c.Escalation.Ladder == nil {
		c.Escalation.Ladder = []Step{{To: ToSupervisors}, {To: ToManagers, After: Duration(4 * time.Hour)}}
	}
	if len(c.RejectReasons) == 0 {
		c.RejectReasons = slices.Clone(DefaultRejectReasons)
	}
	c.Quality.defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil { // Validate has loaded it once already
		return nil, fmt.Errorf("timezone: %w", err)
	}
	c.Location = loc
	c.idx = newIndex(c)
	return c, nil
}

// index maps codes and ids to positions in the Config's slices.
type index struct {
	centres    map[string]int
	categories map[string]int
	people     map[int64]int
	chats      map[int64]int
}

func newIndex(c *Config) *index {
	x := &index{
		centres:    make(map[string]int, len(c.Centres)),
		categories: make(map[string]int, len(c.Categories)),
		people:     make(map[int64]int, len(c.People)),
		chats:      make(map[int64]int, len(c.Centres)),
	}
	for i, ce := range c.Centres {
		x.centres[ce.Code] = i
		x.chats[ce.StaffChat] = i
	}
	for i, ca := range c.Categories {
		x.categories[ca.Code] = i
	}
	for i, p := range c.People {
		x.people[p.Telegram] = i
	}
	return x
}

// FirstWeekday is WeekStart as a day of the week.
func (c *Config) FirstWeekday() time.Weekday {
	if c.WeekStart == "monday" {
		return time.Monday
	}
	return time.Sunday
}

// Centre returns the centre with the given code (exact, upper case).
func (c *Config) Centre(code string) (Centre, bool) {
	return lookup(c.Centres, c.index().centres, code, func(x Centre) string { return x.Code })
}

// Category returns the category with the given code.
func (c *Config) Category(code string) (Category, bool) {
	return lookup(c.Categories, c.index().categories, code, func(x Category) string { return x.Code })
}

// Person returns the configured person with the given Telegram user id.
func (c *Config) Person(telegramID int64) (Person, bool) {
	return lookup(c.People, c.index().people, telegramID, func(x Person) int64 { return x.Telegram })
}

// CentreByStaffChat returns the centre whose staff group is chat.
func (c *Config) CentreByStaffChat(chat int64) (Centre, bool) {
	if chat == 0 {
		return Centre{}, false
	}
	return lookup(c.Centres, c.index().chats, chat, func(x Centre) int64 { return x.StaffChat })
}

// CentreCodes returns the centre codes in configured order.
func (c *Config) CentreCodes() []string {
	codes := make([]string, len(c.Centres))
	for i, ce := range c.Centres {
		codes[i] = ce.Code
	}
	return codes
}

// index returns the indexes Parse built, or an empty one for a Config
// built in code, whose lookups then scan the slices.
func (c *Config) index() *index {
	if c.idx != nil {
		return c.idx
	}
	return &index{}
}

// lookup finds key through m when there is an index, else by scanning.
func lookup[K comparable, T any](items []T, m map[K]int, key K, keyOf func(T) K) (T, bool) {
	var zero T
	if m != nil {
		if i, ok := m[key]; ok {
			return items[i], true
		}
		return zero, false
	}
	for _, it := range items {
		if keyOf(it) == key {
			return it, true
		}
	}
	return zero, false
}
