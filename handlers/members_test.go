package handlers

import (
	"fmt"
	"testing"

	"github.com/shakwa/shakwa/bot"
	"github.com/shakwa/shakwa/internal/golden"
)

// TestInvitesArabic records staff onboarding without a restart, in
// Arabic: who may invite whom, a code joined with (typed in Arabic
// digits) once, the newcomer at work at once, and the role revoked; people
// of the configuration file are not revoked by chat.
// testdata/invites_ar.golden.
func TestInvitesArabic(t *testing.T) {
	w := newWorld(t)
	n := 0
	w.h.newCode = func() (string, error) { n++; return fmt.Sprintf("4821553%d", n), nil }
	huda := person{"120", "هدى", "ar"}
	w.text(fatima, "/invite staff KRM")
	w.text(noura, "/invite manager")
	w.text(noura, "/invite staff XYZ")
	w.text(noura, "/invite staff KRM")
	w.text(huda, "/queue")
	w.text(huda, "/join 1234")
	w.text(huda, "/join ٤٨٢١ ٥٥٣١")
	w.text(huda, "/join 48215531") // used
	id := w.fileComplaint(citizen, "KRM")
	w.do(huda, bot.Message{Chat: "-1001", Button: "claim:" + id})
	if got := w.ticket(id).Holder.ID; got != huda.id {
		t.Errorf("the newcomer's claim: held by %q; want %q", got, huda.id)
	}
	w.text(noura, "/reassign "+id) // she is among the centre's staff
	w.text(manager, "/revoke "+fatima.id)
	w.text(manager, "/revoke 777")
	w.text(manager, "/revoke "+huda.id)
	w.text(huda, "/queue")
	// A mystery shopper's role: told of visits, not of requests.
	layla := person{"121", "ليلى", "ar"}
	w.text(manager, "/invite evaluator")
	w.text(layla, "/join 48215532")
	w.text(manager, "/revoke "+layla.id)
	golden.Check(t, "invites_ar.golden", w.script.String())
}
