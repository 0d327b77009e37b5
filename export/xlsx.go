package export

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Column widths, in Excel's units (about one digit of the default font):
// wide enough for the longest value plus a margin, never narrower than
// Excel's own default nor so wide that a long complaint pushes the other
// columns off the screen.
const (
	minWidth = 9
	maxWidth = 60
	margin   = 2
)

// styles are the cell styles every worksheet of a file shares.
type styles struct {
	header, date int
}

// WriteXLSX writes the sheets to w as one Excel workbook, a worksheet for
// each in the order given. Each worksheet has its header row in bold and
// frozen, columns as wide as their content (within limits), and runs right
// to left when the Sheet says so. Numbers are numbers, times are Excel dates
// shown as "yyyy-mm-dd hh:mm", and text is text, neutralised as described at
// [Text].
//
// Rows are streamed into the worksheets rather than built up as a document
// in memory: besides the rows the caller already holds, a large sheet costs
// a buffer of up to 16 MB of XML, spilled to a temporary file that is
// removed before WriteXLSX returns, and the compressed file, which is put
// together in memory before it is written to w. It returns an error when
// there are no sheets.
func WriteXLSX(w io.Writer, sheets ...Sheet) (err error) {
	if len(sheets) == 0 {
		return errors.New("write xlsx: no sheets")
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write xlsx: %w", cerr)
		}
	}()
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	names := sheetNames(sheets)
	// A new workbook comes with one worksheet; the first sheet takes it over.
	first := f.GetSheetName(0)
	for i, s := range sheets {
		if i == 0 {
			err = f.SetSheetName(first, names[i])
		} else {
			_, err = f.NewSheet(names[i])
		}
		if err == nil {
			err = writeSheet(f, names[i], s, st)
		}
		if err != nil {
			return fmt.Errorf("write xlsx sheet %d: %w", i+1, err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

func newStyles(f *excelize.File) (styles, error) {
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return styles{}, err
	}
	format := dateFormat
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return styles{}, err
	}
	return styles{header: header, date: date}, nil
}

// writeSheet streams s into the empty worksheet name. The view, panes and
// widths must all be set before the first row: the stream writes them out
// ahead of the rows.
func writeSheet(f *excelize.File, name string, s Sheet, st styles) error {
	if s.RTL {
		rtl := true
		if err := f.SetSheetView(name, 0, &excelize.ViewOptions{RightToLeft: &rtl}); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	for i, width := range columnWidths(s) {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	row := 1
	var values []any
	if len(s.Header) > 0 {
		if err := sw.SetPanes(frozenHeader()); err != nil {
			return err
		}
		for _, h := range s.Header {
			values = append(values, excelize.Cell{StyleID: st.header, Value: neutralise(h)})
		}
		if err := sw.SetRow("A1", values); err != nil {
			return err
		}
		row++
	}
	for _, cells := range s.Rows {
		values = values[:0]
		for _, c := range cells {
			values = append(values, xlsxValue(c, s, st))
		}
		ref, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		if err := sw.SetRow(ref, values); err != nil {
			return err
		}
		row++
	}
	return sw.Flush()
}

// frozenHeader keeps row 1 in view while the rows under it scroll.
func frozenHeader() *excelize.Panes {
	return &excelize.Panes{
		Freeze:      true,
		YSplit:      1,
		TopLeftCell: "A2",
		ActivePane:  "bottomLeft",
		Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}
}

// xlsxValue is c as the stream writer takes it: nil leaves the cell out.
func xlsxValue(c Cell, s Sheet, st styles) any {
	switch c.kind {
	case text:
		return neutralise(c.text)
	case number:
		return c.num
	case moment:
		// excelize writes a time's wall clock in its own location.
		return excelize.Cell{StyleID: st.date, Value: in(c.time, s.Location)}
	}
	return nil
}

// columnWidths measures every column of s by its longest value as shown.
func columnWidths(s Sheet) []float64 {
	var chars []int
	measure := func(i, n int) {
		for len(chars) <= i {
			chars = append(chars, 0)
		}
		chars[i] = max(chars[i], n)
	}
	for i, h := range s.Header {
		measure(i, shownLength(neutralise(h)))
	}
	var buf [32]byte
	for _, row := range s.Rows {
		for i, c := range row {
			switch c.kind {
			case text:
				measure(i, shownLength(neutralise(c.text)))
			case number:
				measure(i, len(strconv.AppendFloat(buf[:0], c.num, 'g', -1, 64)))
			case moment:
				measure(i, len(timeLayout))
			}
		}
	}
	widths := make([]float64, len(chars))
	for i, n := range chars {
		widths[i] = float64(min(max(n+margin, minWidth), maxWidth))
	}
	return widths
}

// shownLength is the number of characters in the longest line of s: a
// multi-line complaint is as wide as its widest line, not its whole length.
func shownLength(s string) int {
	longest := 0
	for line := range strings.SplitSeq(s, "\n") {
		longest = max(longest, utf8.RuneCountInString(line))
	}
	return longest
}
