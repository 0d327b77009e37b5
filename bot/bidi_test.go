package bot_test

import (
	"strings"
	"testing"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/internal/bidicheck"
)

// misread are lines of Arabic messages that clients show wrongly without
// marks; fine are lines they show rightly already.
var (
	misread = []string{
		"أو اكتب /reply KRM-000001 النص",
		"✅ KRM-000123 استلمتها فاطمة",
		"KRM-000123 · الانتظار · مركز الكرامة",
		"📞 الهاتف: +971 50 123 4567",
		"📞 الهاتف: +9715•••••67",
		"اكتب /stats month أو /ranking",
		"I waited three hours at the counter.",
		"⭐⭐⭐",
	}
	fine = []string{
		"الموظف John Smith (KRM) استلم التذكرة.",
		"رقم تذكرتك: KRM-000123. اكتبه لمتابعتها.",
		"استلم 3 · عالج 2 · ⭐ 4.5 · 🙏 1",
		"⏱ موعد الاستلام: 2026-12-17 10:30",
		"مركز (Al Barsha) في دبي",
		"انتظرت عند (Counter 12) ساعتين",
		"الموظف Ahmed (desk 4) ساعدني",
	}
)

func TestDirectedReadsRight(t *testing.T) {
	for _, line := range misread {
		if len(bidicheck.Problems(line)) == 0 {
			t.Errorf("%q reads right unmarked: the check is blind", line)
		}
	}
	for _, line := range fine {
		if p := bidicheck.Problems(line); len(p) > 0 {
			t.Errorf("%q reads wrong unmarked: %v", line, p)
		}
	}
	for _, line := range append(misread, fine...) {
		got := bot.Directed(line, true)
		if p := bidicheck.Problems(got); len(p) > 0 {
			t.Errorf("Directed(%q) = %q: %v", line, got, p)
		}
		if again := bot.Directed(got, true); again != got {
			t.Errorf("Directed twice of %q = %q; want %q", line, again, got)
		}
		if back := bot.Undirected(got); back != line {
			t.Errorf("Undirected(Directed(%q)) = %q", line, back)
		}
	}
	// Numbers that read right alone are left alone.
	for _, s := range []string{"استلم 3 · عالج 2", "⭐ 4.5 من 5", "الساعة 10:30", "99.5 %"} {
		if got := bot.Directed(s, true); strings.ContainsRune(got, '\u2066') {
			t.Errorf("Directed(%q) = %q: isolates a number that needs none", s, got)
		}
	}
}

func TestDirectedTickets(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Ticket KRM-000123 is closed", "Ticket KRM-\u2060000123 is closed"},
		{"see AB-1 and x-1 and ABCDEFG-1", "see AB-\u20601 and x-1 and ABCDEFG-1"},
		{"2026-12-01", "2026-12-01"},
		{"aKRM-000123", "aKRM-000123"},
	} {
		if got := bot.Directed(tc.in, false); got != tc.want {
			t.Errorf("Directed(%q, false) = %q; want %q", tc.in, got, tc.want)
		}
	}
	if got := bot.Directed("التذكرة KRM-000123", true); !strings.Contains(got, "KRM-\u2060000123") {
		t.Errorf("Directed Arabic = %q: the ticket number can break", got)
	}
}

func TestRTL(t *testing.T) {
	for lang, want := range map[string]bool{"ar": true, "ar-AE": true, "AR": true, "fa": true, "en": false, "": false, "fr": false} {
		if got := bot.RTL(lang); got != want {
			t.Errorf("RTL(%q) = %v; want %v", lang, got, want)
		}
	}
}

// A long Arabic text cut into parts: each part starts right to left, and
// stays within the limit.
func TestSplitKeepsDirection(t *testing.T) {
	text := bot.Directed(strings.Repeat("الموظف John Smith استلم KRM-000123 وكتب ", 40), true)
	parts := bot.SplitText(text, 100, bot.UTF16)
	if len(parts) < 10 {
		t.Fatalf("%d parts; want many", len(parts))
	}
	for i, p := range parts {
		if w := bot.TextWidth(p, bot.UTF16); w > 100 {
			t.Errorf("part %d is %d wide; want at most 100", i, w)
		}
		if pr := bidicheck.Problems(p); len(pr) > 0 {
			t.Errorf("part %d %q: %v", i, p, pr)
		}
	}
	english := bot.SplitText(strings.Repeat("Ticket KRM-000123 was claimed. ", 20), 100, bot.UTF16)
	for _, p := range english {
		if strings.ContainsRune(p, '\u200f') {
			t.Errorf("English part %q marked right to left", p)
		}
	}
}

// balanced fails the test when a part leaves an isolate open or closes
// one it did not open: the rest of the part, or the next, would read in
// the wrong order.
func balanced(t *testing.T, parts []string) {
	t.Helper()
	for i, p := range parts {
		depth := 0
		for _, r := range p {
			switch r {
			case '\u2066', '\u2067', '\u2068':
				depth++
			case '\u2069':
				if depth--; depth < 0 {
					t.Errorf("part %d closes an isolate it did not open: %.40q", i, p)
				}
			}
		}
		if depth > 0 {
			t.Errorf("part %d leaves %d isolates open: …%q", i, depth, string([]rune(p)[max(0, len([]rune(p))-40):]))
		}
	}
}

