package stats

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zone database

	"github.com/shakwa/shakwa"
)

func periodZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// periodCase is what one group of inputs must parse to at now.
type periodCase struct {
	ins      []string
	kind     SpanKind
	from, to time.Time
	n        int
}

func checkParse(t *testing.T, cal Calendar, now time.Time, tests []periodCase) {
	t.Helper()
	for _, tc := range tests {
		for _, in := range tc.ins {
			t.Run(in, func(t *testing.T) {
				got, err := cal.Parse(in, now)
				if err != nil {
					t.Fatalf("Parse(%q) error %v", in, err)
				}
				wantNow := now.In(cal.Loc)
				if !wantNow.Before(tc.to) {
					wantNow = tc.to
				}
				if got.Kind != tc.kind || !got.From.Equal(tc.from) || !got.To.Equal(tc.to) || got.N != tc.n || !got.Now.Equal(wantNow) {
					t.Errorf("Parse(%q) = %s %v..%v N=%d now %v; want %s %v..%v N=%d now %v", in,
						got.Kind, got.From, got.To, got.N, got.Now, tc.kind, tc.from, tc.to, tc.n, wantNow)
				}
				if got.From.Location() != cal.Loc || got.To.Location() != cal.Loc || got.Now.Location() != cal.Loc {
					t.Errorf("Parse(%q) locations %v, %v, %v; want %v", in, got.From.Location(), got.To.Location(), got.Now.Location(), cal.Loc)
				}
			})
		}
	}
}

