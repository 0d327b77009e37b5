package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/looplab/fsm"
)

// States every flow shares.
const (
	stateDone    = "done"
	stateConfirm = "confirm"
	stateEdit    = "edit"
)

// Events.
const (
	evNext   = "next"
	evBack   = "back"
	evReview = "review" // back to the summary after an edit
	evEdit   = "edit"
)

// outcome is what a step makes of an Input: an event to fire ("" to stay),
// and prompts to show before the next state's question (acknowledgements
// or the reason the input was refused).
type outcome struct {
	event string
	say   []Prompt
}

func stay(p ...Prompt) outcome { return outcome{say: p} }
func next(p ...Prompt) outcome { return outcome{event: evNext, say: p} }

// step is one question of a flow.
type step struct {
	name   string
	ask    func(s *Session, c *Catalog) Prompt
	handle func(s *Session, in Input, c *Catalog) outcome
}

// flow is a sequence of steps, optionally ending in a summary the person
// confirms or edits.
type flow struct {
	name    string
	steps   []step
	summary bool // has confirm and edit states (complaint)
}

func lookup(name string, c *Catalog) (flow, bool) {
	switch name {
	case Gap:
		return gapFlow(), true
	case Visit:
		return visitFlow(c), true
	case Complaint:
		return complaintFlow(), true
	case Feedback:
		return feedbackFlow(), true
	case Thanks:
		return thanksFlow(), true
	case Info:
		return infoFlow(), true
	case Resolve:
		return resolveFlow(), true
	case Transfer:
		return transferFlow(), true
	case Reject:
		return rejectFlow(), true
	case Amend:
		return amendFlow(), true
	}
	return flow{}, false
}

// machine builds the flow's state machine positioned at state.
func (f flow) machine(state string) *fsm.FSM {
	var ev fsm.Events
	names := make([]string, 0, len(f.steps))
	for i, st := range f.steps {
		names = append(names, st.name)
		dst := stateDone
		if i+1 < len(f.steps) {
			dst = f.steps[i+1].name
		}
		ev = append(ev, fsm.EventDesc{Name: evNext, Src: []string{st.name}, Dst: dst})
		if i > 0 {
			ev = append(ev, fsm.EventDesc{Name: evBack, Src: []string{st.name}, Dst: f.steps[i-1].name})
		}
	}
	if f.summary {
		last := names[len(names)-1] // the confirm step itself
		ev = append(ev,
			fsm.EventDesc{Name: evReview, Src: names[:len(names)-1], Dst: last},
			fsm.EventDesc{Name: evEdit, Src: []string{last}, Dst: stateEdit},
			fsm.EventDesc{Name: evBack, Src: []string{stateEdit}, Dst: last},
		)
		for _, n := range names[:len(names)-1] {
			ev = append(ev, fsm.EventDesc{Name: "to_" + n, Src: []string{stateEdit}, Dst: n})
		}
	}
	return fsm.NewFSM(state, ev, nil)
}

func (f flow) step(name string) (step, bool) {
	if f.summary && name == stateEdit {
		return editStep(f), true
	}
	for _, st := range f.steps {
		if st.name == name {
			return st, true
		}
	}
	return step{}, false
}

// Start begins flow name (about ticket, for info, resolve and transfer) and
// returns its first question.
func Start(name, ticket string, now time.Time, c Catalog) (Result, error) {
	f, ok := lookup(name, &c)
	if !ok || len(f.steps) == 0 {
		return Result{}, fmt.Errorf("start %q: unknown flow", name)
	}
	s := Session{Flow: name, State: f.steps[0].name, Ticket: ticket, Updated: now}
	return Result{Session: s, Prompts: []Prompt{f.steps[0].ask(&s, &c)}}, nil
}

// ErrBrokenSession is the error of a stored Session that cannot go on: it
// names a flow or a state this version does not have (it was saved by
// another one), or its machine refuses a move it should allow.
var ErrBrokenSession = errors.New("broken session")

// Step applies one Input to a running flow. It returns an error wrapping
// ErrBrokenSession when s cannot go on; the caller drops it and tells the
// person.
func Step(s Session, in Input, now time.Time, c Catalog) (Result, error) {
	res, contact, err := stepOnce(s, in, now, c)
	if err == nil && contact {
		res.DropKeyboard = true
		for _, p := range res.Prompts {
			res.DropKeyboard = res.DropKeyboard && !p.Contact
		}
	}
	return res, err
}

