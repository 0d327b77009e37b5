package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
)

func TestOnlyCentreStaffMayClaim(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	for _, p := range []person{maryam, manager, other} {
		rs := w.do(p, bot.Message{Chat: "-1001", Button: "claim:" + id})
		if len(rs) != 1 || !rs[0].Notice || rs[0].Text != w.tr(p.lang, "claim.forbidden", nil) {
			t.Errorf("%s claims: got %+v; want one refusal notice", p.name, rs)
		}
	}
	if got := w.ticket(id); got.Status != shakwa.StatusNew {
		t.Errorf("status %s after refused claims; want new", got.Status)
	}
}

// TestClaimEditsThePressedCard: a claim pressed on a ticket's card edits
// that very message, by the id the press carries, with no lookup of the
// card's ref (which may not be recorded yet); a claim from elsewhere edits
// the card by its ref.
func TestClaimEditsThePressedCard(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	rs := w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id, ReplyTo: "4711"})
	var edits []bot.Reply
	for _, r := range rs {
		if r.Chat == "-1001" && r.Edit {
			edits = append(edits, r)
		}
	}
	if len(edits) != 1 || edits[0].EditOf != "4711" || edits[0].Ref != refCard+id {
		t.Errorf("the card's edit after a claim on it: %+v; want one edit of message 4711", edits)
	}
	other := w.fileComplaint(citizen, "KRM")
	rs = w.press(fatima, "claim:"+other) // from her private chat
	for _, r := range rs {
		if r.Chat == "-1001" && r.Edit && (r.EditOf != "" || r.Ref != refCard+other) {
			t.Errorf("the card's edit after a claim elsewhere: %+v; want an edit by its ref", r)
		}
	}
}

func TestButtonPressedTwice(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	rs := w.do(fatima, bot.Message{Chat: "-1001", Button: "claim:" + id})
	if len(rs) != 1 || rs[0].Text != w.tr("ar", "claim.yours", nil) {
		t.Errorf("second claim by holder: %+v", rs)
	}
	// A confirm pressed again after the ticket was filed files nothing.
	rs = w.press(citizen, "confirm")
	if len(find(rs, citizen.id, w.tr("ar", "error.stale_button", nil))) == 0 &&
		(len(rs) == 0 || rs[0].Text != w.tr("ar", "error.stale_button", nil)) {
		t.Errorf("confirm pressed twice: %+v", rs)
	}
	ts, _ := w.store.CitizenTickets(context.Background(), shakwa.Address{Channel: "telegram", Chat: citizen.id}, 10)
	if len(ts) != 1 {
		t.Errorf("citizen has %d tickets; want 1", len(ts))
	}
}

func TestCitizenSeesOnlyOwnTickets(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	notFound := w.tr("en", "error.not_found", nil)
	if rs := w.text(other, "1"); len(find(rs, other.id, id)) != 0 || len(find(rs, other.id, "didn't understand")) != 1 {
		t.Errorf("other citizen types 1: %v; want the menu, nothing of the ticket", texts(rs))
	}
	for _, in := range []bot.Message{{Text: id}, {Button: "view:" + id}, {Button: "info:" + id},
		{Button: "reopen:" + id}, {Button: "rate:" + id + ":1"}} {
		rs := w.do(other, in)
		if len(find(rs, other.id, notFound)) != 1 {
			t.Errorf("other citizen %+v: got %+v; want not found", in, rs)
		}
	}
	for _, typed := range []string{id, "krm 1", "KRM-٠٠٠٠٠١", "۱", "000001"} {
		rs := w.text(citizen, typed)
		if len(find(rs, citizen.id, id)) != 1 {
			t.Errorf("owner types %q: got %+v; want the ticket", typed, rs)
		}
	}
}

