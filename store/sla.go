package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SLA statuses, as alusta writes them to alusta_sla_status.
const (
	SLARunning  = "running"
	SLAWarning  = "warning"
	SLAPaused   = "paused"
	SLABreached = "breached"
	SLAMet      = "met"
)

// SLACycle is one run of one SLA goal on a record: a ticket reopened starts
// a new cycle. Business time is computed by the rule engine on its calendar;
// the store and the reports only keep and aggregate the seconds.
//
// The table is the one record of SLA clocks: the rule engine's state is
// rebuilt from it, so a cycle also keeps what the engine needs to go on
// counting (the fields after Calendar).
type SLACycle struct {
	Goal                   string
	Cycle                  int
	StartedAt              time.Time
	StoppedAt              *time.Time
	PausedSeconds          int64
	BusinessElapsedSeconds int64
	DueAt                  *time.Time
	Status                 string
	Calendar               string

	// GoalName is the goal the cycle is measured against (Goal names the
	// policy), and Target its business time.
	GoalName string
	Target   time.Duration
	// Elapsed and PausedFor are the exact business times the seconds
	// above round down.
	Elapsed, PausedFor time.Duration
	// LastSeen is when the clock was last advanced; zero when unknown.
	LastSeen time.Time
	Paused   bool
	// Acted says the breach actions ran.
	Acted bool
	// Position orders a record's cycles as the engine keeps them.
	Position int
}

// saveSLACycles stores the cycles of one record, replacing cycles with the
// same goal and number.
func (s *Store) saveSLACycles(ctx context.Context, tx *sql.Tx, objectType, id string, cycles []SLACycle) error {
	now := formatTime(s.now())
	for _, c := range cycles {
		switch c.Status {
		case SLARunning, SLAWarning, SLAPaused, SLABreached, SLAMet:
		default:
			return fmt.Errorf("goal %s cycle %d: unknown status %q", c.Goal, c.Cycle, c.Status)
		}
		if _, err := tx.ExecContext(ctx, `
INSERT INTO sla_cycles (object_type, record_id, goal, cycle, started_at, stopped_at, paused_seconds,
    business_elapsed_seconds, due_at, status, calendar, updated_at,
    goal_name, target_ns, elapsed_ns, paused_ns, started_ns, due_ns, stopped_ns, seen_ns, paused, acted, position)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (object_type, record_id, goal, cycle) DO UPDATE SET
    started_at = excluded.started_at, stopped_at = excluded.stopped_at,
    paused_seconds = excluded.paused_seconds, business_elapsed_seconds = excluded.business_elapsed_seconds,
    due_at = excluded.due_at, status = excluded.status, calendar = excluded.calendar, updated_at = excluded.updated_at,
    goal_name = excluded.goal_name, target_ns = excluded.target_ns, elapsed_ns = excluded.elapsed_ns,
    paused_ns = excluded.paused_ns, started_ns = excluded.started_ns, due_ns = excluded.due_ns,
    stopped_ns = excluded.stopped_ns, seen_ns = excluded.seen_ns, paused = excluded.paused,
    acted = excluded.acted, position = excluded.position`,
			objectType, id, Redact(c.Goal), c.Cycle, formatTime(c.StartedAt), formatTimePtr(c.StoppedAt), c.PausedSeconds,
			c.BusinessElapsedSeconds, formatTimePtr(c.DueAt), c.Status, Redact(c.Calendar), now,
			Redact(c.GoalName), int64(c.Target), int64(c.Elapsed), int64(c.PausedFor),
			unixNano(c.StartedAt), unixNanoPtr(c.DueAt), unixNanoPtr(c.StoppedAt), unixNano(c.LastSeen),
			c.Paused, c.Acted, c.Position); err != nil {
			return fmt.Errorf("goal %s cycle %d: %w", c.Goal, c.Cycle, err)
		}
	}
	return nil
}

// slaCycleColumns are the columns scanSLACycle reads, in its order.
const slaCycleColumns = `object_type, record_id, goal, cycle, started_at, stopped_at, paused_seconds,
    business_elapsed_seconds, due_at, status, calendar, goal_name, target_ns, elapsed_ns, paused_ns,
    started_ns, due_ns, stopped_ns, seen_ns, paused, acted, position`

// slaCycleOrder orders a record's cycles as the engine keeps them; rows
// saved before positions were kept come in the order they started.
const slaCycleOrder = `position, started_at, goal, cycle`

