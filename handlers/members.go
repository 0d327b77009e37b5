package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/locales"
)

// MemberStore keeps the people who joined with a one-time invite code,
// beside those of the configuration file (see storage's invites).
type MemberStore interface {
	CreateInvite(ctx context.Context, code string, inv shakwa.Invite, ttl time.Duration) error
	Join(ctx context.Context, code string, m shakwa.Member) (shakwa.Member, error)
	Member(ctx context.Context, id int64) (shakwa.Member, bool, error)
	Members(ctx context.Context) ([]shakwa.Member, error)
	Revoke(ctx context.Context, id int64, by, via string, now time.Time) (bool, error)
	// Audit adds to the record of what was done outside tickets.
	Audit(ctx context.Context, e shakwa.AuditEntry) error
}

// InviteTTL is how long an invite code may be used.
const InviteTTL = 24 * time.Hour

// ServerActor is who the audit record names for what the operator did on
// the server (`shakwa invite`, `shakwa export`).
const ServerActor = "server"

// asPerson is a member as the configuration would have them.
func asPerson(m shakwa.Member) config.Person {
	return config.Person{Telegram: m.Telegram, Name: m.Name, Role: m.Role, Centres: m.Centres}
}

// person is the configured person with Telegram id, or else the member
// who joined with an invite; ok is false for neither.
func (h *Handler) person(ctx context.Context, id int64) (config.Person, bool, error) {
	if p, ok := h.cfg().Person(id); ok { // one read of the configuration: a reload may swap it
		return p, true, nil
	}
	m, ok, err := h.store.Member(ctx, id)
	if err != nil || !ok {
		return config.Person{}, false, err
	}
	return asPerson(m), true, nil
}

// roster is everyone with a role: the configuration's people, then the
// members who joined with an invite (one read).
func (h *Handler) roster(ctx context.Context) ([]config.Person, error) {
	ms, err := h.store.Members(ctx)
	if err != nil {
		return nil, err
	}
	cfg := h.cfg() // once: a reload may swap it meanwhile
	out := slices.Clone(cfg.People)
	for _, m := range ms {
		if _, ok := cfg.Person(m.Telegram); !ok {
			out = append(out, asPerson(m))
		}
	}
	return out, nil
}

// NewInviteCode makes an invite code: 8 digits, easy to type in Arabic
// digits too.
func NewInviteCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08d", n), nil
}

// Why ReadInvite refuses the words of an invite.
var (
	ErrInviteRole    = errors.New("no such role (staff, supervisor, manager, evaluator)")
	ErrInviteCentres = errors.New("staff and supervisors serve centres (name at least one); a manager oversees all (name none); an evaluator visits those named, or any")
)

// UnknownCentreError is ReadInvite's refusal of a centre code the configuration
// does not have.
type UnknownCentreError struct{ Code string }

func (e UnknownCentreError) Error() string { return fmt.Sprintf("no centre %q", e.Code) }

// ReadInvite reads what an invite gives from its words, as /invite and
// `shakwa invite` take them: a role (in English or Arabic), then the
// centres a member of staff or a supervisor serves (none for a manager).
func ReadInvite(cfg *config.Config, words []string) (shakwa.Role, []string, error) {
	if len(words) == 0 {
		return "", nil, ErrInviteRole
	}
	var role shakwa.Role
	switch strings.ToLower(strings.TrimSpace(words[0])) {
	case "staff", "موظف":
		role = shakwa.RoleStaff
	case "supervisor", "مشرف":
		role = shakwa.RoleSupervisor
	case "manager", "مدير":
		role = shakwa.RoleManager
	case "evaluator", "مقيم", "مقيّم":
		role = shakwa.RoleEvaluator
	default:
		return "", nil, ErrInviteRole
	}
	var centres []string
	for _, w := range words[1:] {
		code := strings.ToUpper(w)
		if _, ok := cfg.Centre(code); !ok {
			return "", nil, UnknownCentreError{w}
		}
		centres = append(centres, code)
	}
	if role != shakwa.RoleEvaluator && (role == shakwa.RoleManager) != (len(centres) == 0) {
		return "", nil, ErrInviteCentres
	}
	return role, centres, nil
}

