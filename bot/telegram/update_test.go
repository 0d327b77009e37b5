package telegram

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

const (
	citizenFrom = `{"id":42,"is_bot":false,"first_name":"أحمد","last_name":"علي","username":"ahmad","language_code":"ar"}`
	citizenChat = `{"id":42,"first_name":"أحمد","last_name":"علي","username":"ahmad","type":"private"}`
	staffFrom   = `{"id":7,"is_bot":false,"first_name":"Mona","language_code":"en"}`
	staffChat   = `{"id":-1001234567890,"title":"موظفو مركز الكرامة","type":"supergroup"}`
	date        = 1767225600 // 2026-01-01T00:00:00Z
)

var sentAt = time.Unix(date, 0).UTC()

var citizen = bot.User{ID: "42", Name: "أحمد علي", Lang: "ar"}

func msgUpdate(id int, fields string) string {
	return `{"update_id":` + strconv.Itoa(id) + `,"message":{"message_id":500,"from":` + citizenFrom +
		`,"chat":` + citizenChat + `,"date":` + strconv.Itoa(date) + `,` + fields + `}}`
}

func private(id string) *bot.Message {
	return &bot.Message{ID: id, Channel: "telegram", Chat: "42", From: citizen, Time: sentAt}
}

func with(m *bot.Message, f func(*bot.Message)) *bot.Message {
	f(m)
	return m
}

