package handlers

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/files"
)

// TestStaffNamed: the name a citizen types in thanks finds the staff
// member however it is spelled, and nobody when it fits none or two.
func TestStaffNamed(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct{ centre, typed, want string }{
		{"KRM", "فاطمة المنصوري", "111"},
		{"KRM", "  فاطمه  ", "111"},
		{"KRM", "الأخت فاطمة", ""}, // a word that is in no name
		{"KRM", "خالد", "112"},
		{"KRM", "مريم", ""}, // Maryam is at BRS
		{"BRS", "مريم الكعبي", "113"},
		{"KRM", "نورة", "114"}, // a supervisor serves too
		{"KRM", "", ""},
	} {
		got, ok := w.h.staffNamed(tc.centre, tc.typed)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s %q = %q, %v; want %q", tc.centre, tc.typed, got, ok, tc.want)
		}
	}
	two := newWorldWith(t, strings.Replace(testConfig, `name: "خالد الحمادي"`, `name: "خالد فاطمة"`, 1))
	if got, ok := two.h.staffNamed("KRM", "فاطمة"); ok {
		t.Errorf("a name that fits two = %q; want nobody", got)
	}
}

// TestStaffFigures: /staff lists each staff member's claimed, resolved,
// median resolution, rating and thanks as a count from the tickets gives,
// the top performers first and named; the period and centre narrow it.
func TestStaffFigures(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	people := map[string]string{"111": "فاطمة المنصوري", "112": "خالد الحمادي", "113": "مريم الكعبي", "114": "نورة الشامسي"}
	ids := []string{"111", "112", "113", "114"}
	var tickets []string
	var thanks []*shakwa.Feedback
	for i := range 160 {
		created := w.now.Add(-time.Duration(r.Int64N(int64(40 * 24 * time.Hour))))
		id := ids[r.IntN(4)]
		centre := "KRM"
		if id == "113" || id == "114" && r.IntN(2) == 0 {
			centre = "BRS"
		}
		who := shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(20000 + i)}
		tk := &shakwa.Ticket{Centre: centre, Category: "waiting", Text: "…", Created: created, Updated: created}
		if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, tk.ID)
		by := shakwa.Staff{ID: id, Name: people[id]}
		at := created.Add(time.Duration(r.Int64N(int64(3 * time.Hour))))
		if at.After(w.now) || r.IntN(6) == 0 {
			continue
		}
		w.store.Claim(ctx, tk.ID, by, nil, at)
		at = at.Add(time.Duration(r.Int64N(int64(50 * time.Hour))))
		if at.After(w.now) || r.IntN(5) == 0 {
			continue
		}
		w.store.Resolve(ctx, tk.ID, by, "…", at)
		if r.IntN(3) > 0 {
			w.store.Rate(ctx, tk.ID, who, 1+r.IntN(5), at.Add(time.Minute))
		}
		if r.IntN(3) == 0 {
			f := &shakwa.Feedback{Kind: shakwa.KindThanks, Centre: centre, Staff: people[id], StaffID: id, Created: at.Add(2 * time.Minute)}
			if err := w.store.AddFeedback(ctx, f, who); err != nil {
				t.Fatal(err)
			}
			thanks = append(thanks, f)
		}
	}
	var ts []*shakwa.Ticket
	for _, id := range tickets {
		tk, err := w.store.Ticket(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, tk)
	}
	for _, args := range []string{"last 30 days", "last week", "month KRM", "last month brs"} {
		span, centre, err := w.h.statsArgs(args, w.now)
		if err != nil {
			t.Fatal(err)
		}
		end := span.To
		if !span.Now.IsZero() && span.Now.Before(end) {
			end = span.Now
		}
		in := func(at time.Time) bool { return !at.IsZero() && !at.Before(span.From) && at.Before(end) }
		mine := func(c string) bool { return centre == "" || c == centre }
		rs := w.text(manager, "/staff "+args)
		if len(rs) != 1 {
			t.Fatalf("/staff %s: %v", args, texts(rs))
		}
		text := rs[0].Text
		for _, id := range ids {
			var claimed, resolved, ratings, stars, th int
			var ds []time.Duration
			for _, tk := range ts {
				if tk.Holder.ID != id || !mine(tk.Centre) {
					continue
				}
				if in(tk.Claimed) {
					claimed++
				}
				final := tk.Status == shakwa.StatusResolved || tk.Status == shakwa.StatusClosed
				if final && in(tk.Resolved) {
					resolved++
					ds = append(ds, tk.Resolved.Sub(tk.Created))
				}
				if tk.Rating > 0 && in(tk.Rated) && final && !tk.Rated.Before(tk.Resolved) { // of their resolution
					ratings++
					stars += tk.Rating
				}
			}
			for _, f := range thanks {
				if f.StaffID == id && mine(f.Centre) && in(f.Created) {
					th++
				}
			}
			if claimed == 0 && resolved == 0 && th == 0 {
				if strings.Contains(text, people[id]+"\u2069:") {
					t.Errorf("/staff %s: %s listed with nothing done", args, people[id])
				}
				continue
			}
			// The median is read from a histogram: within 2.5 %.
			medians := []string{"—"}
			if len(ds) > 0 {
				sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
				m := ds[(len(ds)+1)/2-1]
				medians = nil
				for d := m * 975 / 1000; d <= m*1025/1000; d += 30 * time.Second {
					medians = append(medians, w.h.shortDuration("ar", d))
				}
			}
			rating := "—"
			if ratings > 0 {
				rating = fmt.Sprintf("%s (%d)", big.NewRat(int64(stars), int64(ratings)).FloatString(2), ratings)
			}
			found := false
			for _, median := range medians {
				want := fmt.Sprintf("\u2068%s\u2069: استلم %d · عالج %d · الوسيط %s · ⭐ %s · 🙏 %d", people[id], claimed, resolved, median, rating, th)
				found = found || strings.Contains(text, want)
			}
			if !found {
				t.Errorf("/staff %s: want %s: claimed %d, resolved %d, median one of %q, rating %s, thanks %d in\n%s",
					args, people[id], claimed, resolved, medians, rating, th, text)
			}
		}
		if args == "last 30 days" {
			t.Logf("\n%s", text)
			if !strings.Contains(text, "🌟") || !strings.Contains(text, "الأكثر معالجةً") {
				t.Errorf("/staff: no one recognised in\n%s", text)
			}
		}
	}
}

