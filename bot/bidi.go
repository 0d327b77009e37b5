package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/bidi"
)

// Every client lays a paragraph out in the direction of its first strong
// character, and orders what is between by the Unicode bidirectional
// algorithm: an Arabic line that starts with an emoji and a ticket number
// is shown left to right, and "/reply KRM-000001" inside Arabic comes out
// as "reply KRM-/ 000001". Directed marks a right-to-left text so that
// every client shows it as written.
const (
	rlm = '\u200f' // right-to-left mark: a strong R that is not seen
	lri = '\u2066' // left-to-right isolate
	fsi = '\u2068' // first-strong isolate
	rli = '\u2067' // right-to-left isolate
	pdi = '\u2069' // pop directional isolate
	wj  = '\u2060' // word joiner: no line break here
)

// RTL reports whether lang is written right to left.
func RTL(lang string) bool {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	switch base {
	case "ar", "fa", "ur", "he", "ps", "ckb", "dv", "yi":
		return true
	}
	return false
}

// Directed returns text as a client should receive it. Ticket numbers
// (KRM-000123) never break across lines at their hyphen, in either
// direction. When rtl, each line that would not start right to left is
// started with a right-to-left mark, and each Latin run inside it (ticket
// numbers, commands, Latin names, addresses) and each number that the
// algorithm would reorder (a phone number in groups, a masked one) is
// wrapped in a left-to-right isolate, so that it reads in the right order
// whatever surrounds it. What is already in an isolate is kept as it is.
// Directed of a text it returned returns it unchanged.
func Directed(text string, rtl bool) string {
	if text == "" {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if rtl {
			directLine(&b, line)
		} else {
			joinTickets(&b, line)
		}
	}
	return b.String()
}

// directLine writes line marked for a right-to-left paragraph.
func directLine(b *strings.Builder, line string) {
	rs := []rune(line)
	if first := firstStrong(rs); first != bidi.R && first != bidi.AL && strings.TrimSpace(line) != "" {
		b.WriteRune(rlm)
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == lri || r == rli || r == fsi:
			end := closing(rs, i)
			b.WriteString(string(rs[i:end]))
			i = end
			continue
		}
		if end, wrap := latinRun(rs, i); end > i {
			if wrap {
				b.WriteRune(lri)
			}
			joinTickets(b, string(rs[i:end]))
			if wrap {
				b.WriteRune(pdi)
			}
			i = end
			continue
		}
		b.WriteRune(r)
		i++
	}
}

// firstStrong is the class of the first strong character of rs outside
// isolates (L, R or AL), or ON when there is none.
func firstStrong(rs []rune) bidi.Class {
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case lri, rli, fsi:
			i = closing(rs, i) - 1
			continue
		case rlm:
			return bidi.R
		}
		switch c := class(rs[i]); c {
		case bidi.L, bidi.R, bidi.AL:
			return c
		}
	}
	return bidi.ON
}

// closing is the index just past the isolate opened at rs[i]: past its
// PDI, or the end of the line.
func closing(rs []rune, i int) int {
	depth := 0
	for j := i; j < len(rs); j++ {
		switch rs[j] {
		case lri, rli, fsi:
			depth++
		case pdi:
			if depth--; depth == 0 {
				return j + 1
			}
		}
	}
	return len(rs)
}