func TestCancelAndBadInput(t *testing.T) {
	cancelled := "تم الإلغاء"
	tests := []struct {
		name string
		in   bot.Message
		want string
	}{
		{"typed Arabic cancel", bot.Message{Text: "الغاء"}, cancelled},
		{"typed cancel with hamza", bot.Message{Text: "إلغاء"}, cancelled},
		{"typed English cancel", bot.Message{Text: "Cancel"}, cancelled},
		{"slash cancel", bot.Message{Text: "/cancel"}, cancelled},
		{"sticker", bot.Message{Unsupported: "sticker"}, "لا يمكنني قراءة"},
		{"voice", bot.Message{Unsupported: "voice"}, "لا يمكنني قراءة"},
		{"10,000 characters", bot.Message{Text: strings.Repeat("ش", 10000)}, "النص طويل: 10000 حرف"},
		{"unknown button", bot.Message{Button: "nonsense:1"}, "هذا الزر من رسالة سابقة"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.press(citizen, menuComplaint)
			w.press(citizen, "centre:KRM")
			w.press(citizen, "cat:waiting")
			rs := w.do(citizen, tt.in)
			if len(find(rs, citizen.id, tt.want)) == 0 {
				t.Errorf("got %v; want a reply containing %q", texts(rs), tt.want)
			}
		})
	}
}

// TestCaptionOfMediaNotKept: a video with a caption at the description:
// the words are the description, and the citizen is told the video was
// not kept (it was dropped without a word).
func TestCaptionOfMediaNotKept(t *testing.T) {
	w := newWorld(t)
	w.toDescription(citizen, "KRM")
	rs := w.do(citizen, bot.Message{Text: "الانتظار تجاوز ساعتين في القاعة", Unsupported: "video"})
	if len(find(rs, citizen.id, w.tr("ar", "error.media_not_kept", nil))) != 1 ||
		len(find(rs, citizen.id, w.tr("ar", "complaint.ask_contact", nil))) != 1 {
		t.Errorf("got %v; want the words taken (the phone question next) and a word that the video was not kept", texts(rs))
	}
}

// TestEditedMessage: an edit of an earlier message is answered that edits
// do not reach the bot, and the flow stays where it was.
func TestEditedMessage(t *testing.T) {
	w := newWorld(t)
	w.toDescription(citizen, "KRM")
	w.text(citizen, "الانتظار تجاوز ساعتين في القاعة")
	rs := w.do(citizen, bot.Message{Unsupported: "edited"})
	if len(rs) != 1 || len(find(rs, citizen.id, w.tr("ar", "error.edited", nil))) != 1 {
		t.Errorf("an edit: %v; want one word that edits do not reach us", texts(rs))
	}
	if rs := w.press(citizen, "skip"); len(find(rs, citizen.id, w.tr("ar", "complaint.summary", nil)[:20])) == 0 {
		t.Errorf("after the edit, skip: %v; want the summary (the flow where it was)", texts(rs))
	}
}

// TestOldMenuPressedMidFlow: the menu pressed on an older message while a
// complaint is half written starts what was chosen, and says the
// complaint was not sent; pressed with nothing written yet, it says
// nothing of the kind.
func TestOldMenuPressedMidFlow(t *testing.T) {
	w := newWorld(t)
	dropped := w.tr("ar", "flow.dropped", nil)
	w.toSummary(citizen, "KRM")
	rs := w.press(citizen, menuFeedback)
	if len(find(rs, citizen.id, dropped)) != 1 {
		t.Errorf("the menu pressed at the summary: %v; want a word that the complaint was not sent", texts(rs))
	}
	if rs := w.press(citizen, menuFollow); len(find(rs, citizen.id, dropped)) != 0 {
		t.Errorf("the menu pressed with nothing written: %v; want no such word", texts(rs))
	}
}

// TestAlbum: the photos of a Telegram album, each a message of its own,
// get one count, edited as they come, and the question once.
func TestAlbum(t *testing.T) {
	w := newWorld(t)
	w.toDescription(citizen, "KRM")
	photo := func(id string) bot.Message {
		return bot.Message{Attachments: []shakwa.Attachment{{Kind: "photo", ID: id, From: "telegram"}}, Album: "13579"}
	}
	first := w.do(citizen, photo("p1"))
	if len(first) != 2 || first[0].Ref != "album:13579" || first[0].Edit {
		t.Fatalf("the album's first photo: %+v; want its count (to be edited) and the question", first)
	}
	for i, id := range []string{"p2", "p3"} {
		rs := w.do(citizen, photo(id))
		want := w.tr("ar", "complaint.file_added", map[string]any{"Count": i + 2, "Max": 5})
		if len(rs) != 1 || !rs[0].Edit || rs[0].Ref != "album:13579" || rs[0].Text != want {
			t.Errorf("photo %d of the album: %+v; want the count edited to %q, nothing else", i+2, rs, want)
		}
	}
}

