package daemon

import (
	"container/heap"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// wakeQueue holds each record's next SLA deadline, earliest first, so the
// loop sleeps until the next one instead of scanning every record.
type wakeQueue struct {
	items []*wake
	index map[string]*wake
}

type wake struct {
	key string
	at  time.Time
	i   int
}

// set replaces key's deadline; a zero time removes it.
func (q *wakeQueue) set(key string, at time.Time) {
	if q.index == nil {
		q.index = make(map[string]*wake)
	}
	w, ok := q.index[key]
	switch {
	case at.IsZero() && ok:
		heap.Remove((*wakeHeap)(q), w.i)
		delete(q.index, key)
	case at.IsZero():
	case ok:
		w.at = at
		heap.Fix((*wakeHeap)(q), w.i)
	default:
		w = &wake{key: key, at: at}
		q.index[key] = w
		heap.Push((*wakeHeap)(q), w)
	}
}

// next is the earliest deadline, or false when there is none.
func (q *wakeQueue) next() (time.Time, bool) {
	if len(q.items) == 0 {
		return time.Time{}, false
	}
	return q.items[0].at, true
}

// due removes and returns the keys whose deadline is at or before now.
func (q *wakeQueue) due(now time.Time) []string {
	var keys []string
	for len(q.items) > 0 && !q.items[0].at.After(now) {
		w := heap.Pop((*wakeHeap)(q)).(*wake)
		delete(q.index, w.key)
		keys = append(keys, w.key)
	}
	return keys
}

// wakeHeap is wakeQueue seen by container/heap.
type wakeHeap wakeQueue

func (h *wakeHeap) Len() int           { return len(h.items) }
func (h *wakeHeap) Less(i, j int) bool { return h.items[i].at.Before(h.items[j].at) }
func (h *wakeHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].i, h.items[j].i = i, j
}
func (h *wakeHeap) Push(x any) {
	w := x.(*wake)
	w.i = len(h.items)
	h.items = append(h.items, w)
}
func (h *wakeHeap) Pop() any {
	old := h.items
	w := old[len(old)-1]
	h.items = old[:len(old)-1]
	return w
}

// dueWakes decides again the records whose SLA deadline has come.
func (c *cycle) dueWakes(ctx context.Context) error {
	now := c.d.now()
	due := c.d.mem.wakes.due(now)
	byType := make(map[string][]string)
	for _, key := range due {
		typ, id, _ := strings.Cut(key, "/")
		byType[typ] = append(byType[typ], id)
	}
	types := []string{hubspot.Tickets, hubspot.Deals}
	for i, typ := range types {
		if err := c.readAndProcess(ctx, typ, byType[typ]); err != nil {
			// Put back, still due, what this read and those after it
			// had taken: nothing else wakes an unchanged record, so its
			// warning and breach would wait for its next edit.
			for _, rest := range types[i:] {
				for _, id := range byType[rest] {
					c.d.mem.wakes.set(rest+"/"+id, now)
				}
			}
			return fmt.Errorf("sla deadlines: %w", err)
		}
	}
	return nil
}

// retryUnassigned decides unassigned orders again when the providers
// changed in a way assignment depends on.
func (c *cycle) retryUnassigned(ctx context.Context) error {
	d := c.d
	fp := pipelines.ProvidersFingerprint(d.mem.providers)
	if fp == d.mem.providerFP {
		return nil
	}
	if d.mem.providerFP == "" || len(d.mem.retry) == 0 {
		d.mem.providerFP = fp
		return nil
	}
	ids := make([]string, 0, len(d.mem.retry))
	for id := range d.mem.retry {
		ids = append(ids, id)
	}
	d.log.Info("providers changed: deciding unassigned orders again", "orders", len(ids))
	if err := c.readAndProcess(ctx, hubspot.Deals, ids); err != nil {
		// The providers count as seen only once the orders are decided
		// against them: the next full cycle tries again.
		return err
	}
	d.mem.providerFP = fp
	return nil
}

// rebuildWakes fills the deadline queue from the engine state once at
// start; after that each decision updates its own entry. The state keeps
// due times but not warning times, so every record with a running clock is
// decided once in the first cycle, which sets its exact next wake.
func (d *Daemon) rebuildWakes() {
	d.mem.wakes = wakeQueue{}
	now := d.now()
	for key, r := range d.mem.state.Records {
		for _, s := range r.SLA {
			if s.Stopped.IsZero() && !s.Paused && s.Status != store.SLABreached && s.Status != store.SLAMet {
				d.mem.wakes.set(key, now)
				break
			}
		}
	}
}
