package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/flows"
)

// TestOnlyTheHolderActs: staff who do not hold a ticket cannot open, close,
// release or transfer it, whatever their centre.
func TestOnlyTheHolderActs(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	for _, p := range []person{khalid, maryam, noura, manager, other} {
		for _, verb := range []string{"open", "close", "release", "transfer"} {
			rs := w.press(p, verb+":"+id)
			for _, r := range rs {
				if r.Chat != p.id {
					t.Errorf("%s %s: a message went to %s: %q", p.name, verb, r.Chat, r.Text)
				}
			}
			if data, _ := w.store.Session(context.Background(), "telegram:"+p.id); data != nil {
				t.Errorf("%s %s: a flow started: %s", p.name, verb, data)
			}
		}
	}
	if got := w.ticket(id); got.Holder.ID != fatima.id || got.Status != shakwa.StatusClaimed || got.Centre != "KRM" {
		t.Errorf("ticket changed: %+v", got)
	}
}

func TestNotesStayInternal(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	rs := w.text(fatima, "/note "+id+" المتعامل كثير الشكاوى")
	if len(rs) != 1 || rs[0].Chat != fatima.id {
		t.Errorf("/note replies %v; want one, to the staff member only", texts(rs))
	}
	if rs := w.text(citizen, id); strings.Contains(rs[0].Text, "كثير الشكاوى") {
		t.Errorf("the citizen sees the note: %q", rs[0].Text)
	}
}

// TestSupervisorServesTheirCentres: a supervisor of KRM and BRS can claim
// in both and resolve.
func TestSupervisorServesTheirCentres(t *testing.T) {
	w := newWorld(t)
	a, b := w.fileComplaint(citizen, "KRM"), w.fileComplaint(other, "BRS")
	w.do(noura, bot.Message{Chat: "-1001", Button: "claim:" + a})
	w.do(noura, bot.Message{Chat: "-1002", Button: "claim:" + b})
	if w.ticket(a).Holder.ID != noura.id || w.ticket(b).Holder.ID != noura.id {
		t.Fatalf("supervisor could not claim in both centres: %+v %+v", w.ticket(a), w.ticket(b))
	}
	w.press(noura, "close:"+b)
	w.text(noura, "تم التواصل وحل المشكلة")
	if got := w.ticket(b); got.Status != shakwa.StatusResolved {
		t.Errorf("status %s after the supervisor closed it; want resolved", got.Status)
	}
	if rs := w.text(noura, "/queue"); len(find(rs, noura.id, "لا توجد طلبات")) != 1 {
		t.Errorf("supervisor /queue: %v", texts(rs))
	}
}

// TestCentrePager: with more than 8 centres the menu pages, 8 at a time.
func TestCentrePager(t *testing.T) {
	var extra strings.Builder
	for i := range 10 {
		fmt.Fprintf(&extra, "  - {code: C%c, name: {ar: \"مركز %d\", en: \"Centre %d\"}, staff_chat: -2%03d}\n", 'A'+i, i, i, i)
	}
	yaml := strings.Replace(testConfig, "categories:", extra.String()+"categories:", 1)
	w := newWorldWith(t, yaml)
	centres := func(rs []bot.Reply) (codes []string, nav []string) {
		for _, row := range rs[len(rs)-1].Buttons {
			for _, b := range row {
				if strings.HasPrefix(b.Data, "centre:") {
					codes = append(codes, strings.TrimPrefix(b.Data, "centre:"))
				} else {
					nav = append(nav, b.Data)
				}
			}
		}
		return codes, nav
	}
	for _, tc := range []struct {
		press      string
		first      string
		n          int
		navigation string
	}{
		{menuComplaint, "KRM", 7, "page:1 cancel"},
		{"page:1", "CF", 5, "page:0 cancel"},
		{"page:0", "KRM", 7, "page:1 cancel"},
	} {
		codes, nav := centres(w.press(citizen, tc.press))
		if len(codes) != tc.n || codes[0] != tc.first || strings.Join(nav, " ") != tc.navigation {
			t.Errorf("after %s: centres %v, navigation %v; want %d from %s, %s", tc.press, codes, nav, tc.n, tc.first, tc.navigation)
		}
	}
	if rs := w.press(citizen, "centre:CJ"); len(find(rs, citizen.id, "ما نوع الشكوى")) != 1 {
		t.Errorf("picking a centre of the second page: %v", texts(rs))
	}
}

