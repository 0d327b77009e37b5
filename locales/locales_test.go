package locales

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/internal/bidicheck"
)

// sample has a value for every template field any message uses.
var sample = map[string]any{
	"Name": "سالم", "Ticket": "KRM-000123", "Tickets": "KRM-000123، BRS-000123", "Centre": "الكرامة", "Category": "الانتظار",
	"Status": "جديد", "Text": "نص", "Excerpt": "نص", "Created": "2026-11-20 09:00",
	"Updated": "2026-11-20 10:00", "Age": "ساعتان", "Holder": "فاطمة", "Resolution": "تم",
	"Files": 2, "Phone": "+9715•••••67", "Response": "30 دقيقة", "Resolve": "يومان",
	"Max": 2000, "Kind": "sticker", "To": "البرشاء", "Staff": "أحمد", "Period": "اليوم",
	"From": "a", "Body": "b", "Received": 1, "Resolved": 1, "Open": 1, "ClaimMedian": "x",
	"ClaimP90": "x", "ResolveMedian": "x", "ResolveP90": "x", "ClaimSLA": "90%",
	"ResolveSLA": "80%", "Rating": "4.5", "Reason": "(#131026) Message undeliverable", "Channel": "whatsapp", "Rated": 3, "N": 5, "FeedbackStars": "4.2", "Thanks": 2, "Feedback": 7,
	"Day": 17, "Month": "ديسمبر", "Year": 2026, "FromMonth": "نوفمبر", "ToMonth": "ديسمبر", "FromYear": 2025,
	"ToYear": 2026, "M": 59, "H": 1, "D": 2, "Icon": "📊", "Span": "هذا الشهر", "Dates": "1–17 ديسمبر 2026", "Centres": "3 مراكز",
	"Old": "", "Avg": "4.35", "P": "61%", "Why": "سبب", "What": "الرضا", "Median": "ساعة", "Target": "يومان",
	"Claim": "90%", "At": "2026-12-17 10:30", "Due": "⏱ موعد الاستلام: 2026-12-17 10:30", "By": "نورة", "Passed": true, "Of": "KRM-000001", "Place": 1, "Stars": "5.5", "Min": 10, "List": "مركز الكرامة", "Claimed": 3, "ReplyMedian": "دقيقة", "Breakdown": "", "ReplyHint": "اكتب هنا",
	"Who": "فاطمة", "Code": "48215530", "Role": "موظف", "ID": "123", "Lines": "2026-12-17 10:30 · استلمه فاطمة", "When": "2026-12-17 10:30", "Via": "تيليجرام",
	"Mark": "غير متحقق", "Owner": "فريق الاستقبال", "Priority": "الكفاءة", "Standard": "زمن الانتظار معلن", "Done": 4, "Total": 12,
	"Days": 7, "Names": "نورة", "Complaints": 60, "Assessment": 25, "Visits": 15, "Question": "لباقة الموظف",
	"Value": "4 من 5", "Scores": "• لباقة الموظف: 4 من 5", "After": "36 ساعة",
}

func TestSameKeys(t *testing.T) {
	b, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	ar, en := b.Keys("ar"), b.Keys("en")
	if len(ar) == 0 || !reflect.DeepEqual(ar, en) {
		t.Errorf("ar and en keys differ:\nar only: %v\nen only: %v", diff(ar, en), diff(en, ar))
	}
}

// TestEveryMessageRenders renders each message in each language, plural
// messages at counts that select every Arabic form (0, 1, 2, 3, 11, 100).
func TestEveryMessageRenders(t *testing.T) {
	b, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Langs() {
		for _, key := range b.Keys(lang) {
			counts := []any{nil}
			if b.Plural(key) {
				counts = []any{0, 1, 2, 3, 11, 100}
			}
			for _, n := range counts {
				data := map[string]any{}
				for k, v := range sample {
					data[k] = v
				}
				if n != nil {
					data["Count"] = n
				}
				got, err := b.Render(lang, key, data)
				if err != nil {
					t.Errorf("%s %s count %v: %v", lang, key, n, err)
				}
				if got == "" || strings.Contains(got, "<no value>") || strings.Contains(got, "{{") {
					t.Errorf("%s %s count %v rendered %q", lang, key, n, got)
				}
			}
		}
	}
}

