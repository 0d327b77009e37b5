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
