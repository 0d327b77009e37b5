package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/worktime"
)

// FieldError is one problem Validate found, at Path: the field's place in
// the YAML file, such as "centres[2].code" or "people[0].centres[1]".
type FieldError struct {
	Path    string // e.g. "centres[2].code"
	Problem string // e.g. `"krm" must be 2-6 upper-case letters`
}

// Error returns "path: problem".
func (e *FieldError) Error() string { return e.Path + ": " + e.Problem }

// Unwrap makes every FieldError match shakwa.ErrInvalid.
func (e *FieldError) Unwrap() error { return shakwa.ErrInvalid }

// problems collects FieldErrors.
type problems []error

func (ps *problems) add(path, format string, args ...any) {
	*ps = append(*ps, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
}

// Validate checks the whole Config and reports every problem at once,
// joined with errors.Join; each is a *FieldError. It does not fill in
// defaults: Parse does that before calling it.
func (c *Config) Validate() error {
	var ps problems
	c.validateSettings(&ps)
	if c.WorkingHours != nil {
		checkWeek(&ps, "working_hours", *c.WorkingHours)
	}
	c.validateWeb(&ps)
	if c.Limits.OpenTickets < 1 {
		ps.add("limits.open_tickets", "%d: want at least 1", c.Limits.OpenTickets)
	}
	if c.Limits.TicketsPerDay < 1 {
		ps.add("limits.tickets_per_day", "%d: want at least 1", c.Limits.TicketsPerDay)
	}
	if c.Retention.Days < 1 {
		ps.add("retention.days", "%d: want at least 1", c.Retention.Days)
	}
	if c.Limits.BulkPerSecond <= 0 {
		ps.add("limits.bulk_per_second", "%v: want more than 0", c.Limits.BulkPerSecond)
	}
	if c.Limits.MessagesPerMinute < 1 {
		ps.add("limits.messages_per_minute", "%d: want at least 1", c.Limits.MessagesPerMinute)
	}
	if c.Limits.DuplicateWithin < 0 {
		ps.add("limits.duplicate_within", "%s: want zero (never ask) or more", c.Limits.DuplicateWithin)
	}
	if r := c.Escalation.RemindAt; r < 0 || r >= 100 {
		ps.add("escalation.remind_at", "%d: want a percentage of the target from 0 (no reminder) to 99", r)
	}
	for i, st := range c.Escalation.Ladder {
		at := fmt.Sprintf("escalation.ladder[%d]", i)
		if st.To != ToSupervisors && st.To != ToManagers {
			ps.add(at+".to", "%q: want supervisors or managers", st.To)
		}
		if st.After < 0 || i > 0 && st.After < c.Escalation.Ladder[i-1].After {
			ps.add(at+".after", "%s: want zero or more, and no earlier than the step before", st.After)
		}
	}
	checkDays(&ps, "holidays", c.Holidays)
	centres := c.validateCentres(&ps)
	c.validateCategories(&ps)
	c.validateReasons(&ps)
	c.validatePeople(&ps, centres)
	c.validateQuality(&ps)
	return errors.Join(ps...)
}

func (c *Config) validateSettings(ps *problems) {
	switch {
	case c.Timezone == "":
		ps.add("timezone", "required")
	default:
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			ps.add("timezone", "%q is not a known IANA time zone", c.Timezone)
		}
	}
	if c.WeekStart != "sunday" && c.WeekStart != "monday" {
		ps.add("week_start", "%q: want sunday or monday", c.WeekStart)
	}
	if _, err := time.Parse("15:04", c.Reports.At); err != nil || len(c.Reports.At) != 5 {
		ps.add("reports.at", "%q: want a time of day as HH:MM, e.g. 08:00", c.Reports.At)
	}
	if _, ok := weekdays[strings.ToLower(c.Reports.WeeklyOn)]; !ok && c.Reports.WeeklyOn != "" {
		ps.add("reports.weekly_on", "%q: want a day of the week, e.g. sunday", c.Reports.WeeklyOn)
	}
	if c.Reports.MonthlyOn < 1 || c.Reports.MonthlyOn > 28 {
		ps.add("reports.monthly_on", "%d: want a day from 1 to 28", c.Reports.MonthlyOn)
	}
	if c.Session.Idle <= 0 {
		ps.add("session.idle", "must be greater than zero")
	}
	if c.ReopenDays < 1 {
		ps.add("reopen_days", "must be at least 1")
	}
	if c.CloseAfter < Duration(time.Hour) {
		ps.add("close_after", "must be at least 1h")
	}
	if t := c.WhatsApp.Template; t.Name != "" || len(t.Languages) > 0 {
		if t.Name == "" {
			ps.add("whatsapp.template.name", "required with languages")
		}
		if t.Languages["ar"] == "" {
			ps.add("whatsapp.template.languages.ar", "required: the template's Arabic language code (e.g. ar)")
		}
		for lang, code := range t.Languages {
			if lang != "ar" && lang != "en" {
				ps.add("whatsapp.template.languages."+lang, "unknown language (want ar or en)")
			}
			if code == "" {
				ps.add("whatsapp.template.languages."+lang, "empty template language code")
			}
		}
	}
}