// TestThanksFindTheirStaff: thanks typed through the bot count for the
// staff member they name.
func TestThanksFindTheirStaff(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f := &shakwa.Feedback{Kind: shakwa.KindThanks, Centre: "KRM", Staff: "خالد", Created: w.now}
	f.StaffID, _ = w.h.staffNamed(f.Centre, f.Staff)
	if err := w.store.AddFeedback(ctx, f, shakwa.Address{Channel: "telegram", Chat: "5001"}); err != nil {
		t.Fatal(err)
	}
	rs := w.text(manager, "/staff today")
	if len(find(rs, manager.id, "🙏 1")) != 1 || len(find(rs, manager.id, "خالد الحمادي")) != 1 {
		t.Errorf("/staff after thanks for Khalid: %v", texts(rs))
	}
}

// TestStaffManyAsDocument: with more staff than a message lists, the
// message names the first fifteen and every one goes in a spreadsheet.
func TestStaffManyAsDocument(t *testing.T) {
	var more strings.Builder
	for i := range 20 {
		fmt.Fprintf(&more, "  - {telegram: %d, name: \"موظف %d\", role: staff, centres: [KRM]}\n", 3000+i, i+1)
	}
	w := newWorldWith(t, strings.Replace(testConfig, "people:\n", "people:\n"+more.String(), 1))
	fs, err := files.Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	w.h.files = fs
	ctx := context.Background()
	for i := range 20 {
		created := w.now.Add(-time.Duration(i+2) * time.Hour)
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: created, Updated: created}
		if err := w.store.CreateTicket(ctx, tk, shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(40000 + i)}, ""); err != nil {
			t.Fatal(err)
		}
		by := shakwa.Staff{ID: fmt.Sprint(3000 + i), Name: fmt.Sprintf("موظف %d", i+1)}
		w.store.Claim(ctx, tk.ID, by, nil, created.Add(time.Minute))
		w.store.Resolve(ctx, tk.ID, by, "…", created.Add(time.Hour))
	}
	rs := w.text(manager, "/staff last 7 days")
	if len(rs) != 2 || len(rs[1].Attachments) != 1 || !strings.HasPrefix(rs[1].Attachments[0].Name, "staff-") {
		t.Fatalf("/staff with 20 active staff: %v; want a message and a document", texts(rs))
	}
	if n := strings.Count(rs[0].Text, "\n15. "); n != 1 || strings.Contains(rs[0].Text, "\n16. ") {
		t.Errorf("message lists %q; want fifteen lines", rs[0].Text)
	}
	book, err := excelize.OpenReader(strings.NewReader(string(readDoc(t, fs, rs[1].Attachments[0]))))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows(book.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	// Every staff member and supervisor of the manager's centres, busy or
	// not: the 20, Fatima, Khalid, Maryam and Noura.
	if len(rows) != 1+24 {
		t.Errorf("spreadsheet has %d rows; want a header and 24 people", len(rows))
	}
}

