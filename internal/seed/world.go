package seed

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/shakwa/shakwa"
	"github.com/shakwa/shakwa/config"
)

// ManagerID is the Telegram id of the manager Config lists: they oversee
// every centre.
const ManagerID = 900000001

// Centre is a centre as seeding sees it: its code, its targets and the
// staff who work its tickets.
type Centre struct {
	Code  string
	SLA   config.SLA
	Staff []shakwa.Staff
}

// World is what seeded tickets are about: the centres, in order, and the
// complaint categories.
type World struct {
	Centres    []Centre
	Categories []string
}

// maxCentres is how many centre codes Code can make.
const maxCentres = 26 * 26 * 26

// Code is the code of the i-th generated centre (from 0): C and three
// letters, CAAA, CAAB and so on, as centre codes are letters only.
func Code(i int) string {
	return "C" + string(rune('A'+i/676%26)) + string(rune('A'+i/26%26)) + string(rune('A'+i%26))
}

// FromConfig is the world of cfg's first n centres, with their staff (a
// centre nobody serves gets two made up staff members, who then appear
// only on its tickets) and cfg's categories. It fails when cfg has fewer
// than n centres.
func FromConfig(cfg *config.Config, n int) (World, error) {
	if n > len(cfg.Centres) || n < 1 {
		return World{}, fmt.Errorf("seed: %d centres of %d configured: %w", n, len(cfg.Centres), shakwa.ErrInvalid)
	}
	w := World{Categories: categories(cfg)}
	for i, c := range cfg.Centres[:n] {
		wc := Centre{Code: c.Code, SLA: c.SLA}
		for _, p := range cfg.People {
			if p.Role != shakwa.RoleManager && p.Serves(c.Code) {
				wc.Staff = append(wc.Staff, shakwa.Staff{ID: strconv.FormatInt(p.Telegram, 10), Name: p.Name})
			}
		}
		if len(wc.Staff) == 0 {
			wc.Staff = madeUpStaff(i, 2)
		}
		w.Centres = append(w.Centres, wc)
	}
	return w, nil
}

// Generate makes a world of n centres named by Code, each with two to six
// staff members and the SLA targets of config's defaults (some centres
// with longer ones), and cfg's categories. The same seed makes the same
// world.
func Generate(cfg *config.Config, n int, seed uint64) (World, error) {
	if n < 1 || n > maxCentres {
		return World{}, fmt.Errorf("seed: %d centres: want 1 to %d: %w", n, maxCentres, shakwa.ErrInvalid)
	}
	w := World{Categories: categories(cfg)}
	for i := range n {
		r := rand.New(rand.NewPCG(seed, 1<<40|uint64(i)))
		sla := config.SLA{Claim: config.Duration(config.DefaultClaimSLA), Resolve: config.Duration(config.DefaultResolveSLA)}
		switch r.IntN(10) {
		case 0: // a busy centre with longer targets
			sla = config.SLA{Claim: config.Duration(45 * time.Minute), Resolve: config.Duration(72 * time.Hour)}
		case 1:
			sla.Resolve = config.Duration(36 * time.Hour)
		}
		w.Centres = append(w.Centres, Centre{Code: Code(i), SLA: sla, Staff: madeUpStaff(i, 2+r.IntN(5))})
	}
	return w, nil
}

func categories(cfg *config.Config) []string {
	out := make([]string, len(cfg.Categories))
	for i, c := range cfg.Categories {
		out[i] = c.Code
	}
	return out
}

var (
	givenNames  = []string{"أحمد", "فاطمة", "خالد", "مريم", "سعيد", "عائشة", "محمد", "نورة", "عبدالله", "شيخة", "راشد", "حصة", "سالم", "موزة", "يوسف", "ليلى"}
	familyNames = []string{"الشامسي", "المهيري", "النعيمي", "الزعابي", "الكتبي", "الظاهري", "المنصوري", "الحمادي", "الكعبي", "السويدي", "المزروعي", "الفلاسي"}
)

// madeUpStaff is n staff members of the i-th centre, with Telegram ids of
// their own (300000000 + 10 i + k) and names.
func madeUpStaff(i, n int) []shakwa.Staff {
	out := make([]shakwa.Staff, n)
	for k := range out {
		id := 300000000 + 10*i + k
		out[k] = shakwa.Staff{ID: strconv.Itoa(id),
			Name: givenNames[(i+3*k)%len(givenNames)] + " " + familyNames[(7*i+k)%len(familyNames)]}
	}
	return out
}

// Config writes a configuration file for w: base's settings and
// categories, w's centres with their targets (and, for those base has,
// its names and staff groups), their staff, and one manager (ManagerID)
// who oversees them all. The file reads back with config.Parse.
func Config(base *config.Config, w World) []byte {
	var b strings.Builder
	q := strconv.Quote
	b.WriteString("# Synthetic centres, staff and a manager for data written by \"shakwa seed\".\n")
	fmt.Fprintf(&b, "timezone: %s\nweek_start: %s\n", q(base.Timezone), base.WeekStart)
	fmt.Fprintf(&b, "session: {idle: %s}\nreopen_days: %d\nclose_after: %s\n",
		dur(base.Session.Idle), base.ReopenDays, dur(base.CloseAfter))
	b.WriteString("centres:\n")
	for i, c := range w.Centres {
		n := strconv.Itoa(i + 1)
		name, chat := config.Text{AR: "مركز الخدمة " + n, EN: "Service centre " + n}, -1002000000000-int64(i)
		if bc, ok := base.Centre(c.Code); ok {
			name, chat = bc.Name, bc.StaffChat
		}
		fmt.Fprintf(&b, "  - code: %s\n    name: {ar: %s, en: %s}\n    staff_chat: %d\n    sla: {claim: %s, resolve: %s}\n",
			c.Code, q(name.AR), q(name.EN), chat, dur(c.SLA.Claim), dur(c.SLA.Resolve))
	}
	b.WriteString("categories:\n")
	for _, c := range base.Categories {
		fmt.Fprintf(&b, "  - code: %s\n    name: {ar: %s, en: %s}\n", c.Code, q(c.Name.AR), q(c.Name.EN))
	}
	b.WriteString("people:\n")
	fmt.Fprintf(&b, "  - {telegram: %d, name: %s, role: manager}\n", ManagerID, q("مدير المراكز"))
	seen := map[string]bool{}
	for _, c := range w.Centres {
		for _, s := range c.Staff {
			if seen[s.ID] {
				continue // serves several centres: listed once, with all of them
			}
			seen[s.ID] = true
			fmt.Fprintf(&b, "  - {telegram: %s, name: %s, role: staff, centres: [%s]}\n", s.ID, q(s.Name), strings.Join(served(w, s.ID), ", "))
		}
	}
	return []byte(b.String())
}

// served lists the centres of w whose staff include id.
func served(w World, id string) []string {
	var out []string
	for _, c := range w.Centres {
		for _, s := range c.Staff {
			if s.ID == id {
				out = append(out, c.Code)
				break
			}
		}
	}
	return out
}

// dur writes d as the configuration reads it: "48h", "30m", or in Go's
// form when it is not whole minutes.
func dur(d config.Duration) string {
	switch t := time.Duration(d); {
	case t > 0 && t%time.Hour == 0:
		return strconv.FormatInt(int64(t/time.Hour), 10) + "h"
	case t > 0 && t%time.Minute == 0:
		return strconv.FormatInt(int64(t/time.Minute), 10) + "m"
	default:
		return t.String()
	}
}
