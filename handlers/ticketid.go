package handlers

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/locales"
)

// ticketRef is a ticket number as typed: maybe without its centre prefix.
type ticketRef struct {
	prefix string // upper case; "" when typed without one
	number int
}

// parseTicket reads a typed ticket number: "KRM-000123", "krm 123",
// "KRM123", "١٢٣", "۱۲۳" or "123". It does not check that it exists.
func parseTicket(s string) (ticketRef, bool) {
	s = strings.ToUpper(locales.Digits(strings.TrimSpace(s)))
	s = strings.Map(func(r rune) rune {
		// Any space or dash, as phones type them («KRM – 123», a
		// no-break hyphen, a minus sign, a tatweel «KRMـ123»), the
		// direction marks around a number copied from the bot's own
		// message, and invisible joiners and spaces (Cf).
		if r == '_' || r == '#' || r == '/' || r == '\u2212' || r == '\u0640' ||
			unicode.In(r, unicode.Zs, unicode.Pd, unicode.Bidi_Control, unicode.Cf) {
			return -1
		}
		return r
	}, s)
	// A sentence's end: «KRM-000123.» or «١٢٣؟».
	s = strings.TrimRight(s, ".,!?؟،؛;:")
	i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 || i > 6 || len(s)-i > 9 {
		return ticketRef{}, false
	}
	prefix, digits := s[:i], s[i:]
	for _, r := range prefix {
		if r < 'A' || r > 'Z' {
			return ticketRef{}, false
		}
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || (prefix != "" && len(prefix) < 2) {
		return ticketRef{}, false
	}
	return ticketRef{prefix: prefix, number: n}, true
}

// centreCode reports whether prefix, as parseTicket reads it, is a
// centre's code: only then do letters before a number make a ticket
// number («Gate 4» is words).
func (h *Handler) centreCode(prefix string) bool {
	_, ok := h.cfg().Centre(prefix)
	return ok
}

// id is the canonical ticket id, given the prefix.
func (r ticketRef) id(prefix string) string { return fmt.Sprintf("%s-%06d", prefix, r.number) }

// matches reports whether ticket id is the one typed.
func (r ticketRef) matches(id string) bool {
	prefix, num, ok := strings.Cut(id, "-")
	if !ok || (r.prefix != "" && r.prefix != prefix) {
		return false
	}
	n, err := strconv.Atoi(num)
	return err == nil && n == r.number
}

// resolveTicket finds the typed ticket among candidates (the asker's own
// tickets): the only way a number without a prefix can be resolved, and
// the way a citizen is kept to their own tickets. A number without prefix
// that more than one of them carries (tickets in two centres are numbered
// apart) is an *ambiguous error naming them all: the asker chooses.
func resolveTicket(r ticketRef, candidates []*shakwa.Ticket) (*shakwa.Ticket, error) {
	var found []*shakwa.Ticket
	for _, t := range candidates {
		if r.matches(t.ID) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return nil, shakwa.ErrNotFound
	case 1:
		return found[0], nil
	}
	return nil, &ambiguous{found}
}

// ambiguous is a number typed without its centre's code that several of
// the asker's tickets carry.
type ambiguous struct{ tickets []*shakwa.Ticket }

func (a *ambiguous) Error() string {
	return fmt.Sprintf("%d tickets carry that number", len(a.tickets))
}

// Is makes an ambiguous number an invalid input to callers that do not
// offer the choice.
func (a *ambiguous) Is(target error) bool { return target == shakwa.ErrInvalid }

// ids lists the tickets' numbers, as the asker should type one, with sep
// between them.
func (a *ambiguous) ids(sep string) string {
	ids := make([]string, len(a.tickets))
	for i, t := range a.tickets {
		ids[i] = t.ID
	}
	return strings.Join(ids, sep)
}
