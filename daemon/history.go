package daemon

import (
	"context"
	"slices"

	"github.com/alusta/alusta/connector/hubspot"
)

// stageHistory reads HubSpot's stage history of the records the engine
// decides for the first time, when the rules keep SLA clocks for typ, so
// that a clock starts when its condition became true in HubSpot and not at
// alusta's first look (on a first deployment, every ticket's). A record
// never modified since its creation needs none. History costs a call per
// 50 records, so it is read for these only; when the read fails, the
// clocks start as they would without it and the cycle goes on.
func (c *cycle) stageHistory(ctx context.Context, typ string, objs []hubspot.Object) map[string]map[string][]hubspot.ValueTime {
	if !c.rs.rules.HasSLA(typ) {
		return nil
	}
	var ids []string
	for _, o := range objs {
		if o.Archived || !o.UpdatedAt.After(o.CreatedAt) {
			continue
		}
		if rs := c.d.mem.state.Records[typ+"/"+o.ID]; rs != nil && len(rs.SLA) > 0 {
			continue
		}
		ids = append(ids, o.ID)
	}
	if len(ids) == 0 {
		return nil
	}
	// The owner and priority history come in the same calls, for the
	// backtest (see historyfeed.go).
	props := historyProps(c.d.store, c.rs.mapping, typ)
	if stage := c.rs.mapping.Field(typ, "stage"); !slices.Contains(props, stage) {
		props = append(props, stage)
	}
	readAt := c.d.now()
	read, _, err := c.d.client.BatchReadHistory(ctx, typ, ids, props, props)
	if err != nil {
		c.d.log.Warn("stage history not read: SLA clocks of new records start now", "object", typ, "records", len(ids), "err", err)
	}
	c.keepHistory(ctx, typ, read, readAt)
	out := make(map[string]map[string][]hubspot.ValueTime, len(read))
	for _, o := range read {
		out[o.ID] = o.WithHistory
	}
	return out
}
