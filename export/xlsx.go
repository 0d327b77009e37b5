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

// styles are the cell styles every worksheet of a file shares. text is
// Excel's Text number format ("@"): a cell in it stays text when someone
// edits it, so it is given to texts that Excel would otherwise take for a
// formula once edited. An XLSX string cell is never a formula as written,
// so unlike CSV nothing is put in front of the text.
type styles struct {
	header, headerText, date, text int
}

// numFmtText is Excel's built-in number format "@", Text.
const numFmtText = 49

// WriteXLSX writes the sheets to w as one Excel workbook, a worksheet for
// each in the order given. Each worksheet has its header row in bold and
// frozen, columns as wide as their content (within limits), and runs right
// to left when the Sheet says so. Numbers are numbers, times are Excel dates
// shown as "yyyy-mm-dd hh:mm", and text is text: a text Excel would take
// for a formula (see [Text]) is written as it is, in the Text format, so
// that it stays text when edited.
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
	bold := &excelize.Font{Bold: true}
	format := dateFormat
	var st styles
	for _, s := range []struct {
		id    *int
		style excelize.Style
	}{
		{&st.header, excelize.Style{Font: bold}},
		{&st.headerText, excelize.Style{Font: bold, NumFmt: numFmtText}},
		{&st.date, excelize.Style{CustomNumFmt: &format}},
		{&st.text, excelize.Style{NumFmt: numFmtText}},
	} {
		id, err := f.NewStyle(&s.style)
		if err != nil {
			return styles{}, err
		}
		*s.id = id
	}
	return st, nil
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
			style := st.header
			if formulaLike(h) {
				style = st.headerText
			}
			values = append(values, excelize.Cell{StyleID: style, Value: h})
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
		if formulaLike(c.text) {
			return excelize.Cell{StyleID: st.text, Value: c.text}
		}
		return c.text
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
		measure(i, shownLength(h))
	}
	var buf [32]byte
	for _, row := range s.Rows {
		for i, c := range row {
			switch c.kind {
			case text:
				measure(i, shownLength(c.text))
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
