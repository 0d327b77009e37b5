package stats

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shakwa/shakwa"
)

// SpanKind says which kind of reporting period a Span is, so that callers
// can name it from their locale files ("span."+kind, say) without parsing
// words again.
type SpanKind string

// Kinds of span. The first six need no argument and are what Named takes.
const (
	SpanToday     SpanKind = "today"
	SpanYesterday SpanKind = "yesterday"
	SpanThisWeek  SpanKind = "this_week"  // the calendar week, by Calendar.WeekStart
	SpanLastWeek  SpanKind = "last_week"  // the calendar week before this one
	SpanThisMonth SpanKind = "this_month" // the calendar month
	SpanLastMonth SpanKind = "last_month" // the calendar month before this one
	SpanLastDays  SpanKind = "last_days"  // the last N calendar days, today included
	SpanMonth     SpanKind = "month"      // a month asked for by name or number
	SpanDates     SpanKind = "dates"      // a date, or a range of dates
)

// MaxSpanDays is the most calendar days a rolling window or a range of
// dates may cover: a year, leap day included. It also catches a mistyped
// year, which would otherwise ask for a decade.
const MaxSpanDays = 366

// Span is a reporting period: the calendar days [From, To) in a centre's
// time zone. From and To are midnights in that zone (or the first instant
// of the day, where a clock change skips midnight), and To is the day
// after the last day, so "today" runs to tomorrow's midnight even in the
// morning. Now says how far the span has got: data is read over
// [From, Now). Now is To for a span that has ended; a zero Now is taken to
// mean the same, so that a span built by hand is whole.
type Span struct {
	Kind     SpanKind
	From, To time.Time
	Now      time.Time
	N        int // for SpanLastDays, how many days
}

// Calendar is how a centre counts days, weeks and months: its time zone
// (nil means UTC) and the day its weeks start on (Sunday, the zero value,
// or Monday in the countries that count that way).
type Calendar struct {
	Loc       *time.Location
	WeekStart time.Weekday
}

// Parse reads the period a manager typed after a command, at the instant
// now. Case, surrounding space, Arabic-Indic and Persian digits, Arabic
// letter variants (أ إ آ ا, ى ي, ة ه), diacritics, and spaces, hyphens or
// underscores between words do not matter. It accepts:
//
//   - nothing: this month so far;
//   - today, day, اليوم, يوم; yesterday, أمس, الأمس, البارحة;
//   - week, this week, الأسبوع, أسبوع, هذا الأسبوع, الأسبوع الحالي;
//     last week, الأسبوع الماضي, الأسبوع السابق;
//   - month, this month, الشهر, شهر, هذا الشهر, الشهر الحالي;
//     last month, الشهر الماضي, الشهر السابق;
//   - the last N calendar days, today included: 7d, 7 days, last 7 days,
//     past 7 days, 7 أيام, آخر 7 أيام, آخر 30 يوم, آخر 30 يوماً (N from
//     1 to MaxSpanDays);
//   - a month: 2026-11, 2026/11, 11/2026, 11-2026, November 2026, nov 2026,
//     نوفمبر 2026, تشرين الثاني 2026;
//   - a date, 2026-11-03, or a range of dates, both included, joined by
//     "..", "-", "to", "إلى" or "حتى", optionally after "from" or "من".
//
// A span that starts after now is refused; a range that runs past today
// ends with today, and is refused if it then covers more than MaxSpanDays.
// Any refusal wraps shakwa.ErrInvalid; its text never repeats the input.
func (c Calendar) Parse(s string, now time.Time) (Span, error) {
	if len(s) > 100 {
		return Span{}, spanInvalid("too long")
	}
	text := spanNormalize(s)
	if text == "" {
		return c.Named(SpanThisMonth, now), nil
	}
	if m := spanDatesRE.FindStringSubmatch(text); m != nil {
		return c.dates(m[1], m[2], now)
	}
	if m := spanMonthRE.FindStringSubmatch(text); m != nil {
		year, month := m[1]+m[4], m[2]+m[3] // one pair of groups is empty
		return c.month(year, month, now)
	}
	compact := strings.NewReplacer(" ", "", "-", "").Replace(text)
	if k, ok := spanWord(compact); ok {
		return c.Named(k, now), nil
	}
	if m := spanLastDaysRE.FindStringSubmatch(compact); m != nil {
		return c.lastDays(m[1], now)
	}
	if m := spanMonthNameRE.FindStringSubmatch(compact); m != nil {
		if month, ok := spanMonthName(m[1]); ok {
			return c.month(m[2], strconv.Itoa(int(month)), now)
		}
	}
	return Span{}, spanInvalid("not a period")
}

