package flows

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// nav is the row of navigation buttons under a question.
func nav(back bool) []Choice {
	if back {
		return []Choice{{Key: "button.back", Data: BtnBack, Nav: true}, {Key: "button.cancel", Data: BtnCancel, Nav: true}}
	}
	return []Choice{{Key: "button.cancel", Data: BtnCancel, Nav: true}}
}

// refuse is the answer to content that is not what the question wants.
func refuse(in Input, want string) outcome {
	switch {
	case in.Other != "":
		return stay(Prompt{Key: "error.unsupported", Data: map[string]any{"Kind": in.Other}})
	case in.Button != "" && !in.Typed:
		return stay(Prompt{Key: "error.stale_button"})
	case len(in.Files) > 0:
		return stay(Prompt{Key: "error.no_files_here"})
	}
	return stay(Prompt{Key: want})
}

// centreStep asks which centre; key is the question's locale key.
func centreStep(key string, back bool) step {
	return step{
		name: "centre",
		ask: func(s *Session, c *Catalog) Prompt {
			return Prompt{Key: key, Menu: MenuCentres, Page: s.Page, Choices: [][]Choice{nav(back)}}
		},
		handle: func(s *Session, in Input, c *Catalog) outcome {
			if p, ok := strings.CutPrefix(in.Button, PfxPage); ok {
				if n, err := strconv.Atoi(p); err == nil && n >= 0 && n*PageSize < len(c.Centres) {
					s.Page = n
				}
				return stay()
			}
			code, ok := strings.CutPrefix(in.Button, PfxCentre)
			if !ok && in.Button == "" {
				code, ok = pick(in.Digits, c.Centres)
			}
			if !ok || !slices.Contains(c.Centres, code) {
				return refuse(in, "error.pick_centre")
			}
			s.Centre, s.Page = code, 0
			return next()
		},
	}
}

// menuStep asks for one of the codes of a menu the caller builds: a button
// with prefix, or a code or its position typed. refusal is the key of the
// answer to anything else.
func menuStep(name string, p Prompt, prefix string, codes func(*Catalog) []string, refusal string, set func(*Session, string)) step {
	return step{
		name: name,
		ask: func(s *Session, c *Catalog) Prompt {
			q := p
			q.Data = map[string]any{"Ticket": s.Ticket}
			return q
		},
		handle: func(s *Session, in Input, c *Catalog) outcome {
			code, ok := strings.CutPrefix(in.Button, prefix)
			if !ok && in.Button == "" {
				code, ok = pick(in.Digits, codes(c))
			}
			if !ok || !slices.Contains(codes(c), code) {
				return refuse(in, refusal)
			}
			set(s, code)
			return next()
		},
	}
}

var categoryStep = menuStep("category", Prompt{Key: "complaint.ask_category", Menu: MenuCategories, Choices: [][]Choice{nav(true)}},
	PfxCategory, func(c *Catalog) []string { return c.Categories }, "error.pick_category",
	func(s *Session, code string) { s.Category = code })

// textCheck returns the prompt that refuses text of the wrong length, or nil.
func textCheck(text string, min, max int) *Prompt {
	n := utf8.RuneCountInString(text)
	switch {
	case n > max:
		return &Prompt{Key: keyTooLong, Data: map[string]any{"Count": n, "Max": max}}
	case n < min:
		return &Prompt{Key: "error.too_short", Data: map[string]any{"Count": min}}
	}
	return nil
}

// The keys of what addFiles says, and of a text over its limit.
const (
	keyTooLong      = "error.too_long"
	keyFileAdded    = "complaint.file_added"
	keyTooManyFiles = "error.too_many_files"
)

// addFiles keeps up to MaxFiles attachments and says what happened.
func addFiles(s *Session, files []File) []Prompt {
	room := MaxFiles - len(s.Files)
	if room <= 0 {
		return []Prompt{{Key: keyTooManyFiles, Data: map[string]any{"Count": MaxFiles}}}
	}
	if len(files) > room {
		files = files[:room]
	}
	s.Files = append(s.Files, files...)
	return []Prompt{{Key: keyFileAdded, Data: map[string]any{"Count": len(s.Files), "Max": MaxFiles}}}
}