// TestPeriodParse reads every accepted form at 2026-12-01 10:00 in Dubai,
// a Tuesday.
func TestPeriodParse(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, dubai) }
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, dubai)
	cal := Calendar{Loc: dubai, WeekStart: time.Sunday}
	nov := []periodCase{{kind: SpanMonth, from: day(2026, 11, 1), to: day(2026, 12, 1), ins: []string{
		"2026-11", "2026/11", "11/2026", "11-2026", "2026 - 11", "١١/٢٠٢٦", "٢٠٢٦-١١", "۱۱/۲۰۲۶", "۲۰۲۶-۱۱",
		"November 2026", "november 2026", "NOV 2026", "nov-2026", "nov_2026", "November, 2026", "nov ٢٠٢٦",
		"نوفمبر 2026", "نوفمبر ٢٠٢٦", "نوفمبر ۲۰۲۶", "تشرين الثاني 2026", "تشرين_الثاني ٢٠٢٦", "تشرين الثانى 2026",
	}}}
	checkParse(t, cal, now, nov)
	checkParse(t, cal, now, []periodCase{
		{kind: SpanThisMonth, from: day(2026, 12, 1), to: day(2027, 1, 1), ins: []string{
			"", "   ", "month", "Month", "this month", "this_month", "this-month", "ThisMonth",
			"الشهر", "شهر", "هذا الشهر", "هذا_الشهر", "الشهر الحالي",
		}},
		{kind: SpanToday, from: day(2026, 12, 1), to: day(2026, 12, 2), ins: []string{
			"today", "TODAY", "  Today  ", "day", "اليوم", "يوم", "\u200fاليوم\u200f",
		}},
		{kind: SpanYesterday, from: day(2026, 11, 30), to: day(2026, 12, 1), ins: []string{
			"yesterday", "Yesterday", "أمس", "امس", "إمس", "الأمس", "البارحة", "البارحه",
		}},
		{kind: SpanThisWeek, from: day(2026, 11, 29), to: day(2026, 12, 6), ins: []string{
			"week", "this week", "this_week", "this-week", "ThisWeek", "الأسبوع", "الاسبوع", "الإسبوع",
			"أسبوع", "هذا الأسبوع", "هذا الاسبوع", "الأسبوع الحالي", "الأسبـــوع",
		}},
		{kind: SpanLastWeek, from: day(2026, 11, 22), to: day(2026, 11, 29), ins: []string{
			"last week", "Last Week", "last_week", "last-week", "lastweek",
			"الأسبوع الماضي", "الاسبوع الماضي", "الاسبوع الماضى", "الأسبوع السابق", "الأسبوع_الماضي",
		}},
		{kind: SpanLastMonth, from: day(2026, 11, 1), to: day(2026, 12, 1), ins: []string{
			"last month", "LAST_MONTH", "الشهر الماضي", "الشهر الماضى", "الشهر السابق",
		}},
		{kind: SpanLastDays, n: 7, from: day(2026, 11, 25), to: day(2026, 12, 2), ins: []string{
			"last 7 days", "Last 7 Days", "last_7_days", "past 7 days", "7d", "7D", "7 d", "7 days", "7 day", "7days",
			"٧d", "۷ days", "آخر 7 أيام", "اخر ٧ ايام", "آخر ۷ أیام", "آخر ٧ أيام", "7 أيام", "آخر 7 يوم", "0007d",
		}},
		{kind: SpanLastDays, n: 30, from: day(2026, 11, 2), to: day(2026, 12, 2), ins: []string{
			"30d", "30 days", "last 30 days", "آخر 30 يوم", "آخر 30 يوماً", "آخر ٣٠ يوماً", "اخر ۳۰ یوما", "آخر 30 يومًا",
		}},
		{kind: SpanLastDays, n: 1, from: day(2026, 12, 1), to: day(2026, 12, 2), ins: []string{"1d", "آخر ١ يوم"}},
		{kind: SpanLastDays, n: 366, from: day(2025, 12, 1), to: day(2026, 12, 2), ins: []string{"366d", "آخر ٣٦٦ يوم"}},
		{kind: SpanMonth, from: day(2026, 12, 1), to: day(2027, 1, 1), ins: []string{"2026-12", "ديسمبر 2026", "كانون الأول 2026"}},
		{kind: SpanMonth, from: day(2024, 2, 1), to: day(2024, 3, 1), ins: []string{"2024-02", "شباط 2024", "فبراير 2024", "feb 2024"}},
		{kind: SpanDates, from: day(2026, 11, 3), to: day(2026, 11, 4), ins: []string{
			"2026-11-03", "2026-11-3", "٢٠٢٦-١١-٠٣", "۲۰۲۶-۱۱-۰۳", "2026-11-03..2026-11-03",
		}},
		{kind: SpanDates, from: day(2026, 11, 1), to: day(2026, 11, 16), ins: []string{
			"2026-11-01..2026-11-15", "2026-11-01 .. 2026-11-15", "2026-11-01 - 2026-11-15", "2026-11-01-2026-11-15",
			"2026-11-01 – 2026-11-15", "2026-11-01 to 2026-11-15", "from 2026-11-01 to 2026-11-15",
			"2026-11-01 إلى 2026-11-15", "2026-11-01 الى 2026-11-15", "من 2026-11-01 إلى 2026-11-15",
			"2026-11-01 حتى 2026-11-15", "٢٠٢٦-١١-٠١..٢٠٢٦-١١-١٥", "۲۰۲۶-۱۱-۰۱ الی ۲۰۲۶-۱۱-۱۵", "2026-11-1..2026-11-15",
		}},
		{kind: SpanDates, from: day(2025, 12, 25), to: day(2026, 1, 6), ins: []string{"2025-12-25..2026-01-05"}},
		{kind: SpanDates, from: day(2024, 2, 28), to: day(2024, 3, 2), ins: []string{"2024-02-28..2024-03-01"}},
		{kind: SpanDates, from: day(2026, 11, 20), to: day(2026, 12, 2), ins: []string{"2026-11-20..2026-12-31", "2026-11-20..2099-01-01"}},
		{kind: SpanDates, from: day(2026, 12, 1), to: day(2026, 12, 2), ins: []string{"2026-12-01", "2026-12-01..2027-01-05"}},
		{kind: SpanDates, from: day(2025, 12, 1), to: day(2026, 12, 2), ins: []string{"2025-12-01..2026-12-01", "2025-12-01..2027-12-01"}},
	})
}

// TestPeriodParseMonthNames reads each month's name in every language.
func TestPeriodParseMonthNames(t *testing.T) {
	riyadh := periodZone(t, "Asia/Riyadh")
	cal := Calendar{Loc: riyadh}
	now := time.Date(2026, 12, 31, 23, 0, 0, 0, riyadh)
	names := [][]string{
		{"January", "jan", "يناير", "كانون الثاني"},
		{"February", "feb", "فبراير", "شباط"},
		{"March", "mar", "مارس", "آذار", "اذار"},
		{"April", "apr", "أبريل", "إبريل", "ابريل", "نيسان"},
		{"May", "may", "مايو", "أيار", "ايار"},
		{"June", "jun", "يونيو", "يونية", "حزيران"},
		{"July", "jul", "يوليو", "يوليه", "تموز"},
		{"August", "aug", "أغسطس", "اغسطس", "آب", "اب"},
		{"September", "sep", "sept", "سبتمبر", "أيلول"},
		{"October", "oct", "أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول"},
		{"November", "nov", "نوفمبر", "تشرين الثاني"},
		{"December", "dec", "ديسمبر", "كانون الأول", "كانون الاول"},
	}
	var tests []periodCase
	for i, ns := range names {
		m := time.Month(i + 1)
		tc := periodCase{kind: SpanMonth, from: time.Date(2026, m, 1, 0, 0, 0, 0, riyadh), to: time.Date(2026, m+1, 1, 0, 0, 0, 0, riyadh)}
		for _, n := range ns {
			tc.ins = append(tc.ins, n+" 2026", strings.ToUpper(n)+" ٢٠٢٦")
		}
		tests = append(tests, tc)
	}
	checkParse(t, cal, now, tests)
}

