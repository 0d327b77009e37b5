package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/flows"
)

// JobRetention erases the personal data of tickets closed longer ago than
// retention.days, and the records of people no ticket keeps that were
// last written longer ago. It runs every hour, once across replicas, a
// batch at a time: a backlog (the first run on old data) is worked off
// over the runs.
const JobRetention = "retention"

// retentionKey is the key of the one retention job.
const retentionKey = "all"

// retentionBatch is how many tickets one run erases at most.
const retentionBatch = 2000

// NextRetention is when the retention sweep runs next after after: the
// next whole hour.
func (h *Handler) NextRetention(after time.Time) time.Time {
	return after.Truncate(time.Hour).Add(time.Hour)
}

// ScheduleRetention makes sure the retention sweep is scheduled.
func (h *Handler) ScheduleRetention(ctx context.Context) error {
	if _, ok, err := h.store.JobDue(ctx, JobRetention, retentionKey); err != nil || ok {
		return err
	}
	return h.store.ScheduleJob(ctx, JobRetention, retentionKey, h.NextRetention(h.now()))
}

// retain runs one retention sweep.
func (h *Handler) retain(ctx context.Context) error {
	now := h.now()
	cutoff := now.AddDate(0, 0, -h.cfg().Retention.Days)
	n, more, err := h.store.EraseClosedBefore(ctx, cutoff, now, retentionBatch, false, func(t *shakwa.Ticket) { h.removeFiles(ctx, t) })
	if n > 0 || more {
		h.log.InfoContext(ctx, "retention", "erased", n, "more", more, "closed_before", cutoff)
	}
	if err != nil {
		return err
	}
	forgot, more, err := h.store.ForgetUntouched(ctx, cutoff, retentionBatch)
	if forgot > 0 || more {
		h.log.InfoContext(ctx, "retention", "people", forgot, "more", more, "written_before", cutoff)
	}
	if err != nil {
		return err
	}
	dead, parked, err := h.store.ExpireOutbox(ctx, cutoff)
	if dead > 0 || parked > 0 {
		h.log.InfoContext(ctx, "retention", "dead_letters", dead, "parked_queues", parked, "before", cutoff)
	}
	return err
}

// askForget asks a citizen who wants their data erased («احذف بياناتي»,
// /forget) to confirm, saying what goes and what stays.
func (h *Handler) askForget(ctx context.Context, c *conv) {
	ts, ok := h.forgettable(ctx, c)
	if !ok {
		return
	}
	open := 0
	for _, t := range ts {
		if t.Status.Open() {
			open++
		}
	}
	if err := h.store.SaveSession(ctx, forgetAsked(c), []byte("1"), forgetAskKeep); err != nil {
		c.fail(ctx, fmt.Errorf("forget: %w", err))
		return
	}
	c.Reply(c.reply(c.t("forget.ask", map[string]any{"Count": len(ts), "Open": open}), [][]flows.Choice{
		{{Key: "button.forget_yes", Data: "forget:yes"}},
		{{Key: "button.forget_no", Data: menuHome}},
	}))
}

// forgetAsked names the mark that the citizen was asked to confirm their
// erasure, and forgetAskKeep how long the question stands: a press of its
// button after the erasure, or long after, is an old button.
func forgetAsked(c *conv) string { return "forgetask:" + c.id }

const forgetAskKeep = time.Hour

// forgetMax is how many of a citizen's tickets one erasure reaches: more
// than anyone files (the daily limit is 10).
const forgetMax = 10_000

// forgettable is the speaker's tickets, when the speaker is a citizen
// (staff are told erasure is not for them); ok is false when answered.
func (h *Handler) forgettable(ctx context.Context, c *conv) ([]*shakwa.Ticket, bool) {
	if c.person != nil {
		c.say("forget.staff", nil)
		return nil, false
	}
	ts, err := h.store.CitizenTickets(ctx, c.who, forgetMax)
	if err != nil {
		c.fail(ctx, fmt.Errorf("forget: %w", err))
		return nil, false
	}
	return ts, true
}