// latinRun finds a left-to-right run starting at rs[i], made of words:
// characters of Latin text, digits and the punctuation inside them
// ("KRM-000123", "/reply", "a.b@c.com", "Al-Barsha"), joined by single
// spaces. A run of words with a Latin letter in the first ("/reply
// KRM-000123", "Al Barsha Centre 2") always needs an isolate; a run of
// numbers only when the algorithm would show it in pieces in the wrong
// order: a phone number in groups, one masked, one starting with "+". It
// returns where the run ends, trimmed of the punctuation that ends a
// sentence (i when no word starts here), and whether to wrap it.
func latinRun(rs []rune, i int) (end int, wrap bool) {
	w := wordAt(rs, i)
	switch {
	case w.end == i:
		return i, false
	case w.letters:
		end = w.end
		for end+1 < len(rs) && rs[end] == ' ' {
			// Words and numbers, brackets and all: «(Counter 12)», «Ahmed
			// (desk 4)»; a bracket left outside would be shown turned.
			next := wordAt(rs, end+1)
			if !next.letters && !next.number && !next.phone {
				break
			}
			end = next.end
		}
		return trimRun(rs, i, end), true
	case w.phone:
		end, words, digits, masked := w.end, 1, w.digits, w.masked
		for end+1 < len(rs) && rs[end] == ' ' {
			next := wordAt(rs, end+1)
			if !next.phone {
				break
			}
			end, words, digits, masked = next.end, words+1, digits+next.digits, masked || next.masked
		}
		end = trimRun(rs, i, end)
		return end, masked || rs[i] == '+' && digits > 2 || words > 1 && digits >= 6
	}
	return w.end, false
}

// word is what wordAt found.
type word struct {
	end     int
	letters bool // has a Latin (left-to-right) letter
	number  bool // digits and the marks between them only
	phone   bool // digits, "+", "-", "(", ")" and masks only
	masked  bool // has a mask ("•", "*")
	digits  int
}

// wordAt reads the word starting at rs[i]: the characters that can be
// inside Latin text (see inWord) up to the next space or other character.
func wordAt(rs []rune, i int) word {
	w := word{end: i, number: true, phone: true}
	for ; w.end < len(rs) && inWord(rs[w.end]); w.end++ {
		r := rs[w.end]
		switch c := class(r); {
		case c == bidi.L && unicode.IsLetter(r):
			w.letters = true
		case c == bidi.L:
			w.number, w.phone = false, false // a symbol such as 🆕
		case c == bidi.EN:
			w.digits++
		case r == '•' || r == '*':
			w.masked, w.number = true, false
		case strings.ContainsRune("+-()", r):
			w.number = w.number && r == '-'
		default:
			w.number, w.phone = w.number && c == bidi.CS, false
		}
	}
	w.number = w.number && w.digits > 0 && !w.letters
	w.phone = w.phone && w.digits > 0 && !w.letters
	return w
}

// inWord reports whether r can be part of a word of Latin text: a Latin
// (or other left-to-right) letter, a digit, a mark on a letter, or the
// punctuation found inside addresses, names and commands.
func inWord(r rune) bool {
	if arabicBlock(r) {
		return false // the Arabic comma is a separator like a Latin one
	}
	switch class(r) {
	case bidi.L, bidi.EN, bidi.ES, bidi.ET, bidi.CS, bidi.NSM:
		return r != ' '
	}
	return strings.ContainsRune("./_@#&'’()•*!?", r)
}

// arabicBlock reports whether r is in one of Unicode's Arabic blocks,
// whose punctuation (، ؛ ؟) is of no script.
func arabicBlock(r rune) bool {
	return r >= 0x0600 && r <= 0x06ff || r >= 0x0750 && r <= 0x077f || r >= 0x08a0 && r <= 0x08ff ||
		r >= 0xfb50 && r <= 0xfdff || r >= 0xfe70 && r <= 0xfeff
}

// trimRun moves the end of the run rs[start:end] back over the punctuation
// that closes a sentence around it, and over a closing bracket it did not
// open.
func trimRun(rs []rune, start, end int) int {
	for end > start {
		r := rs[end-1]
		if r == ')' && count(rs[start:end], '(') >= count(rs[start:end], ')') {
			break
		}
		if !strings.ContainsRune(".,:;!?-)'’", r) {
			break
		}
		end--
	}
	return end
}

func class(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}

func count(rs []rune, r rune) int {
	n := 0
	for _, x := range rs {
		if x == r {
			n++
		}
	}
	return n
}

