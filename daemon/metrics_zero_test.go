package daemon

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsFromStartUp: after Prepare, before any cycle, the series
// exist at zero; after a cycle a continue route counts under its own name.
func TestMetricsFromStartUp(t *testing.T) {
	p := newInProcessWith(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), "testdata/rules")
	m := p.d.metrics
	for _, tt := range []struct {
		name string
		n    int
	}{
		{"writes", testutil.CollectAndCount(m.writes)},
		{"cycles", testutil.CollectAndCount(m.cycles)},
		{"reloads", testutil.CollectAndCount(m.reloads)},
		{"pulled", testutil.CollectAndCount(m.pulled)},
		{"gaps", testutil.CollectAndCount(m.gaps)},
	} {
		if tt.n == 0 {
			t.Errorf("%s: no series before the first cycle", tt.name)
		}
	}
	if got := testutil.ToFloat64(m.decisions.WithLabelValues("tickets", "neuvonta")); got != 0 {
		t.Errorf("decisions of route neuvonta before a cycle: got %v, want 0", got)
	}
	p.cycle(t)
	rules := p.d.rules.Load().rules
	want := len(rules.RouteNames("tickets")) + len(rules.RouteNames("deals"))
	if got := testutil.CollectAndCount(m.decisions); got != want {
		t.Errorf("decisions after a cycle: %d series, want one per route (%d), none comma-joined", got, want)
	}
}
