package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/export"
	"github.com/shakwa/shakwa/stats"
)

// exportLimit is the most tickets one export holds: a spreadsheet of
// that many rows still opens on an ordinary office computer and stays
// well under what Telegram takes as a document.
const exportLimit = 100_000

// errTooMany stops an export that would hold more than exportLimit.
var errTooMany = errors.New("too many tickets for one export")

// seesPhones reports whether p may read citizens' phone numbers in an
// export: supervisors, who work their centres' tickets; a manager reads
// them masked.
func seesPhones(p *config.Person) bool { return p != nil && p.Role == shakwa.RoleSupervisor }

// ExportFile is one file of an export.
type ExportFile struct {
	Name    string // e.g. shakwa-tickets-20261101-20261130.csv
	Mime    string
	Caption string // what it is, in the export's language
	Data    []byte
}

// Export makes the files of an export of the tickets filed in span at
// centres: one spreadsheet (the requests, the centres' figures, every
// request's history) and the three as CSV files; and says how many
// requests it holds. phones has citizens' phone numbers whole, else
// masked. It returns errTooMany past exportLimit requests.
func (h *Handler) Export(ctx context.Context, lang string, span stats.Span, centres []string, phones bool) ([]ExportFile, int, error) {
	tickets, history, err := h.exportTickets(ctx, lang, span, centres, phones)
	if err != nil {
		return nil, 0, err
	}
	cs, err := h.figures(ctx, span, centres)
	if err != nil {
		return nil, 0, err
	}
	figures := h.centresSheet(lang, cs, total(cs))
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	var book bytes.Buffer
	if err := export.WriteXLSX(&book, tickets, figures, history); err != nil {
		return nil, 0, fmt.Errorf("export: %w", err)
	}
	files := []ExportFile{{Name: "shakwa-export-" + spanName(span) + ".xlsx", Mime: xlsxMime,
		Caption: t("export.caption_xlsx", map[string]any{"Count": len(tickets.Rows)}), Data: book.Bytes()}}
	for _, s := range []struct {
		sheet export.Sheet
		name  string
		key   string
	}{{tickets, "shakwa-tickets", "export.caption_tickets"}, {figures, "shakwa-centres", "export.caption_centres"},
		{history, "shakwa-history", "export.caption_history"}} {
		var buf bytes.Buffer
		if err := export.WriteCSV(&buf, s.sheet); err != nil {
			return nil, 0, fmt.Errorf("export: %w", err)
		}
		files = append(files, ExportFile{Name: s.name + "-" + spanName(span) + ".csv", Mime: csvMime,
			Caption: t(s.key, nil), Data: buf.Bytes()})
	}
	return files, len(tickets.Rows), nil
}

// ExportArgs makes the export that "/export ARGS" names (a period, and a
// centre, as typed; every centre when none is), for the server's
// `shakwa export`, and records it as made by by. It returns an error
// wrapping shakwa.ErrInvalid for words it cannot read.
func (h *Handler) ExportArgs(ctx context.Context, lang, args string, phones bool, by string) ([]ExportFile, int, error) {
	span, centre, err := h.statsArgs(args, h.now())
	if err != nil {
		return nil, 0, fmt.Errorf("export %q: %w", args, shakwa.ErrInvalid)
	}
	var centres []string
	for _, ce := range h.cfg().Centres {
		if centre == "" || ce.Code == centre {
			centres = append(centres, ce.Code)
		}
	}
	files, n, err := h.Export(ctx, lang, span, centres, phones)
	if errors.Is(err, errTooMany) {
		return nil, 0, fmt.Errorf("export: more than %d requests; choose a shorter period or one centre", exportLimit)
	}
	if err != nil {
		return nil, 0, err
	}
	return files, n, h.auditExport(ctx, by, "", span, centres, n)
}

// auditExport records an export in the audit record: who, when, from
// where, of what.
func (h *Handler) auditExport(ctx context.Context, by, via string, span stats.Span, centres []string, rows int) error {
	return h.store.Audit(ctx, shakwa.AuditEntry{At: h.now(), Kind: "exported", By: by, Via: via,
		What: fmt.Sprintf("%s %s, %d requests", spanName(span), strings.Join(centres, ","), rows)})
}

