package export_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shakwa/shakwa/export"
)

// dubai is a Gulf zone without daylight saving, fixed so the tests need no
// time zone database.
var dubai = time.FixedZone("+04", 4*60*60)

// opened is 09:30 in Dubai on 1 March 2025, held in UTC as storage holds it.
var opened = time.Date(2025, 3, 1, 5, 30, 0, 0, time.UTC)

// openedSerial is the same moment as an Excel date: 45717 days after
// 1899-12-30, plus 9.5 hours.
const openedSerial = 45717 + 9.5/24

func tickets() export.Sheet {
	return export.Sheet{
		Name:     "التذاكر",
		Header:   []string{"رقم", "الشكوى", "المدة (ساعات)", "فُتحت", "أُغلقت"},
		RTL:      true,
		Location: dubai,
		Rows: [][]export.Cell{
			{export.Int(17), export.Text("تأخر تجديد الإقامة، \"عاجل\"\nسطر ثانٍ"), export.Hours(90 * time.Minute), export.Time(opened), export.Time(time.Time{})},
			{export.Int(-3), export.Text("+971501234567"), export.Number(-12.5), export.Time(opened.Add(time.Hour)), export.Text("")},
		},
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	body, ok := bytes.CutPrefix(b, []byte("\uFEFF"))
	if !ok {
		t.Fatalf("csv starts %q; want the UTF-8 byte order mark", b[:min(len(b), 3)])
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read csv back: %v", err)
	}
	return records
}

func writeCSV(t *testing.T, s export.Sheet) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := export.WriteCSV(&b, s); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	return b.Bytes()
}

func TestCSVRoundTrip(t *testing.T) {
	got := readCSV(t, writeCSV(t, tickets()))
	want := [][]string{
		{"رقم", "الشكوى", "المدة (ساعات)", "فُتحت", "أُغلقت"},
		{"17", "تأخر تجديد الإقامة، \"عاجل\"\nسطر ثانٍ", "1.5", "2025-03-01 09:30", ""},
		{"-3", "'+971501234567", "-12.5", "2025-03-01 10:30", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records; want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d: got %q; want %q", i, got[i], want[i])
		}
	}
}

func TestCSVLineEnds(t *testing.T) {
	b := writeCSV(t, tickets())
	body := strings.TrimPrefix(string(b), "\uFEFF")
	if got := strings.Count(body, "\r\n"); got != 4 { // 3 records and the line inside the complaint
		t.Errorf("got %d CRLF; want 4", got)
	}
	if got := strings.Count(body, "\n"); got != 4 {
		t.Errorf("got %d LF; want 4, each after a CR", got)
	}
	if !strings.HasSuffix(body, "\r\n") {
		t.Errorf("csv ends %q; want CRLF", body[len(body)-4:])
	}
}

func TestCSVTimeInOwnLocation(t *testing.T) {
	s := export.Sheet{Rows: [][]export.Cell{{export.Time(opened)}, {export.Time(opened.In(dubai))}}}
	got := readCSV(t, writeCSV(t, s))
	for i, want := range []string{"2025-03-01 05:30", "2025-03-01 09:30"} {
		if got[i][0] != want {
			t.Errorf("row %d: got %q; want %q", i+1, got[i][0], want)
		}
	}
}

