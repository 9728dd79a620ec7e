package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The queries below serve the operations console. They read record_facts
// (kept by triggers, see the migration) through covering indexes and
// aggregate by UTC hour in SQL, so that a page renders quickly from a store
// of a hundred thousand records; the console folds hours into weeks and
// months in Helsinki time, which SQLite cannot, and whole hours fold
// exactly since Helsinki is a whole number of hours from UTC.

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

// openStage is true for a record whose stage is not a closed one. HubSpot's
// stage ids are unique across object types, so one list serves both.
const openStage = `stage NOT IN (SELECT stage_id FROM pipeline_stages WHERE is_closed = 1)`

// OpenGroups groups the open tickets and deals in one pass. It groups by
// stage too, in the order of the index record_facts_open, so SQLite streams
// the groups from the index instead of sorting; a group may then repeat per
// stage, which the caller adds up.
func (s *Store) OpenGroups(ctx context.Context) ([]OpenGroup, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT object_type, queue, owner_id, provider_id, sla_status, count(*), min(created_at)
FROM record_facts
WHERE object_type IN ('tickets', 'deals') AND archived = 0 AND `+openStage+`
GROUP BY object_type, stage, queue, owner_id, provider_id, sla_status`)
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
	const where = `WHERE f.object_type = 'deals' AND f.archived = 0 AND f.provider_id = '' AND f.` + openStage
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM record_facts f `+where).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: waiting orders: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT f.id, f.service, COALESCE(json_extract(r.properties, '$.municipality'), ''), f.queue, f.created_at,
       COALESCE(json_extract(r.properties, '$.decision'), '')
FROM record_facts f JOIN records r ON r.object_type = f.object_type AND r.id = f.id
`+where+` ORDER BY f.created_at, f.id LIMIT ?`, limit)
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

// Spans are the console's periods (weeks, months) as the instants that
// bound them: span i is [bounds[i], bounds[i+1]). Counting per span in SQL
// steps through index entries only; the console computes the bounds in
// Helsinki time, which SQLite cannot.

// forSpans runs query once per span with the span's bounds as its first two
// arguments, and calls scan for each row.
func (s *Store) forSpans(ctx context.Context, what, query string, bounds []time.Time, scan func(i int, rows *sql.Rows) error, args ...any) error {
	stmt, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer stmt.Close()
	for i := 0; i+1 < len(bounds); i++ {
		rows, err := stmt.QueryContext(ctx, append([]any{formatTime(bounds[i]), formatTime(bounds[i+1])}, args...)...)
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
		for rows.Next() {
			if err := scan(i, rows); err != nil {
				rows.Close()
				return fmt.Errorf("store: %s: %w", what, err)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("store: %s: %w", what, err)
		}
	}
	return nil
}

func spans(bounds []time.Time) int { return max(len(bounds)-1, 0) }

// TicketsOpened counts the tickets created in each span.
func (s *Store) TicketsOpened(ctx context.Context, bounds []time.Time) ([]int, error) {
	out := make([]int, spans(bounds))
	err := s.forSpans(ctx, "tickets opened", `
SELECT count(*) FROM record_facts WHERE object_type = 'tickets' AND archived = 0 AND created_at >= ? AND created_at < ?`,
		bounds, func(i int, rows *sql.Rows) error { return rows.Scan(&out[i]) })
	return out, err
}

// TicketsClosed counts the tickets whose closed_date falls in each span.
// closed_date is HubSpot's text: ISO times in UTC are counted in SQL;
// epoch milliseconds (which sort before '2' until 2033) are parsed by
// parse. A plain date counts in the span holding its UTC midnight.
func (s *Store) TicketsClosed(ctx context.Context, bounds []time.Time, parse func(string) (time.Time, bool)) ([]int, error) {
	out := make([]int, spans(bounds))
	err := s.forSpans(ctx, "tickets closed", `
SELECT count(*) FROM record_facts WHERE object_type = 'tickets' AND archived = 0 AND closed_date >= ? AND closed_date < ?`,
		bounds, func(i int, rows *sql.Rows) error { return rows.Scan(&out[i]) })
	if err != nil || len(out) == 0 {
		return out, err
	}
	rows, err := s.db.QueryContext(ctx, `
SELECT closed_date FROM record_facts WHERE object_type = 'tickets' AND archived = 0 AND closed_date != '' AND closed_date < '2'`)
	if err != nil {
		return nil, fmt.Errorf("store: tickets closed: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: tickets closed: %w", err)
		}
		t, ok := parse(v)
		if !ok {
			continue
		}
		for i := range out {
			if !t.Before(bounds[i]) && t.Before(bounds[i+1]) {
				out[i]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tickets closed: %w", err)
	}
	return out, nil
}

// DealsCreated counts the deals created in each span, by service.
func (s *Store) DealsCreated(ctx context.Context, bounds []time.Time) ([]map[string]int, error) {
	out := make([]map[string]int, spans(bounds))
	err := s.forSpans(ctx, "deals created", `
SELECT service, count(*) FROM record_facts WHERE object_type = 'deals' AND archived = 0 AND created_at >= ? AND created_at < ?
GROUP BY service`, bounds, func(i int, rows *sql.Rows) error {
		var service string
		var n int
		if err := rows.Scan(&service, &n); err != nil {
			return err
		}
		if out[i] == nil {
			out[i] = map[string]int{}
		}
		out[i][service] = n
		return nil
	})
	return out, err
}

// Declines counts, per provider, the declines recorded on the deals created
// in [from, to) (alusta_declined_by): the quality report's declines.
func (s *Store) Declines(ctx context.Context, from, to time.Time) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `
SELECT declined_by, count(*) FROM record_facts
WHERE object_type = 'deals' AND archived = 0 AND created_at >= ? AND created_at < ? AND declined_by != '' GROUP BY 1`,
		formatTime(from), formatTime(to))
	if err != nil {
		return nil, fmt.Errorf("store: declines: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var list string
		var n int
		if err := rows.Scan(&list, &n); err != nil {
			return nil, fmt.Errorf("store: declines: %w", err)
		}
		for id := range strings.SplitSeq(list, ";") {
			if id = strings.TrimSpace(id); id != "" {
				out[id] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: declines: %w", err)
	}
	return out, nil
}

// SLACount is how many SLA cycles of a goal were met and breached.
type SLACount struct {
	Met, Breached int
}

// StoppedSLACycles counts, per span and goal, the cycles started in the
// span that ended met or breached: the ones a compliance rate counts. The
// unary + keeps SQLite from reading by status (sla_cycles_due), which would
// visit every stopped cycle of all time for each span.
func (s *Store) StoppedSLACycles(ctx context.Context, bounds []time.Time) ([]map[string]SLACount, error) {
	out := make([]map[string]SLACount, spans(bounds))
	err := s.forSpans(ctx, "stopped sla cycles", `
SELECT goal, sum(status = 'met'), sum(status = 'breached') FROM sla_cycles
WHERE started_at >= ? AND started_at < ? AND +status IN ('met', 'breached') GROUP BY goal`,
		bounds, func(i int, rows *sql.Rows) error {
			var goal string
			var c SLACount
			if err := rows.Scan(&goal, &c.Met, &c.Breached); err != nil {
				return err
			}
			if out[i] == nil {
				out[i] = map[string]SLACount{}
			}
			out[i][goal] = c
			return nil
		})
	return out, err
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
