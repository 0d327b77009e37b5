package handlers

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
	"github.com/shakwa/shakwa/stats"
)

// words renders what people read: names from the configuration, times,
// durations and ticket data, in a language. The Handler and the Notifier
// share it.
type words struct {
	conf  *atomic.Pointer[config.Config] // the configuration, swapped whole on a reload
	text  *locales.Bundle
	now   func() time.Time
	model stats.Model // the SLA targets and their clocks
}

// cfg is the configuration in force: read it once per use, as a reload
// may swap it meanwhile.
func (h words) cfg() *config.Config { return h.conf.Load() }

// reply builds a Reply to the speaker's chat with choices as buttons.
func (c *conv) reply(text string, rows [][]flows.Choice) bot.Reply {
	return bot.Reply{Channel: c.m.Channel, Chat: c.m.Chat, Text: text, Buttons: c.buttons(rows)}
}

// buttons renders choices in the speaker's language.
func (c *conv) buttons(rows [][]flows.Choice) [][]bot.Button {
	return c.h.renderButtons(c.lang, rows)
}

// renderButtons renders choices in lang.
func (h words) renderButtons(lang string, rows [][]flows.Choice) [][]bot.Button {
	var out [][]bot.Button
	for _, row := range rows {
		var r []bot.Button
		for _, ch := range row {
			var data map[string]any
			if ch.Count != 0 {
				data = map[string]any{"Count": ch.Count}
			}
			b := bot.Button{Label: h.text.Text(lang, ch.Key, data), Data: ch.Data, Nav: ch.Nav}
			if h.text.Has(ch.Key + ".short") {
				b.Short = h.text.Text(lang, ch.Key+".short", data)
			}
			r = append(r, b)
		}
		if len(r) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// prompt renders a flow's Prompt, filling in centre and category names.
func (h *Handler) prompt(c *conv, p flows.Prompt) bot.Reply {
	data := make(map[string]any, len(p.Data))
	for k, v := range p.Data {
		data[k] = v
	}
	if code, ok := data["Centre"].(string); ok {
		data["Centre"] = h.centreName(code, c.lang)
	}
	if code, ok := data["Category"].(string); ok {
		data["Category"] = h.categoryName(code, c.lang)
	}
	if code, ok := data["Question"].(string); ok {
		if q, found := h.question(code); found {
			data["Question"] = q.Text.In(c.lang)
		}
	}
	if via, ok := data["Via"].(string); ok {
		data["Via"] = c.t("visit.via."+via, nil)
	}
	if scores, ok := data["Scores"].(map[string]float64); ok {
		var vs []shakwa.VisitScore
		for _, q := range h.quality().VisitForm {
			if v, found := scores[q.Code]; found {
				vs = append(vs, shakwa.VisitScore{Question: q.Code, Value: v})
			}
		}
		data["Scores"] = strings.Join(h.scoreLines(c.lang, vs), "\n")
	}
	if day, ok := data["Day"].(string); ok {
		data["Day"] = isolate(day)
	}
	if ph, ok := data["Phone"].(string); ok && ph == "" {
		data["Phone"] = c.t("summary.no_phone", nil)
	}
	r := c.reply(c.t(p.Key, data), nil)
	r.Buttons = append(h.menuButtons(c, p), c.buttons(p.Choices)...)
	if p.Contact {
		r.AskContact, r.ContactLabel = true, c.t("button.share_phone", nil)
	}
	if p.Album != "" {
		// One count for an album: its later files edit it (see
		// flows.Prompt.Album).
		r.Ref, r.Edit = refAlbum+p.Album, p.Again
	}
	return r
}

// refAlbum is the Ref prefix of the count of an album's files.
const refAlbum = "album:"

// menuButtons builds the centre or category menu of a prompt.
func (h *Handler) menuButtons(c *conv, p flows.Prompt) [][]bot.Button {
	var rows [][]bot.Button
	switch p.Menu {
	case flows.MenuCentres:
		centres := h.catalogFor(c).Centres // the speaker's to choose from
		from := min(p.Page*flows.PageSize, len(centres))
		to := min(from+flows.PageSize, len(centres))
		for _, code := range centres[from:to] {
			rows = append(rows, []bot.Button{{Label: h.centreName(code, c.lang), Data: flows.PfxCentre + code}})
		}
		var pager []flows.Choice
		if p.Page > 0 {
			pager = append(pager, flows.Choice{Key: "button.prev", Data: flows.PfxPage + strconv.Itoa(p.Page-1)})
		}
		if to < len(centres) {
			pager = append(pager, flows.Choice{Key: "button.next", Data: flows.PfxPage + strconv.Itoa(p.Page+1)})
		}
		rows = append(rows, c.buttons([][]flows.Choice{pager})...)
	case flows.MenuReasons:
		for _, r := range h.cfg().RejectReasons {
			rows = append(rows, []bot.Button{{Label: r.Name.In(c.lang), Data: flows.PfxReason + r.Code}})
		}
	case flows.MenuCategories:
		var row []bot.Button
		for _, ca := range h.cfg().Categories {
			row = append(row, bot.Button{Label: ca.Name.In(c.lang), Data: flows.PfxCategory + ca.Code})
			if len(row) == 2 {
				rows, row = append(rows, row), nil
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	return rows
}

// keyFor is the message key for a reader on channel: key's own words for
// that channel (key + "." + channel) where it has them, such as the web
// chat, which has no "reply to this message".
func (h words) keyFor(key, channel string) string {
	if k := key + "." + channel; h.text.Has(k) {
		return k
	}
	return key
}

func (h words) centreName(code, lang string) string {
	if ce, ok := h.cfg().Centre(code); ok {
		return ce.Name.In(lang)
	}
	return code
}

func (h words) categoryName(code, lang string) string {
	if ca, ok := h.cfg().Category(code); ok {
		return ca.Name.In(lang)
	}
	return code
}

// dueLine says by when t must be claimed (while it is new) or resolved
// (while it is held), and how late it is past that; "" for none.
func (h words) dueLine(lang string, t *shakwa.Ticket) string {
	claim, resolve := h.model.Deadlines(t.Centre, t.Category, slaStart(t))
	key, due := "due.claim", claim
	switch {
	case t.Status == shakwa.StatusNew:
	case working(t.Status):
		key, due = "due.resolve", resolve
	default:
		return ""
	}
	if due.IsZero() {
		return ""
	}
	data := map[string]any{"At": h.localTime(due)}
	switch late := h.now().Sub(due); {
	case late >= time.Minute:
		data["Late"] = h.duration(lang, late)
	case late >= 0:
		data["Passed"] = true
	}
	return h.text.Text(lang, key, data)
}

// closedAt is when t closed, local; "" while it is open.
func (h words) closedAt(t *shakwa.Ticket) string {
	if t.Closed.IsZero() || t.Status.Open() {
		return ""
	}
	return h.localTime(t.Closed)
}

// reasonName is what a reason to reject for is called in lang; "" for
// none.
func (h words) reasonName(code, lang string) string {
	if code == "" {
		return ""
	}
	if r, ok := h.cfg().RejectReason(code); ok {
		return r.Name.In(lang)
	}
	return code
}

// ago renders how long ago t was, in whole minutes, hours or days.
func (h words) ago(lang string, t time.Time) string {
	return h.duration(lang, h.now().Sub(t))
}

// duration renders d in the largest whole unit, with Arabic plural forms.
func (h words) duration(lang string, d time.Duration) string {
	return h.durationIn(lang, d, 48*time.Hour)
}

// workingDuration renders a target counted in working hours: in hours
// however long, since a "day" of working time is not a day.
func (h words) workingDuration(lang string, d time.Duration) string {
	return h.durationIn(lang, d, time.Duration(1<<62))
}

// durationIn renders d in days from days on, else in hours or minutes.
func (h words) durationIn(lang string, d, days time.Duration) string {
	switch {
	case d >= days:
		return h.text.Text(lang, "dur.days", map[string]any{"Count": int(d / (24 * time.Hour))})
	case d >= time.Hour:
		return h.text.Text(lang, "dur.hours", map[string]any{"Count": int(d / time.Hour)})
	}
	return h.text.Text(lang, "dur.minutes", map[string]any{"Count": int(d / time.Minute)})
}

// exactDuration renders a configured length of time in the largest unit
// that holds it whole, so it is never cut: 168h is 7 days, 36h is 36
// hours (not "a day"), 90m is 90 minutes.
func (h words) exactDuration(lang string, d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= day && d%day == 0:
		return h.text.Text(lang, "dur.days", map[string]any{"Count": int(d / day)})
	case d >= time.Hour && d%time.Hour == 0:
		return h.text.Text(lang, "dur.hours", map[string]any{"Count": int(d / time.Hour)})
	}
	return h.text.Text(lang, "dur.minutes", map[string]any{"Count": int((d + time.Minute - 1) / time.Minute)})
}

// localTime renders t in the configured time zone.
func (h words) localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(h.cfg().Location).Format("2006-01-02 15:04")
}

// excerpt shortens text to n characters on a word boundary.
func excerpt(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)[:n]
	if i := strings.LastIndexAny(string(r), " \n"); i > n/2 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// maskPhone keeps the country code (+971) or the local prefix (050) and
// the last two digits of a number as the flows keep it (digits, a leading
// +).
func maskPhone(p string) string {
	if p == "" {
		return ""
	}
	r := []rune(p)
	keep := 3
	if r[0] == '+' {
		keep = 4
	}
	if len(r) <= keep+2 {
		return strings.Repeat("•", len(r))
	}
	return string(r[:keep]) + strings.Repeat("•", len(r)-keep-2) + string(r[len(r)-2:])
}

// statusName renders a ticket's status.
func (h words) statusName(lang string, s shakwa.Status) string {
	return h.text.Text(lang, "status."+string(s), nil)
}

// ticketData is the template data every ticket message can use.
func (h words) ticketData(lang string, t *shakwa.Ticket) map[string]any {
	return map[string]any{
		"Ticket":     t.ID,
		"Centre":     h.centreName(t.Centre, lang),
		"Category":   h.categoryName(t.Category, lang),
		"Status":     h.statusName(lang, t.Status),
		"Text":       t.Text,
		"Excerpt":    excerpt(t.Text, 200),
		"Created":    h.localTime(t.Created),
		"Updated":    h.localTime(t.Updated),
		"Age":        h.ago(lang, t.Created),
		"Holder":     t.Holder.Name,
		"Resolution": t.Resolution,
		"Reason":     h.reasonName(t.Reason, lang),
		"Closed":     h.closedAt(t),
		"Due":        h.dueLine(lang, t),
		"Files":      len(t.Attachments),
		"Count":      len(t.Attachments),
	}
}