// TestRecognisedTie: two staff members who resolved as many tickets are
// told apart as /staff orders them (the better rated first), and the daily
// report thanks the same one.
func TestRecognisedTie(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	day := w.now.Add(-24 * time.Hour)
	for i, p := range []person{fatima, fatima, khalid, khalid} {
		who := shakwa.Address{Channel: "telegram", Chat: fmt.Sprint(30000 + i)}
		tk := &shakwa.Ticket{Centre: "KRM", Category: "waiting", Text: "…", Created: day, Updated: day}
		if err := w.store.CreateTicket(ctx, tk, who, ""); err != nil {
			t.Fatal(err)
		}
		by := shakwa.Staff{ID: p.id, Name: p.name}
		w.store.Claim(ctx, tk.ID, by, nil, day.Add(time.Minute))
		w.store.Resolve(ctx, tk.ID, by, "…", day.Add(time.Hour))
		stars := 1
		if p == khalid {
			stars = 5
		}
		w.store.Rate(ctx, tk.ID, who, stars, day.Add(2*time.Hour))
	}
	most := func(rs []bot.Reply) string {
		for _, r := range rs {
			for line := range strings.SplitSeq(r.Text, "\n") {
				if strings.Contains(line, "الأكثر معالجةً") {
					return line
				}
			}
		}
		return ""
	}
	staff := most(w.text(manager, "/staff yesterday"))
	report := most(w.text(manager, "/report daily"))
	if !strings.Contains(staff, "خالد الحمادي") || report != staff {
		t.Errorf("most resolved, /staff: %q, /report: %q; want خالد الحمادي (better rated) in both", staff, report)
	}
}

// TestRecognisedTieEachTitle: a tie for any title goes to the better
// rated, then the more thanked, then the more resolved, whatever the
// order the staff come in: a tie for most thanked does not go to whoever
// resolved more.
func TestRecognisedTieEachTitle(t *testing.T) {
	w := newWorld(t)
	staff := func(id, name string, resolved, thanks int64, stars int) staffFigures {
		s := staffFigures{ID: id, Name: name}
		s.Resolved, s.Thanks = resolved, thanks
		s.Ratings[stars-1] = 5
		return s
	}
	busy := staff("1", "Busy", 10, 3, 3)
	kind := staff("2", "Kind", 2, 3, 5) // as thanked as Busy, better rated
	for _, ss := range [][]staffFigures{{busy, kind}, {kind, busy}} {
		lines := w.h.words.recognised("en", ss)
		thanked := ""
		for _, l := range lines {
			if strings.Contains(l, "most thanked") {
				thanked = l
			}
		}
		if !strings.Contains(thanked, "Kind") {
			t.Errorf("most thanked: %q of %q; want Kind, the better rated of a tie", thanked, lines)
		}
	}
}