// TestPeriodParseAcrossNewYear reads the relative periods on New Year's
// Day 2026, a Thursday, with weeks starting on Sunday and on Monday.
func TestPeriodParseAcrossNewYear(t *testing.T) {
	riyadh := periodZone(t, "Asia/Riyadh")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, riyadh) }
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, riyadh)
	common := []periodCase{
		{ins: []string{"last month"}, kind: SpanLastMonth, from: day(2025, 12, 1), to: day(2026, 1, 1)},
		{ins: []string{"month"}, kind: SpanThisMonth, from: day(2026, 1, 1), to: day(2026, 2, 1)},
		{ins: []string{"yesterday"}, kind: SpanYesterday, from: day(2025, 12, 31), to: day(2026, 1, 1)},
		{ins: []string{"7d"}, kind: SpanLastDays, n: 7, from: day(2025, 12, 26), to: day(2026, 1, 2)},
	}
	t.Run("sunday", func(t *testing.T) {
		checkParse(t, Calendar{Loc: riyadh, WeekStart: time.Sunday}, now, append(common,
			periodCase{ins: []string{"week"}, kind: SpanThisWeek, from: day(2025, 12, 28), to: day(2026, 1, 4)},
			periodCase{ins: []string{"last week"}, kind: SpanLastWeek, from: day(2025, 12, 21), to: day(2025, 12, 28)},
		))
	})
	t.Run("monday", func(t *testing.T) {
		checkParse(t, Calendar{Loc: riyadh, WeekStart: time.Monday}, now, append(common,
			periodCase{ins: []string{"week"}, kind: SpanThisWeek, from: day(2025, 12, 29), to: day(2026, 1, 5)},
			periodCase{ins: []string{"last week"}, kind: SpanLastWeek, from: day(2025, 12, 22), to: day(2025, 12, 29)},
		))
	})
}

// TestPeriodParseWeekStart moves the week's first day around a Tuesday
// (2026-12-01) and a leap-year Friday (2024-03-01) in Bahrain.
func TestPeriodParseWeekStart(t *testing.T) {
	bahrain := periodZone(t, "Asia/Bahrain")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, bahrain) }
	tests := []struct {
		now       time.Time
		start     time.Weekday
		from, was time.Time // this week's and last week's first days
	}{
		{time.Date(2026, 12, 1, 10, 0, 0, 0, bahrain), time.Sunday, day(2026, 11, 29), day(2026, 11, 22)},
		{time.Date(2026, 12, 1, 10, 0, 0, 0, bahrain), time.Monday, day(2026, 11, 30), day(2026, 11, 23)},
		{time.Date(2026, 12, 1, 10, 0, 0, 0, bahrain), time.Tuesday, day(2026, 12, 1), day(2026, 11, 24)},
		{time.Date(2026, 12, 1, 10, 0, 0, 0, bahrain), time.Saturday, day(2026, 11, 28), day(2026, 11, 21)},
		{time.Date(2024, 3, 1, 9, 0, 0, 0, bahrain), time.Sunday, day(2024, 2, 25), day(2024, 2, 18)},
		{time.Date(2024, 3, 1, 9, 0, 0, 0, bahrain), time.Monday, day(2024, 2, 26), day(2024, 2, 19)},
		{time.Date(2026, 11, 29, 0, 0, 0, 0, bahrain), time.Sunday, day(2026, 11, 29), day(2026, 11, 22)},
		{time.Date(2026, 11, 28, 23, 59, 0, 0, bahrain), time.Sunday, day(2026, 11, 22), day(2026, 11, 15)},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s from %s", tc.now.Format(time.DateTime), tc.start), func(t *testing.T) {
			checkParse(t, Calendar{Loc: bahrain, WeekStart: tc.start}, tc.now, []periodCase{
				{ins: []string{"week"}, kind: SpanThisWeek, from: tc.from, to: tc.from.AddDate(0, 0, 7)},
				{ins: []string{"last week"}, kind: SpanLastWeek, from: tc.was, to: tc.from},
			})
		})
	}
}

