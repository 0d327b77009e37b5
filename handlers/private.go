package handlers

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
)

// sessionTTL is how long a session is kept: past the idle limit, so that a
// person returning the same day is told their conversation expired, but
// not much longer: it holds what they typed.
const sessionTTL = 24 * time.Hour

// Button data of the main menu and of ticket actions. Ticket actions are
// "verb:ID" (and "rate:ID:N").
const (
	menuComplaint = "menu:complaint"
	menuFeedback  = "menu:feedback"
	menuThanks    = "menu:thanks"
	menuFollow    = "menu:follow"
	menuLang      = "menu:lang"
	menuHome      = "menu:home"
)

// private answers a private chat.
func (h *Handler) private(c *conv) {
	text := strings.TrimSpace(c.m.Text)
	if strings.HasPrefix(text, "/") {
		h.command(c, text)
		return
	}
	if h.replay(c) {
		return
	}
	if c.m.Button != "" && h.button(c) {
		return
	}
	if c.m.ReplyTo != "" && h.replyTo(c) {
		return
	}
	s, ok := h.loadSession(c)
	if ok && s.Active() {
		h.step(c, s)
		return
	}
	if c.m.Button != "" {
		c.notice = c.t("error.stale_button", nil)
		h.menu(c, "")
		return
	}
	if h.followTyped(c, text) || h.relay(c) {
		return
	}
	h.menu(c, "menu.hint")
}

// command runs a slash command: /start, /cancel, /help and the staff and
// manager commands.
func (h *Handler) command(c *conv, text string) {
	name, args, _ := strings.Cut(text, " ")
	args = strings.TrimSpace(args)
	switch strings.ToLower(name) {
	case "/start", "/menu":
		h.endSession(c)
		h.menu(c, "menu.greeting")
	case "/cancel":
		h.endSession(c)
		h.menu(c, "flow.cancelled")
	case "/lang", "/language":
		h.askLang(c)
	case "/queue":
		h.queue(c)
	case "/mine":
		h.mine(c)
	case "/reply":
		h.replyCommand(c, args)
	case "/note":
		h.noteCommand(c, args)
	case "/stats":
		h.stats(c, args)
	default:
		h.help(c)
	}
}

// help lists the commands this person may use.
func (h *Handler) help(c *conv) {
	key := "help.citizen"
	if c.person != nil {
		key = "help." + string(c.person.Role)
	}
	c.say(key, nil)
}

// menu shows the main menu, after the message key (if any).
func (h *Handler) menu(c *conv, key string) {
	text := c.t("menu.title", nil)
	if key != "" {
		text = c.t(key, map[string]any{"Name": c.m.From.Name}) + "\n\n" + text
	}
	c.send(c.reply(text, [][]flows.Choice{
		{{Key: "menu.complaint", Data: menuComplaint}},
		{{Key: "menu.feedback", Data: menuFeedback}},
		{{Key: "menu.thanks", Data: menuThanks}},
		{{Key: "menu.follow", Data: menuFollow}},
		{{Key: "menu.language", Data: menuLang}},
	}))
}

func (h *Handler) askLang(c *conv) {
	c.send(c.reply(c.t("lang.ask", nil), [][]flows.Choice{{
		{Key: "lang.ar", Data: "lang:ar"}, {Key: "lang.en", Data: "lang:en"},
	}}))
}

// loadSession reads the speaker's session; a broken one is dropped.
func (h *Handler) loadSession(c *conv) (flows.Session, bool) {
	data, err := h.store.Session(c.ctx, c.who.String())
	if err != nil {
		c.fail(fmt.Errorf("load session: %w", err))
		return flows.Session{}, false
	}
	var s flows.Session
	if len(data) == 0 || json.Unmarshal(data, &s) != nil {
		return flows.Session{}, true
	}
	return s, true
}

func (h *Handler) saveSession(c *conv, s flows.Session) {
	if !s.Active() {
		h.endSession(c)
		return
	}
	data, err := json.Marshal(s)
	if err == nil {
		err = h.store.SaveSession(c.ctx, c.who.String(), data, sessionTTL)
	}
	if err != nil {
		c.fail(fmt.Errorf("save session: %w", err))
	}
}

func (h *Handler) endSession(c *conv) {
	if err := h.store.DeleteSession(c.ctx, c.who.String()); err != nil {
		c.fail(fmt.Errorf("end session: %w", err))
	}
}

// startFlow begins a flow and shows its first question.
func (h *Handler) startFlow(c *conv, name, ticket string) {
	res, err := flows.Start(name, ticket, h.now(), h.catalog())
	if err != nil {
		c.fail(err)
		return
	}
	h.apply(c, res)
}

// step feeds the Message to the running flow.
func (h *Handler) step(c *conv, s flows.Session) {
	h.apply(c, flows.Step(s, h.input(c), h.now(), h.catalog()))
}

// apply stores a flow's Result and shows its prompts. A completed flow's
// session ends only once its submission is stored: if storing fails, the
// person can press confirm again.
func (h *Handler) apply(c *conv, res flows.Result) {
	switch {
	case res.Expired:
		h.endSession(c)
		h.menu(c, "flow.expired")
		return
	case res.Cancelled:
		h.endSession(c)
		h.menu(c, "flow.cancelled")
		return
	}
	for _, p := range res.Prompts {
		c.send(h.prompt(c, p))
	}
	if res.Submit != nil {
		if h.submit(c, res.Submit); c.failed != nil {
			return
		}
	}
	h.saveSession(c, res.Session)
}

// input reduces the Message to what flows take: typed command words become
// buttons, digits become ASCII.
func (h *Handler) input(c *conv) flows.Input {
	m := c.m
	text := strings.TrimSpace(m.Text)
	in := flows.Input{Button: m.Button, Phone: m.Phone, Other: m.Unsupported,
		Text: text, Digits: locales.Digits(text)}
	for _, a := range m.Attachments {
		in.Files = append(in.Files, flows.File{Kind: a.Kind, ID: a.ID, Name: a.Name})
	}
	if in.Button == "" && len(in.Files) == 0 {
		for _, w := range []string{flows.BtnCancel, flows.BtnBack, flows.BtnSkip, flows.BtnConfirm} {
			if h.text.Is("words."+w, in.Text) {
				in.Button, in.Text, in.Digits = w, "", ""
				break
			}
		}
	}
	return in
}

func (h *Handler) catalog() flows.Catalog {
	c := flows.Catalog{Idle: time.Duration(h.cfg.Session.Idle)}
	for _, ce := range h.cfg.Centres {
		c.Centres = append(c.Centres, ce.Code)
	}
	for _, ca := range h.cfg.Categories {
		c.Categories = append(c.Categories, ca.Code)
	}
	return c
}