var descriptionStep = step{
	name: "description",
	ask: func(s *Session, c *Catalog) Prompt {
		return Prompt{Key: "complaint.ask_description", Data: map[string]any{"Count": MinText, "Max": MaxText},
			Choices: [][]Choice{nav(true)}}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		var said []Prompt
		if len(in.Files) > 0 {
			said = addFiles(s, in.Files)
		}
		if in.Text == "" {
			if len(in.Files) > 0 {
				return stay(said...)
			}
			return refuse(in, "error.text_expected")
		}
		if p := textCheck(in.Text, MinText, MaxText); p != nil {
			return stay(append(said, *p)...)
		}
		s.Text = in.Text
		return next(said...)
	},
}

var contactStep = step{
	name: "contact",
	ask: func(s *Session, c *Catalog) Prompt {
		return Prompt{Key: "complaint.ask_contact", Contact: true,
			Choices: [][]Choice{{{Key: "button.skip", Data: BtnSkip}}, nav(true)}}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		switch {
		case len(in.Files) > 0:
			return stay(addFiles(s, in.Files)...)
		case in.Phone != "":
			// A contact card's number, or the web chat's phone field:
			// read as a typed number is, so every number is kept alike.
			p, ok := phone(in.Phone)
			if !ok {
				return refuse(in, "error.phone")
			}
			s.Phone = p
			return next()
		case in.Button == BtnSkip:
			s.Phone = ""
			return next()
		}
		if p, ok := phone(in.Digits); ok {
			s.Phone = p
			return next()
		}
		return refuse(in, "error.phone")
	},
}

var confirmStep = step{
	name: stateConfirm,
	ask: func(s *Session, c *Catalog) Prompt {
		return Prompt{
			Key: "complaint.summary",
			Data: map[string]any{"Centre": s.Centre, "Category": s.Category, "Text": s.Text,
				"Phone": s.Phone, "Count": len(s.Files)},
			Choices: [][]Choice{
				{{Key: "button.confirm", Data: BtnConfirm}},
				{{Key: "button.edit", Data: BtnEdit}, {Key: "button.cancel", Data: BtnCancel, Nav: true}},
			},
		}
	},
	handle: func(s *Session, in Input, c *Catalog) outcome {
		switch {
		case in.Button == BtnConfirm:
			return next()
		case in.Button == BtnEdit:
			return outcome{event: evEdit}
		case len(in.Files) > 0:
			return stay(addFiles(s, in.Files)...)
		}
		return refuse(in, "error.use_buttons")
	},
}

func complaintFlow() flow {
	return flow{name: Complaint, summary: true, steps: []step{
		centreStep("complaint.ask_centre", false), categoryStep, descriptionStep, contactStep, confirmStep,
	}}
}

// phone accepts a typed phone number: 7 to 15 digits, with an optional
// leading + and, between them, what people and phones put there: spaces of
// any kind (a no-break space), dashes of any kind (a no-break hyphen, an en
// dash, a minus sign), brackets, dots and direction marks.
func phone(text string) (string, bool) {
	var b strings.Builder
	plus := true // a + may still come: nothing but separators yet
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
			plus = false
		case r == '+' && plus && b.Len() == 0:
			b.WriteRune(r)
			plus = false
		case strings.ContainsRune("().\u2212", r) || unicode.In(r, unicode.Zs, unicode.Pd, unicode.Bidi_Control):
		default:
			return "", false
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	if len(digits) < 7 || len(digits) > 15 {
		return "", false
	}
	return b.String(), true
}

// pick matches typed text to a code (any case) or to a 1-based position.
func pick(text string, codes []string) (string, bool) {
	if n, err := strconv.Atoi(text); err == nil && n >= 1 && n <= len(codes) {
		return codes[n-1], true
	}
	for _, c := range codes {
		if strings.EqualFold(text, c) {
			return c, true
		}
	}
	return "", false
}