// validateCentres checks the centres and returns the set of valid-looking
// codes, for checking references to them.
func (c *Config) validateCentres(ps *problems) map[string]bool {
	if len(c.Centres) == 0 {
		ps.add("centres", "at least one centre is required")
	}
	codes := make(map[string]bool, len(c.Centres))
	firstCode := make(map[string]int)
	firstChat := make(map[int64]int)
	for i, ce := range c.Centres {
		at := fmt.Sprintf("centres[%d]", i)
		checkCode(ps, at+".code", ce.Code, isCentreCode, "2-6 upper-case letters", firstCode, i, "centres")
		if ce.Code != "" {
			codes[ce.Code] = true // even if malformed: report that once, not at every reference
		}
		checkText(ps, at+".name", ce.Name)
		switch j, dup := firstChat[ce.StaffChat]; {
		case ce.StaffChat == 0:
			ps.add(at+".staff_chat", "required")
		case dup:
			ps.add(at+".staff_chat", "duplicate %d (first at centres[%d])", ce.StaffChat, j)
		default:
			firstChat[ce.StaffChat] = i
		}
		checkSLA(ps, at+".sla", ce.SLA)
		if ce.WorkingHours != nil {
			checkWeek(ps, at+".working_hours", *ce.WorkingHours)
		}
		checkDays(ps, at+".holidays", ce.Holidays)
		if ce.Timezone != "" {
			if _, err := time.LoadLocation(ce.Timezone); err != nil {
				ps.add(at+".timezone", "%q is not a known IANA time zone", ce.Timezone)
			}
		}
		if ce.GroupLang != "" && ce.GroupLang != "ar" && ce.GroupLang != "en" {
			ps.add(at+".group_lang", "%q: want ar or en", ce.GroupLang)
		}
	}
	return codes
}

var weekdayNames = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// checkWeek wants each day's hours readable, and some working time.
func checkWeek(ps *problems, at string, w Week) {
	open := false
	for i, h := range w.days() {
		hours, err := worktime.ParseHours(h)
		if err != nil {
			ps.add(at+"."+weekdayNames[i], "%q: want HH:MM-HH:MM (opening, closing) or closed", h)
		}
		open = open || err == nil && !hours.Closed()
	}
	if !open {
		ps.add(at, "no working day: give at least one day's hours, or use sla.clock: calendar")
	}
}

// checkDays wants dates as YYYY-MM-DD.
func checkDays(ps *problems, at string, days []string) {
	for i, d := range days {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			ps.add(fmt.Sprintf("%s[%d]", at, i), "%q: want a date as YYYY-MM-DD", d)
		}
	}
}

func checkSLA(ps *problems, at string, s SLA) {
	if s.Claim <= 0 {
		ps.add(at+".claim", "must be greater than zero")
	}
	if s.Resolve <= 0 {
		ps.add(at+".resolve", "must be greater than zero")
	}
	if s.Claim > 0 && s.Resolve > 0 && s.Claim > s.Resolve {
		ps.add(at+".claim", "%s must not be longer than resolve (%s)", s.Claim, s.Resolve)
	}
	if s.Clock != "" && s.Clock != ClockWorking && s.Clock != ClockCalendar {
		ps.add(at+".clock", "%q: want working or calendar", s.Clock)
	}
}

func (c *Config) validateCategories(ps *problems) {
	if len(c.Categories) == 0 {
		ps.add("categories", "at least one category is required")
	}
	first := make(map[string]int)
	for i, ca := range c.Categories {
		at := fmt.Sprintf("categories[%d]", i)
		checkCode(ps, at+".code", ca.Code, isCategoryCode,
			"a lower-case letter then up to 31 lower-case letters, digits or _", first, i, "categories")
		checkText(ps, at+".name", ca.Name)
		if ca.SLA != nil {
			if ca.SLA.Claim < 0 || ca.SLA.Resolve < 0 || ca.SLA.Claim == 0 && ca.SLA.Resolve == 0 {
				ps.add(at+".sla", "give claim, resolve or both, greater than zero")
			}
			if ca.SLA.Clock != "" {
				ps.add(at+".sla.clock", "the clock is the centre's: set it there")
			}
		}
	}
}

