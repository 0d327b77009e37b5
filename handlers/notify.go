package handlers

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
)

// Replier takes the Replies one piece of work makes: the answer to a
// Message being handled, or a job's (a bot.Responder is one).
type Replier interface {
	Reply(r bot.Reply)
}

// Notifier builds the messages the bot sends about tickets to anyone, in
// their own language: a ticket's citizen, its holder, its centre's staff
// group. It needs no Message: a handler uses it while it answers one, a
// job while it runs, and both queue what it writes to their Replier
// together, all or none. It is safe for concurrent use.
type Notifier struct {
	words
	store        Store
	staffChannel string
}

// langOf is the stored choice of the person at a, else their platform
// hint, else the default.
func (n *Notifier) langOf(ctx context.Context, a shakwa.Address, hint string) (string, error) {
	l, err := n.store.Lang(ctx, a)
	if err != nil {
		return "", fmt.Errorf("language: %w", err)
	}
	if l != "" {
		return l, nil
	}
	return locales.Lang(hint), nil
}

// Citizen tells the citizen of t, in their language, the message key
// about t (with extra template data and buttons), on their own channel. A
// reply to it is about t. It returns an error wrapping
// shakwa.ErrNotFound when the store no longer knows how to reach them.
func (n *Notifier) Citizen(ctx context.Context, w Replier, t *shakwa.Ticket, key string, extra map[string]any, rows ...[]flows.Choice) error {
	p, err := n.store.Person(ctx, t.Citizen)
	if err != nil {
		return fmt.Errorf("citizen of %s: %w", t.ID, err)
	}
	lang := p.Lang
	if lang == "" {
		lang = locales.Lang(t.Lang)
	}
	data := n.ticketData(lang, t)
	for k, v := range extra {
		data[k] = v
	}
	w.Reply(bot.Reply{Channel: p.Address.Channel, Chat: p.Address.Chat, Ref: refTicket + t.ID, Lang: lang,
		Text: n.text.Text(lang, n.keyFor(key, p.Address.Channel), data), Buttons: n.renderButtons(lang, rows)})
	return nil
}

// CitizenAddress is where the citizen of t is reached, and in which
// language.
func (n *Notifier) CitizenAddress(ctx context.Context, t *shakwa.Ticket) (to shakwa.Address, lang string, err error) {
	p, err := n.store.Person(ctx, t.Citizen)
	if err != nil {
		return shakwa.Address{}, "", fmt.Errorf("citizen of %s: %w", t.ID, err)
	}
	return p.Address, locales.Lang(p.Lang), nil
}

// Holder tells the staff member holding t, privately and in their
// language, the message key about t; a ticket nobody holds needs nothing.
func (n *Notifier) Holder(ctx context.Context, w Replier, t *shakwa.Ticket, key string, extra map[string]any) error {
	if t.Holder.ID == "" {
		return nil
	}
	return n.Staff(ctx, w, t.Holder.ID, t, key, extra)
}

// Staff tells staff member id (a supervisor, a manager), privately and in
// their language, the message key about t, with buttons.
func (n *Notifier) Staff(ctx context.Context, w Replier, id string, t *shakwa.Ticket, key string, extra map[string]any, rows ...[]flows.Choice) error {
	to := n.staffAddress(id)
	lang, err := n.langOf(ctx, to, "")
	if err != nil {
		return err
	}
	data := n.ticketData(lang, t)
	maps.Copy(data, extra)
	w.Reply(bot.Reply{Channel: to.Channel, Chat: to.Chat, Ref: refTicket + t.ID, Lang: lang,
		Text: n.text.Text(lang, n.keyFor(key, to.Channel), data), Buttons: n.renderButtons(lang, rows)})
	return nil
}

// cardData is a ticket's template data as a staff group sees it: the phone
// masked, the text cut short.
func (n *Notifier) cardData(t *shakwa.Ticket) map[string]any {
	lang := n.groupLang(t.Centre)
	data := n.ticketData(lang, t)
	data["Phone"] = maskPhone(t.Phone)
	if t.Phone == "" {
		data["Phone"] = n.text.Text(lang, "summary.no_phone", nil)
	}
	return data
}

// Card posts a new ticket's card, with its Claim button, to the staff
// group of the ticket's centre.
func (n *Notifier) Card(w Replier, t *shakwa.Ticket) {
	chat, ok := n.groupChat(t.Centre)
	if !ok {
		return
	}
	lang := n.groupLang(t.Centre)
	w.Reply(bot.Reply{Channel: n.staffChannel, Chat: chat, Ref: refCard + t.ID, Lang: lang, Queued: cardVersion(t),
		Text:    n.text.Text(lang, "card.new", n.cardData(t)),
		Buttons: n.claimRow(lang, t.ID)})
}

// claimRow is the Claim button of ticket id, in lang, alone on its row.
func (h words) claimRow(lang, id string) [][]bot.Button {
	return [][]bot.Button{{{Label: h.text.Text(lang, "button.claim", nil), Data: "claim:" + id}}}
}

// EditCard rewrites a ticket's card in its centre's group with message key
// (card.claimed, card.resolved...), and the Claim button when it is new.
func (n *Notifier) EditCard(w Replier, t *shakwa.Ticket, key string, extra map[string]any) {
	chat, ok := n.groupChat(t.Centre)
	if !ok {
		return
	}
	data := n.cardData(t)
	for k, v := range extra {
		data[k] = v
	}
	lang := n.groupLang(t.Centre)
	r := bot.Reply{Channel: n.staffChannel, Chat: chat, Ref: refCard + t.ID, Edit: true, Lang: lang,
		Text: n.text.Text(lang, key, data), Queued: cardVersion(t)}
	if t.Status == shakwa.StatusNew && key == "card.new" {
		r.Buttons = n.claimRow(lang, t.ID)
	}
	w.Reply(r)
}