// exportCommand answers /export [period] [centre]: the tickets filed in
// the period, the centres' figures and the history, as one spreadsheet
// and as CSV files (see Export). Each export is in the audit record.
func (h *Handler) exportCommand(ctx context.Context, c *conv, args string) {
	span, centres, ok := h.readerArgs(c, args, "export.usage")
	if !ok {
		return
	}
	if h.files == nil {
		c.say("export.unavailable", nil)
		return
	}
	files, n, err := h.Export(ctx, c.lang, span, centres, seesPhones(c.person))
	if errors.Is(err, errTooMany) {
		c.say("export.too_many", map[string]any{"Count": exportLimit})
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	var docs []bot.Reply
	for _, f := range files {
		if d, ok := h.keepDocument(ctx, c.lang, bytes.NewReader(f.Data), f.Name, f.Mime, f.Caption); ok {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		c.say("export.unavailable", nil)
		return
	}
	if err := h.auditExport(ctx, c.m.From.ID, c.m.Channel, span, centres, n); err != nil {
		c.fail(ctx, err)
		return
	}
	for _, d := range docs {
		d.Channel, d.Chat = c.m.Channel, c.m.Chat
		c.Reply(d)
	}
}

// exportTickets is the tickets filed in span at centres, one row each,
// read a batch at a time.
func (h *Handler) exportTickets(ctx context.Context, lang string, span stats.Span, centres []string, phones bool) (sheet, history export.Sheet, err error) {
	t := func(key string) string { return h.text.Text(lang, key, nil) }
	sheet = export.Sheet{Name: t("export.sheet_tickets"), RTL: lang == "ar", Location: h.cfg().Location}
	history = export.Sheet{Name: t("export.sheet_history"), RTL: lang == "ar", Location: h.cfg().Location}
	for _, k := range []string{"number", "at", "entry", "via"} {
		history.Header = append(history.Header, t("export.col."+k))
	}
	for _, k := range []string{"number", "centre", "category", "channel", "status", "created", "claimed", "first_reply",
		"resolved", "closed", "claim_hours", "resolve_hours", "holder", "rating", "reopens", "phone", "text", "resolution"} {
		sheet.Header = append(sheet.Header, t("export.col."+k))
	}
	end := span.To
	if !span.Now.IsZero() && span.Now.Before(end) {
		end = span.Now
	}
	when := func(at time.Time) export.Cell {
		if at.IsZero() {
			return export.Cell{}
		}
		return export.Time(at)
	}
	since := func(from, to time.Time) export.Cell {
		if to.IsZero() {
			return export.Cell{}
		}
		return export.Hours(to.Sub(from))
	}
	err = h.store.EachTicketCreated(ctx, span.From, end, func(ts []*shakwa.Ticket) error {
		ts = slices.DeleteFunc(slices.Clone(ts), func(tk *shakwa.Ticket) bool { return !slices.Contains(centres, tk.Centre) })
		ids := make([]string, len(ts))
		for i, tk := range ts {
			ids[i] = tk.ID
		}
		evs, err := h.store.EventsOf(ctx, ids)
		if err != nil {
			return err
		}
		for i, tk := range ts {
			for _, e := range evs[i] {
				history.Rows = append(history.Rows, []export.Cell{export.Text(tk.ID), when(e.At),
					export.Text(h.historyWhat(lang, tk, e)), export.Text(h.viaName(lang, e.Via))})
			}
			if len(sheet.Rows) >= exportLimit {
				return errTooMany
			}
			phone := tk.Phone
			if !phones {
				phone = maskPhone(phone)
			}
			resolved := tk.Resolved
			if tk.Status != shakwa.StatusResolved && tk.Status != shakwa.StatusClosed {
				resolved = time.Time{} // reopened since: not resolved now
			}
			// The latest rating, as /stats counts it: one given before a
			// reopening stands until the citizen rates again.
			rating := export.Cell{}
			if tk.Rating > 0 {
				rating = export.Int(tk.Rating)
			}
			sheet.Rows = append(sheet.Rows, []export.Cell{
				export.Text(tk.ID), export.Text(h.centreName(tk.Centre, lang)), export.Text(h.categoryName(tk.Category, lang)),
				export.Text(h.text.Text(lang, "report.channel."+channelKey(tk.Channel), nil)), export.Text(h.statusName(lang, tk.Status)),
				when(tk.Created), when(tk.Claimed), when(tk.FirstReply), when(resolved), when(tk.Closed),
				since(tk.Created, tk.Claimed), since(tk.Created, resolved), export.Text(tk.Holder.Name), rating,
				export.Int(tk.Reopens), export.Text(phone), export.Text(tk.Text), export.Text(tk.Resolution),
			})
		}
		return nil
	})
	return sheet, history, err
}

// channelKey is a ticket's channel as the locales name it: records from
// before channels were kept came on Telegram.
func channelKey(ch string) string {
	if slices.Contains(stats.Channels, ch) {
		return ch
	}
	return "telegram"
}
