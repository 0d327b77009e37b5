package web

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/shakwa/shakwa/bot"
)

var testDemo = &Demo{People: []DemoPerson{
	{ID: "111", Name: "سارة", Role: "موظفة", Chats: []DemoChat{{ID: "111", Label: "خاص"}, {ID: "-1001", Label: "مركز الكرامة", Group: true}}},
	{ID: "222", Name: "خالد", Role: "مدير", Chats: []DemoChat{{ID: "222", Label: "خاص"}}},
}}

func TestDemoRefusedInProduction(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	for _, body := range []string{
		`{"id":"a","text":"x","as":"111","chat":"111"}`,
		`{"id":"b","text":"x","as":"111","chat":"-1001"}`,
		`{"id":"c","text":"x","as":"111"}`,
		`{"id":"d","text":"x","chat":"-1001"}`,
	} {
		if got := v.send(body); got != http.StatusForbidden {
			t.Errorf("send %s: got %d; want 403", body, got)
		}
	}
	if s := v.events("?as=111&chat=111", ""); s.status != http.StatusForbidden {
		t.Errorf("events as 111: got %d; want 403", s.status)
	}
	if got := h.rec.messages(); len(got) != 0 {
		t.Errorf("delivered: got %d; want none", len(got))
	}
}

func TestDemo(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Demo = testDemo })
	v := h.visit()

	tests := []struct {
		name   string
		body   string
		status int
		chat   string
		group  bool
		from   bot.User
	}{
		{"citizen", `{"id":"a","text":"x"}`, 204, "", false, bot.User{}},
		{"staff in their group", `{"id":"b","button":"claim:KRM-1","as":"111","chat":"-1001"}`, 204, "-1001", true, bot.User{ID: "111", Name: "سارة"}},
		{"staff in private", `{"id":"c","text":"/start","as":"111","chat":"111"}`, 204, "111", false, bot.User{ID: "111", Name: "سارة"}},
		{"manager in private", `{"id":"d","text":"/stats","as":"222","chat":"222"}`, 204, "222", false, bot.User{ID: "222", Name: "خالد"}},
		{"manager in a group not theirs", `{"id":"e","text":"x","as":"222","chat":"-1001"}`, 403, "", false, bot.User{}},
		{"someone else's private chat", `{"id":"f","text":"x","as":"222","chat":"111"}`, 403, "", false, bot.User{}},
		{"unknown person", `{"id":"g","text":"x","as":"333","chat":"333"}`, 403, "", false, bot.User{}},
		{"person without chat", `{"id":"h","text":"x","as":"111"}`, 403, "", false, bot.User{}},
	}
	delivered := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := v.send(tt.body); got != tt.status {
				t.Fatalf("status: got %d; want %d", got, tt.status)
			}
			msgs := h.rec.messages()
			if tt.status != 204 {
				if len(msgs) != delivered {
					t.Errorf("delivered: got %d; want %d", len(msgs), delivered)
				}
				return
			}
			delivered++
			m := msgs[len(msgs)-1]
			if tt.chat == "" {
				tt.chat, tt.from.ID = v.id, v.id
			}
			tt.from.Lang = m.From.Lang
			if m.Chat != tt.chat || m.Group != tt.group || !reflect.DeepEqual(m.From, tt.from) || !strings.HasPrefix(m.ID, "web:"+v.id+":") {
				t.Errorf("message: got chat %q group %v from %+v id %q; want %q %v %+v", m.Chat, m.Group, m.From, m.ID, tt.chat, tt.group, tt.from)
			}
		})
	}

	// The group pane of person 111 follows the group's chat.
	s := v.events("?as=111&chat=-1001", "")
	backlog := s.untilReady()
	if len(backlog) != 1 || backlog[0].Button != "claim:KRM-1" || backlog[0].From != "111" || backlog[0].Name != "سارة" {
		t.Errorf("group backlog: got %+v; want 111's press", backlog)
	}
	h.reply(bot.Reply{Chat: "-1001", Text: "KRM-1 new"}, "")
	if _, m := s.mail(); m.Text != "KRM-1 new" {
		t.Errorf("group: got %+v", m)
	}
	if s := v.events("?as=222&chat=-1001", ""); s.status != http.StatusForbidden {
		t.Errorf("events as 222 in 111's group: got %d; want 403", s.status)
	}

	// A file sent to the group opens for anyone in the demo.
	photo := pngBytes(t)
	if got := v.upload(part{"id", "", []byte("p1")}, part{"as", "", []byte("111")}, part{"chat", "", []byte("-1001")},
		part{"file", "a.png", photo}); got != 204 {
		t.Fatalf("upload as 111: got %d; want 204", got)
	}
	_, echo := s.mail()
	resp := h.visit().get(echo.Attachments[0].URL, nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("group file for another demo visitor: got %d; want 200", resp.StatusCode)
	}
}

func TestDemoPages(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Demo = testDemo })
	v := h.stranger()
	resp := v.get("/chat/api/demo/people", nil)
	var people []DemoPerson
	err := json.NewDecoder(resp.Body).Decode(&people)
	resp.Body.Close()
	if err != nil || !reflect.DeepEqual(people, testDemo.People) {
		t.Errorf("people: got %+v, %v; want %+v", people, err, testDemo.People)
	}
	for path, want := range map[string]string{
		"/chat/staff": `data-testid="people"`,
		"/chat":       `href="/chat/staff?lang=ar" data-testid="staff-link">staff-ar<`,
	} {
		resp := v.get(path, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: got %d; want 200 with %s", path, resp.StatusCode, want)
		}
	}
}
