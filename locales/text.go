package locales

import (
	"strings"
	"unicode"
)

// Digits rewrites Arabic-Indic (٠-٩) and Persian (۰-۹) digits as ASCII.
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, s)
}

// Fold reduces typed text for matching words: ASCII digits, lower case,
// Arabic diacritics and tatweel removed, alef/yeh/teh marbuta variants
// unified, punctuation and spaces at the ends trimmed, inner spaces folded.
func Fold(s string) string {
	s = Digits(strings.ToLower(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640: // harakat, superscript alef, tatweel
			continue
		case r == 'أ' || r == 'إ' || r == 'آ' || r == 'ٱ':
			r = 'ا'
		case r == 'ى':
			r = 'ي'
		case r == 'ة':
			r = 'ه'
		}
		b.WriteRune(r)
	}
	trimmed := strings.TrimFunc(b.String(), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
	return strings.Join(strings.Fields(trimmed), " ")
}
