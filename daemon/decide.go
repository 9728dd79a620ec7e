package daemon

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// decideAndPush decides each record and pushes the results in batches.
// The records are decided against a working copy of the engine's state,
// each seeing the decisions before it; the engine's own state takes a
// decision's change only once HubSpot has taken its writes (push).
func (c *cycle) decideAndPush(ctx context.Context, typ string, objs []hubspot.Object) error {
	d := c.d
	now := d.now()
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = typ + "/" + o.ID
	}
	view := d.mem.state.Scratch(keys...)
	hist := c.stageHistory(ctx, typ, objs)
	var todo []decided
	for _, o := range objs {
		key := typ + "/" + o.ID
		// A version already decided, or one that only carries alusta's
		// own write, needs no second look; a newer one (a person's edit
		// that a webhook named after the record was read) does.
		if !c.forced[key] {
			if at, ok := c.seen[key]; ok && !o.UpdatedAt.After(at) {
				continue
			}
			if _, ok := c.seen[key]; ok && !o.UpdatedAt.After(d.mem.versions[key].Modified) {
				continue
			}
			if d.lagging(key, o) {
				c.sum.Lagging++
				continue
			}
		}
		delete(c.forced, key)
		c.seen[key] = o.UpdatedAt
		if o.Archived {
			if err := c.archive(ctx, typ, o.ID); err != nil {
				return err
			}
			view.Forget(typ, o.ID)
			continue
		}
		in := pipelines.Input{ObjectType: typ, Record: o, Owners: c.rs.owners, History: hist[o.ID],
			Providers: d.mem.providers, Activities: d.mem.activities}
		dec, change, err := c.rs.engine.Decide(in, view, now)
		if err != nil {
			c.sum.Errors++
			d.log.Warn("decide failed", "object", typ, "id", o.ID, "err", err)
			if rerr := d.store.RecordRejected(ctx, typ, o.ID, "", err.Error()); rerr != nil {
				return rerr
			}
			continue
		}
		view.Apply(change)
		c.sum.Decisions++
		for _, rule := range strings.Split(dec.Rule, ",") {
			// One series per route: with continue, several matched.
			d.metrics.decisions.WithLabelValues(typ, rule).Inc()
		}
		d.ruleProblems(typ, o.ID, dec.Problems)
		dropUnchanged(o, dec.Writes)
		if len(dec.Sticky) == 0 {
			keepExplanation(o, dec.Writes, c.rs.mapping.Written.Decision)
		}
		if typ == hubspot.Deals {
			if dec.Retry {
				d.mem.retry[o.ID] = true
			} else {
				delete(d.mem.retry, o.ID)
			}
		}
		d.mem.wakes.set(key, dec.NextWake)
		todo = append(todo, decided{obj: o, dec: dec, before: d.mem.state.Records[key], change: change})
	}
	return c.push(ctx, typ, todo, now)
}

// archive notes that a record was archived or deleted in HubSpot: the
// cache keeps it, marked, for reports; the engine stops counting it as open
// work and its clocks stop waking.
func (c *cycle) archive(ctx context.Context, typ, id string) error {
	d := c.d
	rec, ok, err := d.store.Record(ctx, typ, id)
	if err != nil {
		return fmt.Errorf("archive %s %s: %w", typ, id, err)
	}
	if ok && !rec.Archived {
		rec.Archived = true
		if now := d.now(); now.After(rec.UpdatedAt) {
			rec.UpdatedAt = now
		}
		if err := d.store.UpsertRecords(ctx, typ, []store.Record{rec}); err != nil {
			return fmt.Errorf("archive %s %s: %w", typ, id, err)
		}
		c.sum.Archived++
		d.log.Info("record archived in HubSpot", "object", typ, "id", id)
	}
	d.mem.state.Forget(typ, id)
	d.mem.wakes.set(typ+"/"+id, time.Time{})
	delete(d.mem.retry, id)
	return nil
}

// dropUnchanged removes writes that would change nothing. HubSpot stores an
// empty value as null, so "" and a missing value are the same.
func dropUnchanged(o hubspot.Object, writes map[string]string) {
	for prop, v := range writes {
		if cur, _ := o.Prop(prop); cur == v {
			delete(writes, prop)
		}
	}
}

// keepExplanation leaves the CRM's explanation alone when it is the only
// thing that would change: it tells staff why alusta last acted, and a
// later pass that changes nothing has no better story to tell. (A pass
// that leaves a person's change alone does, and says so.)
func keepExplanation(o hubspot.Object, writes map[string]string, prop string) {
	if len(writes) != 1 {
		return
	}
	if _, only := writes[prop]; !only {
		return
	}
	if cur, _ := o.Prop(prop); cur != "" {
		delete(writes, prop)
	}
}

// decided is a decision waiting to be pushed, with the record's engine
// memory from before it (for the SLA events) and the change to the
// engine's state that the push, once HubSpot takes it, confirms.
type decided struct {
	obj    hubspot.Object
	dec    pipelines.Decision
	before *pipelines.RecordState
	change pipelines.Change
}
