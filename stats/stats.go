// Package stats is the service metrics: how tickets and feedback become
// per-centre, per-day tallies and tallies become figures again (Model,
// Figures), the calendar periods reports are asked for (Calendar, Span),
// and the ranking score (ScoreOf). It is pure computation: storage keeps
// the tallies, stats does no I/O.
package stats

import (
	"time"

	"github.com/shakwa/shakwa/worktime"
)

// SLA is a centre's service level targets, measured from a ticket's
// creation on Clock: its working hours, or (the zero Calendar) every
// hour.
type SLA struct {
	Claim, Resolve time.Duration
	Clock          worktime.Calendar
}
