package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// Shadow mode (sync.mode: shadow, run --shadow) pulls and decides as the
// daemon always does but writes nothing to HubSpot: no properties, stages,
// owners, associations, notes or property definitions. What it would have
// written is kept in the store, one entry per record with its latest
// decision, so a team can run alusta beside its HubSpot workflows and
// compare before switching (alusta rules plan --shadow lists them).

// shadowPrefix keys the held-back writes in the store's state table.
const shadowPrefix = "shadow/"

// ShadowRecord is what shadow mode would have written to one record at its
// latest decision.
type ShadowRecord struct {
	ObjectType string            `json:"object_type"`
	RecordID   string            `json:"record_id"`
	Rule       string            `json:"rule"`
	Writes     map[string]string `json:"writes,omitempty"` // property -> new value
	Old        map[string]string `json:"old,omitempty"`    // property -> value in HubSpot
	Associate  string            `json:"associate,omitempty"`
	Notes      []string          `json:"notes,omitempty"`
	// Actions are the order loop's held-back steps: a service order or a
	// welfare referral to create, a referral outcome to write. Mail and
	// webhooks to providers are held in the notification queue instead
	// (notify.ShadowPrefix), where alusta rules plan --shadow lists them.
	Actions []string  `json:"actions,omitempty"`
	At      time.Time `json:"at"`
}

// shadowPush keeps the page's decisions instead of pushing them. The
// engine keeps its clocks and rotations, but not the memory of writes
// that were never made: otherwise the next cycle would take the CRM's
// unchanged values for a person's edit, and route notes would be spent.
func (c *cycle) shadowPush(ctx context.Context, typ string, todo []decided, now time.Time) error {
	d := c.d
	states := map[string]any{}
	keys := make([]string, 0, len(todo))
	for i := range todo {
		p := &todo[i]
		key := typ + "/" + p.obj.ID
		keys = append(keys, key)
		d.mem.state.Apply(p.change)
		if rs := d.mem.state.Records[key]; rs != nil {
			// What was never made is not remembered as made: the
			// shortlist, referral and order memories go back too, so
			// that going live makes them.
			rs.Written, rs.Noted, rs.Shortlist, rs.Referral, rs.Order = nil, nil, nil, nil, nil
			if b := p.before; b != nil {
				rs.Written, rs.Noted, rs.Shortlist, rs.Referral, rs.Order = b.Written, b.Noted, b.Shortlist, b.Referral, b.Order
			}
		}
		// The provider's message is held by the queue (shadow mode), to
		// be listed and dropped when alusta goes live.
		c.forward(ctx, typ, p)
		actions := shadowActions(p.dec)
		if len(p.dec.Writes) == 0 && len(p.dec.Notes) == 0 && len(actions) == 0 {
			continue
		}
		rec := ShadowRecord{ObjectType: typ, RecordID: p.obj.ID, Rule: p.dec.Rule, Writes: p.dec.Writes.Map(),
			Old: map[string]string{}, Notes: p.dec.Notes, Actions: actions, At: now}
		for prop := range p.dec.Writes.All() {
			rec.Old[prop], _ = p.obj.Prop(prop)
		}
		if a := p.dec.Associate; a != nil {
			rec.Associate = a.ToType + "/" + a.ToID
		}
		states[shadowPrefix+key] = rec
		d.metrics.writes.WithLabelValues(typ, "shadow").Add(float64(len(p.dec.Writes)))
	}
	if len(states) > 0 {
		if err := d.store.SaveStates(ctx, states); err != nil {
			return fmt.Errorf("keep %s shadow writes: %w", typ, err)
		}
	}
	return d.saveStates(ctx, keys)
}

// shadowActions describes the order loop's steps a decision asks for,
// by ids and codes only: no client data.
func shadowActions(dec pipelines.Decision) []string {
	var out []string
	if o := dec.Order; o != nil {
		out = append(out, fmt.Sprintf("create a service order (deal) for provider %s: %s, %s", o.ProviderID, o.Service, o.Municipality))
	}
	if r := dec.Referral; r != nil {
		out = append(out, fmt.Sprintf("create a welfare referral to %s (%s) and tell the NGO", r.ActivityName, r.ActivityID))
	}
	if o := dec.Outcome; o != nil {
		out = append(out, fmt.Sprintf("write %s = %q on ticket %s", o.Property, o.Value, o.TicketID))
	}
	return out
}

