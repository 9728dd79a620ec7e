package daemon

import (
	"context"
	"slices"
	"strings"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// HubSpot keeps, per pipeline stage of tickets and deals, a calculated
// property holding when a record last entered the stage. Newer portals
// name it hs_v2_date_entered_<stage>, older ones hs_date_entered_<stage>;
// the oldest have neither.
var stageTimesPrefixes = []string{"hs_v2_date_entered_", "hs_date_entered_"}

// isStageTime reports whether prop is a stage entry time property: HubSpot
// calculates them, so they are no values alusta compares with what it
// wrote.
func isStageTime(prop string) bool {
	for _, prefix := range stageTimesPrefixes {
		if strings.HasPrefix(prop, prefix) {
			return true
		}
	}
	return false
}

// stageTimesPrefix is the prefix of the stage entry time properties among
// a portal's properties of one object type, the newer kind first, or ""
// when it has none.
func stageTimesPrefix(props []hubspot.Property) string {
	for _, prefix := range stageTimesPrefixes {
		for _, p := range props {
			if strings.HasPrefix(p.Name, prefix) {
				return prefix
			}
		}
	}
	return ""
}

// mappedStages lists the stage ids of the pipelines the mapping names
// (the ticket pipeline, the referral one, the order pipeline), by object
// type.
func mappedStages(m *mappings.Mapping, pipes map[string][]hubspot.Pipeline) map[string][]string {
	out := make(map[string][]string)
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		ids := []string{m.PipelineID(typ)}
		if typ == hubspot.Tickets {
			ids = append(ids, m.ReferralPipelineID())
		}
		for _, p := range pipes[typ] {
			if p.ID == "" || !slices.Contains(ids, p.ID) {
				continue
			}
			for _, s := range p.Stages {
				out[typ] = append(out[typ], s.ID)
			}
		}
	}
	return out
}

// stageTimeProps are the stage entry time properties a read of typ asks
// for: none when the rules keep no SLA clock for typ or the portal has
// none.
func (c *cycle) stageTimeProps(typ string) []string {
	prefix := c.d.mem.stageTimes[typ]
	if prefix == "" || !c.rs.rules.HasSLA(typ) {
		return nil
	}
	stages := c.rs.stages[typ]
	out := make([]string, len(stages))
	for i, s := range stages {
		out[i] = prefix + s
	}
	return out
}

// readProps are the properties a read of typ asks for: the mapping's and
// the stage entry times.
func (c *cycle) readProps(typ string) []string {
	return append(c.rs.mapping.Properties(typ), c.stageTimeProps(typ)...)
}

// stageHistory gives the engine the stage history of the records it
// decides for the first time, when the rules keep SLA clocks for typ, so
// that a clock starts when its condition became true in HubSpot and not at
// alusta's first look (on a first deployment, every ticket's). A record
// never modified since its creation needs none.
//
// The history comes from the stage entry times read with the records
// (stageTimeProps): per stage the time the record last entered it, at no
// extra call. They give each stage's last entry only: of a record that
// went back to a stage, the replay misses the earlier stay there (a pause
// while waiting on the client counts as running), which a first look can
// live with. Where they are missing (a portal without them, a record in a
// stage of a pipeline the mapping does not name) it reads HubSpot's
// property history, a call per 50 records; when that read fails, the
// clocks start as they would without it and the cycle goes on.
func (c *cycle) stageHistory(ctx context.Context, typ string, objs []hubspot.Object) map[string]map[string][]hubspot.ValueTime {
	names := c.stageTimeProps(typ)
	if !c.rs.rules.HasSLA(typ) {
		return nil
	}
	prefix := c.d.mem.stageTimes[typ]
	stage := c.rs.mapping.Field(typ, "stage")
	out := make(map[string]map[string][]hubspot.ValueTime)
	var ids []string
	for _, o := range objs {
		if o.Archived || !o.UpdatedAt.After(o.CreatedAt) {
			continue
		}
		if rs := c.d.mem.state.Records[typ+"/"+o.ID]; rs != nil && len(rs.SLA) > 0 {
			continue
		}
		var hist []hubspot.ValueTime
		for _, name := range names {
			v, _ := o.Prop(name)
			if v == "" {
				continue
			}
			at, err := hubspot.ParseTime(v)
			if err != nil {
				continue
			}
			hist = append(hist, hubspot.ValueTime{Value: strings.TrimPrefix(name, prefix), Timestamp: at})
		}
		cur, _ := o.Prop(stage)
		if !slices.ContainsFunc(hist, func(h hubspot.ValueTime) bool { return h.Value == cur }) {
			ids = append(ids, o.ID)
			continue
		}
		// Newest first, as HubSpot gives a property's history.
		slices.SortStableFunc(hist, func(a, b hubspot.ValueTime) int { return b.Timestamp.Compare(a.Timestamp) })
		out[o.ID] = map[string][]hubspot.ValueTime{stage: hist}
	}
	if len(ids) == 0 {
		return out
	}
	// The owner and priority history come in the same calls, for the
	// backtest (see historyfeed.go).
	props := historyProps(c.d.store, c.rs.mapping, typ)
	if !slices.Contains(props, stage) {
		props = append(props, stage)
	}
	readAt := c.d.now()
	read, _, err := c.d.client.BatchReadHistory(ctx, typ, ids, props, props)
	if err != nil {
		c.d.log.Warn("stage history not read: SLA clocks of new records start now", "object", typ, "records", len(ids), "err", err)
	}
	c.keepHistory(ctx, typ, read, readAt)
	for _, o := range read {
		out[o.ID] = o.WithHistory
	}
	return out
}