// TestPeriodParseMonthEdges checks months of every length: the day before
// is the 28th, 29th, 30th or 31st, and no month is skipped from the 31st.
func TestPeriodParseMonthEdges(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, dubai) }
	cal := Calendar{Loc: dubai}
	t.Run("31 March", func(t *testing.T) {
		checkParse(t, cal, time.Date(2026, 3, 31, 23, 59, 0, 0, dubai), []periodCase{
			{ins: []string{"last month"}, kind: SpanLastMonth, from: day(2026, 2, 1), to: day(2026, 3, 1)},
			{ins: []string{"month"}, kind: SpanThisMonth, from: day(2026, 3, 1), to: day(2026, 4, 1)},
			{ins: []string{"30d"}, kind: SpanLastDays, n: 30, from: day(2026, 3, 2), to: day(2026, 4, 1)},
		})
	})
	t.Run("1 March of a leap year", func(t *testing.T) {
		checkParse(t, cal, time.Date(2024, 3, 1, 9, 0, 0, 0, dubai), []periodCase{
			{ins: []string{"last month"}, kind: SpanLastMonth, from: day(2024, 2, 1), to: day(2024, 3, 1)},
			{ins: []string{"yesterday"}, kind: SpanYesterday, from: day(2024, 2, 29), to: day(2024, 3, 1)},
			{ins: []string{"30d"}, kind: SpanLastDays, n: 30, from: day(2024, 2, 1), to: day(2024, 3, 2)},
			{ins: []string{"2024-02-29"}, kind: SpanDates, from: day(2024, 2, 29), to: day(2024, 3, 1)},
		})
	})
	t.Run("31 July", func(t *testing.T) {
		checkParse(t, cal, time.Date(2026, 7, 31, 12, 0, 0, 0, dubai), []periodCase{
			{ins: []string{"last month"}, kind: SpanLastMonth, from: day(2026, 6, 1), to: day(2026, 7, 1)},
		})
	})
}

// TestPeriodParseZone reads "today" when the instant given is in UTC and
// its date there is not Dubai's.
func TestPeriodParseZone(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	cal := Calendar{Loc: dubai}
	checkParse(t, cal, time.Date(2026, 11, 30, 21, 30, 0, 0, time.UTC), []periodCase{
		{ins: []string{"today"}, kind: SpanToday, from: time.Date(2026, 12, 1, 0, 0, 0, 0, dubai), to: time.Date(2026, 12, 2, 0, 0, 0, 0, dubai)},
	})
	checkParse(t, cal, time.Date(2026, 11, 30, 19, 59, 0, 0, time.UTC), []periodCase{
		{ins: []string{"today"}, kind: SpanToday, from: time.Date(2026, 11, 30, 0, 0, 0, 0, dubai), to: time.Date(2026, 12, 1, 0, 0, 0, 0, dubai)},
	})
	got, err := Calendar{}.Parse("today", time.Date(2026, 11, 30, 21, 30, 0, 0, dubai))
	if err != nil || got.From.Location() != time.UTC || !got.From.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Calendar{}.Parse(today) = %v, %v; want UTC's 2026-11-30", got.From, err)
	}
}

func TestPeriodParseErrors(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	cal := Calendar{Loc: dubai}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, dubai)
	for _, in := range []string{
		"garbage", "week week", "next week", "this year", "weeks", "d", "days", "آخر أيام", "اسبوع ماضي",
		"2026-13", "13/2026", "0/2026", "2026-00", "2026-0", "26-11", "11/26", "2026", "11",
		"2026-11-31", "2026-02-29", "2026-13-01", "2026-11-00", "2026/11/03", "03/11/2026",
		"2026-11-15..2026-11-01", "2026-11-02 إلى 2026-11-01", "2026-11-01..", "..2026-11-01", "2026-11-01..2026-11",
		"2027-01", "january 2027", "يناير ٢٠٢٧", "2027-01-01", "2026-12-02", "2026-12-02..2026-12-05", "2030-01-01..2030-02-01",
		"0d", "0 days", "last 0 days", "آخر ٠ يوم", "1000d", "367d", "last 1000 days", "99999999999999999999999d", "+7d", "7w",
		"2025-11-30..2026-12-01", "2016-01-01..2026-11-30",
		"smarch 2026", "nov 26", "nov", "نوفمبر", "2026 nov", "تشرين 2026", "كانون 2026",
		"call +971501234567", strings.Repeat("اليوم", 30),
	} {
		t.Run(in, func(t *testing.T) {
			got, err := cal.Parse(in, now)
			if !errors.Is(err, shakwa.ErrInvalid) {
				t.Fatalf("Parse(%q) = %+v, %v; want an error wrapping ErrInvalid", in, got, err)
			}
			if got != (Span{}) {
				t.Errorf("Parse(%q) returned %+v with its error; want the zero Span", in, got)
			}
			for _, word := range strings.Fields(in) {
				if len(word) > 3 && strings.Contains(err.Error(), word) {
					t.Errorf("Parse(%q) error %q repeats the input", in, err)
				}
			}
		})
	}
}

