package config

import (
	"fmt"
	"slices"
	"time"
)

// Quality is the centres' quality programme: the standards each centre's
// supervisors check the centre against every month, the form mystery
// shoppers (evaluators) fill in after a visit, and how both weigh in a
// centre's score beside its complaints.
type Quality struct {
	// Priorities are the star rating's priorities that standards and form
	// questions serve, with their weights in the assessment's and the
	// visits' shares; default DefaultPriorities.
	Priorities []Priority `yaml:"priorities"`
	// Weights are the shares of a centre's score; each one left out is
	// DefaultQualityWeights'.
	Weights QualityWeights `yaml:"weights"`
	// Assessment says when the monthly self-assessment opens, and when
	// its supervisors are reminded and its managers told.
	Assessment AssessmentSchedule `yaml:"assessment"`
	// Standards are the published standards of the self-assessment, in
	// the order asked; none: no self-assessment.
	Standards []Standard `yaml:"standards"`
	// VisitForm are the questions of a mystery-shopper visit, in the order
	// asked; none: evaluators cannot file visits.
	VisitForm []Question `yaml:"visit_form"`
}

// Priority is one of the star rating's priorities.
type Priority struct {
	Code   string  `yaml:"code"`
	Name   Text    `yaml:"name"`
	Weight float64 `yaml:"weight"`
}

// QualityWeights are the shares of a centre's score: its complaints (the
// five parts of stats.ScoreOf), its self-assessment and its
// mystery-shopper visits. They need not sum to 100: a share is its weight
// over the weights of what a centre has.
type QualityWeights struct {
	Complaints float64 `yaml:"complaints"`
	Assessment float64 `yaml:"assessment"`
	Visits     float64 `yaml:"visits"`
}

// AssessmentSchedule is when the self-assessment opens each month, in each
// centre's zone, and how long it may stay undone.
type AssessmentSchedule struct {
	// Day of the month it opens, 1 to 28; default 1.
	Day int `yaml:"day"`
	// At is the time of day, HH:MM; default 09:00.
	At string `yaml:"at"`
	// RemindAfter is how long after opening the supervisors are reminded
	// of an assessment not done; default 72h.
	RemindAfter Duration `yaml:"remind_after"`
	// EscalateAfter is how long after opening the centre's managers are
	// told; default 168h (7 days).
	EscalateAfter Duration `yaml:"escalate_after"`
}

// Standard is one criterion of the self-assessment.
type Standard struct {
	// Code is its key, a lower-case letter then up to 15 lower-case
	// letters, digits or _.
	Code string `yaml:"code"`
	// Text is the standard as published.
	Text Text `yaml:"text"`
	// Priority is the code of the priority it serves.
	Priority string `yaml:"priority"`
	// Weight within its priority; default 1.
	Weight float64 `yaml:"weight"`
}

// Question is one question of the visit form.
type Question struct {
	// Code is its key, as a standard's.
	Code string `yaml:"code"`
	// Text is the question.
	Text Text `yaml:"text"`
	// Kind is minutes (a number: less is better), scale (1 to 5) or
	// yesno.
	Kind string `yaml:"kind"`
	// Priority is the code of the priority it serves.
	Priority string `yaml:"priority"`
	// Weight within its priority; default 1.
	Weight float64 `yaml:"weight"`
	// Good and Bad bound a minutes question: Good or fewer minutes score
	// full marks, Bad or more none, and between them in proportion;
	// default 10 and 60.
	Good int `yaml:"good"`
	Bad  int `yaml:"bad"`
}

// Kinds of visit questions.
const (
	KindMinutes = "minutes"
	KindScale   = "scale"
	KindYesNo   = "yesno"
)

// MaxMinutes is the largest number of minutes a visit question takes.
const MaxMinutes = 600

// Score is a visit answer as a share of the best, 0 to 1: fewer minutes
// are better, 1 to 5 is 0 to 1, yes is 1.
func (q Question) Score(v float64) float64 {
	switch q.Kind {
	case KindMinutes:
		if v <= float64(q.Good) {
			return 1
		}
		if v >= float64(q.Bad) {
			return 0
		}
		return (float64(q.Bad) - v) / float64(q.Bad-q.Good)
	case KindScale:
		return min(max((v-1)/4, 0), 1)
	}
	if v >= 1 {
		return 1
	}
	return 0
}

// DefaultPriorities are the priorities when the configuration names none:
// the four the UAE's star rating weighs.
var DefaultPriorities = []Priority{
	{Code: "experience", Name: Text{AR: "تجربة المتعامل", EN: "Customer experience"}, Weight: 40},
	{Code: "efficiency", Name: Text{AR: "الكفاءة", EN: "Efficiency"}, Weight: 25},
	{Code: "channels", Name: Text{AR: "قنوات الخدمة", EN: "Service channels"}, Weight: 20},
	{Code: "culture", Name: Text{AR: "ثقافة الخدمة", EN: "Service culture"}, Weight: 15},
}

// DefaultQualityWeights are quality.weights when the file leaves them out.
var DefaultQualityWeights = QualityWeights{Complaints: 60, Assessment: 25, Visits: 15}

// VisitChannels are the ways a mystery shopper can reach a centre, in the
// order offered.
var VisitChannels = []string{"visit", "phone", "website", "app", "whatsapp", "telegram"}

