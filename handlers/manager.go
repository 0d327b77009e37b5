package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/export"
	"github.com/shakwa/shakwa/stats"
)

// ReportStore is what the figures are read from: the tallies storage keeps
// per centre and day (see stats.Model), and the centres' open tickets.
type ReportStore interface {
	AddFeedback(ctx context.Context, f *shakwa.Feedback, from shakwa.Address) error
	ReadTallies(ctx context.Context, keys []shakwa.TallyKey) ([]map[string]string, error)
	Backlog(ctx context.Context, centres []string, before []time.Time) (open []int64, older [][]int64, err error)
	// EachTicketCreated calls fn with the tickets created in [from, to),
	// a batch at a time.
	EachTicketCreated(ctx context.Context, from, to time.Time, fn func([]*shakwa.Ticket) error) error
}

// FileKeeper keeps the bytes of a document the bot sends (a report's full
// table), for the outbox to upload.
type FileKeeper interface {
	Put(ctx context.Context, r io.Reader, mime string) (id string, size int64, err error)
}

// backlogAges are the ages the backlog is told by: open for more than a
// day, three days, a week. oldAge is the one summaries mention.
var backlogAges = []time.Duration{7 * 24 * time.Hour, 3 * 24 * time.Hour, 24 * time.Hour}

const oldAge = 1 // index in backlogAges: three days

// centreFigures is one centre's figures over a span, with its backlog now.
type centreFigures struct {
	Code string
	stats.Figures
	Open  int64
	Older [3]int64 // open for more than backlogAges[i]
	// Channels and Categories count the tickets received on each channel
	// and in each category, when read (see breakdowns).
	Channels, Categories map[string]int64
	// Quality is what the quality programme measured, when read (see
	// withQuality), and Waiting the visits of the span not released yet.
	Quality stats.Quality
	Waiting []string
}

// scope lists the centres whose figures p may read, in display order: a
// manager's (every centre when they list none), a supervisor's own.
func (h words) scope(p *config.Person) []string {
	if p == nil || p.Role != shakwa.RoleManager && p.Role != shakwa.RoleSupervisor {
		return nil
	}
	return h.servedBy(*p)
}

// servedBy are the codes of the centres p works for, in display order.
func (h words) servedBy(p config.Person) []string {
	var out []string
	for _, ce := range h.cfg().Centres {
		if p.Serves(ce.Code) {
			out = append(out, ce.Code)
		}
	}
	return out
}

// figures reads the span's figures of centres, and their backlog now: one
// round trip for the tallies, one for the backlog, side by side.
func (h *Handler) figures(ctx context.Context, span stats.Span, centres []string) ([]centreFigures, error) {
	return h.readFigures(ctx, span, centres, true, nil)
}

// scoreFigures is the figures a ranking needs (stats.ScoreFields), and no
// more: no backlog, and none of the other fields.
func (h *Handler) scoreFigures(ctx context.Context, span stats.Span, centres []string) ([]centreFigures, error) {
	return h.readFigures(ctx, span, centres, false, stats.ScoreFields())
}

func (h *Handler) readFigures(ctx context.Context, span stats.Span, centres []string, backlog bool, fields []string) ([]centreFigures, error) {
	now := h.now()
	before := make([]time.Time, len(backlogAges))
	for i, a := range backlogAges {
		before[i] = now.Add(-a)
	}
	open, older := make([]int64, len(centres)), make([][]int64, len(centres))
	var backlogErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if backlog {
			open, older, backlogErr = h.store.Backlog(ctx, centres, before)
		}
	}()
	sums, err := h.sums(ctx, span, false, centres, fields)
	<-done
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	if backlogErr != nil {
		return nil, fmt.Errorf("figures: %w", backlogErr)
	}
	out := make([]centreFigures, len(centres))
	for i, c := range centres {
		out[i] = centreFigures{Code: c, Figures: stats.FiguresOf(sums[i], ""), Open: open[i]}
		copy(out[i].Older[:], older[i])
	}
	return out, nil
}

