package report

import (
	"context"
	"fmt"
	"time"

	"github.com/alusta/alusta/store"
)

// workloadColumns: one row per ISO week × coordinator × channel, for the
// weeks that overlap the period. opened and closed count tickets created
// and closed (closed_date) in the week; backlog is what was open at the
// week's end. owner_id "" is the unassigned pile.
var workloadColumns = []Column{
	{Name: "week", Kind: Text},
	{Name: "week_start", Kind: Date},
	{Name: "owner_id", Kind: Text},
	{Name: "owner", Kind: Text},
	{Name: "channel", Kind: Text},
	{Name: "opened", Kind: Int, Sum: true},
	{Name: "closed", Kind: Int, Sum: true},
	{Name: "backlog", Kind: Int},
}

// weekStart is the Monday 00:00 in loc of t's ISO week.
func weekStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	d := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-d, 0, 0, 0, 0, loc)
}

func buildWorkload(ctx context.Context, env Env, p Period) (*Table, error) {
	owners, err := env.Store.Owners(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(owners))
	for _, o := range owners {
		names[o.ID] = o.Name()
	}
	tickets, err := env.Store.Records(ctx, "tickets", store.Filter{})
	if err != nil {
		return nil, err
	}
	t := &Table{Report: "workload", Period: p, Columns: workloadColumns, Rows: [][]any{}}
	for ws := weekStart(p.From, env.Loc); ws.Before(p.To); ws = ws.AddDate(0, 0, 7) {
		we := ws.AddDate(0, 0, 7)
		y, w := ws.ISOWeek()
		week := fmt.Sprintf("%d-W%02d", y, w)
		type key struct{ owner, channel string }
		type agg struct{ opened, closed, backlog int64 }
		groups := make(map[key]*agg)
		for _, tk := range tickets {
			created := tk.CreatedAt
			closed, isClosed := parseCRMTime(tk.Prop("closed_at"))
			k := key{tk.Prop("owner"), tk.Prop("source")}
			var a agg
			if !created.Before(ws) && created.Before(we) {
				a.opened = 1
			}
			if isClosed && !closed.Before(ws) && closed.Before(we) {
				a.closed = 1
			}
			if created.Before(we) && (!isClosed || !closed.Before(we)) {
				a.backlog = 1
			}
			if a == (agg{}) {
				continue
			}
			g := groups[k]
			if g == nil {
				g = &agg{}
				groups[k] = g
			}
			g.opened += a.opened
			g.closed += a.closed
			g.backlog += a.backlog
		}
		var rows [][]any
		for k, g := range groups {
			rows = append(rows, []any{week, time.Date(ws.Year(), ws.Month(), ws.Day(), 0, 0, 0, 0, time.UTC), k.owner, names[k.owner], k.channel, g.opened, g.closed, g.backlog})
		}
		sortRows(rows, func(a, b []any) bool {
			for _, i := range []int{3, 2, 4} {
				if x, y := a[i].(string), b[i].(string); x != y {
					return x < y
				}
			}
			return false
		})
		t.Rows = append(t.Rows, rows...)
	}
	return t, nil
}
