package main

import (
	"context"
	"testing"

	"github.com/shakwa/shakwa/bot"
)

// TestUndeliveredBlocked: a reply about a ticket that the platform refused
// because the person cannot be reached reaches the bot as a failure marked
// blocked, so the ticket's holder hears that the citizen cannot be reached
// rather than of one message lost; other failures are not so marked, and
// replies about no ticket are not reported.
func TestUndeliveredBlocked(t *testing.T) {
	var got []*bot.Message
	tell := undelivered(func(_ context.Context, m *bot.Message) error {
		got = append(got, m)
		return nil
	})
	ctx := context.Background()
	r := bot.Reply{Channel: "telegram", Chat: "5001", Ref: "ticket:KRM-000001", Text: "…"}
	for _, unreachable := range []bool{true, false} {
		if err := tell(ctx, r, bot.Failure{Code: -1, Reason: "forbidden", Blocked: unreachable}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tell(ctx, bot.Reply{Channel: "telegram", Chat: "5001", Text: "menu"}, bot.Failure{Code: -1, Reason: "forbidden", Blocked: true}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Failed == nil || !got[0].Failed.Blocked || got[1].Failed.Blocked ||
		got[0].Failed.Ref != r.Ref || got[0].Chat != r.Chat {
		t.Fatalf("told %+v; want two failures about the ticket, the first blocked", got)
	}
}