// dangerous are texts a spreadsheet would run or take for a formula, each
// with what must be written in its place.
var dangerous = []struct{ name, in, want string }{
	{"equals", "=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
	{"plus", "+1+1", "'+1+1"},
	{"minus", "-1+1", "'-1+1"},
	{"at", "@SUM(A1)", "'@SUM(A1)"},
	{"tab", "\t=1", "'\t=1"},
	{"carriage return", "\r=1", "'=1"}, // a CR inside a CSV field is dropped in favour of CRLF
	{"full-width equals", "＝1+1", "'＝1+1"},
	{"full-width plus", "＋1", "'＋1"},
	{"full-width minus", "－1", "'－1"},
	{"full-width at", "＠A1", "'＠A1"},
	{"phone number", "+97150123456", "'+97150123456"},
	{"negative as text", "-5", "'-5"},
	{"arabic", "شكوى", "شكوى"},
	{"equals later", "a=1", "a=1"},
}

func TestCSVNeutralises(t *testing.T) {
	for _, tc := range dangerous {
		t.Run(tc.name, func(t *testing.T) {
			s := export.Sheet{Header: []string{tc.in}, Rows: [][]export.Cell{{export.Text(tc.in)}}}
			got := readCSV(t, writeCSV(t, s))
			if got[0][0] != tc.want {
				t.Errorf("header: got %q; want %q", got[0][0], tc.want)
			}
			if got[1][0] != tc.want {
				t.Errorf("cell: got %q; want %q", got[1][0], tc.want)
			}
		})
	}
}

func TestCSVNumbers(t *testing.T) {
	tests := []struct {
		cell export.Cell
		want string
	}{
		{export.Number(-12.5), "-12.5"},
		{export.Int(-7), "-7"},
		{export.Number(math.Copysign(0, -1)), "0"},
		{export.Number(1e21), "1000000000000000000000"},
		{export.Number(math.NaN()), ""},
		{export.Number(math.Inf(-1)), ""},
		{export.Hours(-45 * time.Minute), "-0.75"},
		{export.Hours(100 * time.Second), "0.03"},
	}
	for _, tc := range tests {
		got := readCSV(t, writeCSV(t, export.Sheet{Rows: [][]export.Cell{{tc.cell, export.Text("x")}}}))
		if got[0][0] != tc.want {
			t.Errorf("got %q; want %q", got[0][0], tc.want)
		}
	}
}

func TestCSVEmpty(t *testing.T) {
	if got := string(writeCSV(t, export.Sheet{})); got != "\uFEFF" {
		t.Errorf("empty sheet: got %q; want the byte order mark alone", got)
	}
	got := readCSV(t, writeCSV(t, export.Sheet{Header: []string{"أ", "ب"}}))
	if len(got) != 1 || strings.Join(got[0], "|") != "أ|ب" {
		t.Errorf("header only: got %q; want one header record", got)
	}
}

// FuzzCSV checks that any text reads back as written, less carriage
// returns, and never starts with a formula prefix.
func FuzzCSV(f *testing.F) {
	for _, tc := range dangerous {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := writeCSV(t, export.Sheet{Rows: [][]export.Cell{{export.Text(s), export.Int(1)}}})
		got := readCSV(t, b)
		if len(got) != 1 || len(got[0]) != 2 {
			t.Fatalf("got %q; want one record of two fields", got)
		}
		if strings.ContainsRune(s, '\r') || !isUTF8(s) {
			return // CRs are dropped and invalid bytes may change: safety is what matters then
		}
		field := got[0][0]
		if strings.ContainsAny(field[:min(len(field), 1)], "=+-@\t\r") || strings.HasPrefix(field, "＝") ||
			strings.HasPrefix(field, "＋") || strings.HasPrefix(field, "－") || strings.HasPrefix(field, "＠") {
			t.Errorf("field %q starts with a formula prefix", field)
		}
		if want := strings.TrimPrefix(field, "'"); want != s && field != s {
			t.Errorf("got %q; want %q, perhaps quoted", field, s)
		}
	})
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func writeXLSX(t *testing.T, sheets ...export.Sheet) *excelize.File {
	t.Helper()
	var b bytes.Buffer
	if err := export.WriteXLSX(&b, sheets...); err != nil {
		t.Fatalf("WriteXLSX: %v", err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatalf("open xlsx back: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestXLSX(t *testing.T) {
	f := writeXLSX(t, tickets())
	const name = "التذاكر"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != name {
		t.Fatalf("sheets: got %q; want [%s]", got, name)
	}
	rows, err := f.GetRows(name)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"رقم", "الشكوى", "المدة (ساعات)", "فُتحت", "أُغلقت"},
		{"17", "تأخر تجديد الإقامة، \"عاجل\"\nسطر ثانٍ", "1.5", "2025-03-01 09:30"},
		{"-3", "+971501234567", "-12.5", "2025-03-01 10:30"},
	}
	for i := range want {
		if i >= len(rows) || strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: got %q; want %q", i+1, rows[min(i, len(rows)-1)], want[i])
		}
	}
	t.Run("types", func(t *testing.T) {
		for _, ref := range []string{"A2", "C2", "A3", "C3"} {
			checkNumber(t, f, name, ref)
		}
		for _, ref := range []string{"A1", "B2", "B3"} {
			if got, _ := f.GetCellType(name, ref); got != excelize.CellTypeInlineString {
				t.Errorf("%s: type %v; want a string", ref, got)
			}
		}
		checkDate(t, f, name, "D2", openedSerial)
		checkDate(t, f, name, "D3", openedSerial+1.0/24)
	})
	t.Run("view", func(t *testing.T) {
		view, err := f.GetSheetView(name, 0)
		if err != nil || view.RightToLeft == nil || !*view.RightToLeft {
			t.Errorf("right to left: got %v, %v; want true", view.RightToLeft, err)
		}
		panes, err := f.GetPanes(name)
		if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
			t.Errorf("panes: got %+v, %v; want row 1 frozen", panes, err)
		}
		id, _ := f.GetCellStyle(name, "B1")
		style, err := f.GetStyle(id)
		if err != nil || style.Font == nil || !style.Font.Bold {
			t.Errorf("header style: got %+v, %v; want bold", style, err)
		}
	})
	t.Run("widths", func(t *testing.T) {
		for col, want := range map[string]float64{"A": 9, "B": 28, "D": 18} {
			if got, _ := f.GetColWidth(name, col); got != want {
				t.Errorf("column %s: width %v; want %v", col, got, want)
			}
		}
	})
}

