package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/storage"
)

// profile is how a centre works: how busy it is and how well it serves,
// from 0 (slow, disliked) to 1 (quick, liked).
type profile struct {
	weight  float64
	quality float64
}

// script is what a plan's stories are drawn from: the centres' profiles
// and the weights of the days.
type script struct {
	*Plan
	profiles []profile
	days     []time.Time // local midnights, oldest first
	dayCDF   []float64   // cumulative weights of days
}

func newScript(p *Plan) *script {
	s := &script{Plan: p}
	for i := range p.World.Centres {
		r := rand.New(rand.NewPCG(p.Seed, 2<<40|uint64(i)))
		q := (r.Float64() + r.Float64()) / 2
		if r.IntN(10) == 0 {
			q *= 0.4 // a few centres that struggle
		}
		s.profiles = append(s.profiles, profile{weight: math.Exp(0.6 * r.NormFloat64()), quality: q})
	}
	today := p.Now.In(p.Loc)
	midnight := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, p.Loc)
	sum := 0.0
	for d := p.Days - 1; d >= 0; d-- {
		day := midnight.AddDate(0, 0, -d)
		s.days = append(s.days, day)
		sum += dayWeight(day.Weekday())
		s.dayCDF = append(s.dayCDF, sum)
	}
	return s
}

// dayWeight is how busy a day of the week is: the centres work Monday to
// Friday (a short Friday); a few open at the weekend.
func dayWeight(d time.Weekday) float64 {
	switch d {
	case time.Friday:
		return 0.7
	case time.Saturday:
		return 0.35
	case time.Sunday:
		return 0.3
	}
	return 1
}

