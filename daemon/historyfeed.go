package daemon

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// The store keeps people's changes to a record's stage, owner and priority
// (store.HistoryFields) for `alusta rules backtest`. It is fed three ways,
// none of which costs the first sync a call:
//   - every pull compares what it read with the cached copy (seeChanges):
//     a value that changed is an event at the record's modification time,
//     marked as alusta's own when it is what alusta last wrote;
//   - where the daemon reads the stage history on a record's first look
//     (stageHistory: a portal without date entered properties), it asks
//     for the owner and priority history in the same call and keeps all
//     three (keepHistory): HubSpot's history is exact. Where the stage
//     times come from the date entered properties, nothing is kept, and
//     the backtest reads what it lacks;
//   - the backtest reads HubSpot's history of the period's records the
//     store has no start for (FetchHistory), 50 records a call.

// historyProps are the HubSpot properties behind store.HistoryFields.
func historyProps(st *store.Store, m *mappings.Mapping, typ string) []string {
	var out []string
	for _, f := range store.HistoryFields {
		if p := m.Field(typ, f); p != "" && st.KeepsHistory(typ, f) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// historyChanges turns HubSpot's property history of objs into the
// store's changes, under alusta's field names.
func historyChanges(st *store.Store, m *mappings.Mapping, typ string, objs []hubspot.Object) []store.PropertyChange {
	var out []store.PropertyChange
	for _, o := range objs {
		for _, f := range store.HistoryFields {
			p := m.Field(typ, f)
			if p == "" || !st.KeepsHistory(typ, f) {
				continue
			}
			for _, h := range o.WithHistory[p] {
				src := h.SourceType
				if src == "" {
					src = "HUBSPOT"
				}
				out = append(out, store.PropertyChange{ObjectType: typ, RecordID: o.ID, Field: f, Value: h.Value, At: h.Timestamp, Source: src})
			}
		}
	}
	return out
}

// keepHistory stores the property history read with objs; the cycle goes
// on when it fails.
func (c *cycle) keepHistory(ctx context.Context, typ string, objs []hubspot.Object, readAt time.Time) {
	if len(objs) == 0 {
		return
	}
	if err := replaceHistory(ctx, c.d.store, c.rs.mapping, typ, objs, readAt); err != nil {
		c.d.log.Warn("property history not kept", "object", typ, "records", len(objs), "err", err)
	}
}

// replaceHistory keeps in st HubSpot's property history of objs, read at
// readAt, in place of what pulls saw of them until then.
func replaceHistory(ctx context.Context, st *store.Store, m *mappings.Mapping, typ string, objs []hubspot.Object, readAt time.Time) error {
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	return st.ReplaceHistory(ctx, typ, ids, readAt, historyChanges(st, m, typ, objs))
}

// seeChanges keeps the changes of recs since their cached copies (see
// store.ChangesSeen). A value equal to what alusta last wrote there is
// alusta's own. The cycle goes on when it fails: the backtest reads what
// is missing from HubSpot.
func (c *cycle) seeChanges(ctx context.Context, typ string, recs []store.Record) {
	if typ != hubspot.Tickets && typ != hubspot.Deals {
		return
	}
	changes, err := c.d.store.ChangesSeen(ctx, typ, recs)
	if err == nil {
		for i, ch := range changes {
			rs := c.d.mem.state.Records[typ+"/"+ch.RecordID]
			if rs == nil {
				continue
			}
			if v, ok := rs.Written.Lookup(c.rs.mapping.Field(typ, ch.Field)); ok && v == ch.Value {
				changes[i].Source = store.SourceAlusta
			}
		}
		err = c.d.store.AddHistory(ctx, changes)
	}
	if err != nil {
		c.d.log.Warn("changes seen not kept", "object", typ, "err", err)
	}
}

// HistoryReader reads records with their property history.
type HistoryReader interface {
	BatchReadHistory(ctx context.Context, objectType string, ids []string, props, history []string) ([]hubspot.Object, []hubspot.RecordError, error)
}

var _ HistoryReader = (*hubspot.Client)(nil)

// FetchHistory reads HubSpot's history of the stage, owner and priority of
// the records ids of typ and keeps it in st; a call per
// hubspot.HistoryBatchSize records. progress, when not nil, is told how
// many are done after each part.
func FetchHistory(ctx context.Context, c HistoryReader, st *store.Store, m *mappings.Mapping, typ string, ids []string, progress func(done int)) error {
	props := historyProps(st, m, typ)
	done := 0
	// Ten calls a part: each part is kept as it lands, so a stopped fetch
	// resumes where it stopped.
	for part := range slices.Chunk(ids, 10*hubspot.HistoryBatchSize) {
		readAt := st.Now()
		objs, _, err := c.BatchReadHistory(ctx, typ, part, props, props)
		if err != nil {
			return fmt.Errorf("read %s history: %w", typ, err)
		}
		if err := replaceHistory(ctx, st, m, typ, objs, readAt); err != nil {
			return err
		}
		done += len(part)
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

// Histories gives each input its stored history for a backtest, and lists
// by object type the inputs whose history has no start (the store holds no
// stage at their creation).
func Histories(ctx context.Context, st *store.Store, m *mappings.Mapping, ins []pipelines.Input, state *pipelines.State) ([]pipelines.History, map[string][]string, error) {
	byType := map[string]map[string][]store.PropertyChange{}
	out := make([]pipelines.History, 0, len(ins))
	missing := map[string][]string{}
	for _, in := range ins {
		typ := in.ObjectType
		if byType[typ] == nil {
			h, err := st.History(ctx, typ)
			if err != nil {
				return nil, nil, err
			}
			byType[typ] = h
		}
		stored := byType[typ][in.Record.ID]
		fcs := make([]pipelines.FieldChange, len(stored))
		for i, c := range stored {
			fcs[i] = pipelines.FieldChange{Field: c.Field, Value: c.Value, Source: c.Source, At: c.At}
		}
		h := pipelines.NewHistory(m, in, fcs)
		if rs := state.Records[typ+"/"+in.Record.ID]; rs != nil {
			h.Cycles = rs.SLA
		}
		if !h.Known {
			missing[typ] = append(missing[typ], in.Record.ID)
		}
		out = append(out, h)
	}
	return out, missing, nil
}
