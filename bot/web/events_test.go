package web

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

func TestConversation(t *testing.T) { stores(t, conversation) }

func conversation(t *testing.T, store Store) {
	h := newHarness(t, store, nil)
	v := h.visit()
	s := v.events("", "")
	if s.status != http.StatusOK || s.resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("events: got %d %q; want 200 text/event-stream", s.status, s.resp.Header.Get("Content-Type"))
	}
	if got := s.untilReady(); len(got) != 0 {
		t.Fatalf("fresh chat: got %d messages; want none", len(got))
	}

	if got := v.send(`{"id":"c1","text":"لدي شكوى"}`); got != 204 {
		t.Fatalf("send: got %d; want 204", got)
	}
	_, echo := s.mail()
	if !echo.Mine || echo.ClientID != "c1" || echo.Text != "لدي شكوى" || echo.From != v.id {
		t.Errorf("echo: got %+v; want mine, c1, the text, from the visitor", echo)
	}

	r := bot.Reply{Channel: "web", Chat: v.id, Text: "اختر\nالمركز",
		Buttons:    [][]bot.Button{{{Label: "أ", Data: "c:A"}, {Label: "ب", Data: "c:B"}}, {}},
		AskContact: true, ContactLabel: "شارك رقمك"}
	id1 := h.reply(r, "")
	gotID, m := s.mail()
	if gotID != id1 {
		t.Errorf("event id: got %q; want the mail id %q", gotID, id1)
	}
	want := mail{At: h.clock.now().UnixMilli(), Text: "اختر\nالمركز",
		Buttons:    [][]entry{{{Label: "أ", Data: "c:A"}, {Label: "ب", Data: "c:B"}}},
		AskContact: true, ContactLabel: "شارك رقمك"}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("message:\n got %+v\nwant %+v", m, want)
	}

	edited := h.reply(bot.Reply{Chat: v.id, Text: "تم"}, id1)
	if edited != id1 {
		t.Errorf("edit: got MessageID %q; want the edited message's %q", edited, id1)
	}
	_, m = s.mail()
	if m.EditOf != id1 || m.Text != "تم" {
		t.Errorf("edit: got %+v; want edit_of %q", m, id1)
	}

	h.reply(bot.Reply{Chat: v.id, Notice: true, ButtonToken: "c2", Text: "تم الاستلام"}, "")
	_, m = s.mail()
	if !m.Notice || m.Token != "c2" || m.Text != "تم الاستلام" {
		t.Errorf("notice: got %+v", m)
	}

	// A reload replays the conversation, but not the notice once old.
	h.clock.add(2 * time.Minute)
	all := v.events("", "").untilReady()
	if len(all) != 3 || !all[0].Mine || all[1].Text != "اختر\nالمركز" || all[2].EditOf != id1 {
		t.Errorf("replay: got %+v; want echo, message, edit", all)
	}

	// Reconnecting with Last-Event-ID gets only what is newer.
	id3 := h.reply(bot.Reply{Chat: v.id, Text: "ثالثة"}, "")
	_, _ = s.mail()
	again := v.events("", id1)
	_, m = again.mail()
	if m.EditOf != id1 {
		t.Errorf("after %s: got %+v; want the edit first", id1, m)
	}
	gotID, m = again.mail()
	if gotID != id3 || m.Text != "ثالثة" {
		t.Errorf("after %s: got %s %+v; want %s", id1, gotID, m, id3)
	}
	if e := again.next(); e.name != "ready" {
		t.Errorf("after the backlog: got %+v; want ready", e)
	}
	// So does the "after" parameter, which a page uses when it opens a
	// new stream itself.
	if got := v.events("?after="+id3, "").untilReady(); len(got) != 0 {
		t.Errorf("after the last: got %d messages; want none", len(got))
	}
}

