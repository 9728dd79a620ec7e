package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// WriteStatus says what became of a property write.
type WriteStatus string

// Write statuses.
const (
	WriteApplied          WriteStatus = "applied"
	WriteRejected         WriteStatus = "rejected"
	WriteSkippedUnchanged WriteStatus = "skipped_unchanged"
	WriteSkippedHuman     WriteStatus = "skipped_human"
)

// Write is one property write alusta made, tried or chose not to make.
// (ObjectType, RecordID, Property, New, DecisionID, Status) is its key: the
// same write logged again after a crash is not a second write.
type Write struct {
	ObjectType string
	RecordID   string
	Property   string
	Old        string
	New        string
	Rule       string
	DecisionID int64
	At         time.Time
	Status     WriteStatus
	// Reason is why HubSpot rejected it or why it was skipped.
	Reason string
}

// LastWrite is the value alusta last wrote to a property and when.
type LastWrite struct {
	Value string
	At    time.Time
}

// LogWrites logs writes in one transaction and returns how many were new.
// A zero At is the store's clock.
func (s *Store) LogWrites(ctx context.Context, writes []Write) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, w := range writes {
			switch w.Status {
			case WriteApplied, WriteRejected, WriteSkippedUnchanged, WriteSkippedHuman:
			default:
				return fmt.Errorf("%s %s %s: unknown status %q", w.ObjectType, w.RecordID, w.Property, w.Status)
			}
			at := w.At
			if at.IsZero() {
				at = s.now()
			}
			res, err := tx.ExecContext(ctx, `
INSERT INTO writes (object_type, record_id, property, old_value, new_value, rule, decision_id, status, reason, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (object_type, record_id, property, new_value, decision_id, status) DO NOTHING`,
				w.ObjectType, w.RecordID, w.Property, Redact(w.Old), Redact(w.New), w.Rule, w.DecisionID,
				string(w.Status), Redact(w.Reason), formatTime(at))
			if err != nil {
				return fmt.Errorf("%s %s %s: %w", w.ObjectType, w.RecordID, w.Property, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: log writes: %w", err)
	}
	return n, nil
}

// LastWritten maps each property of a record to the value alusta last
// wrote there successfully, so the engine can tell a human's later change.
func (s *Store) LastWritten(ctx context.Context, objectType, id string) (map[string]LastWrite, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT property, new_value, at FROM writes w
WHERE object_type = ? AND record_id = ? AND status = 'applied'
  AND id = (SELECT id FROM writes x WHERE x.object_type = w.object_type AND x.record_id = w.record_id
            AND x.property = w.property AND x.status = 'applied' ORDER BY x.at DESC, x.id DESC LIMIT 1)`, objectType, id)
	if err != nil {
		return nil, fmt.Errorf("store: last written %s %s: %w", objectType, id, err)
	}
	defer rows.Close()
	out := make(map[string]LastWrite)
	for rows.Next() {
		var p, v, at string
		if err := rows.Scan(&p, &v, &at); err != nil {
			return nil, fmt.Errorf("store: last written %s %s: %w", objectType, id, err)
		}
		t, err := ParseTime(at)
		if err != nil {
			return nil, fmt.Errorf("store: last written %s %s: %w", objectType, id, err)
		}
		out[p] = LastWrite{Value: v, At: t}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: last written %s %s: %w", objectType, id, err)
	}
	return out, nil
}

// Writes lists the logged writes of a record, oldest first.
func (s *Store) Writes(ctx context.Context, objectType, id string) ([]Write, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT property, old_value, new_value, rule, decision_id, status, reason, at FROM writes
WHERE object_type = ? AND record_id = ? ORDER BY at, id`, objectType, id)
	if err != nil {
		return nil, fmt.Errorf("store: writes %s %s: %w", objectType, id, err)
	}
	defer rows.Close()
	var out []Write
	for rows.Next() {
		w := Write{ObjectType: objectType, RecordID: id}
		var status, at string
		if err := rows.Scan(&w.Property, &w.Old, &w.New, &w.Rule, &w.DecisionID, &status, &w.Reason, &at); err != nil {
			return nil, fmt.Errorf("store: writes %s %s: %w", objectType, id, err)
		}
		w.Status = WriteStatus(status)
		if w.At, err = ParseTime(at); err != nil {
			return nil, fmt.Errorf("store: writes %s %s: %w", objectType, id, err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: writes %s %s: %w", objectType, id, err)
	}
	return out, nil
}

// Decision is what the rule engine decided for a record.
type Decision struct {
	ID          int64
	ObjectType  string
	RecordID    string
	Rule        string
	Queue       string
	OwnerID     string
	ProviderID  string
	Explanation string
	At          time.Time
	// Fingerprint identifies the decision's content; saving the same
	// fingerprint as the record's latest decision adds no history row.
	Fingerprint string
}

// SaveDecision appends a decision to the record's history unless it repeats
// the latest one, and returns the id of the stored (or repeated) decision.
func (s *Store) SaveDecision(ctx context.Context, d Decision) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var fp string
		err := tx.QueryRowContext(ctx, `SELECT id, fingerprint FROM decisions WHERE object_type = ? AND record_id = ? ORDER BY id DESC LIMIT 1`,
			d.ObjectType, d.RecordID).Scan(&id, &fp)
		if err == nil && d.Fingerprint != "" && fp == d.Fingerprint {
			return nil
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		at := d.At
		if at.IsZero() {
			at = s.now()
		}
		res, err := tx.ExecContext(ctx, `
INSERT INTO decisions (object_type, record_id, rule, queue, owner_id, provider_id, explanation, fingerprint, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ObjectType, d.RecordID, d.Rule, d.Queue, d.OwnerID, d.ProviderID,
			Redact(d.Explanation), d.Fingerprint, formatTime(at))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: save decision %s %s: %w", d.ObjectType, d.RecordID, err)
	}
	return id, nil
}

// Decisions returns the record's decision history, oldest first.
func (s *Store) Decisions(ctx context.Context, objectType, id string) ([]Decision, error) {
	return s.decisions(ctx, `WHERE object_type = ? AND record_id = ? ORDER BY id`, objectType, id)
}

func (s *Store) decisions(ctx context.Context, where string, args ...any) ([]Decision, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT id, object_type, record_id, rule, queue, owner_id, provider_id, explanation, fingerprint, at FROM decisions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: decisions: %w", err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		var at string
		if err := rows.Scan(&d.ID, &d.ObjectType, &d.RecordID, &d.Rule, &d.Queue, &d.OwnerID, &d.ProviderID,
			&d.Explanation, &d.Fingerprint, &at); err != nil {
			return nil, fmt.Errorf("store: decisions: %w", err)
		}
		if d.At, err = ParseTime(at); err != nil {
			return nil, fmt.Errorf("store: decisions: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: decisions: %w", err)
	}
	return out, nil
}