func TestPeriodNamed(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, dubai) }
	cal := Calendar{Loc: dubai, WeekStart: time.Monday}
	// Just after midnight on Monday 2026-02-02: yesterday ended a week and
	// a month, which is when scheduled reports run.
	now := time.Date(2026, 2, 2, 0, 5, 0, 0, dubai)
	tests := []struct {
		k             SpanKind
		from, to, got time.Time
	}{
		{SpanToday, day(2026, 2, 2), day(2026, 2, 3), now},
		{SpanYesterday, day(2026, 2, 1), day(2026, 2, 2), day(2026, 2, 2)},
		{SpanThisWeek, day(2026, 2, 2), day(2026, 2, 9), now},
		{SpanLastWeek, day(2026, 1, 26), day(2026, 2, 2), day(2026, 2, 2)},
		{SpanThisMonth, day(2026, 2, 1), day(2026, 3, 1), now},
		{SpanLastMonth, day(2026, 1, 1), day(2026, 2, 1), day(2026, 2, 1)},
	}
	for _, tc := range tests {
		s := cal.Named(tc.k, now)
		if s.Kind != tc.k || !s.From.Equal(tc.from) || !s.To.Equal(tc.to) || !s.Now.Equal(tc.got) {
			t.Errorf("Named(%s) = %s %v..%v now %v; want %v..%v now %v", tc.k, s.Kind, s.From, s.To, s.Now, tc.from, tc.to, tc.got)
		}
	}
	for _, k := range []SpanKind{SpanLastDays, SpanMonth, SpanDates, ""} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Named(%q) did not panic", k)
				}
			}()
			cal.Named(k, now)
		}()
	}
}

