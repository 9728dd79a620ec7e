package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The queries below serve the operations console. Each is one pass over an
// indexed range or one aggregate, so that a page renders quickly from a
// store of a hundred thousand records; the console groups by week and month
// in Helsinki time itself, which SQLite cannot.

// OpenGroup counts the open tickets or deals (not in a closed stage, not
// archived) that share a queue, owner, provider and SLA status.
type OpenGroup struct {
	ObjectType string
	Queue      string
	OwnerID    string
	ProviderID string
	SLAStatus  string
	Count      int
	// Oldest is when the oldest of them was created.
	Oldest time.Time
}

// openStage is true for a record whose stage is not a closed one.
const openStage = `COALESCE(json_extract(properties, '$.hs_pipeline_stage'), json_extract(properties, '$.dealstage'), '')
	NOT IN (SELECT stage_id FROM pipeline_stages WHERE object_type = records.object_type AND is_closed = 1)`

// OpenGroups groups the open tickets and deals in one pass.
func (s *Store) OpenGroups(ctx context.Context) ([]OpenGroup, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT object_type, COALESCE(json_extract(properties, '$.alusta_queue'), ''), COALESCE(json_extract(properties, '$.hubspot_owner_id'), ''),
       COALESCE(json_extract(properties, '$.alusta_provider'), ''), COALESCE(json_extract(properties, '$.alusta_sla_status'), ''),
       count(*), min(created_at)
FROM records
WHERE object_type IN ('tickets', 'deals') AND archived = 0 AND `+openStage+`
GROUP BY 1, 2, 3, 4, 5`)
	if err != nil {
		return nil, fmt.Errorf("store: open groups: %w", err)
	}
	defer rows.Close()
	var out []OpenGroup
	for rows.Next() {
		var g OpenGroup
		var oldest string
		if err := rows.Scan(&g.ObjectType, &g.Queue, &g.OwnerID, &g.ProviderID, &g.SLAStatus, &g.Count, &oldest); err != nil {
			return nil, fmt.Errorf("store: open groups: %w", err)
		}
		if g.Oldest, err = ParseTime(oldest); err != nil {
			return nil, fmt.Errorf("store: open groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: open groups: %w", err)
	}
	return out, nil
}

// WaitingOrder is an open deal that no provider holds.
type WaitingOrder struct {
	ID           string
	Service      string
	Municipality string
	Queue        string
	Created      time.Time
	// Decision is alusta's explanation as written to the deal, which says
	// why nobody was eligible.
	Decision string
}

// WaitingOrders lists open deals without a provider, oldest first, at most
// limit, and how many there are in all.
func (s *Store) WaitingOrders(ctx context.Context, limit int) ([]WaitingOrder, int, error) {
	const where = `WHERE object_type = 'deals' AND archived = 0 AND COALESCE(json_extract(properties, '$.alusta_provider'), '') = '' AND ` + openStage
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM records `+where).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: waiting orders: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT id, COALESCE(json_extract(properties, '$.alusta_service'), ''), COALESCE(json_extract(properties, '$.alusta_municipality'), ''),
       COALESCE(json_extract(properties, '$.alusta_queue'), ''), created_at, COALESCE(json_extract(properties, '$.alusta_decision'), '')
FROM records `+where+` ORDER BY created_at, id LIMIT ?`, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("store: waiting orders: %w", err)
	}
	defer rows.Close()
	var out []WaitingOrder
	for rows.Next() {
		var o WaitingOrder
		var created string
		if err := rows.Scan(&o.ID, &o.Service, &o.Municipality, &o.Queue, &created, &o.Decision); err != nil {
			return nil, 0, fmt.Errorf("store: waiting orders: %w", err)
		}
		if o.Created, err = ParseTime(created); err != nil {
			return nil, 0, fmt.Errorf("store: waiting orders: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: waiting orders: %w", err)
	}
	return out, total, nil
}

// DealFacts is what the console's trends need of a deal created in a span.
type DealFacts struct {
	Created    time.Time
	Service    string
	ProviderID string
	// DeclinedBy is alusta_declined_by: provider ids joined by ";".
	DeclinedBy string
}

// DealsCreated lists the facts of the deals created in [from, to), archived
// as the quality report counts them (archived ones left out).
func (s *Store) DealsCreated(ctx context.Context, from, to time.Time) ([]DealFacts, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT created_at, COALESCE(json_extract(properties, '$.alusta_service'), ''), COALESCE(json_extract(properties, '$.alusta_provider'), ''),
       COALESCE(json_extract(properties, '$.alusta_declined_by'), '')
FROM records WHERE object_type = 'deals' AND archived = 0 AND created_at >= ? AND created_at < ?`, formatTime(from), formatTime(to))
	if err != nil {
		return nil, fmt.Errorf("store: deals created: %w", err)
	}
	defer rows.Close()
	var out []DealFacts
	for rows.Next() {
		var d DealFacts
		var created string
		if err := rows.Scan(&created, &d.Service, &d.ProviderID, &d.DeclinedBy); err != nil {
			return nil, fmt.Errorf("store: deals created: %w", err)
		}
		if d.Created, err = ParseTime(created); err != nil {
			return nil, fmt.Errorf("store: deals created: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: deals created: %w", err)
	}
	return out, nil
}

