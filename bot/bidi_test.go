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

func TestDirectedKeepsSymbolsAndArabicCommas(t *testing.T) {
	got := bot.Directed("🆕 طلب KRM-000001، وتفاصيله", true)
	want := "\u200f🆕 طلب \u2066KRM-\u2060000001\u2069، وتفاصيله"
	if got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}
