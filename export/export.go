// Package export turns tables of tickets and metrics into documents that
// managers open in Excel: CSV for one table, XLSX for one or more.
//
// It is pure: data in, bytes out. Every word a person reads, from sheet
// names to column headers, comes from the caller, who takes it from the
// locale files; nothing here is shown to anyone.
//
// Text that a spreadsheet would take for a formula is never one, because
// the cells carry what citizens typed: CSV puts a quote in front, XLSX keeps
// it as text in the Text format. See [Text].
package export

import (
	"math"
	"time"
	"unicode/utf8"
)

// Sheet is one table: a header row and the rows under it.
type Sheet struct {
	// Name names the worksheet in an XLSX file; CSV has no use for it. It is
	// made into a name Excel accepts: characters Excel forbids become '-',
	// it is cut to 31 characters, and a name already taken gets " (2)",
	// " (3)" and so on. An empty name becomes the sheet's position, "1".
	Name string
	// Header is the first row, in bold and frozen in an XLSX file. No header
	// means no header row.
	Header []string
	// Rows are the data. A row may be shorter or longer than the header.
	Rows [][]Cell
	// RTL lays the worksheet out right to left, as Arabic readers expect:
	// column A on the right. CSV has no layout and ignores it.
	RTL bool
	// Location is the zone every Time cell is shown in, such as the service
	// centre's. Nil shows each time in its own location.
	Location *time.Location
}

// Cell is one value of a row. The zero Cell is empty.
type Cell struct {
	kind kind
	text string
	num  float64
	time time.Time
}

type kind uint8

const (
	empty kind = iota
	text
	number
	moment
)

// Text returns a text cell. Text that a spreadsheet would read as a formula,
// one starting with = + - @ (or their full-width forms), a tab or a carriage
// return, is never one:
//
//   - CSV writes it with a single quote in front, as OWASP advises against
//     CSV injection. That includes a phone number such as "+9715…", which
//     Excel would otherwise turn into a number and lose its plus.
//   - XLSX stores it as text, which Excel never runs, exactly as written
//     (a quote there would be shown in every phone cell and before every
//     complaint that starts with a dash), in Excel's Text format ("@"), so
//     that it stays text when someone edits the cell.
//
// A value meant to be counted or summed belongs in [Number].
func Text(s string) Cell { return Cell{kind: text, text: s} }

// Number returns a numeric cell. Negative numbers are written as numbers,
// never neutralised. NaN and the infinities, which no spreadsheet can hold,
// give an empty cell, as an average over no tickets should look.
func Number(f float64) Cell {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Cell{}
	}
	if f == 0 {
		f = 0 // -0 would be written "-0"
	}
	return Cell{kind: number, num: f}
}

// Int returns a numeric cell holding n. Like Excel itself, it keeps 15 to 16
// significant digits: a ticket number meant to be read, not summed, is
// better given as [Text].
func Int(n int) Cell { return Number(float64(n)) }

// Hours returns a numeric cell holding d in hours, rounded to the nearest
// hundredth (36 seconds). A number of hours, unlike a clock-like duration,
// sorts, sums and charts as it is in Excel and reads the same in CSV.
func Hours(d time.Duration) Cell { return Number(math.Round(d.Hours()*100) / 100) }

// Time returns a date-time cell, shown to the minute in the sheet's
// Location (or in t's own). In XLSX it is a real Excel date, so staff can
// sort and filter by it; in CSV it reads "2006-01-02 15:04", which Excel
// also takes for a date. The zero time, such as a ticket not closed yet,
// gives an empty cell.
func Time(t time.Time) Cell {
	if t.IsZero() {
		return Cell{}
	}
	return Cell{kind: moment, time: t}
}

// timeLayout is how a Time cell reads in CSV; dateFormat is the same in
// Excel's number-format language.
const (
	timeLayout = "2006-01-02 15:04"
	dateFormat = "yyyy-mm-dd hh:mm"
)

// in returns t in loc, or t as it is when loc is nil.
func in(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		return t
	}
	return t.In(loc)
}

// neutralise puts a single quote before text a spreadsheet would read as a
// formula. The full-width forms are included because some spreadsheet
// set-ups, East Asian input among them, read them as their ASCII selves.
func neutralise(s string) string {
	if formulaLike(s) {
		return "'" + s
	}
	return s
}

// formulaLike reports whether a spreadsheet would read s as a formula.
func formulaLike(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠':
		return true
	}
	return false
}