// inviteCommand makes a one-time code that gives its holder a role:
// /invite staff KRM [BRS...], /invite supervisor KRM, /invite manager. A
// manager may invite anyone; a supervisor, staff of their own centres.
func (h *Handler) inviteCommand(ctx context.Context, c *conv, args string) {
	if !c.oversees() {
		c.say("invite.forbidden", nil)
		return
	}
	role, centres, err := ReadInvite(h.cfg(), strings.Fields(args))
	var none UnknownCentreError
	switch {
	case errors.As(err, &none):
		c.say("invite.no_centre", map[string]any{"Centre": none.Code})
		return
	case err != nil:
		c.say("help.invite", nil)
		return
	}
	if c.person.Role == shakwa.RoleSupervisor &&
		(role != shakwa.RoleStaff || slices.ContainsFunc(centres, func(ce string) bool { return !c.person.Serves(ce) })) {
		c.say("invite.forbidden", nil)
		return
	}
	code, err := h.newCode()
	if err == nil {
		err = h.store.CreateInvite(ctx, code, shakwa.Invite{Role: role, Centres: centres, By: c.m.From.ID, At: h.now()}, InviteTTL)
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	c.say("invite.made", map[string]any{"Code": code, "Role": c.t("role."+string(role), nil),
		"Centres": h.centreNames(centres, c.lang)})
}

// centreNames joins the names of centres in lang.
func (h words) centreNames(codes []string, lang string) string {
	names := make([]string, len(codes))
	for i, code := range codes {
		names[i] = h.centreName(code, lang)
	}
	return strings.Join(names, h.text.Text(lang, "stats.separator", nil))
}

// joinTries is how many codes one person may try in an hour.
const joinTries = 5

// joinCommand gives the speaker the role of an invite code: /join CODE, in
// their private chat.
func (h *Handler) joinCommand(ctx context.Context, c *conv, args string) {
	if c.m.Group || c.m.Channel != h.notify.staffChannel {
		c.say("join.where", nil)
		return
	}
	if c.person != nil {
		c.say("join.already", map[string]any{"Role": c.t("role."+string(c.person.Role), nil)})
		return
	}
	code := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, locales.Digits(args))
	if code == "" {
		c.say("help.join", nil)
		return
	}
	n, err := h.store.Count(ctx, "join:"+c.id, time.Hour, h.now())
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if n > joinTries {
		c.say("join.too_many", nil)
		return
	}
	id, err := strconv.ParseInt(c.m.From.ID, 10, 64)
	if err != nil {
		c.fail(ctx, shakwa.ErrInvalid)
		return
	}
	m, err := h.store.Join(ctx, code, shakwa.Member{Telegram: id, Name: c.m.From.Name, At: h.now()})
	if errors.Is(err, shakwa.ErrNotFound) {
		c.say("join.bad_code", nil)
		return
	}
	if err != nil {
		c.fail(ctx, err)
		return
	}
	p := asPerson(m)
	c.person = &p
	if m.Role != shakwa.RoleStaff {
		if err := h.scheduleReportsOf(ctx, p, h.now()); err != nil { // a reader now
			c.fail(ctx, err)
			return
		}
	}
	c.say("join.done", map[string]any{"Role": c.t("role."+string(m.Role), nil), "Centres": h.centreNames(m.Centres, c.lang)})
	h.help(c)
}

// revokeCommand takes a member's role away: /revoke TELEGRAM-ID. A
// manager may revoke anyone who joined with an invite; a supervisor, staff
// of their own centres. People of the configuration file are not revoked
// here: the file says who they are.
func (h *Handler) revokeCommand(ctx context.Context, c *conv, args string) {
	if !c.oversees() {
		c.say("invite.forbidden", nil)
		return
	}
	id, err := strconv.ParseInt(locales.Digits(strings.TrimSpace(args)), 10, 64)
	if err != nil {
		c.say("help.revoke", nil)
		return
	}
	if p, ok := h.cfg().Person(id); ok {
		c.say("revoke.configured", map[string]any{"Name": p.Name})
		return
	}
	m, ok, err := h.store.Member(ctx, id)
	if err != nil {
		c.fail(ctx, err)
		return
	}
	if !ok {
		c.say("revoke.none", map[string]any{"ID": args})
		return
	}
	if c.person.Role == shakwa.RoleSupervisor &&
		(m.Role != shakwa.RoleStaff || !slices.ContainsFunc(m.Centres, c.person.Serves)) {
		c.say("invite.forbidden", nil)
		return
	}
	if _, err := h.store.Revoke(ctx, id, c.m.From.ID, c.m.Channel, h.now()); err != nil {
		c.fail(ctx, err)
		return
	}
	// What they hold stays theirs until a supervisor gives it to
	// someone: say which.
	held, err := h.store.Held(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		c.fail(ctx, err)
		return
	}
	ids := make([]string, len(held))
	for i, t := range held {
		ids[i] = t.ID
	}
	c.say("revoke.done", map[string]any{"Name": m.Name, "Role": c.t("role."+string(m.Role), nil),
		"Held": strings.Join(ids, h.text.Text(c.lang, "stats.separator", nil))})
	// They are told too, in their own chat, rather than finding out when
	// the next claim is refused.
	if who := strconv.FormatInt(id, 10); who != c.m.From.ID {
		to := h.notify.staffAddress(who)
		lang, err := h.notify.langOf(ctx, to, "")
		if err != nil {
			// The role is gone already: failing now would have the
			// redelivery find nobody to revoke. Told in the default
			// language instead.
			h.log.WarnContext(ctx, "revoked member's language", "err", err)
			lang = locales.Lang("")
		}
		key := "revoke.told"
		if m.Role == shakwa.RoleEvaluator {
			key = "revoke.told_evaluator" // visits, not requests
		}
		c.Reply(bot.Reply{Channel: to.Channel, Chat: to.Chat, Lang: lang, Text: h.text.Text(lang, key,
			map[string]any{"Role": h.text.Text(lang, "role."+string(m.Role), nil), "By": c.staff().Name,
				"Centres": h.centreNames(m.Centres, lang), "Held": len(held) > 0})})
	}
}

// holderGone is the id of t's recorded holder when they no longer serve
// its centre as staff or supervisor (removed from the roster, their
// invite revoked, moved to another centre), "" otherwise: a ticket put
// back to work goes to the queue, not to them.
func (h *Handler) holderGone(ctx context.Context, t *shakwa.Ticket) (string, error) {
	if t.Holder.ID == "" {
		return "", nil
	}
	uid, err := strconv.ParseInt(t.Holder.ID, 10, 64)
	if err != nil {
		return t.Holder.ID, nil // not a Telegram id: nobody the roster knows
	}
	p, ok, err := h.person(ctx, uid)
	if err != nil {
		return "", err
	}
	if !ok || p.Role == shakwa.RoleManager || !p.Serves(t.Centre) {
		return t.Holder.ID, nil
	}
	return "", nil
}