// TestContactKeyboardGoes: the answer to the phone question (typed,
// skipped or cancelled) asks the channel to take its keyboard away, once;
// other answers do not.
func TestContactKeyboardGoes(t *testing.T) {
	for _, answer := range []string{"0501234567", "تخطي", "إلغاء"} {
		w := newWorld(t)
		w.toDescription(citizen, "KRM")
		rs := w.text(citizen, "انتظرت أكثر من ساعتين دون أن يُنادى رقمي")
		for _, r := range rs {
			if r.DropKeyboard {
				t.Errorf("the phone question itself drops the keyboard: %+v", r)
			}
		}
		rs = w.text(citizen, answer)
		n := 0
		for _, r := range rs {
			if r.DropKeyboard {
				n++
			}
		}
		if n != 1 || !rs[0].DropKeyboard && !rs[len(rs)-1].DropKeyboard {
			t.Errorf("answer %q: %d replies drop the keyboard in %v; want one", answer, n, texts(rs))
		}
	}
}

func TestIdleConversationExpires(t *testing.T) {
	w := newWorld(t)
	w.press(citizen, menuComplaint)
	w.press(citizen, "centre:KRM")
	w.wait(31 * time.Minute)
	rs := w.press(citizen, "cat:waiting")
	if len(find(rs, citizen.id, "انتهت مهلة المحادثة")) != 1 {
		t.Errorf("got %v; want the expiry notice", texts(rs))
	}
	if data, _ := w.store.Session(context.Background(), "telegram:"+citizen.id); data != nil {
		t.Errorf("session still stored: %s", data)
	}
}

func TestLanguage(t *testing.T) {
	w := newWorld(t)
	if rs := w.text(other, "/start"); len(find(rs, other.id, "Welcome Sara")) != 1 {
		t.Errorf("English speaker greeted with %v", texts(rs))
	}
	if rs := w.text(citizen, "/start"); len(find(rs, citizen.id, "أهلاً وسهلاً")) != 1 {
		t.Errorf("Arabic speaker greeted with %v", texts(rs))
	}
	w.press(citizen, "lang:en")
	if rs := w.press(citizen, menuComplaint); len(find(rs, citizen.id, "Which centre")) != 1 {
		t.Errorf("after switching to English: %v", texts(rs))
	}
	if rs := w.press(citizen, "centre:KRM"); len(rs) < 2 || rs[1].Buttons[0][0].Label != "Waiting time" {
		t.Errorf("English category menu: %+v", rs)
	}
}

// TestLanguageMidFlowStartsOver: switching the language in the middle of
// a complaint shows the menu in the new language and starts over, as
// /start does: what the citizen types next is taken from the menu, not as
// the answer to the question they left.
func TestLanguageMidFlowStartsOver(t *testing.T) {
	w := newWorld(t)
	w.press(citizen, menuComplaint)
	w.press(citizen, "centre:KRM")
	w.text(citizen, "/lang")
	if rs := w.press(citizen, "lang:en"); len(find(rs, citizen.id, "How can we help you?")) != 1 {
		t.Fatalf("after lang:en: %q; want the menu in English", texts(rs))
	}
	if rs := w.text(citizen, "hello"); len(find(rs, citizen.id, "How can we help")) == 0 {
		t.Errorf("«hello» at the menu just shown: %q; want the menu again", texts(rs))
	}
	w.wait(31 * time.Minute)
	if rs := w.runJobs(JobIdle); len(rs) != 0 {
		t.Errorf("idle job after the switch: %q; want nothing to expire", texts(rs))
	}
}

