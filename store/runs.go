package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Run statuses.
const (
	RunRunning = "running"
	RunOK      = "ok"
	RunFailed  = "failed"
)

// Run is one report export.
type Run struct {
	ID       int64
	Report   string
	Period   string
	Format   string
	Path     string
	Attempt  int
	Status   string
	Rows     int
	Checksum string
	Duration time.Duration
	Error    string
	Started  time.Time
	Finished *time.Time
}

// StartRun records an export that begins now and returns its id.
func (s *Store) StartRun(ctx context.Context, r Run) (int64, error) {
	if r.Attempt < 1 {
		r.Attempt = 1
	}
	res, err := s.db.ExecContext(ctx, `
INSERT INTO report_runs (report, period, format, path, attempt, status, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?)`,
		r.Report, r.Period, r.Format, r.Path, r.Attempt, formatTime(s.now()))
	if err != nil {
		return 0, fmt.Errorf("store: start run %s %s: %w", r.Report, r.Period, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: start run %s %s: %w", r.Report, r.Period, err)
	}
	return id, nil
}

// FinishRun records the outcome of run id: status ok or failed, the
// written path, rows, checksum, duration and error text.
func (s *Store) FinishRun(ctx context.Context, id int64, r Run) error {
	if r.Status != RunOK && r.Status != RunFailed {
		return fmt.Errorf("store: finish run %d: unknown status %q", id, r.Status)
	}
	res, err := s.db.ExecContext(ctx, `
UPDATE report_runs SET status = ?, path = ?, rows = ?, checksum = ?, duration_ms = ?, error = ?, finished_at = ?
WHERE id = ?`, r.Status, r.Path, r.Rows, r.Checksum, r.Duration.Milliseconds(), Redact(r.Error), formatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("store: finish run %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: finish run %d: no such run", id)
	}
	return nil
}

// Runs lists the latest runs, newest first, at most limit (0: all).
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT id, report, period, format, path, attempt, status, rows, checksum, duration_ms, error, started_at, finished_at
FROM report_runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var ms int64
		var started string
		var finished sql.NullString
		if err := rows.Scan(&r.ID, &r.Report, &r.Period, &r.Format, &r.Path, &r.Attempt, &r.Status, &r.Rows,
			&r.Checksum, &ms, &r.Error, &started, &finished); err != nil {
			return nil, fmt.Errorf("store: runs: %w", err)
		}
		r.Duration = time.Duration(ms) * time.Millisecond
		if r.Started, err = ParseTime(started); err == nil {
			r.Finished, err = parseTimePtr(finished)
		}
		if err != nil {
			return nil, fmt.Errorf("store: runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	return out, nil
}
