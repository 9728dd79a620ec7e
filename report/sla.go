package report

import (
	"context"
	"math"
	"sort"

	"github.com/alusta/alusta/store"
)

// slaColumns: one row per month × pipeline × queue × provider × goal. The
// hours are business hours as the rule engine stored them (holidays,
// opening hours and daylight-saving changes already applied); paused_hours
// is the sum of time on hold. Median and p90 cover stopped cycles (met or
// breached).
var slaColumns = []Column{
	{Name: "month", Kind: Month},
	{Name: "pipeline", Kind: Text},
	{Name: "queue", Kind: Text},
	{Name: "provider_id", Kind: Text},
	{Name: "provider", Kind: Text},
	{Name: "goal", Kind: Text},
	{Name: "cycles", Kind: Int, Sum: true},
	{Name: "met", Kind: Int, Sum: true},
	{Name: "breached", Kind: Int, Sum: true},
	{Name: "open", Kind: Int, Sum: true},
	{Name: "paused_hours", Kind: Decimal, Sum: true},
	{Name: "median_hours", Kind: Decimal},
	{Name: "p90_hours", Kind: Decimal},
}

func buildSLA(ctx context.Context, env Env, p Period) (*Table, error) {
	labels, err := pipelineLabels(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	// Coordinators know providers by name; the id stays for joins.
	providers, err := providerNames(ctx, env.Store)
	if err != nil {
		return nil, err
	}
	rows, err := env.Store.DB().QueryContext(ctx, `
SELECT object_type, pipeline, queue, provider_id, goal, started_at, status, paused_seconds, business_elapsed_seconds
FROM (SELECT c.object_type, COALESCE(json_extract(r.properties, '$.pipeline'), '') AS pipeline,
             COALESCE(json_extract(r.properties, '$.queue'), '') AS queue,
             COALESCE(json_extract(r.properties, '$.provider'), '') AS provider_id,
             c.goal, c.started_at, c.status, c.paused_seconds, c.business_elapsed_seconds
      FROM sla_cycles c LEFT JOIN records r ON r.object_type = c.object_type AND r.id = c.record_id
      WHERE c.started_at >= ? AND c.started_at < ?)`,
		p.From.UTC().Format(store.TimeLayout), p.To.UTC().Format(store.TimeLayout))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type key struct{ month, pipeline, queue, provider, goal string }
	type agg struct {
		cycles, met, breached, open, paused int64
		elapsed                             []int64
	}
	groups := make(map[key]*agg)
	for rows.Next() {
		var typ, pipeline, started, status string
		var k key
		var paused, elapsed int64
		if err := rows.Scan(&typ, &pipeline, &k.queue, &k.provider, &k.goal, &started, &status, &paused, &elapsed); err != nil {
			return nil, err
		}
		at, err := store.ParseTime(started)
		if err != nil {
			return nil, err
		}
		k.month = p.rowPeriod(at.In(env.Loc).Format("2006-01"))
		k.pipeline = pipeline
		if l, ok := labels[typ+"/"+pipeline]; ok {
			k.pipeline = l
		}
		a := groups[k]
		if a == nil {
			a = &agg{}
			groups[k] = a
		}
		a.cycles++
		a.paused += paused
		switch status {
		case store.SLAMet:
			a.met++
			a.elapsed = append(a.elapsed, elapsed)
		case store.SLABreached:
			a.breached++
			a.elapsed = append(a.elapsed, elapsed)
		default:
			a.open++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	t := &Table{Report: "sla", Period: p, Columns: slaColumns, Rows: [][]any{}}
	for k, a := range groups {
		r := []any{k.month, k.pipeline, k.queue, k.provider, providers[k.provider].Prop("name"), k.goal, a.cycles, a.met, a.breached, a.open,
			hours(float64(a.paused)), nil, nil}
		if len(a.elapsed) > 0 {
			r[11] = hours(median(a.elapsed))
			r[12] = hours(percentile(a.elapsed, 90))
		}
		t.Rows = append(t.Rows, r)
	}
	sortRows(t.Rows, func(a, b []any) bool {
		for _, i := range []int{0, 1, 2, 3, 5} { // the key: month, pipeline, queue, provider id, goal
			if x, y := a[i].(string), b[i].(string); x != y {
				return x < y
			}
		}
		return false
	})
	return t, nil
}

// hours converts seconds to hours rounded to two decimals.
func hours(sec float64) float64 { return math.Round(sec/36) / 100 }

// median is the middle value, or the mean of the two middle values.
func median(v []int64) float64 {
	s := sortedCopy(v)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

// percentile is the nearest-rank percentile: the smallest value with at
// least q percent of the values at or below it.
func percentile(v []int64, q int) float64 {
	s := sortedCopy(v)
	rank := (q*len(s) + 99) / 100
	if rank < 1 {
		rank = 1
	}
	return float64(s[rank-1])
}

func sortedCopy(v []int64) []int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// pipelineLabels maps "objectType/pipelineID" to the pipeline's label.
func pipelineLabels(ctx context.Context, s *store.Store) (map[string]string, error) {
	out := make(map[string]string)
	for _, typ := range []string{"tickets", "deals"} {
		stages, err := s.Stages(ctx, typ)
		if err != nil {
			return nil, err
		}
		for _, st := range stages {
			out[typ+"/"+st.PipelineID] = st.PipelineLabel
		}
	}
	return out, nil
}
