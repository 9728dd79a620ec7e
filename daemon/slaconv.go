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

// slaCycles are the cycles a decision carries as the store keeps them,
// each policy's numbered from 1, oldest first, and placed as in all, the
// record's cycles in the engine's memory after the decision.
func slaCycles(in, all []pipelines.SLACycle) []store.SLACycle {
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
			GoalName:      s.Goal, Target: s.Target, Elapsed: s.Elapsed, PausedFor: s.PausedFor,
			LastSeen: s.LastSeen, Paused: s.Paused, Acted: s.Acted, Position: len(all),
		}
		for i, a := range all {
			if a.Policy == s.Policy && a.Start.Equal(s.Start) {
				sc.Position = i
				break
			}
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

// engineCycles are a record's cycles as the store keeps them, in the
// engine's form: what the engine's state is rebuilt from.
func engineCycles(in []store.SLACycle) []pipelines.SLACycle {
	out := make([]pipelines.SLACycle, len(in))
	for i, c := range in {
		e := pipelines.SLACycle{
			Policy: c.Goal, Cycle: c.Cycle, Goal: c.GoalName, Calendar: c.Calendar, Target: c.Target,
			Start: c.StartedAt, LastSeen: c.LastSeen, Elapsed: c.Elapsed, PausedFor: c.PausedFor,
			Paused: c.Paused, Status: c.Status, Acted: c.Acted,
		}
		if c.DueAt != nil {
			e.Due = *c.DueAt
		}
		if c.StoppedAt != nil {
			e.Stopped = *c.StoppedAt
		}
		if e.LastSeen.IsZero() {
			// A row saved before the clock's last look was kept: it
			// was last advanced when it stopped, or it started.
			e.LastSeen = e.Start
			if !e.Stopped.IsZero() {
				e.LastSeen = e.Stopped
			}
		}
		out[i] = e
	}
	return out
}
