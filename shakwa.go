// Package shakwa holds the domain types of the complaint service: tickets,
// feedback, people and their roles. It imports only the standard library so
// that every other package can share these words without sharing machinery.
package shakwa

import (
	"errors"
	"time"
)

// Error kinds. Packages wrap these with context; handlers map each kind to
// a message a person can read (see handlers' error table).
var (
	// ErrNotFound means the thing asked for does not exist (or is not
	// visible to the asker).
	ErrNotFound = errors.New("not found")
	// ErrConflict means the thing exists but is not in a state that allows
	// the change (a ticket already claimed, already closed).
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the asker may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid means the input is malformed.
	ErrInvalid = errors.New("invalid")
)

// Kind is what a citizen gave us: a complaint, feedback or thanks.
type Kind string

// Kinds of submission.
const (
	KindComplaint Kind = "complaint"
	KindFeedback  Kind = "feedback"
	KindThanks    Kind = "thanks"
)

// Status is where a ticket stands in its lifecycle.
type Status string

// Ticket statuses; see DESIGN.md "Ticket lifecycle".
const (
	StatusNew        Status = "new"
	StatusClaimed    Status = "claimed"
	StatusInProgress Status = "in_progress"
	StatusResolved   Status = "resolved"
	StatusClosed     Status = "closed"
	// StatusRejected is closed without a resolution, for a reason the
	// citizen is told; it is counted apart from resolved tickets.
	StatusRejected Status = "rejected"
	// StatusWithdrawn is closed by its citizen before it was resolved.
	StatusWithdrawn Status = "withdrawn"
)

// Open reports whether the ticket still needs staff work.
func (s Status) Open() bool {
	return s == StatusNew || s == StatusClaimed || s == StatusInProgress
}

// Role is what a person may do. It comes from configuration only.
type Role string

// Roles.
const (
	RoleCitizen    Role = "citizen"
	RoleStaff      Role = "staff"
	RoleSupervisor Role = "supervisor"
	RoleManager    Role = "manager"
	// RoleEvaluator is a mystery shopper: they file visits to centres
	// and see nothing of tickets.
	RoleEvaluator Role = "evaluator"
)

// Address is where a person can be reached: a channel and a chat on it.
// A chat may be a phone number (WhatsApp), so an Address is personal data:
// it is kept on the person's record only, never in keys, events, logs or
// error strings; everywhere else a person is their opaque Person.ID.
type Address struct {
	Channel string `json:"channel"`
	Chat    string `json:"chat"`
}

// String returns "channel:chat".
func (a Address) String() string { return a.Channel + ":" + a.Chat }

// IsZero reports whether the address is empty.
func (a Address) IsZero() bool { return a.Channel == "" && a.Chat == "" }

// Attachment is a file a person sent: known by its id on the channel it
// came from, and, once its bytes are in the file store, by its content, so
// that it can be sent on any channel.
type Attachment struct {
	Kind string `json:"kind"`           // photo | document | audio | video
	ID   string `json:"id"`             // the file's id on the channel it came from
	From string `json:"from,omitempty"` // that channel; "" in records that predate it: the ticket's channel
	File string `json:"file,omitempty"` // its content in the file store (SHA-256, hex); "" until fetched
	Name string `json:"name,omitempty"`
	Mime string `json:"mime,omitempty"`
	Size int64  `json:"size,omitempty"`
}

// Person is someone who writes to the bot, as storage keeps them: an
// opaque ID that stands for them everywhere (tickets, events, keys), and
// the Address and language behind it, kept on this record only.
type Person struct {
	ID      string  `json:"id"`
	Address Address `json:"address"`
	Lang    string  `json:"lang,omitempty"` // their chosen language, "" if none
}

// Staff names a staff member as the ticket records them.
type Staff struct {
	ID   string `json:"id"` // Telegram user id, as text
	Name string `json:"name"`
	// Via is the channel they act from, for the history (not kept as a
	// ticket's holder).
	Via string `json:"via,omitempty"`
}

