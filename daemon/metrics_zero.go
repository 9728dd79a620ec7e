package daemon

import (
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// zero makes the series the README names exist from start-up at 0, one
// per label value alusta can give them, so a dashboard or an alert on
// rate() sees them before the first event rather than an absent series.
func (m *metrics) zero(r *pipelines.Rules) {
	for _, typ := range []string{hubspot.Companies, hubspot.Tickets, hubspot.Deals} {
		m.pulled.WithLabelValues(typ)
		for _, kind := range []string{"missing", "stale", "gone"} {
			m.gaps.WithLabelValues(typ, kind)
		}
	}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		for _, status := range []string{"applied", "rejected", "shadow"} {
			m.writes.WithLabelValues(typ, status)
		}
		for _, name := range r.RouteNames(typ) {
			m.decisions.WithLabelValues(typ, name)
		}
	}
	for _, status := range []string{"ok", "failed"} {
		m.cycles.WithLabelValues(status)
	}
	for _, status := range []string{"ok", "failed", "held"} {
		m.reloads.WithLabelValues(status)
	}
}