func checkNumber(t *testing.T, f *excelize.File, sheet, ref string) {
	t.Helper()
	if got, _ := f.GetCellType(sheet, ref); got != excelize.CellTypeUnset && got != excelize.CellTypeNumber {
		t.Errorf("%s: type %v; want a number", ref, got)
	}
	raw, _ := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if _, err := strconv.ParseFloat(raw, 64); err != nil {
		t.Errorf("%s: raw value %q is not a number", ref, raw)
	}
}

func checkDate(t *testing.T, f *excelize.File, sheet, ref string, serial float64) {
	t.Helper()
	checkNumber(t, f, sheet, ref)
	raw, _ := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if got, _ := strconv.ParseFloat(raw, 64); math.Abs(got-serial) > 1e-6 {
		t.Errorf("%s: date serial %v; want %v", ref, got, serial)
	}
	id, _ := f.GetCellStyle(sheet, ref)
	style, err := f.GetStyle(id)
	if err != nil || style.CustomNumFmt == nil || *style.CustomNumFmt != "yyyy-mm-dd hh:mm" {
		t.Errorf("%s: style %+v, %v; want the date format", ref, style, err)
	}
}

// TestXLSXNeutralises checks that a text Excel would take for a formula is
// a string cell, as written, in the Text format that keeps it text when
// edited; a header too.
func TestXLSXNeutralises(t *testing.T) {
	s := export.Sheet{Name: "x", Header: []string{"=h", "n"}}
	for _, tc := range dangerous {
		s.Rows = append(s.Rows, []export.Cell{export.Text(tc.in), export.Number(-1)})
	}
	f := writeXLSX(t, s)
	rows, err := f.GetRows("x")
	if err != nil {
		t.Fatal(err)
	}
	check := func(ref, got, want string, risky bool) {
		t.Helper()
		if got != want {
			t.Errorf("%s: got %q; want %q", ref, got, want)
		}
		if typ, _ := f.GetCellType("x", ref); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("%s: cell type %v; want a string", ref, typ)
		}
		if formula, _ := f.GetCellFormula("x", ref); formula != "" {
			t.Errorf("%s: formula %q; want none", ref, formula)
		}
		id, _ := f.GetCellStyle("x", ref)
		style, err := f.GetStyle(id)
		if err != nil {
			t.Fatalf("%s: style: %v", ref, err)
		}
		if textFormat := style.NumFmt == 49; textFormat != risky {
			t.Errorf("%s: number format %d; want the Text format (49): %v", ref, style.NumFmt, risky)
		}
	}
	check("A1", rows[0][0], "=h", true)
	for i, tc := range dangerous {
		ref := "A" + strconv.Itoa(i+2)
		check(ref, rows[i+1][0], tc.in, tc.want != tc.in)
		if rows[i+1][1] != "-1" {
			t.Errorf("%s: number got %q; want -1", tc.name, rows[i+1][1])
		}
	}
}

