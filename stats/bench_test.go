package stats

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shakwa/shakwa"
)

// benchInput builds a month of n tickets over eight centres: most claimed,
// about 60% resolved (half of those rated), about 30% still open, and one
// feedback for every ten tickets.
func benchInput(n int) Input {
	r := rand.New(rand.NewPCG(7, 11))
	codes := []string{"KRM", "BRS", "DRA", "QOZ", "MHD", "JBA", "AWR", "HTA"}
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(30 * 24 * time.Hour)
	in := Input{From: start, To: end, Centres: codes, SLA: make(map[string]SLA)}
	for _, c := range codes {
		in.SLA[c] = SLA{Claim: 30 * time.Minute, Resolve: 48 * time.Hour}
	}
	for i := range n {
		centre := codes[r.IntN(len(codes))]
		created := start.Add(time.Duration(r.Int64N(int64(end.Sub(start)))))
		claim, resolve, rating := never, never, 0
		if r.IntN(10) < 9 {
			claim = time.Duration(r.Int64N(int64(2 * time.Hour)))
		}
		roll := r.IntN(10)
		if claim != never && roll < 6 {
			resolve = claim + time.Duration(r.Int64N(int64(96*time.Hour)))
			if r.IntN(2) == 0 {
				rating = 1 + r.IntN(5)
			}
		}
		t := tk(centre, created, claim, resolve, rating)
		in.Created = append(in.Created, t)
		if resolve != never {
			in.Resolved = append(in.Resolved, t)
		} else if roll < 9 {
			in.Open = append(in.Open, t)
		}
		if i%10 == 0 {
			kind := shakwa.KindFeedback
			if r.IntN(3) == 0 {
				kind = shakwa.KindThanks
			}
			in.Feedback = append(in.Feedback, fb(centre, kind, 1+r.IntN(5), created))
		}
	}
	return in
}

func BenchmarkCompute100k(b *testing.B) {
	in := benchInput(100_000)
	b.ReportAllocs()
	for b.Loop() {
		Compute(in)
	}
}