// Ticket is one complaint and everything that happened to it.
// Times are zero until the event happens; "first" times never move.
type Ticket struct {
	ID          string       `json:"id"` // e.g. KRM-000123
	Centre      string       `json:"centre"`
	Category    string       `json:"category"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Phone       string       `json:"phone,omitempty"`
	Citizen     string       `json:"citizen"` // the citizen's Person.ID
	Channel     string       `json:"channel"` // the channel the citizen wrote on
	Lang        string       `json:"lang"`
	Status      Status       `json:"status"`
	Holder      Staff        `json:"holder"`
	// ClaimedBy is the staff member who claimed it first, RepliedBy the
	// one who replied first: whom the figures credit with the claim and
	// the first reply, whoever holds it now.
	ClaimedBy string `json:"claimed_by,omitempty"`
	RepliedBy string `json:"replied_by,omitempty"`
	// Resolution is what the citizen was told when it was resolved, or
	// rejected.
	Resolution string `json:"resolution,omitempty"`
	// Reason is the code of the reason it was rejected for (see
	// config.RejectReason), while it is rejected.
	Reason string `json:"reason,omitempty"`
	// DuplicateOf is the ticket a rejection as a duplicate named: the one
	// that is followed up instead.
	DuplicateOf string `json:"duplicate_of,omitempty"`
	Rating      int    `json:"rating,omitempty"`
	Reopens     int    `json:"reopens,omitempty"`
	// Rev counts the ticket's changes (1 when filed): it orders what is
	// derived from it, such as its metrics.
	Rev int64 `json:"rev,omitempty"`

	Created     time.Time `json:"created"`
	Claimed     time.Time `json:"claimed"`     // first claim
	FirstReply  time.Time `json:"first_reply"` // first staff reply
	Resolved    time.Time `json:"resolved"`    // latest resolution
	Rated       time.Time `json:"rated"`
	Reopened    time.Time `json:"reopened"`    // latest reopen
	Transferred time.Time `json:"transferred"` // latest transfer
	Closed      time.Time `json:"closed"`
	Rejected    time.Time `json:"rejected"` // latest rejection
	Amended     time.Time `json:"amended"`  // when the citizen added what a rejection asked for
	Updated     time.Time `json:"updated"`
	// Erased is when the citizen's personal data was erased from it (the
	// retention period passed, or they asked): its words, phone and files,
	// and what links it to them. Its times, centre, category and rating
	// stay, for the figures.
	Erased time.Time `json:"erased"`
}

// ErasedCitizen is a ticket's Citizen, and its history's By, once the
// citizen's personal data is erased.
const ErasedCitizen = "-"

// Event is one line of a ticket's history.
type Event struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`         // created, claimed, released, reply, note, info, resolved, rated, reopened, transferred, reassigned, closed, rejected, amended, withdrawn
	By   string    `json:"by,omitempty"` // a staff id, a citizen's Person.ID, or SystemActor
	// Via is the channel the actor acted from ("telegram", "whatsapp",
	// "web"); "" for the system, and in entries older than it.
	Via  string `json:"via,omitempty"`
	Text string `json:"text,omitempty"`
}

// Feedback is a star rating with an optional comment, or a thanks message,
// given to a centre outside any ticket.
type Feedback struct {
	ID     string `json:"id"`
	Kind   Kind   `json:"kind"` // feedback | thanks
	Centre string `json:"centre"`
	Stars  int    `json:"stars,omitempty"`
	Staff  string `json:"staff,omitempty"` // named staff member, thanks only, as typed
	// StaffID is the staff member Staff names, when the name is one of
	// the centre's staff (their Staff.ID); thanks count for them.
	StaffID string    `json:"staff_id,omitempty"`
	Text    string    `json:"text,omitempty"`
	Citizen string    `json:"citizen"` // the citizen's Person.ID
	Created time.Time `json:"created"`
}

// SystemActor is Event.By for what the bot did on its own (an automatic
// close).
const SystemActor = "system"

// Job is work the bot owes at a time, with no message to answer: closing a
// resolved ticket nobody rated, telling a citizen their half-finished
// conversation expired. Storage keeps jobs by Kind and Key (one job per
// key: scheduling it again moves it) and hands each due job to one runner.
type Job struct {
	Kind string    `json:"kind"` // e.g. "autoclose"
	Key  string    `json:"key"`  // what it is about, e.g. "KRM-000123"; no personal data
	Due  time.Time `json:"due"`  // when it was scheduled for
	// Token names the claim a runner holds on the job; storage sets it.
	Token int64 `json:"token,omitempty"`
	// Attempts is how many runs of the job failed so far.
	Attempts int `json:"attempts,omitempty"`
	// Again, when a run sets it, makes the job due again then, once the
	// run's replies are queued, in place of ending it: a job that goes in
	// steps (an SLA ladder) moves to its next step only when this one's
	// messages are safe, so a run that fails or dies is run again as the
	// same step.
	Again time.Time `json:"-"`
}

// Tally is one count a ticket or a feedback adds to its centre's metrics:
// N added to Field of the centre's tallies for the local day Day
// (YYYYMMDD) and of that day's month. Dims puts it with the breakdowns (by
// category, channel, staff member) rather than with the centre's totals,
// which are read far more often. Vector makes Field a sparse vector of
// counts kept whole in one field (a histogram, counts by hour): N is added
// to its element Index. Recent, for a vector, keeps it in the day's
// hash of recent counts instead ("n:YYYYMMDD", "xn:" for breakdowns; not
// in the month's), which expires two days after the day began (UTC):
// counts finer than a day's other reads need, read only while the day is
// today.
// What the fields mean is the metrics' business; storage adds and takes
// away.
type Tally struct {
	Dims   bool
	Day    string
	Field  string
	N      int64
	Vector bool
	Index  int
	Recent bool
}