// Priority returns the priority with the given code.
func (q *Quality) Priority(code string) (Priority, bool) {
	i := slices.IndexFunc(q.Priorities, func(p Priority) bool { return p.Code == code })
	if i < 0 {
		return Priority{}, false
	}
	return q.Priorities[i], true
}

// Standard returns the standard with the given code.
func (q *Quality) Standard(code string) (Standard, bool) {
	i := slices.IndexFunc(q.Standards, func(s Standard) bool { return s.Code == code })
	if i < 0 {
		return Standard{}, false
	}
	return q.Standards[i], true
}

// StandardCodes are the standards' codes, in order.
func (q *Quality) StandardCodes() []string {
	out := make([]string, len(q.Standards))
	for i, s := range q.Standards {
		out[i] = s.Code
	}
	return out
}

// AssessAt is Assessment.At as hour and minute.
func (q *Quality) AssessAt() (hour, minute int) {
	t, err := time.Parse("15:04", q.Assessment.At)
	if err != nil {
		return 9, 0
	}
	return t.Hour(), t.Minute()
}

// qualityDefaults fills in what the file left out of the quality section.
func (q *Quality) defaults() {
	if len(q.Priorities) == 0 {
		q.Priorities = slices.Clone(DefaultPriorities)
	}
	for i := range q.Standards {
		if q.Standards[i].Weight == 0 {
			q.Standards[i].Weight = 1
		}
	}
	for i := range q.VisitForm {
		f := &q.VisitForm[i]
		if f.Weight == 0 {
			f.Weight = 1
		}
		if f.Kind == KindMinutes && f.Good == 0 && f.Bad == 0 {
			f.Good, f.Bad = 10, 60
		}
	}
}

func (c *Config) validateQuality(ps *problems) {
	q := &c.Quality
	prios := map[string]int{}
	for i, p := range q.Priorities {
		at := fmt.Sprintf("quality.priorities[%d]", i)
		checkCode(ps, at+".code", p.Code, isCategoryCode,
			"a lower-case letter then up to 31 lower-case letters, digits or _", prios, i, "quality.priorities")
		checkText(ps, at+".name", p.Name)
		if p.Weight <= 0 {
			ps.add(at+".weight", "%v: want more than 0", p.Weight)
		}
	}
	w := q.Weights
	if w.Complaints < 0 || w.Assessment < 0 || w.Visits < 0 {
		ps.add("quality.weights", "want zero or more each")
	}
	if w.Complaints+w.Assessment+w.Visits <= 0 {
		ps.add("quality.weights", "want at least one above zero")
	}
	a := q.Assessment
	if a.Day < 1 || a.Day > 28 {
		ps.add("quality.assessment.day", "%d: want a day from 1 to 28", a.Day)
	}
	if _, err := time.Parse("15:04", a.At); err != nil || len(a.At) != 5 {
		ps.add("quality.assessment.at", "%q: want a time of day as HH:MM, e.g. 09:00", a.At)
	}
	if a.RemindAfter <= 0 {
		ps.add("quality.assessment.remind_after", "%s: want more than zero", a.RemindAfter)
	}
	if a.EscalateAfter <= a.RemindAfter {
		ps.add("quality.assessment.escalate_after", "%s: want later than remind_after (%s)", a.EscalateAfter, a.RemindAfter)
	}
	if time.Duration(a.EscalateAfter) >= 28*24*time.Hour {
		ps.add("quality.assessment.escalate_after", "%s: want less than 28 days, before the next month opens", a.EscalateAfter)
	}
	checkItem := func(at, priority string, weight float64) {
		if _, ok := prios[priority]; !ok {
			ps.add(at+".priority", "%q: want one of quality.priorities", priority)
		}
		if weight <= 0 {
			ps.add(at+".weight", "%v: want more than 0", weight)
		}
	}
	first := map[string]int{}
	for i, s := range q.Standards {
		at := fmt.Sprintf("quality.standards[%d]", i)
		checkCode(ps, at+".code", s.Code, isItemCode, itemCodeRule,
			first, i, "quality.standards")
		checkText(ps, at+".text", s.Text)
		checkItem(at, s.Priority, s.Weight)
	}
	first = map[string]int{}
	for i, f := range q.VisitForm {
		at := fmt.Sprintf("quality.visit_form[%d]", i)
		checkCode(ps, at+".code", f.Code, isItemCode, itemCodeRule,
			first, i, "quality.visit_form")
		checkText(ps, at+".text", f.Text)
		checkItem(at, f.Priority, f.Weight)
		switch f.Kind {
		case KindMinutes:
			if f.Good < 0 || f.Bad <= f.Good || f.Bad > MaxMinutes {
				ps.add(at, "good %d, bad %d: want 0 <= good < bad <= %d", f.Good, f.Bad, MaxMinutes)
			}
		case KindScale, KindYesNo:
			if f.Good != 0 || f.Bad != 0 {
				ps.add(at, "good and bad are for minutes questions only")
			}
		default:
			ps.add(at+".kind", "%q: want minutes, scale or yesno", f.Kind)
		}
	}
}

// isItemCode is a category code of at most 16 characters: short enough for
// the buttons that carry it.
func isItemCode(s string) bool { return len(s) <= 16 && isCategoryCode(s) }

// itemCodeRule says what isItemCode takes, for errors.
const itemCodeRule = "a lower-case letter then up to 15 lower-case letters, digits or _"