// Named returns the span of kind k at now: today, yesterday, this or last
// week, this or last month. Scheduled reports use it for the day, week or
// month that has just ended. It panics for the kinds that need a number or
// dates, which only Parse makes.
func (c Calendar) Named(k SpanKind, now time.Time) Span {
	now = now.In(c.loc())
	y, m, d := now.Date()
	week := d - ((int(now.Weekday())-int(c.WeekStart))%7+7)%7
	switch k {
	case SpanToday:
		return c.span(k, c.date(y, m, d), c.date(y, m, d+1), now)
	case SpanYesterday:
		return c.span(k, c.date(y, m, d-1), c.date(y, m, d), now)
	case SpanThisWeek:
		return c.span(k, c.date(y, m, week), c.date(y, m, week+7), now)
	case SpanLastWeek:
		return c.span(k, c.date(y, m, week-7), c.date(y, m, week), now)
	case SpanThisMonth:
		return c.span(k, c.date(y, m, 1), c.date(y, m+1, 1), now)
	case SpanLastMonth:
		return c.span(k, c.date(y, m-1, 1), c.date(y, m, 1), now)
	}
	panic(fmt.Sprintf("stats: Named(%q): that kind needs more than a name", k))
}

// lastDays is the last n calendar days, today included, so that "7d" on a
// Tuesday morning starts on the Wednesday before: managers count days on
// the calendar, not in 24-hour steps.
func (c Calendar) lastDays(digits string, now time.Time) (Span, error) {
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > MaxSpanDays {
		return Span{}, spanInvalid(fmt.Sprintf("rolling window not 1 to %d long", MaxSpanDays))
	}
	y, m, d := now.In(c.loc()).Date()
	s := c.span(SpanLastDays, c.date(y, m, d-n+1), c.date(y, m, d+1), now)
	s.N = n
	return s, nil
}

// month is a calendar month given as digits; the current month is allowed
// and runs to its end like "this month".
func (c Calendar) month(year, month string, now time.Time) (Span, error) {
	y, _ := strconv.Atoi(year) // four digits by the patterns
	m, _ := strconv.Atoi(month)
	if m < 1 || m > 12 {
		return Span{}, spanInvalid("no such month")
	}
	from := c.date(y, time.Month(m), 1)
	if from.After(now) {
		return Span{}, spanInvalid("in the future")
	}
	return c.span(SpanMonth, from, c.date(y, time.Month(m)+1, 1), now), nil
}

// dates is the days first to last, both included; last may be empty for a
// single day.
func (c Calendar) dates(first, last string, now time.Time) (Span, error) {
	if last == "" {
		last = first
	}
	// Dates are read in UTC, which has every midnight, and then placed in
	// the calendar's zone.
	from, err1 := time.Parse("2006-1-2", first)
	to, err2 := time.Parse("2006-1-2", last)
	if err1 != nil || err2 != nil {
		return Span{}, spanInvalid("no such date")
	}
	from = c.date(from.Date())
	y, m, d := to.Date()
	to = c.date(y, m, d+1)
	if !to.After(from) {
		return Span{}, spanInvalid("the range ends before it starts")
	}
	if from.After(now) {
		return Span{}, spanInvalid("in the future")
	}
	y, m, d = now.In(c.loc()).Date()
	if tomorrow := c.date(y, m, d+1); to.After(tomorrow) {
		to = tomorrow
	}
	if spanDayNumber(to)-spanDayNumber(from) > MaxSpanDays {
		return Span{}, spanInvalid(fmt.Sprintf("range longer than %d", MaxSpanDays))
	}
	return c.span(SpanDates, from, to, now), nil
}