// joinTickets writes s with a word joiner after the hyphen of each ticket
// number in it (two to six capitals, a hyphen, a digit).
func joinTickets(b *strings.Builder, s string) {
	for {
		i := strings.IndexByte(s, '-')
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i+1])
		s = s[i+1:]
		if ticketBefore(b.String()) && s != "" && s[0] >= '0' && s[0] <= '9' {
			b.WriteRune(wj)
		}
	}
}

// ticketBefore reports whether written ends in two to six capital letters
// and a hyphen, not preceded by another letter.
func ticketBefore(written string) bool {
	w := written[:len(written)-1]
	n := 0
	for n < len(w) && n <= 6 {
		c := w[len(w)-1-n]
		if c < 'A' || c > 'Z' {
			break
		}
		n++
	}
	if n < 2 || n > 6 {
		return false
	}
	if n < len(w) {
		r, _ := utf8.DecodeLastRuneInString(w[:len(w)-n])
		if c := class(r); c == bidi.L {
			return false
		}
	}
	return true
}

// Undirected removes what Directed adds (and any other direction marks
// and isolates), for reading what a person typed or pasted back.
func Undirected(s string) string {
	if !strings.ContainsFunc(s, isDirectionMark) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isDirectionMark(r) {
			return -1
		}
		return r
	}, s)
}

func isDirectionMark(r rune) bool {
	switch r {
	case rlm, '\u200e', '\u061c', wj, lri, rli, fsi, pdi, '\u202a', '\u202b', '\u202c', '\u202d', '\u202e':
		return true
	}
	return false
}

// Lone returns a one-line label that a client shows on its own (a
// WhatsApp button's or row's title) without the marks of Directed that
// change nothing there, as the platform counts them against its limit: the
// word joiners (a title is never broken into lines); each left-to-right
// isolate whose run starts with a Latin letter and ends with one or a digit
// (a ticket number, a Latin name), which reads the same without it; and
// then a leading right-to-left mark before a label with no right-to-left
// text that starts with a Latin letter and ends with one or a digit ("KRM-000123"),
// laid out alike in either direction. What orders differently without
// them ("/reply", "+971 50…", "🌐 Language" alone) keeps its marks.
func Lone(label string) string {
	if !strings.ContainsFunc(label, isDirectionMark) {
		return label
	}
	rs := []rune(strings.ReplaceAll(label, string(wj), ""))
	var out []rune
	for i := 0; i < len(rs); {
		if rs[i] != lri {
			out = append(out, rs[i])
			i++
			continue
		}
		end := closing(rs, i)
		inner := rs[i+1 : end]
		if end > i+1 && rs[end-1] == pdi {
			inner = rs[i+1 : end-1]
		}
		if plainLTR(inner) && !digitAfter(rs[end:]) {
			out = append(out, inner...)
		} else {
			out = append(out, rs[i:end]...)
		}
		i = end
	}
	if len(out) > 1 && out[0] == rlm && plainLTR(out[1:]) {
		out = out[1:]
	}
	return string(out)
}

// digitAfter reports whether a European digit comes in rs before any
// strong letter: without the isolate before it, the digit would take the
// Latin run's direction and join it ("فرع City Walk - 3").
func digitAfter(rs []rune) bool {
	for _, r := range rs {
		switch class(r) {
		case bidi.EN:
			return true
		case bidi.L, bidi.R, bidi.AL:
			return false
		}
	}
	return false
}

// plainLTR reports whether rs reads left to right in a paragraph of either
// direction: no right-to-left letters, Arabic digits or direction marks,
// a Latin letter first and a Latin letter or a digit last.
func plainLTR(rs []rune) bool {
	if len(rs) == 0 || !(class(rs[0]) == bidi.L && unicode.IsLetter(rs[0])) {
		return false
	}
	if last := class(rs[len(rs)-1]); last != bidi.L && last != bidi.EN {
		return false
	}
	for _, r := range rs {
		switch class(r) {
		case bidi.R, bidi.AL, bidi.AN:
			return false
		}
		if isDirectionMark(r) {
			return false
		}
	}
	return true
}
