package daemon

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// Gaps are what a reconcile found between HubSpot and the cache for one
// object type.
type Gaps struct {
	// Missing records were in HubSpot but never reached the cache.
	Missing int
	// Stale records changed in HubSpot after the cached version.
	Stale int
	// Gone records were cached but are archived or deleted in HubSpot.
	Gone int
}

func (g Gaps) String() string {
	return fmt.Sprintf("missing %d, stale %d, gone %d", g.Missing, g.Stale, g.Gone)
}

// Reconcile compares every record HubSpot holds with the cache. The
// incremental sync should leave no gap; the reconcile is the check that it
// did, and the repair where it did not: missing and stale records are read
// and decided, gone ones marked archived. It runs between cycles, never
// beside one.
func (d *Daemon) Reconcile(ctx context.Context) (map[string]Gaps, error) {
	d.cycleMu.Lock()
	defer d.cycleMu.Unlock()
	c := &cycle{d: d, rs: d.rules.Load(), seen: make(map[string]bool), began: d.now()}
	if c.rs == nil {
		return nil, fmt.Errorf("reconcile: Prepare has not run")
	}
	out := make(map[string]Gaps)
	for _, typ := range []string{hubspot.Companies, hubspot.Tickets, hubspot.Deals} {
		g, err := c.reconcile(ctx, typ)
		if err != nil {
			return out, fmt.Errorf("reconcile %s: %w", typ, err)
		}
		out[typ] = g
		d.metrics.gaps.WithLabelValues(typ, "missing").Add(float64(g.Missing))
		d.metrics.gaps.WithLabelValues(typ, "stale").Add(float64(g.Stale))
		d.metrics.gaps.WithLabelValues(typ, "gone").Add(float64(g.Gone))
		if g != (Gaps{}) {
			d.log.Warn("reconcile found gaps", "object", typ, "missing", g.Missing, "stale", g.Stale, "gone", g.Gone)
		} else {
			d.log.Info("reconcile found no gaps", "object", typ)
		}
	}
	if err := d.saveState(ctx); err != nil {
		return out, err
	}
	return out, nil
}

// RunReconcile runs Reconcile on the schedule of Options.Reconcile until
// ctx ends, as report.Scheduler runs the nightly export. Reconcile logs
// what it found; a failure is logged here and does not stop the schedule.
func (d *Daemon) RunReconcile(ctx context.Context) error {
	if d.reconcile == nil {
		return nil
	}
	for {
		now := d.now()
		t := time.NewTimer(d.reconcile.Next(now).Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if _, err := d.Reconcile(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("reconcile failed", "err", err)
		}
	}
}

func (c *cycle) reconcile(ctx context.Context, typ string) (Gaps, error) {
	d := c.d
	remote := make(map[string]time.Time)
	err := d.client.Changed(ctx, typ, time.Time{}, []string{hubspot.PropLastModified}, func(page []hubspot.Object, _ time.Time) error {
		for _, o := range page {
			remote[o.ID] = o.UpdatedAt
		}
		return nil
	})
	if err != nil {
		return Gaps{}, err
	}
	local, err := d.store.Records(ctx, typ, store.Filter{})
	if err != nil {
		return Gaps{}, err
	}
	var g Gaps
	var read, gone []string
	cached := make(map[string]bool, len(local))
	for _, r := range local {
		cached[r.ID] = true
		at, ok := remote[r.ID]
		switch {
		case !ok:
			// Absent from search: archived, deleted, or too new for the
			// index. A read by id tells which.
			gone = append(gone, r.ID)
		case at.After(r.UpdatedAt):
			g.Stale++
			read = append(read, r.ID)
		}
	}
	for id := range remote {
		if !cached[id] {
			g.Missing++
			read = append(read, id)
		}
	}
	sort.Strings(read)
	before := c.sum.Archived
	if err := c.readAndProcess(ctx, typ, append(read, gone...)); err != nil {
		return g, err
	}
	g.Gone = c.sum.Archived - before
	return g, nil
}
