// Package worktime measures service targets in a centre's working time:
// its opening hours for each day of the week (a Gulf week may rest on
// Friday and Saturday, or Saturday and Sunday, and close early on a
// Friday), its public holidays, in its time zone; or, for a centre that
// counts every hour, plain calendar time.
//
// A deadline of four working hours set at 13:00 on a Thursday of a centre
// open Sunday to Thursday 07:30–14:30 falls at 10:30 on Sunday: 1 h 30 on
// Thursday, 2 h 30 on Sunday. Time outside working hours never counts,
// and a deadline never falls outside them (a target ending exactly at
// closing time falls at closing time).
package worktime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hours are the opening hours of one day, as offsets from local midnight:
// open at Open, closed from Close. A day with Close <= Open is closed.
type Hours struct{ Open, Close time.Duration }

// Closed reports whether the day has no working time.
func (h Hours) Closed() bool { return h.Close <= h.Open }

// ParseHours reads "07:30-14:30", or "closed" (or "") for a closed day.
func ParseHours(s string) (Hours, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "closed" {
		return Hours{}, nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Hours{}, fmt.Errorf("hours %q: want HH:MM-HH:MM or closed", s)
	}
	open, err1 := clock(from)
	end, err2 := clock(to)
	switch {
	case err1 != nil || err2 != nil:
		return Hours{}, fmt.Errorf("hours %q: want HH:MM-HH:MM or closed", s)
	case end <= open:
		return Hours{}, fmt.Errorf("hours %q: closing must come after opening", s)
	}
	return Hours{open, end}, nil
}

// clock reads HH:MM as an offset from midnight, up to 24:00.
func clock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q: not HH:MM", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// String is the hours as ParseHours reads them.
func (h Hours) String() string {
	if h.Closed() {
		return "closed"
	}
	f := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return f(h.Open) + "-" + f(h.Close)
}

// Calendar is when a centre works. The zero Calendar counts every hour
// (calendar time) in UTC.
type Calendar struct {
	// Loc is the zone of the hours and holidays; nil is UTC.
	Loc *time.Location
	// Always counts every hour, whatever Week and Holidays say.
	Always bool
	// Week is the opening hours by time.Weekday.
	Week [7]Hours
	// Holidays are closed days, "YYYY-MM-DD" in Loc.
	Holidays map[string]bool
}

func (c Calendar) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// EveryHour reports whether the calendar counts every hour: it says so,
// or it has no working time at all (which would put every deadline at the
// end of time).
func (c Calendar) EveryHour() bool {
	if c.Always {
		return true
	}
	for _, h := range c.Week {
		if !h.Closed() {
			return false
		}
	}
	return true
}

// hoursOn are the working hours of the local day that starts at midnight,
// as instants; ok is false on a closed day.
func (c Calendar) hoursOn(midnight time.Time) (open, close time.Time, ok bool) {
	h := c.Week[midnight.Weekday()]
	if h.Closed() || c.Holidays[midnight.Format(time.DateOnly)] {
		return time.Time{}, time.Time{}, false
	}
	y, m, d := midnight.Date()
	at := func(off time.Duration) time.Time {
		// By the wall clock, so that a day of a zone that moves its clocks
		// keeps its hours.
		return time.Date(y, m, d, int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second), 0, c.loc())
	}
	return at(h.Open), at(h.Close), true
}

// maxDays bounds the search for working time: a calendar with a working
// day in its week finds one within a week, unless holidays fill years.
const maxDays = 3 * 366

// Add is the instant when d of working time has passed since t. From a
// moment outside working hours, counting starts when they next begin.
func (c Calendar) Add(t time.Time, d time.Duration) time.Time {
	if c.EveryHour() {
		return t.Add(d)
	}
	t = t.In(c.loc())
	y, m, day := t.Date()
	midnight := time.Date(y, m, day, 0, 0, 0, 0, c.loc())
	for range maxDays {
		if open, close, ok := c.hoursOn(midnight); ok {
			from := t
			if from.Before(open) {
				from = open
			}
			if from.Before(close) {
				left := close.Sub(from)
				if d <= left {
					return from.Add(d)
				}
				d -= left
			}
		}
		midnight = time.Date(midnight.Year(), midnight.Month(), midnight.Day()+1, 0, 0, 0, 0, c.loc())
		t = midnight
	}
	return t.Add(d) // no working time for years: count it plain
}

// Between is the working time from a to b (zero when b is not after a).
func (c Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.EveryHour() {
		return b.Sub(a)
	}
	a, b = a.In(c.loc()), b.In(c.loc())
	y, m, day := a.Date()
	midnight := time.Date(y, m, day, 0, 0, 0, 0, c.loc())
	var sum time.Duration
	for !midnight.After(b) {
		if open, close, ok := c.hoursOn(midnight); ok {
			from, to := later(open, a), earlier(close, b)
			if to.After(from) {
				sum += to.Sub(from)
			}
		}
		midnight = time.Date(midnight.Year(), midnight.Month(), midnight.Day()+1, 0, 0, 0, 0, c.loc())
	}
	return sum
}

// Working reports whether t is within working hours.
func (c Calendar) Working(t time.Time) bool {
	if c.EveryHour() {
		return true
	}
	t = t.In(c.loc())
	y, m, d := t.Date()
	open, close, ok := c.hoursOn(time.Date(y, m, d, 0, 0, 0, 0, c.loc()))
	return ok && !t.Before(open) && t.Before(close)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
