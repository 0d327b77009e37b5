package main

import (
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPhone walks the chat on a phone-sized screen (390×844) in
// Arabic against "shakwa demo": after every step the composer is inside
// the viewport and the page itself does not scroll; a photo's message and
// the next question are scrolled fully into view; a text over the limit
// stays in the box, counted; choosing English in the chat's menu turns the
// page English and left to right. Then, on a desktop screen, an Arabic
// staff card reads right to left and a supervisor's groups are tabs.
// Screenshots: phone-ar.png, phone-long-text.png, phone-en.png,
// staff-card-ar.png, supervisor-tabs-ar.png, supervisor-phone-ar.png.
func TestBrowserPhone(t *testing.T) {
	c, st, base, finish := startDemoTabs(t, "phone", "staff-desktop")

	c.do("size as a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	c.do("open the chat", chromedp.Navigate(base+"/chat"))
	c.waitReady(citizenPane)
	c.waitBubble(citizenPane, 0, want{data: []string{"menu:complaint"}})
	c.composerInView("the menu")
	c.press(citizenPane, "menu:complaint", want{data: []string{"centre:KRM"}})
	c.composerInView("the centres")
	c.press(citizenPane, "centre:KRM", want{data: []string{"cat:waiting_time"}})
	c.composerInView("the categories")
	c.press(citizenPane, "cat:waiting_time", want{data: []string{"cancel"}})
	c.composerInView("the description question")

	// A photo: its message, and the bot's next words, fully in view.
	photo := filepath.Join(t.TempDir(), "counter.png")
	if err := os.WriteFile(photo, picture(t, "png", color.RGBA{40, 90, 200, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	n := c.count(citizenPane + ` [data-testid=bubble]`)
	c.do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS(citizenPane+` [data-testid=attach]`), []string{photo}))
	c.click("send the photo", citizenPane+` [data-testid=send]`)
	c.waitBubble(citizenPane, n, want{})
	c.settle()
	c.lastInView("after the photo")
	c.composerInView("after the photo")
	c.write(citizenPane, description, want{data: []string{"skip"}})
	c.settle()
	c.lastInView("the contact question")
	c.composerInView("the contact question")
	saveScreenshot(t, c, "phone-ar.png")
	c.press(citizenPane, "skip", want{data: []string{"confirm"}})
	c.composerInView("the summary")
	c.press(citizenPane, "confirm", want{text: []string{exampleTicket}})
	c.settle()
	c.lastInView("the ticket number")
	c.composerInView("the ticket number")

	// Over the limit: kept, counted, not sent.
	long := strings.Repeat("ازدحام شديد ", 200) // 2,400 characters
	mine := c.count(citizenPane + ` [data-testid=mine]`)
	c.do("write a long text", chromedp.SetValue(chromedp.CSS(citizenPane+` [data-testid=input]`), long))
	get(c, "let the page count it", chromedp.Evaluate[bool](`document.querySelector('[data-testid=input]').dispatchEvent(new Event('input'))`))
	c.click("send the long text", citizenPane+` [data-testid=send]`)
	c.settle()
	if got := get(c, "read the box", chromedp.Value(chromedp.CSS(citizenPane+` [data-testid=input]`))); got != long {
		t.Errorf("the box after sending %d characters: %d characters left; want all of them kept", len([]rune(long)), len([]rune(got)))
	}
	if got := c.count(citizenPane + ` [data-testid=mine]`); got != mine {
		t.Errorf("own messages after the long text: %d; want %d (not sent)", got, mine)
	}
	if c.count(`[data-testid=counter].over:not([hidden])`) != 1 {
		t.Errorf("no counter over the limit shown for %d characters", len([]rune(long)))
	}
	c.composerInView("with a long text in the box")
	saveScreenshot(t, c, "phone-long-text.png")
	get(c, "empty the box", chromedp.Evaluate[bool](`(() => { const i = document.querySelector('[data-testid=input]'); `+
		`i.value = ''; return i.dispatchEvent(new Event('input')) })()`))

	// English from the chat's menu: the page follows.
	c.write(citizenPane, "/start", want{data: []string{"menu:lang"}})
	c.press(citizenPane, "menu:lang", want{data: []string{"lang:en"}})
	c.click("choose English", citizenPane+` [data-testid=button][data-data="lang:en"]`)
	c.do("wait for the English page", chromedp.WaitReady(chromedp.CSS(`html[lang=en][dir=ltr]`)))
	c.waitReady(citizenPane)
	if got := get(c, "read the placeholder", chromedp.AttributeValue(chromedp.CSS(citizenPane+` [data-testid=input]`), "placeholder")).Value; got != "Type your message" {
		t.Errorf("placeholder after choosing English: %q; want %q", got, "Type your message")
	}
	c.composerInView("the English page")
	saveScreenshot(t, c, "phone-en.png")

	// A message that cannot go (the connection dropped) says so, with a
	// retry, and goes with it once the connection is back.
	get(c, "drop the connection", chromedp.Evaluate[bool](`(() => { window.realFetch = window.fetch; `+
		`window.fetch = (u, o) => String(u).includes('/api/send') ? Promise.reject(new TypeError('offline')) : window.realFetch(u, o); return true })()`))
	mine = c.count(citizenPane + ` [data-testid=mine]`)
	c.do("write while offline", chromedp.SendKeys(chromedp.CSS(citizenPane+` [data-testid=input]`), "hello"))
	c.click("send while offline", citizenPane+` [data-testid=send]`)
	c.do("wait for the retry", chromedp.WaitVisible(chromedp.CSS(citizenPane+` [data-testid=mine][data-state=failed] [data-testid=retry]`)))
	get(c, "restore the connection", chromedp.Evaluate[bool](`(() => { window.fetch = window.realFetch; return true })()`))
	n = c.count(citizenPane + ` [data-testid=bubble]`)
	c.click("retry", citizenPane+` [data-testid=retry]`)
	c.do("wait for it to be sent", chromedp.WaitVisible(chromedp.CSS(citizenPane+` [data-testid=mine][data-state=sent] .tick`)))
	c.waitBubble(citizenPane, n, want{data: []string{"menu:complaint"}}) // the bot answers it, once
	if got := c.count(citizenPane + ` [data-testid=mine]`); got != mine+1 {
		t.Errorf("own messages after a retry: %d; want %d (the one, once)", got, mine+1)
	}

	// The staff's view on a desktop: an Arabic card reads right to left.
	group := `[data-testid=pane][data-chat="` + krmStaffChat + `"]`
	st.do("size as a desktop", chromedp.EmulateViewport(1440, 900))
	st.do("open the staff page", chromedp.Navigate(base+"/chat/staff"))
	st.click("choose "+krmStaff, `[data-testid=person][data-id="`+krmStaff+`"]`)
	st.waitReady(group)
	st.waitBubble(group, 0, want{text: []string{exampleTicket}})
	dir := get(st, "read the card's direction", chromedp.Evaluate[string](`getComputedStyle(document.querySelector(`+
		jsString(group+` [data-testid=bubble] .text`)+`)).direction`))
	if dir != "rtl" {
		t.Errorf("an Arabic staff card: direction %q; want rtl", dir)
	}
	if got := get(st, "read who serves where", chromedp.Text(chromedp.CSS(`[data-testid=person][data-id="`+krmStaff+`"] [data-testid=serves]`))); !strings.Contains(got, "الكرامة") {
		t.Errorf("the people list says %s serves %q; want the Karama centre", krmStaff, got)
	}
	// The panel answers a ticket's message as Telegram's reply does.
	private := `[data-testid=pane][data-chat="` + krmStaff + `"]`
	st.waitReady(private)
	n = st.count(private + ` [data-testid=bubble]`)
	st.click("claim", group+` [data-testid=button][data-data="claim:`+exampleTicket+`"]`)
	st.waitBubble(private, n, want{text: []string{exampleTicket}, data: []string{"close:" + exampleTicket}})
	st.click("reply to the ticket's message", private+` [data-testid=bubble]:has([data-data="close:`+exampleTicket+`"]) [data-testid=reply]`)
	st.do("see what is answered", chromedp.WaitVisible(chromedp.CSS(private+` [data-testid=replying]`)))
	get(st, "watch what is sent", chromedp.Evaluate[bool](`(() => { window.sent = []; const f = window.fetch; `+
		`window.fetch = (u, o) => { if (String(u).includes('/api/send')) window.sent.push(o.body); return f(u, o) }; return true })()`))
	st.write(private, "سنراجع نظام الأرقام اليوم.", want{text: []string{exampleTicket, "أُرسل ردك"}})
	if sent := get(st, "read what was sent", chromedp.Evaluate[string](`window.sent.join('\n')`)); !strings.Contains(sent, `"reply_to":"`) {
		t.Errorf("the answer went as %s; want it with the message it answers (reply_to)", sent)
	}
	saveScreenshot(t, st, "staff-card-ar.png")
	const supervisor = "100000005" // سعيد الكتبي: KRM, BRS and DRA
	st.click("choose "+supervisor, `[data-testid=person][data-id="`+supervisor+`"]`)
	if n := st.count(`[data-testid=tab]`); n != 3 {
		t.Errorf("the supervisor's groups: %d tabs; want 3", n)
	}
	if n := st.count(`[data-testid=panes] [data-testid=pane]:not([hidden])`); n != 2 {
		t.Errorf("panes shown for the supervisor: %d; want 2 (private, and the group chosen)", n)
	}
	st.click("choose the second group", `[data-testid=tab]:nth-child(2)`)
	if got := st.count(`[data-testid=tab][aria-selected=true]:nth-child(2)`); got != 1 {
		t.Errorf("the second tab is not selected after clicking it")
	}
	saveScreenshot(t, st, "supervisor-tabs-ar.png")
	// The same on a phone: the tabs scroll sideways, one group at a time.
	st.do("size as a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	st.do("show the tabs", chromedp.ScrollIntoView(chromedp.CSS(`[data-testid=tabs]`)))
	// A page wider than the phone is shown zoomed out, the layout widened
	// with it: measure against the phone's own width.
	if w := get(st, "measure the page", chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); w > 390.5 {
		t.Errorf("the staff page on a 390 px phone is %.0f px wide; want no wider", w)
	}
	saveScreenshot(t, st, "supervisor-phone-ar.png")
	finish()
}

// composerInView fails the test unless the composer is wholly inside the
// viewport and the page does not scroll (only its log does).
func (c *tab) composerInView(step string) {
	c.t.Helper()
	got := get(c, "measure the composer", chromedp.Evaluate[[]float64](`(() => {
		const r = document.querySelector('[data-testid=composer]').getBoundingClientRect();
		return [r.top, r.bottom, window.innerHeight, document.documentElement.scrollHeight];
	})()`))
	if top, bottom, h, page := got[0], got[1], got[2], got[3]; top < 0 || bottom > h+0.5 || page > h+0.5 {
		c.t.Errorf("%s: the composer spans %.0f–%.0f px of a %.0f px viewport, the page %.0f px tall; want it inside, and the page no taller",
			step, top, bottom, h, page)
	}
}

// lastInView fails the test unless the log's last message is wholly in
// the log's visible part.
func (c *tab) lastInView(step string) {
	c.t.Helper()
	got := get(c, "measure the last message", chromedp.Evaluate[[]float64](`(() => {
		const log = document.querySelector('[data-testid=log]');
		const r = log.lastElementChild.getBoundingClientRect(), l = log.getBoundingClientRect();
		return [r.top, r.bottom, l.top, l.bottom];
	})()`))
	if top, bottom, lt, lb := got[0], got[1], got[2], got[3]; top < lt-0.5 || bottom > lb+0.5 {
		c.t.Errorf("%s: the last message spans %.0f–%.0f px, the log shows %.0f–%.0f px; want it wholly in view", step, top, bottom, lt, lb)
	}
}

// settle lets the page lay out what just came: pictures load, the log
// follows.
func (c *tab) settle() {
	c.do("let the page settle", chromedp.Sleep(700*time.Millisecond))
}
