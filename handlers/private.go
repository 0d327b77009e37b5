package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
)

// sessionTTL is how long a session is kept: past the idle limit, so that a
// person returning the same day is told their conversation expired, but
// not much longer: it holds what they typed. A held session is kept as
// long past its hold (see flows.Session.Held).
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
func (h *Handler) private(ctx context.Context, c *conv) {
	text := strings.TrimSpace(c.m.Text)
	if strings.HasPrefix(text, "/") {
		h.command(ctx, c, text)
		return
	}
	if h.replay(ctx, c) {
		return
	}
	if c.m.Button == "" && c.says("words.forget") {
		h.askForget(ctx, c) // whatever they were doing: asked, not filed
		return
	}
	if c.m.Button != "" && h.button(ctx, c) {
		return
	}
	// A press names the message its button is on: that is no reply.
	if c.m.Button == "" && c.m.ReplyTo != "" && h.replyTo(ctx, c) {
		return
	}
	s, ok := h.loadSession(ctx, c)
	if !ok {
		return
	}
	if s.Active() && (c.m.Button != "" || !h.parked(s)) {
		h.step(ctx, c, s)
		return
	}
	if c.m.Button != "" {
		c.notice = c.t("error.stale_button", nil)
		h.menu(c, "")
		return
	}
	if c.person != nil && c.person.Role == shakwa.RoleEvaluator {
		h.help(c) // an evaluator has visits to file, not requests to follow
		return
	}
	if h.typedRating(ctx, c, text) || h.followTyped(ctx, c, text) || h.staffAnswer(ctx, c) || h.relay(ctx, c) {
		return
	}
	if c.says("words.hello") {
		h.menu(c, "menu.greeting") // «مرحبا»: the first words on WhatsApp
		return
	}
	h.menu(c, "menu.hint")
}

