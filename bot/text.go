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
// letter with its marks, an emoji sequence or a surrogate pair). A space
// inside a directional isolate (see Directed) is taken only when there is
// no other: a part that ends inside one closes it, and the next part opens
// it again, so that each part reads as the whole did. Parts are trimmed
// of surrounding white space; blank parts are dropped. A part of a
// right-to-left text (see Directed) starts right to left too.
func SplitText(text string, limit int, w Width) []string {
	var parts []string
	rest := strings.TrimSpace(text)
	rtl := startsRTL(rest)
	for rest != "" {
		mark := ""
		if rtl && len(parts) > 0 && !startsRTL(rest) {
			mark = string(rlm)
		}
		part, next := cutPart(rest, limit-TextWidth(mark, w), w)
		if rtl && len(parts) > 0 && mark == "" && !startsRTL(part) {
			// A part cut inside an isolate that the rest follows with
			// Arabic: on its own it would read left to right.
			mark = string(rlm)
			part, next = cutPart(rest, limit-w(rlm), w)
		}
		if part != "" {
			parts = append(parts, mark+part)
		}
		rest = next
	}
	return parts
}

// cutPart cuts what fits in lim off rest, as SplitText says, and returns
// it and what is left, both trimmed of the spaces between them; a part
// may be blank.
func cutPart(rest string, lim int, w Width) (part, next string) {
	if PrefixWithin(rest, lim, w) == len(rest) {
		return rest, ""
	}
	// Room is kept for the PDIs that close the isolates left open at the
	// cut: as many as are open there, found by trying.
	var cut int
	var open []rune
	for reserve := 0; ; reserve = len(open) {
		cut = PrefixWithin(rest, lim-reserve*w(pdi), w)
		if i := breakAt(rest[:cut]); i > 0 {
			cut = i
		} else {
			cut = BackOffMarks(rest, cut)
		}
		if open = openIsolates(rest[:cut]); len(open) <= reserve {
			break
		}
	}
	next = strings.TrimLeftFunc(rest[cut:], unicode.IsSpace)
	switch {
	case len(open) == 0 || next == "":
	case len(string(open))+len(next) < len(rest):
		next = string(open) + next
	default:
		open = nil // a limit that holds no more than the openers: no progress else
	}
	if part = strings.TrimRightFunc(rest[:cut], unicode.IsSpace); part != "" {
		part += strings.Repeat(string(pdi), len(open))
	}
	return part, next
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
// space, preferring one outside every directional isolate, then one in
// the second half, or -1.
func breakAt(head string) int {
	// The last line break and space outside every isolate, and the last
	// space inside one; -1 if none.
	outside, inside := [2]int{-1, -1}, [2]int{-1, -1}
	depth := 0
	for i, r := range head {
		switch r {
		case lri, rli, fsi:
			depth++
		case pdi:
			depth = max(0, depth-1)
		case '\n':
			depth = 0 // a paragraph ends every isolate in it
			outside[0] = i
		case ' ':
			if depth == 0 {
				outside[1] = i
			} else {
				inside[1] = i
			}
		}
	}
	for _, last := range [][2]int{outside, inside} {
		for _, i := range last {
			if i > len(head)/2 {
				return i
			}
		}
		for _, i := range last {
			if i > 0 {
				return i
			}
		}
	}
	return -1
}

// openIsolates returns the openers (LRI, RLI, FSI) of the isolates still
// open at the end of s's last line, outermost first.
func openIsolates(s string) []rune {
	var open []rune
	for _, r := range s {
		switch r {
		case lri, rli, fsi:
			open = append(open, r)
		case pdi:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case '\n':
			open = open[:0]
		}
	}
	return open
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
