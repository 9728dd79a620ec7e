package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// Record is a cached CRM object: allow-listed properties only.
type Record struct {
	ID         string
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
}

// Prop returns a property value, "" when absent.
func (r Record) Prop(name string) string { return r.Properties[name] }

// DefaultProperties is the allow-list when Options.Properties is nil: the
// values alusta's rules, daemon and reports read or write, under alusta's
// names (the mapping's field names, the written keys and closed_at), never
// a portal's own property names: records reach the store translated.
var DefaultProperties = map[string][]string{
	hubspot.Tickets: {
		"pipeline", "stage", "priority", "source", "owner",
		"service", "municipality", "client_group", "language",
		"kind", "provider", "feedback_score",
		"queue", "sla_due", "sla_status", "decision", "closed_at",
		"needs", "refer_to", "referral_consent", "client_choice",
		"shortlist", "activity_suggestions", "referral_status", "referral_of",
	},
	hubspot.Deals: {
		"pipeline", "stage", "amount", "close_date", "owner",
		"service", "municipality", "units", "unit", "payer", "client_choice", "language",
		"provider", "declined_by", "queue", "sla_due", "sla_status", "decision",
	},
	hubspot.Companies: {
		"name", "active", "services", "areas", "languages", "capacity", "weight", "prices", "business_id",
		// NGO activities; their contact e-mail is read live, never cached.
		"org_type", "themes", "target_groups", "channel",
	},
}

// denied are never stored, whatever the allow-list says: free text that may
// hold a client's story (a ticket's subject and content, a deal's name),
// and contact details. A provider company's name is no client's and stays.
var denied = map[string]map[string]bool{
	hubspot.Tickets: {"subject": true, "content": true},
	hubspot.Deals:   {"name": true},
}

// contact are never stored for any object type.
var contact = map[string]bool{
	"description": true, "email": true, "phone": true, "mobilephone": true,
	"address": true, "address2": true, "zip": true, "firstname": true, "lastname": true,
	"note_body": true,
}

// keep filters and redacts properties for storage.
func (s *Store) keep(objectType string, props map[string]string) map[string]string {
	allow := s.allow[objectType]
	out := make(map[string]string, len(props))
	for k, v := range props {
		if allow[k] {
			out[k] = Redact(v)
		}
	}
	return out
}

// UpsertRecords stores records of objectType in one transaction. A record
// already stored with a newer UpdatedAt is left as it is, so a late page of
// an older sync never overwrites fresher data; the same record twice is one
// row.
func (s *Store) UpsertRecords(ctx context.Context, objectType string, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.upsertRecords(ctx, tx, objectType, recs) })
	if err != nil {
		return fmt.Errorf("store: upsert %s: %w", objectType, err)
	}
	return nil
}

func (s *Store) upsertRecords(ctx context.Context, tx *sql.Tx, objectType string, recs []Record) error {
	now := formatTime(s.now())
	stmt, err := tx.PrepareContext(ctx, `
INSERT INTO records (object_type, id, properties, created_at, updated_at, archived, synced_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (object_type, id) DO UPDATE SET
    properties = excluded.properties,
    created_at = excluded.created_at,
    updated_at = excluded.updated_at,
    archived = excluded.archived,
    synced_at = excluded.synced_at
WHERE excluded.updated_at >= records.updated_at`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range recs {
		if r.ID == "" {
			return fmt.Errorf("record without id")
		}
		b, err := json.Marshal(s.keep(objectType, r.Properties))
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, objectType, r.ID, string(b),
			formatTime(r.CreatedAt), formatTime(r.UpdatedAt), r.Archived, now); err != nil {
			return fmt.Errorf("%s %s: %w", objectType, r.ID, err)
		}
	}
	return nil
}

// Record returns one record and whether it exists.
func (s *Store) Record(ctx context.Context, objectType, id string) (Record, bool, error) {
	recs, err := s.records(ctx, `WHERE object_type = ? AND id = ?`, objectType, id)
	if err != nil {
		return Record{}, false, fmt.Errorf("store: record %s %s: %w", objectType, id, err)
	}
	if len(recs) == 0 {
		return Record{}, false, nil
	}
	return recs[0], true, nil
}

// Filter narrows Records.
type Filter struct {
	// UpdatedSince keeps records updated at or after it, when not zero.
	UpdatedSince time.Time
	// IncludeArchived keeps archived records too.
	IncludeArchived bool
	// Where keeps records whose property equals the value, for each pair.
	Where map[string]string
}

// Records lists records of objectType ordered by id.
func (s *Store) Records(ctx context.Context, objectType string, f Filter) ([]Record, error) {
	var where strings.Builder
	args := []any{objectType}
	where.WriteString(`WHERE object_type = ?`)
	if !f.UpdatedSince.IsZero() {
		where.WriteString(` AND updated_at >= ?`)
		args = append(args, formatTime(f.UpdatedSince))
	}
	if !f.IncludeArchived {
		where.WriteString(` AND archived = 0`)
	}
	keys := make([]string, 0, len(f.Where))
	for k := range f.Where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		where.WriteString(` AND json_extract(properties, ?) = ?`)
		args = append(args, "$."+jsonKey(k), f.Where[k])
	}
	recs, err := s.records(ctx, where.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("store: records %s: %w", objectType, err)
	}
	return recs, nil
}

