package daemon

import (
	"time"

	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// slaEvents are the clock changes between two decisions: a cycle started,
// or its status moved (warning, breached, met, paused, resumed).
func slaEvents(typ, id string, before, after []pipelines.SLACycle, now time.Time) []store.SLAEvent {
	type cycleKey struct {
		policy string
		start  int64
	}
	old := make(map[cycleKey]string, len(before))
	for _, c := range before {
		old[cycleKey{c.Policy, c.Start.UnixNano()}] = c.Status
	}
	n := make(map[string]int)
	var out []store.SLAEvent
	for _, c := range after {
		n[c.Policy]++
		if c.Cycle > 0 {
			n[c.Policy] = c.Cycle
		}
		prev, seen := old[cycleKey{c.Policy, c.Start.UnixNano()}]
		kind := c.Status
		switch {
		case !seen:
			kind = "started"
		case prev == c.Status:
			continue
		case prev == store.SLAPaused && c.Status == store.SLARunning:
			kind = "resumed"
		}
		out = append(out, store.SLAEvent{ObjectType: typ, RecordID: id, Goal: c.Policy, Cycle: n[c.Policy], Kind: kind, At: now})
		if !seen && c.Status != store.SLARunning {
			out = append(out, store.SLAEvent{ObjectType: typ, RecordID: id, Goal: c.Policy, Cycle: n[c.Policy], Kind: c.Status, At: now})
		}
	}
	return out
}

// slaCycles numbers each policy's cycles from 1, oldest first.
func slaCycles(in []pipelines.SLACycle) []store.SLACycle {
	n := make(map[string]int)
	out := make([]store.SLACycle, 0, len(in))
	for _, s := range in {
		n[s.Policy]++
		if s.Cycle > 0 {
			// The engine's own number: a decision need not carry every
			// cycle of the record.
			n[s.Policy] = s.Cycle
		}
		sc := store.SLACycle{
			Goal: s.Policy, Cycle: n[s.Policy], StartedAt: s.Start,
			BusinessElapsedSeconds: int64(s.Elapsed / time.Second), Status: s.Status, Calendar: s.Calendar,
			PausedSeconds: int64(s.PausedFor / time.Second),
		}
		if !s.Due.IsZero() {
			due := s.Due
			sc.DueAt = &due
		}
		if !s.Stopped.IsZero() {
			st := s.Stopped
			sc.StoppedAt = &st
		}
		out = append(out, sc)
	}
	return out
}