func TestQueueMineAndRelease(t *testing.T) {
	w := newWorld(t)
	first := w.fileComplaint(citizen, "KRM")
	w.wait(time.Minute)
	second := w.fileComplaint(other, "KRM")
	rs := w.text(fatima, "/queue")
	if len(rs) != 1 || strings.Index(rs[0].Text, first) > strings.Index(rs[0].Text, second) ||
		rs[0].Buttons[0][0].Data != "claim:"+first {
		t.Fatalf("/queue: %+v; want both, oldest first, with claim buttons", rs)
	}
	w.press(fatima, "claim:"+first) // claiming from the private list works too
	if rs := w.text(fatima, "/mine"); len(find(rs, fatima.id, first)) != 1 || strings.Contains(rs[0].Text, second) {
		t.Errorf("/mine: %v", texts(rs))
	}
	if rs := w.press(khalid, "release:"+first); w.ticket(first).Holder.ID != fatima.id || len(find(rs, khalid.id, "فاطمة")) != 1 {
		t.Errorf("another staff member released the ticket: %v", texts(rs))
	}
	rs = w.press(fatima, "release:"+first)
	if w.ticket(first).Status != shakwa.StatusNew {
		t.Fatalf("status after release: %s", w.ticket(first).Status)
	}
	cards := find(rs, "-1001", first)
	if len(cards) != 1 || !cards[0].Edit || cards[0].Buttons[0][0].Data != "claim:"+first {
		t.Errorf("card after release: %+v; want it edited back with a claim button", cards)
	}
	if rs := w.text(citizen, "/queue"); len(find(rs, citizen.id, "/start")) != 1 {
		t.Errorf("a citizen's /queue: %v; want help", texts(rs))
	}
}

func TestTransfer(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.press(fatima, "transfer:"+id)
	rs := w.press(fatima, "centre:BRS")
	got := w.ticket(id)
	if got.Centre != "BRS" || got.Status != shakwa.StatusNew || got.Holder.ID != "" || got.Transferred.IsZero() {
		t.Fatalf("after transfer: %+v", got)
	}
	if len(find(rs, "-1002", id)) != 1 || len(find(rs, "-1001", id)) != 1 || len(find(rs, citizen.id, id)) != 1 {
		t.Errorf("transfer replies %v; want a new BRS card, the KRM card edited, the citizen told", texts(rs))
	}
	if rs := w.do(fatima, bot.Message{Chat: "-1002", Button: "claim:" + id}); rs[0].Text != w.tr("ar", "claim.forbidden", nil) {
		t.Errorf("KRM staff claim at BRS: %+v", rs)
	}
	w.do(maryam, bot.Message{Chat: "-1002", Button: "claim:" + id})
	if got := w.ticket(id); got.Holder.ID != maryam.id {
		t.Errorf("holder %q; want %q", got.Holder.ID, maryam.id)
	}
}

func TestLowRatingOffersReopen(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.text(fatima, "/reply 1 سنتواصل معك اليوم") // number without its prefix, among held tickets
	w.text(fatima, "/note "+id+" اتصلت ولم يرد")
	w.press(fatima, "close:"+id)
	w.text(fatima, "تم تحديث الموعد")
	rs := w.press(citizen, "rate:"+id+":1")
	offer := find(rs, citizen.id, "إعادة فتح")
	if len(offer) != 1 || offer[0].Buttons[0][0].Data != "reopen:"+id {
		t.Fatalf("low rating: %v; want a reopen offer", texts(rs))
	}
	rs = w.press(citizen, "reopen:"+id)
	got := w.ticket(id)
	if got.Status != shakwa.StatusClaimed || got.Holder.ID != fatima.id || got.Reopens != 1 {
		t.Errorf("after reopen: %+v", got)
	}
	if len(find(rs, fatima.id, "أعاد المتعامل فتح")) != 1 {
		t.Errorf("holder not told of the reopen: %v", texts(rs))
	}
	evs, _ := w.store.Events(context.Background(), id)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if want := "created claimed reply note resolved rated reopened"; strings.Join(kinds, " ") != want {
		t.Errorf("events %v; want %s", kinds, want)
	}
}

