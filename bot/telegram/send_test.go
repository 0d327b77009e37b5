package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

const removeKeyboard = `{"remove_keyboard":true}`

var cardButtons = [][]bot.Button{
	{{Label: "استلام", Data: "claim:KRM-000123"}, {Label: "تحويل", Data: "transfer:KRM-000123"}},
	{{Label: "رفض", Data: "reject:KRM-000123"}},
}

const cardKeyboard = `{"inline_keyboard":[` +
	`[{"text":"استلام","callback_data":"claim:KRM-000123"},{"text":"تحويل","callback_data":"transfer:KRM-000123"}],` +
	`[{"text":"رفض","callback_data":"reject:KRM-000123"}]]}`

func TestSendRendering(t *testing.T) {
	arabic := "شكراً لتواصلكم *مع* مركز _الكرامة_ <عاجل> & [رابط](x)"
	tests := []struct {
		name   string
		reply  bot.Reply
		editID string
		script map[string]string // method -> error answer for its first call
		want   []apiCall
		wantID string
	}{
		{
			name:  "plain text removes a stale keyboard and is never parsed",
			reply: bot.Reply{Channel: "telegram", Chat: "42", Text: arabic},
			want: []apiCall{{"sendMessage", map[string]string{
				"chat_id": "42", "text": arabic, "reply_markup": removeKeyboard}}},
			wantID: "100",
		},
		{
			name:  "a notification keeps the person's keyboard",
			reply: bot.Reply{Channel: "telegram", Chat: "42", Text: "رسالة من الموظف", Priority: bot.Notify},
			want: []apiCall{{"sendMessage", map[string]string{
				"chat_id": "42", "text": "رسالة من الموظف"}}},
			wantID: "100",
		},
		{
			name:  "after the phone question: the keyboard goes, the buttons come by an edit",
			reply: bot.Reply{Chat: "42", Text: "راجِع شكواك", Buttons: cardButtons, DropKeyboard: true},
			want: []apiCall{
				{"sendMessage", map[string]string{"chat_id": "42", "text": "راجِع شكواك", "reply_markup": removeKeyboard}},
				{"editMessageReplyMarkup", map[string]string{"chat_id": "42", "message_id": "100", "reply_markup": cardKeyboard}},
			},
			wantID: "100",
		},
		{
			name:   "buttons that cannot be put on: the message stays, not sent twice",
			reply:  bot.Reply{Chat: "42", Text: "راجِع شكواك", Buttons: cardButtons, DropKeyboard: true},
			script: map[string]string{"editMessageReplyMarkup": telegramtest.AnswerCantEdit},
			want: []apiCall{
				{"sendMessage", map[string]string{"chat_id": "42", "text": "راجِع شكواك", "reply_markup": removeKeyboard}},
				{"editMessageReplyMarkup", map[string]string{"chat_id": "42", "message_id": "100", "reply_markup": cardKeyboard}},
			},
			wantID: "100",
		},
		{
			name:  "buttons become an inline keyboard",
			reply: bot.Reply{Chat: "-1001234567890", Text: "تذكرة جديدة KRM-000123", Buttons: cardButtons},
			want: []apiCall{{"sendMessage", map[string]string{
				"chat_id": "-1001234567890", "text": "تذكرة جديدة KRM-000123", "reply_markup": cardKeyboard}}},
			wantID: "100",
		},
		{
			name: "contact request keyboard",
			reply: bot.Reply{Chat: "42", Text: "شارك رقم هاتفك", AskContact: true, ContactLabel: "📱 مشاركة رقمي",
				Buttons: [][]bot.Button{{{Label: "تخطي", Data: "skip"}}, {{Label: "إلغاء", Data: "cancel"}}}},
			want: []apiCall{{"sendMessage", map[string]string{
				"chat_id": "42", "text": "شارك رقم هاتفك",
				"reply_markup": `{"keyboard":[[{"text":"📱 مشاركة رقمي","request_contact":true}],[{"text":"تخطي"}],[{"text":"إلغاء"}]],` +
					`"resize_keyboard":true,"one_time_keyboard":true}`}}},
			wantID: "100",
		},
		{
			name:   "edit replaces text and keyboard",
			reply:  bot.Reply{Chat: "-1001234567890", Text: "تذكرة KRM-000123 — استلمها منى", Buttons: cardButtons[1:], Edit: true},
			editID: "77",
			want: []apiCall{{"editMessageText", map[string]string{
				"chat_id": "-1001234567890", "message_id": "77", "text": "تذكرة KRM-000123 — استلمها منى",
				"reply_markup": `{"inline_keyboard":[[{"text":"رفض","callback_data":"reject:KRM-000123"}]]}`}}},
			wantID: "77",
		},
		{
			name:   "edit without buttons drops the keyboard",
			reply:  bot.Reply{Chat: "-1001234567890", Text: "أغلقت التذكرة", Edit: true},
			editID: "77",
			want: []apiCall{{"editMessageText", map[string]string{
				"chat_id": "-1001234567890", "message_id": "77", "text": "أغلقت التذكرة"}}},
			wantID: "77",
		},
		{
			name:   "unchanged edit is a success",
			reply:  bot.Reply{Chat: "42", Text: "نفس النص", Edit: true},
			editID: "77",
			script: map[string]string{"editMessageText": telegramtest.AnswerNotModified},
			want: []apiCall{{"editMessageText", map[string]string{
				"chat_id": "42", "message_id": "77", "text": "نفس النص"}}},
			wantID: "77",
		},
		{
			name:   "message gone: sent anew",
			reply:  bot.Reply{Chat: "42", Text: "تحديث", Buttons: cardButtons, Edit: true},
			editID: "77",
			script: map[string]string{"editMessageText": telegramtest.AnswerCantEdit},
			want: []apiCall{
				{"editMessageText", map[string]string{"chat_id": "42", "message_id": "77", "text": "تحديث", "reply_markup": cardKeyboard}},
				{"sendMessage", map[string]string{"chat_id": "42", "text": "تحديث", "reply_markup": cardKeyboard}},
			},
			wantID: "100",
		},
		{
			name:   "contact request cannot be an edit",
			reply:  bot.Reply{Chat: "42", Text: "شارك رقمك", AskContact: true, ContactLabel: "مشاركة", Edit: true},
			editID: "77",
			want: []apiCall{{"sendMessage", map[string]string{"chat_id": "42", "text": "شارك رقمك",
				"reply_markup": `{"keyboard":[[{"text":"مشاركة","request_contact":true}]],"resize_keyboard":true,"one_time_keyboard":true}`}}},
			wantID: "100",
		},
		{
			name:  "notice answers the button press",
			reply: bot.Reply{Chat: "-100123", Text: "استلمها موظف آخر", Notice: true, ButtonToken: "99001"},
			want: []apiCall{{"answerCallbackQuery", map[string]string{
				"callback_query_id": "99001", "text": "استلمها موظف آخر"}}},
		},
		{
			name:  "empty notice stops the spinner",
			reply: bot.Reply{Chat: "42", Notice: true, ButtonToken: "99002"},
			want:  []apiCall{{"answerCallbackQuery", map[string]string{"callback_query_id": "99002"}}},
		},
		{
			name:   "notice too late is dropped",
			reply:  bot.Reply{Chat: "42", Text: "تم", Notice: true, ButtonToken: "99003"},
			script: map[string]string{"answerCallbackQuery": telegramtest.AnswerQueryTooOld},
			want:   []apiCall{{"answerCallbackQuery", map[string]string{"callback_query_id": "99003", "text": "تم"}}},
		},
		{
			name:  "long notice is cut to 200",
			reply: bot.Reply{Chat: "42", Text: strings.Repeat("ت", 250), Notice: true, ButtonToken: "99004"},
			want: []apiCall{{"answerCallbackQuery", map[string]string{
				"callback_query_id": "99004", "text": strings.Repeat("ت", 200)}}},
		},
		{
			name: "attachments follow the text",
			reply: bot.Reply{Chat: "-100123", Text: "مرفقات الشكوى", Buttons: cardButtons, Attachments: []shakwa.Attachment{
				{Kind: "photo", ID: "AgAD-large"}, {Kind: "document", ID: "BQAC-doc", Name: "شكوى.pdf"}}},
			want: []apiCall{
				{"sendMessage", map[string]string{"chat_id": "-100123", "text": "مرفقات الشكوى", "reply_markup": cardKeyboard}},
				{"sendPhoto", map[string]string{"chat_id": "-100123", "photo": "AgAD-large"}},
				{"sendDocument", map[string]string{"chat_id": "-100123", "document": "BQAC-doc"}},
			},
			wantID: "100",
		},
		{
			name:  "one file with a short text goes captioned, with the keyboard",
			reply: bot.Reply{Chat: "42", Text: "📎 مرفق الطلب KRM-000001", Buttons: cardButtons, Attachments: []shakwa.Attachment{{Kind: "photo", ID: "p1"}}},
			want: []apiCall{
				{"sendPhoto", map[string]string{"chat_id": "42", "photo": "p1", "caption": "📎 مرفق الطلب KRM-000001", "reply_markup": cardKeyboard}},
			},
			wantID: "100",
		},
		{
			name:  "one file with a text too long for a caption follows it",
			reply: bot.Reply{Chat: "42", Text: strings.Repeat("ن", 1025), Attachments: []shakwa.Attachment{{Kind: "document", ID: "d1"}}},
			want: []apiCall{
				{"sendMessage", map[string]string{"chat_id": "42", "text": strings.Repeat("ن", 1025), "reply_markup": removeKeyboard}},
				{"sendDocument", map[string]string{"chat_id": "42", "document": "d1"}},
			},
			wantID: "100",
		},
		{
			name:  "attachments alone carry the keyboard on the last",
			reply: bot.Reply{Chat: "42", Attachments: []shakwa.Attachment{{Kind: "photo", ID: "p1"}, {Kind: "photo", ID: "p2"}}},
			want: []apiCall{
				{"sendPhoto", map[string]string{"chat_id": "42", "photo": "p1"}},
				{"sendPhoto", map[string]string{"chat_id": "42", "photo": "p2", "reply_markup": removeKeyboard}},
			},
			wantID: "101",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := telegramtest.NewServer(t, testToken)
			c := newTestChannel(t, f, Config{}, nil)
			for method, body := range tc.script {
				f.Answer(method, 400, body)
			}
			sent, err := c.Send(context.Background(), tc.reply, tc.editID)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if sent.MessageID != tc.wantID {
				t.Errorf("MessageID: got %q; want %q", sent.MessageID, tc.wantID)
			}
			checkCalls(t, f.Calls(), tc.want)
		})
	}
}