func TestXLSXEmpty(t *testing.T) {
	f := writeXLSX(t, export.Sheet{Name: "فارغة"}, export.Sheet{Name: "رأس فقط", Header: []string{"أ"}}, export.Sheet{})
	if got := strings.Join(f.GetSheetList(), "|"); got != "فارغة|رأس فقط|3" {
		t.Errorf("sheets: got %q", got)
	}
	if rows, _ := f.GetRows("فارغة"); len(rows) != 0 {
		t.Errorf("empty sheet: got rows %q", rows)
	}
	if panes, _ := f.GetPanes("فارغة"); panes.Freeze {
		t.Errorf("empty sheet: frozen panes %+v; want none, there is no header", panes)
	}
	if rows, _ := f.GetRows("رأس فقط"); len(rows) != 1 || rows[0][0] != "أ" {
		t.Errorf("header only: got rows %q", rows)
	}
	if err := export.WriteXLSX(&bytes.Buffer{}); err == nil {
		t.Error("no sheets: got no error")
	}
}

func TestXLSXSheetNames(t *testing.T) {
	long := strings.Repeat("شكاوى ", 8) // 48 characters
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"cut to 31", []string{long}, []string{strings.Repeat("شكاوى ", 5) + "ش"}},
		{"duplicates", []string{"تذاكر", "تذاكر", "تذاكر"}, []string{"تذاكر", "تذاكر (2)", "تذاكر (3)"}},
		{"duplicates regardless of case", []string{"Tickets", "TICKETS"}, []string{"Tickets", "TICKETS (2)"}},
		{"long duplicates", []string{long, long}, []string{strings.Repeat("شكاوى ", 5) + "ش", strings.Repeat("شكاوى ", 4) + "شكا (2)"}},
		{"forbidden characters", []string{`a:b\c/d?e*f[g]`}, []string{"a-b-c-d-e-f-g-"}},
		{"apostrophes", []string{"'مقاييس'"}, []string{"مقاييس"}},
		{"empty", []string{"", "2"}, []string{"1", "2"}},
		{"reserved", []string{"history"}, []string{"history (2)"}},
		{"counted in UTF-16", []string{strings.Repeat("😀", 16)}, []string{strings.Repeat("😀", 15)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sheets []export.Sheet
			for _, n := range tc.in {
				sheets = append(sheets, export.Sheet{Name: n, Header: []string{n}})
			}
			f := writeXLSX(t, sheets...)
			got := f.GetSheetList()
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q; want %q", got, tc.want)
			}
			for i, name := range got {
				if v, _ := f.GetCellValue(name, "A1"); i < len(tc.in) && v != tc.in[i] && v != "'"+tc.in[i] {
					t.Errorf("sheet %q holds %q; want %q", name, v, tc.in[i])
				}
			}
		})
	}
}

// TestXLSXRemovesTemporaryFiles writes a worksheet large enough for the
// stream to spill to a temporary file, and checks that the file is there
// while the workbook is written out and gone once WriteXLSX returns.
func TestXLSXRemovesTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	s := export.Sheet{Name: "كبيرة", Rows: make([][]export.Cell, 4000)}
	for i := range s.Rows {
		s.Rows[i] = []export.Cell{export.Text(strings.Repeat("ش", 2500))} // 5,000 bytes each, 20 MB in all
	}
	w := &spyWriter{dir: dir}
	if err := export.WriteXLSX(w, s); err != nil {
		t.Fatalf("WriteXLSX: %v", err)
	}
	if w.seen == 0 {
		t.Fatal("no temporary file while writing; want the stream to have spilled")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left in the temporary directory: %v", entries)
	}
}

// spyWriter counts the files in dir when it is first written to.
type spyWriter struct {
	dir    string
	seen   int
	writes int
}

func (w *spyWriter) Write(p []byte) (int, error) {
	if w.writes == 0 {
		entries, _ := os.ReadDir(w.dir)
		w.seen = len(entries)
	}
	w.writes++
	return len(p), nil
}