// cardVersion is what a card's message says of t's state: its last
// change, so that an edit made from an older read of the ticket (an SLA
// run that read it before a claim) never replaces a newer one, whatever
// order they are queued and sent in (see bot.Reply.Queued).
func cardVersion(t *shakwa.Ticket) int64 {
	if t.Updated.IsZero() {
		return 0
	}
	return t.Updated.UnixNano()
}

// Feedback shows feedback and thanks to the centre's staff: good words
// are meant to be read by the people they name.
func (n *Notifier) Feedback(w Replier, f *shakwa.Feedback) {
	chat, ok := n.groupChat(f.Centre)
	if !ok {
		return
	}
	lang := n.groupLang(f.Centre)
	data := map[string]any{"Centre": n.centreName(f.Centre, lang), "Count": f.Stars,
		"Staff": f.Staff, "Text": f.Text}
	w.Reply(bot.Reply{Channel: n.staffChannel, Chat: chat, Lang: lang,
		Text: n.text.Text(lang, "card."+string(f.Kind), data)})
}

// Ticket sends the whole ticket, what the citizen added and its files to a
// staff member's chat, with the actions open to them: claim when it is
// new, close, release, transfer and reject when they hold it.
func (n *Notifier) Ticket(ctx context.Context, w Replier, to shakwa.Address, t *shakwa.Ticket, more ...[]flows.Choice) error {
	lang, err := n.langOf(ctx, to, "")
	if err != nil {
		return err
	}
	data := n.ticketData(lang, t)
	// Masked: the holder is shown the whole number on asking, and each
	// showing is in the history (see revealPhone).
	data["Phone"] = maskPhone(t.Phone)
	if t.Phone == "" {
		data["Phone"] = n.text.Text(lang, "summary.no_phone", nil)
	}
	text := n.text.Text(lang, n.keyFor("ticket.full", to.Channel), data)
	extra, err := n.additions(ctx, t.ID)
	if err != nil {
		return err
	}
	if extra != "" {
		text += "\n\n" + n.text.Text(lang, "ticket.additions", nil) + "\n" + extra
	}
	var rows [][]flows.Choice
	switch {
	case t.Status == shakwa.StatusNew:
		rows = [][]flows.Choice{{{Key: "button.claim", Data: "claim:" + t.ID}}}
	case working(t.Status) && n.staffAddress(t.Holder.ID) == to:
		rows = [][]flows.Choice{
			{{Key: "button.close", Data: "close:" + t.ID}},
			{{Key: "button.release", Data: "release:" + t.ID}, {Key: "button.transfer", Data: "transfer:" + t.ID}},
			{{Key: "button.reject", Data: "reject:" + t.ID}},
		}
		if t.Phone != "" {
			rows = append(rows, []flows.Choice{{Key: "button.reveal_phone", Data: "phone:" + t.ID}})
		}
	}
	rows = append(rows, more...)
	w.Reply(bot.Reply{Channel: to.Channel, Chat: to.Chat, Ref: refTicket + t.ID, Text: text, Lang: lang,
		Buttons: n.renderButtons(lang, rows)})
	n.Files(w, t.Channel, to, t.ID, t.Attachments, lang)
	return nil
}

// Files sends a ticket's files to a chat, one message each, so that each
// can be retried on its own; a reply to any of them is about the ticket.
// A file from another channel crosses through the file store (the outbox
// readies it). Files recorded before they knew their channel (From empty)
// came from from, and go only to chats there.
func (n *Notifier) Files(w Replier, from string, to shakwa.Address, id string, files []shakwa.Attachment, lang string) {
	// Each file says which ticket it belongs to: a staff member with
	// several open sees a photo among messages about all of them.
	caption := n.text.Text(lang, "file.caption", map[string]any{"Ticket": id})
	for _, f := range files {
		if f.From == "" {
			if from != to.Channel {
				continue
			}
			f.From = from
		}
		w.Reply(bot.Reply{Channel: to.Channel, Chat: to.Chat, Ref: refTicket + id, Text: caption, Lang: lang,
			Attachments: []shakwa.Attachment{f}})
	}
}

// additions lists what the citizen added to the ticket, oldest first.
func (n *Notifier) additions(ctx context.Context, id string) (string, error) {
	evs, err := n.store.Events(ctx, id)
	if err != nil {
		return "", fmt.Errorf("additions to %s: %w", id, err)
	}
	var lines []string
	for _, e := range evs {
		if e.Kind == "info" || e.Kind == "amended" {
			lines = append(lines, "• "+excerpt(e.Text, 500))
		}
	}
	return strings.Join(lines, "\n"), nil
}

// staffAddress is where a staff member is reached privately.
func (n *Notifier) staffAddress(id string) shakwa.Address {
	return shakwa.Address{Channel: n.staffChannel, Chat: id}
}

// groupChat is the staff group of centre, as a chat id.
func (n *Notifier) groupChat(centre string) (string, bool) {
	ce, ok := n.cfg().Centre(centre)
	if !ok || ce.StaffChat == 0 {
		return "", false
	}
	return fmt.Sprint(ce.StaffChat), true
}

// closeAfter is how long a resolved ticket waits for its rating.
func (n *Notifier) closeAfter() time.Duration { return time.Duration(n.cfg().CloseAfter) }