// forget erases the citizen's personal data, as they confirmed: each open
// ticket is withdrawn first (its staff are told, as for a withdrawal),
// then every ticket's words, phone, files and link to them go, and last
// the record of how to reach them. They are told what was kept and why.
// Done twice (the update came again), it erases nothing twice.
func (h *Handler) forget(ctx context.Context, c *conv) {
	asked, err := h.store.Session(ctx, forgetAsked(c))
	if err != nil {
		c.fail(ctx, fmt.Errorf("forget: %w", err))
		return
	}
	if asked == nil && c.person == nil {
		c.notice = c.t("error.stale_button", nil)
		h.menu(c, "")
		return
	}
	ts, ok := h.forgettable(ctx, c)
	if !ok {
		return
	}
	if err := h.store.DeleteSession(ctx, forgetAsked(c)); err != nil {
		c.fail(ctx, fmt.Errorf("forget: %w", err))
		return
	}
	now := h.now()
	withdrawn := 0
	var gone []*shakwa.Ticket // erased now, as they were
	for _, t := range ts {
		if t.Status.Open() {
			w, err := h.store.Withdraw(ctx, t.ID, c.who, now)
			switch {
			case errors.Is(err, shakwa.ErrConflict):
			case err != nil:
				c.fail(ctx, fmt.Errorf("forget: withdraw %s: %w", t.ID, err))
				return
			default:
				withdrawn++
				if err := h.notify.Holder(ctx, c, w, "staff.withdrawn", nil); err != nil {
					c.fail(ctx, err)
					return
				}
			}
		}
		erased, done, err := h.store.EraseTicket(ctx, t.ID, shakwa.ErasedCitizen, now)
		if err != nil {
			c.fail(ctx, fmt.Errorf("forget: %w", err))
			return
		}
		if done {
			gone = append(gone, t)
			// The card in the group quoted their words: no more.
			h.notify.EditCard(c, erased, "card.erased", nil)
		}
	}
	// Their files, once all are erased: two of their tickets may share
	// one, and an erased ticket leaves the file's index only when the
	// update commits.
	h.removeFiles(ctx, gone...)
	if !h.endSession(ctx, c) {
		return
	}
	if err := h.store.ForgetPerson(ctx, c.who); err != nil {
		c.fail(ctx, err)
		return
	}
	c.Reply(c.reply(c.t("forget.done", map[string]any{"Count": len(ts), "Open": withdrawn}),
		[][]flows.Choice{{{Key: "menu.home", Data: menuHome}}}))
}

// FileRemover is a file store's optional way to delete a file's bytes.
type FileRemover interface {
	Remove(id string) error
}

// removeFiles deletes the bytes of the files of ts (as they were before
// their erasure) from the file store, where they were kept to cross
// channels. Files are kept once by content: one that a ticket other than
// ts has too (the same form sent by two citizens, say) stays for that one.
func (h *Handler) removeFiles(ctx context.Context, ts ...*shakwa.Ticket) {
	ids := make([]string, len(ts))
	var files []string
	for i, t := range ts {
		ids[i] = t.ID
		for _, a := range t.Attachments {
			if a.File != "" {
				files = append(files, a.File)
			}
		}
	}
	h.removeUnused(ctx, files, ids...)
}

// removeUnused deletes the bytes of files from the file store unless a
// ticket or visit other than those of except still has them. Not being
// able to only keeps a file, and is logged.
func (h *Handler) removeUnused(ctx context.Context, files []string, except ...string) {
	r, ok := h.files.(FileRemover)
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, file := range files {
		if seen[file] {
			continue
		}
		seen[file] = true
		used, err := h.store.FileUsed(ctx, file, except...)
		if err == nil && !used {
			err = r.Remove(file)
		}
		if err != nil {
			h.log.WarnContext(ctx, "remove a file nothing has any more", "err", err)
		}
	}
}

// uploadKeep is how long a file a citizen sent stays in the file store
// when no ticket takes it: far longer than a draft lives.
const uploadKeep = 7 * 24 * time.Hour

// SentKeep is how long a file that staff sent to a citizen stays in the
// file store (an upload of theirs on the web, or a file fetched to cross
// to another channel, see bot.Outbox.Fetched): longer than a web chat
// shows it (30 days), and a WhatsApp upload of it lives. No ticket keeps
// such a file; one a ticket has too stays with the ticket.
const SentKeep = 31 * 24 * time.Hour

// keepUploads schedules the removal of the files in the message that the
// file store keeps (web uploads, and files that crossed channels), for
// uploadKeep from now (a citizen's) or SentKeep (staff's, to a citizen):
// each new sending of the same file moves it on. A file a ticket takes
// stays (see dropUpload). Not being able to schedule it only keeps the
// file.
func (h *Handler) keepUploads(ctx context.Context, c *conv) {
	if _, ok := h.files.(FileRemover); !ok {
		return
	}
	keep := max(uploadKeep, 2*time.Duration(h.cfg().Session.Idle)) // a draft may take it until then
	if c.person != nil {
		keep = SentKeep // staff's, to a citizen
	}
	for _, a := range c.m.Attachments {
		if a.File == "" {
			continue
		}
		if err := h.store.ScheduleJob(ctx, JobDropUpload, a.File, h.now().Add(keep)); err != nil {
			h.log.WarnContext(ctx, "schedule an upload's removal", "err", err)
		}
	}
}

// dropUpload is JobDropUpload: file id's bytes go unless a ticket or a
// visit has it.
func (h *Handler) dropUpload(ctx context.Context, id string) error {
	r, ok := h.files.(FileRemover)
	if !ok {
		return nil
	}
	used, err := h.store.FileUsed(ctx, id)
	if err != nil || used {
		return err
	}
	return r.Remove(id)
}
