package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
)

// Statuses in which staff work on a ticket.
var working = []shakwa.Status{shakwa.StatusClaimed, shakwa.StatusInProgress}

// Claim gives a new ticket to by: status claimed, holder by. The first
// claim time is kept on later claims. A ticket that is not new is refused
// with the current ticket (whose Holder says who has it) and an error
// wrapping shakwa.ErrConflict, and so is one no longer in any of centres
// (when centres is not empty: a transfer may have moved it since the
// caller looked); an unknown id wraps shakwa.ErrNotFound.
func (s *Store) Claim(ctx context.Context, id string, by shakwa.Staff, centres []string, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, claimOf(by, centres, now))
}

// claimOf is Claim's transition at now.
func claimOf(by shakwa.Staff, centres []string, now time.Time) transition {
	return transition{
		name:  "claim",
		from:  []shakwa.Status{shakwa.StatusNew},
		in:    centres,
		event: shakwa.Event{Kind: "claimed", By: by.ID, Via: by.Via},
		ops: []op{
			set(fStatus, string(shakwa.StatusClaimed)), set(fHolderID, by.ID),
			set(fHolderName, by.Name), keep(fClaimed, now), first(fClaimedBy, by.ID),
		},
	}
}

// Release puts a claimed or in-progress ticket held by by back in its
// centre's queue: status new, no holder. Other states and other holders are
// refused as Claim describes.
func (s *Store) Release(ctx context.Context, id string, by shakwa.Staff, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name: "release", from: working, holder: by.ID,
		event: shakwa.Event{Kind: "released", By: by.ID, Via: by.Via},
		ops:   []op{set(fStatus, string(shakwa.StatusNew)), del(fHolderID), del(fHolderName)},
	})
}

// Reply records a staff answer on a claimed or in-progress ticket held by
// by: status in_progress; the first reply time is kept on later replies.
// Refusals are as Claim describes.
func (s *Store) Reply(ctx context.Context, id string, by shakwa.Staff, text string, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name: "reply", from: working, holder: by.ID,
		event: shakwa.Event{Kind: "reply", By: by.ID, Via: by.Via, Text: text},
		ops:   []op{set(fStatus, string(shakwa.StatusInProgress)), keep(fFirstReply, now), first(fRepliedBy, by.ID)},
	})
}

// RevealPhone records, in the history, that by, who holds ticket id
// (claimed or in progress), was shown its citizen's phone number, and
// returns the ticket. Other states and other holders are refused as Claim
// describes; nothing else of the ticket changes.
func (s *Store) RevealPhone(ctx context.Context, id string, by shakwa.Staff, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name: "reveal", from: working, holder: by.ID,
		event: shakwa.Event{Kind: "revealed", By: by.ID, Via: by.Via},
	})
}

// Note adds an internal staff note to a ticket in any state.
func (s *Store) Note(ctx context.Context, id string, by shakwa.Staff, text string, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name:  "note",
		event: shakwa.Event{Kind: "note", By: by.ID, Via: by.Via, Text: text},
	})
}

// Info adds information from the citizen to an open ticket, and files to
// its attachments. A ticket of
// another citizen is reported as not found (shakwa.ErrNotFound); a ticket
// that is no longer open is refused with shakwa.ErrConflict.
func (s *Store) Info(ctx context.Context, id string, citizen shakwa.Address, text string, files []shakwa.Attachment, now time.Time) (*shakwa.Ticket, error) {
	tr := transition{
		name:    "info",
		from:    []shakwa.Status{shakwa.StatusNew, shakwa.StatusClaimed, shakwa.StatusInProgress},
		citizen: s.PersonID(citizen),
		event:   shakwa.Event{Kind: "info", By: s.PersonID(citizen), Via: citizen.Channel, Text: text},
	}
	if err := tr.addFiles(files); err != nil {
		return nil, fmt.Errorf("info %s: %w", id, err)
	}
	return s.apply(ctx, id, now, tr)
}

// addFiles has tr append files to the ticket's attachments.
func (tr *transition) addFiles(files []shakwa.Attachment) error {
	if len(files) == 0 {
		return nil
	}
	b, err := json.Marshal(files)
	if err != nil {
		return fmt.Errorf("encode attachments: %w", err)
	}
	tr.ops = append(tr.ops, op{"append", fAttachments, string(b)})
	return nil
}

// Resolve closes the work on a claimed or in-progress ticket held by by:
// status resolved, with the resolution and time; the holder stays
// recorded. Refusals are as Claim describes.
func (s *Store) Resolve(ctx context.Context, id string, by shakwa.Staff, resolution string, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name: "resolve", from: working, holder: by.ID,
		event: shakwa.Event{Kind: "resolved", By: by.ID, Via: by.Via, Text: resolution},
		ops: []op{
			set(fStatus, string(shakwa.StatusResolved)), set(fResolution, resolution),
			set(fResolved, fmtTime(now)),
		},
	})
}

