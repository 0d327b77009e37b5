package storage_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// ms is t as Redis keeps the times of an assessment: whole milliseconds.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// answer is a supervisor's answer on criterion code at time at.
func answer(code, mark, by string, at time.Time) shakwa.Answer {
	a := shakwa.Answer{Criterion: code, Mark: mark, Priority: "high", Weight: 1.5, By: by, At: at}
	if mark != shakwa.MarkMet {
		a.Reason, a.Owner = "لا توجد لافتة", "هدى"
	}
	return a
}

// testAssessments: an assessment is opened once; each standard keeps its
// first answer; the answer that completes it, and only that one, says so,
// also when two supervisors answer the last standards at once.
func testAssessments(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)
	all := []string{"Q1", "Q2", "Q3"}

	a, err := s.Assessment(c, "KRM", "2026-11")
	if err != nil || a.Centre != "KRM" || a.Month != "2026-11" || !a.Opened.IsZero() || !a.Done.IsZero() ||
		a.Answers == nil || len(a.Answers) != 0 {
		t.Fatalf("Assessment before any = %+v, %v; want an empty one of KRM in 2026-11", a, err)
	}

	// Opening twice: the first time stays.
	if ok, err := s.OpenAssessment(c, "KRM", "2026-11", at(0)); err != nil || !ok {
		t.Fatalf("OpenAssessment = %v, %v; want true", ok, err)
	}
	if ok, err := s.OpenAssessment(c, "KRM", "2026-11", at(1)); err != nil || ok {
		t.Errorf("OpenAssessment again = %v, %v; want false", ok, err)
	}
	if a, _ = s.Assessment(c, "KRM", "2026-11"); !a.Opened.Equal(ms(at(0))) || !a.Done.IsZero() {
		t.Errorf("after opening: Opened %v, Done %v; want %v and zero", a.Opened, a.Done, ms(at(0)))
	}

	// Answers, and the same standard answered twice: the first stays.
	first := answer("Q1", shakwa.MarkPartly, "114", at(2))
	if stored, done, err := s.AnswerAssessment(c, "KRM", "2026-11", first, all); err != nil || !stored || done {
		t.Fatalf("AnswerAssessment(Q1) = %v, %v, %v; want stored, not done", stored, done, err)
	}
	if stored, done, err := s.AnswerAssessment(c, "KRM", "2026-11", answer("Q1", shakwa.MarkMet, "115", at(3)), all); err != nil || stored || done {
		t.Errorf("AnswerAssessment(Q1) again = %v, %v, %v; want not stored, not done", stored, done, err)
	}
	a, err = s.Assessment(c, "KRM", "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Answers["Q1"]; !got.At.Equal(first.At) || got.Mark != first.Mark || got.By != "114" ||
		got.Reason != first.Reason || got.Owner != first.Owner || got.Priority != "high" || got.Weight != 1.5 || got.Criterion != "Q1" {
		t.Errorf("Q1 = %+v; want the first answer %+v", got, first)
	}
	if len(a.Answers) != 1 || !a.Done.IsZero() {
		t.Errorf("after one answer: %d answers, Done %v; want 1 and zero", len(a.Answers), a.Done)
	}

	// A mis-tapped answer taken back is asked again, and answered anew.
	if stored, _, err := s.AnswerAssessment(c, "KRM", "2026-11", answer("Q2", shakwa.MarkUnmet, "114", at(3)), all); err != nil || !stored {
		t.Fatalf("AnswerAssessment(Q2) = %v, %v", stored, err)
	}
	if taken, err := s.WithdrawAnswer(c, "KRM", "2026-11", "Q2"); err != nil || !taken {
		t.Errorf("WithdrawAnswer(Q2) = %v, %v; want it taken", taken, err)
	}
	if taken, err := s.WithdrawAnswer(c, "KRM", "2026-11", "Q2"); err != nil || taken {
		t.Errorf("WithdrawAnswer(Q2) again = %v, %v; want nothing to take", taken, err)
	}
	if a, _ = s.Assessment(c, "KRM", "2026-11"); len(a.Answers) != 1 {
		t.Errorf("after the withdrawal: %v; want Q1's answer only", a.Answers)
	}

	// The last answer completes it, once.
	if stored, done, err := s.AnswerAssessment(c, "KRM", "2026-11", answer("Q2", shakwa.MarkMet, "114", at(4)), all); err != nil || !stored || done {
		t.Errorf("AnswerAssessment(Q2) = %v, %v, %v; want stored, not done", stored, done, err)
	}
	if stored, done, err := s.AnswerAssessment(c, "KRM", "2026-11", answer("Q3", shakwa.MarkUnmet, "115", at(5)), all); err != nil || !stored || !done {
		t.Errorf("AnswerAssessment(Q3) = %v, %v, %v; want stored and done", stored, done, err)
	}
	if stored, done, err := s.AnswerAssessment(c, "KRM", "2026-11", answer("Q3", shakwa.MarkMet, "116", at(6)), all); err != nil || stored || done {
		t.Errorf("AnswerAssessment(Q3) again = %v, %v, %v; want neither", stored, done, err)
	}
	// A done assessment keeps its answers.
	if taken, err := s.WithdrawAnswer(c, "KRM", "2026-11", "Q3"); err != nil || taken {
		t.Errorf("WithdrawAnswer of a done assessment = %v, %v; want nothing taken", taken, err)
	}
	a, _ = s.Assessment(c, "KRM", "2026-11")
	if !a.Done.Equal(ms(at(5))) || a.DoneBy != "115" || len(a.Answers) != 3 || !a.Opened.Equal(ms(at(0))) {
		t.Errorf("done assessment = %+v; want done at %v by 115 with 3 answers, opened at %v", a, ms(at(5)), ms(at(0)))
	}

	// An answer opens an assessment nobody opened.
	if stored, _, err := s.AnswerAssessment(c, "DXB", "2026-11", answer("Q2", shakwa.MarkMet, "200", at(7)), all); err != nil || !stored {
		t.Fatalf("AnswerAssessment in DXB = %v, %v", stored, err)
	}
	if ok, err := s.OpenAssessment(c, "DXB", "2026-11", at(8)); err != nil || ok {
		t.Errorf("OpenAssessment after an answer = %v, %v; want false", ok, err)
	}
	// Another month is another assessment.
	if ok, err := s.OpenAssessment(c, "KRM", "2026-12", at(9)); err != nil || !ok {
		t.Errorf("OpenAssessment of December = %v, %v; want true", ok, err)
	}

	// Several centres, in the order given, one with nothing.
	as, err := s.Assessments(c, []string{"DXB", "AUH", "KRM"}, "2026-11")
	if err != nil || len(as) != 3 {
		t.Fatalf("Assessments = %v, %v; want 3", as, err)
	}
	if as[0].Centre != "DXB" || !as[0].Opened.Equal(ms(at(7))) || len(as[0].Answers) != 1 || !as[0].Done.IsZero() {
		t.Errorf("Assessments[0] = %+v; want DXB opened at %v with one answer", as[0], ms(at(7)))
	}
	if as[1].Centre != "AUH" || as[1].Month != "2026-11" || !as[1].Opened.IsZero() || as[1].Answers == nil || len(as[1].Answers) != 0 {
		t.Errorf("Assessments[1] = %+v; want an empty one of AUH", as[1])
	}
	if as[2].Centre != "KRM" || !as[2].Done.Equal(ms(at(5))) || len(as[2].Answers) != 3 {
		t.Errorf("Assessments[2] = %+v; want KRM done", as[2])
	}
	if as, err := s.Assessments(c, nil, "2026-11"); err != nil || len(as) != 0 {
		t.Errorf("Assessments of no centres = %v, %v; want none", as, err)
	}
	// One centre, several months: a month and the one before it.
	ms2, err := s.AssessmentMonths(c, "KRM", "2026-11", "2026-10")
	if err != nil || len(ms2) != 2 || ms2[0].Month != "2026-11" || len(ms2[0].Answers) != 3 ||
		ms2[1].Month != "2026-10" || ms2[1].Centre != "KRM" || !ms2[1].Opened.IsZero() {
		t.Errorf("AssessmentMonths(KRM, 2026-11, 2026-10) = %+v, %v; want November's done and an empty October", ms2, err)
	}

	// Malformed input.
	for _, m := range []string{"", "2026-13", "2026-1", "26-11", "2026-11-01", "2026/11", "٢٠٢٦-١١"} {
		if _, err := s.OpenAssessment(c, "KRM", m, at(0)); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("OpenAssessment(month %q): %v; want invalid", m, err)
		}
		if _, _, err := s.AnswerAssessment(c, "KRM", m, answer("Q1", shakwa.MarkMet, "1", at(0)), all); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("AnswerAssessment(month %q): %v; want invalid", m, err)
		}
		if _, err := s.Assessment(c, "KRM", m); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("Assessment(month %q): %v; want invalid", m, err)
		}
		if _, err := s.Assessments(c, []string{"KRM"}, m); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("Assessments(month %q): %v; want invalid", m, err)
		}
	}
	if _, err := s.OpenAssessment(c, "K-1", "2026-11", at(0)); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("OpenAssessment(centre K-1): %v; want invalid", err)
	}
	if _, err := s.Assessments(c, []string{"KRM", "{x}"}, "2026-11"); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("Assessments(centre {x}): %v; want invalid", err)
	}
	for name, a := range map[string]shakwa.Answer{
		"no criterion": answer("", shakwa.MarkMet, "1", at(0)),
		"no mark":      answer("Q1", "", "1", at(0)),
		"odd mark":     answer("Q1", "great", "1", at(0)),
		"nobody":       answer("Q1", shakwa.MarkMet, "", at(0)),
		"no time":      answer("Q1", shakwa.MarkMet, "1", time.Time{}),
	} {
		if _, _, err := s.AnswerAssessment(c, "AUH", "2026-11", a, all); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("AnswerAssessment with %s: %v; want invalid", name, err)
		}
	}
	if a, _ := s.Assessment(c, "AUH", "2026-11"); !a.Opened.IsZero() || len(a.Answers) != 0 {
		t.Errorf("refused answers left %+v", a)
	}

	// Two supervisors answer the last two standards at once, each
	// pressing twice, from two processes: one answer a standard, one
	// completion.
	other, err := f.reopen(c, storage.WithPrefix(f.prefix))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	stores := []*storage.Store{s, other}
	for r := range 20 {
		centre := fmt.Sprint("R", r)
		if _, _, err := s.AnswerAssessment(c, centre, "2026-11", answer("Q1", shakwa.MarkMet, "114", at(r)), all); err != nil {
			t.Fatal(err)
		}
		type result struct {
			code, by     string
			stored, done bool
		}
		results := make(chan result, 4)
		var wg sync.WaitGroup
		for i, code := range []string{"Q2", "Q3", "Q3", "Q2"} {
			wg.Go(func() {
				by := strconv.Itoa(300 + i)
				stored, done, err := stores[i%2].AnswerAssessment(c, centre, "2026-11", answer(code, shakwa.MarkMet, by, at(r+1)), all)
				if err != nil {
					t.Errorf("round %d: AnswerAssessment(%s): %v", r, code, err)
				}
				results <- result{code, by, stored, done}
			})
		}
		wg.Wait()
		close(results)
		storedBy, doneBy := map[string]string{}, []string{}
		for res := range results {
			if res.stored {
				if storedBy[res.code] != "" {
					t.Errorf("round %d: %s stored twice", r, res.code)
				}
				storedBy[res.code] = res.by
			}
			if res.done {
				if !res.stored {
					t.Errorf("round %d: a call that stored nothing reported done", r)
				}
				doneBy = append(doneBy, res.by)
			}
		}
		if len(storedBy) != 2 || len(doneBy) != 1 {
			t.Fatalf("round %d: stored %v, done reported by %v; want Q2 and Q3 stored once and one completion", r, storedBy, doneBy)
		}
		a, err := other.Assessment(c, centre, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if a.DoneBy != doneBy[0] || !a.Done.Equal(ms(at(r+1))) || a.Answers["Q2"].By != storedBy["Q2"] || a.Answers["Q3"].By != storedBy["Q3"] {
			t.Errorf("round %d: %+v; want done by %s, answers by %v", r, a, doneBy[0], storedBy)
		}
	}
}