func TestAdditionsAfterClosingAndTooLong(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	if rs := w.text(citizen, strings.Repeat("ن", 5000)); len(find(rs, citizen.id, "النص طويل: 5000 حرف")) != 1 ||
		len(find(rs, fatima.id, "")) != 0 {
		t.Errorf("5,000 characters relayed: %v; want a clear refusal and nothing to staff", texts(rs))
	}
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت المعالجة")
	reply := w.lastIDs["telegram:"+citizen.id] // the resolution message
	rs := w.do(citizen, bot.Message{ReplyTo: reply, Text: "شكراً، وصلتني الرسالة"})
	if len(find(rs, citizen.id, "مغلق")) != 1 {
		t.Errorf("reply to a resolved ticket: %v; want it is closed", texts(rs))
	}
}

func TestReopenWindow(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت المعالجة")
	w.wait(8 * 24 * time.Hour)
	rs := w.press(citizen, "reopen:"+id)
	if len(find(rs, citizen.id, "لا يمكن إعادة فتحه")) != 1 || w.ticket(id).Status != shakwa.StatusResolved {
		t.Errorf("reopen after 8 days: %v", texts(rs))
	}
}

// TestReopenPressedTwice: pressing reopen again, on a ticket it has just
// reopened, says it is open and shows it; not that the days to reopen it
// have passed.
func TestReopenPressedTwice(t *testing.T) {
	w := newWorld(t)
	id := w.fileComplaint(citizen, "KRM")
	w.press(fatima, "claim:"+id)
	w.press(fatima, "close:"+id)
	w.text(fatima, "تمت المعالجة")
	w.press(citizen, "rate:"+id+":1")
	w.press(citizen, "reopen:"+id)
	rs := w.press(citizen, "reopen:"+id)
	if len(find(rs, citizen.id, "فلا حاجة لإعادة فتحه")) != 1 || len(find(rs, citizen.id, "لا يمكن إعادة فتحه")) != 0 {
		t.Errorf("reopen pressed again: %v; want that it is open already", texts(rs))
	}
	if got := find(rs, citizen.id, id); len(got) < 2 || got[len(got)-1].Ref != refTicket+id {
		t.Errorf("reopen pressed again: %v; want the ticket shown", texts(rs))
	}
	if got := w.ticket(id); got.Reopens != 1 {
		t.Errorf("reopened %d times; want 1", got.Reopens)
	}
}

func TestFeedbackAndThanksReachStaff(t *testing.T) {
	w := newWorld(t)
	w.press(citizen, menuThanks)
	w.press(citizen, "centre:KRM")
	w.text(citizen, "فاطمة")
	rs := w.text(citizen, "شكراً على حسن الاستقبال")
	if len(find(rs, "-1001", "فاطمة")) != 1 || len(find(rs, citizen.id, "شكراً لك")) != 1 {
		t.Errorf("thanks: %v", texts(rs))
	}
	w.press(other, menuFeedback)
	w.press(other, "centre:KRM")
	w.text(other, "٤")
	rs = w.press(other, "skip")
	if len(find(rs, "-1001", "4 نجوم")) != 1 {
		t.Errorf("feedback: %v", texts(rs))
	}
	fs, _ := w.store.FeedbackCreated(context.Background(), w.now.Add(-time.Hour), w.now.Add(time.Second))
	if len(fs) != 2 || fs[1].Stars != 4 && fs[0].Stars != 4 {
		t.Errorf("stored feedback %+v; want thanks and 4 stars", fs)
	}
}

// TestTypedNo: «لا» to "would you name the staff member?" skips the name
// (it was taken for one), and a typed "skip" where nothing can be skipped
// is answered as the text it is, not as an old button.
func TestTypedNo(t *testing.T) {
	w := newWorld(t)
	w.press(citizen, menuThanks)
	w.press(citizen, "centre:KRM")
	w.text(citizen, "لا")
	rs := w.text(citizen, "شكراً على حسن الاستقبال")
	card := find(rs, "-1001", "شكراً على حسن الاستقبال")
	if len(card) != 1 || strings.Contains(card[0].Text, "للموظف") {
		t.Errorf("thanks card: %v; want it without a staff member named «لا»", texts(rs))
	}
	w.toDescription(citizen, "KRM")
	rs = w.text(citizen, "تخطي")
	if len(find(rs, citizen.id, w.tr("ar", "error.stale_button", nil))) != 0 ||
		len(find(rs, citizen.id, w.tr("ar", "error.too_short", map[string]any{"Count": 10}))) != 1 {
		t.Errorf("typed skip at the description: %v; want it read as the (too short) text it is", texts(rs))
	}
}

