package storage

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shakwa/shakwa"
)

// version is the value of the v field of the records this package writes;
// tickets and feedback have their own.
const version = "1"

// recordVersion is the v field of tickets and feedback. Version 2 knows
// the citizen by their opaque id; version 1 kept their address, and is
// refused (no release kept data in it).
const recordVersion = "2"

// Ticket hash fields the scripts touch by name.
const (
	fStatus      = "status"
	fCentre      = "centre"
	fCitizen     = "citizen"
	fChannel     = "channel"
	fHolderID    = "holder.id"
	fHolderName  = "holder.name"
	fClaimedBy   = "claimed_by"
	fRepliedBy   = "replied_by"
	fResolution  = "resolution"
	fReason      = "reason"
	fDuplicateOf = "duplicate_of"
	fRating      = "rating"
	fAttachments = "attachments"
	fReopens     = "reopens"
	fClaimed     = "claimed"
	fFirstReply  = "first_reply"
	fResolved    = "resolved"
	fRated       = "rated"
	fReopened    = "reopened"
	fTransferred = "transferred"
	fClosed      = "closed"
	fRejected    = "rejected"
	fAmended     = "amended"
	fUpdated     = "updated"
	fRev         = "rev"
	fErased      = "erased"
	// fByUpdate names the update whose handling made the ticket's latest
	// transition, and its kind (see transition's replay).
	fByUpdate = "by.update"
)

// fmtTime formats t for storage; the zero time is "".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// score is t as a sorted-set score: Unix milliseconds.
func score(t time.Time) float64 { return float64(t.UnixMilli()) }

// fieldList collects hash fields, skipping empty values.
type fieldList []any

func (l *fieldList) add(name, value string) {
	if value != "" {
		*l = append(*l, name, value)
	}
}

func (l *fieldList) addInt(name string, n int) {
	if n != 0 {
		l.add(name, strconv.Itoa(n))
	}
}

// ticketFields returns t as hash field/value pairs.
func ticketFields(t *shakwa.Ticket) ([]any, error) {
	l := fieldList{"v", recordVersion}
	l.add("id", t.ID)
	l.add(fCentre, t.Centre)
	l.add("category", t.Category)
	l.add("text", t.Text)
	if len(t.Attachments) > 0 {
		b, err := json.Marshal(t.Attachments)
		if err != nil {
			return nil, fmt.Errorf("encode attachments: %w", err)
		}
		l.add(fAttachments, string(b))
	}
	l.add("phone", t.Phone)
	l.add(fCitizen, t.Citizen)
	l.add(fChannel, t.Channel)
	l.add("lang", t.Lang)
	l.add(fStatus, string(t.Status))
	l.add(fHolderID, t.Holder.ID)
	l.add(fHolderName, t.Holder.Name)
	l.add(fClaimedBy, t.ClaimedBy)
	l.add(fRepliedBy, t.RepliedBy)
	l.add(fResolution, t.Resolution)
	l.add(fReason, t.Reason)
	l.add(fDuplicateOf, t.DuplicateOf)
	l.addInt(fRating, t.Rating)
	l.addInt(fReopens, t.Reopens)
	l.addInt(fRev, int(max(t.Rev, 1)))
	for _, f := range ticketTimes(t) {
		l.add(f.name, fmtTime(*f.t))
	}
	return l, nil
}

type timeField struct {
	name string
	t    *time.Time
}

// ticketTimes lists t's time fields by their stored names.
func ticketTimes(t *shakwa.Ticket) []timeField {
	return []timeField{
		{"created", &t.Created}, {fClaimed, &t.Claimed},
		{fFirstReply, &t.FirstReply}, {fResolved, &t.Resolved},
		{fRated, &t.Rated}, {fReopened, &t.Reopened},
		{fTransferred, &t.Transferred}, {fClosed, &t.Closed},
		{fRejected, &t.Rejected}, {fAmended, &t.Amended},
		{fUpdated, &t.Updated}, {fErased, &t.Erased},
	}
}

