// Package flows runs the conversations: filing a complaint, giving feedback
// or thanks, adding information to a ticket, and the staff's short
// exchanges (resolution text, transfer target).
//
// Flows are pure: Step takes the stored Session, what the person did (Input)
// and the time, and returns the next Session, the Prompts to show and, when
// a flow completes, a Submission for the caller to store. Nothing here does
// I/O or knows a platform, a language or a storage. Every flow is a
// looplab/fsm machine built per step from the stored state.
package flows

import (
	"time"
)

// Limits on what a person may send.
const (
	MinText     = 10   // shortest complaint description, in characters
	MaxText     = 2000 // longest description, comment or message
	MaxFiles    = 5    // attachments per complaint
	MaxStaffLen = 100  // longest staff name in a thanks message
	// PageSize is the number of centres a page of the centre menu shows:
	// with previous, next and cancel, ten rows: as many as the shortest
	// lists hold (WhatsApp's), so that no channel pages them again.
	PageSize = 7
	// PieceGap is how soon after a text refused as too long another text
	// is taken as the rest of it: Telegram's apps send a text over 4,096
	// characters as several messages, one after another, within a second.
	PieceGap = 2 * time.Second
)

// Flow names.
const (
	Complaint = "complaint"
	Feedback  = "feedback"
	Thanks    = "thanks"
	Info      = "info"     // citizen adds information to an open ticket
	Resolve   = "resolve"  // staff writes the resolution of a ticket
	Transfer  = "transfer" // staff picks the centre to transfer a ticket to
	Reject    = "reject"   // staff picks a reason to reject a ticket for, and may add words
	Amend     = "amend"    // citizen adds what a rejection asked for
	Gap       = "gap"      // supervisor says why a standard is not met, and who follows it up
	Visit     = "visit"    // evaluator files a mystery-shopper visit
)

// Button data that flows understand. Callers map typed words ("إلغاء",
// "cancel") to these before calling Step.
const (
	BtnCancel  = "cancel"
	BtnBack    = "back"
	BtnSkip    = "skip"
	BtnConfirm = "confirm"
	BtnEdit    = "edit"
)

// Button data prefixes, followed by a value: "centre:KRM", "page:2".
const (
	PfxCentre   = "centre:"
	PfxCategory = "cat:"
	PfxReason   = "reason:"
	PfxPage     = "page:"
	PfxStars    = "stars:"
	PfxEdit     = "edit:"
	PfxDay      = "day:"   // a visit's day: days before today
	PfxChannel  = "via:"   // the way a mystery shopper reached the centre
	PfxScore    = "score:" // a form answer: score:CODE:VALUE
)

// Session is the stored state of one person's conversation.
// The zero Session means no flow is running.
type Session struct {
	Flow     string `json:"flow,omitempty"`
	State    string `json:"state,omitempty"`
	Ticket   string `json:"ticket,omitempty"` // the ticket an info/resolve/transfer flow is about
	Centre   string `json:"centre,omitempty"`
	Category string `json:"category,omitempty"`
	Text     string `json:"text,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Files    []File `json:"files,omitempty"`
	Stars    int    `json:"stars,omitempty"`
	Staff    string `json:"staff,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Page     int    `json:"page,omitempty"`
	Review   bool   `json:"review,omitempty"` // editing from the summary: go back there next
	Album    string `json:"album,omitempty"`  // the album whose files came last (see Input.Album)
	// Long is when a text refused as too long was sent (see PieceGap).
	Long time.Time `json:"long,omitzero"`
	// Criterion is the standard a gap flow is about; Reason holds its
	// mark there.
	Criterion string `json:"criterion,omitempty"`
	// Day, Via and Scores are a visit's day (YYYY-MM-DD), how the
	// centre was reached, and the form's answers by question code.
	Day     string             `json:"day,omitempty"`
	Via     string             `json:"via,omitempty"`
	Scores  map[string]float64 `json:"scores,omitempty"`
	Updated time.Time          `json:"updated"`
	// Held keeps the session past its idle limit, until then: its caller
	// stopped the flow at a limit and promised the person it would wait
	// for them (a complaint kept to be confirmed tomorrow).
	Held time.Time `json:"held,omitzero"`
}

// Active reports whether a flow is running.
func (s Session) Active() bool { return s.Flow != "" }

// Expires is when the session ends for want of a step, idle after its
// last one: not before it is no longer Held.
func (s Session) Expires(idle time.Duration) time.Time {
	if due := s.Updated.Add(idle); due.After(s.Held) {
		return due
	}
	return s.Held
}

