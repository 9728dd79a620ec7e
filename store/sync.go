package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Cursor is where a sync of one object type stands. Since is the
// modification time up to which everything has been read: each page moves
// it, so a sync cut by a 429 or a crash resumes there instead of from zero.
// SyncStartedAt is when the read that saved it began.
type Cursor struct {
	Since         time.Time
	SyncStartedAt time.Time
	UpdatedAt     time.Time
}

// Cursor returns the cursor of objectType; the zero Cursor when none.
func (s *Store) Cursor(ctx context.Context, objectType string) (Cursor, error) {
	var since, started, updated string
	err := s.db.QueryRowContext(ctx, `SELECT since, sync_started_at, updated_at FROM cursors WHERE object_type = ?`, objectType).
		Scan(&since, &started, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("store: cursor %s: %w", objectType, err)
	}
	var c Cursor
	for _, p := range []struct {
		dst *time.Time
		src string
	}{{&c.Since, since}, {&c.SyncStartedAt, started}, {&c.UpdatedAt, updated}} {
		if *p.dst, err = ParseTime(p.src); err != nil {
			return Cursor{}, fmt.Errorf("store: cursor %s: %w", objectType, err)
		}
	}
	return c, nil
}

// SaveCursor stores the cursor of objectType; UpdatedAt is set from the
// store's clock.
func (s *Store) SaveCursor(ctx context.Context, objectType string, c Cursor) error {
	_, err := s.db.ExecContext(ctx, `
INSERT INTO cursors (object_type, since, sync_started_at, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (object_type) DO UPDATE SET since = excluded.since,
    sync_started_at = excluded.sync_started_at, updated_at = excluded.updated_at`,
		objectType, formatTime(c.Since), formatTime(c.SyncStartedAt), formatTime(s.now()))
	if err != nil {
		return fmt.Errorf("store: save cursor %s: %w", objectType, err)
	}
	return nil
}

// LoadState decodes the JSON state saved under name into v. A name never
// saved leaves v untouched and returns nil.
func (s *Store) LoadState(ctx context.Context, name string, v any) error {
	var b string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM engine_state WHERE name = ?`, name).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: load state %s: %w", name, err)
	}
	if err := json.Unmarshal([]byte(b), v); err != nil {
		return fmt.Errorf("store: load state %s: %w", name, err)
	}
	return nil
}

// SaveState stores v as JSON under name, replacing what was there.
func (s *Store) SaveState(ctx context.Context, name string, v any) error {
	if err := s.SaveStates(ctx, map[string]any{name: v}); err != nil {
		return fmt.Errorf("store: save state %s: %w", name, err)
	}
	return nil
}

// Rejected is a CRM record alusta skipped because it was bad.
type Rejected struct {
	ObjectType string
	RecordID   string
	Property   string
	Reason     string
	FirstSeen  time.Time
	LastSeen   time.Time
	Seen       int
}

// RecordRejected notes a bad record; the same problem seen again counts up.
func (s *Store) RecordRejected(ctx context.Context, objectType, id, property, reason string) error {
	now := formatTime(s.now())
	if _, err := s.db.ExecContext(ctx, `
INSERT INTO rejected_records (object_type, record_id, property, reason, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (object_type, record_id, property, reason) DO UPDATE SET last_seen = excluded.last_seen, seen = seen + 1`,
		objectType, Redact(id), Redact(property), Redact(reason), now, now); err != nil {
		return fmt.Errorf("store: record rejected %s %s: %w", objectType, id, err)
	}
	return nil
}

// RejectedRecords lists bad records, latest first, at most limit (0: all).
func (s *Store) RejectedRecords(ctx context.Context, limit int) ([]Rejected, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT object_type, record_id, property, reason, first_seen, last_seen, seen FROM rejected_records
ORDER BY last_seen DESC, object_type, record_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: rejected records: %w", err)
	}
	defer rows.Close()
	var out []Rejected
	for rows.Next() {
		var r Rejected
		var first, last string
		if err := rows.Scan(&r.ObjectType, &r.RecordID, &r.Property, &r.Reason, &first, &last, &r.Seen); err != nil {
			return nil, fmt.Errorf("store: rejected records: %w", err)
		}
		r.FirstSeen, _ = ParseTime(first)
		r.LastSeen, _ = ParseTime(last)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: rejected records: %w", err)
	}
	return out, nil
}

// SaveStates stores several named states in one transaction, so that the
// engine's shared memory and the records of one page agree after a crash.
func (s *Store) SaveStates(ctx context.Context, states map[string]any) error {
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.saveStates(ctx, tx, states) }); err != nil {
		return fmt.Errorf("store: save states: %w", err)
	}
	return nil
}

func (s *Store) saveStates(ctx context.Context, tx *sql.Tx, states map[string]any) error {
	stmt, err := tx.PrepareContext(ctx, `
INSERT INTO engine_state (name, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := formatTime(s.now())
	for name, v := range states {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("state %s: %w", name, err)
		}
		if _, err := stmt.ExecContext(ctx, name, Redact(string(b)), now); err != nil {
			return fmt.Errorf("state %s: %w", name, err)
		}
	}
	return nil
}

// LoadStates calls fn with every state whose name starts with prefix.
func (s *Store) LoadStates(ctx context.Context, prefix string, fn func(name string, value []byte) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM engine_state WHERE substr(name, 1, ?) = ? ORDER BY name`, len(prefix), prefix)
	if err != nil {
		return fmt.Errorf("store: load states %s: %w", prefix, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return fmt.Errorf("store: load states %s: %w", prefix, err)
		}
		if err := fn(name, []byte(value)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: load states %s: %w", prefix, err)
	}
	return nil
}

// DeleteStates removes every state whose name starts with prefix and
// returns how many it removed.
func (s *Store) DeleteStates(ctx context.Context, prefix string) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM engine_state WHERE substr(name, 1, ?) = ?`, len(prefix), prefix)
	if err != nil {
		return 0, fmt.Errorf("store: delete states %s: %w", prefix, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