// counts shares the plan's tickets out among the centres by their
// weights, largest remainders first.
func (s *script) counts() []int {
	total := 0.0
	for _, p := range s.profiles {
		total += p.weight
	}
	out := make([]int, len(s.profiles))
	type rest struct {
		i int
		r float64
	}
	var rs []rest
	given := 0
	for i, p := range s.profiles {
		exact := float64(s.Tickets) * p.weight / total
		out[i] = int(exact)
		given += out[i]
		rs = append(rs, rest{i, exact - float64(out[i])})
	}
	slices.SortStableFunc(rs, func(a, b rest) int { return cmpFloat(b.r, a.r) })
	for k := 0; given < s.Tickets; k++ {
		out[rs[k%len(rs)].i]++
		given++
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rng is the random source of the j-th ticket of centre c: each ticket
// has its own, so that the stories do not depend on the order they are
// written in.
func (s *script) rng(kind, c, j int) *rand.Rand {
	return rand.New(rand.NewPCG(s.Seed, uint64(kind)<<40|uint64(c)<<24|uint64(j)))
}

// moment draws a time over the plan's days: more on weekdays, mostly in
// the daytime, always before now.
func (s *script) moment(r *rand.Rand) time.Time {
	for {
		i, _ := slices.BinarySearch(s.dayCDF, r.Float64()*s.dayCDF[len(s.dayCDF)-1])
		day := s.days[min(i, len(s.days)-1)]
		var h float64
		switch x := r.Float64(); {
		case x < 0.12: // any hour: the web and WhatsApp never close
			h = 24 * r.Float64()
		case x < 0.6: // the morning rush
			h = 10.5 + 1.6*r.NormFloat64()
		default: // the afternoon
			h = 16.5 + 1.8*r.NormFloat64()
		}
		h = min(max(h, 0), 23.999)
		at := day.Add(time.Duration(h * float64(time.Hour)))
		if at.Before(s.Now) {
			return at
		}
	}
}

// lognormal draws a duration of the given median: most near it, a few
// much longer.
func lognormal(r *rand.Rand, median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
}

// workday moves t to the next opening (7:30 local) when it falls at night.
func (s *script) workday(t time.Time) time.Time {
	l := t.In(s.Loc)
	h := float64(l.Hour()) + float64(l.Minute())/60
	open := time.Date(l.Year(), l.Month(), l.Day(), 7, 30, 0, 0, s.Loc)
	switch {
	case h < 7.5:
		return open
	case h >= 21:
		return open.AddDate(0, 0, 1)
	}
	return t
}

var (
	channels = []string{"telegram", "whatsapp", "web"}
	texts    = map[string][]string{
		"ar": {
			"انتظرت أكثر من ساعتين دون أن يُنادى رقمي، والشاشة متوقفة منذ الصباح.",
			"الموظف رفض استلام الطلب وطلب مستندات غير مذكورة في الموقع.",
			"دفعت الرسوم مرتين ولم يُرد لي المبلغ حتى الآن.",
			"المعاملة متأخرة منذ أسبوعين ولا أحد يرد على الهاتف.",
			"لا توجد مواقف كافية والمصعد معطل.",
			"التطبيق يعطي خطأ عند رفع الصور ولا يمكن إكمال الطلب.",
			"حجزت موعداً ولما وصلت قالوا لا يوجد موعد باسمي.",
			"تعامل غير لائق من موظف الاستقبال.",
		},
		"en": {
			"Waited for two hours and my number was never called.",
			"I was charged twice for the same service and have had no refund.",
			"The online form fails when I upload my documents.",
			"My booking was not found when I arrived at the centre.",
		},
	}
	replies     = []string{"نعتذر عن التأخير، نعمل على طلبك الآن.", "تم تحويل الطلب إلى القسم المختص.", "يرجى تزويدنا بصورة الإيصال."}
	resolutions = []string{"تمت معالجة الطلب وإبلاغ المتعامل.", "تم رد المبلغ إلى البطاقة.", "تم إصلاح العطل.", "تم التواصل مع المتعامل وحجز موعد جديد."}
	rejections  = []string{"مرفوض: الطلب خارج اختصاص المركز.", "مرفوض: لا تتوفر بيانات كافية للمتابعة."}
)

// citizen is the address of the k-th citizen: the same k is the same
// person on the same channel, half on Telegram, a third on WhatsApp, the
// rest on the web chat.
func citizen(k int) shakwa.Address {
	switch k % 20 {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9:
		return shakwa.Address{Channel: channels[0], Chat: strconv.Itoa(600000000 + k)}
	case 10, 11, 12, 13, 14, 15, 16:
		return shakwa.Address{Channel: channels[1], Chat: fmt.Sprintf("9715%08d", k%100000000)}
	}
	return shakwa.Address{Channel: channels[2], Chat: fmt.Sprintf("v%015x", uint64(k)*0x9e3779b97f4a7c15>>4)}
}

// citizens is how many people the plan's tickets come from: some file
// more than one.
func (s *script) citizens() int { return max(s.Tickets*3/4, 1) }

// story draws the life of the j-th ticket of centre c.
func (s *script) story(c, j int) storage.Life {
	r := s.rng(1, c, j)
	created := s.moment(r)
	k := r.IntN(s.citizens())
	from := citizen(k)
	lang := "ar"
	if k%5 == 0 {
		lang = "en"
	}
	t := shakwa.Ticket{
		Centre: s.World.Centres[c].Code, Category: s.World.Categories[zipf(r, len(s.World.Categories))],
		Text: texts[lang][r.IntN(len(texts[lang]))], Lang: lang, Created: created, Updated: created,
	}
	if from.Channel == "whatsapp" || r.IntN(3) == 0 {
		t.Phone = "+9715" + strconv.Itoa(10000000+k%90000000)
	}
	l := storage.Life{Ticket: t, From: from}
	(&life{s: s, r: r, l: &l, centre: c, at: created}).live()
	return l
}

// zipf draws one of n, the first ones more often.
func zipf(r *rand.Rand, n int) int {
	total := 0.0
	for i := range n {
		total += 1 / float64(i+1)
	}
	x := r.Float64() * total
	for i := range n {
		if x -= 1 / float64(i+1); x < 0 {
			return i
		}
	}
	return n - 1
}

// life writes a story's steps, each after the one before, until one would
// come after now.
type life struct {
	s      *script
	r      *rand.Rand
	l      *storage.Life
	centre int // where the ticket is now
	at     time.Time
	ended  bool
}

// add appends a change d after the last one, unless that is after now.
func (l *life) add(d time.Duration, s storage.Change) bool {
	if l.ended {
		return false
	}
	at := l.at.Add(max(d, time.Second))
	if !at.Before(l.s.Now) {
		l.ended = true
		return false
	}
	s.At, l.at = at, at
	l.l.Changes = append(l.l.Changes, s)
	return true
}

func (l *life) chance(p float64) bool { return l.r.Float64() < p }

func (l *life) quality() float64 { return l.s.profiles[l.centre].quality }

func (l *life) staff() shakwa.Staff {
	ss := l.s.World.Centres[l.centre].Staff
	return ss[l.r.IntN(len(ss))]
}

// claimDelay is how long the centre takes to claim a ticket filed at
// l.at: from its next opening, minutes at a good centre, an hour or more
// at a poor one.
func (l *life) claimDelay() time.Duration {
	q := l.quality()
	wait := l.s.workday(l.at).Sub(l.at)
	return wait + lognormal(l.r, 3*time.Minute+time.Duration((1-q)*(1-q)*float64(70*time.Minute)), 0.9)
}

// transferTo picks another centre.
func (l *life) transferTo() int {
	n := len(l.s.World.Centres)
	return (l.centre + 1 + l.r.IntN(n-1)) % n
}

// live writes the ticket's changes: claimed (perhaps after a transfer,
// perhaps given back or sent on), replied to, resolved or rejected, then
// rated or closed unrated, and now and then reopened and resolved again.
func (l *life) live() {
	holder, ok := l.claimed()
	if !ok {
		return
	}
	q := l.quality()
	if l.chance(0.8) {
		l.add(lognormal(l.r, 12*time.Minute, 1), storage.Change{Kind: storage.ChangeReply, By: holder, Text: replies[l.r.IntN(len(replies))]})
	}
	if l.chance(0.005 + 0.02*(1-q)) { // left in progress
		return
	}
	rejected := l.chance(0.06)
	l.resolve(holder, rejected, q)
	for round := 0; !l.ended && l.verdict(rejected, q, round < 2); round++ {
		l.resolve(holder, false, q)
		rejected = false
	}
}

// claimed writes the changes up to the claim that stands, and returns the
// holder; false when the ticket is never claimed (or not by now).
func (l *life) claimed() (shakwa.Staff, bool) {
	if len(l.s.World.Centres) > 1 && l.chance(0.015) { // sent on before anyone takes it
		to := l.transferTo()
		if !l.add(lognormal(l.r, 25*time.Minute, 1), storage.Change{Kind: storage.ChangeTransfer, By: l.staff(), To: l.s.World.Centres[to].Code}) {
			return shakwa.Staff{}, false
		}
		l.centre = to
	}
	if l.chance(0.003 + 0.03*(1-l.quality())) { // never claimed
		return shakwa.Staff{}, false
	}
	holder := l.staff()
	if !l.add(l.claimDelay(), storage.Change{Kind: storage.ChangeClaim, By: holder}) {
		return shakwa.Staff{}, false
	}
	if l.chance(0.015) { // given back, and taken by a colleague
		l.add(lognormal(l.r, 20*time.Minute, 1), storage.Change{Kind: storage.ChangeRelease, By: holder})
		holder = l.staff()
		l.add(lognormal(l.r, 15*time.Minute, 1), storage.Change{Kind: storage.ChangeClaim, By: holder})
	}
	if len(l.s.World.Centres) > 1 && l.chance(0.015) { // its holder sends it on
		to := l.transferTo()
		l.add(lognormal(l.r, 40*time.Minute, 1), storage.Change{Kind: storage.ChangeTransfer, By: holder, To: l.s.World.Centres[to].Code})
		l.centre = to
		holder = l.staff()
		l.add(l.claimDelay(), storage.Change{Kind: storage.ChangeClaim, By: holder})
	}
	return holder, !l.ended
}

// verdict writes what the citizen makes of a resolution: a rating, or
// none and the close after close_after; and, when mayReopen, now and
// then (mostly after a poor rating) a reopening within the reopen days,
// which it reports.
func (l *life) verdict(rejected bool, q float64, mayReopen bool) bool {
	stars, rateP := 0, 0.7
	if rejected {
		rateP = 0.4
	}
	if l.chance(rateP) {
		stars = l.stars(q, rejected)
		if !l.add(lognormal(l.r, 40*time.Minute, 1.5), storage.Change{Kind: storage.ChangeRate, Stars: stars}) {
			return false
		}
	}
	reopenP := 0.01
	switch {
	case stars > 0 && stars <= 2:
		reopenP = 0.3
	case rejected:
		reopenP = 0.1
	}
	if d := lognormal(l.r, 8*time.Hour, 1); mayReopen && l.chance(reopenP) && d < time.Duration(l.s.ReopenDays)*24*time.Hour {
		if stars == 0 && d >= l.s.CloseAfter {
			l.add(l.s.CloseAfter, storage.Change{Kind: storage.ChangeClose, Actor: shakwa.SystemActor})
			d -= l.s.CloseAfter
		}
		return l.add(d, storage.Change{Kind: storage.ChangeReopen})
	}
	if stars == 0 {
		l.add(l.s.CloseAfter, storage.Change{Kind: storage.ChangeClose, Actor: shakwa.SystemActor})
	}
	return false
}

// resolve adds the resolution, or the rejection, by holder.
func (l *life) resolve(holder shakwa.Staff, rejected bool, q float64) {
	if rejected {
		l.add(lognormal(l.r, 30*time.Minute, 1), storage.Change{Kind: storage.ChangeResolve, By: holder, Text: rejections[l.r.IntN(len(rejections))]})
		return
	}
	d := lognormal(l.r, 3*time.Hour+time.Duration(math.Pow(1-q, 1.5)*float64(60*time.Hour)), 1.1)
	l.add(d, storage.Change{Kind: storage.ChangeResolve, By: holder, Text: resolutions[l.r.IntN(len(resolutions))]})
}

// stars draws a rating: better centres get more stars, a rejection fewer.
func (l *life) stars(q float64, rejected bool) int {
	mean := 2.2 + 2.6*q
	if rejected {
		mean -= 1.2
	}
	return min(max(int(math.Round(mean+1.1*l.r.NormFloat64())), 1), 5)
}

// feedback draws the i-th feedback or thanks of centre c.
func (s *script) feedback(c, i int) (shakwa.Feedback, shakwa.Address) {
	r := s.rng(2, c, i)
	from := citizen(r.IntN(s.citizens()))
	f := shakwa.Feedback{Centre: s.World.Centres[c].Code, Created: s.moment(r)}
	q := s.profiles[c].quality
	if r.IntN(5) < 2 {
		ss := s.World.Centres[c].Staff
		f.Kind, f.Staff = shakwa.KindThanks, ss[r.IntN(len(ss))].ID
		f.Text = []string{"شكراً على حسن التعامل وسرعة الإنجاز.", "الموظف كان متعاوناً جداً.", "Thank you for the quick help."}[r.IntN(3)]
		return f, from
	}
	f.Kind = shakwa.KindFeedback
	f.Stars = min(max(int(math.Round(2.4+2.4*q+r.NormFloat64())), 1), 5)
	if r.IntN(5) < 2 {
		f.Text = []string{"الخدمة جيدة لكن الانتظار طويل.", "المكان نظيف والموظفون لطفاء.", "Too few counters open at noon."}[r.IntN(3)]
	}
	return f, from
}

// feedbackCount is how much feedback and thanks a centre with n tickets
// gets: about one for every ten tickets.
func feedbackCount(n int) int { return n / 10 }
