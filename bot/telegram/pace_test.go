package telegram

import (
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
)

func TestPace(t *testing.T) {
	var c Channel
	for _, tc := range []struct {
		r    bot.Reply
		want time.Duration
	}{
		{bot.Reply{Chat: "5001", Text: "x"}, time.Second},
		{bot.Reply{Chat: "-1001234", Text: "x"}, 3 * time.Second},
		{bot.Reply{Chat: "-1001234", Notice: true}, 0},
	} {
		if got := c.Pace(tc.r); got != tc.want {
			t.Errorf("Pace(%+v) = %v; want %v", tc.r, got, tc.want)
		}
	}
	if got := c.PerSecond(); got != 0 {
		t.Errorf("PerSecond = %v; want 0: answers are paced per chat only", got)
	}
	if got := c.BulkPerSecond(); got != 30 {
		t.Errorf("BulkPerSecond = %v; want 30", got)
	}
}