func TestConversationsAreApart(t *testing.T) {
	h := newHarness(t, nil, nil)
	a, b := h.visit(), h.visit()
	sa, sb := a.events("", ""), b.events("", "")
	sa.untilReady()
	sb.untilReady()
	h.reply(bot.Reply{Chat: a.id, Text: "for a"}, "")
	if _, m := sa.mail(); m.Text != "for a" {
		t.Errorf("a: got %+v", m)
	}
	sb.quiet(200 * time.Millisecond)

	// b cannot pick a's chat: without the demo there is no choosing.
	for _, q := range []string{"?chat=" + a.id, "?as=" + a.id + "&chat=" + a.id, "?as=" + a.id} {
		if s := b.events(q, ""); s.status != http.StatusForbidden {
			t.Errorf("events%s: got %d; want 403", q, s.status)
		}
	}
	if got := b.send(`{"id":"x","text":"into a","chat":"` + a.id + `"}`); got != http.StatusForbidden {
		t.Errorf("send into a's chat: got %d; want 403", got)
	}
	if got := b.send(`{"id":"y","text":"mine"}`); got != 204 {
		t.Fatalf("send: got %d; want 204", got)
	}
	if got := h.rec.messages(); len(got) != 1 || got[0].Chat != b.id {
		t.Errorf("delivered: got %+v; want one message in b's chat", got)
	}
	sa.quiet(200 * time.Millisecond)
}

func TestStreamPollsStore(t *testing.T) {
	// Another instance appends to the store: this one's stream finds it
	// by polling.
	store := newMemStore()
	h := newHarness(t, store, nil)
	v := h.visit()
	s := v.events("", "")
	s.untilReady()
	id, _ := store.MailAppend(context.Background(), v.id, []byte(`{"at":1,"text":"elsewhere"}`), 10, time.Hour)
	gotID, m := s.mail()
	if gotID != id || m.Text != "elsewhere" {
		t.Errorf("got %s %+v; want %s elsewhere", gotID, m, id)
	}
}

func TestStreamSkipsBadMail(t *testing.T) {
	store := newMemStore()
	h := newHarness(t, store, nil)
	v := h.visit()
	ctx := context.Background()
	store.MailAppend(ctx, v.id, []byte("not json"), 10, time.Hour)
	store.MailAppend(ctx, v.id, []byte("{\"text\":\"two\nlines\"}"), 10, time.Hour)
	good, _ := store.MailAppend(ctx, v.id, []byte(`{"text":"fine"}`), 10, time.Hour)
	s := v.events("", "not-a-mail-id") // an unknown Last-Event-ID replays all
	gotID, m := s.mail()
	if gotID != good || m.Text != "fine" {
		t.Errorf("got %s %+v; want only %s", gotID, m, good)
	}
}

