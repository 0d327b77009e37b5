package telegram

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// utf16Len is the length of s as Telegram counts it: in UTF-16 code units,
// so a character outside the Basic Multilingual Plane (most emoji) counts
// two.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// splitText cuts text into parts of at most limit UTF-16 units, at a line
// break if one falls in the second half of the part, else at a space, else
// at a line break or space anywhere, else between two characters (never
// inside a surrogate pair or before a combining mark). Parts are trimmed of
// surrounding white space; blank parts are dropped.
func splitText(text string, limit int) []string {
	var parts []string
	rest := strings.TrimSpace(text)
	for rest != "" {
		cut := prefixWithin(rest, limit)
		if cut == len(rest) {
			parts = append(parts, rest)
			break
		}
		if i := breakAt(rest[:cut]); i > 0 {
			cut = i
		} else {
			cut = backOffMarks(rest, cut)
		}
		head, tail := rest[:cut], rest[cut:]
		if h := strings.TrimRightFunc(head, unicode.IsSpace); h != "" {
			parts = append(parts, h)
		}
		rest = strings.TrimLeftFunc(tail, unicode.IsSpace)
	}
	return parts
}

// prefixWithin returns the length in bytes of the longest prefix of s that
// is at most limit UTF-16 units long (at least one rune, so that splitting
// always advances).
func prefixWithin(s string, limit int) int {
	units := 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if units+w > limit {
			if i == 0 {
				_, size := utf8.DecodeRuneInString(s)
				return size
			}
			return i
		}
		units += w
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

// backOffMarks moves cut left while the character at cut would be torn
// from the one before it: a combining mark (Arabic harakat, variation
// selectors), a zero-width joiner or what follows one, or an emoji skin
// tone. It never returns less than the first character's length.
func backOffMarks(s string, cut int) int {
	_, first := utf8.DecodeRuneInString(s)
	for cut > first {
		r, _ := utf8.DecodeRuneInString(s[cut:])
		prev, size := utf8.DecodeLastRuneInString(s[:cut])
		joined := unicode.In(r, unicode.Mn, unicode.Me) || r == '\u200d' || prev == '\u200d' ||
			r >= 0x1F3FB && r <= 0x1F3FF
		if !joined {
			break
		}
		cut -= size
	}
	return cut
}
