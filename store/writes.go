package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// logWrites logs writes and returns how many were new: the same write
// logged again (a page replayed after a crash) is not a second one. A zero
// At is the store's clock.
func (s *Store) logWrites(ctx context.Context, tx *sql.Tx, writes []Write) (int, error) {
	n := 0
	stmt, err := tx.PrepareContext(ctx, `
INSERT INTO writes (object_type, record_id, property, old_value, new_value, rule, decision_id, status, reason, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (object_type, record_id, property, new_value, decision_id, status) DO NOTHING`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	err = func() error {
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
			res, err := stmt.ExecContext(ctx,
				w.ObjectType, Redact(w.RecordID), Redact(w.Property), Redact(w.Old), Redact(w.New), Redact(w.Rule), w.DecisionID,
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
	}()
	return n, err
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

// latestDecision is a record's latest stored decision: its id and
// fingerprint.
type latestDecision struct {
	id          int64
	fingerprint string
}

// latestDecisions looks up the latest decision of each record in ids with
// one query.
func latestDecisions(ctx context.Context, tx *sql.Tx, objectType string, ids []string) (map[string]latestDecision, error) {
	out := make(map[string]latestDecision, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, objectType)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, `
SELECT record_id, id, fingerprint FROM decisions WHERE id IN (
    SELECT MAX(id) FROM decisions WHERE object_type = ? AND record_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
    GROUP BY record_id)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var l latestDecision
		if err := rows.Scan(&id, &l.id, &l.fingerprint); err != nil {
			return nil, err
		}
		out[id] = l
	}
	return out, rows.Err()
}

// saveDecision appends d unless it repeats latest, the record's latest
// decision, and returns the id of the stored (or repeated) decision.
func (s *Store) saveDecision(ctx context.Context, tx *sql.Tx, d Decision, latest latestDecision) (int64, error) {
	if latest.id != 0 && d.Fingerprint != "" && latest.fingerprint == d.Fingerprint {
		return latest.id, nil
	}
	at := d.At
	if at.IsZero() {
		at = s.now()
	}
	res, err := tx.ExecContext(ctx, `
INSERT INTO decisions (object_type, record_id, rule, queue, owner_id, provider_id, explanation, fingerprint, at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ObjectType, Redact(d.RecordID), Redact(d.Rule), Redact(d.Queue),
		Redact(d.OwnerID), Redact(d.ProviderID), Redact(d.Explanation), d.Fingerprint, formatTime(at))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
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
