package handlers

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// BenchmarkComplaint files one whole complaint per op: six messages from
// menu to confirmation, each a full Handle against real Redis.
func BenchmarkComplaint(b *testing.B) {
	cfg, err := config.Parse([]byte(testConfig))
	if err != nil {
		b.Fatal(err)
	}
	h := New(cfg, storagetest.Store(b), strictText(b), time.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)), Options{})
	steps := []bot.Message{
		{Button: menuComplaint}, {Button: "centre:KRM"}, {Button: "cat:waiting"},
		{Text: "انتظرت أكثر من ساعتين دون أن يُنادى رقمي"}, {Button: "skip"}, {Button: "confirm"},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		chat := strconv.Itoa(100000 + i)
		for _, m := range steps {
			m.Channel, m.Chat, m.From = "telegram", chat, bot.User{ID: chat}
			var rs bot.Replies
			h.Handle(ctx, &rs, &m)
			if len(rs.List) == 0 {
				b.Fatal("no reply")
			}
		}
	}
}
