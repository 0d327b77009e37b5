package telegram

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
	"github.com/shakwa/shakwa/storage/storagetest"
)

// TestPollLease: two processes with one token and one Redis: one polls,
// the other stands by (Telegram would end one poll with the other: 409);
// when the first stops, the second takes over within the lease, and no
// update is lost on the way.
func TestPollLease(t *testing.T) {
	store := storagetest.Store(t)
	f := telegramtest.NewServer(t, testToken)
	var mu sync.Mutex
	got := map[string]int{}
	deliver := func(name string) Deliver {
		return func(_ context.Context, m *bot.Message) error {
			mu.Lock()
			got[name+" "+m.ID]++
			mu.Unlock()
			return nil
		}
	}
	count := func(id string) (a, b int) {
		mu.Lock()
		defer mu.Unlock()
		return got["a "+id], got["b "+id]
	}
	cfg := Config{Lease: store, LeaseTTL: 600 * time.Millisecond}
	a := newTestChannel(t, f, cfg, deliver("a"))
	b := newTestChannel(t, f, cfg, deliver("b"))
	stopA := run(t, a)
	eventually(t, "a polling", func() bool { return len(f.Calls("getUpdates")) > 0 })
	stopB := run(t, b)
	defer stopB()
	f.Push(msgUpdate(30, `"text":"one"`))
	eventually(t, "update 30", func() bool { x, y := count("tg:30"); return x+y == 1 })
	if x, _ := count("tg:30"); x != 1 {
		t.Errorf("update 30 went to b while a held the lease")
	}
	time.Sleep(time.Second) // b tries the lease meanwhile, and stands by
	if err := stopA(); err != nil {
		t.Fatal(err)
	}
	f.Push(msgUpdate(31, `"text":"two"`))
	eventually(t, "b to take over", func() bool { _, y := count("tg:31"); return y == 1 })
	if n := f.Conflicts(); n != 0 {
		t.Errorf("%d long polls ended by another: two processes polled at once", n)
	}
	for _, id := range []string{"tg:30", "tg:31"} {
		if x, y := count(id); x+y != 1 {
			t.Errorf("%s delivered %d times; want once", id, x+y)
		}
	}
}

func TestSplit(t *testing.T) {
	c := &Channel{}
	long := strings.Repeat("أ", maxText) + " " + strings.Repeat("ب", 10)
	photo := []shakwa.Attachment{{Kind: "photo", ID: "p1"}, {Kind: "document", ID: "d1"}}
	buttons := [][]bot.Button{{{Label: "x", Data: "x"}}}
	tests := []struct {
		name string
		in   bot.Reply
		want []string // per part: text length, files, buttons, trail, edit
	}{
		{"short", bot.Reply{Chat: "1", Text: "hi", Buttons: buttons, Ref: "r", Edit: true},
			[]string{"2 files=0 buttons trail=false edit=true"}},
		{"long text", bot.Reply{Chat: "1", Text: long, Buttons: buttons, Ref: "r", Edit: true},
			[]string{"4096 files=0 trail=true edit=false", "10 files=0 buttons trail=false edit=false"}},
		{"text and files", bot.Reply{Chat: "1", Text: "t", Buttons: buttons, Ref: "r", Attachments: photo},
			[]string{"1 files=0 buttons trail=false edit=false", "0 files=1 trail=true edit=false", "0 files=1 trail=true edit=false"}},
		{"one file, captioned", bot.Reply{Chat: "1", Text: "caption", Buttons: buttons, Ref: "r", Attachments: photo[:1]},
			[]string{"7 files=1 buttons trail=false edit=false"}},
		{"files only", bot.Reply{Chat: "1", Buttons: buttons, Ref: "r", Attachments: photo},
			[]string{"0 files=1 trail=true edit=false", "0 files=1 buttons trail=false edit=false"}},
		{"notice", bot.Reply{Chat: "1", Notice: true, Text: long}, []string{"4107 files=0 trail=false edit=false"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parts := c.Split(tc.in)
			var got []string
			for _, p := range parts {
				s := strings.TrimSpace(strings.Join([]string{
					strconv.Itoa(utf16Len(p.Text)), "files=" + strconv.Itoa(len(p.Attachments)), map[bool]string{true: "buttons"}[len(p.Buttons) > 0],
					"trail=" + map[bool]string{true: "true", false: "false"}[p.Trail],
					"edit=" + map[bool]string{true: "true", false: "false"}[p.Edit],
				}, " "))
				got = append(got, strings.Join(strings.Fields(s), " "))
				if p.Ref != tc.in.Ref || p.Chat != tc.in.Chat {
					t.Errorf("part %+v lost the ref or chat", p)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("parts:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