// TallyKey names one hash of a centre's tallies: "d:YYYYMMDD" (a day's
// totals), "m:YYYYMM" (a month's), "n:YYYYMMDD" (a recent day's recent
// counts; see Tally.Recent), or the same with an x in front for the
// breakdowns. A field's value is a count in decimal, or, for a vector, its
// elements that hold something, "INDEX:COUNT" joined by commas, in no
// particular order ("101:1,84:2").
// Fields, when given, are the only fields read.
type TallyKey struct {
	Centre, Key string
	Fields      []string
}

// Invite is what a one-time invite code gives whoever joins with it.
type Invite struct {
	Role    Role      `json:"role"`
	Centres []string  `json:"centres,omitempty"`
	By      string    `json:"by"` // who made it: a staff id, or "server"
	At      time.Time `json:"at"`
}

// Member is a person who joined with an invite code: a role the
// configuration file does not give them.
type Member struct {
	Telegram int64     `json:"telegram"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	Centres  []string  `json:"centres,omitempty"`
	By       string    `json:"by"` // who invited them
	At       time.Time `json:"at"` // when they joined
}

// AuditEntry is one line of the record of what staff and the operator did
// outside a ticket's own history: invites, joins, revocations, exports,
// discarded visits.
type AuditEntry struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"` // invited, joined, revoked, exported, discarded (a visit), signins_revoked (web staff)
	By   string    `json:"by"`   // who did it: a staff id, or "server"
	Who  string    `json:"who,omitempty"`
	Role string    `json:"role,omitempty"`
	Via  string    `json:"via,omitempty"`
	// What says more: for an export, its period, centres and rows; for
	// a discarded visit, its number, centre and day (Who is who filed it).
	What string `json:"what,omitempty"`
}

// Marks of a standard in a self-assessment.
const (
	MarkMet    = "met"
	MarkPartly = "partly"
	MarkUnmet  = "unmet"
)

// MarkValue is how much of a standard a mark meets: 1, one half, 0.
func MarkValue(mark string) float64 {
	switch mark {
	case MarkMet:
		return 1
	case MarkPartly:
		return 0.5
	}
	return 0
}

// Answer is a supervisor's finding on one standard in a centre's monthly
// self-assessment. The standard's priority and weight, and the priority's
// weight, are kept as they were when it was answered, so that a month's
// score stays what it was when the configuration changes.
type Answer struct {
	Criterion string  `json:"criterion"`
	Mark      string  `json:"mark"`             // MarkMet, MarkPartly or MarkUnmet
	Reason    string  `json:"reason,omitempty"` // why it is not (fully) met
	Owner     string  `json:"owner,omitempty"`  // who follows it up
	Priority  string  `json:"priority"`
	Weight    float64 `json:"weight"`
	// PriorityWeight is the priority's weight; 0 (kept before it was):
	// the configuration's.
	PriorityWeight float64   `json:"priority_weight,omitempty"`
	By             string    `json:"by"` // a staff id
	At             time.Time `json:"at"`
}

// Assessment is one centre's self-assessment of one month ("2026-11").
// It is done once every standard of the configuration has an answer.
type Assessment struct {
	Centre  string
	Month   string
	Opened  time.Time // zero: never opened
	Done    time.Time // zero: not done
	DoneBy  string
	Answers map[string]Answer // by criterion code
}

// VisitScore is one answer of a mystery-shopper visit's form: what the
// evaluator gave (minutes, 1-5, 1 or 0 for yes and no) and it as a share
// of the best, 0 to 1, with the question's priority and weight, and the
// priority's weight, as they were when the visit was filed.
type VisitScore struct {
	Question string  `json:"question"`
	Value    float64 `json:"value"`
	Score    float64 `json:"score"`
	Priority string  `json:"priority"`
	Weight   float64 `json:"weight"`
	// PriorityWeight: see Answer.
	PriorityWeight float64 `json:"priority_weight,omitempty"`
}

// Visit is a mystery shopper's visit to a centre. Nobody of the centre
// sees it before a manager releases it, and nobody but managers ever sees
// who filed it.
type Visit struct {
	ID          string       `json:"id"`
	Centre      string       `json:"centre"`
	Day         string       `json:"day"`     // YYYY-MM-DD, in the centre's zone
	Channel     string       `json:"channel"` // visit, phone, website, app, whatsapp, telegram
	Scores      []VisitScore `json:"scores"`
	Notes       string       `json:"notes,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	By          string       `json:"by"` // the evaluator's staff id
	Filed       time.Time    `json:"filed"`
	Released    time.Time    `json:"released,omitzero"`
	ReleasedBy  string       `json:"released_by,omitempty"`
	// Discarded is when a manager took the visit back (filed by mistake),
	// and DiscardedBy who: a discarded visit is never released, shown or
	// counted.
	Discarded   time.Time `json:"discarded,omitzero"`
	DiscardedBy string    `json:"discarded_by,omitempty"`
}