// parseTicket reads a ticket hash; m must not be empty.
func parseTicket(m map[string]string) (*shakwa.Ticket, error) {
	if v := m["v"]; v != recordVersion {
		return nil, fmt.Errorf("ticket %s: unknown record version %q", m["id"], v)
	}
	t := &shakwa.Ticket{
		ID:          m["id"],
		Centre:      m[fCentre],
		Category:    m["category"],
		Text:        m["text"],
		Phone:       m["phone"],
		Citizen:     m[fCitizen],
		Channel:     m[fChannel],
		Lang:        m["lang"],
		Status:      shakwa.Status(m[fStatus]),
		Holder:      shakwa.Staff{ID: m[fHolderID], Name: m[fHolderName]},
		ClaimedBy:   m[fClaimedBy],
		RepliedBy:   m[fRepliedBy],
		Resolution:  m[fResolution],
		Reason:      m[fReason],
		DuplicateOf: m[fDuplicateOf],
	}
	var err error
	if t.Rating, err = atoi(m, fRating); err != nil {
		return nil, err
	}
	if t.Reopens, err = atoi(m, fReopens); err != nil {
		return nil, err
	}
	rev, err := atoi(m, fRev)
	if err != nil {
		return nil, err
	}
	t.Rev = int64(rev)
	if a := m[fAttachments]; a != "" {
		if err := json.Unmarshal([]byte(a), &t.Attachments); err != nil {
			return nil, fmt.Errorf("ticket %s: attachments: %w", t.ID, err)
		}
	}
	for _, f := range ticketTimes(t) {
		if *f.t, err = parseTime(m, f.name); err != nil {
			return nil, fmt.Errorf("ticket %s: %w", t.ID, err)
		}
	}
	return t, nil
}

// atoi reads an optional integer field.
func atoi(m map[string]string, name string) (int, error) {
	s := m[name]
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("field %s: %w", name, err)
	}
	return n, nil
}

// parseTime reads an optional time field.
func parseTime(m map[string]string, name string) (time.Time, error) {
	s := m[name]
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %s: %w", name, err)
	}
	return t, nil
}

// pairs turns a flat [k1 v1 k2 v2 ...] script reply into a map.
func pairs(flat []any) (map[string]string, error) {
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("odd reply length %d", len(flat))
	}
	m := make(map[string]string, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		k, ok1 := flat[i].(string)
		v, ok2 := flat[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("reply item %d is not text", i)
		}
		m[k] = v
	}
	return m, nil
}

// feedbackFields returns f as hash field/value pairs.
func feedbackFields(f *shakwa.Feedback) []any {
	l := fieldList{"v", recordVersion}
	l.add("id", f.ID)
	l.add("kind", string(f.Kind))
	l.add("centre", f.Centre)
	l.addInt("stars", f.Stars)
	l.add("staff", f.Staff)
	l.add("staff_id", f.StaffID)
	l.add("text", f.Text)
	l.add(fCitizen, f.Citizen)
	l.add("created", fmtTime(f.Created))
	return l
}

// parseFeedback reads a feedback hash; m must not be empty.
func parseFeedback(m map[string]string) (*shakwa.Feedback, error) {
	if v := m["v"]; v != recordVersion {
		return nil, fmt.Errorf("feedback %s: unknown record version %q", m["id"], v)
	}
	f := &shakwa.Feedback{
		ID:      m["id"],
		Kind:    shakwa.Kind(m["kind"]),
		Centre:  m["centre"],
		Staff:   m["staff"],
		StaffID: m["staff_id"],
		Text:    m["text"],
		Citizen: m[fCitizen],
	}
	var err error
	if f.Stars, err = atoi(m, "stars"); err != nil {
		return nil, fmt.Errorf("feedback %s: %w", f.ID, err)
	}
	if f.Created, err = parseTime(m, "created"); err != nil {
		return nil, fmt.Errorf("feedback %s: %w", f.ID, err)
	}
	return f, nil
}