// TestNumbersGoToStaff: a bare number typed by a citizen whose ticket is
// held is an answer for staff, not a ticket lookup.
func TestNumbersGoToStaff(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	rs := w.text(citizen, "٤٥")
	if got := find(rs, fatima.id, "٤٥"); len(got) != 1 {
		t.Errorf("«٤٥» from the citizen: %v; want it relayed to the holder as typed", texts(rs))
	}
	// The number of one of their own tickets too (numbers start at 1):
	// an answer, while staff work on one.
	n := strings.TrimLeft(strings.TrimPrefix(id, "KRM-"), "0")
	rs = w.text(citizen, n)
	if got := find(rs, fatima.id, n); len(got) != 1 {
		t.Errorf("«%s» from the citizen: %v; want it relayed to the holder, not their ticket shown", n, texts(rs))
	}
	// Typed whole, it is the ticket.
	if rs := w.text(citizen, id); len(find(rs, citizen.id, id)) == 0 || len(find(rs, fatima.id, id)) != 0 {
		t.Errorf("«%s» from the citizen: %v; want their ticket shown", id, texts(rs))
	}
}

// TestStaffLookUpTickets: staff typing a ticket number of their centre see
// it with the actions open to them; of another centre, they do not.
func TestStaffLookUpTickets(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	rs := w.text(khalid, strings.ToLower(id))
	if len(rs) == 0 || !strings.Contains(rs[0].Text, id) || rs[0].Buttons[0][0].Data != "claim:"+id {
		t.Errorf("KRM staff types %s: %v; want the ticket with a claim button", id, texts(rs))
	}
	if rs := w.text(maryam, id); len(find(rs, maryam.id, "انتظرت")) != 0 {
		t.Errorf("BRS staff sees a KRM ticket: %v", texts(rs))
	}
}

// TestFilesAddedBeforeClaimReachTheHolder: files the citizen adds while the
// ticket waits are kept and sent to whoever claims it.
func TestFilesAddedBeforeClaimReachTheHolder(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(citizen, "info:"+id)
	w.do(citizen, bot.Message{Text: "صورة الإيصال", Attachments: []shakwa.Attachment{{Kind: "photo", ID: "receipt"}}})
	rs := w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	var sent []string
	for _, r := range rs {
		for _, a := range r.Attachments {
			if r.Chat == fatima.id {
				sent = append(sent, a.ID)
			}
		}
	}
	if len(sent) != 1 || sent[0] != "receipt" || len(find(rs, fatima.id, "صورة الإيصال")) != 1 {
		t.Errorf("holder got files %v and %v; want the receipt and the citizen's words", sent, texts(rs))
	}
}

// failingStore fails CreateTicket while down.
type failingStore struct {
	Store
	down bool
}

func (f *failingStore) CreateTicket(ctx context.Context, t *shakwa.Ticket, from shakwa.Address, once string) error {
	if f.down {
		return errors.New("redis: connection refused")
	}
	return f.Store.CreateTicket(ctx, t, from, once)
}

// TestFailedSaveKeepsTheComplaint: when storing the complaint fails, the
// handling Fails (so the update comes again) and the conversation stays at
// the summary; confirming again files it.
func TestFailedSaveKeepsTheComplaint(t *testing.T) {
	w := newWorld(t)
	fs := &failingStore{Store: w.store}
	w.h.store = fs
	w.toSummary(citizen, "KRM")
	fs.down = true
	var rs bot.Replies
	w.h.Handle(context.Background(), &rs, &bot.Message{ID: "x", Channel: "telegram", Chat: citizen.id,
		From: bot.User{ID: citizen.id}, Button: "confirm", ButtonToken: "cb"})
	if rs.Err == nil {
		t.Fatalf("a failed save did not Fail the handling; replies %v", texts(rs.List))
	}
	fs.down = false
	if got := w.press(citizen, "confirm"); len(find(got, citizen.id, "KRM-000001")) != 1 {
		t.Errorf("confirming again: %v; want the ticket number", texts(got))
	}
}

