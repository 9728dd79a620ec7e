package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/alusta/alusta/pipelines"
)

// TestSLAStateRebuiltFromStore: SLA cycles are kept once, in the store's
// sla_cycles, not again in the engine's saved memory of each record; the
// engine's state loaded from the store after two cycles holds every
// record's cycles exactly as the daemon held them in memory.
func TestSLAStateRebuiltFromStore(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	r := newCycleRig(t, time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC))
	r.cycle(t, "cycle 1")
	r.clock.advance(3 * time.Hour)
	r.cycle(t, "cycle 2")

	err := r.st.LoadStates(ctx, recordStatePrefix, func(name string, value []byte) error {
		if bytes.Contains(value, []byte(`"sla"`)) {
			t.Errorf("%s: saved memory holds SLA cycles, want them in sla_cycles only: %s", name, value)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadState(ctx, r.st)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for key, mem := range r.d.mem.state.Records {
		got := loaded.Records[key]
		if got == nil {
			t.Errorf("%s: not in the loaded state", key)
			continue
		}
		if len(mem.SLA) > 0 {
			compared++
		}
		if g, w := clockJSON(t, got.SLA), clockJSON(t, mem.SLA); g != w {
			t.Errorf("%s: SLA cycles loaded from the store:\ngot  %s\nwant %s (as in memory)", key, g, w)
		}
	}
	if compared < 1000 {
		t.Errorf("records with SLA cycles compared: got %d, want the demo's thousands", compared)
	}
}

// clockJSON is cycles in JSON with every time in UTC, to compare.
func clockJSON(t *testing.T, cs []pipelines.SLACycle) string {
	t.Helper()
	out := make([]pipelines.SLACycle, len(cs))
	for i, c := range cs {
		c.Start, c.LastSeen, c.Due, c.Stopped = c.Start.UTC(), c.LastSeen.UTC(), c.Due.UTC(), c.Stopped.UTC()
		out[i] = c
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
