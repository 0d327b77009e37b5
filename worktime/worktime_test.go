package worktime

import (
	"math/rand/v2"
	"testing"
	"time"
)

func mustHours(t *testing.T, s string) Hours {
	t.Helper()
	h, err := ParseHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// uae is the UAE government week: Monday to Thursday 07:30–15:30, Friday
// 07:30–12:00, the weekend Saturday and Sunday; National Day a holiday.
func uae(t *testing.T) Calendar {
	dubai, err := time.LoadLocation("Asia/Dubai")
	if err != nil {
		t.Fatal(err)
	}
	c := Calendar{Loc: dubai, Holidays: map[string]bool{"2026-12-02": true, "2026-12-03": true}}
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday} {
		c.Week[d] = mustHours(t, "07:30-15:30")
	}
	c.Week[time.Friday] = mustHours(t, "07:30-12:00")
	return c
}

// saudi rests on Friday and Saturday: Sunday to Thursday 08:00–16:00.
func saudi(t *testing.T) Calendar {
	riyadh, err := time.LoadLocation("Asia/Riyadh")
	if err != nil {
		t.Fatal(err)
	}
	c := Calendar{Loc: riyadh}
	for _, d := range []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday} {
		c.Week[d] = mustHours(t, "08:00-16:00")
	}
	return c
}

func TestAdd(t *testing.T) {
	u, s := uae(t), saudi(t)
	at := func(c Calendar, v string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", v, c.Loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		name string
		c    Calendar
		from string
		d    time.Duration
		want string
	}{
		{"within the day", u, "2026-11-23 09:00", 4 * time.Hour, "2026-11-23 13:00"},
		{"across the evening", u, "2026-11-23 14:00", 4 * time.Hour, "2026-11-24 10:00"},
		{"ends at closing time", u, "2026-11-23 14:00", 90 * time.Minute, "2026-11-23 15:30"},
		{"filed after hours", u, "2026-11-23 20:00", 30 * time.Minute, "2026-11-24 08:00"},
		{"filed before opening", u, "2026-11-24 06:00", time.Hour, "2026-11-24 08:30"},
		{"Friday half day into Monday", u, "2026-11-27 11:00", 2 * time.Hour, "2026-11-30 08:30"},
		{"filed on the weekend", u, "2026-11-28 10:00", time.Hour, "2026-11-30 08:30"},
		{"over National Day", u, "2026-12-01 15:00", time.Hour, "2026-12-04 08:00"},
		{"48 working hours", u, "2026-11-23 07:30", 48 * time.Hour, "2026-12-01 11:00"}, // 4×8 + 4.5 + 8 + 3.5
		{"Saudi Thursday into Sunday", s, "2026-11-26 15:00", 2 * time.Hour, "2026-11-29 09:00"},
		{"Saudi Friday", s, "2026-11-27 12:00", time.Hour, "2026-11-29 09:00"},
		{"zero from outside hours", u, "2026-11-28 10:00", 0, "2026-11-30 07:30"},
	}
	for _, tt := range tests {
		got := tt.c.Add(at(tt.c, tt.from), tt.d)
		if want := at(tt.c, tt.want); !got.Equal(want) {
			t.Errorf("%s: %s + %v = %s; want %s", tt.name, tt.from, tt.d, got.In(tt.c.Loc).Format("2006-01-02 15:04 Mon"), tt.want)
		}
	}
	// A moment given in UTC is placed in the centre's day: 21:00 UTC on
	// Sunday is 01:00 on Monday in Dubai.
	utc := time.Date(2026, 11, 22, 21, 0, 0, 0, time.UTC)
	if got, want := u.Add(utc, time.Hour), at(u, "2026-11-23 08:30"); !got.Equal(want) {
		t.Errorf("from UTC: %v; want %v", got, want)
	}
}

func TestCalendarTime(t *testing.T) {
	from := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	for _, c := range []Calendar{{}, {Always: true, Week: uae(t).Week}, {Loc: time.UTC}} {
		if got := c.Add(from, 30*time.Hour); !got.Equal(from.Add(30 * time.Hour)) {
			t.Errorf("%+v: %v; want plain %v", c, got, from.Add(30*time.Hour))
		}
		if got := c.Between(from, from.Add(5*time.Hour)); got != 5*time.Hour {
			t.Errorf("between: %v; want 5h", got)
		}
	}
}

// TestNeverOutsideWorkingTime: from any moment, a deadline of any length
// falls within working hours (or at a closing time), and the working time
// between the moment and the deadline is the length asked for.
func TestNeverOutsideWorkingTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []Calendar{uae(t), saudi(t)} {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, c.Loc)
		for range 5000 {
			from := base.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
			d := time.Duration(r.Int64N(int64(100*time.Hour))).Truncate(time.Minute) + time.Minute
			due := c.Add(from, d)
			local := due.In(c.Loc)
			y, m, dd := local.Date()
			open, close, ok := c.hoursOn(time.Date(y, m, dd, 0, 0, 0, 0, c.Loc))
			if !ok || local.Before(open) || local.After(close) {
				t.Fatalf("%v + %v = %v: outside working hours", from, d, local.Format("Mon 2006-01-02 15:04"))
			}
			if got := c.Between(from, due); got != d {
				t.Fatalf("between %v and %v: %v; want %v", from, due, got, d)
			}
		}
	}
}

func TestParseHours(t *testing.T) {
	for in, want := range map[string]string{"07:30-14:30": "07:30-14:30", " 8:00 - 16:00 ": "08:00-16:00",
		"closed": "closed", "": "closed", "00:00-24:00": "00:00-24:00"} {
		h, err := ParseHours(in)
		if err != nil || h.String() != want {
			t.Errorf("ParseHours(%q) = %v, %v; want %s", in, h, err, want)
		}
	}
	for _, bad := range []string{"14:30-07:30", "7-14", "07:30", "25:00-26:00", "07:60-08:00", "open"} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q): no error", bad)
		}
	}
}

// TestClockChangeDay: in a zone that moves its clocks, a day's hours are
// by the wall clock: on the spring-forward and fall-back days work still
// begins at 08:00.
func TestClockChangeDay(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	var c Calendar
	c.Loc = london
	for d := range c.Week {
		c.Week[d] = Hours{Open: 8 * time.Hour, Close: 16 * time.Hour}
	}
	for _, day := range []time.Time{
		time.Date(2026, 3, 29, 0, 30, 0, 0, london),  // clocks go forward at 01:00
		time.Date(2026, 10, 25, 0, 30, 0, 0, london), // and back at 02:00
	} {
		got := c.Add(day, time.Hour).In(london)
		if got.Hour() != 9 || got.Minute() != 0 || got.Day() != day.Day() {
			t.Errorf("an hour of work from %v: %v; want 09:00 that day", day, got)
		}
	}
}