// conversionCases are real-shaped updates and what they become; nil means
// the update is acknowledged and dropped.
var conversionCases = []struct {
	name string
	json string
	want *bot.Message
}{
	{
		name: "arabic text",
		json: msgUpdate(1001, `"text":"مرحبا، لدي شكوى بخصوص *التأخير* في <المعاملة> _العاجلة_"`),
		want: with(private("tg:1001"), func(m *bot.Message) {
			m.Text = "مرحبا، لدي شكوى بخصوص *التأخير* في <المعاملة> _العاجلة_"
		}),
	},
	{
		name: "command addressed to us",
		json: msgUpdate(1002, `"text":"/start@ShakwaBot KRM-000123","entities":[{"offset":0,"length":16,"type":"bot_command"}]`),
		want: with(private("tg:1002"), func(m *bot.Message) { m.Text = "/start KRM-000123" }),
	},
	{
		name: "command with our name after arabic text",
		json: msgUpdate(1003, `"text":"متابعة شكوى /status@shakwabot ٠٠٠١٢٣","entities":[{"offset":12,"length":17,"type":"bot_command"}]`),
		want: with(private("tg:1003"), func(m *bot.Message) { m.Text = "متابعة شكوى /status ٠٠٠١٢٣" }),
	},
	{
		name: "command for another bot kept",
		json: msgUpdate(1004, `"text":"/start@OtherBot","entities":[{"offset":0,"length":15,"type":"bot_command"}]`),
		want: with(private("tg:1004"), func(m *bot.Message) { m.Text = "/start@OtherBot" }),
	},
	{
		name: "staff reply in group",
		json: `{"update_id":1005,"message":{"message_id":900,"from":` + staffFrom + `,"chat":` + staffChat +
			`,"date":1767225600,"reply_to_message":{"message_id":880,"from":` + telegramtest.BotUser + `,"chat":` + staffChat +
			`,"date":1767225000,"text":"تذكرة KRM-000123"},"text":"تم التواصل مع المتعامل"}}`,
		want: &bot.Message{ID: "tg:1005", Channel: "telegram", Chat: "-1001234567890", Group: true,
			From: bot.User{ID: "7", Name: "Mona", Lang: "en"}, Text: "تم التواصل مع المتعامل", ReplyTo: "880", Time: sentAt},
	},
	{
		name: "photo with caption",
		json: msgUpdate(1006, `"photo":[{"file_id":"AgAD-small","file_unique_id":"s","width":90,"height":67,"file_size":1200},`+
			`{"file_id":"AgAD-large","file_unique_id":"l","width":1280,"height":960,"file_size":98000},`+
			`{"file_id":"AgAD-medium","file_unique_id":"m","width":320,"height":240,"file_size":15000}],"caption":"صورة الإيصال"`),
		want: with(private("tg:1006"), func(m *bot.Message) {
			m.Text = "صورة الإيصال"
			m.Attachments = []shakwa.Attachment{{Kind: "photo", ID: "AgAD-large", From: "telegram", Mime: "image/jpeg", Size: 98000}}
		}),
	},
	{
		name: "photo of an album",
		json: msgUpdate(1040, `"media_group_id":"13579246801357924","photo":[{"file_id":"AgAD-a","file_unique_id":"a","width":1280,"height":960,"file_size":98000}]`),
		want: with(private("tg:1040"), func(m *bot.Message) {
			m.Attachments = []shakwa.Attachment{{Kind: "photo", ID: "AgAD-a", From: "telegram", Mime: "image/jpeg", Size: 98000}}
			m.Album = "13579246801357924"
		}),
	},
	{
		name: "document",
		json: msgUpdate(1007, `"document":{"file_name":"شكوى.pdf","mime_type":"application/pdf","file_id":"BQACAgIAAxkBAAI","file_unique_id":"AgAD","file_size":52311}`),
		want: with(private("tg:1007"), func(m *bot.Message) {
			m.Attachments = []shakwa.Attachment{{Kind: "document", ID: "BQACAgIAAxkBAAI", From: "telegram", Name: "شكوى.pdf", Mime: "application/pdf", Size: 52311}}
		}),
	},
	{
		name: "own contact",
		json: msgUpdate(1008, `"contact":{"phone_number":"+201001234567","first_name":"أحمد","user_id":42}`),
		want: with(private("tg:1008"), func(m *bot.Message) { m.Phone = "+201001234567" }),
	},
	{
		name: "someone else's contact",
		json: msgUpdate(1009, `"contact":{"phone_number":"+201009999999","first_name":"سامي","user_id":77}`),
		want: with(private("tg:1009"), func(m *bot.Message) { m.Unsupported = "contact" }),
	},
	{
		name: "contact without a user",
		json: msgUpdate(1010, `"contact":{"phone_number":"+201009999999","first_name":"سامي"}`),
		want: with(private("tg:1010"), func(m *bot.Message) { m.Unsupported = "contact" }),
	},
	{
		name: "sticker",
		json: msgUpdate(1011, `"sticker":{"file_id":"CAACAgIAAxk","file_unique_id":"x","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false,"emoji":"😀"}`),
		want: with(private("tg:1011"), func(m *bot.Message) { m.Unsupported = "sticker" }),
	},
	{
		name: "voice",
		json: msgUpdate(1012, `"voice":{"file_id":"AwACAgIAAxk","file_unique_id":"v","duration":4,"mime_type":"audio/ogg"}`),
		want: with(private("tg:1012"), func(m *bot.Message) { m.Unsupported = "voice" }),
	},
	{
		name: "video with caption",
		json: msgUpdate(1013, `"video":{"file_id":"BAACAgIAAxk","file_unique_id":"w","width":640,"height":360,"duration":9},"caption":"فيديو الطابور"`),
		want: with(private("tg:1013"), func(m *bot.Message) { m.Unsupported = "video"; m.Text = "فيديو الطابور" }),
	},
	{
		name: "animation also carries a document",
		json: msgUpdate(1014, `"animation":{"file_id":"CgACAgQAAxk","file_unique_id":"a","width":320,"height":240,"duration":3},"document":{"file_id":"CgACAgQAAxk","file_unique_id":"a"}`),
		want: with(private("tg:1014"), func(m *bot.Message) { m.Unsupported = "animation" }),
	},
	{
		name: "venue also carries a location",
		json: msgUpdate(1015, `"location":{"latitude":30.04,"longitude":31.23},"venue":{"location":{"latitude":30.04,"longitude":31.23},"title":"المركز","address":"شارع النيل"}`),
		want: with(private("tg:1015"), func(m *bot.Message) { m.Unsupported = "venue" }),
	},
	{
		name: "location",
		json: msgUpdate(1016, `"location":{"latitude":30.04,"longitude":31.23}`),
		want: with(private("tg:1016"), func(m *bot.Message) { m.Unsupported = "location" }),
	},
	{
		name: "button press in private chat",
		json: `{"update_id":1017,"callback_query":{"id":"4382bfdwdsb323b2d9","from":` + citizenFrom +
			`,"message":{"message_id":640,"from":` + telegramtest.BotUser + `,"chat":` + citizenChat +
			`,"date":1767225000,"text":"اختر المركز","reply_markup":{"inline_keyboard":[[{"text":"الكرامة","callback_data":"centre:KRM"}]]}},` +
			`"chat_instance":"-8446375528839237","data":"centre:KRM"}}`,
		want: &bot.Message{ID: "tg:1017", Channel: "telegram", Chat: "42", From: citizen,
			Button: "centre:KRM", ButtonToken: "4382bfdwdsb323b2d9", ReplyTo: "640", Time: testNow},
	},
	{
		name: "button press on a staff card",
		json: `{"update_id":1018,"callback_query":{"id":"99001","from":` + staffFrom +
			`,"message":{"message_id":880,"chat":` + staffChat + `,"date":1767225000,"text":"تذكرة"},"chat_instance":"1","data":"claim:KRM-000123"}}`,
		want: &bot.Message{ID: "tg:1018", Channel: "telegram", Chat: "-1001234567890", Group: true,
			From: bot.User{ID: "7", Name: "Mona", Lang: "en"}, Button: "claim:KRM-000123", ButtonToken: "99001", ReplyTo: "880", Time: testNow},
	},
	{
		name: "button press on an inaccessible message",
		json: `{"update_id":1019,"callback_query":{"id":"99002","from":` + citizenFrom +
			`,"message":{"message_id":12,"chat":` + citizenChat + `,"date":0},"chat_instance":"1","data":"rate:5"}}`,
		want: &bot.Message{ID: "tg:1019", Channel: "telegram", Chat: "42", From: citizen,
			Button: "rate:5", ButtonToken: "99002", ReplyTo: "12", Time: testNow},
	},
	{
		name: "forwarded text with an origin the library does not know",
		json: msgUpdate(1020, `"forward_origin":{"type":"future_kind","date":1767000000},"text":"نص محول"`),
		want: with(private("tg:1020"), func(m *bot.Message) { m.Text = "نص محول" }),
	},
	{
		name: "edited message in a private chat: told, without its words",
		json: `{"update_id":1030,"edited_message":{"message_id":500,"from":` + citizenFrom + `,"chat":` + citizenChat + `,"date":1767225600,"edit_date":1767225700,"text":"تعديل"}}`,
		want: &bot.Message{ID: "tg:1030", Channel: "telegram", Chat: "42", From: citizen, Unsupported: "edited",
			Time: time.Unix(1767225700, 0).UTC()},
	},
	{
		name: "edited message in a group ignored",
		json: `{"update_id":1036,"edited_message":{"message_id":501,"from":` + staffFrom + `,"chat":` + staffChat + `,"date":1767225600,"edit_date":1767225700,"text":"تعديل"}}`,
	},
	{
		name: "member change ignored",
		json: `{"update_id":1031,"my_chat_member":{"chat":` + staffChat + `,"from":` + staffFrom + `,"date":1767225600,` +
			`"old_chat_member":{"status":"left","user":` + telegramtest.BotUser + `},"new_chat_member":{"status":"member","user":` + telegramtest.BotUser + `}}}`,
	},
	{
		name: "channel post ignored",
		json: `{"update_id":1032,"channel_post":{"message_id":3,"chat":{"id":-1009876,"title":"أخبار","type":"channel"},"date":1767225600,"text":"خبر"}}`,
	},
	{
		name: "service message ignored",
		json: `{"update_id":1033,"message":{"message_id":901,"from":` + staffFrom + `,"chat":` + staffChat +
			`,"date":1767225600,"new_chat_members":[` + citizenFrom + `]}}`,
	},
	{
		name: "inline-mode button press ignored",
		json: `{"update_id":1034,"callback_query":{"id":"99003","from":` + citizenFrom + `,"inline_message_id":"AAAA","chat_instance":"1","data":"x"}}`,
	},
	{
		name: "game button press ignored",
		json: `{"update_id":1035,"callback_query":{"id":"99004","from":` + citizenFrom +
			`,"message":{"message_id":12,"chat":` + citizenChat + `,"date":1767225000},"chat_instance":"1","game_short_name":"g"}}`,
	},
}