// dayList is the n dates from y-m-d, as text.
func dayList(y int, m time.Month, d, n int) []string {
	var days []string
	for i := range n {
		days = append(days, time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
	}
	return days
}

// dateList gives the dates of ts in loc, as text.
func dateList(ts []time.Time, loc *time.Location) []string {
	var dates []string
	for _, t := range ts {
		dates = append(dates, t.In(loc).Format(time.DateOnly))
	}
	return dates
}

// isDayStart reports whether t is the first instant of its date in loc:
// the instant before it is on another date.
func isDayStart(t time.Time, loc *time.Location) bool {
	return t.In(loc).Format(time.DateOnly) != t.Add(-1).In(loc).Format(time.DateOnly)
}

func TestPeriodDaysAndSplit(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	london := periodZone(t, "Europe/London")
	saoPaulo := periodZone(t, "America/Sao_Paulo") // 2018-11-04 began at 01:00
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, dubai)
	var year []string // January to November 2026
	for m := range 11 {
		year = append(year, time.Date(2026, time.Month(m+1), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
	}
	tests := []struct {
		in           string
		loc          *time.Location
		now          time.Time
		days, months []string // Split's
		all          int      // len(Days())
	}{
		{"today", dubai, now, dayList(2026, 12, 1, 1), nil, 1},
		{"today", dubai, time.Date(2026, 12, 1, 0, 0, 0, 0, dubai), nil, nil, 0},
		{"month", dubai, now, dayList(2026, 12, 1, 1), nil, 1},
		{"7d", dubai, now, dayList(2026, 11, 25, 7), nil, 7},
		{"last month", dubai, now, nil, []string{"2026-11-01"}, 30},
		{"2026-11-01..2026-11-29", dubai, now, dayList(2026, 11, 1, 29), nil, 29},
		{"2026-10-15..2026-12-05", dubai, now, append(dayList(2026, 10, 15, 17), "2026-12-01"), []string{"2026-11-01"}, 17 + 30 + 1},
		{"2025-12-02..2026-12-01", dubai, now, append(dayList(2025, 12, 2, 30), "2026-12-01"), year, 365},
		{"2024-02-28..2024-03-01", dubai, now, dayList(2024, 2, 28, 3), nil, 3},
		{"فبراير 2024", dubai, now, nil, []string{"2024-02-01"}, 29},
		{"2025-03-29..2025-03-31", london, now, dayList(2025, 3, 29, 3), nil, 3},
		{"2018-11-03..2018-11-05", saoPaulo, time.Date(2018, 12, 1, 0, 0, 0, 0, saoPaulo), dayList(2018, 11, 3, 3), nil, 3},
		{"2018-11", saoPaulo, time.Date(2018, 12, 1, 0, 0, 0, 0, saoPaulo), nil, []string{"2018-11-01"}, 30},
	}
	for _, tc := range tests {
		t.Run(tc.in+" in "+tc.loc.String(), func(t *testing.T) {
			s, err := Calendar{Loc: tc.loc}.Parse(tc.in, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			all := s.Days()
			months, days := s.Split()
			if len(all) != tc.all {
				t.Errorf("len(Days()) = %d; want %d", len(all), tc.all)
			}
			if got, want := dateList(days, tc.loc), tc.days; !slices.Equal(got, want) {
				t.Errorf("Split() days = %v; want %v", got, want)
			}
			if got, want := dateList(months, tc.loc), tc.months; !slices.Equal(got, want) {
				t.Errorf("Split() months = %v; want %v", got, want)
			}
			checkSplit(t, s)
		})
	}
	// The day that began at 01:00 starts then, not at 23:00 the day before.
	s, _ := Calendar{Loc: saoPaulo}.Parse("2018-11-04", time.Date(2018, 12, 1, 0, 0, 0, 0, saoPaulo))
	if want := time.Date(2018, 11, 4, 3, 0, 0, 0, time.UTC); !s.From.Equal(want) || !s.Days()[0].Equal(want) {
		t.Errorf("2018-11-04 in São Paulo starts at %v; want %v", s.From, want.In(saoPaulo))
	}
}

// checkSplit checks the laws of Days and Split on s: Days are the starts
// of the consecutive calendar days from From to the one its data stops
// in, and Split's months and days together hold each of them once.
func checkSplit(t *testing.T, s Span) {
	t.Helper()
	all := s.Days()
	end := s.end()
	loc := s.From.Location()
	dates := dateList(all, loc)
	for i, d := range all {
		if !isDayStart(d, loc) || d.Location() != loc {
			t.Fatalf("%+v: Days()[%d] = %v is not the start of a day in %v", s, i, d, loc)
		}
		if i == 0 && !d.Equal(s.From) {
			t.Fatalf("%+v: Days() starts at %v; want From", s, d)
		}
		if i > 0 {
			prev, _ := time.Parse(time.DateOnly, dates[i-1])
			if next := prev.AddDate(0, 0, 1).Format(time.DateOnly); next != dates[i] {
				t.Fatalf("%+v: Days()[%d] = %v follows %v", s, i, d, all[i-1])
			}
		}
	}
	switch {
	case len(all) == 0 && s.From.Before(end):
		t.Fatalf("%+v: Days() is empty though From is before %v", s, end)
	case len(all) > 0 && dates[len(dates)-1] != end.Add(-1).In(loc).Format(time.DateOnly):
		t.Fatalf("%+v: Days() ends with %v; want the day before %v", s, all[len(all)-1], end)
	}
	months, days := s.Split()
	var union []string
	for _, first := range months {
		y, m, d := first.In(loc).Date()
		last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if d != 1 || !isDayStart(first, loc) || first.Before(s.From) || last > end.Add(-1).In(loc).Format(time.DateOnly) {
			t.Fatalf("%+v: Split month %v is not a whole month in [From, %v)", s, first, end)
		}
		union = append(union, dayList(y, m, 1, time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day())...)
	}
	for _, d := range days {
		if !isDayStart(d, loc) {
			t.Fatalf("%+v: Split day %v is not the start of a day", s, d)
		}
	}
	union = append(union, dateList(days, loc)...)
	slices.Sort(union)
	if !slices.Equal(union, dates) {
		t.Fatalf("%+v: Split() = %v, %v; their days are not Days() = %v", s, months, days, dates)
	}
	if !slices.IsSortedFunc(months, time.Time.Compare) || !slices.IsSortedFunc(days, time.Time.Compare) {
		t.Fatalf("%+v: Split() = %v, %v; not in order", s, months, days)
	}
}

// randomPeriodInput is one of the forms Parse takes, for a date shortly
// before now.
func randomPeriodInput(r *rand.Rand, now time.Time) string {
	back := func(max int) time.Time { return now.AddDate(0, 0, -r.IntN(max)) }
	switch r.IntN(5) {
	case 0:
		return []string{"", "today", "yesterday", "week", "last week", "month", "last month"}[r.IntN(7)]
	case 1:
		return fmt.Sprintf("%dd", 1+r.IntN(MaxSpanDays))
	case 2:
		return back(800).Format("2006-01")
	case 3:
		return back(800).Format("January 2006")
	}
	a, b := back(500), back(500)
	if b.Before(a) {
		a, b = b, a
	}
	return a.Format(time.DateOnly) + ".." + b.Format(time.DateOnly)
}

// TestPeriodSplitCoversDays checks Days, Split and Previous on many random
// spans, in zones with and without clock changes, some at midnight.
func TestPeriodSplitCoversDays(t *testing.T) {
	var zones []*time.Location
	for _, name := range []string{"Asia/Dubai", "Asia/Bahrain", "Asia/Riyadh", "Europe/London", "America/Sao_Paulo", "Asia/Beirut", "UTC"} {
		zones = append(zones, periodZone(t, name))
	}
	r := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	parsed := 0
	for range 2000 {
		loc := zones[r.IntN(len(zones))]
		now := time.Unix(start+r.Int64N(15*365*86400), 0).In(loc)
		if r.IntN(10) == 0 {
			y, m, d := now.Date()
			now = time.Date(y, m, d, 0, 0, 0, 0, loc)
		}
		cal := Calendar{Loc: loc, WeekStart: time.Weekday(r.IntN(7))}
		in := randomPeriodInput(r, now)
		s, err := cal.Parse(in, now)
		if err != nil {
			if !errors.Is(err, shakwa.ErrInvalid) {
				t.Fatalf("Parse(%q) at %v: %v", in, now, err)
			}
			continue
		}
		parsed++
		checkSpan(t, s)
		checkSplit(t, s)
		p := s.Previous()
		checkSpan(t, p)
		checkSplit(t, p)
		checkPrevious(t, s, p)
	}
	if parsed < 1600 {
		t.Errorf("only %d of 2000 random inputs parsed", parsed)
	}
}

// checkSpan checks what every Span holds: midnights From before To,
// Now between them, at most a year of days.
func checkSpan(t *testing.T, s Span) {
	t.Helper()
	for _, b := range []time.Time{s.From, s.To} {
		if !isDayStart(b, s.From.Location()) {
			t.Fatalf("%+v: %v is not the start of a day", s, b)
		}
	}
	if !s.From.Before(s.To) || s.Now.Before(s.From) || s.Now.After(s.To) {
		t.Fatalf("%+v: want From < To and Now within them", s)
	}
	if n := len(Span{From: s.From, To: s.To}.Days()); n > MaxSpanDays {
		t.Fatalf("%+v: %d days; want at most %d", s, n, MaxSpanDays)
	}
}

// checkPrevious checks that p, s's Previous, ends where s starts, is as
// long in calendar terms, and has got as far as s.
func checkPrevious(t *testing.T, s, p Span) {
	t.Helper()
	whole := func(s Span) int { return len(Span{From: s.From, To: s.To}.Days()) }
	if !p.To.Equal(s.From) {
		t.Fatalf("Previous of %+v = %+v; want it to end at From", s, p)
	}
	switch s.Kind {
	case SpanThisMonth, SpanLastMonth, SpanMonth:
		if p.From.Day() != 1 || p.From.AddDate(0, 1, 0).Month() != s.From.Month() {
			t.Fatalf("Previous of %+v = %+v; want the month before", s, p)
		}
	default:
		if whole(p) != whole(s) || len(p.Days()) != len(s.Days()) {
			t.Fatalf("Previous of %+v = %+v; want as many days", s, p)
		}
	}
	if s.Now.Equal(s.To) && !p.Now.Equal(p.To) {
		t.Fatalf("Previous of %+v = %+v; s has ended, its Previous not", s, p)
	}
}

func TestPeriodPrevious(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, dubai) }
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, dubai) }
	now := at(2026, 12, 1, 10)
	tests := []struct {
		in       string
		now      time.Time
		kind     SpanKind
		from, to time.Time
		got      time.Time // the previous span's Now
	}{
		{"today", now, SpanYesterday, day(2026, 11, 30), day(2026, 12, 1), at(2026, 11, 30, 10)},
		{"yesterday", now, SpanDates, day(2026, 11, 29), day(2026, 11, 30), day(2026, 11, 30)},
		{"week", now, SpanLastWeek, day(2026, 11, 22), day(2026, 11, 29), at(2026, 11, 24, 10)},
		{"last week", now, SpanDates, day(2026, 11, 15), day(2026, 11, 22), day(2026, 11, 22)},
		{"month", now, SpanLastMonth, day(2026, 11, 1), day(2026, 12, 1), at(2026, 11, 1, 10)},
		{"last month", now, SpanMonth, day(2026, 10, 1), day(2026, 11, 1), day(2026, 11, 1)},
		{"2026-03", now, SpanMonth, day(2026, 2, 1), day(2026, 3, 1), day(2026, 3, 1)},
		{"January 2026", now, SpanMonth, day(2025, 12, 1), day(2026, 1, 1), day(2026, 1, 1)},
		{"7d", now, SpanDates, day(2026, 11, 18), day(2026, 11, 25), at(2026, 11, 24, 10)},
		{"2026-11-01..2026-11-15", now, SpanDates, day(2026, 10, 17), day(2026, 11, 1), day(2026, 11, 1)},
		{"2026-11-20..2026-12-31", now, SpanDates, day(2026, 11, 8), day(2026, 11, 20), at(2026, 11, 19, 10)},
		{"last week", at(2026, 1, 1, 8), SpanDates, day(2025, 12, 14), day(2025, 12, 21), day(2025, 12, 21)},
		{"month", at(2026, 3, 31, 23), SpanLastMonth, day(2026, 2, 1), day(2026, 3, 1), day(2026, 3, 1)},
		{"month", at(2026, 3, 28, 23), SpanLastMonth, day(2026, 2, 1), day(2026, 3, 1), at(2026, 2, 28, 23)},
	}
	for _, tc := range tests {
		t.Run(tc.in+" at "+tc.now.Format(time.DateTime), func(t *testing.T) {
			s, err := Calendar{Loc: dubai}.Parse(tc.in, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			p := s.Previous()
			if p.Kind != tc.kind || !p.From.Equal(tc.from) || !p.To.Equal(tc.to) || !p.Now.Equal(tc.got) || p.N != 0 {
				t.Errorf("Previous() = %s %v..%v now %v N=%d; want %s %v..%v now %v", p.Kind, p.From, p.To, p.Now, p.N, tc.kind, tc.from, tc.to, tc.got)
			}
		})
	}
}

