package pipelines

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// Sources reads the rule files of dir, file name (with dir) -> content, for
// Parse and for keeping a copy of the rules that run.
func Sources(dir string) (map[string][]byte, error) { return readRuleFiles("read", dir) }

// Fingerprint identifies a set of rule files by their base names and
// contents, wherever the folder is. It is written in lowercase base32,
// whose digits are 2 to 7 only: the store masks whatever looks like a
// Finnish identity code (six digits, a separator, ...), and a hexadecimal
// fingerprint sometimes does, which would keep an approval from ever
// matching the rules it approved.
func Fingerprint(srcs map[string][]byte) string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(srcs)) {
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(name), len(srcs[name]))
		h.Write(srcs[name])
	}
	return strings.ToLower(base32.StdEncoding.EncodeToString(h.Sum(nil)))[:16]
}

// PlanKinds are what a rule change is counted by: the routing properties
// a person sees change, in the order a plan lists them.
var PlanKinds = []string{"queue", "owner", "provider", "priority", "stage", "sla_due"}

// Plan is what a rule change would do to the records it was given.
type Plan struct {
	Records int            // records decided
	Counts  map[string]int // kind -> records whose value would change
	Changes []RecordChange // every record that would change, in input order
}

// RecordChange is one record whose values differ between two rule sets.
type RecordChange struct {
	ObjectType, RecordID string
	Diffs                []Diff
}

// Diff is one property's value under the live rules and the new ones.
type Diff struct {
	Kind, Property string
	Before, After  string
}

// ComparePlan decides every input with the live engine and with next, each
// from its own copy of st (st itself is not changed), in the order given as
// a cycle would, and reports the records whose routing values differ. A
// value is the record's after the engine's writes, so that what the live
// rules would write anyway (an SLA clock moving on) does not count as the
// change's doing.
func ComparePlan(live, next *Engine, inputs []Input, st *State, now time.Time) (Plan, error) {
	stLive, err := copyState(st)
	if err != nil {
		return Plan{}, err
	}
	stNext, err := copyState(st)
	if err != nil {
		return Plan{}, err
	}
	for _, in := range inputs {
		live.Observe(in, stLive)
		next.Observe(in, stNext)
	}
	p := Plan{Records: len(inputs), Counts: map[string]int{}}
	for _, in := range inputs {
		a, err := live.DecideApply(in, stLive, now)
		if err != nil {
			return Plan{}, err
		}
		b, err := next.DecideApply(in, stNext, now)
		if err != nil {
			return Plan{}, err
		}
		var diffs []Diff
		for _, kind := range PlanKinds {
			prop := PlanProperty(next.m, in.ObjectType, kind)
			if prop == "" {
				continue
			}
			before, after := valueAfter(in.Record, a.Writes, prop), valueAfter(in.Record, b.Writes, prop)
			if before != after {
				diffs = append(diffs, Diff{Kind: kind, Property: prop, Before: before, After: after})
				p.Counts[kind]++
			}
		}
		if len(diffs) > 0 {
			p.Changes = append(p.Changes, RecordChange{ObjectType: in.ObjectType, RecordID: in.Record.ID, Diffs: diffs})
		}
	}
	return p, nil
}

// PlanProperty is the property that holds a kind of value for an object
// type, or "" when it has none.
func PlanProperty(m *mappings.Mapping, objectType, kind string) string {
	switch kind {
	case "queue":
		return m.Outputs.Queue
	case "provider":
		if objectType != hubspot.Deals {
			return ""
		}
		return m.Outputs.Provider
	case "sla_due":
		return m.Outputs.SLADue
	}
	return m.Field(objectType, kind)
}

func valueAfter(o hubspot.Object, writes Values, prop string) string {
	if v, ok := writes.Lookup(prop); ok {
		return v
	}
	v, _ := o.Prop(prop)
	return v
}

// copyState deep-copies a State through its JSON form, which is what the
// store keeps anyway.
func copyState(st *State) (*State, error) {
	out := &State{}
	if st == nil {
		return out, nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("pipelines: copy state: %w", err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return nil, fmt.Errorf("pipelines: copy state: %w", err)
	}
	return out, nil
}
