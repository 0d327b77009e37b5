package export_test

import (
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/shakwa/shakwa/export"
)

// bigSheet is a month of a busy centre: 100,000 tickets of seven columns,
// each with a complaint of about a hundred Arabic characters.
func bigSheet() export.Sheet {
	complaint := "تأخر تجديد الإقامة رغم تقديم جميع المستندات المطلوبة قبل شهر، ولم يصلني أي رد من المركز حتى الآن"
	s := export.Sheet{
		Name:     "التذاكر",
		Header:   []string{"رقم", "الحالة", "الشكوى", "الهاتف", "فُتحت", "أُغلقت", "المدة (ساعات)"},
		RTL:      true,
		Location: dubai,
	}
	s.Rows = make([][]export.Cell, 100_000)
	for i := range s.Rows {
		open := opened.Add(time.Duration(i) * time.Minute)
		took := time.Duration(i%97) * time.Hour
		s.Rows[i] = []export.Cell{
			export.Int(i + 1),
			export.Text("مغلقة"),
			export.Text(complaint),
			export.Text("+9715" + strconv.Itoa(10_000_000+i)),
			export.Time(open),
			export.Time(open.Add(took)),
			export.Hours(took),
		}
	}
	return s
}

// counter counts what is written, so the figures measure the export alone.
type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }

var _ io.Writer = (*counter)(nil)

func BenchmarkXLSX100k(b *testing.B) {
	s := bigSheet()
	var n counter
	b.ReportAllocs()
	for b.Loop() {
		n = 0
		if err := export.WriteXLSX(&n, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "file-bytes")
}

func BenchmarkCSV100k(b *testing.B) {
	s := bigSheet()
	var n counter
	b.ReportAllocs()
	for b.Loop() {
		n = 0
		if err := export.WriteCSV(&n, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "file-bytes")
}
