package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
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

// exportCommand answers /export [period] [centre]: the tickets filed in
// the period and the centres' figures, as one spreadsheet (two sheets)
// and as two CSV files.
func (h *Handler) exportCommand(ctx context.Context, c *conv, args string) {
	span, centres, ok := h.readerArgs(c, args, "export.usage")
	if !ok {
		return
	}
	if h.files == nil {
		c.say("export.unavailable", nil)
		return
	}
	tickets, history, err := h.exportTickets(ctx, c.lang, span, centres, seesPhones(c.person))
	if errors.Is(err, errTooMany) {
		c.say("export.too_many", map[string]any{"Count": exportLimit})
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	cs, err := h.figures(ctx, span, centres)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	figures := h.centresSheet(c.lang, cs, total(cs))
	var docs []bot.Reply
	var book bytes.Buffer
	if err := export.WriteXLSX(&book, tickets, figures, history); err != nil {
		c.fail(ctx, fmt.Errorf("export: %w", err))
		return
	}
	if d, ok := h.document(ctx, c.lang, &book, "shakwa-export", span, c.t("export.caption_xlsx", map[string]any{"Count": len(tickets.Rows)})); ok {
		docs = append(docs, d)
	}
	for _, s := range []struct {
		sheet export.Sheet
		name  string
		key   string
	}{{tickets, "shakwa-tickets", "export.caption_tickets"}, {figures, "shakwa-centres", "export.caption_centres"},
		{history, "shakwa-history", "export.caption_history"}} {
		var buf bytes.Buffer
		if err := export.WriteCSV(&buf, s.sheet); err != nil {
			c.fail(ctx, fmt.Errorf("export: %w", err))
			return
		}
		if d, ok := h.keepDocument(ctx, c.lang, &buf, s.name+"-"+spanName(span)+".csv", csvMime, c.t(s.key, nil)); ok {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		c.say("export.unavailable", nil)
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
			rating := export.Cell{}
			if tk.Rating > 0 {
				rating = export.Int(tk.Rating)
			}
			resolved := tk.Resolved
			if tk.Status != shakwa.StatusResolved && tk.Status != shakwa.StatusClosed {
				resolved = time.Time{} // reopened since: not resolved now
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
