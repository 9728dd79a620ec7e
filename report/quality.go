package report

import (
	"context"
	"math"
	"strings"

	"github.com/alusta/alusta/store"
)

// qualityColumns: one row per provider company. orders are deals created
// in the period with the provider; declines deals created in the period
// that list it in declined_by; reassignments decisions in the period
// that moved an order away from it; complaints tickets of kind reklamaatio
// about it; feedback tickets carrying a feedback_score, and their mean.
var qualityColumns = []Column{
	{Name: "month", Kind: Month},
	{Name: "provider_id", Kind: Text},
	{Name: "provider", Kind: Text},
	{Name: "orders", Kind: Int, Sum: true},
	{Name: "declines", Kind: Int, Sum: true},
	{Name: "reassignments", Kind: Int, Sum: true},
	{Name: "complaints", Kind: Int, Sum: true},
	{Name: "feedback", Kind: Int, Sum: true},
	{Name: "feedback_score", Kind: Decimal},
}

func buildQuality(ctx context.Context, env Env, p Period) (*Table, error) {
	companies, err := env.Store.Records(ctx, "companies", store.Filter{})
	if err != nil {
		return nil, err
	}
	type agg struct {
		orders, declines, reassignments, complaints, feedback, scoreSum int64
	}
	byProvider := make(map[string]*agg)
	get := func(id string) *agg {
		a := byProvider[id]
		if a == nil {
			a = &agg{}
			byProvider[id] = a
		}
		return a
	}
	for _, c := range companies {
		get(c.ID)
	}
	deals, err := env.Store.Records(ctx, "deals", store.Filter{})
	if err != nil {
		return nil, err
	}
	for _, d := range deals {
		if !p.contains(d.CreatedAt) {
			continue
		}
		if id := d.Prop("provider"); id != "" {
			get(id).orders++
		}
		for _, id := range strings.Split(d.Prop("declined_by"), ";") {
			if id = strings.TrimSpace(id); id != "" {
				get(id).declines++
			}
		}
	}
	// Decisions come per record in order, so a change of provider between
	// two consecutive rows of one record is a reassignment.
	rows, err := env.Store.DB().QueryContext(ctx, `
SELECT record_id, provider_id, at FROM decisions WHERE object_type = 'deals' AND provider_id != '' ORDER BY record_id, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var prevRecord, prevProvider string
	for rows.Next() {
		var rec, prov, at string
		if err := rows.Scan(&rec, &prov, &at); err != nil {
			return nil, err
		}
		t, err := store.ParseTime(at)
		if err != nil {
			return nil, err
		}
		if rec == prevRecord && prov != prevProvider && p.contains(t) {
			get(prevProvider).reassignments++
		}
		prevRecord, prevProvider = rec, prov
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tickets, err := env.Store.Records(ctx, "tickets", store.Filter{})
	if err != nil {
		return nil, err
	}
	for _, tk := range tickets {
		id := tk.Prop("provider")
		if id == "" || !p.contains(tk.CreatedAt) {
			continue
		}
		if tk.Prop("kind") == "reklamaatio" {
			get(id).complaints++
		}
		if v, ok := parseNumber(tk.Prop("feedback_score")); ok && v >= 1 && v <= 5 {
			a := get(id)
			a.feedback++
			a.scoreSum += int64(math.Round(v * 100))
		}
	}
	names := make(map[string]string, len(companies))
	for _, c := range companies {
		names[c.ID] = c.Prop("name")
	}
	month := p.rowPeriod(p.From.Format("2006-01"))
	t := &Table{Report: "quality", Period: p, Columns: qualityColumns, Rows: [][]any{}}
	for id, a := range byProvider {
		var score any
		if a.feedback > 0 {
			score = math.Round(float64(a.scoreSum)/float64(a.feedback)) / 100
		}
		t.Rows = append(t.Rows, []any{month, id, names[id], a.orders, a.declines, a.reassignments, a.complaints, a.feedback, score})
	}
	col := columnIndex(qualityColumns)
	name, id := col["provider"], col["provider_id"]
	sortRows(t.Rows, func(a, b []any) bool {
		if x, y := a[name].(string), b[name].(string); x != y {
			return x < y
		}
		return a[id].(string) < b[id].(string)
	})
	return t, nil
}