// File is an attachment as the caller describes it: its id on the
// channel it came from, and its content id once stored; flows only carry
// it.
type File struct {
	Kind    string `json:"kind"`
	ID      string `json:"id"`
	From    string `json:"from,omitempty"`
	Content string `json:"content,omitempty"`
	Name    string `json:"name,omitempty"`
	Mime    string `json:"mime,omitempty"`
	Size    int64  `json:"size,omitempty"`
}

// Input is what the person did, already reduced by the caller: Text is
// trimmed, as typed; Digits is Text with its digits in ASCII (٤ and ۴ are
// 4), for reading numbers and codes; typed command words are mapped to
// Button.
type Input struct {
	Text   string
	Digits string
	Button string
	Phone  string
	Files  []File
	Other  string // kind of content we cannot take ("sticker", "voice"...)
	// Typed says Button came from words typed (a "skip" or "cancel" in
	// the person's language), not from a press, and Text holds them: a
	// step that takes no such button reads them as the text they are, not
	// as an old button.
	Typed bool
	// Album is the group of files Files came in (see bot.Message.Album):
	// the later files of an album are added without the question again.
	Album string
	// At is when the platform says it was sent; zero: the time of Step.
	At time.Time
	// YesNo is "yes" or "no" when Text is a word for one (the caller reads
	// the words): what a yes-or-no question takes typed.
	YesNo string
}

// Catalog is what flows need to know of the configuration.
type Catalog struct {
	Centres    []string // centre codes, in menu order
	Categories []string // category codes, in menu order
	Reasons    []string // reasons to reject a ticket for, in menu order
	Idle       time.Duration
	// Form is the visit form's questions, in order; Channels the ways a
	// visit can be made; Loc the zone of a visit's day, or LocOf's of
	// the centre chosen when it is set.
	Form     []Question
	Channels []string
	Loc      *time.Location
	LocOf    func(centre string) *time.Location
}

// Question is a visit form question as flows need it: its code and kind
// (minutes, scale or yesno).
type Question struct {
	Code, Kind string
}

// Menu names a set of buttons the caller builds from its configuration.
type Menu string

// Menus.
const (
	MenuNone       Menu = ""
	MenuCentres    Menu = "centres"    // one page of centres, see Prompt.Page
	MenuCategories Menu = "categories" // all categories
	MenuReasons    Menu = "reasons"    // all reasons to reject a ticket for
)

// Choice is one button: a locale key (rendered with Count when non-zero)
// and the data it sends back.
type Choice struct {
	Key   string
	Count int
	Data  string
	// Nav marks a choice that leaves the question (back, cancel) rather
	// than answering it: a channel that shows a long list in pages shows
	// it on every page.
	Nav bool
}

// Prompt is one message to show: a locale key, its template data, and the
// buttons to offer.
type Prompt struct {
	Key     string
	Data    map[string]any // "Count" selects the plural form
	Menu    Menu
	Page    int
	Choices [][]Choice
	Contact bool // offer a one-tap "share my phone number"
	// Album is the album a count of files is about: the count of its later
	// files (Again) replaces the one said for its first, rather than
	// another message for each file.
	Album string
	Again bool
}

// Submission is a completed flow, for the caller to store.
type Submission struct {
	Flow     string
	Ticket   string
	Centre   string
	Category string
	Text     string
	Phone    string
	Files    []File
	Stars    int
	Staff    string
	Reason   string
	// Criterion, Day, Via and Scores: see Session.
	Criterion string
	Day       string
	Via       string
	Scores    map[string]float64
}

// Result is the outcome of one Step.
type Result struct {
	Session Session     // the next state; zero when the flow ended
	Prompts []Prompt    // what to show, in order
	Submit  *Submission // set when the flow completed
	// Cancelled and Expired say why the flow ended without a Submission.
	Cancelled bool
	Expired   bool
	// InPlace says that what is shown next may replace the question whose
	// button was pressed, where the channel can edit a message: the press
	// moved the flow (or turned a page) with no word of its own in between,
	// neither question offers the contact keyboard (an edit cannot take
	// one away), and the question was not the summary, which stays as the
	// record of what was sent.
	InPlace bool
	// DropKeyboard says the question answered offered the contact
	// keyboard and nothing shown next does: where the keyboard is the
	// channel's own (Telegram), it should go.
	DropKeyboard bool
}
