package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// The rule engine's state lives in the store in two parts: the shared part
// (rotations, counts) under stateName, and each record's memory under
// recordStatePrefix plus "tickets/123", so a page saves only its own records.
const (
	stateName         = "engine"
	recordStatePrefix = "engine/rec/"
	// versionPrefix keeps, per record, the hs_lastmodifieddate HubSpot gave
	// it when alusta last wrote it (see lagging).
	versionPrefix = "engine/ver/"
	// inflightName keeps the batch update whose answer has not come (see
	// settleInflight).
	inflightName = "engine/inflight"
)

// inflight names the records of a batch update sent to HubSpot whose
// answer alusta has not had: saved before the call, cleared in the same
// transaction as the page once the answer is in.
type inflight struct {
	Type string   `json:"type,omitempty"`
	IDs  []string `json:"ids,omitempty"`
}

func (d *Daemon) saveState(ctx context.Context) error {
	if d.mem.state == nil {
		return nil
	}
	return d.saveStates(ctx, nil)
}

// saveStates saves the shared engine state and the memory of the records
// named by keys in one transaction. A cancelled context must not lose the
// state of writes already made, so it is not used to cancel the save.
func (d *Daemon) saveStates(ctx context.Context, keys []string) error {
	if err := d.store.SaveStates(context.WithoutCancel(ctx), d.states(keys)); err != nil {
		return fmt.Errorf("save engine state: %w", err)
	}
	return nil
}

// states is the shared engine state and the memory of the records named
// by keys, by the names the store keeps them under.
func (d *Daemon) states(keys []string) map[string]any {
	shared := *d.mem.state
	shared.Records = nil
	states := map[string]any{stateName: &shared, inflightName: d.mem.inflight}
	for _, k := range keys {
		if r := d.mem.state.Records[k]; r != nil {
			states[recordStatePrefix+k] = r
		}
		if v, ok := d.mem.versions[k]; ok {
			states[versionPrefix+k] = v
		}
	}
	return states
}

// lagging reports whether o is older than the version alusta's own last
// write produced. HubSpot's search index lags behind its writes, so a read
// shortly after a write may still show the values from before it; deciding
// on those would take alusta's own write for a person's edit. The record
// is read again, fresh, by a later page or cycle.
//
// The guard holds for indexLagWindow after the write only: HubSpot's index
// catches up within minutes, and a cache filled from another copy of a
// portal (a restored sandbox, say) must not hold records back for ever.
func (d *Daemon) lagging(key string, o hubspot.Object) bool {
	v, ok := d.mem.versions[key]
	return ok && !o.UpdatedAt.IsZero() && o.UpdatedAt.Before(v.Modified) && d.now().Sub(v.WrittenAt) < indexLagWindow
}

// version is what HubSpot said of a record when alusta wrote it: its new
// hs_lastmodifieddate, and when (on alusta's clock) the write was made.
type version struct {
	Modified  time.Time `json:"modified"`
	WrittenAt time.Time `json:"written"`
}

// indexLagWindow is how long after alusta's write an older read of the record
// is taken for the search index's lag.
const indexLagWindow = 10 * time.Minute
