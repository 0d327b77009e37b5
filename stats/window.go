package stats

import (
	"fmt"
	"time"

	"github.com/shakwa/shakwa"
)

// Period names a reporting window ending now.
type Period string

// Periods a report can cover.
const (
	// PeriodToday runs from the latest local midnight to now.
	PeriodToday Period = "today"
	// PeriodWeek is the last 7 days (7×24 hours) to now.
	PeriodWeek Period = "week"
	// PeriodMonth is the last 30 days (30×24 hours) to now.
	PeriodMonth Period = "month"
)

// Window returns the half-open span [from, to) that p covers at now, with
// both ends expressed in loc (UTC when loc is nil). Only "today" depends on
// loc: it starts at the local midnight of now's date there, so at 00:30 in
// Dubai "today" is thirty minutes long whatever the server's zone. An
// unknown period is an error wrapping shakwa.ErrInvalid.
func Window(p Period, now time.Time, loc *time.Location) (from, to time.Time, err error) {
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	switch p {
	case PeriodToday:
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), now, nil
	case PeriodWeek:
		return now.Add(-7 * 24 * time.Hour), now, nil
	case PeriodMonth:
		return now.Add(-30 * 24 * time.Hour), now, nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("period %q: %w", p, shakwa.ErrInvalid)
}
