// Package stats is the service metrics: how tickets and feedback become
// per-centre, per-day tallies and tallies become figures again (Model,
// Figures), the calendar periods reports are asked for (Calendar, Span),
// and the ranking score (ScoreOf). It is pure computation: storage keeps
// the tallies, stats does no I/O.
package stats

import "time"

// SLA is a centre's service level targets, measured from a ticket's
// creation.
type SLA struct {
	Claim, Resolve time.Duration
}
