package daemon

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// decideAndPush decides each record and pushes the results in batches.
// The records are decided against a working copy of the engine's state,
// each seeing the decisions before it; the engine's own state takes a
// decision's change only once HubSpot has taken its writes (push). fresh
// says the records were read by id rather than found by a search.
func (c *cycle) decideAndPush(ctx context.Context, typ string, objs []hubspot.Object, fresh bool) error {
	d := c.d
	now := d.now()
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = typ + "/" + o.ID
	}
	view := d.mem.state.Scratch(keys...)
	hist := c.stageHistory(ctx, typ, objs)
	var todo []decided
	var observed []string
	for _, o := range objs {
		key := typ + "/" + o.ID
		// A webhook named a person's change to a forced record: it is
		// decided on the version read by id whatever was seen before.
		if !c.forced[key] {
			if skip, same := c.nothingNew(key, o, fresh); skip {
				if same && !o.Archived {
					// The engine counts open work by a record's values
					// as read before its decision's writes: alusta's
					// own version, read back, brings the counts up to
					// them.
					in := pipelines.Input{ObjectType: typ, Record: o}
					c.rs.engine.Observe(in, view)
					c.rs.engine.Observe(in, d.mem.state)
					observed = append(observed, key)
				}
				continue
			}
		}
		delete(c.forced, key)
		c.seen[key] = true
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
		landed := c.landed(typ, o, dec, change, now)
		view.Apply(change)
		c.sum.Decisions++
		for _, rule := range strings.Split(dec.Rule, ",") {
			// One series per route: with continue, several matched.
			d.metrics.decisions.WithLabelValues(typ, rule).Inc()
		}
		d.ruleProblems(typ, o.ID, dec.Problems)
		dropUnchanged(o, &dec.Writes)
		// A pass that leaves a person's change alone, or makes a service
		// order, has a new story to tell.
		if len(dec.Sticky) == 0 && dec.Order == nil {
			keepExplanation(o, &dec.Writes, c.rs.mapping.Outputs.Decision)
		}
		if typ == hubspot.Deals {
			if dec.Retry {
				d.mem.retry[o.ID] = true
			} else {
				delete(d.mem.retry, o.ID)
			}
		}
		d.mem.wakes.set(key, dec.NextWake)
		todo = append(todo, decided{obj: o, dec: dec, before: d.mem.state.Records[key], change: change, landed: landed})
	}
	return c.push(ctx, typ, todo, observed, now)
}

// nothingNew reports whether a read of a record brings nothing to decide,
// and whether it is the very version alusta last decided or wrote
// (decidedAlready), which it has to hash the values to tell.
// A read older than a version alusta already decided or wrote is the
// search index lagging (see lagging). The very version alusta last decided
// or wrote, value for value, is nothing new when search finds it again
// (alusta reads its own writes back in the next cycle): deciding it anew
// could only act on a stale read, since a person's edit the index has not
// caught up with is not in it, and would write over that edit. What time
// alone changes (an SLA deadline) or the providers change reaches such a
// record through a read by id (wakes, retries), which is fresh; that read
// is decided unless this cycle decided the record already.
func (c *cycle) nothingNew(key string, o hubspot.Object, fresh bool) (skip, same bool) {
	if c.d.lagging(key, o) {
		c.sum.Lagging++
		return true, false
	}
	same = c.d.decidedAlready(key, o)
	return same && (!fresh || c.seen[key]), same
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
func dropUnchanged(o hubspot.Object, writes *pipelines.Values) {
	*writes = slices.DeleteFunc(*writes, func(w pipelines.Value) bool {
		cur, _ := o.Prop(w.Prop)
		return cur == w.Value
	})
}

// keepExplanation leaves the CRM's explanation alone when it is the only
// thing that would change: it tells staff why alusta last acted, and a
// later pass that changes nothing has no better story to tell. (A pass
// that leaves a person's change alone does, and says so.)
func keepExplanation(o hubspot.Object, writes *pipelines.Values, prop string) {
	if len(*writes) != 1 || !writes.Has(prop) {
		return
	}
	if cur, _ := o.Prop(prop); cur != "" {
		writes.Delete(prop)
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
	// landed are writes of a batch whose answer was lost, found in the
	// record read back (see settleInflight).
	landed []store.Write
}

// landed finds, in a record read back after a batch update whose answer
// was lost, the writes of that batch that HubSpot applied. They are logged
// as alusta's (the write log holds every write made), and the engine
// remembers them as written, so a person's later change to one is seen as
// a person's. A landed value the decision writes anew is remembered by
// the decision itself.
func (c *cycle) landed(typ string, o hubspot.Object, dec pipelines.Decision, change pipelines.Change, now time.Time) []store.Write {
	if c.settling.Type != typ {
		return nil
	}
	s, ok := c.settling.Sent[o.ID]
	if !ok {
		return nil
	}
	w := c.rs.mapping.Outputs
	var out []store.Write
	for _, prop := range slices.Sorted(maps.Keys(s.New)) {
		cur, _ := o.Prop(prop)
		if echoSum(cur) != s.New[prop] {
			continue // not applied, or changed since: the decision sees it
		}
		c.landedN++
		out = append(out, store.Write{ObjectType: typ, RecordID: o.ID, Property: prop, Old: s.Old[prop], New: cur,
			Rule: s.Rule, At: now, Status: store.WriteApplied, Reason: "read back: HubSpot's answer to the batch was lost"})
		if _, again := dec.Writes.Lookup(prop); again || prop == w.Decision || prop == w.SLADue || prop == w.SLAStatus {
			continue // the explanation and SLA fields are never remembered
		}
		change.Wrote(prop, cur)
	}
	return out
}