func checkCalls(t *testing.T, got []telegramtest.Call, want []apiCall) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d calls %v; want %d %v", len(got), got, len(want), want)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Method != w.Method {
			t.Errorf("call %d: got %s; want %s", i, g.Method, w.Method)
			continue
		}
		gf, wf := map[string]string{}, map[string]string{}
		for k, v := range g.Fields {
			gf[k] = canonical(v)
		}
		for k, v := range w.Fields {
			wf[k] = canonical(v)
		}
		if !reflect.DeepEqual(gf, wf) {
			t.Errorf("call %d %s: got fields %v; want %v", i, g.Method, gf, wf)
		}
	}
}

func TestSendSplitsLongText(t *testing.T) {
	// Arabic lines with emoji (two UTF-16 units each): well over 4096 units
	// but fewer than 4096 runes in the first part's worth of text.
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "السطر %d من الرد الطويل على الشكوى 😀😀😀\n", i)
	}
	text := strings.TrimSpace(b.String())
	f := telegramtest.NewServer(t, testToken)
	c := newTestChannel(t, f, Config{}, nil)
	sent, err := c.Send(context.Background(), bot.Reply{Chat: "42", Text: text, Buttons: cardButtons}, "")
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	calls := f.Calls()
	if len(calls) < 3 {
		t.Fatalf("got %d calls; want at least 3 for %d UTF-16 units", len(calls), utf16Len(text))
	}
	var parts []string
	for i, call := range calls {
		part := call.Fields["text"]
		if n := utf16Len(part); n > maxText {
			t.Errorf("part %d: got %d UTF-16 units; want at most %d", i, n, maxText)
		}
		if !strings.HasSuffix(part, "😀") {
			t.Errorf("part %d: got a cut inside a line, ending %q", i, part[len(part)-20:])
		}
		last := i == len(calls)-1
		if _, has := call.Fields["reply_markup"]; has != last {
			t.Errorf("part %d: got reply_markup %v; want it only on the last part", i, has)
		}
		parts = append(parts, part)
	}
	if got := strings.Join(parts, "\n"); got != text {
		t.Errorf("parts joined: got %d bytes; want the original %d", len(got), len(text))
	}
	if want := fmt.Sprint(100 + len(calls) - 1); sent.MessageID != want {
		t.Errorf("MessageID: got %q; want the last part's %q", sent.MessageID, want)
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"fits", "مرحبا بكم", 20, []string{"مرحبا بكم"}},
		{"empty", "  \n ", 10, nil},
		{"at a line break", "سطر أول\nسطر ثان", 10, []string{"سطر أول", "سطر ثان"}},
		{"at a space", "كلمة كلمة كلمة", 10, []string{"كلمة كلمة", "كلمة"}},
		{"no break: between characters", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"emoji count two", "😀😀😀", 4, []string{"😀😀", "😀"}},
		{"a mark stays with its letter", "abcَd", 3, []string{"ab", "cَd"}},
		{"joined emoji stay whole", "ab👩\u200d💻", 5, []string{"ab", "👩\u200d💻"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitText(tc.text, tc.limit); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitText(%q, %d): got %q; want %q", tc.text, tc.limit, got, tc.want)
			}
		})
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("السطر الأول\nالسطر الثاني 😀 مع رموز", 7)
	f.Add("abcَd👩\u200d💻 x", 3)
	f.Fuzz(func(t *testing.T, text string, limit int) {
		limit = 2 + int(uint(limit)%50)
		parts := splitText(text, limit)
		for i, p := range parts {
			if n := utf16Len(p); n > limit && len([]rune(p)) > 1 {
				t.Errorf("part %d %q: got %d units; want at most %d", i, p, n, limit)
			}
			if strings.TrimSpace(p) == "" {
				t.Errorf("part %d: got a blank part", i)
			}
		}
		strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if got, want := strip(strings.Join(parts, "")), strip(text); got != want {
			t.Errorf("got content %q; want %q", got, want)
		}
	})
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		retry     bool
		after     time.Duration
		errSubstr string
	}{
		{"rate limited", 429, telegramtest.AnswerTooManyRequests, true, 3 * time.Second, "Too Many Requests"},
		{"server error", 500, telegramtest.AnswerInternalError, true, 0, "500"},
		{"bad gateway page", 502, "<html><body>502 Bad Gateway</body></html>", true, 0, "sendMessage"},
		{"bot blocked", 403, telegramtest.AnswerBlocked, false, 0, "bot was blocked by the user"},
		{"chat not found", 400, telegramtest.AnswerChatNotFound, false, 0, "chat not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := telegramtest.NewServer(t, testToken)
			c := newTestChannel(t, f, Config{}, nil)
			f.Answer("sendMessage", tc.status, tc.body)
			_, err := c.Send(context.Background(), bot.Reply{Chat: "42", Text: "مرحبا"}, "")
			checkSendError(t, err, tc.retry, tc.after, tc.errSubstr)
			// Only a person who blocked the bot is beyond reach.
			if got, want := errors.Is(err, bot.ErrUnreachable), tc.name == "bot blocked"; got != want {
				t.Errorf("unreachable: %v; want %v (%v)", got, want, err)
			}
		})
	}
}

