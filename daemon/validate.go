package daemon

import (
	"fmt"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// validate finds what makes a record unusable: alusta skips and records it
// rather than stopping the sync. It names alusta's field; the HubSpot
// property is the mapping's business.
func validate(r store.Record) (field, reason string) {
	if r.ID == "" {
		return "hs_object_id", "record has no id"
	}
	for _, name := range []string{"units", "amount", "capacity", "weight"} {
		v := r.Properties[name]
		if v == "" {
			continue
		}
		if _, err := hubspot.ParseNumber(v); err != nil {
			// Masked before it is cut, so that no half code is left.
			return name, fmt.Sprintf("not a number: %q", truncate(store.Redact(v), 40))
		}
	}
	return "", ""
}

// record translates o, with writes applied over its properties, to the
// store's shape under alusta's names: the one way a record read from
// HubSpot reaches the store.
func (c *cycle) record(typ string, o hubspot.Object, writes pipelines.Values) store.Record {
	props := o.Properties
	if len(writes) > 0 {
		props = make(map[string]*string, len(o.Properties)+len(writes))
		for k, v := range o.Properties {
			props[k] = v
		}
		for k, v := range writes.All() {
			props[k] = &v
		}
	}
	return store.Record{ID: o.ID, Properties: c.rs.mapping.Translate(typ, props),
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Archived: o.Archived}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
