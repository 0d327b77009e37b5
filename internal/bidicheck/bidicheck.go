// Package bidicheck shows text as a client lays it out (the Unicode
// bidirectional algorithm, with each line's direction taken from its
// first strong character, as Telegram, WhatsApp and a browser's dir=auto
// do), for tests of what people read.
package bidicheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/unicode/bidi"
)

// Visual is line as shown, left to right on the screen, without its
// invisible marks, and whether it is laid out right to left.
func Visual(line string) (shown string, rtl bool) {
	rtl = baseRTL(line)
	var p bidi.Paragraph
	if _, err := p.SetString(line); err != nil {
		return line, rtl
	}
	o, err := p.Order()
	if err != nil || o.NumRuns() == 0 {
		return strip(line), rtl
	}
	runs := make([]string, o.NumRuns())
	for i := range runs {
		r := o.Run(i)
		s := r.String()
		if r.Direction() == bidi.RightToLeft {
			s = reverse(s)
		}
		runs[i] = s
	}
	if rtl {
		slices.Reverse(runs)
	}
	return strip(strings.Join(runs, "")), rtl
}

// baseRTL is the paragraph's direction by its first strong character,
// skipping what is inside isolates (rules P2 and P3).
func baseRTL(line string) bool {
	depth := 0
	for _, r := range line {
		switch r {
		case '\u2066', '\u2067', '\u2068':
			depth++
			continue
		case '\u2069':
			depth = max(0, depth-1)
			continue
		}
		if depth > 0 {
			continue
		}
		p, _ := bidi.LookupRune(r)
		switch p.Class() {
		case bidi.L:
			return false
		case bidi.R, bidi.AL:
			return true
		}
	}
	return false
}

func reverse(s string) string {
	rs := []rune(s)
	slices.Reverse(rs)
	return string(rs)
}

func strip(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u200e', '\u200f', '\u061c', '\u2060', '\u2066', '\u2067', '\u2068', '\u2069',
			'\u202a', '\u202b', '\u202c', '\u202d', '\u202e':
			return -1
		}
		return r
	}, s)
}

// latin finds what must read left to right inside Arabic text: phrases of
// Latin words and numbers (a command with its ticket number, a name,
// «Counter 4»: a word after the first may be one character), and phone
// numbers.
var latin = regexp.MustCompile(`[/#@+]?[A-Za-z][A-Za-z0-9_.@/'-]*[A-Za-z0-9]( [/#@+]?[A-Za-z0-9](?:[A-Za-z0-9_.@/'-]*[A-Za-z0-9])?)*|\+[0-9•]+( [0-9•]+)*`)

// Problems lists what reads wrong in an Arabic text as clients show it:
// a line with words laid out left to right, and a Latin phrase or phone
// number shown in another order than written.
func Problems(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		plain := strip(line)
		if strings.TrimSpace(plain) == "" {
			continue
		}
		shown, rtl := Visual(line)
		if !rtl {
			out = append(out, fmt.Sprintf("laid out left to right: %q", plain))
		}
		for _, tok := range latin.FindAllString(plain, -1) {
			if !strings.Contains(shown, tok) {
				out = append(out, fmt.Sprintf("%q shown as %q", tok, shown))
			}
		}
	}
	return out
}