func (c *Config) validateReasons(ps *problems) {
	first := make(map[string]int)
	for i, r := range c.RejectReasons {
		at := fmt.Sprintf("reject_reasons[%d]", i)
		checkCode(ps, at+".code", r.Code, isCategoryCode,
			"a lower-case letter then up to 31 lower-case letters, digits or _", first, i, "reject_reasons")
		checkText(ps, at+".name", r.Name)
	}
}

func (c *Config) validatePeople(ps *problems, centres map[string]bool) {
	first := make(map[int64]int)
	for i, p := range c.People {
		at := fmt.Sprintf("people[%d]", i)
		switch j, dup := first[p.Telegram]; {
		case p.Telegram == 0:
			ps.add(at+".telegram", "required")
		case p.Telegram < 0:
			ps.add(at+".telegram", "%d is not a user id (user ids are positive)", p.Telegram)
		case dup:
			ps.add(at+".telegram", "duplicate %d (first at people[%d])", p.Telegram, j)
		default:
			first[p.Telegram] = i
		}
		if strings.TrimSpace(p.Name) == "" {
			ps.add(at+".name", "required")
		}
		checkRole(ps, at, p)
		checkPersonCentres(ps, at, p.Centres, centres)
	}
}

func checkRole(ps *problems, at string, p Person) {
	switch p.Role {
	case "":
		ps.add(at+".role", "required")
	case shakwa.RoleStaff, shakwa.RoleSupervisor:
		if len(p.Centres) == 0 {
			ps.add(at+".centres", "at least one centre is required for role %s", p.Role)
		}
	case shakwa.RoleManager, shakwa.RoleEvaluator:
		// No centres means all centres.
	default:
		ps.add(at+".role", "%q must be staff, supervisor, manager or evaluator", p.Role)
	}
}

func checkPersonCentres(ps *problems, at string, list []string, centres map[string]bool) {
	seen := make(map[string]bool, len(list))
	for k, code := range list {
		switch {
		case !centres[code]:
			ps.add(fmt.Sprintf("%s.centres[%d]", at, k), "unknown centre %q", code)
		case seen[code]:
			ps.add(fmt.Sprintf("%s.centres[%d]", at, k), "duplicate %q", code)
		}
		seen[code] = true
	}
}

// checkCode reports a missing, malformed or repeated code; first records
// where each code was first seen, list names the list for the message.
func checkCode(ps *problems, at, code string, valid func(string) bool, want string,
	first map[string]int, i int, list string) {
	switch j, dup := first[code]; {
	case code == "":
		ps.add(at, "required")
	case !valid(code):
		ps.add(at, "%q must be %s", code, want)
	case dup:
		ps.add(at, "duplicate %q (first at %s[%d])", code, list, j)
	default:
		first[code] = i
	}
}

func checkText(ps *problems, at string, t Text) {
	if strings.TrimSpace(t.AR) == "" {
		ps.add(at+".ar", "required")
	}
}

// isCentreCode reports whether s is 2-6 ASCII upper-case letters.
func isCentreCode(s string) bool {
	if len(s) < 2 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// isCategoryCode reports whether s is a lower-case ASCII letter followed by
// up to 31 lower-case letters, digits or underscores.
func isCategoryCode(s string) bool {
	if len(s) < 1 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// validateWeb checks the web chat's look and embedding.
func (c *Config) validateWeb(ps *problems) {
	w := c.Web
	if w.Colour != "" && !webColour(w.Colour) {
		ps.add("web.colour", "%q: want #rrggbb", w.Colour)
	} else if w.Colour != "" && luminance(w.Colour) > 0.18 {
		ps.add("web.colour", "%q: too light for white text (WCAG AA needs a contrast of 4.5)", w.Colour)
	}
	for lang := range w.Name {
		if lang != "ar" && lang != "en" {
			ps.add("web.name", "%q: want ar or en", lang)
		}
	}
	if w.Logo != "" {
		switch strings.ToLower(filepath.Ext(w.Logo)) {
		case ".png", ".jpg", ".jpeg", ".svg":
		default:
			ps.add("web.logo", "%q: want a .png, .jpg or .svg file", w.Logo)
		}
	}
	for i, o := range w.EmbedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			ps.add(fmt.Sprintf("web.embed_origins[%d]", i), "%q: want scheme://host[:port], e.g. https://www.example.gov.ae", o)
		}
	}
}

func webColour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := strconv.ParseUint(s[1:], 16, 32)
	return err == nil
}

// luminance is the relative luminance (WCAG 2) of colour "#rrggbb".
// White text needs it at most about 0.18 for a contrast of 4.5.
func luminance(colour string) float64 {
	v, _ := strconv.ParseUint(colour[1:], 16, 32)
	lin := func(c uint64) float64 {
		x := float64(c) / 255
		if x <= 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
}