func TestToMessage(t *testing.T) {
	for _, tc := range conversionCases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := decodeUpdate([]byte(tc.json))
			if err != nil {
				t.Fatalf("decodeUpdate: %v", err)
			}
			got := toMessage(u, "ShakwaBot", testNow)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v; want %+v", got, tc.want)
			}
		})
	}
}

func TestNormaliseCommands(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/start@ShakwaBot", "/start"},
		{"/start@shakwabot", "/start"},
		{"/help@ShakwaBot\nسطر ثان", "/help\nسطر ثان"},
		{"شكوى /status@ShakwaBot KRM-1 /close@ShakwaBot", "شكوى /status KRM-1 /close"},
		{"/start@ShakwaBotX", "/start@ShakwaBotX"},
		{"/start@OtherBot", "/start@OtherBot"},
		{"mail a/b@ShakwaBot", "mail a/b@ShakwaBot"},
		{"شكوى/status@ShakwaBot", "شكوى/status@ShakwaBot"},
		{"/@ShakwaBot", "/@ShakwaBot"},
		{"/a@ShakwaBot@ShakwaBot", "/a@ShakwaBot@ShakwaBot"},
		{"@ShakwaBot", "@ShakwaBot"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := normaliseCommands(tc.in, "ShakwaBot"); got != tc.want {
			t.Errorf("normaliseCommands(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeUpdateRejectsNonObjects(t *testing.T) {
	for _, in := range []string{``, `[]`, `"x"`, `{"update_id":"one"}`, `{`} {
		if _, err := decodeUpdate([]byte(in)); err == nil {
			t.Errorf("decodeUpdate(%q): got nil error; want one", in)
		}
	}
}

func FuzzToMessage(f *testing.F) {
	for _, tc := range conversionCases {
		f.Add([]byte(tc.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := decodeUpdate(data)
		if err != nil {
			return
		}
		m := toMessage(u, "ShakwaBot", testNow)
		if m == nil {
			return
		}
		if want := "tg:" + strconv.FormatInt(u.UpdateID, 10); m.ID != want {
			t.Errorf("ID: got %q; want %q", m.ID, want)
		}
		if m.Channel != "telegram" {
			t.Errorf("Channel: got %q; want telegram", m.Channel)
		}
		if _, err := strconv.ParseInt(m.Chat, 10, 64); err != nil {
			t.Errorf("Chat: got %q; want a decimal chat id", m.Chat)
		}
		if m.Phone != "" && m.Unsupported != "" {
			t.Errorf("got Phone %q and Unsupported %q; want at most one", m.Phone, m.Unsupported)
		}
		if m.Button != "" && (m.Text != "" || m.ButtonToken == "") {
			t.Errorf("button press: got Text %q, ButtonToken %q; want no text and a token", m.Text, m.ButtonToken)
		}
		if again := normaliseCommands(m.Text, "ShakwaBot"); again != m.Text {
			t.Errorf("normaliseCommands not idempotent: got %q; want %q", again, m.Text)
		}
		if strings.Count(m.Text, "@") > strings.Count(u.text(), "@") {
			t.Errorf("Text %q has more @ than the update", m.Text)
		}
	})
}

// text is the text or caption of u's message, for the fuzz invariants.
func (u *update) text() string {
	if u.Message == nil {
		return ""
	}
	if u.Message.Text != "" {
		return u.Message.Text
	}
	return u.Message.Caption
}
