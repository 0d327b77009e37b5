package handlers

import (
	"math"
	"strconv"
	"time"

	"github.com/shakwa/shakwa/export"
	"github.com/shakwa/shakwa/stats"
)

// The icons that head the answers about figures.
const (
	iconStats   = "📊"
	iconRanking = "🏆"
	iconStaff   = "👥"
	iconVisits  = "🕵"
)

// spanTitle names a span, its dates and how many centres it covers, after
// icon: the first lines of every answer about figures.
func (h words) spanTitle(lang, icon string, span stats.Span, centres int) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	name := t("span."+string(span.Kind), map[string]any{"Count": span.N,
		"Month": t("month."+strconv.Itoa(int(span.From.Month())), nil), "Year": span.From.Year()})
	if !span.Now.IsZero() && span.Now.Before(span.To) && span.Kind != stats.SpanLastDays {
		name = t("span.so_far", map[string]any{"Span": name})
	}
	return t("stats.head", map[string]any{"Icon": icon, "Span": name, "Dates": h.spanDates(lang, span),
		"Centres": t("stats.centres", map[string]any{"Count": centres})})
}

// lastDay is the last day a span shows: its last, or today for a span
// still under way.
func lastDay(span stats.Span) time.Time {
	if !span.Now.IsZero() && span.Now.Before(span.To) {
		return span.Now.In(span.From.Location())
	}
	return span.Last()
}

// spanDates is a span's first and last day: "1–17 ديسمبر 2026".
func (h words) spanDates(lang string, span stats.Span) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	first, last := span.From, lastDay(span)
	month := func(d time.Time) string { return t("month."+strconv.Itoa(int(d.Month())), nil) }
	switch {
	case first.Year() == last.Year() && first.YearDay() == last.YearDay():
		return t("dates.day", map[string]any{"Day": first.Day(), "Month": month(first), "Year": first.Year()})
	case first.Year() == last.Year() && first.Month() == last.Month():
		return t("dates.days", map[string]any{"From": first.Day(), "To": last.Day(), "Month": month(first), "Year": first.Year()})
	case first.Year() == last.Year():
		return t("dates.months", map[string]any{"From": first.Day(), "FromMonth": month(first),
			"To": last.Day(), "ToMonth": month(last), "Year": first.Year()})
	}
	return t("dates.years", map[string]any{"From": first.Day(), "FromMonth": month(first), "FromYear": first.Year(),
		"To": last.Day(), "ToMonth": month(last), "ToYear": last.Year()})
}

// shortDuration renders a duration for a figure, rounded to what it can
// show and never cut: 1 h 59 min, 2 d 23 h; minutes under a day, hours
// beyond.
func (h words) shortDuration(lang string, d time.Duration) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	switch {
	case d < 30*time.Second:
		return t("dur.lt_minute", nil)
	case d < 24*time.Hour-30*time.Second:
		m := int64(math.Round(d.Minutes()))
		if m < 60 {
			return t("dur.m", map[string]any{"M": m})
		}
		if m%60 == 0 {
			return t("dur.h", map[string]any{"H": m / 60})
		}
		return t("dur.hm", map[string]any{"H": m / 60, "M": m % 60})
	}
	hours := int64(math.Round(d.Hours()))
	if hours%24 == 0 {
		return t("dur.d", map[string]any{"D": hours / 24})
	}
	return t("dur.dh", map[string]any{"D": hours / 24, "H": hours % 24})
}

// percent renders a share to a tenth of a percent, rounded, but never as
// 100 % when something was missed nor as 0 % when something was met; "—"
// when nothing was due.
func (h words) percent(lang string, s stats.Share) string {
	tenths, ok := shownTenths(s)
	if !ok {
		return h.text.Text(lang, "stats.none", nil)
	}
	n := strconv.FormatInt(tenths/10, 10)
	if tenths%10 != 0 {
		n += "." + strconv.FormatInt(tenths%10, 10)
	}
	return h.text.Text(lang, "stats.percent", map[string]any{"N": n})
}

// shownTenths is share s in tenths of a percent, as people are shown it
// in messages and spreadsheets alike: rounded exactly from its counts
// (stats.Share.Tenths), but never 100 % when one was missed, nor 0 % when
// one was met. ok is false when nothing was due.
func shownTenths(s stats.Share) (int64, bool) {
	tenths, ok := s.Tenths()
	if !ok {
		return 0, false
	}
	return int64(shown(float64(tenths), 1000, s.Met < s.Due, s.Met > 0)), true
}

// percentCell is share s as a spreadsheet shows it, in percent to a
// tenth (shownTenths); empty when nothing was due.
func percentCell(s stats.Share) export.Cell {
	if tenths, ok := shownTenths(s); ok {
		return export.Number(float64(tenths) / 10)
	}
	return export.Cell{}
}

// shown is n, a share rounded to a whole number out of full, as people
// are shown it: never full when something was missed, nor 0 when
// something was met.
func shown(n, full float64, missed, met bool) float64 {
	switch {
	case missed && n >= full:
		return full - 1
	case met && n <= 0:
		return 1
	}
	return n
}

// shownRating is the average rating of f in hundredths of a star, as
// people are shown it in messages, spreadsheets and charts alike: rounded
// exactly from the stars given (stats.Figures.RatingHundredths), so 169
// stars over 40 ratings (4.225) is 423, where rounding the float average
// gives 422. n is how many ratings there were; with none, avg is 0.
func shownRating(f stats.Figures) (avg, n int64) { return f.RatingHundredths() }

// ratingText renders an average rating in hundredths of a star: 495 is
// "4.95".
func ratingText(hundredths int64) string {
	sign := ""
	if hundredths < 0 {
		sign, hundredths = "-", -hundredths
	}
	frac := strconv.FormatInt(hundredths%100, 10)
	if len(frac) < 2 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(hundredths/100, 10) + "." + frac
}

// ratingNumber is an average rating in hundredths of a star as a number
// of stars, for a chart or a spreadsheet: 401 is 4.01.
func ratingNumber(hundredths int64) float64 { return float64(hundredths) / 100 }

// isolate wraps a name in Unicode isolates (FSI … PDI), so that an Arabic
// name in an English line, or a Latin one in an Arabic line, neither sets
// the line's direction nor reorders what is around it.
func isolate(s string) string { return "\u2068" + s + "\u2069" }