// span puts now within [from, to].
func (c Calendar) span(k SpanKind, from, to, now time.Time) Span {
	return Span{Kind: k, From: from, To: to, Now: spanClamp(now.In(c.loc()), from, to)}
}

func (c Calendar) date(y int, m time.Month, d int) time.Time {
	return spanMidnight(y, m, d, c.loc())
}

func (c Calendar) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// Last returns the midnight that starts the span's last day.
func (s Span) Last() time.Time {
	y, m, d := s.To.Date()
	return spanMidnight(y, m, d-1, s.To.Location())
}

// Days returns the midnights of the calendar days in [From, Now), in
// order: the days there can be data for. The day Now falls in is included;
// the days after it are not.
func (s Span) Days() []time.Time {
	var days []time.Time
	end := s.end()
	y, m, d := s.From.Date()
	for day := s.From; day.Before(end); {
		days = append(days, day)
		d++
		day = spanMidnight(y, m, d, s.From.Location())
	}
	return days
}

// Split divides Days between whole calendar months and single days, so
// that a caller can read a monthly total where a month is wholly inside
// [From, Now) and daily ones elsewhere. Each day is in exactly one month
// or in days, and both lists are in order. The month still under way is
// never whole: its days are listed singly.
func (s Span) Split() (months, days []time.Time) {
	all := s.Days()
	end := s.end()
	for i := 0; i < len(all); i++ {
		day := all[i]
		y, m, d := day.Date()
		next := spanMidnight(y, m+1, 1, day.Location())
		if d == 1 && !next.After(end) {
			months = append(months, day)
			i += time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() - 1
			continue
		}
		days = append(days, day)
	}
	return months, days
}

// Previous returns the span just before s, of the same length in calendar
// terms (the month before a month, the n days before n days), got as far
// into it as s has got into s: "this week so far" is compared with the
// same days and hours of last week. Its Kind names it truly: before today
// is yesterday, before this week is last week, before last month is that
// month by name; before anything else is a range of dates. Set Now to To
// for the whole of it.
func (s Span) Previous() Span {
	loc := s.From.Location()
	y, m, d := s.From.Date()
	p := Span{Kind: SpanDates, To: s.From}
	switch s.Kind {
	case SpanThisMonth, SpanLastMonth, SpanMonth:
		p.From = spanMidnight(y, m-1, 1, loc)
	default:
		n := spanDayNumber(s.To) - spanDayNumber(s.From)
		p.From = spanMidnight(y, m, d-n, loc)
	}
	switch s.Kind {
	case SpanToday:
		p.Kind = SpanYesterday
	case SpanThisWeek:
		p.Kind = SpanLastWeek
	case SpanThisMonth:
		p.Kind = SpanLastMonth
	case SpanLastMonth, SpanMonth:
		p.Kind = SpanMonth
	}
	p.Now = p.To
	if end := s.end(); end.Before(s.To) {
		k := spanDayNumber(end) - spanDayNumber(s.From)
		hh, mm, ss := end.Clock()
		py, pm, pd := p.From.Date()
		p.Now = spanClamp(time.Date(py, pm, pd+k, hh, mm, ss, end.Nanosecond(), loc), p.From, p.To)
	}
	return p
}

// end is where the span's data stops: Now, or To when Now is zero, in
// From's zone.
func (s Span) end() time.Time {
	if s.Now.IsZero() {
		return s.To
	}
	return spanClamp(s.Now.In(s.From.Location()), s.From, s.To)
}

// spanMidnight returns the first instant of the day y-m-d in loc (d may
// run past the month's end, as with time.Date). That is its midnight, save
// where a clock change skips midnight, as some zones have done: there
// time.Date gives an instant on the day before, and the day starts at the
// change instead.
func spanMidnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if t.Day() != d {
		_, t = t.ZoneBounds()
	}
	return t
}

func spanClamp(t, from, to time.Time) time.Time {
	switch {
	case t.Before(from):
		return from
	case t.After(to):
		return to
	}
	return t
}