// command runs a slash command: /start, /cancel, /help and the staff and
// manager commands.
func (h *Handler) command(ctx context.Context, c *conv, text string) {
	name, args, _ := strings.Cut(text, " ")
	args = strings.TrimSpace(args)
	switch strings.ToLower(name) {
	case "/start", "/menu":
		if h.endSession(ctx, c) {
			h.menu(c, "menu.greeting")
		}
	case "/cancel":
		if h.endSession(ctx, c) {
			h.menu(c, "flow.cancelled")
		}
	case "/lang", "/language":
		h.askLang(c)
	case "/queue":
		h.queue(ctx, c)
	case "/mine":
		h.mine(ctx, c)
	case "/reply":
		h.replyCommand(ctx, c, args)
	case "/note":
		h.noteCommand(ctx, c, args)
	case "/reject":
		h.rejectCommand(ctx, c, args)
	case "/reassign":
		h.reassignCommand(ctx, c, args)
	case "/overdue":
		h.overdueCommand(ctx, c)
	case "/undelivered":
		h.undeliveredCommand(ctx, c)
	case "/stats":
		h.stats(ctx, c, args)
	case "/ranking":
		h.ranking(ctx, c, args)
	case "/staff":
		h.staffCommand(ctx, c, args)
	case "/report":
		h.reportCommand(ctx, c, args)
	case "/export":
		h.exportCommand(ctx, c, args)
	case "/history":
		h.historyCommand(ctx, c, args)
	case "/forget":
		h.askForget(ctx, c)
	case "/invite":
		h.inviteCommand(ctx, c, args)
	case "/join":
		h.joinCommand(ctx, c, args)
	case "/revoke":
		h.revokeCommand(ctx, c, args)
	case "/assessment", "/assess":
		h.assessmentCommand(ctx, c, args)
	case "/visit":
		h.visitCommand(ctx, c)
	case "/visits":
		h.visitsCommand(ctx, c, args)
	case "/release":
		h.releaseCommand(ctx, c, args)
	case "/discard":
		h.discardCommand(ctx, c, args)
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
	c.say(key, map[string]any{"ReplyHint": c.t("help.reply_hint", nil)})
}

// menu shows the main menu, after the message key (if any).
func (h *Handler) menu(c *conv, key string) {
	text := c.t("menu.title", nil)
	if key != "" {
		text = c.t(key, map[string]any{"Name": c.m.From.Name}) + "\n\n" + text
	}
	c.Reply(c.reply(text, menuRows()))
}

// menuRows are the main menu's buttons.
func menuRows() [][]flows.Choice {
	return [][]flows.Choice{
		{{Key: "menu.complaint", Data: menuComplaint}},
		{{Key: "menu.feedback", Data: menuFeedback}},
		{{Key: "menu.thanks", Data: menuThanks}},
		{{Key: "menu.follow", Data: menuFollow}},
		{{Key: "menu.language", Data: menuLang}},
	}
}

func (h *Handler) askLang(c *conv) {
	c.Reply(c.reply(c.t("lang.ask", nil), [][]flows.Choice{{
		{Key: "lang.ar", Data: "lang:ar"}, {Key: "lang.en", Data: "lang:en"},
	}}))
}

// stored is a conversation as the session store keeps it, under the
// person's opaque id: the flow, and where and in which language to say so
// when it expires (see the idle job).
type stored struct {
	flows.Session
	To   shakwa.Address `json:"to"`
	Lang string         `json:"lang,omitempty"`
	// Expired marks a conversation the idle job ended: nothing runs, but
	// the job can still say so if its first run stopped short.
	Expired bool `json:"expired,omitempty"`
	// By is the update that left the session so, and Before the session
	// it found. The session is saved before the update's replies are
	// queued: when the process stops in between, the update comes again
	// and is stepped again from Before, so that its answer is the one it
	// would have had, not the next question's reading of the same words.
	By     string         `json:"by,omitempty"`
	Before *flows.Session `json:"before,omitempty"`
}

// errBadSession is readSession's: what is kept as a session cannot be
// decoded.
var errBadSession = errors.New("undecodable session")

// readSession reads the session kept for opaque id: what it holds, and its
// bytes as kept (nil: none, with a zero stored), which a swap compares.
// Bytes that cannot be decoded come with errBadSession.
func (h *Handler) readSession(ctx context.Context, id string) (st stored, data []byte, err error) {
	data, err = h.store.Session(ctx, id)
	if err != nil || len(data) == 0 {
		return stored{}, nil, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return stored{}, data, fmt.Errorf("%w: %w", errBadSession, err)
	}
	return st, data, nil
}

// loadSession reads the speaker's session; ok is false when reading
// failed (the person has been told). One that cannot be decoded is
// dropped, and said so in the log.
func (h *Handler) loadSession(ctx context.Context, c *conv) (s flows.Session, ok bool) {
	st, data, err := h.readSession(ctx, c.id)
	switch {
	case errors.Is(err, errBadSession):
		h.log.WarnContext(ctx, "undecodable session dropped", "channel", c.m.Channel, "err", err)
		return flows.Session{}, true
	case err != nil:
		c.fail(ctx, fmt.Errorf("load session: %w", err))
		return flows.Session{}, false
	case data == nil:
		return flows.Session{}, true
	}
	if st.By != "" && st.By == updateOf(c.m) {
		// This update came again: it had stepped this session, but its
		// replies may never have been queued.
		if st.Before == nil {
			return flows.Session{}, true
		}
		c.before = st.Before
		return *st.Before, true
	}
	if st.Expired {
		// The idle job ended it and said so; the person is back.
		if _, err := h.store.SwapSession(ctx, c.id, data, nil, 0); err != nil {
			c.fail(ctx, fmt.Errorf("end expired session: %w", err))
			return flows.Session{}, false
		}
		return flows.Session{}, true
	}
	c.before = &st.Session
	return st.Session, true
}

// parked reports whether s waits only because it is Held: idle past its
// limit, it is kept for the press that confirms it, and words typed
// meanwhile (an answer to staff, a ticket number) are taken as if no
// conversation ran, not as answers to its summary.
func (h *Handler) parked(s flows.Session) bool {
	return h.now().Before(s.Held) && !h.now().Before(s.Updated.Add(h.idle()))
}

// updateOf names the update m came in, across channels.
func updateOf(m *bot.Message) string { return m.Channel + ":" + m.ID }

// saveSession keeps the running flow and moves its idle job to when it
// would expire.
func (h *Handler) saveSession(ctx context.Context, c *conv, s flows.Session) {
	if !s.Active() {
		h.endSession(ctx, c)
		return
	}
	data, err := json.Marshal(stored{Session: s, To: c.who, Lang: c.lang, By: updateOf(c.m), Before: c.before})
	due := s.Expires(h.idle())
	if err == nil {
		err = h.store.ScheduleJob(ctx, JobIdle, c.id, due)
	}
	if err == nil {
		// As long past its expiry as any session, however long it is held.
		err = h.store.SaveSession(ctx, c.id, data, sessionTTL+max(due.Sub(h.now())-h.idle(), 0))
	}
	if err != nil {
		c.fail(ctx, fmt.Errorf("save session: %w", err))
	}
}

// endSession ends the speaker's conversation; false when the store
// failed (the person has been told).
func (h *Handler) endSession(ctx context.Context, c *conv) bool {
	if err := h.store.DeleteSession(ctx, c.id); err != nil {
		c.fail(ctx, fmt.Errorf("end session: %w", err))
		return false
	}
	return true
}

func (h *Handler) idle() time.Duration { return time.Duration(h.cfg().Session.Idle) }

// startFlow begins a flow and shows its first question.
func (h *Handler) startFlow(ctx context.Context, c *conv, name, ticket string) {
	res, err := flows.Start(name, ticket, h.now(), h.catalogFor(c))
	if err != nil {
		c.fail(ctx, err)
		return
	}
	h.apply(ctx, c, res)
}

// step feeds the Message to the running flow. A session this version
// cannot continue is dropped, logged, and the person starts again.
func (h *Handler) step(ctx context.Context, c *conv, s flows.Session) {
	h.stepWith(ctx, c, s, h.input(c))
}

// stepWith feeds in to the running flow, as step does.
func (h *Handler) stepWith(ctx context.Context, c *conv, s flows.Session, in flows.Input) {
	res, err := flows.Step(s, in, h.now(), h.catalogFor(c))
	if errors.Is(err, flows.ErrBrokenSession) {
		h.log.ErrorContext(ctx, "session dropped", "channel", c.m.Channel, "err", err)
		if h.endSession(ctx, c) {
			h.menu(c, "flow.broken")
		}
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	h.apply(ctx, c, res)
}

// apply stores a flow's Result and shows its prompts. A completed flow's
// session ends only once its submission is stored: if storing fails, the
// person can press confirm again.
func (h *Handler) apply(ctx context.Context, c *conv, res flows.Result) {
	c.inPlace = c.inPlace || res.InPlace
	c.dropKeyboard = c.dropKeyboard || res.DropKeyboard
	switch {
	case res.Expired:
		if h.endSession(ctx, c) {
			h.menu(c, "flow.expired")
		}
		return
	case res.Cancelled:
		if !h.endSession(ctx, c) {
			return
		}
		if b := c.before; b != nil && b.Flow == flows.Gap {
			// Back to the standard whose mark was being explained.
			if m, err := h.readMonth(ctx, b.Centre, b.Day); err != nil {
				c.fail(ctx, err)
			} else {
				h.showNext(c, m)
			}
			return
		}
		h.menu(c, "flow.cancelled")
		return
	}
	for _, p := range res.Prompts {
		c.Reply(h.prompt(c, p))
	}
	if res.Submit != nil {
		if h.submit(ctx, c, res.Submit); c.failed != nil {
			return
		}
		if c.keep && c.before != nil {
			// Kept as it was found, but stepped now: its idle time starts
			// again from the answer that stopped it.
			held := *c.before
			held.Updated = h.now()
			if c.holdUntil.After(held.Held) {
				held.Held = c.holdUntil
			}
			h.saveSession(ctx, c, held)
			return
		}
	}
	h.saveSession(ctx, c, res.Session)
}

// input reduces the Message to what flows take: typed command words become
// buttons, digits become ASCII.
func (h *Handler) input(c *conv) flows.Input {
	m := c.m
	text := strings.TrimSpace(m.Text)
	in := flows.Input{Button: m.Button, Phone: locales.Digits(m.Phone), Other: m.Unsupported,
		Text: text, Digits: locales.Digits(text), Album: m.Album, At: m.Time}
	for _, a := range m.Attachments {
		in.Files = append(in.Files, flows.File{Kind: a.Kind, ID: a.ID, From: a.From, Content: a.File,
			Name: a.Name, Mime: a.Mime, Size: a.Size})
	}
	if in.Button == "" && len(in.Files) == 0 {
		for _, w := range []string{flows.BtnCancel, flows.BtnBack, flows.BtnSkip, flows.BtnConfirm} {
			if c.says("words." + w) {
				in.Button, in.Typed = w, true // the words stay: see flows.Input.Typed
				break
			}
		}
		switch {
		case c.says("words.yes"):
			in.YesNo = "yes"
		case c.says("words.no"):
			in.YesNo = "no"
		}
		if in.Button == "" {
			// A day typed as a word: what the day buttons say (see the visit
			// form's day question).
			for back, w := range []string{"words.today", "words.yesterday"} {
				if c.says(w) {
					in.Button, in.Typed = flows.PfxDay+strconv.Itoa(back), true
				}
			}
		}
	}
	return in
}

// attachments turns the files a flow carried back into attachments.
func attachments(files []flows.File) []shakwa.Attachment {
	var out []shakwa.Attachment
	for _, f := range files {
		out = append(out, shakwa.Attachment{Kind: f.Kind, ID: f.ID, From: f.From, File: f.Content,
			Name: f.Name, Mime: f.Mime, Size: f.Size})
	}
	return out
}

func (h *Handler) catalog() flows.Catalog {
	c := flows.Catalog{Idle: time.Duration(h.cfg().Session.Idle)}
	for _, ce := range h.cfg().Centres {
		c.Centres = append(c.Centres, ce.Code)
	}
	for _, ca := range h.cfg().Categories {
		c.Categories = append(c.Categories, ca.Code)
	}
	for _, r := range h.cfg().RejectReasons {
		c.Reasons = append(c.Reasons, r.Code)
	}
	for _, q := range h.quality().VisitForm {
		c.Form = append(c.Form, flows.Question{Code: q.Code, Kind: q.Kind})
	}
	c.Channels, c.Loc = config.VisitChannels, h.cfg().Location
	c.LocOf = h.centreLoc
	return c
}

// catalogFor is the catalog for the speaker: an evaluator who lists
// centres is offered those only.
func (h *Handler) catalogFor(c *conv) flows.Catalog {
	cat := h.catalog()
	if p := c.person; p != nil && p.Role == shakwa.RoleEvaluator && len(p.Centres) > 0 {
		cat.Centres = slices.DeleteFunc(cat.Centres, func(code string) bool { return !p.Evaluates(code) })
	}
	return cat
}

// homeRow is a lone button back to the main menu: what a message that ends
// what the person was doing offers next.
func homeRow() [][]flows.Choice { return [][]flows.Choice{{{Key: "menu.home", Data: menuHome}}} }
