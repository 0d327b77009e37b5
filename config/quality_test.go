package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

const qualitySection = `
quality:
  weights: {assessment: 30}
  assessment: {day: 3, at: "10:30"}
  standards:
    - code: queue_signs
      text: {ar: لوحات إرشادية واضحة لنظام الانتظار, en: Clear signs for the queue}
      priority: experience
    - code: wait_posted
      text: {ar: زمن الانتظار المتوقع معلن, en: Expected waiting time is posted}
      priority: efficiency
      weight: 2
  visit_form:
    - code: wait
      text: {ar: "كم دقيقة انتظرت؟", en: "How many minutes did you wait?"}
      kind: minutes
      priority: efficiency
    - code: courtesy
      text: {ar: لباقة الموظف, en: Courtesy of the staff}
      kind: scale
      priority: culture
`

func TestQualityParse(t *testing.T) {
	c, err := Parse([]byte(base + qualitySection))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	q := c.Quality
	if got, want := q.Weights, (QualityWeights{Complaints: 60, Assessment: 30, Visits: 15}); got != want {
		t.Errorf("weights = %+v; want %+v (the ones left out at their defaults)", got, want)
	}
	if len(q.Priorities) != len(DefaultPriorities) {
		t.Errorf("%d priorities; want the %d defaults", len(q.Priorities), len(DefaultPriorities))
	}
	a := q.Assessment
	if a.Day != 3 || a.At != "10:30" || time.Duration(a.RemindAfter) != 72*time.Hour || time.Duration(a.EscalateAfter) != 7*24*time.Hour {
		t.Errorf("assessment = %+v; want day 3 at 10:30, reminded after 72h, escalated after 7 days", a)
	}
	if q.Standards[0].Weight != 1 || q.Standards[1].Weight != 2 {
		t.Errorf("standard weights %v, %v; want 1 (the default) and 2", q.Standards[0].Weight, q.Standards[1].Weight)
	}
	if w := q.VisitForm[0]; w.Good != 10 || w.Bad != 60 {
		t.Errorf("minutes question bounds %d..%d; want the defaults 10..60", w.Good, w.Bad)
	}
	if got := q.StandardCodes(); strings.Join(got, ",") != "queue_signs,wait_posted" {
		t.Errorf("StandardCodes = %v", got)
	}
}

func TestQualityScore(t *testing.T) {
	wait := Question{Kind: KindMinutes, Good: 10, Bad: 60}
	for _, tc := range []struct {
		q    Question
		v    float64
		want float64
	}{
		{wait, 0, 1}, {wait, 10, 1}, {wait, 35, 0.5}, {wait, 60, 0}, {wait, 500, 0},
		{Question{Kind: KindScale}, 1, 0}, {Question{Kind: KindScale}, 3, 0.5}, {Question{Kind: KindScale}, 5, 1},
		{Question{Kind: KindYesNo}, 1, 1}, {Question{Kind: KindYesNo}, 0, 0},
	} {
		if got := tc.q.Score(tc.v); got != tc.want {
			t.Errorf("%s question, %v: score %v; want %v", tc.q.Kind, tc.v, got, tc.want)
		}
	}
}

func TestQualityInvalid(t *testing.T) {
	for _, tc := range []struct{ name, old, new, want string }{
		{"unknown priority", "priority: culture", "priority: morale", `quality.visit_form[1].priority: "morale": want one of quality.priorities`},
		{"bad standard code", "code: queue_signs", "code: Queue", `quality.standards[0].code: "Queue" must be a lower-case letter then up to 15`},
		{"long standard code", "code: queue_signs", "code: queue_signs_at_the_door", `quality.standards[0].code: "queue_signs_at_the_door" must be`},
		{"duplicate question", "code: courtesy", "code: wait", `quality.visit_form[1].code: duplicate "wait"`},
		{"unknown kind", "kind: scale", "kind: stars", `quality.visit_form[1].kind: "stars": want minutes, scale or yesno`},
		{"bounds on a scale", "kind: scale", "kind: scale\n      good: 3", `quality.visit_form[1]: good and bad are for minutes questions only`},
		{"bad bounds", "kind: minutes", "kind: minutes\n      good: 30\n      bad: 20", `quality.visit_form[0]: good 30, bad 20`},
		{"day 31", "day: 3", "day: 31", `quality.assessment.day: 31: want a day from 1 to 28`},
		{"bad time", `at: "10:30"`, `at: "9"`, `quality.assessment.at: "9"`},
		{"escalate before remind", `at: "10:30"`, `at: "10:30", escalate_after: 48h`, `quality.assessment.escalate_after: 48h0m0s: want later than remind_after`},
		{"escalate after the next month", `at: "10:30"`, `at: "10:30", escalate_after: 700h`, `quality.assessment.escalate_after: 700h0m0s: want less than 28 days`},
		{"no weights", "weights: {assessment: 30}", "weights: {complaints: 0, assessment: 0, visits: 0}", `quality.weights: want at least one above zero`},
		{"negative weight", "weight: 2", "weight: -2", `quality.standards[1].weight: -2: want more than 0`},
		{"no arabic text", "text: {ar: لباقة الموظف, en: Courtesy of the staff}", "text: {en: Courtesy of the staff}", `quality.visit_form[1].text.ar: required`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := base + qualitySection
			if strings.Count(doc, tc.old) != 1 {
				t.Fatalf("%q occurs %d times", tc.old, strings.Count(doc, tc.old))
			}
			_, err := Parse([]byte(strings.Replace(doc, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error:\n%v\nwant it to contain %q", err, tc.want)
			}
			if !errors.Is(err, shakwa.ErrInvalid) {
				t.Errorf("not ErrInvalid")
			}
		})
	}
}

func TestEvaluator(t *testing.T) {
	any := Person{Role: shakwa.RoleEvaluator}
	one := Person{Role: shakwa.RoleEvaluator, Centres: []string{"KRM"}}
	if !any.Evaluates("BRS") || !one.Evaluates("KRM") || one.Evaluates("BRS") {
		t.Errorf("Evaluates: an evaluator with no centres may visit any, one with a list those only")
	}
	if any.Serves("KRM") || (Person{Role: shakwa.RoleManager}).Evaluates("KRM") {
		t.Errorf("an evaluator serves no centre's tickets, and a manager files no visits")
	}
}