// TestCrashAfterFilingReplays: the process stops after the ticket is
// stored but before its replies are queued; the platform sends the update
// again, and the citizen and staff get what they were owed, once.
func TestCrashAfterFilingReplays(t *testing.T) {
	w := newWorld(t)
	w.toSummary(citizen, "KRM")
	confirm := bot.Message{ID: "u-confirm", Channel: "telegram", Chat: citizen.id,
		From: bot.User{ID: citizen.id}, Button: "confirm", ButtonToken: "cb"}
	var lost bot.Replies
	first := confirm
	w.h.Handle(context.Background(), &lost, &first) // replies lost in the crash
	var again bot.Replies
	second := confirm
	w.h.Handle(context.Background(), &again, &second)
	if len(find(again.List, citizen.id, "KRM-000001")) != 1 || len(find(again.List, "-1001", "KRM-000001")) != 1 {
		t.Errorf("redelivered confirm: %v; want the ticket number and the staff card", texts(again.List))
	}
	ts, _ := w.store.CitizenTickets(context.Background(), shakwa.Address{Channel: "telegram", Chat: citizen.id}, 10)
	if len(ts) != 1 {
		t.Errorf("%d tickets after the redelivery; want 1", len(ts))
	}
}

// TestFilesCrossChannels: a web citizen's photo is kept on the ticket and
// sent to the Telegram staff member who claims it, as a file from the web
// (the outbox readies it); a file recorded before files knew their
// channel stays on its own.
func TestFilesCrossChannels(t *testing.T) {
	w := newWorld(t)
	photo := shakwa.Attachment{Kind: "photo", ID: "c0ffee", From: "web", File: "c0ffee", Mime: "image/png", Size: 77}
	for _, m := range []bot.Message{{Button: menuComplaint}, {Button: "centre:KRM"}, {Button: "cat:waiting"},
		{Text: "انتظرت أكثر من ساعتين دون أن يُنادى رقمي", Attachments: []shakwa.Attachment{photo}},
		{Button: "skip"}, {Button: "confirm"}} {
		m.ID, m.Channel, m.Chat, m.From = fmt.Sprint(len(m.Text), m.Button), "web", "v1", bot.User{ID: "v1"}
		var rs bot.Replies
		w.h.Handle(context.Background(), &rs, &m)
	}
	rs := w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:KRM-000001"})
	var sent []shakwa.Attachment
	for _, r := range rs {
		if r.Chat == fatima.id {
			sent = append(sent, r.Attachments...)
		}
	}
	if len(sent) != 1 || sent[0] != photo {
		t.Errorf("sent to the holder %+v; want the web photo as it came", sent)
	}
	for _, r := range rs {
		if len(r.Attachments) > 0 && r.Text != w.tr("ar", "file.caption", map[string]any{"Ticket": "KRM-000001"}) {
			t.Errorf("file sent with %q; want it captioned with its ticket", r.Text)
		}
	}
	if got := w.ticket("KRM-000001"); len(got.Attachments) != 1 || got.Attachments[0] != photo {
		t.Errorf("ticket attachments %+v; want the photo kept whole", got.Attachments)
	}
	var legacy bot.Replies
	w.h.notify.Files(&legacy, "web", addr(fatima), "KRM-000001", []shakwa.Attachment{{Kind: "photo", ID: "web:old"}}, "ar")
	if len(legacy.List) != 0 {
		t.Errorf("an old web file id went to Telegram: %+v", legacy.List)
	}
}

// TestWebWords: the web chat gets its own words where Telegram's say
// "reply to this message", which a web page has no way to do; every such
// key has the general one beside it, in both languages.
func TestWebWords(t *testing.T) {
	text := strictText(t)
	h := words{text: text}
	for key, want := range map[[2]string]string{
		{"citizen.staff_reply", "web"}:      "citizen.staff_reply.web",
		{"citizen.staff_reply", "telegram"}: "citizen.staff_reply",
		{"ticket.full", "web"}:              "ticket.full.web",
		{"menu.title", "web"}:               "menu.title",
	} {
		if got := h.keyFor(key[0], key[1]); got != want {
			t.Errorf("keyFor(%q, %q) = %q; want %q", key[0], key[1], got, want)
		}
	}
	for _, lang := range []string{"ar", "en"} {
		for _, key := range text.Keys(lang) {
			general, ok := strings.CutSuffix(key, ".web")
			if !ok || text.Has(general+".telegram") {
				continue // not a web variant: one of a family named by channel
			}
			if !text.Has(general) {
				t.Errorf("%s has no general key %s", key, general)
			}
			got, _ := text.Render(lang, key, map[string]any{"Count": 2})
			for _, telegram := range []string{"أجب على هذه الرسالة", "ردّاً على رسالة", "reply to this message", "as a reply"} {
				if strings.Contains(got, telegram) {
					t.Errorf("%s %s says %q, Telegram's words", lang, key, telegram)
				}
			}
		}
	}
}

