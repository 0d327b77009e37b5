package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// bom is the UTF-8 byte order mark. Without it Excel reads a CSV file in the
// machine's legacy code page and Arabic comes out as mojibake.
const bom = "\uFEFF"

// WriteCSV writes s to w as CSV that Excel opens as it is: UTF-8 with a byte
// order mark, CRLF line ends and RFC 4180 quoting. Numbers are written in
// full ("-12.5", never in exponent form), times as described at [Time], and
// text neutralised as described at [Text]. The header, if any, is the first
// record. Name and RTL do not apply to CSV.
func WriteCSV(w io.Writer, s Sheet) error {
	if _, err := io.WriteString(w, bom); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	var record []string
	if len(s.Header) > 0 {
		for _, h := range s.Header {
			record = append(record, neutralise(h))
		}
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("write csv header: %w", err)
		}
	}
	for i, row := range s.Rows {
		record = record[:0]
		for _, c := range row {
			record = append(record, csvField(c, s))
		}
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("write csv row %d: %w", i+1, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// csvField is how c reads in a CSV record of s.
func csvField(c Cell, s Sheet) string {
	switch c.kind {
	case text:
		return neutralise(c.text)
	case number:
		return strconv.FormatFloat(c.num, 'f', -1, 64)
	case moment:
		return in(c.time, s.Location).Format(timeLayout)
	}
	return ""
}
