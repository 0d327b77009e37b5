package bot

import (
	"strings"

	"golang.org/x/text/unicode/bidi"
	"unicode"
	"unicode/utf8"
)

// Width is how much one character counts against a platform's limit:
// Telegram counts UTF-16 units (most emoji count two), WhatsApp counts
// characters.
type Width func(r rune) int

// Runes counts every character as one.
func Runes(rune) int { return 1 }

// UTF16 counts characters outside the Basic Multilingual Plane as two.
func UTF16(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// TextWidth is the width of s.
func TextWidth(s string, w Width) int {
	n := 0
	for _, r := range s {
		n += w(r)
	}
	return n
}

// SplitText cuts text into parts of at most limit, at a line break if one
// falls in the second half of the part, else at a space, else at a line
// break or space anywhere, else between two characters (never inside a
// letter with its marks, an emoji sequence or a surrogate pair). Parts are
// trimmed of surrounding white space; blank parts are dropped. A part of
// a right-to-left text (see Directed) starts right to left too.
func SplitText(text string, limit int, w Width) []string {
	var parts []string
	rest := strings.TrimSpace(text)
	rtl := startsRTL(rest)
	for rest != "" {
		lim, mark := limit, ""
		if rtl && len(parts) > 0 && !startsRTL(rest) {
			lim, mark = limit-w(rlm), string(rlm)
		}
		cut := PrefixWithin(rest, lim, w)
		if cut == len(rest) {
			parts = append(parts, mark+rest)
			break
		}
		if i := breakAt(rest[:cut]); i > 0 {
			cut = i
		} else {
			cut = BackOffMarks(rest, cut)
		}
		head, tail := rest[:cut], rest[cut:]
		if h := strings.TrimRightFunc(head, unicode.IsSpace); h != "" {
			parts = append(parts, mark+h)
		}
		rest = strings.TrimLeftFunc(tail, unicode.IsSpace)
	}
	return parts
}

// startsRTL reports whether the first line of s is laid out right to left.
func startsRTL(s string) bool {
	line, _, _ := strings.Cut(s, "\n")
	c := firstStrong([]rune(line))
	return c == bidi.R || c == bidi.AL
}

// CutText cuts s to at most limit and returns the head and what is left,
// both trimmed of spaces and of the dashes, commas and colons that joined
// them. It cuts at a space when one leaves at least a third of what fits,
// else between two characters (never inside a letter with its marks): a
// name too long for a button keeps its start in words, and the rest can
// go where more fits.
func CutText(s string, limit int, w Width) (head, rest string) {
	s = strings.TrimSpace(s)
	cut := PrefixWithin(s, limit, w)
	if cut == len(s) {
		return s, ""
	}
	if i := strings.LastIndex(s[:cut+1], " "); i > 0 && TextWidth(s[:i], w) >= limit/3 {
		cut = i
	} else {
		cut = BackOffMarks(s, cut)
	}
	return strings.TrimRight(s[:cut], joiners), strings.TrimLeft(s[cut:], joiners)
}

// joiners are what is trimmed where a text is cut.
const joiners = " \t\n-–—,،:;"

// PrefixWithin returns the length in bytes of the longest prefix of s that
// is at most limit wide (at least one character, so that cutting always
// advances).
func PrefixWithin(s string, limit int, w Width) int {
	units := 0
	for i, r := range s {
		if units+w(r) > limit {
			if i == 0 {
				_, size := utf8.DecodeRuneInString(s)
				return size
			}
			return i
		}
		units += w(r)
	}
	return len(s)
}

// breakAt returns where to cut head: the byte index of a line break or
// space, preferring one in the second half, or -1.
func breakAt(head string) int {
	half := len(head) / 2
	for _, sep := range []string{"\n", " "} {
		if i := strings.LastIndex(head, sep); i > half {
			return i
		}
	}
	for _, sep := range []string{"\n", " "} {
		if i := strings.LastIndex(head, sep); i > 0 {
			return i
		}
	}
	return -1
}

// BackOffMarks moves cut left while the character at cut would be torn
// from the one before it: a combining mark (Arabic harakat, variation
// selectors), a zero-width joiner or what follows one, or an emoji skin
// tone. It never returns less than the first character's length.
func BackOffMarks(s string, cut int) int {
	_, first := utf8.DecodeRuneInString(s)
	for cut > first {
		r, _ := utf8.DecodeRuneInString(s[cut:])
		prev, size := utf8.DecodeLastRuneInString(s[:cut])
		joined := unicode.In(r, unicode.Mn, unicode.Me) || r == '\u200d' || prev == '\u200d' ||
			r >= 0x1F3FB && r <= 0x1F3FF || r == '\ufe0f'
		if !joined {
			break
		}
		cut -= size
	}
	return cut
}