// TestReplyWithNothingToPassOn: a voice note, a sticker or a location sent
// in reply to the staff's message is refused, as anywhere else; it is
// neither kept on the ticket nor sent on to staff as an empty message.
func TestReplyWithNothingToPassOn(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.text(fatima, "/reply "+id+" هل يمكنك إرسال صورة الإيصال؟")
	reply := w.lastIDs["telegram:"+citizen.id]
	before, err := w.store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"voice", "sticker", "location"} {
		rs := w.do(citizen, bot.Message{ReplyTo: reply, Unsupported: kind})
		if len(find(rs, citizen.id, "لا يمكنني قراءة هذا النوع")) != 1 || len(find(rs, citizen.id, "أُضيفت رسالتك")) != 0 {
			t.Errorf("a %s in reply: %v; want it refused", kind, texts(rs))
		}
		if got := find(rs, fatima.id, ""); len(got) != 0 {
			t.Errorf("a %s in reply: the holder got %v; want nothing", kind, texts(got))
		}
	}
	if after, _ := w.store.Events(context.Background(), id); len(after) != len(before) {
		t.Errorf("%d events on the ticket after the refused replies; want %d as before", len(after), len(before))
	}
}

// TestWordsLikeATicketNumberGoToStaff: letters and a number that are no
// centre's ticket number («Gate 4», «Room 12»), typed while staff hold
// the citizen's ticket, are answers, passed to the holder; a number with
// a centre's code, in any case and digits, is still looked up.
func TestWordsLikeATicketNumberGoToStaff(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(other, "KRM")
	w.press(fatima, "claim:"+id)
	w.text(fatima, "/reply "+id+" Which gate did you wait at?")
	for _, s := range []string{"Gate 4", "Room 12", "desk-7"} {
		if rs := w.text(other, s); len(find(rs, fatima.id, s)) != 1 || len(find(rs, other.id, "find")) != 0 {
			t.Errorf("%q from the citizen: %v; want it passed to the holder", s, texts(rs))
		}
	}
	for _, s := range []string{"krm ٠٠٠٠٠١", "KRM-۰۰۰۰۰۱", "Krm1"} {
		if rs := w.text(other, s); len(find(rs, other.id, id)) != 1 || len(find(rs, fatima.id, "")) != 0 {
			t.Errorf("%q from the citizen: %v; want their ticket shown, nothing to staff", s, texts(rs))
		}
	}
}

// TestPhotoAloneIsAdded: a photo sent alone after «➕ Add information»
// is added to the ticket and reaches its holder, as one sent in reply is.
func TestPhotoAloneIsAdded(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.text(fatima, "/reply "+id+" أرسل لنا صورة الإيصال من فضلك")
	w.press(citizen, "info:"+id)
	rs := w.do(citizen, bot.Message{Attachments: []shakwa.Attachment{{Kind: "photo", ID: "receipt", From: "telegram"}}})
	if len(find(rs, citizen.id, "أُضيفت رسالتك")) != 1 {
		t.Errorf("a photo alone: %v; want it added", texts(rs))
	}
	if got := find(rs, fatima.id, "(مرفق واحد)"); len(got) != 1 || !sends(rs, fatima.id, "receipt") {
		t.Errorf("a photo alone: the holder got %v; want the photo, announced", texts(rs))
	}
	if atts := w.ticket(id).Attachments; len(atts) != 1 || atts[0].ID != "receipt" {
		t.Errorf("ticket attachments %+v; want the receipt", atts)
	}
}

// TestPhotoAloneAmendsARejection: the photo a rejection asked for, sent
// alone after «add what's missing», puts the ticket back to work.
func TestPhotoAloneAmendsARejection(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.press(fatima, "reject:"+id)
	w.press(fatima, "reason:need_info")
	w.text(fatima, "نحتاج صورة الإيصال")
	w.press(citizen, "amend:"+id)
	rs := w.do(citizen, bot.Message{Attachments: []shakwa.Attachment{{Kind: "photo", ID: "receipt", From: "telegram"}}})
	if len(find(rs, citizen.id, "أُضيف ما أرسلته")) != 1 {
		t.Errorf("a photo alone: %v; want it added", texts(rs))
	}
	if got := w.ticket(id); got.Status == shakwa.StatusRejected || len(got.Attachments) != 1 {
		t.Errorf("ticket %s with %d attachments; want it back to work with the photo", got.Status, len(got.Attachments))
	}
	if !sends(rs, fatima.id, "receipt") {
		t.Errorf("a photo alone: the holder got %v; want the photo", texts(rs))
	}
}