// spanDayNumber counts calendar days, whatever the zone: the date of t as
// days since 1970-01-01. UTC has no clock changes, so every day there is
// 86400 seconds.
func spanDayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func spanInvalid(why string) error {
	return fmt.Errorf("period: %s: %w", why, shakwa.ErrInvalid)
}

// The patterns Parse tries, on text spanNormalize has cleaned. Dates and
// numeric months are matched before spaces and hyphens are dropped, since
// a hyphen there separates numbers; words, rolling windows and month
// names are matched after, so that "last_week" and "last-week" read alike.
var (
	spanDatesRE     = regexp.MustCompile(`^(?:(?:from|من) ?)?(\d{4}-\d{1,2}-\d{1,2})(?: ?(?:\.\.|-|to|الي|حتي) ?(\d{4}-\d{1,2}-\d{1,2}))?$`)
	spanMonthRE     = regexp.MustCompile(`^(?:(\d{4}) ?[-/] ?(\d{1,2})|(\d{1,2}) ?[-/] ?(\d{4}))$`)
	spanLastDaysRE  = regexp.MustCompile(`^(?:last|past|اخر)?(\d+)(?:d|days?|يوم|يوما|ايام)$`)
	spanMonthNameRE = regexp.MustCompile(`^(\D+)(\d{4})$`)
)

// spanNormalize lower-cases s, turns every digit into ASCII, folds the
// Arabic letters people type interchangeably into one (أ إ آ ٱ into ا,
// ى and Persian ی into ي, ة into ه), drops diacritics, tatweel and the
// invisible direction marks phones insert around mixed Arabic and digits,
// and leaves single spaces between words.
func spanNormalize(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		}
		switch r {
		case 'أ', 'إ', 'آ', 'ٱ':
			return 'ا'
		case 'ى', 'ی':
			return 'ي'
		case 'ة':
			return 'ه'
		case 'ـ':
			return -1
		case '_', ',', '،':
			return ' '
		case '–', '—', '‐', '−':
			return '-'
		}
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// spanWord reads the named periods, written without spaces or hyphens.
// "day", "يوم", "اسبوع" and "شهر" are kept because /stats took them before
// it took anything else.
func spanWord(w string) (SpanKind, bool) {
	switch w {
	case "today", "day", "اليوم", "يوم":
		return SpanToday, true
	case "yesterday", "امس", "الامس", "البارحه":
		return SpanYesterday, true
	case "week", "thisweek", "الاسبوع", "اسبوع", "هذاالاسبوع", "الاسبوعالحالي":
		return SpanThisWeek, true
	case "lastweek", "الاسبوعالماضي", "الاسبوعالسابق":
		return SpanLastWeek, true
	case "month", "thismonth", "الشهر", "شهر", "هذاالشهر", "الشهرالحالي":
		return SpanThisMonth, true
	case "lastmonth", "الشهرالماضي", "الشهرالسابق":
		return SpanLastMonth, true
	}
	return "", false
}

// spanMonthName reads a month's name, written without spaces: English in
// full or cut to three letters, the names used in the Gulf and Egypt, and
// the Levantine ones.
func spanMonthName(w string) (time.Month, bool) {
	switch w {
	case "january", "jan", "يناير", "كانونالثاني":
		return time.January, true
	case "february", "feb", "فبراير", "شباط":
		return time.February, true
	case "march", "mar", "مارس", "اذار":
		return time.March, true
	case "april", "apr", "ابريل", "نيسان":
		return time.April, true
	case "may", "مايو", "ايار":
		return time.May, true
	case "june", "jun", "يونيو", "يونيه", "حزيران":
		return time.June, true
	case "july", "jul", "يوليو", "يوليه", "تموز":
		return time.July, true
	case "august", "aug", "اغسطس", "اب":
		return time.August, true
	case "september", "sep", "sept", "سبتمبر", "ايلول":
		return time.September, true
	case "october", "oct", "اكتوبر", "تشرينالاول":
		return time.October, true
	case "november", "nov", "نوفمبر", "تشرينالثاني":
		return time.November, true
	case "december", "dec", "ديسمبر", "كانونالاول":
		return time.December, true
	}
	return 0, false
}
