package daemon

import (
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestStageTimesPrefix picks the newer kind of date entered property when
// a portal has both, the older where it has only those, and none (read
// the history) where it has neither.
func TestStageTimesPrefix(t *testing.T) {
	for _, tt := range []struct {
		name  string
		props []string
		want  string
	}{
		{"both", []string{"subject", "hs_date_entered_1", "hs_v2_date_exited_1", "hs_v2_date_entered_1"}, "hs_v2_date_entered_"},
		{"older only", []string{"hs_date_entered_appointmentscheduled", "dealstage"}, "hs_date_entered_"},
		{"exited only", []string{"hs_v2_date_exited_1"}, ""},
		{"none", []string{"subject", "hs_pipeline_stage"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			props := make([]hubspot.Property, len(tt.props))
			for i, n := range tt.props {
				props[i] = hubspot.Property{Name: n}
			}
			if got := stageTimesPrefix(props); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