// sends reports whether one of rs sends the attachment with id to chat.
func sends(rs []bot.Reply, chat, id string) bool {
	for _, r := range rs {
		for _, a := range r.Attachments {
			if r.Chat == chat && a.ID == id {
				return true
			}
		}
	}
	return false
}

// TestNumberOfTwoCentres: a number typed without its centre's code that
// two of the asker's tickets carry (each centre numbers its own) is not
// taken for either: the citizen chooses between them, and staff are told
// to type the whole number.
func TestNumberOfTwoCentres(t *testing.T) {
	w := newWorld(t)
	krm := w.fileComplaint(citizen, "KRM")
	brs := w.fileComplaint(citizen, "BRS")
	if strings.TrimPrefix(krm, "KRM") != strings.TrimPrefix(brs, "BRS") {
		t.Fatalf("tickets %s and %s; want the same number in both centres", krm, brs)
	}
	rs := w.text(citizen, "١")
	got := find(rs, citizen.id, w.tr("ar", "follow.which", map[string]any{"Count": 2}))
	if len(got) != 1 || !strings.Contains(got[0].Text, krm) || !strings.Contains(got[0].Text, brs) {
		t.Fatalf("«١» with tickets %s and %s: %v; want both offered", krm, brs, texts(rs))
	}
	var data []string
	for _, row := range got[0].Buttons {
		for _, b := range row {
			data = append(data, b.Data)
		}
	}
	if want := []string{"view:" + brs, "view:" + krm}; strings.Join(data, " ") != strings.Join(want, " ") &&
		strings.Join(data, " ") != "view:"+krm+" view:"+brs {
		t.Errorf("buttons %v; want one to view each", data)
	}
	if rs := w.text(citizen, "krm 1"); len(find(rs, citizen.id, krm)) != 1 || len(find(rs, citizen.id, brs)) != 0 {
		t.Errorf("«krm 1»: %v; want %s alone", texts(rs), krm)
	}

	w.press(noura, "claim:"+krm)
	w.press(noura, "claim:"+brs)
	rs = w.text(noura, "/note 1 اتصلت بالمتعامل")
	if len(find(rs, noura.id, w.tr("ar", "staff.which", map[string]any{"Tickets": krm + "، " + brs}))) != 1 &&
		len(find(rs, noura.id, w.tr("ar", "staff.which", map[string]any{"Tickets": brs + "، " + krm}))) != 1 {
		t.Errorf("/note 1 holding %s and %s: %v; want to be asked for the whole number", krm, brs, texts(rs))
	}
	if len(find(rs, noura.id, "📝")) != 0 {
		t.Errorf("/note 1 holding %s and %s saved a note: %v", krm, brs, texts(rs))
	}
}

// TestLongTextInPieces: Telegram's apps send a text over 4,096 characters
// as several messages within a second. At the description, the pieces are
// refused together, with one answer, and the description is never the
// text's tail; to staff working on the ticket, every piece goes, in order.
func TestLongTextInPieces(t *testing.T) {
	w := newWorld(t)
	pieces := []string{strings.Repeat("أ", 4096), strings.Repeat("ب", 4096), strings.Repeat("ج", 1808)}
	w.toDescription(citizen, "KRM")
	var said []bot.Reply
	for _, p := range pieces {
		said = append(said, w.do(citizen, bot.Message{Text: p, Time: w.now})...)
	}
	tooLong := w.tr("ar", "error.too_long", map[string]any{"Count": 4096, "Max": flows.MaxText})
	if len(said) != 2 || said[0].Text != tooLong {
		t.Errorf("a text in three pieces at the description: %v; want one «too long» and the question again", texts(said))
	}
	w.wait(time.Minute)
	if rs := w.do(citizen, bot.Message{Text: "انتظرت أكثر من ساعتين دون أن يُنادى رقمي", Time: w.now}); len(find(rs, citizen.id, w.tr("ar", "complaint.ask_contact", nil))) == 0 {
		t.Errorf("the shorter text a minute later: %v; want it taken, and the contact question", texts(rs))
	}

	w = newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	said = nil
	for _, p := range pieces {
		said = append(said, w.do(citizen, bot.Message{Text: p, Time: w.now})...)
	}
	var relayed string
	for _, r := range said {
		if r.Chat == fatima.id {
			relayed += r.Text
		}
	}
	for i, p := range pieces {
		if !strings.Contains(relayed, p) {
			t.Errorf("piece %d of a text to staff did not reach the holder: %v", i, texts(said))
		}
	}
}
