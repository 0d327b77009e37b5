package handlers

import (
	"testing"

	"github.com/shakwa/shakwa"
)

// TestDuplicateRejectionLinksTheNamedTicket: the original a duplicate
// rejection names is linked however the note punctuates or spells its
// number; a number no ticket has links nothing.
func TestDuplicateRejectionLinksTheNamedTicket(t *testing.T) {
	tests := []struct {
		note   string
		linked bool
	}{
		{"مكرر للطلب KRM-000001", true},
		{"مكرر للطلب (KRM-000001)", true},
		{"مكرر للطلب «KRM-000001»", true},
		{"مكرر للطلب KRM-000001؟", true},
		{"مكرر للطلب رقم:KRM-000001", true},
		{"مكرر للطلب krm ٠٠٠٠٠١.", true},
		{"مكرر، see KRM-000099 or KRM-000001", true},
		{"مكرر للطلب KRM-000099", false},
		{"مكرر، الموظف في Gate 4", false},
	}
	for _, tt := range tests {
		t.Run(tt.note, func(t *testing.T) {
			w := newWorld(t)
			orig := w.fileComplaint(citizen, "KRM")
			dup := w.fileComplaint(citizen, "KRM")
			w.press(fatima, "claim:"+dup)
			w.press(fatima, "reject:"+dup)
			w.press(fatima, "reason:duplicate")
			rs := w.text(fatima, tt.note)
			if got := w.ticket(dup); got.Status != shakwa.StatusRejected {
				t.Fatalf("ticket %s; want rejected", got.Status)
			}
			if linked := len(find(rs, citizen.id, "يُتابَع أمرك ضمن طلبك "+orig)) == 1; linked != tt.linked {
				t.Errorf("citizen told %v; want linked to %s %v", texts(rs), orig, tt.linked)
			}
		})
	}
}

// TestDuplicateOfAClosedTicket: a duplicate of one of the citizen's
// tickets that is closed already is not said to be followed up in it.
func TestDuplicateOfAClosedTicket(t *testing.T) {
	w := newWorld(t)
	orig := w.fileComplaint(citizen, "KRM")
	dup := w.fileComplaint(citizen, "KRM")
	w.press(citizen, "withdraw:"+orig)
	w.press(citizen, "withdrawn:"+orig)
	if got := w.ticket(orig); got.Status.Open() {
		t.Fatalf("the original is %s; want it closed", got.Status)
	}
	w.press(fatima, "claim:"+dup)
	w.press(fatima, "reject:"+dup)
	w.press(fatima, "reason:duplicate")
	rs := w.text(fatima, "مكرر للطلب "+orig)
	if len(find(rs, citizen.id, "يُتابَع أمرك")) != 0 {
		t.Errorf("citizen told %v; want no follow-up promised in a closed ticket", texts(rs))
	}
}