// jsonKey quotes a property name for a JSON path.
func jsonKey(k string) string {
	b, _ := json.Marshal(k)
	return string(b)
}

func (s *Store) records(ctx context.Context, where string, args ...any) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, properties, created_at, updated_at, archived FROM records `+where+` ORDER BY length(id), id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var props, created, updated string
		if err := rows.Scan(&r.ID, &props, &created, &updated, &r.Archived); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(props), &r.Properties); err != nil {
			return nil, fmt.Errorf("record %s: %w", r.ID, err)
		}
		if r.CreatedAt, err = ParseTime(created); err != nil {
			return nil, err
		}
		if r.UpdatedAt, err = ParseTime(updated); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Owner is a coordinator (a HubSpot owner), names only.
type Owner struct {
	ID        string
	FirstName string
	LastName  string
	Teams     []string
	Archived  bool
	UpdatedAt time.Time
}

// Name is "First Last".
func (o Owner) Name() string { return strings.TrimSpace(o.FirstName + " " + o.LastName) }

// OwnerFromHubSpot converts a HubSpot owner, dropping the email.
func OwnerFromHubSpot(o hubspot.Owner) Owner {
	var teams []string
	for _, t := range o.Teams {
		teams = append(teams, t.Name)
	}
	return Owner{ID: o.ID, FirstName: o.FirstName, LastName: o.LastName, Teams: teams, Archived: o.Archived, UpdatedAt: o.UpdatedAt}
}

// UpsertOwners stores owners in one transaction.
func (s *Store) UpsertOwners(ctx context.Context, owners []Owner) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, o := range owners {
			masked := make([]string, len(o.Teams))
			for i, team := range o.Teams {
				masked[i] = Redact(team)
			}
			teams, err := json.Marshal(masked)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
INSERT INTO owners (id, first_name, last_name, teams, archived, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name,
    teams = excluded.teams, archived = excluded.archived, updated_at = excluded.updated_at`,
				o.ID, Redact(o.FirstName), Redact(o.LastName), string(teams), o.Archived, formatTime(o.UpdatedAt)); err != nil {
				return fmt.Errorf("owner %s: %w", o.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: upsert owners: %w", err)
	}
	return nil
}

// Owners lists all owners ordered by id.
func (s *Store) Owners(ctx context.Context) ([]Owner, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, first_name, last_name, teams, archived, updated_at FROM owners ORDER BY length(id), id`)
	if err != nil {
		return nil, fmt.Errorf("store: owners: %w", err)
	}
	defer rows.Close()
	var out []Owner
	for rows.Next() {
		var o Owner
		var teams, updated string
		if err := rows.Scan(&o.ID, &o.FirstName, &o.LastName, &teams, &o.Archived, &updated); err != nil {
			return nil, fmt.Errorf("store: owners: %w", err)
		}
		if err := json.Unmarshal([]byte(teams), &o.Teams); err != nil {
			return nil, fmt.Errorf("store: owners: %s: %w", o.ID, err)
		}
		if o.UpdatedAt, err = ParseTime(updated); err != nil {
			return nil, fmt.Errorf("store: owners: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: owners: %w", err)
	}
	return out, nil
}

// UpsertPipelines replaces the stored pipelines and stages of objectType.
func (s *Store) UpsertPipelines(ctx context.Context, objectType string, pipelines []hubspot.Pipeline) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pipeline_stages WHERE object_type = ?`, objectType); err != nil {
			return err
		}
		for _, p := range pipelines {
			for _, st := range p.Stages {
				var prob any
				if v, ok := st.Metadata["probability"]; ok {
					prob = v
				}
				closed := st.Metadata["isClosed"] == "true"
				if _, err := tx.ExecContext(ctx, `
INSERT INTO pipeline_stages (object_type, pipeline_id, pipeline_label, stage_id, stage_label, display_order, is_closed, probability, archived)
VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS REAL), ?)`,
					objectType, p.ID, Redact(p.Label), st.ID, Redact(st.Label), st.DisplayOrder, closed, prob, st.Archived || p.Archived); err != nil {
					return fmt.Errorf("pipeline %s stage %s: %w", p.ID, st.ID, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: upsert %s pipelines: %w", objectType, err)
	}
	return nil
}

// StageInfo is one stored pipeline stage.
type StageInfo struct {
	PipelineID    string
	PipelineLabel string
	StageID       string
	Label         string
	Closed        bool
	// Probability is the deal stage's probability; -1 when it has none.
	Probability float64
}

// Stages lists the stored stages of objectType.
func (s *Store) Stages(ctx context.Context, objectType string) ([]StageInfo, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT pipeline_id, pipeline_label, stage_id, stage_label, is_closed, COALESCE(probability, -1)
FROM pipeline_stages WHERE object_type = ? ORDER BY pipeline_id, display_order, stage_id`, objectType)
	if err != nil {
		return nil, fmt.Errorf("store: stages %s: %w", objectType, err)
	}
	defer rows.Close()
	var out []StageInfo
	for rows.Next() {
		var st StageInfo
		if err := rows.Scan(&st.PipelineID, &st.PipelineLabel, &st.StageID, &st.Label, &st.Closed, &st.Probability); err != nil {
			return nil, fmt.Errorf("store: stages %s: %w", objectType, err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stages %s: %w", objectType, err)
	}
	return out, nil
}