// Transfer moves an open ticket to the queue of centre to: status new, no
// holder, transfer time recorded. A claimed or in-progress ticket can only
// be transferred by its holder. A transfer to the centre the ticket is in
// is refused with shakwa.ErrConflict; a malformed centre code with
// shakwa.ErrInvalid. Other refusals are as Claim describes.
func (s *Store) Transfer(ctx context.Context, id string, by shakwa.Staff, to string, now time.Time) (*shakwa.Ticket, error) {
	if !validCode(to) {
		return nil, fmt.Errorf("transfer %s: bad centre code %q: %w", id, to, shakwa.ErrInvalid)
	}
	return s.apply(ctx, id, now, transition{
		name:   "transfer",
		from:   []shakwa.Status{shakwa.StatusNew, shakwa.StatusClaimed, shakwa.StatusInProgress},
		holder: by.ID, notIn: to,
		event: shakwa.Event{Kind: "transferred", By: by.ID, Via: by.Via, Text: to},
		ops: []op{
			set(fStatus, string(shakwa.StatusNew)), set(fCentre, to),
			del(fHolderID), del(fHolderName), set(fTransferred, fmtTime(now)),
		},
	})
}

// Rate records the citizen's rating (1 to 5 stars) of a resolved ticket and
// closes it. Stars out of range wrap shakwa.ErrInvalid; a ticket of another
// citizen wraps shakwa.ErrNotFound; one that is not resolved is refused with
// shakwa.ErrConflict.
func (s *Store) Rate(ctx context.Context, id string, citizen shakwa.Address, stars int, now time.Time) (*shakwa.Ticket, error) {
	if stars < 1 || stars > 5 {
		return nil, fmt.Errorf("rate %s: %d stars: %w", id, stars, shakwa.ErrInvalid)
	}
	n := strconv.Itoa(stars)
	return s.apply(ctx, id, now, transition{
		name:    "rate",
		from:    []shakwa.Status{shakwa.StatusResolved},
		citizen: s.PersonID(citizen),
		event:   shakwa.Event{Kind: "rated", By: s.PersonID(citizen), Via: citizen.Channel, Text: n},
		ops: []op{
			set(fStatus, string(shakwa.StatusClosed)), set(fRating, n),
			set(fRated, fmtTime(now)), set(fClosed, fmtTime(now)),
		},
	})
}

// CloseResolved closes a resolved ticket that its citizen has not rated: status
// closed, with the closing time; by is who closed it (shakwa.SystemActor
// for the automatic close after close_after). A ticket that is not
// resolved is refused with the current ticket and shakwa.ErrConflict.
func (s *Store) CloseResolved(ctx context.Context, id, by string, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name:  "close",
		from:  []shakwa.Status{shakwa.StatusResolved},
		event: shakwa.Event{Kind: "closed", By: by},
		ops:   []op{set(fStatus, string(shakwa.StatusClosed)), set(fClosed, fmtTime(now))},
	})
}

// Reassign gives an open ticket of one of centres to staff member to, at
// the word of by (a supervisor of those centres): a new ticket is claimed
// for them (its first claim time kept if it had one), a held one changes
// holder and keeps its status. A ticket already held by to, or no longer
// open or in centres, is refused as Claim describes.
func (s *Store) Reassign(ctx context.Context, id string, by, to shakwa.Staff, centres []string, now time.Time) (*shakwa.Ticket, error) {
	if to.ID == "" || len(centres) == 0 {
		return nil, fmt.Errorf("reassign %s: no staff member or centres: %w", id, shakwa.ErrInvalid)
	}
	return s.apply(ctx, id, now, transition{
		name:    "reassign",
		from:    []shakwa.Status{shakwa.StatusNew, shakwa.StatusClaimed, shakwa.StatusInProgress},
		in:      centres,
		notHeld: to.ID,
		event:   shakwa.Event{Kind: "reassigned", By: by.ID, Via: by.Via, Text: to.ID},
		ops: []op{
			{"claimnew", fStatus, ""}, set(fHolderID, to.ID), set(fHolderName, to.Name), keep(fClaimed, now),
			first(fClaimedBy, to.ID),
		},
	})
}

