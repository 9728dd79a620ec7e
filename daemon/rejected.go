package daemon

import (
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// dropRejectedProperties handles the properties HubSpot refused while the
// rest of their record was written (hubspot.RecordError.Property): each is
// taken out of its decision's writes, as if never decided, so the cache,
// the echo list and the engine's memory of what alusta wrote do not claim
// it (a remembered write that never landed would later look like a
// person's change). It returns the record-level errors left and the
// write-log rows of the refused properties.
func (c *cycle) dropRejectedProperties(typ string, byID map[string]*decided, recErrs []hubspot.RecordError, now time.Time) ([]hubspot.RecordError, []store.Write) {
	d := c.d
	var rest []hubspot.RecordError
	var rows []store.Write
	for _, re := range recErrs {
		p := byID[re.ID]
		if re.Property == "" || p == nil {
			rest = append(rest, re)
			continue
		}
		v, ok := p.dec.Writes.Lookup(re.Property)
		if !ok {
			continue
		}
		p.dec.Writes.Delete(re.Property)
		p.change.Unwrite(re.Property)
		d.forgetEchoes(typ, re.ID, map[string]string{re.Property: v})
		d.metrics.writes.WithLabelValues(typ, "rejected").Inc()
		d.log.Warn("property write rejected; the record's other writes landed", "object", typ, "id", re.ID,
			"property", re.Property, "reason", re.Message)
		old, _ := p.obj.Prop(re.Property)
		rows = append(rows, store.Write{ObjectType: typ, RecordID: re.ID, Property: re.Property, Old: old, New: v,
			Rule: p.dec.Rule, At: now, Status: store.WriteRejected, Reason: re.Message})
	}
	return rest, rows
}
