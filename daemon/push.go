package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// push writes a batch of decisions to HubSpot, then saves the page: its
// decisions, SLA clocks, write log, cache and engine state (of the decided
// records and of those observed, keys), in one transaction.
func (c *cycle) push(ctx context.Context, typ string, todo []decided, observed []string, now time.Time) error {
	d := c.d
	if d.shadow {
		return c.shadowPush(ctx, typ, todo, now)
	}
	var inputs []hubspot.BatchUpdateInput
	byID := make(map[string]*decided, len(todo))
	for i := range todo {
		p := &todo[i]
		byID[p.obj.ID] = p
		if len(p.dec.Writes) > 0 {
			inputs = append(inputs, hubspot.BatchUpdateInput{ID: p.obj.ID, Properties: p.dec.Writes.Map()})
		}
	}
	failed := make(map[string]string)
	var propRejects []store.Write // properties refused while their records landed
	if len(inputs) > 0 {
		// HubSpot may deliver the webhook of a write before the call that
		// made it returns: expect the echoes before sending.
		for _, in := range inputs {
			d.expectEchoes(typ, in.ID, in.Properties)
		}
		// Noted before the call: if alusta dies before the page is saved,
		// HubSpot may hold writes the engine's state does not count, and
		// the next cycle reads these records back first (settleInflight).
		f := inflight{Type: typ, IDs: make([]string, len(inputs)), Sent: make(map[string]sent, len(inputs))}
		for i, in := range inputs {
			f.IDs[i] = in.ID
			p := byID[in.ID]
			s := sent{Rule: p.dec.Rule, New: make(map[string]uint64, len(in.Properties))}
			for prop, v := range in.Properties {
				s.New[prop] = echoSum(v)
				if old, _ := p.obj.Prop(prop); old != "" {
					if s.Old == nil {
						s.Old = make(map[string]string)
					}
					s.Old[prop] = old
				}
			}
			f.Sent[in.ID] = s
		}
		f.Rotation, f.Weights = moved(d.mem.state, inputs, byID)
		if err := d.store.SaveStates(context.WithoutCancel(ctx), map[string]any{inflightName: f}); err != nil {
			return fmt.Errorf("push %s: %w", typ, err)
		}
		d.mem.inflight = f
		results, recErrs, err := d.client.BatchUpdate(ctx, typ, inputs)
		for _, o := range results {
			if p := byID[o.ID]; p != nil && !o.UpdatedAt.IsZero() {
				d.mem.versions[typ+"/"+o.ID] = version{Modified: o.UpdatedAt, WrittenAt: d.now(),
					Sum: valuesSum(p.obj.Properties, p.dec.Writes, o.Properties)}
			}
		}
		if err != nil {
			// Nothing of the batch is known to have landed: the engine's
			// state takes none of its changes, so the next cycle decides
			// again.
			for _, in := range inputs {
				d.forgetEchoes(typ, in.ID, in.Properties)
			}
			// HubSpot may have applied the batch all the same: the next
			// cycle reads it back first (d.mem.inflight stays set).
			return fmt.Errorf("push %s: %w", typ, err)
		}
		// The answer is in; the page saved below clears the note.
		d.mem.inflight = inflight{}
		recErrs, propRejects = c.dropRejectedProperties(typ, byID, recErrs, now)
		for _, re := range recErrs {
			failed[re.ID] = re.Error()
		}
		if len(recErrs) > 0 && len(failed[""]) > 0 {
			// An error HubSpot did not tie to a record fails them all.
			for _, in := range inputs {
				failed[in.ID] = failed[""]
			}
		}
	}
	page := store.Page{ObjectType: typ, Writes: propRejects}
	var assocs []hubspot.AssociationPost
	var notes []hubspot.Note
	for i := range todo {
		p := &todo[i]
		rule := p.dec.Rule
		reason, bad := failed[p.obj.ID]
		writes := &page.Writes
		if bad {
			c.sum.Rejected++
			d.metrics.writes.WithLabelValues(typ, "rejected").Add(float64(len(p.dec.Writes)))
			d.log.Warn("write rejected", "object", typ, "id", p.obj.ID, "reason", reason)
		} else {
			d.mem.state.Apply(p.change)
			page.Decided = append(page.Decided, c.remember(typ, p, now))
			c.knowRead(typ, p.obj)
			writes = &page.Decided[len(page.Decided)-1].Writes
			*writes = append(*writes, p.landed...)
		}
		for prop, v := range p.dec.Writes.All() {
			old, _ := p.obj.Prop(prop)
			w := store.Write{ObjectType: typ, RecordID: p.obj.ID, Property: prop, Old: old, New: v,
				Rule: rule, At: now, Status: store.WriteApplied}
			if bad {
				w.Status, w.Reason = store.WriteRejected, reason
			} else {
				c.sum.Writes++
				d.metrics.writes.WithLabelValues(typ, "applied").Inc()
			}
			*writes = append(*writes, w)
		}
		if bad {
			d.forgetEchoes(typ, p.obj.ID, p.dec.Writes.Map())
		}
		for _, prop := range p.dec.Sticky {
			cur, _ := p.obj.Prop(prop)
			*writes = append(*writes, store.Write{ObjectType: typ, RecordID: p.obj.ID, Property: prop, Old: cur, New: cur,
				Rule: rule, At: now, Status: store.WriteSkippedHuman,
				Reason: "changed in the CRM after alusta's last write"})
		}
		if bad {
			continue
		}
		if a := p.dec.Associate; a != nil {
			assocs = append(assocs, hubspot.AssociationPost{
				From:  hubspot.ObjectID{ID: a.FromID},
				To:    hubspot.ObjectID{ID: a.ToID},
				Types: []hubspot.AssociationSpec{{Category: hubspot.HubSpotDefined, TypeID: a.TypeID}},
			})
		}
		for _, note := range p.dec.Notes {
			notes = append(notes, hubspot.Note{ObjectType: typ, ID: p.obj.ID, Body: note, At: now})
		}
		c.forward(ctx, typ, p)
	}
	if len(assocs) > 0 {
		if err := c.associate(ctx, typ, assocs); err != nil {
			return err
		}
	}
	if len(notes) > 0 {
		c.addNotes(ctx, typ, notes)
	}
	page.Records = c.cacheWritten(typ, todo, failed)
	// Referrals and service orders are made once their tickets' writes
	// have landed; one that fails drops its memory, to be asked again.
	made := c.referrals(ctx, typ, todo, failed)
	c.orders(ctx, typ, todo, failed)
	keys := make([]string, len(todo), len(todo)+len(made))
	for i, p := range todo {
		keys[i] = typ + "/" + p.obj.ID
	}
	keys = append(keys, made...)
	keys = append(keys, observed...)
	page.States = d.states(keys)
	// A cancelled context must not lose the record of writes HubSpot
	// has taken.
	if err := d.store.SavePage(context.WithoutCancel(ctx), page); err != nil {
		return fmt.Errorf("push %s: %w", typ, err)
	}
	return nil
}

