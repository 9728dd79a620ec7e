package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// historyBatchMax is HubSpot's limit on a batch read that asks for
// propertiesWithHistory: history is expensive, so fewer records per call.
const historyBatchMax = 50

// createdSource is the source given for a value set at creation; the
// sandbox does not keep who created a record.
const createdSource = "CRM_UI"

// noteChanges records the history of the properties an update changed,
// newest first as HubSpot returns it. A property first changed now gets
// its value from before as the oldest entry, dated at the record's
// creation: a property without entries has not changed since then.
func (r *record) noteChanges(old, next *version, changed []string, source string) {
	for _, p := range changed {
		h := r.hist[p]
		if h == nil {
			if v, ok := old.props[p]; ok {
				h = []hubspot.ValueTime{{Value: v, Timestamp: old.created, SourceType: createdSource}}
			}
		}
		h = append([]hubspot.ValueTime{{Value: next.props[p], Timestamp: next.updated, SourceType: source}}, h...)
		if r.hist == nil {
			r.hist = map[string][]hubspot.ValueTime{}
		}
		r.hist[p] = h
	}
}

// history is a property's values, newest first: the changes recorded, or
// the current value since creation when it never changed. An unset
// property has none.
func (r *record) history(p string) []hubspot.ValueTime {
	if h, ok := r.hist[p]; ok {
		return h
	}
	v, ok := r.cur.props[p]
	if !ok {
		return nil
	}
	return []hubspot.ValueTime{{Value: v, Timestamp: r.cur.created, SourceType: createdSource}}
}

// appendHistory adds "propertiesWithHistory" to the object JSON that ends
// b, for each property asked for that is set.
func appendHistory(b []byte, r *record, props []string) ([]byte, error) {
	wh := map[string][]hubspot.ValueTime{}
	for _, p := range props {
		if h := r.history(p); len(h) > 0 {
			wh[p] = h
		}
	}
	tail, err := json.Marshal(map[string]any{"propertiesWithHistory": wh})
	if err != nil {
		return nil, fmt.Errorf("encode history: %w", err)
	}
	b = append(b[:len(b)-1], ',')
	return append(b, tail[1:]...), nil
}

// move is one change a person made to a seeded record.
type move struct {
	prop, value string
	at          time.Time
}

// workedHistory gives a seeded record the history of people working it:
// moves, oldest first, those at the record's creation giving the values it
// was created with. A property that moves without a value at creation held
// its current one then, but for the owner: a record may come in with none.
// A property that never moves keeps its current value since creation and
// needs no entries.
func (st *state) workedHistory(t string, v *version, moves []move) {
	if len(moves) == 0 {
		return
	}
	hist := make(map[string][]hubspot.ValueTime, 3)
	for _, m := range moves {
		src := "CRM_UI"
		if m.at.Equal(v.created) {
			src = createdSource
		} else if _, ok := hist[m.prop]; !ok && m.prop != "hubspot_owner_id" {
			if cur, set := v.props[m.prop]; set {
				hist[m.prop] = append(hist[m.prop], hubspot.ValueTime{Value: cur, Timestamp: v.created, SourceType: createdSource})
			}
		}
		hist[m.prop] = append(hist[m.prop], hubspot.ValueTime{Value: m.value, Timestamp: m.at, SourceType: src})
	}
	for _, h := range hist {
		slices.Reverse(h) // newest first, as HubSpot serves it
	}
	st.objects[t].byID[v.id].hist = hist
	if h, ok := hist[stageProps[t]]; ok {
		st.stampStages(t, v, h)
	}
}
