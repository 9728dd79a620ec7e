// Package store is alusta's SQLite cache: the CRM records alusta needs, the
// decisions and writes it made, SLA cycles, sync cursors, engine state and
// report runs. It is a top-level package because the mandated layout
// (cmd, config, connector, pipelines, mappings) has no home for persistence,
// and persistence is one outside dependency (SQLite) that deserves its own
// package, as in the Standard Package Layout.
//
// The cache holds only what alusta needs: properties outside an allow-list
// are dropped, free text (a ticket's subject and content, a deal's name, note
// bodies) and contact details are never stored, and anything that looks like
// a Finnish personal identity code is redacted from every text stored.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/alusta/alusta/store/mask"

	_ "github.com/mattn/go-sqlite3" // The database/sql driver "sqlite3".
)

//go:embed migrations/*.sql
var migrations embed.FS

// TimeLayout is how times are stored: UTC, fixed width, so text order is
// time order.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Options configures Open.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Properties is the allow-list per object type; nil means
	// DefaultProperties. Denied properties are dropped even when listed.
	Properties map[string][]string
}

// Store is an open cache. It is safe for concurrent use.
type Store struct {
	db    *sql.DB
	now   func() time.Time
	allow map[string]map[string]bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the SQLite file at path and applies the
// embedded migrations.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("store: open: a file path is required, got %q", path)
	}
	if err := restrict(path); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	// Erased client data (see EraseOrderPayload) must not linger in free
	// pages, where a copy of the file would still hold it.
	q.Set("_secure_delete", "on")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrate %s: %w", path, err)
	}
	s := &Store{db: db, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	props := opts.Properties
	if props == nil {
		props = DefaultProperties
	}
	s.allow = make(map[string]map[string]bool, len(props))
	for typ, names := range props {
		m := make(map[string]bool, len(names))
		for _, n := range names {
			if !denied[typ][n] && !contact[n] {
				m[n] = true
			}
		}
		s.allow[typ] = m
	}
	return s, nil
}

// FileMode is the mode of the database and its WAL and shared-memory
// files: they hold client data, so only alusta's own user may read them.
const FileMode = 0o600

// restrict creates the database file with FileMode, or tightens the mode
// of one that exists (and of its WAL and shared-memory files) when group
// or others may use it. SQLite creates the WAL and shared-memory files
// with the database file's mode, so a database made here keeps all three
// private.
func restrict(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, FileMode)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if info.Mode().Perm()&^FileMode != 0 {
			if err := os.Chmod(p, FileMode); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close closes the database. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// DB is the underlying pool, for reports and read-only queries.
func (s *Store) DB() *sql.DB { return s.db }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// inTx runs fn in one immediate transaction.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// Redact replaces every personal identity code in s; it is mask.Hetu, the
// one masking function the store and the logger share.
func Redact(s string) string { return mask.Hetu(s) }

// formatTime is the stored form of t; the zero time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}

func formatTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return formatTime(*t)
}

// ParseTime reads a stored time; "" is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: parse time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseTimePtr(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return nil, nil
	}
	t, err := ParseTime(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}
