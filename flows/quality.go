package flows

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of the quality programme's texts.
const (
	MaxReason = 500 // why a standard is not met
	MaxOwner  = 100 // who follows it up
	// VisitDays is how many days back a visit may be filed.
	VisitDays = 60
)

// StartGap begins the gap flow about criterion, marked mark (partly or
// unmet): why, and who follows it up.
func StartGap(criterion, mark string, now time.Time, c Catalog) Result {
	f := gapFlow()
	s := Session{Flow: Gap, State: f.steps[0].name, Criterion: criterion, Reason: mark, Updated: now}
	return Result{Session: s, Prompts: []Prompt{f.steps[0].ask(&s, &c)}}
}

func gapFlow() flow {
	return flow{name: Gap, steps: []step{
		boundedText("why", "assess.ask_reason", 3, MaxReason, func(s *Session, v string) { s.Text = v }),
		boundedText("owner", "assess.ask_owner", 2, MaxOwner, func(s *Session, v string) { s.Staff = v }),
	}}
}

// boundedText asks for text of min..max characters.
func boundedText(name, key string, min, max int, set func(*Session, string)) step {
	return step{
		name: name,
		ask: func(s *Session, c *Catalog) Prompt {
			return Prompt{Key: key, Data: map[string]any{"Count": min, "Max": max}, Choices: [][]Choice{nav(name != "why")}}
		},
		handle: func(s *Session, in Input, c *Catalog) outcome {
			if in.Text == "" {
				return refuse(in, "error.text_expected")
			}
			if p := textCheck(in.Text, min, max); p != nil {
				return stay(*p)
			}
			set(s, in.Text)
			return next()
		},
	}
}

// visitFlow is a mystery shopper's visit: the centre, the day, how it
// was reached, the form's questions, notes and photos, and a summary to
// file.
func visitFlow(c *Catalog) flow {
	steps := []step{centreStep("visit.ask_centre", false), dayStep, viaStep}
	for _, q := range c.Form {
		steps = append(steps, questionStep(q))
	}
	steps = append(steps, notesStep, visitConfirmStep)
	return flow{name: Visit, steps: steps}
}

var dayStep = step{
	name: "day",
	ask: func(s *Session, c *Catalog) Prompt {
		return Prompt{Key: "visit.ask_day", Choices: [][]Choice{
			{{Key: "visit.today", Data: PfxDay + "0"}, {Key: "visit.yesterday", Data: PfxDay + "1"}}, nav(true)}}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		loc := c.Loc
		if c.LocOf != nil {
			loc = c.LocOf(s.Centre)
		}
		if loc == nil {
			loc = time.UTC
		}
		today := s.Updated.In(loc)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
		var day time.Time
		if back, ok := strings.CutPrefix(in.Button, PfxDay); ok {
			n, err := strconv.Atoi(back)
			if err != nil || n < 0 || n > 1 {
				return refuse(in, "visit.bad_day")
			}
			day = today.AddDate(0, 0, -n)
		} else if in.Button != "" && !in.Typed || in.Text == "" {
			return refuse(in, "visit.bad_day")
		} else if d, ok := readDay(in.Digits, today); ok {
			day = d
		} else {
			return stay(Prompt{Key: "visit.bad_day"})
		}
		if day.After(today) || day.Before(today.AddDate(0, 0, -VisitDays)) {
			return stay(Prompt{Key: "visit.day_range", Data: map[string]any{"Count": VisitDays}})
		}
		s.Day = day.Format(time.DateOnly)
		return next()
	},
}

// readDay reads a typed day: 2026-11-30, 30/11/2026 or 30/11 (this year,
// or last year's when that is still to come), with - . or / between.
func readDay(text string, today time.Time) (time.Time, bool) {
	f := strings.FieldsFunc(text, func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == ' ' })
	nums := make([]int, len(f))
	for i, w := range f {
		n, err := strconv.Atoi(w)
		if err != nil {
			return time.Time{}, false
		}
		nums[i] = n
	}
	var y, m, d int
	switch {
	case len(nums) == 3 && nums[0] > 31:
		y, m, d = nums[0], nums[1], nums[2]
	case len(nums) == 3:
		d, m, y = nums[0], nums[1], nums[2]
	case len(nums) == 2:
		d, m, y = nums[0], nums[1], today.Year()
		if time.Date(y, time.Month(m), d, 0, 0, 0, 0, today.Location()).After(today) {
			y--
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, today.Location())
	if t.Day() != d || int(t.Month()) != m || t.Year() != y {
		return time.Time{}, false // 31/2
	}
	return t, true
}