// An Arabic reply with a long Latin tail (a pasted English message, an
// address) in one isolate: it is cut before the isolate, not inside it.
func TestSplitOutsideIsolates(t *testing.T) {
	latin := strings.TrimSpace(strings.Repeat("word ", 400))
	text := bot.Directed(strings.Repeat("نص عربي طويل ", 300)+latin+" نهاية", true)
	parts := bot.SplitText(text, 4096, bot.UTF16)
	balanced(t, parts)
	if len(parts) != 2 || !strings.Contains(parts[1], "\u2066"+latin+"\u2069") {
		t.Errorf("%d parts; want 2, the second with the whole Latin run in its isolate", len(parts))
	}
	for i, p := range parts {
		if w := bot.TextWidth(p, bot.UTF16); w > 4096 {
			t.Errorf("part %d is %d wide; want at most 4096", i, w)
		}
	}
}

// An isolate longer than a part must be cut: the part closes it and the
// next opens it again, and every part reads as written.
func TestSplitInsideIsolate(t *testing.T) {
	latin := strings.TrimSpace(strings.Repeat("Al Barsha Centre 2 ", 30))
	for _, text := range []string{
		bot.Directed("العنوان: "+latin+" شكراً", true),
		"قال \u2067" + "كلام \u2066" + latin + "\u2069 طويل\u2069 ثم انتهى", // nested, kept as written
	} {
		parts := bot.SplitText(text, 100, bot.UTF16)
		if len(parts) < 5 {
			t.Fatalf("%d parts; want the Latin run cut in several", len(parts))
		}
		balanced(t, parts)
		for i, p := range parts {
			if w := bot.TextWidth(p, bot.UTF16); w > 100 {
				t.Errorf("part %d is %d wide; want at most 100", i, w)
			}
			if pr := bidicheck.Problems(p); len(pr) > 0 {
				t.Errorf("part %d %q: %v", i, p, pr)
			}
		}
		marks := func(r rune) rune {
			if strings.ContainsRune(" \u200f\u2066\u2067\u2068\u2069", r) {
				return -1
			}
			return r
		}
		if got, want := strings.Map(marks, strings.Join(parts, "")), strings.Map(marks, text); got != want {
			t.Errorf("parts joined read %q; want %q", got, want)
		}
	}
	// However small the limit, cutting inside an isolate advances.
	for limit := 1; limit <= 6; limit++ {
		if parts := bot.SplitText(bot.Directed("ب Al Barsha Centre", true), limit, bot.UTF16); len(parts) == 0 || len(parts) > 40 {
			t.Errorf("limit %d: %d parts", limit, len(parts))
		}
	}
}

func TestDirectedKeepsSymbolsAndArabicCommas(t *testing.T) {
	got := bot.Directed("🆕 طلب KRM-000001، وتفاصيله", true)
	want := "\u200f🆕 طلب \u2066KRM-\u2060000001\u2069، وتفاصيله"
	if got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

// TestLone: a label shown on its own loses the marks that change nothing
// there, and is shown as it was with them.
func TestLone(t *testing.T) {
	for _, tc := range []struct {
		label string
		rtl   bool
		want  string // "" for Directed's whole
	}{
		{"🌐 Language / اللغة", true, "\u200f🌐 Language / اللغة"},
		{"✋ استلام KRM-000123", true, "✋ استلام KRM-000123"},
		{"KRM-000123", true, "KRM-000123"},
		{"KRM-000123", false, "KRM-000123"},
		{"📄 عرض KRM-000123", true, "📄 عرض KRM-000123"},
		{"English", true, "English"},
		{"🌐 Language", true, "\u200f🌐 Language"},                               // the emoji goes right only with the mark
		{"اكتب /reply KRM-000001", true, "اكتب \u2066/reply KRM-000001\u2069"}, // "/" would move
		{"📞 الهاتف: +971 50 123 4567", true, ""},                               // the groups would turn
		{"مركز (Al Barsha)", true, ""},
		{"نعم، الطلب نفسه", true, "نعم، الطلب نفسه"},
		// A digit after a Latin run would join it without the isolate.
		{"فرع City Walk - 3", true, ""},
		{"الطلب KRM-000123 - 15", true, "الطلب \u2066KRM-000123\u2069 - 15"},
		{"استلام KRM-000123، 5 دقائق", true, "استلام \u2066KRM-000123\u2069، 5 دقائق"},
		{"نعم، Yes 5%", true, ""},
	} {
		directed := bot.Directed(tc.label, tc.rtl)
		want := tc.want
		if want == "" {
			want = directed
		}
		got := bot.Lone(directed)
		if got != want {
			t.Errorf("Lone(Directed(%q)) = %q; want %q", tc.label, got, want)
		}
		if shown, _ := bidicheck.Visual(got); shown != func() string { s, _ := bidicheck.Visual(directed); return s }() {
			t.Errorf("Lone(Directed(%q)) = %q is shown %q; Directed's %q", tc.label, got, shown, directed)
		}
	}
}