// stepOnce is Step, and whether the question answered offered the contact
// keyboard.
func stepOnce(s Session, in Input, now time.Time, c Catalog) (res Result, contact bool, err error) {
	f, ok := lookup(s.Flow, &c)
	if !ok {
		return Result{}, false, fmt.Errorf("step: unknown flow %q: %w", s.Flow, ErrBrokenSession)
	}
	st, ok := f.step(s.State)
	if !ok {
		return Result{}, false, fmt.Errorf("step %s: unknown state %q: %w", s.Flow, s.State, ErrBrokenSession)
	}
	contact = st.ask(&s, &c).Contact
	if c.Idle > 0 && now.After(s.Expires(c.Idle)) {
		return Result{Expired: true}, contact, nil
	}
	pressed := in.Button != "" && !in.Typed && s.State != stateConfirm && !contact
	if in.Button == BtnCancel {
		return Result{Cancelled: true, InPlace: pressed}, contact, nil
	}
	s.Updated = now
	at, long := in.At, s.Long
	if at.IsZero() {
		at = now
	}
	s.Long = time.Time{}
	if in.Text != "" && len(in.Files) == 0 && (in.Button == "" || in.Typed) && !long.IsZero() &&
		!at.Before(long) && at.Sub(long) <= PieceGap {
		// The rest of a text the platform cut in pieces, one of which was
		// refused as too long: refused with it, without a word more (the
		// answer to that piece asked for a shorter text).
		s.Long = at
		return Result{Session: s}, false, nil // the question stays
	}
	if in.Album != "" && in.Album == s.Album && len(in.Files) > 0 && in.Text == "" && in.Button == "" {
		// A later file of the album the last files came in, whatever
		// question it finds: added, and the count said for the album's
		// first file replaced; the question is not asked again.
		said := addFiles(&s, in.Files)
		for i := range said {
			said[i].Album, said[i].Again = in.Album, true
		}
		return Result{Session: s, Prompts: said}, false, nil // the question stays
	}
	var out outcome
	if in.Button == BtnBack {
		out = outcome{event: evBack}
	} else {
		out = st.handle(&s, in, &c)
	}
	if in.Album != "" && len(in.Files) > 0 {
		// The album's first file, when the question took it: its count is
		// the one its later files replace.
		for i := range out.say {
			if out.say[i].Key == keyFileAdded || out.say[i].Key == keyTooManyFiles {
				out.say[i].Album, s.Album = in.Album, in.Album
			}
		}
	}
	for _, p := range out.say {
		if p.Key == keyTooLong {
			s.Long = at
		}
	}
	if out.event == "" {
		res = Result{Session: s, Prompts: append(out.say, st.ask(&s, &c))}
	} else if res, err = f.fire(s, out, &c); err != nil {
		return Result{}, false, err
	}
	res.InPlace = pressed && inPlace(res)
	return res, contact, nil
}

// inPlace reports whether res may replace the question pressed on (see
// Result.InPlace): one question and nothing else, with no contact keyboard;
// or the flow's end without a submission.
func inPlace(res Result) bool {
	if res.Cancelled || res.Expired {
		return true
	}
	return res.Submit == nil && len(res.Prompts) == 1 && !res.Prompts[0].Contact
}

// fire moves the machine by out.event and asks the next question.
func (f flow) fire(s Session, out outcome, c *Catalog) (Result, error) {
	m := f.machine(s.State)
	event := out.event
	if (event == evNext || event == evBack) && s.Review {
		// Editing one answer from the summary: done, or back, it is the
		// summary again (back from the first question must not cancel
		// all that was filled in).
		event, s.Review = evReview, false
	}
	if event == evBack && !m.Can(evBack) {
		return Result{Cancelled: true}, nil // back from the first question
	}
	if err := m.Event(context.Background(), event); err != nil {
		// A self-transition is no move, not a failure (looplab/fsm).
		var none fsm.NoTransitionError
		if !errors.As(err, &none) || none.Err != nil {
			return Result{}, fmt.Errorf("step %s/%s: %s: %v: %w", s.Flow, s.State, event, err, ErrBrokenSession)
		}
	}
	s.State = m.Current()
	if s.State == stateDone {
		return Result{Prompts: out.say, Submit: submission(s)}, nil
	}
	nx, ok := f.step(s.State)
	if !ok {
		return Result{}, fmt.Errorf("step %s: moved to unknown state %q: %w", s.Flow, s.State, ErrBrokenSession)
	}
	return Result{Session: s, Prompts: append(out.say, nx.ask(&s, c))}, nil
}

func submission(s Session) *Submission {
	return &Submission{
		Flow: s.Flow, Ticket: s.Ticket, Centre: s.Centre, Category: s.Category,
		Text: s.Text, Phone: s.Phone, Files: s.Files, Stars: s.Stars, Staff: s.Staff, Reason: s.Reason,
		Criterion: s.Criterion, Day: s.Day, Via: s.Via, Scores: s.Scores,
	}
}

// editStep is the "what would you like to change?" question of a summary.
func editStep(f flow) step {
	return step{
		name: stateEdit,
		ask: func(s *Session, c *Catalog) Prompt {
			var rows [][]Choice
			for _, st := range f.steps[:len(f.steps)-1] {
				rows = append(rows, []Choice{{Key: "edit." + st.name, Data: PfxEdit + st.name}})
			}
			rows = append(rows, []Choice{{Key: "button.back", Data: BtnBack, Nav: true}})
			return Prompt{Key: "edit.ask", Choices: rows}
		},
		handle: func(s *Session, in Input, c *Catalog) outcome {
			target, ok := strings.CutPrefix(in.Button, PfxEdit)
			if !ok {
				return stay(Prompt{Key: "error.use_buttons"})
			}
			for _, st := range f.steps[:len(f.steps)-1] {
				if st.name == target {
					s.Review = true
					return outcome{event: "to_" + target}
				}
			}
			return stay(Prompt{Key: "error.use_buttons"})
		},
	}
}
