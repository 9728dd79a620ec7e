package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
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
	// Sent is what the batch asked of each record, by id: once read back,
	// the writes that landed go to the write log and the engine's memory.
	Sent map[string]sent `json:"sent,omitempty"`
	// Rotation and Weights are the round-robin positions and weights the
	// batch's decisions moved: a batch that landed moved them, though
	// its records read back keep their owners and providers and move
	// nothing.
	Rotation map[string]string             `json:"rotation,omitempty"`
	Weights  map[string]map[string]float64 `json:"weights,omitempty"`
}

// sent is one record's writes in a batch update: the rule that made them,
// the values they replaced, and a hash (echoSum) of each new value, which
// is all it takes to recognise it on a read-back.
type sent struct {
	Rule string            `json:"rule,omitempty"`
	Old  map[string]string `json:"old,omitempty"`
	New  map[string]uint64 `json:"new"`
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
			// The SLA cycles are kept in the store's sla_cycles alone,
			// saved with the page (see LoadState).
			rec := *r
			rec.SLA = nil
			states[recordStatePrefix+k] = &rec
		}
		if v, ok := d.mem.versions[k]; ok {
			states[versionPrefix+k] = v
		}
	}
	return states
}

// lagging reports whether o is older than the newest version of the
// record alusta has decided or written. HubSpot's search index lags behind
// its writes, so a read shortly after a change may still show the values
// from before it; deciding on those would take alusta's own write for a
// person's edit, or undo what a fresher read decided. The record is read
// again, fresh, by a later page or cycle.
//
// The guard holds for indexLagWindow after the newer version was learned
// only: HubSpot's index catches up within minutes, and a cache filled from
// another copy of a portal (a restored sandbox, say) must not hold records
// back for ever.
func (d *Daemon) lagging(key string, o hubspot.Object) bool {
	v, ok := d.mem.versions[key]
	return ok && !o.UpdatedAt.IsZero() && o.UpdatedAt.Before(v.Modified) && d.now().Sub(v.WrittenAt) < indexLagWindow
}

// decidedAlready reports whether o is the very version alusta last decided
// or wrote, value for value. Timestamps alone cannot tell: a person's edit
// made in the millisecond of alusta's write carries the same
// hs_lastmodifieddate, and only a value that differs from what alusta
// wrote shows it.
func (d *Daemon) decidedAlready(key string, o hubspot.Object) bool {
	v, ok := d.mem.versions[key]
	return ok && v.Sum != 0 && o.UpdatedAt.Equal(v.Modified) && valuesSum(o.Properties, nil, nil) == v.Sum
}

// version is the newest version of a record alusta knows, because it
// decided a read of it or wrote it: its hs_lastmodifieddate, when (on
// alusta's clock) alusta learned of it, and a hash of its values.
type version struct {
	Modified  time.Time `json:"modified"`
	WrittenAt time.Time `json:"written"`
	// Sum is valuesSum of the record at Modified; 0 when unknown (a
	// version saved before sums were kept).
	Sum uint64 `json:"sum,omitempty"`
}

// indexLagWindow is how long after alusta learned of a version an older
// read of the record is taken for the search index's lag.
const indexLagWindow = 10 * time.Minute

// valuesSum hashes a record's values as alusta expects HubSpot to hold
// them: as read, with its writes laid over them, each written value as
// answer (HubSpot's answer to the write, in HubSpot's own formats) gives
// it. Values alusta did not write are taken from the read, never from the
// answer: a change someone else made in the same version must make the
// sums differ. Empty values count as absent (HubSpot stores "" as null),
// and the modification time and id are left out: they say which version,
// not what it holds; so are the stage entry times, which HubSpot
// calculates (a stage alusta writes moves them). The sum adds one FNV-1a hash per property, so map
// order does not matter.
func valuesSum(read map[string]*string, writes pipelines.Values, answer map[string]*string) uint64 {
	var sum uint64
	add := func(k, v string) {
		if v == "" || k == hubspot.PropLastModified || k == "hs_object_id" || isStageTime(k) {
			return
		}
		const offset, prime = 14695981039346656037, 1099511628211
		h := uint64(offset)
		for i := 0; i < len(k); i++ {
			h = (h ^ uint64(k[i])) * prime
		}
		h *= prime // a zero byte between key and value: (h ^ 0) * prime
		for i := 0; i < len(v); i++ {
			h = (h ^ uint64(v[i])) * prime
		}
		sum += h
	}
	value := func(k string) string {
		if v, ok := writes.Lookup(k); ok {
			if p, ok := answer[k]; ok {
				if p == nil {
					return ""
				}
				return *p
			}
			return v
		}
		if p := read[k]; p != nil {
			return *p
		}
		return ""
	}
	for k := range read {
		add(k, value(k))
	}
	for k := range writes.All() {
		if _, ok := read[k]; !ok {
			add(k, value(k))
		}
	}
	if sum == 0 {
		sum = 1 // 0 means unknown
	}
	return sum
}
