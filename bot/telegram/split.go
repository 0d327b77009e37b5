package telegram

import "github.com/shakwa/shakwa/bot"

// utf16Len is the length of s as Telegram counts it: in UTF-16 code units,
// so a character outside the Basic Multilingual Plane (most emoji) counts
// two.
func utf16Len(s string) int { return bot.TextWidth(s, bot.UTF16) }

// splitText cuts text into parts of at most limit UTF-16 units (see
// bot.SplitText).
func splitText(text string, limit int) []string { return bot.SplitText(text, limit, bot.UTF16) }

// prefixWithin and backOffMarks are bot's, in UTF-16 units.
func prefixWithin(s string, limit int) int { return bot.PrefixWithin(s, limit, bot.UTF16) }

func backOffMarks(s string, cut int) int { return bot.BackOffMarks(s, cut) }
