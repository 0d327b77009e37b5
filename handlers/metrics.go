package handlers

import (
	"fmt"
	"time"

	"github.com/shakwa/shakwa/config"
	"github.com/shakwa/shakwa/stats"
)

// TallyModel is how the deployment's tickets become metrics: its zone and
// each centre's targets. Storage keeps tallies with it; the reports read
// them with it.
func TallyModel(cfg *config.Config) stats.Model {
	m := stats.Model{Loc: cfg.Location, SLA: map[string]stats.SLA{}, CategorySLA: map[string]stats.SLA{}}
	for _, c := range cfg.Centres {
		m.SLA[c.Code] = stats.SLA{Claim: time.Duration(c.SLA.Claim), Resolve: time.Duration(c.SLA.Resolve),
			Clock: cfg.Calendar(c.Code)}
	}
	for _, ca := range cfg.Categories {
		if ca.SLA != nil {
			m.CategorySLA[ca.Code] = stats.SLA{Claim: time.Duration(ca.SLA.Claim), Resolve: time.Duration(ca.SLA.Resolve)}
		}
	}
	return m
}

// calendar is the deployment's reporting calendar.
func calendar(cfg *config.Config) stats.Calendar {
	return stats.Calendar{Loc: cfg.Location, WeekStart: cfg.FirstWeekday()}
}

// countedAs is what of cfg decides how tickets become figures: the zone,
// the week, each centre's and category's targets and their clocks. Two
// configurations with the same count the same.
func countedAs(cfg *config.Config) string {
	return fmt.Sprintf("%+v %+v", TallyModel(cfg), calendar(cfg))
}