// TestPeriodLast checks Last, and that a span built by hand is whole.
func TestPeriodLast(t *testing.T) {
	dubai := periodZone(t, "Asia/Dubai")
	s, err := Calendar{Loc: dubai}.Parse("2024-02-01..2024-02-29", time.Date(2026, 12, 1, 10, 0, 0, 0, dubai))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Last(), time.Date(2024, 2, 29, 0, 0, 0, 0, dubai); !got.Equal(want) {
		t.Errorf("Last() = %v; want %v", got, want)
	}
	// A span built by hand, with no Now, is whole.
	whole := Span{From: s.From, To: s.To}
	if got := len(whole.Days()); got != 29 {
		t.Errorf("len(Days()) of %+v = %d; want 29", whole, got)
	}
	if got := whole.Previous(); !got.Now.Equal(got.To) || !got.From.Equal(time.Date(2024, 1, 3, 0, 0, 0, 0, dubai)) {
		t.Errorf("Previous() of %+v = %+v; want the whole 29 days before", whole, got)
	}
}

// FuzzPeriodParse checks that Parse takes anything: it either refuses
// with ErrInvalid or returns a span that keeps the laws.
func FuzzPeriodParse(f *testing.F) {
	for _, s := range []string{"", "today", "امس", "الأسبوع الماضي", "آخر ٣٠ يوماً", "7d", "366d", "2026-11",
		"11/2026", "تشرين الثاني ٢٠٢٦", "nov 2026", "2026-11-01..2026-11-15", "من 2026-11-01 إلى 2026-11-15",
		"2026-13", "0d", "1000d", "2027-01-01"} {
		f.Add(s, int64(1796104800)) // 2026-12-01 10:00 in Dubai
	}
	dubai := periodZone(f, "Asia/Dubai")
	f.Fuzz(func(t *testing.T, in string, unix int64) {
		now := time.Unix(unix%(400*365*86400), 0)
		s, err := Calendar{Loc: dubai, WeekStart: time.Monday}.Parse(in, now)
		if err != nil {
			if !errors.Is(err, shakwa.ErrInvalid) {
				t.Fatalf("Parse(%q): %v; want ErrInvalid", in, err)
			}
			return
		}
		if s.From.After(now) {
			t.Fatalf("Parse(%q) at %v starts later, at %v", in, now, s.From)
		}
		checkSpan(t, s)
		checkSplit(t, s)
		checkPrevious(t, s, s.Previous())
	})
}
