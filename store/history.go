package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HistoryFields are the fields whose changes the store keeps, under
// alusta's field names: what a backtest replays. They are codes and ids,
// never free text or contact details.
var HistoryFields = []string{"stage", "owner", "priority"}

// Sources of a change that HubSpot's property history does not give.
const (
	// SourcePull is a change alusta saw on a pull: the value differed from
	// the cached one. It is dated at the record's modification time, which
	// is when the change happened only when nothing else changed since.
	SourcePull = "pull"
	// SourceAlusta is a value alusta itself wrote, seen on a pull.
	SourceAlusta = "alusta"
)

// PropertyChange is one value a field took on a record, and when.
type PropertyChange struct {
	ObjectType, RecordID string
	Field, Value         string
	At                   time.Time
	// Source is HubSpot's sourceType (CRM_UI, API, WORKFLOWS, ...), or
	// SourcePull or SourceAlusta.
	Source string
}

// Seen reports whether c was seen on a pull rather than read from HubSpot's
// property history.
func (c PropertyChange) Seen() bool { return c.Source == SourcePull || c.Source == SourceAlusta }

// KeepsHistory reports whether the store keeps the changes of field on
// records of objectType.
func (s *Store) KeepsHistory(objectType, field string) bool {
	return slices.Contains(HistoryFields, field) && s.allow[objectType][field]
}

// checkChange says what is wrong with c for the store, or "".
func (s *Store) checkChange(c PropertyChange) string {
	switch {
	case c.RecordID == "":
		return "no record id"
	case !s.KeepsHistory(c.ObjectType, c.Field):
		return fmt.Sprintf("field %q is not kept in the history", c.Field)
	case c.At.IsZero():
		return "no time"
	case c.Source == "":
		return "no source"
	}
	return ""
}

const insertChange = `INSERT OR IGNORE INTO property_history (object_type, record_id, property, set_at, value, source)
VALUES (?, ?, ?, ?, ?, ?)`

// AddHistory stores changes seen on a pull. A change already stored (the
// same record, field, time and value) is kept as it is.
func (s *Store) AddHistory(ctx context.Context, changes []PropertyChange) error {
	if len(changes) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.addChanges(ctx, tx, changes) })
	if err != nil {
		return fmt.Errorf("store: add history: %w", err)
	}
	return nil
}

func (s *Store) addChanges(ctx context.Context, tx *sql.Tx, changes []PropertyChange) error {
	stmt, err := tx.PrepareContext(ctx, insertChange)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, c := range changes {
		if why := s.checkChange(c); why != "" {
			return fmt.Errorf("%s %s %s: %s", c.ObjectType, c.RecordID, c.Field, why)
		}
		if _, err := stmt.ExecContext(ctx, c.ObjectType, c.RecordID, c.Field, formatTime(c.At), Redact(c.Value), Redact(c.Source)); err != nil {
			return fmt.Errorf("%s %s %s: %w", c.ObjectType, c.RecordID, c.Field, err)
		}
	}
	return nil
}

// ReplaceHistory stores HubSpot's property history of records of
// objectType, read at readAt: for each record in ids, every change of the
// fields in HistoryFields up to then. What pulls saw of those records up to
// readAt is dropped, since HubSpot's history holds the same changes at
// their exact times; what pulls see later stays.
func (s *Store) ReplaceHistory(ctx context.Context, objectType string, ids []string, readAt time.Time, changes []PropertyChange) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		del, err := tx.PrepareContext(ctx, `DELETE FROM property_history
WHERE object_type = ? AND record_id = ? AND source IN (?, ?) AND set_at <= ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, id := range ids {
			if _, err := del.ExecContext(ctx, objectType, id, SourcePull, SourceAlusta, formatTime(readAt)); err != nil {
				return fmt.Errorf("%s %s: %w", objectType, id, err)
			}
		}
		return s.addChanges(ctx, tx, changes)
	})
	if err != nil {
		return fmt.Errorf("store: replace history: %w", err)
	}
	return nil
}

// History returns the stored changes of every record of objectType,
// by record id, oldest first.
func (s *Store) History(ctx context.Context, objectType string) (map[string][]PropertyChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT record_id, property, set_at, value, source FROM property_history
WHERE object_type = ? ORDER BY record_id, set_at, property`, objectType)
	if err != nil {
		return nil, fmt.Errorf("store: history %s: %w", objectType, err)
	}
	defer rows.Close()
	out := map[string][]PropertyChange{}
	for rows.Next() {
		c := PropertyChange{ObjectType: objectType}
		var at string
		if err := rows.Scan(&c.RecordID, &c.Field, &at, &c.Value, &c.Source); err != nil {
			return nil, fmt.Errorf("store: history %s: %w", objectType, err)
		}
		if c.At, err = ParseTime(at); err != nil {
			return nil, fmt.Errorf("store: history %s %s: %w", objectType, c.RecordID, err)
		}
		out[c.RecordID] = append(out[c.RecordID], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: history %s: %w", objectType, err)
	}
	return out, nil
}

// ChangesSeen compares records about to be stored with their cached copies
// and returns the changes of HistoryFields, dated at each record's
// modification time, with Source SourcePull (the caller marks its own
// writes). A record seen for the first time, unmodified since it was
// created, gives its values at creation: alusta saw it arrive. It stores
// nothing.
func (s *Store) ChangesSeen(ctx context.Context, objectType string, recs []Record) ([]PropertyChange, error) {
	var fields []string
	for _, f := range HistoryFields {
		if s.KeepsHistory(objectType, f) {
			fields = append(fields, f)
		}
	}
	if len(recs) == 0 || len(fields) == 0 {
		return nil, nil
	}
	cached := make(map[string]Record, len(recs))
	// SQLite takes a bounded number of parameters per statement.
	for part := range slices.Chunk(recs, 500) {
		args := make([]any, 0, len(part)+1)
		args = append(args, objectType)
		for _, r := range part {
			args = append(args, r.ID)
		}
		got, err := s.records(ctx, `WHERE object_type = ? AND id IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: changes seen %s: %w", objectType, err)
		}
		for _, r := range got {
			cached[r.ID] = r
		}
	}
	var out []PropertyChange
	for _, r := range recs {
		old, ok := cached[r.ID]
		at := r.UpdatedAt
		if ok && !at.After(old.UpdatedAt) {
			continue // a stale or repeated read: UpsertRecords keeps the newer copy
		}
		if !ok {
			if r.UpdatedAt.After(r.CreatedAt) {
				continue // changed before alusta saw it: only HubSpot's history knows how
			}
			at = r.CreatedAt
		}
		for _, f := range fields {
			v, set := r.Properties[f]
			if ok && Redact(v) == old.Properties[f] || !ok && !set {
				continue
			}
			out = append(out, PropertyChange{ObjectType: objectType, RecordID: r.ID, Field: f, Value: v, At: at, Source: SourcePull})
		}
	}
	return out, nil
}