// ShadowRecords lists what shadow mode would have written, by record.
func ShadowRecords(ctx context.Context, st stateLoader) ([]ShadowRecord, error) {
	var out []ShadowRecord
	err := st.LoadStates(ctx, shadowPrefix, func(name string, value []byte) error {
		var r ShadowRecord
		if err := json.Unmarshal(value, &r); err != nil {
			return fmt.Errorf("decode %s: %w", name, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load shadow writes: %w", err)
	}
	slices.SortFunc(out, func(a, b ShadowRecord) int {
		return strings.Compare(a.ObjectType+"/"+a.RecordID, b.ObjectType+"/"+b.RecordID)
	})
	return out, nil
}

// stateLoader is the part of the store ShadowRecords reads.
type stateLoader interface {
	LoadStates(ctx context.Context, prefix string, fn func(name string, value []byte) error) error
}

// ShadowActionKind is the plan kind of the order loop's held steps.
const ShadowActionKind = "order loop"

// ShadowPlan turns held-back writes into a plan: before is HubSpot's
// value, after what alusta would write; kinds beyond pipelines.PlanKinds
// (the decision text, SLA status) are named by property.
func ShadowPlan(recs []ShadowRecord, kindOf func(objectType, property string) string) pipelines.Plan {
	p := pipelines.Plan{Records: len(recs), Counts: map[string]int{}}
	for _, r := range recs {
		ch := pipelines.RecordChange{ObjectType: r.ObjectType, RecordID: r.RecordID}
		props := make([]string, 0, len(r.Writes))
		for prop := range r.Writes {
			props = append(props, prop)
		}
		slices.Sort(props)
		for _, prop := range props {
			kind := kindOf(r.ObjectType, prop)
			ch.Diffs = append(ch.Diffs, pipelines.Diff{Kind: kind, Property: prop, Before: r.Old[prop], After: r.Writes[prop]})
			p.Counts[kind]++
		}
		for _, n := range r.Notes {
			ch.Diffs = append(ch.Diffs, pipelines.Diff{Kind: "note", After: n})
			p.Counts["note"]++
		}
		for _, a := range r.Actions {
			ch.Diffs = append(ch.Diffs, pipelines.Diff{Kind: ShadowActionKind, After: a})
			p.Counts[ShadowActionKind]++
		}
		p.Changes = append(p.Changes, ch)
	}
	return p
}

// modeState remembers the mode of the last start, to notice leaving
// shadow mode.
const modeState = "sync/mode"

// shadowEndedState is when alusta last left shadow mode: the writes then
// listed were never made.
const shadowEndedState = "sync/shadow_ended"

// StoredMode is the sync mode ("live" or "shadow") of the daemon's last
// start on st, "" before the first: what commands beside a running daemon
// (intake import) go by.
func StoredMode(ctx context.Context, st interface {
	LoadState(ctx context.Context, name string, v any) error
}) (string, error) {
	var mode string
	if err := st.LoadState(ctx, modeState, &mode); err != nil {
		return "", fmt.Errorf("load sync mode: %w", err)
	}
	return mode, nil
}

// ShadowEnded is when alusta last left shadow mode; zero while it runs in
// shadow mode or never did.
func ShadowEnded(ctx context.Context, st interface {
	LoadState(ctx context.Context, name string, v any) error
}) (time.Time, error) {
	var t time.Time
	if err := st.LoadState(ctx, shadowEndedState, &t); err != nil {
		return time.Time{}, fmt.Errorf("load shadow end: %w", err)
	}
	return t, nil
}

// switchMode runs at start-up. Leaving shadow mode, every ticket and deal
// is read and decided again from the beginning, because none of the
// shadow decisions reached HubSpot and unchanged records are not read
// again otherwise; the messages held meanwhile, and any left pending from
// before, are dropped unsent: they are days old, and what is still true
// is told again by the live decisions. Entering shadow mode, the lists of
// an earlier shadow run are cleared.
func (d *Daemon) switchMode(ctx context.Context) error {
	var last string
	if err := d.store.LoadState(ctx, modeState, &last); err != nil {
		return fmt.Errorf("load sync mode: %w", err)
	}
	mode := "live"
	if d.shadow {
		mode = "shadow"
	}
	if last == "shadow" && mode == "live" {
		for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
			if err := d.store.SaveCursor(ctx, typ, store.Cursor{}); err != nil {
				return err
			}
		}
		dropped, err := d.store.DropNotifications(ctx, "not sent: held or queued before alusta left shadow mode")
		if err != nil {
			return err
		}
		if err := d.store.SaveState(ctx, shadowEndedState, d.now().UTC()); err != nil {
			return fmt.Errorf("save shadow end: %w", err)
		}
		d.log.Info("left shadow mode: reading and deciding every ticket and deal again", "messages_dropped", dropped)
	}
	if last != "shadow" && mode == "shadow" {
		if _, err := d.store.DeleteStates(ctx, shadowPrefix); err != nil {
			return err
		}
		if err := d.store.SaveState(ctx, shadowEndedState, time.Time{}); err != nil {
			return fmt.Errorf("save shadow end: %w", err)
		}
		d.log.Info("shadow mode: alusta decides but writes nothing to HubSpot and sends no mail")
	}
	if err := d.store.SaveState(ctx, modeState, mode); err != nil {
		return fmt.Errorf("save sync mode: %w", err)
	}
	return nil
}