var viaStep = step{
	name: "via",
	ask: func(s *Session, c *Catalog) Prompt {
		var rows [][]Choice
		var row []Choice
		for _, ch := range c.Channels {
			row = append(row, Choice{Key: "visit.via." + ch, Data: PfxChannel + ch})
			if len(row) == 2 {
				rows, row = append(rows, row), nil
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
		return Prompt{Key: "visit.ask_via", Choices: append(rows, nav(true))}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		ch, ok := strings.CutPrefix(in.Button, PfxChannel)
		if !ok && in.Button == "" {
			ch, ok = pick(in.Digits, c.Channels)
		}
		if !ok || !slices.Contains(c.Channels, ch) {
			return refuse(in, "visit.pick_via")
		}
		s.Via = ch
		return next()
	},
}

// The kinds of form questions (see config.Question).
const (
	kindMinutes = "minutes"
	kindScale   = "scale"
	kindYesNo   = "yesno"
	maxMinutes  = 600
)

func questionStep(q Question) step {
	return step{
		name: "q_" + q.Code,
		ask: func(s *Session, c *Catalog) Prompt {
			p := Prompt{Key: "visit.ask_" + q.Kind, Data: map[string]any{"Question": q.Code, "Max": maxMinutes}}
			pfx := PfxScore + q.Code + ":"
			switch q.Kind {
			case kindScale:
				row := make([]Choice, 0, 5)
				for n := 1; n <= 5; n++ {
					row = append(row, Choice{Key: "visit.scale", Count: n, Data: pfx + strconv.Itoa(n)})
				}
				p.Choices = [][]Choice{row}
			case kindYesNo:
				p.Choices = [][]Choice{{{Key: "visit.yes", Data: pfx + "1"}, {Key: "visit.no", Data: pfx + "0"}}}
			}
			p.Choices = append(p.Choices, nav(true))
			return p
		},
		handle: func(s *Session, in Input, c *Catalog) outcome {
			v, pressed := strings.CutPrefix(in.Button, PfxScore+q.Code+":")
			if in.Button != "" && !pressed && !in.Typed { // «لا» typed is an answer here
				return refuse(in, "error.stale_button")
			}
			if !pressed {
				if in.Text == "" {
					return refuse(in, "visit.bad_"+q.Kind)
				}
				v = in.Digits
				if q.Kind == kindYesNo && in.YesNo != "" {
					v = map[string]string{"yes": "1", "no": "2"}[in.YesNo]
				}
				if q.Kind == kindYesNo {
					// Typed: 1 is the first button, yes; 2 the second.
					switch v {
					case "1":
						v = "1"
					case "2":
						v = "0"
					default:
						v = ""
					}
				}
			}
			n, err := strconv.Atoi(v)
			ok := err == nil
			switch q.Kind {
			case kindMinutes:
				ok = ok && n >= 0 && n <= maxMinutes
			case kindScale:
				ok = ok && n >= 1 && n <= 5
			default:
				ok = ok && (n == 0 || n == 1)
			}
			if !ok {
				return stay(Prompt{Key: "visit.bad_" + q.Kind, Data: map[string]any{"Max": maxMinutes}})
			}
			if s.Scores == nil {
				s.Scores = map[string]float64{}
			}
			s.Scores[q.Code] = float64(n)
			return next()
		},
	}
}

var notesStep = step{
	name: "notes",
	ask: func(s *Session, c *Catalog) Prompt {
		return Prompt{Key: "visit.ask_notes", Data: map[string]any{"Max": MaxText, "Count": MaxFiles},
			Choices: [][]Choice{{{Key: "button.skip", Data: BtnSkip}}, nav(true)}}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		var said []Prompt
		if len(in.Files) > 0 {
			said = addFiles(s, in.Files)
			if in.Text == "" {
				return stay(said...)
			}
		}
		if in.Button == BtnSkip {
			return next()
		}
		if in.Text == "" {
			return refuse(in, "error.text_expected")
		}
		if p := textCheck(in.Text, 1, MaxText); p != nil {
			return stay(append(said, *p)...)
		}
		s.Text = in.Text
		return next(said...)
	},
}

var visitConfirmStep = step{
	name: stateConfirm,
	ask: func(s *Session, c *Catalog) Prompt {
		return Prompt{Key: "visit.summary",
			Data: map[string]any{"Centre": s.Centre, "Day": s.Day, "Via": s.Via, "Scores": s.Scores, "Text": s.Text,
				"Files": len(s.Files)},
			Choices: [][]Choice{{{Key: "visit.file", Data: BtnConfirm}}, nav(true)}}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		switch {
		case in.Button == BtnConfirm:
			return next()
		case len(in.Files) > 0:
			return stay(addFiles(s, in.Files)...)
		}
		return refuse(in, "error.use_buttons")
	},
}