func TestCloseEndsStreams(t *testing.T) {
	before := streamGoroutines()
	h := newHarness(t, nil, nil)
	v := h.visit()
	var streams []*sseStream
	for range 3 {
		s := v.events("", "")
		s.untilReady()
		streams = append(streams, s)
	}
	if got := streamGoroutines() - before; got != 3 {
		t.Errorf("live streams: got %d; want 3", got)
	}
	done := make(chan struct{})
	go func() {
		h.ch.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	for i, s := range streams {
		if !s.ended() {
			t.Errorf("stream %d: still open after Close", i)
		}
	}
	if got := streamGoroutines() - before; got != 0 {
		t.Errorf("after Close: got %d stream goroutines; want 0", got)
	}
	if s := v.events("", ""); s.status != http.StatusServiceUnavailable {
		t.Errorf("events after Close: got %d; want 503", s.status)
	}
	if got := v.send(`{"id":"a","text":"still works"}`); got != 204 {
		t.Errorf("send after Close: got %d; want 204", got)
	}
}

func TestStreamEndsWhenClientGoes(t *testing.T) {
	before := streamGoroutines()
	h := newHarness(t, nil, nil)
	v := h.visit()
	s := v.events("", "")
	s.untilReady()
	s.resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for streamGoroutines() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := streamGoroutines() - before; got != 0 {
		t.Errorf("after the client left: got %d stream goroutines; want 0", got)
	}
	h.ch.mu.Lock()
	open := len(h.ch.open)
	h.ch.mu.Unlock()
	if open != 0 {
		t.Errorf("visitors with open streams: got %d; want 0", open)
	}
	h.ch.hub.mu.Lock()
	subs := len(h.ch.hub.subs)
	h.ch.hub.mu.Unlock()
	if subs != 0 {
		t.Errorf("subscribed chats: got %d; want 0", subs)
	}
}

func TestTooManyStreams(t *testing.T) {
	h := newHarness(t, nil, nil)
	v := h.visit()
	for i := range maxStreams {
		if s := v.events("", ""); s.status != http.StatusOK {
			t.Fatalf("stream %d: got %d; want 200", i, s.status)
		}
	}
	if s := v.events("", ""); s.status != http.StatusTooManyRequests {
		t.Errorf("one too many: got %d; want 429", s.status)
	}
	if s := h.visit().events("", ""); s.status != http.StatusOK {
		t.Errorf("another visitor: got %d; want 200", s.status)
	}
}

// TestTooManyStreamsFromOneAddress: cookies are free, so one network
// address holds at most Config.MaxAddressStreams streams across its
// visitors.
func TestTooManyStreamsFromOneAddress(t *testing.T) {
	const maxAddressStreams = maxStreams + 3
	h := newHarness(t, nil, func(c *Config) { c.MaxAddressStreams = maxAddressStreams })
	opened := 0
	for range 2 {
		v := h.visit()
		for range maxStreams {
			if s := v.events("", ""); s.status == http.StatusOK {
				opened++
			}
		}
	}
	if opened != maxAddressStreams {
		t.Errorf("one address opened %d streams; want %d", opened, maxAddressStreams)
	}
	if got := newHarness(t, nil, nil).ch.maxAddressStreams; got != DefaultMaxAddressStreams {
		t.Errorf("MaxAddressStreams unset: got %d; want %d", got, DefaultMaxAddressStreams)
	}
}

func TestHeartbeat(t *testing.T) {
	h := newHarness(t, nil, func(c *Config) { c.Heartbeat = 20 * time.Millisecond })
	v := h.visit()
	req, _ := http.NewRequest("GET", h.srv.URL+"/chat/api/events", nil)
	resp := v.do(req)
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	var got strings.Builder
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(got.String(), "\n:\n\n") && time.Now().Before(deadline) {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if !strings.HasPrefix(got.String(), "retry: ") || !strings.Contains(got.String(), "\n:\n\n") {
		t.Errorf("stream: got %q; want retry, then heartbeat comments", got.String())
	}
}

func TestSend(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		r    bot.Reply
	}{
		{"another channel", bot.Reply{Channel: "telegram", Chat: "1", Text: "x"}},
		{"no chat", bot.Reply{Text: "x"}},
		{"nothing to show", bot.Reply{Chat: "1", Text: " \n", Buttons: [][]bot.Button{{{Label: "a", Data: "a"}}}}},
	}
	for _, tt := range tests {
		_, err := h.ch.Send(ctx, tt.r, "")
		var re *bot.RetryError
		if !errors.Is(err, shakwa.ErrInvalid) || errors.As(err, &re) {
			t.Errorf("%s: got %v; want a permanent error wrapping ErrInvalid", tt.name, err)
		}
	}

	sent, err := h.ch.Send(ctx, bot.Reply{Chat: "1", Notice: true, ButtonToken: "t"}, "")
	if err != nil || sent.MessageID != "" {
		t.Errorf("empty notice: got %+v, %v; want nothing, no error", sent, err)
	}
	if ids, _, _ := h.store.MailSince(ctx, "1", "", 0); len(ids) != 0 {
		t.Errorf("empty notice: got %d mails; want none", len(ids))
	}

	h.reply(bot.Reply{Chat: "1", Attachments: []shakwa.Attachment{
		{Kind: "photo", ID: "f9", From: "web", File: "f9", Name: "a.jpg"},
		{Kind: "photo", ID: "AgADBAAE", From: "telegram", File: "c7", Name: "from telegram.jpg"},
		{Kind: "document", ID: "AgADBAAD", From: "telegram", Name: "not fetched.pdf"},
	}}, "")
	_, data, _ := h.store.MailSince(ctx, "1", "", 0)
	for _, id := range []string{"f9", "c7"} {
		if got, want := string(data[0]), `"url":"/chat/api/file/`+id+`?k=`+h.ch.fileKey("1", id)+`"`; !strings.Contains(got, want) {
			t.Errorf("attachments: got %s; want the stored file as %s", got, want)
		}
	}
	if got := string(data[0]); strings.Contains(got, "AgADBAAD") || !strings.Contains(got, "not fetched.pdf") {
		t.Errorf("attachments: got %s; want a file whose bytes we lack by name only", got)
	}

	h.store.(*memStore).setFail(errDown)
	_, err = h.ch.Send(ctx, bot.Reply{Chat: "1", Text: "x"}, "")
	var re *bot.RetryError
	if !errors.As(err, &re) || !errors.Is(err, errDown) {
		t.Errorf("store down: got %v; want a RetryError wrapping it", err)
	}
}

// TestDeliverFailureRetracts: a message the bot did not take is taken back
// from the pages that showed its echo already, on this instance and on
// another that shares the store (the visitor's other tabs); its retry,
// once taken, is echoed after the retraction, and a reload shows it once,
// as sent.
func TestDeliverFailureRetracts(t *testing.T) { stores(t, deliverFailureRetracts) }

func deliverFailureRetracts(t *testing.T, store Store) {
	h, there := newHarness(t, store, nil), newHarness(t, store, nil)
	v := h.visit()
	// The same browser (its cookie jar) on the other instance.
	elsewhere := &visitor{h: there, client: v.client, id: v.id}
	streams := map[string]*sseStream{"here": v.events("", ""), "elsewhere": elsewhere.events("", "")}
	for _, s := range streams {
		s.untilReady()
	}

	held := make(chan struct{})
	h.rec.mu.Lock()
	h.rec.fail, h.rec.held = errDown, held
	h.rec.mu.Unlock()
	status := make(chan int, 1)
	go func() { status <- v.send(`{"id":"c1","text":"لدي شكوى"}`) }()
	echoes := map[string]string{}
	for name, s := range streams {
		id, m := s.mail()
		if !m.Mine || m.ClientID != "c1" || m.Retract != "" {
			t.Fatalf("%s: got %+v; want the echo of c1", name, m)
		}
		echoes[name] = id
	}
	close(held)
	if got := <-status; got != http.StatusServiceUnavailable {
		t.Fatalf("send while the bot is down: got %d; want 503", got)
	}
	for name, s := range streams {
		_, m := s.mail()
		if m.Retract != echoes[name] || m.ClientID != "c1" || m.From != v.id || m.Mine || m.Text != "" {
			t.Errorf("%s: after the echo %s: got %+v; want its retraction, c1, from the visitor, no text", name, echoes[name], m)
		}
	}

	h.rec.setFail(nil)
	if got := v.send(`{"id":"c1","text":"لدي شكوى"}`); got != http.StatusNoContent {
		t.Fatalf("retry: got %d; want 204", got)
	}
	for name, s := range streams {
		_, m := s.mail()
		if !m.Mine || m.ClientID != "c1" || m.Retract != "" {
			t.Errorf("%s: after the retraction: got %+v; want the retry's echo", name, m)
		}
		s.quiet(200 * time.Millisecond)
	}

	// A reload: the retraction names an echo that is gone, and the retry's
	// echo follows it.
	replay := elsewhere.events("", "").untilReady()
	if len(replay) != 2 || replay[0].Retract == "" || !replay[1].Mine || replay[1].ClientID != "c1" {
		t.Errorf("replay: got %+v; want the retraction, then the retry's echo", replay)
	}
}