// TestArabicReadsRight renders every Arabic message, marked as every
// reply is on its way out (bot.Directed), and reads it as a right-to-left
// client shows it: each line right to left, each ticket number, command
// and phone number in the order written.
func TestArabicReadsRight(t *testing.T) {
	b, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	misread := 0
	for _, key := range b.Keys("ar") {
		data := map[string]any{"Count": 3}
		for k, v := range sample {
			data[k] = v
		}
		got, err := b.Render("ar", key, data)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if len(bidicheck.Problems(got)) > 0 {
			misread++
		}
		if p := bidicheck.Problems(bot.Directed(got, true)); len(p) > 0 {
			t.Errorf("%s reads wrong: %v", key, p)
		}
	}
	t.Logf("%d Arabic messages would read wrong unmarked", misread)
	if misread == 0 {
		t.Error("no Arabic message reads wrong unmarked: the check is blind")
	}
}

func TestArabicPluralForms(t *testing.T) {
	b, _ := New(nil)
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "أقل من دقيقة"}, {1, "دقيقة واحدة"}, {2, "دقيقتين"}, {3, "3 دقائق"}, {10, "10 دقائق"},
		{11, "11 دقيقة"}, {99, "99 دقيقة"}, {100, "100 دقيقة"}, {103, "103 دقائق"}} {
		if got := b.Text("ar", "dur.minutes", map[string]any{"Count": tc.n}); got != tc.want {
			t.Errorf("dur.minutes %d = %q; want %q", tc.n, got, tc.want)
		}
	}
}

// TestTextReportsMissing: a message that is not there reaches onError.
func TestTextReportsMissing(t *testing.T) {
	var missing []string
	b, err := New(func(lang, key string, err error) { missing = append(missing, lang+" "+key) })
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Text("ar", "no.such.key", nil); got != "no.such.key" {
		t.Errorf("Text of a missing key = %q; want the key", got)
	}
	b.Text("en", "menu.title", nil)
	if len(missing) != 1 || missing[0] != "ar no.such.key" {
		t.Errorf("reported %v; want only the missing key", missing)
	}
}

func TestIs(t *testing.T) {
	b, _ := New(nil)
	for _, tc := range []struct {
		key, text string
		want      bool
	}{
		{"words.cancel", "إلغاء", true}, {"words.cancel", "الغاء", true}, {"words.cancel", " إلغاءْ! ", true},
		{"words.cancel", "CANCEL", true}, {"words.cancel", "Cancel.", true}, {"words.cancel", "الغاء الطلب", false},
		{"words.skip", "تخطى", true}, {"words.back", "رجوع", true}, {"words.back", "الرجوع", false},
		{"words.cancel", "", false},
	} {
		if got := b.Is(tc.key, tc.text); got != tc.want {
			t.Errorf("Is(%s, %q) = %v; want %v", tc.key, tc.text, got, tc.want)
		}
	}
}

func TestDigits(t *testing.T) {
	for in, want := range map[string]string{"٠١٢٣٤٥٦٧٨٩": "0123456789", "۰۱۲۳۴۵۶۷۸۹": "0123456789", "KRM-٠٠١٢": "KRM-0012", "abc": "abc"} {
		if got := Digits(in); got != want {
			t.Errorf("Digits(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestLang(t *testing.T) {
	for in, want := range map[string]string{"en": "en", "en-GB": "en", "ar-AE": "ar", "": "ar", "fr": "ar", "EN": "en"} {
		if got := Lang(in); got != want {
			t.Errorf("Lang(%q) = %q; want %q", in, got, want)
		}
	}
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, k := range b {
		in[k] = true
	}
	var out []string
	for _, k := range a {
		if !in[k] {
			out = append(out, k)
		}
	}
	return out
}

// TestIsUnknownList: matching against a word list that is not there is a
// mistake in the program, reported like a missing message.
func TestIsUnknownList(t *testing.T) {
	var missing []string
	b, err := New(func(lang, key string, err error) { missing = append(missing, key) })
	if err != nil {
		t.Fatal(err)
	}
	if b.Is("words.nosuch", "cancel") {
		t.Error("an unknown list matched")
	}
	if len(missing) != 1 || missing[0] != "words.nosuch" {
		t.Errorf("reported %v; want the unknown list", missing)
	}
}

// BenchmarkIs is one message matched against the lists every private
// message is.
func BenchmarkIs(b *testing.B) {
	bu, err := New(nil)
	if err != nil {
		b.Fatal(err)
	}
	lists := []string{"words.forget", "words.cancel", "words.back", "words.skip", "words.confirm",
		"words.yes", "words.no", "words.today", "words.yesterday", "words.hello"}
	b.ReportAllocs()
	for b.Loop() {
		f := Fold("الموظف لم يرد على اتصالي منذ أسبوع")
		for _, k := range lists {
			bu.IsFolded(k, f)
		}
	}
}
