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
}

// SaveSLACycles stores the cycles of one record in one transaction,
// replacing cycles with the same goal and number.
func (s *Store) SaveSLACycles(ctx context.Context, objectType, id string, cycles []SLACycle) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.saveSLACycles(ctx, tx, objectType, id, cycles) })
	if err != nil {
		return fmt.Errorf("store: save sla cycles %s %s: %w", objectType, id, err)
	}
	return nil
}

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
    business_elapsed_seconds, due_at, status, calendar, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (object_type, record_id, goal, cycle) DO UPDATE SET
    started_at = excluded.started_at, stopped_at = excluded.stopped_at,
    paused_seconds = excluded.paused_seconds, business_elapsed_seconds = excluded.business_elapsed_seconds,
    due_at = excluded.due_at, status = excluded.status, calendar = excluded.calendar, updated_at = excluded.updated_at`,
			objectType, id, Redact(c.Goal), c.Cycle, formatTime(c.StartedAt), formatTimePtr(c.StoppedAt), c.PausedSeconds,
			c.BusinessElapsedSeconds, formatTimePtr(c.DueAt), c.Status, Redact(c.Calendar), now); err != nil {
			return fmt.Errorf("goal %s cycle %d: %w", c.Goal, c.Cycle, err)
		}
	}
	return nil
}

// SLACycles returns a record's cycles ordered by goal and cycle.
func (s *Store) SLACycles(ctx context.Context, objectType, id string) ([]SLACycle, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT goal, cycle, started_at, stopped_at, paused_seconds, business_elapsed_seconds, due_at, status, calendar
FROM sla_cycles WHERE object_type = ? AND record_id = ? ORDER BY goal, cycle`, objectType, id)
	if err != nil {
		return nil, fmt.Errorf("store: sla cycles %s %s: %w", objectType, id, err)
	}
	defer rows.Close()
	var out []SLACycle
	for rows.Next() {
		var c SLACycle
		var started string
		var stopped, due sql.NullString
		if err := rows.Scan(&c.Goal, &c.Cycle, &started, &stopped, &c.PausedSeconds, &c.BusinessElapsedSeconds, &due, &c.Status, &c.Calendar); err != nil {
			return nil, fmt.Errorf("store: sla cycles %s %s: %w", objectType, id, err)
		}
		if c.StartedAt, err = ParseTime(started); err == nil {
			if c.StoppedAt, err = parseTimePtr(stopped); err == nil {
				c.DueAt, err = parseTimePtr(due)
			}
		}
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

// SaveSLAEvents appends events; an event already stored is not repeated.
func (s *Store) SaveSLAEvents(ctx context.Context, events []SLAEvent) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return saveSLAEvents(ctx, tx, events) }); err != nil {
		return fmt.Errorf("store: save sla events: %w", err)
	}
	return nil
}

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