// day is the start of day d of March 2026 in the tests' zone.
func day(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, base.Location()) }

// newVisit files a visit to centre on day d.
func newVisit(t *testing.T, s *storage.Store, centre string, d int, once string) *shakwa.Visit {
	t.Helper()
	v := &shakwa.Visit{Centre: centre, Channel: "visit", By: "700", Filed: at(d),
		Scores: []shakwa.VisitScore{{Question: "wait", Value: 25, Score: 0.7, Priority: "high", Weight: 2}}}
	if err := s.AddVisit(ctx(t), v, day(d), once); err != nil {
		t.Fatalf("AddVisit: %v", err)
	}
	return v
}

// visitIDs lists the ids of vs.
func visitIDs(vs []*shakwa.Visit) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// testVisits: visits get increasing ids, once each per update; they are
// listed by centre and day; a release is kept once.
func testVisits(t *testing.T, open opener) {
	f := open(t)
	s, c := f.s, ctx(t)

	// A full visit comes back as filed, with its day filled in.
	full := &shakwa.Visit{Centre: "KRM", Channel: "phone", Notes: "ردّ بعد ١٠ دقائق", By: "700", Filed: base,
		Scores: []shakwa.VisitScore{
			{Question: "wait", Value: 10, Score: 1, Priority: "high", Weight: 2},
			{Question: "polite", Value: 4, Score: 0.75, Priority: "normal", Weight: 1},
		},
		Attachments: []shakwa.Attachment{{Kind: "photo", ID: "AgAD1", From: "telegram", Size: 1200}},
		Released:    at(5), ReleasedBy: "999", // not the caller's to set
	}
	if err := s.AddVisit(c, full, day(1), ""); err != nil {
		t.Fatalf("AddVisit: %v", err)
	}
	if full.ID != "V-000001" || full.Day != "2026-03-01" || !full.Released.IsZero() || full.ReleasedBy != "" {
		t.Errorf("AddVisit set ID %q, Day %q, Released %v by %q; want V-000001, 2026-03-01, not released",
			full.ID, full.Day, full.Released, full.ReleasedBy)
	}
	got, err := s.Visit(c, full.ID)
	if err != nil {
		t.Fatalf("Visit: %v", err)
	}
	if !got.Filed.Equal(base) {
		t.Errorf("Filed %v; want %v", got.Filed, base)
	}
	want := *full
	want.Filed, got.Filed = time.Time{}, time.Time{}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Visit = %+v; want %+v", *got, want)
	}

	// Ids increase; an explicit day stays.
	last := 1
	for _, v := range []*shakwa.Visit{newVisit(t, s, "KRM", 2, ""), newVisit(t, s, "DXB", 2, ""), newVisit(t, s, "KRM", 2, "")} {
		n, err := strconv.Atoi(strings.TrimPrefix(v.ID, "V-"))
		if err != nil || len(v.ID) != len("V-000001") || n <= last {
			t.Errorf("id %q after V-%06d; want a greater one", v.ID, last)
		}
		last = n
	}
	kept := &shakwa.Visit{Centre: "AUH", Day: "2026-03-03", By: "701"}
	if err := s.AddVisit(c, kept, day(3), ""); err != nil || kept.Day != "2026-03-03" {
		t.Errorf("AddVisit with a day: %q, %v", kept.Day, err)
	}

	// The same update twice files one visit, the first.
	once := newVisit(t, s, "KRM", 5, "telegram:81")
	again := &shakwa.Visit{Centre: "KRM", Notes: "again", By: "701", Filed: at(9)}
	if err := s.AddVisit(c, again, day(4), "telegram:81"); err != nil {
		t.Fatalf("AddVisit again: %v", err)
	}
	if again.ID != once.ID || again.Notes != "" || again.By != "700" || !again.Filed.Equal(once.Filed) || again.Day != "2026-03-05" {
		t.Errorf("AddVisit again = %+v; want the first %+v", again, once)
	}
	elsewhere := &shakwa.Visit{Centre: "AUH", By: "701"}
	if err := s.AddVisit(c, elsewhere, day(4), "telegram:81"); err != nil || elsewhere.ID != once.ID || elsewhere.Centre != "KRM" {
		t.Errorf("AddVisit again for AUH = %+v, %v; want the first, of KRM", elsewhere, err)
	}
	other := newVisit(t, s, "KRM", 4, "telegram:82")
	if other.ID == once.ID {
		t.Errorf("another update got the same visit %s", other.ID)
	}

	// [from, to), oldest first, ties by id, those centres only.
	all, err := s.Visits(c, []string{"KRM", "DXB", "AUH"}, day(1), day(6))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"V-000001", "V-000002", "V-000003", "V-000004", "V-000005", "V-000007", "V-000006"}; !slices.Equal(visitIDs(all), want) {
		t.Errorf("Visits of all = %v; want %v", visitIDs(all), want)
	}
	vs, err := s.Visits(c, []string{"KRM", "DXB"}, day(2), day(5))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"V-000002", "V-000003", "V-000004", "V-000007"}; !slices.Equal(visitIDs(vs), want) {
		t.Errorf("Visits of KRM and DXB, days 2 to 4 = %v; want %v", visitIDs(vs), want)
	}
	if vs, _ := s.Visits(c, []string{"DXB"}, day(2), day(2).Add(time.Millisecond)); !slices.Equal(visitIDs(vs), []string{"V-000003"}) {
		t.Errorf("Visits from the day's start = %v; want V-000003", visitIDs(vs))
	}
	if vs, _ := s.Visits(c, []string{"DXB"}, day(2).Add(time.Nanosecond), day(3)); len(vs) != 0 {
		t.Errorf("Visits from just after the day's start = %v; want none", visitIDs(vs))
	}
	if vs, _ := s.Visits(c, []string{"DXB"}, day(1), day(2)); len(vs) != 0 {
		t.Errorf("Visits up to the day's start = %v; want none", visitIDs(vs))
	}
	if vs, err := s.Visits(c, []string{"AUH"}, day(1), day(6)); err != nil || !slices.Equal(visitIDs(vs), []string{"V-000005"}) {
		t.Errorf("Visits of AUH = %v, %v; want only its own V-000005", visitIDs(vs), err)
	}
	if vs, err := s.Visits(c, nil, day(1), day(6)); err != nil || len(vs) != 0 {
		t.Errorf("Visits of no centre = %v, %v", visitIDs(vs), err)
	}
	if vs, err := s.Visits(c, []string{"SHJ"}, day(1), day(6)); err != nil || len(vs) != 0 {
		t.Errorf("Visits of a centre with none = %v, %v", visitIDs(vs), err)
	}

	// Released once; the second press changes nothing.
	v, released, err := s.ReleaseVisit(c, "V-000002", "900", at(10))
	if err != nil || !released || v.ID != "V-000002" || !v.Released.Equal(at(10)) || v.ReleasedBy != "900" || v.By != "700" {
		t.Fatalf("ReleaseVisit = %+v, %v, %v; want released at %v by 900", v, released, err, at(10))
	}
	v, released, err = s.ReleaseVisit(c, "V-000002", "901", at(11))
	if err != nil || released || !v.Released.Equal(at(10)) || v.ReleasedBy != "900" || len(v.Scores) != 1 {
		t.Errorf("ReleaseVisit again = %+v, %v, %v; want as released first", v, released, err)
	}
	if v, err := s.Visit(c, "V-000002"); err != nil || !v.Released.Equal(at(10)) || v.ReleasedBy != "900" {
		t.Errorf("Visit after release = %+v, %v", v, err)
	}
	for _, v := range all {
		v, _ := s.Visit(c, v.ID)
		if v.ID != "V-000002" && (!v.Released.IsZero() || v.ReleasedBy != "") {
			t.Errorf("%s is released too: %+v", v.ID, v)
		}
	}
	if vs, _ := s.Visits(c, []string{"KRM"}, day(2), day(3)); len(vs) != 2 || !vs[0].Released.Equal(at(10)) || vs[0].ReleasedBy != "900" || !vs[1].Released.IsZero() {
		t.Errorf("Visits after release = %+v; want V-000002 released, V-000004 not", vs)
	}

	// Unknown visits.
	if _, err := s.Visit(c, "V-999999"); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Visit unknown: %v; want not found", err)
	}
	if _, _, err := s.ReleaseVisit(c, "V-999999", "900", at(10)); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("ReleaseVisit unknown: %v; want not found", err)
	}
	if _, err := s.Visit(c, "V-999999"); !errors.Is(err, shakwa.ErrNotFound) {
		t.Errorf("Visit after releasing it unknown: %v; want still not found", err)
	}

	// A record gone missing is skipped.
	if err := f.rdb.Del(c, f.prefix+"visit:{V-000003}").Err(); err != nil {
		t.Fatal(err)
	}
	if vs, err := s.Visits(c, []string{"KRM", "DXB"}, day(2), day(3)); err != nil || !slices.Equal(visitIDs(vs), []string{"V-000002", "V-000004"}) {
		t.Errorf("Visits with a record missing = %v, %v; want V-000002, V-000004", visitIDs(vs), err)
	}

	// Malformed input.
	for name, v := range map[string]*shakwa.Visit{
		"no centre":  {By: "700"},
		"odd centre": {Centre: "K-1", By: "700"},
		"nobody":     {Centre: "KRM"},
	} {
		if err := s.AddVisit(c, v, day(1), ""); !errors.Is(err, shakwa.ErrInvalid) {
			t.Errorf("AddVisit with %s: %v; want invalid", name, err)
		}
	}
	if err := s.AddVisit(c, &shakwa.Visit{Centre: "KRM", By: "700"}, time.Time{}, ""); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("AddVisit without a day: %v; want invalid", err)
	}
	if err := s.AddVisit(c, nil, day(1), ""); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("AddVisit(nil): %v; want invalid", err)
	}
	if _, _, err := s.ReleaseVisit(c, "V-000001", "", at(10)); !errors.Is(err, shakwa.ErrInvalid) {
		t.Errorf("ReleaseVisit by nobody: %v; want invalid", err)
	}
	if next := newVisit(t, s, "KRM", 1, ""); next.ID != "V-000008" {
		t.Errorf("after refused visits the next is %s; want V-000008", next.ID)
	}
}
