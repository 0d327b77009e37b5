package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/flows"
	"github.com/shakwa/shakwa/locales"
)

// Job kinds the Handler runs (see RunJob). Their keys hold no personal
// data: a ticket number, a person's opaque id.
const (
	// JobAutoClose closes a resolved ticket its citizen did not rate
	// within close_after, and tells them; keyed by ticket id, scheduled
	// when the ticket is resolved.
	JobAutoClose = "autoclose"
	// JobIdle ends a conversation left half-finished for session.idle,
	// and tells the person; keyed by their opaque id, moved on by every
	// step they take.
	JobIdle = "idle"
	// JobDropDocument removes a document the bot made (an export, a
	// report's spreadsheet) from the file store once it has been sent;
	// keyed by its file id, scheduled when it is made.
	JobDropDocument = "dropdoc"
	// JobDropUpload removes a file a citizen sent from the file store,
	// uploadKeep after they last sent it, unless a ticket took it (one sent
	// at the menu, in a draft left or cancelled, or past a flow's limit);
	// keyed by its file id.
	JobDropUpload = "dropupload"
)

// RunJob runs a job of one of the kinds above; see bot.JobHandler. Every
// job checks the state it acts on, so running it twice changes nothing
// twice, and a job that finds its work done already (by the citizen, or
// by an earlier run that stopped before its replies were queued) says
// what that run would have said.
func (h *Handler) RunJob(ctx context.Context, w bot.Responder, j *shakwa.Job) {
	var err error
	switch j.Kind {
	case JobAutoClose:
		err = h.autoClose(ctx, w, j.Key)
	case JobIdle:
		err = h.expireIdle(ctx, w, j.Key)
	case JobSLA:
		j.Again, err = h.runSLA(ctx, w, j.Key, j.Due)
	case JobOverdue:
		err = h.sendOverdue(ctx, w, j.Key)
	case JobDropDocument:
		err = h.dropDocument(j.Key)
	case JobDropUpload:
		err = h.dropUpload(ctx, j.Key)
	case JobReportDaily, JobReportWeekly, JobReportMonthly:
		err = h.sendReport(ctx, w, j)
	case JobRetention:
		err = h.retain(ctx)
	case JobAssess:
		j.Again, err = h.runAssessment(ctx, w, j.Key, j.Due)
	default:
		err = fmt.Errorf("no job kind %q", j.Kind)
	}
	if err != nil {
		h.log.ErrorContext(ctx, "job", "kind", j.Kind, "err", err)
		w.Fail(err)
	}
}

// autoClose closes ticket id if it is still resolved and unrated after
// close_after, and tells the citizen and the centre.
func (h *Handler) autoClose(ctx context.Context, w bot.Responder, id string) error {
	t, err := h.store.Ticket(ctx, id)
	if errors.Is(err, shakwa.ErrNotFound) {
		return nil // erased meanwhile: nothing to close
	}
	if err != nil {
		return err
	}
	if t.Status == shakwa.StatusResolved {
		if due := t.Resolved.Add(h.notify.closeAfter()); h.now().Before(due) {
			// Resolved again since this job was set: wait for the new time.
			return h.store.ScheduleJob(ctx, JobAutoClose, id, due)
		}
		t, err = h.store.CloseResolved(ctx, id, shakwa.SystemActor, h.now())
		if errors.Is(err, shakwa.ErrConflict) {
			return nil // rated or reopened this very moment
		}
		if err != nil {
			return err
		}
	} else if closed, err := h.closedBySystem(ctx, t); err != nil || !closed {
		return err // rated, reopened, or never resolved: nothing to say
	}
	if t.Citizen == shakwa.ErasedCitizen {
		return nil // its card says its citizen had it erased; nobody is left to tell
	}
	h.notify.EditCard(w, t, "card.closed", nil)
	err = h.notify.Citizen(ctx, w, t, "citizen.autoclosed", nil,
		[]flows.Choice{{Key: "menu.home", Data: menuHome}})
	if errors.Is(err, shakwa.ErrNotFound) {
		return nil // no way to reach them any more: closed all the same
	}
	return err
}

// closedBySystem reports whether t was closed by the automatic close (and
// not rated or reopened since): what an earlier run of the job did.
func (h *Handler) closedBySystem(ctx context.Context, t *shakwa.Ticket) (bool, error) {
	if t.Status != shakwa.StatusClosed || t.Rating != 0 {
		return false, nil
	}
	evs, err := h.store.Events(ctx, t.ID)
	if err != nil {
		return false, err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		switch evs[i].Kind {
		case "closed":
			return evs[i].By == shakwa.SystemActor, nil
		case "reopened", "rated", "resolved":
			return false, nil
		}
	}
	return false, nil
}

// expireIdle ends the conversation of the person with opaque id if it has
// had no step for session.idle, and tells them, with the menu.
func (h *Handler) expireIdle(ctx context.Context, w bot.Responder, id string) error {
	st, data, err := h.readSession(ctx, id)
	if err != nil && !errors.Is(err, errBadSession) || data == nil {
		return err // nothing running
	}
	if err != nil || st.To.IsZero() {
		// Not one we can tell anybody about: it ends unannounced, as it
		// would have on its TTL.
		_, err := h.store.SwapSession(ctx, id, data, nil, 0)
		return err
	}
	if !st.Expired {
		if due := st.Expires(h.idle()); h.now().Before(due) {
			return h.store.ScheduleJob(ctx, JobIdle, id, due) // a step since: wait on
		}
		// The person may be taking a step right now: end it only if it is
		// still the conversation we read. What is left says where to tell
		// them, should this run stop before its notice is queued.
		ended, err := json.Marshal(stored{To: st.To, Lang: st.Lang, Expired: true})
		if err != nil {
			return err
		}
		swapped, err := h.store.SwapSession(ctx, id, data, ended, filedTTL)
		if err != nil || !swapped {
			return err
		}
	}
	lang := st.Lang
	if lang == "" {
		lang = locales.Lang("")
	}
	text := h.text.Text(lang, "flow.expired_notice", nil) + "\n\n" + h.text.Text(lang, "menu.title", nil)
	w.Reply(bot.Reply{Channel: st.To.Channel, Chat: st.To.Chat, Text: text, Lang: lang,
		Buttons: h.renderButtons(lang, menuRows())})
	return nil
}