func checkSendError(t *testing.T, err error, retry bool, after time.Duration, substr string) {
	t.Helper()
	if err == nil {
		t.Fatal("got nil error; want one")
	}
	var re *bot.RetryError
	if got := errors.As(err, &re); got != retry {
		t.Errorf("retryable: got %v; want %v (%v)", got, retry, err)
	}
	if re != nil && re.After != after {
		t.Errorf("After: got %v; want %v", re.After, after)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("got error %q; want it to mention %q", err, substr)
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "AAFakeToken") {
		t.Errorf("got error %q; want no token in it", err)
	}
}

func TestSendErrorsOtherCalls(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	c := newTestChannel(t, f, Config{}, nil)

	f.Answer("editMessageText", 429, telegramtest.AnswerTooManyRequests)
	_, err := c.Send(context.Background(), bot.Reply{Chat: "42", Text: "x", Edit: true}, "77")
	checkSendError(t, err, true, 3*time.Second, "editMessageText")

	f.Answer("answerCallbackQuery", 500, telegramtest.AnswerInternalError)
	_, err = c.Send(context.Background(), bot.Reply{Chat: "42", Notice: true, ButtonToken: "1"}, "")
	checkSendError(t, err, true, 0, "answerCallbackQuery")

	f.Answer("sendPhoto", 403, telegramtest.AnswerBlocked)
	_, err = c.Send(context.Background(), bot.Reply{Chat: "42", Attachments: []shakwa.Attachment{{Kind: "photo", ID: "p"}}}, "")
	checkSendError(t, err, false, 0, "sendPhoto")
}