// readParts is how many pipelines a large read of tallies is split into,
// read and added up side by side: the replies of many centres take longer
// to parse than Redis takes to send them.
const readParts = 4

// sums reads each centre's tallies over span, added up (the breakdowns
// when dims; only fields, when some are named): one round trip, in
// readParts pipelines at once when there are many centres.
func (h *Handler) sums(ctx context.Context, span stats.Span, dims bool, centres []string, fields []string) ([]stats.Sum, error) {
	reads := h.model.Reads(span, dims)
	for i := range reads {
		if len(fields) > 0 && !reads[i].SLAOnly {
			reads[i].Fields = reads[i].Need(fields)
		}
	}
	out := make([]stats.Sum, len(centres))
	part := max(1, (len(centres)+readParts-1)/readParts)
	if len(centres) < 2*readParts {
		part = len(centres)
	}
	var wg sync.WaitGroup
	errs := make([]error, readParts+1)
	for n, from := 0, 0; from < len(centres); n, from = n+1, from+part {
		to := min(from+part, len(centres))
		wg.Go(func() {
			errs[n] = func() error {
				keys := make([]shakwa.TallyKey, 0, len(reads)*(to-from))
				for _, c := range centres[from:to] {
					for _, r := range reads {
						keys = append(keys, shakwa.TallyKey{Centre: c, Key: r.Key, Fields: r.Fields})
					}
				}
				got, err := h.store.ReadTallies(ctx, keys)
				if err != nil {
					return err
				}
				for i := range to - from {
					if out[from+i], err = stats.SumOf(reads, got[i*len(reads):(i+1)*len(reads)]); err != nil {
						return fmt.Errorf("tallies of %s: %w", centres[from+i], err)
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// quiet reports whether nothing at all happened at the centre in the
// span, and nothing waits there.
func (f centreFigures) quiet() bool {
	_, rated := f.Rating()
	return f.Received == 0 && f.Claimed == 0 && f.Resolved == 0 && f.Rejected == 0 && f.Withdrawn == 0 &&
		f.Open == 0 && rated == 0 && f.Thanks == 0 && f.Feedback == 0 && f.ClaimSLA.Due == 0 && f.ResolveSLA.Due == 0
}

// total adds up centres' figures: counts add, durations merge.
func total(cs []centreFigures) centreFigures {
	t := centreFigures{}
	for _, c := range cs {
		t.Figures.Add(c.Figures)
		t.Channels = addCounts(t.Channels, c.Channels)
		t.Categories = addCounts(t.Categories, c.Categories)
		t.Open += c.Open
		for i := range t.Older {
			t.Older[i] += c.Older[i]
		}
	}
	return t
}

func addCounts(to, from map[string]int64) map[string]int64 {
	for k, n := range from {
		if to == nil {
			to = map[string]int64{}
		}
		to[k] += n
	}
	return to
}

// breakdowns reads, for centres shown in full, the tickets received by
// channel and by category: one more round trip.
func (h *Handler) breakdowns(ctx context.Context, span stats.Span, cs []centreFigures) error {
	codes := make([]string, len(cs))
	for i, c := range cs {
		codes[i] = c.Code
	}
	sums, err := h.sums(ctx, span, true, codes, nil)
	if err != nil {
		return fmt.Errorf("breakdowns: %w", err)
	}
	for i := range cs {
		sum := sums[i]
		cs[i].Channels, cs[i].Categories = map[string]int64{}, map[string]int64{}
		for _, ch := range stats.Channels {
			if n := stats.FiguresOf(sum, "h:"+ch+"|").Received; n > 0 {
				cs[i].Channels[ch] = n
			}
		}
		for _, ca := range h.cfg().Categories {
			if n := stats.FiguresOf(sum, "c:"+ca.Code+"|").Received; n > 0 {
				cs[i].Categories[ca.Code] = n
			}
		}
	}
	return nil
}

// statsArgs reads "/stats [period] [centre]": the centre is any word that
// is one of the centre codes (any case); the rest is the period.
func (h *Handler) statsArgs(args string, now time.Time) (stats.Span, string, error) {
	var rest []string
	centre := ""
	for _, w := range strings.Fields(args) {
		if _, ok := h.cfg().Centre(strings.ToUpper(w)); ok && centre == "" {
			centre = strings.ToUpper(w)
			continue
		}
		rest = append(rest, w)
	}
	span, err := h.cal.Parse(strings.Join(rest, " "), now)
	return span, centre, err
}

// readerArgs reads "[period] [centre]" for a command of managers and
// supervisors, and the centres it covers; when it cannot be answered it
// says why (not theirs to read, the usage under usage) and ok is false.
func (h *Handler) readerArgs(c *conv, args, usage string) (span stats.Span, centres []string, ok bool) {
	centres = h.scope(c.person)
	if len(centres) == 0 {
		c.say("stats.forbidden", nil)
		return span, nil, false
	}
	span, centre, err := h.statsArgs(args, h.now())
	if err != nil {
		c.say(usage, nil)
		return span, nil, false
	}
	centres, ok = within(c, centres, centre)
	return span, centres, ok
}

// within narrows centres to centre, when one is named; when it is not one
// of them the speaker is told so and ok is false.
func within(c *conv, centres []string, centre string) ([]string, bool) {
	if centre == "" {
		return centres, true
	}
	if !slices.Contains(centres, centre) {
		c.say("stats.not_yours", map[string]any{"Centre": centre})
		return nil, false
	}
	return []string{centre}, true
}

// stats answers /stats [period] [centre] for managers and supervisors:
// the total, and the centres that need attention, in one message; the
// whole table as a document when there are more centres than a phone
// screen holds.
func (h *Handler) stats(ctx context.Context, c *conv, args string) {
	span, centres, ok := h.readerArgs(c, args, "stats.usage")
	if !ok {
		return
	}
	cs, err := h.figures(ctx, span, centres)
	if err == nil && len(cs) <= inlineCentres {
		err = h.breakdowns(ctx, span, cs)
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	rs := h.statsReplies(ctx, c.lang, span, cs)
	// Another period is one press away, of the same centre when one was
	// asked for.
	of := ""
	if len(centres) == 1 && len(h.scope(c.person)) > 1 {
		of = " " + centres[0]
	}
	var row []bot.Button
	for _, p := range []string{"today", "week", "month"} {
		row = append(row, bot.Button{Label: c.t("stats.button."+p, nil), Data: "stats:" + p + of})
	}
	rs[0].Buttons = [][]bot.Button{row}
	for _, r := range rs {
		r.Channel, r.Chat = c.m.Channel, c.m.Chat
		c.Reply(r)
	}
}

// inlineCentres is how many centres a summary shows in full; beyond, it
// shows those that need attention, and the table goes as a document.
const inlineCentres = 3

// statsReplies renders the figures: a summary and, for many centres, the
// table as a document.
func (h *Handler) statsReplies(ctx context.Context, lang string, span stats.Span, cs []centreFigures) []bot.Reply {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	parts := []string{h.spanTitle(lang, iconStats, span, len(cs))}
	if len(cs) <= inlineCentres {
		for _, f := range cs {
			parts = append(parts, h.figuresBlock(lang, isolate(h.centreName(f.Code, lang)), f))
		}
		if len(cs) > 1 {
			parts = append(parts, h.figuresBlock(lang, t("stats.total", nil), total(cs)))
		}
		return []bot.Reply{{Text: strings.Join(parts, "\n\n"), Lang: lang}}
	}
	all := total(cs)
	parts = append(parts, h.figuresBlock(lang, t("stats.total", nil), all))
	parts = append(parts, h.attention(lang, cs))
	out := []bot.Reply{{Text: strings.Join(parts, "\n\n"), Lang: lang}}
	if doc, ok := h.statsTable(ctx, lang, span, cs, all); ok {
		out = append(out, doc)
	}
	return out
}

// figuresBlock is one centre's (or the total's) figures, a few lines.
func (h words) figuresBlock(lang, name string, f centreFigures) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	if f.quiet() {
		return t("stats.quiet", map[string]any{"Name": name}) // not a wall of dashes
	}
	median := func(d stats.Durations) string {
		if v, ok := d.Percentile(50); ok {
			return h.shortDuration(lang, v)
		}
		return t("stats.none", nil)
	}
	old := ""
	if f.Older[oldAge] > 0 {
		old = t("stats.old", map[string]any{"Count": f.Older[oldAge]})
	}
	rating := t("stats.no_ratings", nil)
	if avg, n := shownRating(f.Figures); n > 0 {
		rating = t("stats.rating", map[string]any{"Count": n, "Avg": ratingText(avg),
			"Response": h.percent(lang, f.RatingResponse())})
	}
	return t("stats.block", map[string]any{
		"Name": name, "Received": f.Received, "Resolved": f.Resolved, "Rejected": f.Rejected, "Withdrawn": f.Withdrawn, "Open": f.Open, "Old": old,
		"ClaimMedian": median(f.ClaimTime), "ClaimSLA": h.percent(lang, f.ClaimSLA), "ReplyMedian": median(f.ReplyTime),
		"Breakdown":     h.breakdownLines(lang, f),
		"ResolveMedian": median(f.ResolveTime), "ResolveSLA": h.percent(lang, f.ResolveSLA),
		"Rating": rating, "Thanks": f.Thanks,
	})
}

// breakdownLines are the tickets received by channel and by category,
// most first, when they were read ("" otherwise).
func (h words) breakdownLines(lang string, f centreFigures) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	line := func(counts map[string]int64, name func(string) string) string {
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if counts[a] != counts[b] {
				return int(counts[b] - counts[a])
			}
			return strings.Compare(a, b)
		})
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = t("stats.count_of", map[string]any{"Name": name(k), "N": counts[k]})
		}
		return strings.Join(parts, " · ")
	}
	var out string
	if len(f.Channels) > 0 {
		out += "\n" + t("stats.by_channel", map[string]any{"List": line(f.Channels, func(k string) string { return t("report.channel."+k, nil) })})
	}
	if len(f.Categories) > 0 {
		out += "\n" + t("stats.by_category", map[string]any{"List": line(f.Categories, func(k string) string { return h.categoryName(k, lang) })})
	}
	return out
}

// attentionLimit is how many centres a summary names as needing attention.
const attentionLimit = 5

// attention names the centres that most need a manager's look: SLA
// shares under 90 %, tickets open for more than three days, ratings
// under 3.5 (of at least five). Worst first.
func (h words) attention(lang string, cs []centreFigures) string {
	t := func(key string, data map[string]any) string { return h.text.Text(lang, key, data) }
	// A reason is kept as its figures and put in words only for the
	// centres shown: with hundreds of centres, rendering every reason was
	// a tenth of /stats.
	type reason struct {
		key   string
		share stats.Share
		n     int64
		avg   int64 // in hundredths, as shown
	}
	type flagged struct {
		code  string
		why   []reason
		worst float64
	}
	// A centre is judged on the figures it is shown with, rounded as
	// they are shown (a share to a tenth of a percent, an average to two
	// decimals), so that a reason never contradicts its own figure or the
	// centre's block: 1799 claims of 2000 in time (89.95 %) show as 90 %
	// and are not "under 90 %"; a 3.497 average shows as 3.50 and is not
	// "under 3.5". The order, worst first, uses the exact figures.
	under90 := func(s stats.Share) bool {
		tenths, ok := shownTenths(s)
		return ok && tenths < 900
	}
	var fs []flagged
	for _, f := range cs {
		fl := flagged{code: f.Code, worst: 100}
		if p, ok := f.ClaimSLA.Percent(); ok && under90(f.ClaimSLA) {
			fl.why = append(fl.why, reason{key: "why.claim_sla", share: f.ClaimSLA})
			fl.worst = min(fl.worst, p)
		}
		if p, ok := f.ResolveSLA.Percent(); ok && under90(f.ResolveSLA) {
			fl.why = append(fl.why, reason{key: "why.resolve_sla", share: f.ResolveSLA})
			fl.worst = min(fl.worst, p)
		}
		if f.Older[oldAge] > 0 {
			fl.why = append(fl.why, reason{key: "why.old", n: f.Older[oldAge]})
			fl.worst = min(fl.worst, 100-float64(f.Older[oldAge]))
		}
		if hundredths, n := shownRating(f.Figures); n >= 5 && hundredths < 350 {
			avg, _ := f.Rating()
			fl.why = append(fl.why, reason{key: "why.rating", avg: hundredths})
			fl.worst = min(fl.worst, avg*20)
		}
		if len(fl.why) > 0 {
			fs = append(fs, fl)
		}
	}
	if len(fs) == 0 {
		return t("stats.all_good", nil)
	}
	slices.SortStableFunc(fs, func(a, b flagged) int {
		if len(a.why) != len(b.why) {
			return len(b.why) - len(a.why)
		}
		switch {
		case a.worst < b.worst:
			return -1
		case a.worst > b.worst:
			return 1
		}
		return 0
	})
	words := func(r reason) string {
		switch r.key {
		case "why.old":
			return t(r.key, map[string]any{"Count": r.n})
		case "why.rating":
			return t(r.key, map[string]any{"Avg": ratingText(r.avg)})
		}
		return t(r.key, map[string]any{"P": h.percent(lang, r.share)})
	}
	lines := []string{t("stats.attention", map[string]any{"Count": len(fs)})}
	for _, f := range fs[:min(len(fs), attentionLimit)] {
		why := make([]string, len(f.why))
		for i, r := range f.why {
			why[i] = words(r)
		}
		lines = append(lines, t("stats.attention_line", map[string]any{
			"Name": isolate(h.centreName(f.code, lang)), "Why": strings.Join(why, t("stats.separator", nil))}))
	}
	return strings.Join(lines, "\n")
}

// statsTable is every centre's figures as a spreadsheet, sent as a
// document; ok is false when there is no file store to send it from.
func (h *Handler) statsTable(ctx context.Context, lang string, span stats.Span, cs []centreFigures, all centreFigures) (bot.Reply, bool) {
	var buf bytes.Buffer
	if err := export.WriteXLSX(&buf, h.centresSheet(lang, cs, all)); err != nil {
		h.log.ErrorContext(ctx, "stats table", "err", err)
		return bot.Reply{}, false
	}
	return h.document(ctx, lang, &buf, "shakwa", span, h.text.Text(lang, "stats.table_caption", nil))
}

// centresSheet is every centre's figures, and their total (all), one row
// each.
func (h *Handler) centresSheet(lang string, cs []centreFigures, all centreFigures) export.Sheet {
	t := func(key string) string { return h.text.Text(lang, key, nil) }
	row := func(name string, f centreFigures) []export.Cell {
		rating, n := ratingCell(f.Figures)
		return []export.Cell{export.Text(name), export.Int(int(f.Received)), export.Int(int(f.Claimed)),
			export.Int(int(f.Resolved)), export.Int(int(f.Rejected)), export.Int(int(f.Withdrawn)), export.Int(int(f.Open)), export.Int(int(f.Older[oldAge])),
			hoursCell(f.ClaimTime, 50), hoursCell(f.ClaimTime, 90), percentCell(f.ClaimSLA), hoursCell(f.ReplyTime, 50),
			hoursCell(f.ResolveTime, 50), hoursCell(f.ResolveTime, 90), percentCell(f.ResolveSLA),
			rating, export.Int(int(n)), percentCell(f.RatingResponse()),
			export.Int(int(f.Reopened)), export.Int(int(f.Transferred)), export.Int(int(f.Thanks))}
	}
	sheet := export.Sheet{Name: t("stats.sheet"), RTL: lang == "ar", Location: h.cfg().Location}
	for _, k := range []string{"centre", "received", "claimed", "resolved", "rejected", "withdrawn", "open", "old", "claim_median", "claim_p90",
		"claim_sla", "reply_median", "resolve_median", "resolve_p90", "resolve_sla", "rating", "ratings", "response", "reopened",
		"transferred", "thanks"} {
		sheet.Header = append(sheet.Header, t("stats.col."+k))
	}
	for _, f := range cs {
		sheet.Rows = append(sheet.Rows, row(h.centreName(f.Code, lang), f))
	}
	sheet.Rows = append(sheet.Rows, row(t("stats.total"), all))
	return sheet
}

// hoursCell is the p-th percentile of d in hours, a spreadsheet's cell;
// empty when there is none.
func hoursCell(d stats.Durations, p float64) export.Cell {
	if v, ok := d.Percentile(p); ok {
		return export.Hours(v)
	}
	return export.Cell{}
}

// ratingCell is the average rating of f as shown, a spreadsheet's cell
// (empty when there are no ratings), and how many ratings it is of.
func ratingCell(f stats.Figures) (export.Cell, int64) {
	avg, n := shownRating(f)
	if n == 0 {
		return export.Cell{}, 0
	}
	return export.Number(ratingNumber(avg)), n
}

// xlsxMime is the media type of a spreadsheet.
const xlsxMime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// csvMime is the media type of a CSV file.
const csvMime = "text/csv"

// document keeps a spreadsheet the bot made and returns the reply that
// sends it, named for what it is and its span: "staff-20261101-20261130.xlsx".
// ok is false when there is no file store or it fails (logged).
func (h *Handler) document(ctx context.Context, lang string, r io.Reader, name string, span stats.Span, caption string) (bot.Reply, bool) {
	return h.keepDocument(ctx, lang, r, name+"-"+spanName(span)+".xlsx", xlsxMime, caption)
}

// spanName is a span in a file name: 20261101-20261130; a span still
// under way ends today (20261101-20261122), as its title does.
func spanName(span stats.Span) string {
	return span.From.Format("20060102") + "-" + lastDay(span).Format("20060102")
}

// keepDocument keeps a file the bot made under name and returns the reply
// that sends it as a document.
func (h *Handler) keepDocument(ctx context.Context, lang string, r io.Reader, name, mime, caption string) (bot.Reply, bool) {
	if h.files == nil {
		return bot.Reply{}, false
	}
	id, size, err := h.files.Put(ctx, r, mime)
	if err != nil {
		h.log.ErrorContext(ctx, "keep document", "err", err)
		return bot.Reply{}, false
	}
	// An export names citizens (and, for some, their phones): its bytes go
	// once it has had time to be sent.
	if err := h.store.ScheduleJob(ctx, JobDropDocument, id, h.now().Add(documentKeep)); err != nil {
		h.log.ErrorContext(ctx, "keep document", "err", err)
		return bot.Reply{}, false
	}
	return bot.Reply{Text: caption, Lang: lang, Attachments: []shakwa.Attachment{{
		Kind: "document", ID: id, From: fileOrigin, File: id, Name: name, Mime: mime, Size: size}}}, true
}

// documentKeep is how long a document the bot made stays in the file
// store: as long as the outbox remembers a message it queued.
const documentKeep = 48 * time.Hour

// dropDocument is JobDropDocument: the bytes of document id go.
func (h *Handler) dropDocument(id string) error {
	if r, ok := h.files.(FileRemover); ok {
		return r.Remove(id)
	}
	return nil
}

// fileOrigin is the channel a document the bot made comes from: none, so
// every channel uploads it from the file store.
const fileOrigin = "shakwa"
