package telegram

import (
	"strings"
	"time"

	"github.com/shakwa/shakwa/bot"
)

// Telegram's published limits: about one message a second in a chat, 20 a
// minute in a group, and about 30 a second for notifications to many
// people. Answering people who just wrote has no limit of its own: when
// the bot goes too fast, Telegram answers 429 with how long to wait.
const (
	privatePace   = time.Second
	groupPace     = 3 * time.Second
	bulkPerSecond = 30
)

var (
	_ bot.Pacer     = (*Channel)(nil)
	_ bot.BulkPacer = (*Channel)(nil)
)

// Pace is how long the outbox waits after r before the next message to the
// same chat. Answers to button presses are not messages and cost nothing.
func (c *Channel) Pace(r bot.Reply) time.Duration {
	switch {
	case r.Notice:
		return 0
	case strings.HasPrefix(r.Chat, "-"): // groups and supergroups have negative ids
		return groupPace
	}
	return privatePace
}

// PerSecond is 0: Telegram sets no rate for answers beyond each chat's.
func (c *Channel) PerSecond() float64 { return 0 }

// BulkPerSecond is how many notifications to many people the bot may
// send in a second.
func (c *Channel) BulkPerSecond() float64 { return bulkPerSecond }