func TestSendNetworkError(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	c := newTestChannel(t, f, Config{}, nil)
	f.Close()
	_, err := c.Send(context.Background(), bot.Reply{Chat: "42", Text: "مرحبا"}, "")
	checkSendError(t, err, true, 0, "sendMessage")
}

func TestSendInvalidReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply bot.Reply
	}{
		{"chat is not a number", bot.Reply{Chat: "ahmad", Text: "x"}},
		{"no chat", bot.Reply{Text: "x"}},
		{"nothing to send", bot.Reply{Chat: "42", Text: "  "}},
		{"another channel's reply", bot.Reply{Channel: "whatsapp", Chat: "42", Text: "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := telegramtest.NewServer(t, testToken)
			c := newTestChannel(t, f, Config{}, nil)
			_, err := c.Send(context.Background(), tc.reply, "")
			if !errors.Is(err, shakwa.ErrInvalid) {
				t.Errorf("got %v; want ErrInvalid", err)
			}
			var re *bot.RetryError
			if errors.As(err, &re) {
				t.Errorf("got a retryable error; want a permanent one")
			}
			if calls := f.Calls(); len(calls) != 0 {
				t.Errorf("got calls %v; want none", calls)
			}
		})
	}
}

// Not a test of Telegram but of the fake: a wrong token is refused as the
// Bot API refuses it, so the tests above do reach the right URL.
func TestFakeRefusesWrongToken(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	resp, err := http.Post(f.URL()+"/bot1:wrong/getMe", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("got %d; want 401", resp.StatusCode)
	}
}

