package daemon

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// Enqueue asks for a targeted read of records a webhook named; the loop
// wakes at once. A change that only echoes alusta's own write is dropped:
// HubSpot notifies the app of its own writes too, and reading each of them
// back would double the calls of every push.
func (d *Daemon) Enqueue(cs []Change) {
	n := 0
	d.pendingMu.Lock()
	now := d.now()
	expired := now.Add(-echoTTL).UnixNano()
	for k, es := range d.echoes {
		es = slices.DeleteFunc(es, func(e echo) bool { return e.at < expired })
		if len(es) == 0 {
			delete(d.echoes, k)
		} else {
			d.echoes[k] = es
		}
	}
	over := 0
	for _, c := range cs {
		if c.Property != "" {
			if e, ok := findEcho(d.echoes[c.ObjectType+"/"+c.ID], c.Property); ok && e.sum == echoSum(c.Value) {
				continue
			}
		}
		if d.pending[c.Target] {
			continue
		}
		if len(d.pending) >= d.maxPending {
			over++
			continue
		}
		d.pending[c.Target] = true
		n++
	}
	first := over > 0 && !d.overflow
	if over > 0 {
		d.overflow = true
	}
	d.pendingMu.Unlock()
	if first {
		d.log.Warn("webhook targets over the cap: the next cycle pulls every change instead of reading records by id",
			"cap", d.maxPending)
	}
	if n == 0 && over == 0 {
		return
	}
	d.metrics.webhookTargets.Add(float64(n))
	d.metrics.webhookOver.Add(float64(over))
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// maxPendingTargets caps the records webhooks have named and no cycle has
// read yet (about 100 bytes each). A bulk change in HubSpot (an import, a
// workflow over every ticket) names more than reading them by id is worth:
// beyond the cap the next cycle is a full one, whose incremental pull finds
// the same changes in pages of 200.
const maxPendingTargets = 50_000

// overflowed reports, and forgets, whether webhook targets were left out
// because the pending set was full: the cycle about to run must then be a
// full one.
func (d *Daemon) overflowed() bool {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	o := d.overflow
	d.overflow = false
	return o
}

// echoTTL bounds how long a write is remembered for recognising its
// webhook echo; HubSpot delivers within seconds, retries within minutes.
const echoTTL = 15 * time.Minute

// echo is a write awaiting its webhook. It keeps a hash of the value, not
// the value: a first sync writes every record, explanations included, and
// the values would hold a quarter of the daemon's memory for echoTTL.
// Echoes are kept by record ("tickets/123"), one per property written,
// with the time as Unix nanoseconds: a first sync writes four properties
// of every record, and a map entry with its own key string per property
// was the largest part of what the daemon held after it.
type echo struct {
	prop string
	sum  uint64
	at   int64
}

// findEcho returns the echo of prop among a record's echoes.
func findEcho(es []echo, prop string) (echo, bool) {
	for _, e := range es {
		if e.prop == prop {
			return e, true
		}
	}
	return echo{}, false
}

// expectEchoes notes writes about to be sent, to recognise their webhooks.
func (d *Daemon) expectEchoes(typ, id string, writes map[string]string) {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	at := d.now().UnixNano()
	key := typ + "/" + id
	es := d.echoes[key]
	if es == nil {
		es = make([]echo, 0, len(writes))
	}
	for prop, v := range writes {
		e := echo{prop: prop, sum: echoSum(v), at: at}
		if i := slices.IndexFunc(es, func(e echo) bool { return e.prop == prop }); i >= 0 {
			es[i] = e
		} else {
			es = append(es, e)
		}
	}
	if len(es) > 0 {
		d.echoes[key] = es
	}
}

// forgetEchoes drops the expectation of writes that did not land.
func (d *Daemon) forgetEchoes(typ, id string, writes map[string]string) {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	key := typ + "/" + id
	es := slices.DeleteFunc(d.echoes[key], func(e echo) bool {
		_, ok := writes[e.prop]
		return ok
	})
	if len(es) == 0 {
		delete(d.echoes, key)
	} else {
		d.echoes[key] = es
	}
}

func (c *cycle) webhookTargets(ctx context.Context) error {
	d := c.d
	d.pendingMu.Lock()
	byType := make(map[string][]string)
	for t := range d.pending {
		byType[t.ObjectType] = append(byType[t.ObjectType], t.ID)
	}
	d.pending = make(map[Target]bool)
	d.pendingMu.Unlock()
	if c.forced == nil {
		c.forced = make(map[string]bool)
	}
	for typ, ids := range byType {
		for _, id := range ids {
			c.forced[typ+"/"+id] = true
		}
	}
	for _, typ := range []string{hubspot.Companies, hubspot.Tickets, hubspot.Deals} {
		if err := c.readAndProcess(ctx, typ, byType[typ]); err != nil {
			// Put them back: polling would find them anyway, but sooner
			// is what the webhook was for.
			d.requeue(typ, byType[typ])
			return fmt.Errorf("webhook reads: %w", err)
		}
	}
	return nil
}

func (d *Daemon) requeue(typ string, ids []string) {
	cs := make([]Change, len(ids))
	for i, id := range ids {
		cs[i] = Change{Target: Target{ObjectType: typ, ID: id}}
	}
	d.Enqueue(cs)
}

// echoSum is the hash an echo keeps of a written value.
func echoSum(v string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(v))
	return h.Sum64()
}