func scanSLACycle(rows *sql.Rows) (typ, id string, c SLACycle, err error) {
	var started string
	var stopped, due sql.NullString
	var target, elapsed, paused, startedNS, dueNS, stoppedNS, seenNS int64
	if err := rows.Scan(&typ, &id, &c.Goal, &c.Cycle, &started, &stopped, &c.PausedSeconds, &c.BusinessElapsedSeconds,
		&due, &c.Status, &c.Calendar, &c.GoalName, &target, &elapsed, &paused,
		&startedNS, &dueNS, &stoppedNS, &seenNS, &c.Paused, &c.Acted, &c.Position); err != nil {
		return "", "", c, err
	}
	c.Target, c.Elapsed, c.PausedFor = time.Duration(target), time.Duration(elapsed), time.Duration(paused)
	if c.StartedAt, err = ParseTime(started); err != nil {
		return "", "", c, err
	}
	if c.StoppedAt, err = parseTimePtr(stopped); err != nil {
		return "", "", c, err
	}
	if c.DueAt, err = parseTimePtr(due); err != nil {
		return "", "", c, err
	}
	// The exact times, where kept, replace the milliseconds.
	exact := func(t *time.Time, ns int64) {
		if ns != 0 && t != nil {
			*t = time.Unix(0, ns).UTC()
		}
	}
	exact(&c.StartedAt, startedNS)
	exact(c.DueAt, dueNS)
	exact(c.StoppedAt, stoppedNS)
	if seenNS != 0 {
		c.LastSeen = time.Unix(0, seenNS).UTC()
	}
	return typ, id, c, nil
}

// unixNano is t in nanoseconds since 1970; 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func unixNanoPtr(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return unixNano(*t)
}

// SLACycles returns a record's cycles in the engine's order.
func (s *Store) SLACycles(ctx context.Context, objectType, id string) ([]SLACycle, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+slaCycleColumns+`
FROM sla_cycles WHERE object_type = ? AND record_id = ? ORDER BY `+slaCycleOrder, objectType, id)
	if err != nil {
		return nil, fmt.Errorf("store: sla cycles %s %s: %w", objectType, id, err)
	}
	defer rows.Close()
	var out []SLACycle
	for rows.Next() {
		_, _, c, err := scanSLACycle(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sla cycles %s %s: %w", objectType, id, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sla cycles %s %s: %w", objectType, id, err)
	}
	return out, nil
}

// EachSLACycles calls fn with the cycles of every record that has any, a
// record at a time, each record's cycles in the engine's order.
func (s *Store) EachSLACycles(ctx context.Context, fn func(objectType, id string, cycles []SLACycle) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+slaCycleColumns+`
FROM sla_cycles ORDER BY object_type, record_id, `+slaCycleOrder)
	if err != nil {
		return fmt.Errorf("store: sla cycles: %w", err)
	}
	defer rows.Close()
	var typ, id string
	var cycles []SLACycle
	for rows.Next() {
		t, i, c, err := scanSLACycle(rows)
		if err != nil {
			return fmt.Errorf("store: sla cycles: %w", err)
		}
		if (t != typ || i != id) && len(cycles) > 0 {
			if err := fn(typ, id, cycles); err != nil {
				return err
			}
			cycles = nil
		}
		typ, id = t, i
		cycles = append(cycles, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: sla cycles: %w", err)
	}
	if len(cycles) > 0 {
		return fn(typ, id, cycles)
	}
	return nil
}

// SLAEvent is a status change of an SLA cycle.
type SLAEvent struct {
	ObjectType string
	RecordID   string
	Goal       string
	Cycle      int
	// Kind is started, warning, breached, met, paused or resumed.
	Kind string
	At   time.Time
}

// saveSLAEvents appends events; an event already stored is not repeated.
func saveSLAEvents(ctx context.Context, tx *sql.Tx, events []SLAEvent) error {
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO sla_events (object_type, record_id, goal, cycle, kind, at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`, e.ObjectType, e.RecordID, Redact(e.Goal), e.Cycle, e.Kind, formatTime(e.At)); err != nil {
			return fmt.Errorf("%s %s %s: %w", e.ObjectType, e.RecordID, e.Kind, err)
		}
	}
	return nil
}

// SLAEvents lists a record's events in time order.
func (s *Store) SLAEvents(ctx context.Context, objectType, id string) ([]SLAEvent, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT goal, cycle, kind, at FROM sla_events WHERE object_type = ? AND record_id = ? ORDER BY at, id`, objectType, id)
	if err != nil {
		return nil, fmt.Errorf("store: sla events %s %s: %w", objectType, id, err)
	}
	defer rows.Close()
	var out []SLAEvent
	for rows.Next() {
		e := SLAEvent{ObjectType: objectType, RecordID: id}
		var at string
		if err := rows.Scan(&e.Goal, &e.Cycle, &e.Kind, &at); err != nil {
			return nil, fmt.Errorf("store: sla events %s %s: %w", objectType, id, err)
		}
		if e.At, err = ParseTime(at); err != nil {
			return nil, fmt.Errorf("store: sla events %s %s: %w", objectType, id, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sla events %s %s: %w", objectType, id, err)
	}
	return out, nil
}
