package telegram

import (
	"strings"
	"time"

	"github.com/shakwa/shakwa/bot"
)

// Telegram's published limits: about one message a second in a chat, 20 a
// minute in a group, 30 a second in all.
const (
	privatePace = time.Second
	groupPace   = 3 * time.Second
	perSecond   = 30
)

var _ bot.Pacer = (*Channel)(nil)

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

// PerSecond is how many messages the bot may send in all.
func (c *Channel) PerSecond() float64 { return perSecond }
