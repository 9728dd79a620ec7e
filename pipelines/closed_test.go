package pipelines_test

import (
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// TestClosedNotRerouted: after a rule change, a closed ticket alusta
// routed before keeps its queue, unless the matching route asks about the
// stage; open tickets, and closed ones never routed, follow the rules.
func TestClosedNotRerouted(t *testing.T) {
	m := pipelines.ShippedMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	r, err := pipelines.Parse(map[string][]byte{"tickets.yaml": []byte(`object: tickets
routes:
  - name: palaute
    when: kind == "palaute" && stage == "closed"
    queue: palaute2
  - name: neuvonta
    queue: yleisneuvonta
`)}, m)
	if err != nil {
		t.Fatal(err)
	}
	e := pipelines.NewEngine(r, m)
	tests := []struct {
		name, stage, kind, queue string
		want                     string // queue written, "" for none
	}{
		{"closed and routed before", "Suljettu", "neuvonta", "neuvonta", ""},
		{"closed, the route asks about the stage", "Suljettu", "palaute", "palaute", "palaute2"},
		{"open", "Työn alla", "neuvonta", "neuvonta", "yleisneuvonta"},
		{"closed, never routed", "Suljettu", "neuvonta", "", "yleisneuvonta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := map[string]*string{"hs_pipeline_stage": &tt.stage, "alusta_ticket_kind": &tt.kind}
			if tt.queue != "" {
				props["alusta_queue"] = &tt.queue
			}
			d, _, err := e.Decide(pipelines.Input{ObjectType: hubspot.Tickets, Record: hubspot.Object{ID: "1", Properties: props}},
				&pipelines.State{}, time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Writes.Get("alusta_queue"); got != tt.want {
				t.Errorf("queue written: got %q, want %q (writes %v)", got, tt.want, d.Writes)
			}
		})
	}
}