// Reject closes an open ticket without resolving it: status rejected, with
// the reason's code, the words the citizen is told (text, perhaps empty),
// the ticket it duplicates (of, "" for none: the one followed up instead)
// and the time; the holder stays recorded. With no centres, by acts as
// staff and must hold it (claimed or in progress); with centres, by
// supervises them, and the ticket may be new or held by anyone but must
// be in one of them. Refusals are as Claim describes; a malformed reason
// wraps shakwa.ErrInvalid.
func (s *Store) Reject(ctx context.Context, id string, by shakwa.Staff, reason, text, of string, centres []string, now time.Time) (*shakwa.Ticket, error) {
	if reason == "" || strings.ContainsAny(reason, " \n") {
		return nil, fmt.Errorf("reject %s: reason %q: %w", id, reason, shakwa.ErrInvalid)
	}
	tr := transition{
		name: "reject", from: working, holder: by.ID,
		event: shakwa.Event{Kind: "rejected", By: by.ID, Via: by.Via, Text: strings.TrimSpace(reason + " " + text)},
		ops: []op{
			set(fStatus, string(shakwa.StatusRejected)), set(fReason, reason), set(fRejected, fmtTime(now)),
			set(fClosed, fmtTime(now)), del(fResolution),
		},
	}
	if text != "" {
		tr.ops = append(tr.ops, set(fResolution, text))
	}
	if of != "" {
		tr.ops = append(tr.ops, set(fDuplicateOf, of))
	}
	if len(centres) > 0 {
		tr.from, tr.holder, tr.in = []shakwa.Status{shakwa.StatusNew, shakwa.StatusClaimed, shakwa.StatusInProgress}, "", centres
	}
	return s.apply(ctx, id, now, tr)
}

// Amend adds what its citizen was asked for (text and files, as Info does)
// to a rejected ticket and puts it back to work: to the recorded holder
// (status claimed) or the centre's queue (new), with the reason, the
// rejection's words and the closing time cleared. A ticket is amended
// once: a second time, like a ticket that is not rejected, is refused with
// shakwa.ErrConflict. Whether the reason allows it is the caller's
// decision; other refusals are as Rate describes. A holder gone (one who
// no longer serves the centre; "" for none) does not get it back: it goes
// to the queue.
func (s *Store) Amend(ctx context.Context, id string, citizen shakwa.Address, text string, files []shakwa.Attachment, gone string, now time.Time) (*shakwa.Ticket, error) {
	tr := transition{
		name:    "amend",
		from:    []shakwa.Status{shakwa.StatusRejected},
		citizen: s.PersonID(citizen),
		event:   shakwa.Event{Kind: "amended", By: s.PersonID(citizen), Via: citizen.Channel, Text: text},
		ops: []op{
			absent(fAmended), {"reopen", fStatus, gone}, set(fAmended, fmtTime(now)),
			del(fReason), del(fResolution), del(fClosed), del(fDuplicateOf),
		},
	}
	if err := tr.addFiles(files); err != nil {
		return nil, fmt.Errorf("amend %s: %w", id, err)
	}
	return s.apply(ctx, id, now, tr)
}

// Withdraw closes an open ticket for its citizen, who no longer wants it
// followed up: status withdrawn, with the closing time; the holder stays
// recorded. Refusals are as Rate describes.
func (s *Store) Withdraw(ctx context.Context, id string, citizen shakwa.Address, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name:    "withdraw",
		from:    []shakwa.Status{shakwa.StatusNew, shakwa.StatusClaimed, shakwa.StatusInProgress},
		citizen: s.PersonID(citizen),
		event:   shakwa.Event{Kind: "withdrawn", By: s.PersonID(citizen), Via: citizen.Channel},
		ops:     []op{set(fStatus, string(shakwa.StatusWithdrawn)), set(fClosed, fmtTime(now))},
	})
}

// Reopen reopens a resolved or closed ticket for its citizen: it goes back
// to the recorded holder (status claimed) or, if none, to the centre's
// queue (status new). The closing time and resolution are cleared; the
// rating stays (the citizen's verdict on the first resolution counts in
// satisfaction until they rate again); the reopen time and count are
// recorded. Whether it is still within the
// reopen window is the caller's decision. A holder gone is as Amend
// describes. Refusals are as Rate describes.
func (s *Store) Reopen(ctx context.Context, id string, citizen shakwa.Address, gone string, now time.Time) (*shakwa.Ticket, error) {
	return s.apply(ctx, id, now, transition{
		name:    "reopen",
		from:    []shakwa.Status{shakwa.StatusResolved, shakwa.StatusClosed},
		citizen: s.PersonID(citizen),
		event:   shakwa.Event{Kind: "reopened", By: s.PersonID(citizen), Via: citizen.Channel},
		ops: []op{
			{"reopen", fStatus, gone}, set(fReopened, fmtTime(now)), {"incr", fReopens, ""},
			del(fClosed), del(fResolution),
		},
	})
}