// TestTokenRefused: a token Telegram refuses (revoked in BotFather) holds
// the channel's sends back rather than losing them, and the channel says
// it is degraded until Telegram takes a call again.
func TestTokenRefused(t *testing.T) {
	f := telegramtest.NewServer(t, testToken)
	c := newTestChannel(t, f, Config{}, nil)
	if err := c.Degraded(); err != nil {
		t.Fatalf("Degraded before any refusal: %v", err)
	}
	f.Answer("sendMessage", 401, telegramtest.AnswerUnauthorized)
	_, err := c.Send(context.Background(), bot.Reply{Chat: "42", Text: "مرحبا"}, "")
	checkSendError(t, err, true, tokenWait, "Unauthorized")
	var re *bot.RetryError
	if errors.As(err, &re) && re.Scope != bot.ScopeChannel {
		t.Errorf("scope %v; want the whole channel held back", re.Scope)
	}
	if d := c.Degraded(); d == nil || strings.Contains(d.Error(), testToken) {
		t.Errorf("Degraded after a refused token: %v; want why, without the token", d)
	}
	if _, err := c.Send(context.Background(), bot.Reply{Chat: "42", Text: "مرحبا"}, ""); err != nil {
		t.Fatal(err)
	}
	if d := c.Degraded(); d != nil {
		t.Errorf("Degraded after a call was taken: %v; want nil", d)
	}
}