// moved is what the decisions of a batch's records do to the round-robin
// positions and weights of st.
func moved(st *pipelines.State, inputs []hubspot.BatchUpdateInput, byID map[string]*decided) (map[string]string, map[string]map[string]float64) {
	after := st.Scratch()
	for _, in := range inputs {
		after.Apply(byID[in.ID].change)
	}
	var rot map[string]string
	for k, v := range after.Rotation {
		if old, ok := st.Rotation[k]; !ok || old != v {
			if rot == nil {
				rot = make(map[string]string)
			}
			rot[k] = v
		}
	}
	var ws map[string]map[string]float64
	for k, w := range after.Weights {
		if old, ok := st.Weights[k]; !ok || !maps.Equal(old, w) {
			if ws == nil {
				ws = make(map[string]map[string]float64)
			}
			ws[k] = w
		}
	}
	return rot, ws
}

// knowRead notes a decided read as the newest version of its record
// alusta knows, unless alusta's own write (or a newer read) is newer.
func (c *cycle) knowRead(typ string, o hubspot.Object) {
	key := typ + "/" + o.ID
	if v, ok := c.d.mem.versions[key]; ok && o.UpdatedAt.Before(v.Modified) || o.UpdatedAt.IsZero() {
		return
	}
	c.d.mem.versions[key] = version{Modified: o.UpdatedAt, WrittenAt: c.d.now(), Sum: valuesSum(o.Properties, nil, nil)}
}