func texts(rs []bot.Reply) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Chat+": "+r.Text)
	}
	return out
}

// TestGroupLanguage: a centre whose staff group reads English gets its
// cards in English; the others stay Arabic.
func TestGroupLanguage(t *testing.T) {
	w := newWorldWith(t, strings.Replace(testConfig, "    staff_chat: -1002\n", "    staff_chat: -1002\n    group_lang: en\n", 1))
	w.toSummary(citizen, "BRS")
	if rs := w.press(citizen, "confirm"); len(find(rs, "-1002", "New request BRS-000001")) != 1 {
		t.Errorf("no English card in the BRS group: %q", texts(rs))
	}
	w.toSummary(citizen, "KRM")
	if rs := w.press(citizen, "confirm"); len(find(rs, "-1001", "طلب جديد KRM-000001")) != 1 {
		t.Errorf("the KRM card is not in Arabic: %q", texts(rs))
	}
}

// TestFloodLimit: past limits.messages_per_minute of typed messages a
// citizen is asked once to slow down and hears nothing more that minute,
// but what they send is still taken: the description they typed is in
// the summary a minute later. Presses do not count, others are answered
// as ever.
func TestFloodLimit(t *testing.T) {
	w := newWorld(t)
	for i := range 20 {
		if rs := w.text(citizen, "مرحبا"); len(find(rs, citizen.id, "كيف يمكننا خدمتك")) != 1 {
			t.Fatalf("message %d: %q; want the menu", i+1, texts(rs))
		}
	}
	for _, data := range []string{menuComplaint, "centre:KRM", "cat:waiting"} {
		if rs := w.press(citizen, data); len(rs) != 2 {
			t.Errorf("press %s: %q; want it answered with the next question", data, texts(rs))
		}
	}
	rs := w.text(citizen, "انتظرت أكثر من ساعتين دون أن يُنادى رقمي")
	if len(rs) != 1 || !strings.Contains(rs[0].Text, "تمهّل") {
		t.Errorf("message 21: %q; want one word to slow down", texts(rs))
	}
	if rs := w.text(citizen, "مرحبا"); len(rs) != 0 {
		t.Errorf("message 22: %q; want nothing", texts(rs))
	}
	if rs := w.text(other, "hello"); len(find(rs, other.id, "How can we help")) != 1 {
		t.Errorf("another citizen: %q; want the menu", texts(rs))
	}
	w.wait(time.Minute)
	if rs := w.press(citizen, "skip"); len(find(rs, citizen.id, "دون أن يُنادى رقمي")) != 1 {
		t.Errorf("a minute later: %q; want the summary with the description typed during the flood", texts(rs))
	}
}

// TestConfirmationInWorkingHours: a centre counting working hours, and a
// category with a target of its own, say so in the citizen's
// confirmation, in hours: two "days" of working time are not two days.
func TestConfirmationInWorkingHours(t *testing.T) {
	cfg := strings.Replace(testConfig, "reopen_days: 7\n", "reopen_days: 7\nworking_hours: {monday: 07:30-15:30, sunday: 07:30-15:30}\n", 1)
	cfg = strings.Replace(cfg, `name: {ar: "طول فترة الانتظار", en: "Waiting time"}`, `name: {ar: "طول فترة الانتظار", en: "Waiting time"}`+"\n    sla: {claim: 10m}", 1)
	w := newWorldWith(t, cfg)
	w.toSummary(citizen, "KRM")
	rs := w.press(citizen, "confirm")
	if len(find(rs, citizen.id, "خلال 10 دقائق، ونسعى لمعالجته خلال 48 ساعة من ساعات العمل")) != 1 {
		t.Errorf("confirmation: %q; want the category's 10 minutes and 48 working hours", texts(rs))
	}
}
