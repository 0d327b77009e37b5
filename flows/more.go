package flows

import (
	"strconv"
	"strings"
)

var starsStep = step{
	name: "stars",
	ask: func(s *Session, c *Catalog) Prompt {
		row := make([]Choice, 0, 5)
		for n := 1; n <= 5; n++ {
			row = append(row, Choice{Key: "button.stars", Count: n, Data: PfxStars + strconv.Itoa(n)})
		}
		return Prompt{Key: "feedback.ask_stars", Choices: [][]Choice{row, nav(true)}}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		v, ok := strings.CutPrefix(in.Button, PfxStars)
		if !ok && in.Button == "" {
			v = in.Digits
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5 {
			return refuse(in, "error.stars")
		}
		s.Stars = n
		return next()
	},
}

// optionalText asks for text the person may skip; it ends the flow.
func optionalText(name, key string, max int, set func(*Session, string)) step {
	return step{
		name: name,
		ask: func(s *Session, c *Catalog) Prompt {
			return Prompt{Key: key, Data: map[string]any{"Max": max},
				Choices: [][]Choice{{{Key: "button.skip", Data: BtnSkip}}, nav(true)}}
		},
		handle: func(s *Session, in Input, c *Catalog) outcome {
			if in.Button == BtnSkip {
				return next()
			}
			if in.Text == "" {
				return refuse(in, "error.text_expected")
			}
			if p := textCheck(in.Text, 1, max); p != nil {
				return stay(*p)
			}
			set(s, in.Text)
			return next()
		},
	}
}

// requiredText asks for text of min..max characters; when files is true,
// files may come with it or instead of it: what is added to a ticket is as
// often the photo staff asked for as words.
func requiredText(name, key string, min int, files bool, back bool) step {
	return step{
		name: name,
		ask: func(s *Session, c *Catalog) Prompt {
			return Prompt{Key: key, Data: map[string]any{"Count": min, "Max": MaxText, "Ticket": s.Ticket},
				Choices: [][]Choice{nav(back)}}
		},
		handle: func(s *Session, in Input, c *Catalog) outcome {
			var said []Prompt
			if files && len(in.Files) > 0 {
				said = addFiles(s, in.Files)
				if in.Text == "" {
					return next(said...)
				}
			}
			if in.Text == "" {
				return refuse(in, "error.text_expected")
			}
			if p := textCheck(in.Text, min, MaxText); p != nil {
				return stay(append(said, *p)...)
			}
			s.Text = in.Text
			return next(said...)
		},
	}
}

func feedbackFlow() flow {
	return flow{name: Feedback, steps: []step{
		centreStep("feedback.ask_centre", false),
		starsStep,
		optionalText("comment", "feedback.ask_comment", MaxText, func(s *Session, v string) { s.Text = v }),
	}}
}

func thanksFlow() flow {
	return flow{name: Thanks, steps: []step{
		centreStep("thanks.ask_centre", false),
		optionalText("staff", "thanks.ask_staff", MaxStaffLen, func(s *Session, v string) { s.Staff = v }),
		requiredText("message", "thanks.ask_message", 2, false, true),
	}}
}

func infoFlow() flow {
	return flow{name: Info, steps: []step{requiredText("text", "info.ask", 1, true, false)}}
}

func resolveFlow() flow {
	return flow{name: Resolve, steps: []step{requiredText("text", "resolve.ask", 5, false, false)}}
}

func transferFlow() flow {
	return flow{name: Transfer, steps: []step{centreStep("transfer.ask_centre", false)}}
}

// reasonStep asks why a ticket is rejected.
var reasonStep = menuStep("reason", Prompt{Key: "reject.ask_reason", Menu: MenuReasons, Choices: [][]Choice{nav(false)}},
	PfxReason, func(c *Catalog) []string { return c.Reasons }, "error.pick_reason",
	func(s *Session, code string) { s.Reason = code })

func rejectFlow() flow {
	return flow{name: Reject, steps: []step{
		reasonStep,
		optionalText("note", "reject.ask_note", MaxText, func(s *Session, v string) { s.Text = v }),
	}}
}

func amendFlow() flow {
	return flow{name: Amend, steps: []step{requiredText("text", "amend.ask", 1, true, false)}}
}