// TicketSpan is when a ticket was created and, if it was, closed.
type TicketSpan struct {
	Created time.Time
	// ClosedDate is the closed_date property as HubSpot gave it, "" when
	// open.
	ClosedDate string
}

// TicketsTouching lists the tickets created or closed in [from, to).
// closed_date is HubSpot's text and may be any ISO form, so the range on it
// is checked by the caller; created_at is alusta's and sorts as it
// compares.
func (s *Store) TicketsTouching(ctx context.Context, from, to time.Time) ([]TicketSpan, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT created_at, COALESCE(json_extract(properties, '$.closed_date'), '')
FROM records WHERE object_type = 'tickets' AND archived = 0 AND created_at < ?
  AND (created_at >= ? OR COALESCE(json_extract(properties, '$.closed_date'), '') >= ?
       OR json_extract(properties, '$.closed_date') NOT LIKE '____-%')`,
		formatTime(to), formatTime(from), from.UTC().Format("2006-01-02"))
	if err != nil {
		return nil, fmt.Errorf("store: tickets touching: %w", err)
	}
	defer rows.Close()
	var out []TicketSpan
	for rows.Next() {
		var t TicketSpan
		var created string
		if err := rows.Scan(&created, &t.ClosedDate); err != nil {
			return nil, fmt.Errorf("store: tickets touching: %w", err)
		}
		if t.Created, err = ParseTime(created); err != nil {
			return nil, fmt.Errorf("store: tickets touching: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tickets touching: %w", err)
	}
	return out, nil
}

// StoppedCycle is an SLA cycle that ended met or breached.
type StoppedCycle struct {
	Goal      string
	StartedAt time.Time
	Met       bool
}

// StoppedSLACycles lists the cycles started in [from, to) that are met or
// breached, the ones a compliance rate counts.
func (s *Store) StoppedSLACycles(ctx context.Context, from, to time.Time) ([]StoppedCycle, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT goal, started_at, status FROM sla_cycles WHERE status IN (?, ?) AND started_at >= ? AND started_at < ?`,
		SLAMet, SLABreached, formatTime(from), formatTime(to))
	if err != nil {
		return nil, fmt.Errorf("store: stopped sla cycles: %w", err)
	}
	defer rows.Close()
	var out []StoppedCycle
	for rows.Next() {
		var c StoppedCycle
		var started, status string
		if err := rows.Scan(&c.Goal, &started, &status); err != nil {
			return nil, fmt.Errorf("store: stopped sla cycles: %w", err)
		}
		if c.StartedAt, err = ParseTime(started); err != nil {
			return nil, fmt.Errorf("store: stopped sla cycles: %w", err)
		}
		c.Met = status == SLAMet
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stopped sla cycles: %w", err)
	}
	return out, nil
}

// Reassignments counts, per provider, the decisions in [from, to) that moved
// an order away from it: the quality report's reassignments.
func (s *Store) Reassignments(ctx context.Context, from, to time.Time) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT prev, count(*) FROM (
    SELECT provider_id, at, LAG(provider_id) OVER (PARTITION BY record_id ORDER BY id) AS prev
    FROM decisions WHERE object_type = 'deals' AND provider_id != '')
WHERE prev IS NOT NULL AND prev != provider_id AND at >= ? AND at < ?
GROUP BY prev`, formatTime(from), formatTime(to))
	if err != nil {
		return nil, fmt.Errorf("store: reassignments: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int)
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: reassignments: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reassignments: %w", err)
	}
	return out, nil
}

// FailedWrites lists the latest writes HubSpot rejected, newest first.
func (s *Store) FailedWrites(ctx context.Context, limit int) ([]Write, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT object_type, record_id, property, rule, decision_id, reason, at FROM writes
WHERE status = ? ORDER BY at DESC, id DESC LIMIT ?`, string(WriteRejected), limit)
	if err != nil {
		return nil, fmt.Errorf("store: failed writes: %w", err)
	}
	defer rows.Close()
	var out []Write
	for rows.Next() {
		w := Write{Status: WriteRejected}
		var at string
		if err := rows.Scan(&w.ObjectType, &w.RecordID, &w.Property, &w.Rule, &w.DecisionID, &w.Reason, &at); err != nil {
			return nil, fmt.Errorf("store: failed writes: %w", err)
		}
		if w.At, err = ParseTime(at); err != nil {
			return nil, fmt.Errorf("store: failed writes: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: failed writes: %w", err)
	}
	return out, nil
}

// RecordType finds whether id is a cached ticket or deal; "" when neither.
func (s *Store) RecordType(ctx context.Context, id string) (string, error) {
	var typ string
	err := s.db.QueryRowContext(ctx, `SELECT object_type FROM records WHERE id = ? AND object_type IN ('tickets', 'deals') ORDER BY object_type DESC LIMIT 1`, id).Scan(&typ)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: record type %s: %w", id, err)
	}
	return typ, nil
}