func (c *cycle) associate(ctx context.Context, typ string, posts []hubspot.AssociationPost) error {
	// Group by target type: today alusta associates deals and tickets to
	// provider companies only.
	res, err := c.d.client.AssociateBatch(ctx, typ, hubspot.Companies, posts)
	if err != nil {
		return fmt.Errorf("associate %s to companies: %w", typ, err)
	}
	if res != nil {
		for _, e := range res.Errors {
			c.sum.Errors++
			c.d.log.Warn("association rejected", "object", typ, "err", e.Error())
		}
	}
	return nil
}

// cacheWritten brings the cached records up to what HubSpot holds after
// the push, so reports see alusta's decisions without waiting for the next
// read, and a reconcile does not take alusta's own write for a gap.
func (c *cycle) cacheWritten(typ string, todo []decided, failed map[string]string) []store.Record {
	var recs []store.Record
	for _, p := range todo {
		if len(p.dec.Writes) == 0 {
			continue
		}
		if _, bad := failed[p.obj.ID]; bad {
			continue
		}
		r := c.record(typ, p.obj, p.dec.Writes)
		if v, ok := c.d.mem.versions[typ+"/"+p.obj.ID]; ok && v.Modified.After(r.UpdatedAt) {
			r.UpdatedAt = v.Modified
		}
		recs = append(recs, r)
	}
	return recs
}

// addNotes attaches the page's notes in batches. A note that fails is
// logged and counted, not retried: the decision it explains stands, and a
// blind retry of a create could double it.
func (c *cycle) addNotes(ctx context.Context, typ string, notes []hubspot.Note) {
	d := c.d
	_, recErrs, err := d.client.AddNotes(ctx, notes)
	if err != nil {
		c.sum.Errors++
		d.log.Warn("add notes failed", "object", typ, "notes", len(notes), "err", err)
		return
	}
	for _, re := range recErrs {
		c.sum.Errors++
		d.log.Warn("note rejected", "object", typ, "err", re.Error())
	}
}

// remember is what the store keeps of one record's decision: the decision
// (a new history row only when it differs from the last one), its SLA
// cycles and the clock changes since the decision before.
func (c *cycle) remember(typ string, p *decided, now time.Time) store.DecidedRecord {
	d := c.d
	dec := p.dec
	after := c.record(typ, p.obj, dec.Writes).Properties
	sd := store.Decision{
		ObjectType: typ, RecordID: p.obj.ID, Rule: dec.Rule,
		Queue:       after[mappings.KeyQueue],
		OwnerID:     after["owner"],
		ProviderID:  after[mappings.KeyProvider],
		Explanation: dec.Explanation, At: now, Fingerprint: fingerprint(dec),
	}
	var before []pipelines.SLACycle
	if p.before != nil {
		before = p.before.SLA
	}
	events := slaEvents(typ, p.obj.ID, before, dec.SLA, now)
	for _, e := range events {
		if e.Kind == store.SLABreached {
			d.metrics.breaches.Inc()
		}
	}
	var all []pipelines.SLACycle
	if rs := d.mem.state.Records[typ+"/"+p.obj.ID]; rs != nil {
		all = rs.SLA
	}
	return store.DecidedRecord{Decision: sd, SLA: slaCycles(dec.SLA, all), Events: events}
}

func fingerprint(dec pipelines.Decision) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", dec.Rule, dec.Explanation)
	for k, v := range dec.Writes.All() {
		fmt.Fprintf(h, "%s=%s\x00", k, v)
	}
	for _, s := range dec.SLA {
		fmt.Fprintf(h, "%s/%s/%s/%d\x00", s.Policy, s.Goal, s.Status, s.Start.UnixMilli())
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
