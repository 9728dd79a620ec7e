package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// keptCycles is how many sync cycles the store remembers: enough for the
// console's view of the last hours, little enough to never matter in size.
const keptCycles = 500

// SyncCycle is one daemon cycle as the operations console shows it.
type SyncCycle struct {
	ID        int64
	Full      bool
	StartedAt time.Time
	Duration  time.Duration
	Pulled    int
	Decisions int
	Writes    int
	Rejected  int
	Calls     int64
	Errors    int
	// Error is why the cycle failed, "" when it did not.
	Error string
}

// RecordCycle remembers a finished cycle and forgets the oldest beyond the
// last keptCycles.
func (s *Store) RecordCycle(ctx context.Context, c SyncCycle) error {
	kind := "targeted"
	if c.Full {
		kind = "full"
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `
INSERT INTO sync_cycles (kind, started_at, duration_ms, pulled, decisions, writes, rejected, api_calls, errors, error)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, kind, formatTime(c.StartedAt), c.Duration.Milliseconds(), c.Pulled, c.Decisions,
			c.Writes, c.Rejected, c.Calls, c.Errors, Redact(c.Error)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sync_cycles WHERE id <= (SELECT max(id) FROM sync_cycles) - ?`, keptCycles)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record sync cycle: %w", err)
	}
	return nil
}

// SyncCycles lists the latest cycles, newest first, at most limit.
func (s *Store) SyncCycles(ctx context.Context, limit int) ([]SyncCycle, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT id, kind, started_at, duration_ms, pulled, decisions, writes, rejected, api_calls, errors, error
FROM sync_cycles ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: sync cycles: %w", err)
	}
	defer rows.Close()
	var out []SyncCycle
	for rows.Next() {
		var c SyncCycle
		var kind, started string
		var ms int64
		if err := rows.Scan(&c.ID, &kind, &started, &ms, &c.Pulled, &c.Decisions, &c.Writes, &c.Rejected, &c.Calls, &c.Errors, &c.Error); err != nil {
			return nil, fmt.Errorf("store: sync cycles: %w", err)
		}
		c.Full = kind == "full"
		c.Duration = time.Duration(ms) * time.Millisecond
		if c.StartedAt, err = ParseTime(started); err != nil {
			return nil, fmt.Errorf("store: sync cycles: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sync cycles: %w", err)
	}
	return out, nil
}

// CallsSince is the number of HubSpot calls the recorded cycles made since
// t, which is what the daily quota has spent when t is its last reset.
func (s *Store) CallsSince(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(sum(api_calls), 0) FROM sync_cycles WHERE started_at >= ?`,
		formatTime(t)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: calls since %s: %w", formatTime(t), err)
	}
	return n, nil
}

// RuleFile is a rule or mapping file as it was loaded.
type RuleFile struct {
	Path    string    `json:"path"`
	SHA256  string    `json:"sha256"`
	ModTime time.Time `json:"mod_time"`
}

// RuleLoad is one load of the rules and mappings.
type RuleLoad struct {
	At    time.Time
	OK    bool
	Error string
	Files []RuleFile
}

// RecordRuleLoad remembers a load of the rules: its result and, when it
// succeeded, the files that are now in force.
func (s *Store) RecordRuleLoad(ctx context.Context, l RuleLoad) error {
	status := "failed"
	if l.OK {
		status = "ok"
	}
	files, err := json.Marshal(l.Files)
	if err != nil {
		return fmt.Errorf("store: record rule load: %w", err)
	}
	at := l.At
	if at.IsZero() {
		at = s.now()
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO rule_loads (at, status, error, files) VALUES (?, ?, ?, ?)`,
		formatTime(at), status, Redact(l.Error), string(files)); err != nil {
		return fmt.Errorf("store: record rule load: %w", err)
	}
	return nil
}

// RuleLoads returns the latest load and the latest successful one (the
// rules in force); ok reports whether each exists.
func (s *Store) RuleLoads(ctx context.Context) (last RuleLoad, lastOK bool, inForce RuleLoad, inForceOK bool, err error) {
	last, lastOK, err = s.ruleLoad(ctx, ``)
	if err == nil {
		inForce, inForceOK, err = s.ruleLoad(ctx, `WHERE status = 'ok'`)
	}
	return last, lastOK, inForce, inForceOK, err
}

func (s *Store) ruleLoad(ctx context.Context, where string) (RuleLoad, bool, error) {
	var l RuleLoad
	var at, status, files string
	err := s.db.QueryRowContext(ctx, `SELECT at, status, error, files FROM rule_loads `+where+` ORDER BY id DESC LIMIT 1`).
		Scan(&at, &status, &l.Error, &files)
	if err == sql.ErrNoRows {
		return RuleLoad{}, false, nil
	}
	if err != nil {
		return RuleLoad{}, false, fmt.Errorf("store: rule loads: %w", err)
	}
	l.OK = status == "ok"
	if l.At, err = ParseTime(at); err != nil {
		return RuleLoad{}, false, fmt.Errorf("store: rule loads: %w", err)
	}
	if err := json.Unmarshal([]byte(files), &l.Files); err != nil {
		return RuleLoad{}, false, fmt.Errorf("store: rule loads: %w", err)
	}
	return l, true, nil
}

// LastFullCycle is the latest full cycle that succeeded; false when none.
func (s *Store) LastFullCycle(ctx context.Context) (SyncCycle, bool, error) {
	var c SyncCycle
	var started string
	var ms int64
	err := s.db.QueryRowContext(ctx, `
SELECT id, started_at, duration_ms, pulled, decisions, writes, rejected, api_calls, errors
FROM sync_cycles WHERE kind = 'full' AND error = '' ORDER BY id DESC LIMIT 1`).
		Scan(&c.ID, &started, &ms, &c.Pulled, &c.Decisions, &c.Writes, &c.Rejected, &c.Calls, &c.Errors)
	if err == sql.ErrNoRows {
		return SyncCycle{}, false, nil
	}
	if err != nil {
		return SyncCycle{}, false, fmt.Errorf("store: last full cycle: %w", err)
	}
	c.Full, c.Duration = true, time.Duration(ms)*time.Millisecond
	if c.StartedAt, err = ParseTime(started); err != nil {
		return SyncCycle{}, false, fmt.Errorf("store: last full cycle: %w", err)
	}
	return c, true, nil
}
