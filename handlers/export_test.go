package handlers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/files"
	"github.com/shakwa/shakwa/stats"
)

// readDoc returns the bytes of a document reply.
func readDoc(t *testing.T, fs *files.Store, a shakwa.Attachment) []byte {
	t.Helper()
	rc, _, _, err := fs.Open(context.Background(), a.File)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestExport: /export gives the period's requests of one's centres and
// the centres' figures as a spreadsheet and as CSV files Excel reads;
// phones are whole for a supervisor and masked for a manager; a
// complaint written as a formula stays text.
func TestExport(t *testing.T) {
	w, ts, fs := reportWorld(t, testConfig)
	ctx := context.Background()
	tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "=HYPERLINK(\"http://x\")", Phone: "+971501234567",
		Created: w.now.Add(-time.Hour), Updated: w.now.Add(-time.Hour)}
	if err := w.store.CreateTicket(ctx, tk, shakwa.Address{Channel: "whatsapp", Chat: "971501234567"}, ""); err != nil {
		t.Fatal(err)
	}
	ts = append(ts, tk)
	// One resolved, rated and then reopened: its rating no longer counts.
	who := shakwa.Address{Channel: "telegram", Chat: "7001"}
	again := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: w.now.Add(-3 * time.Hour), Updated: w.now.Add(-3 * time.Hour)}
	if err := w.store.CreateTicket(ctx, again, who, ""); err != nil {
		t.Fatal(err)
	}
	staff := shakwa.Staff{ID: fatima.id}
	for i, step := range []func(at time.Time) (*shakwa.Ticket, error){
		func(at time.Time) (*shakwa.Ticket, error) { return w.store.Claim(ctx, again.ID, staff, nil, at) },
		func(at time.Time) (*shakwa.Ticket, error) { return w.store.Resolve(ctx, again.ID, staff, "…", at) },
		func(at time.Time) (*shakwa.Ticket, error) { return w.store.Rate(ctx, again.ID, who, 2, at) },
		func(at time.Time) (*shakwa.Ticket, error) { return w.store.Reopen(ctx, again.ID, who, "", at) },
	} {
		if _, err := step(w.now.Add(time.Duration(i-10) * time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	ts = append(ts[:len(ts)-1], again, tk) // tk stays last
	if rs := w.text(fatima, "/export"); len(find(rs, fatima.id, "للمديرين والمشرفين فقط")) != 1 {
		t.Errorf("staff /export: %v", texts(rs))
	}
	if rs := w.text(manager, "/export someday"); len(find(rs, manager.id, "/export 2026-11 KRM")) != 1 {
		t.Errorf("/export someday: %v; want the usage", texts(rs))
	}
	span := w.h.cal.Named(stats.SpanThisMonth, w.now)
	want, entries := 0, 0
	for _, tk := range ts {
		if !tk.Created.Before(span.From) && tk.Created.Before(w.now) {
			want++
			evs, err := w.store.Events(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			entries += len(evs)
		}
	}
	for _, tc := range []struct {
		p     person
		phone string
	}{{manager, "+971•••••••67"}, {noura, "+971501234567"}} {
		rs := w.text(tc.p, "/export month")
		if len(rs) != 4 {
			t.Fatalf("%s /export: %v; want a spreadsheet and three CSV files", tc.p.name, texts(rs))
		}
		book, err := excelize.OpenReader(strings.NewReader(string(readDoc(t, fs, rs[0].Attachments[0]))))
		if err != nil {
			t.Fatal(err)
		}
		sheets := book.GetSheetList()
		if len(sheets) != 3 || sheets[0] != "الطلبات" || sheets[2] != "السجل" {
			t.Fatalf("sheets %v", sheets)
		}
		// The history: every entry of every request exported, one row each.
		hist, err := book.GetRows(sheets[2])
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1+entries {
			t.Errorf("%s: %d history rows; want %d, the exported requests' entries", tc.p.name, len(hist)-1, entries)
		}
		if !slices.ContainsFunc(hist, func(r []string) bool {
			return len(r) == 4 && r[0] == tk.ID && r[2] == "قدّم المتعامل الطلب" && r[3] == "واتساب"
		}) {
			t.Errorf("%s: no history row of %s's filing on WhatsApp", tc.p.name, tk.ID)
		}
		if hcsv := string(readDoc(t, fs, rs[3].Attachments[0])); strings.Count(hcsv, "\r\n") != 1+entries {
			t.Errorf("history CSV: %d lines; want %d", strings.Count(hcsv, "\r\n"), 1+entries)
		}
		rows, err := book.GetRows(sheets[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+want {
			t.Errorf("%s: %d requests exported; want %d", tc.p.name, len(rows)-1, want)
		}
		// Each rating as /stats counts it: the latest, also when the ticket
		// was reopened since.
		col := slices.Index(rows[0], w.tr("ar", "export.col.rating", nil))
		reopenedRated := 0
		for _, row := range rows[1:] {
			got := w.ticket(row[0])
			want := ""
			current := (got.Status == shakwa.StatusResolved || got.Status == shakwa.StatusClosed) && !got.Rated.Before(got.Resolved)
			if got.Rating > 0 {
				want = strconv.Itoa(got.Rating)
			}
			if got.Rating > 0 && !current {
				reopenedRated++
			}
			if cell := ""; col < len(row) {
				cell = row[col]
				if cell != want {
					t.Errorf("%s %s: rating %q; want %q (status %s, rated %v, resolved %v)", tc.p.name, row[0], cell, want, got.Status, got.Rated, got.Resolved)
				}
			}
		}
		if reopenedRated == 0 {
			t.Errorf("no exported request was rated then reopened; want some")
		}
		last := rows[len(rows)-1]
		if last[0] != tk.ID || !strings.Contains(strings.Join(last, "|"), tc.phone) {
			t.Errorf("%s: last row %q; want %s with phone %s", tc.p.name, last, tk.ID, tc.phone)
		}
		csv := string(readDoc(t, fs, rs[1].Attachments[0]))
		if !strings.HasPrefix(csv, "\ufeffرقم الطلب,") || !strings.Contains(csv, "\r\n") ||
			!strings.Contains(csv, `"'=HYPERLINK(""http://x"")"`) {
			t.Errorf("tickets CSV: want a BOM, CRLF and the formula neutralised:\n%.300s", csv)
		}
		if n := strings.Count(csv, "\r\n"); n != 1+want {
			t.Errorf("tickets CSV: %d lines; want %d", n, 1+want)
		}
		if !strings.HasSuffix(rs[2].Attachments[0].Name, ".csv") || !strings.Contains(string(readDoc(t, fs, rs[2].Attachments[0])), "مركز سعادة المتعاملين - الكرامة") {
			t.Errorf("centres CSV %+v", rs[2].Attachments[0])
		}
	}
	// Each export is in the audit record: who, from where, of what.
	log, err := w.store.AuditLog(ctx, 10)
	if err != nil || len(log) != 2 || log[0].Kind != "exported" || log[0].By != manager.id || log[0].Via != "telegram" ||
		log[1].By != noura.id || !strings.Contains(log[1].What, "KRM,BRS") {
		t.Errorf("audit record %+v, %v; want the two exports, by whom and of what", log, err)
	}
	// One centre only.
	rs := w.text(manager, "/export month BRS")
	book, _ := excelize.OpenReader(strings.NewReader(string(readDoc(t, fs, rs[0].Attachments[0]))))
	rows, _ := book.GetRows("الطلبات")
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[0], "BRS-") {
			t.Errorf("/export month BRS has %s", r[0])
		}
	}
}

// TestStatsBreakdowns: one centre's /stats tells its requests by channel
// and by category, as the tickets count them.
func TestStatsBreakdowns(t *testing.T) {
	w, ts, _ := reportWorld(t, testConfig)
	span := w.h.cal.Named(stats.SpanThisMonth, w.now)
	n := map[string]int{}
	for _, tk := range ts {
		if tk.Centre == "KRM" && !tk.Created.Before(span.From) && tk.Created.Before(w.now) {
			n[tk.Channel]++
			n[tk.Category]++
		}
	}
	rs := w.text(manager, "/stats krm")
	if len(rs) != 1 {
		t.Fatalf("/stats krm: %v", texts(rs))
	}
	for _, want := range []string{fmt.Sprintf("تيليجرام %d", n["telegram"]), fmt.Sprintf("واتساب %d", n["whatsapp"]),
		fmt.Sprintf("المحادثة على الموقع %d", n["web"]), fmt.Sprintf("🗂 حسب النوع: طول فترة الانتظار %d", n["waiting"])} {
		if !strings.Contains(rs[0].Text, want) {
			t.Errorf("/stats krm:\n%s\nwant %q", rs[0].Text, want)
		}
	}
}

// TestExportFilesGo: an export's files (citizens' words and phones) leave
// the file store two days after they were made, not before.
func TestExportFilesGo(t *testing.T) {
	w, _, fs := reportWorld(t, testConfig)
	rs := w.text(noura, "/export month")
	if len(rs) == 0 || len(rs[0].Attachments) == 0 {
		t.Fatalf("/export: %v", texts(rs))
	}
	var ids []string
	for _, r := range rs {
		for _, a := range r.Attachments {
			if _, err := fs.Stat(a.File); err != nil {
				t.Fatalf("%s not kept: %v", a.Name, err)
			}
			ids = append(ids, a.File)
		}
	}
	w.wait(47 * time.Hour)
	w.runJobs(JobDropDocument)
	for _, id := range ids {
		if _, err := fs.Stat(id); err != nil {
			t.Errorf("a file went before two days: %v", err)
		}
	}
	w.wait(2 * time.Hour)
	w.runJobs(JobDropDocument)
	for _, id := range ids {
		if _, err := fs.Stat(id); err == nil {
			t.Errorf("file %s still kept two days after the export", id)
		}
	}
}
