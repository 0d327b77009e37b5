package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"github.com/shakwa/shakwa"
)

const (
	family = "\U0001F468\u200D\U0001F469\u200D\U0001F467" // 👨‍👩‍👧, five code points
	flagAE = "\U0001F1E6\U0001F1EA"                       // 🇦🇪, two
)

// TestBrowserReplyBar answers, on the staff panel, a card whose first line
// is longer than the reply bar quotes (80 characters as a reader counts
// them) and is cut inside a run of emoji: a staff member whose name has a
// family and a flag in it holds the ticket. The bar shows the line's first
// 80 graphemes, whole, then "…": no emoji cut in two (a family without its
// child, half a flag), no lone surrogate, no U+FFFD. Screenshot:
// reply-bar-ar.png.
func TestBrowserReplyBar(t *testing.T) {
	var run []string // the emoji of the name, one grapheme each
	for range 6 {
		run = append(run, family, flagAE)
	}
	name := "أحمد بن سالم بن راشد الشامسي، فريق خدمة المتعاملين " + strings.Join(run, "") + " أبو سالم"
	cfg := strings.Replace(string(shakwa.ExampleConfig), "name: أحمد الشامسي", "name: "+name, 1)
	if cfg == string(shakwa.ExampleConfig) {
		t.Fatal("the example configuration has no أحمد الشامسي to rename")
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ct, st, base, finish := startDemoTabs(t, "citizen", "staff", "-config", file)
	citizenFiles(t, ct, base)

	group := `[data-testid=pane][data-chat="` + krmStaffChat + `"]`
	claim := "claim:" + exampleTicket
	st.do("size as a wide desktop", chromedp.EmulateViewport(1920, 1000)) // the bar shows the emoji
	st.do("open the staff page", chromedp.Navigate(base+"/chat/staff"))
	st.click("choose "+krmStaff, `[data-testid=person][data-id="`+krmStaff+`"]`)
	st.waitReady(group)
	st.waitBubble(group, 0, want{text: []string{exampleTicket}, data: []string{claim}})
	st.click("press "+claim, group+` [data-testid=button][data-data="`+claim+`"]`)
	st.waitBubble(group, 0, want{text: []string{exampleTicket, family}})
	line := get(st, "answer the held card", chromedp.Evaluate[string](`(() => {
		const b = Array.from(document.querySelectorAll(`+jsString(group+` [data-testid=bubble]`)+`))
			.find((b) => b.querySelector('.text') && b.querySelector('.text').textContent.includes(`+jsString(family)+`));
		b.querySelector('[data-testid=reply]').click();
		return b.querySelector('.text').textContent.split('\n')[0];
	})()`))
	st.do("see what is answered", chromedp.WaitVisible(chromedp.CSS(group+` [data-testid=replying]`)))
	barText := `document.querySelector(` + jsString(group+` [data-testid=replying-text]`) + `).textContent`
	bar := get(st, "read the reply bar", chromedp.Evaluate[string](barText))
	if !get(st, "check the bar's UTF-16", chromedp.Evaluate[bool](barText+`.isWellFormed()`)) {
		t.Errorf("reply bar %q: a lone surrogate in it; want whole characters", bar)
	}
	st.do("let the claim's notice go", chromedp.WaitNotVisible(chromedp.CSS(`[data-testid=toast]`)))
	saveScreenshot(t, st, "reply-bar-ar.png")

	// Where the cut falls: the line's head (one code point a grapheme)
	// and the emoji that follow it.
	start := strings.Index(line, run[0])
	head := line[:max(start, 0)]
	if start < 0 || strings.ContainsAny(head, "\u200c\u200d\ufe0f") {
		t.Fatalf("the card's first line %q: want the name's emoji in it after characters of one code point each", line)
	}
	k := 80 - utf8.RuneCountInString(head) // emoji in the 80 graphemes
	if k < 1 || k >= len(run) {
		t.Fatalf("the card's first line %q has %d graphemes before the emoji; want the 80th among them", line, k)
	}
	if cps, units := 80-utf8.RuneCountInString(head), 80-len(utf16.Encode([]rune(head))); onBoundary(run, cps, runeLen) || onBoundary(run, units, utf16Len) {
		t.Fatalf("the card's first line %q: a cut of 80 code points or UTF-16 units falls between emoji; want it inside one", line)
	}
	want := head + strings.Join(run[:k], "") + "…"
	if bar != want || strings.ContainsRune(bar, utf8.RuneError) {
		t.Errorf("reply bar:\n%q\nwant the first 80 graphemes of the line, whole, then …:\n%q", bar, want)
	}
	finish()
}

func runeLen(s string) int  { return utf8.RuneCountInString(s) }
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// onBoundary reports whether n units of size into run end between two of
// its emoji.
func onBoundary(run []string, n int, size func(string) int) bool {
	for _, e := range run {
		if n <= 0 {
			return n == 0
		}
		n -= size(e)
	}
	return n == 0
}
