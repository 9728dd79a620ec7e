package console

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/alusta/alusta/report"
)

// periodWeeks are the lengths the period picker offers.
var periodWeeks = []int{4, 13, 26, 52}

type providerTrend struct {
	Name                    string
	Declines, Reassignments int
}

type trendsBody struct {
	Weeks     int
	To        string // the picker's end date, YYYY-MM-DD
	Options   []int
	From, End time.Time
	Problems  []string
	SLA       chartView
	Tickets   chartView
	Services  chartView
	Providers []providerTrend
}

// trends shows how the measures agreed with the city develop over weeks and
// months.
func (c *Console) trends(w http.ResponseWriter, r *http.Request) {
	p := c.printerFor(r)
	body := &trendsBody{Weeks: 13, Options: periodWeeks}
	now := c.opts.Now().In(c.opts.Loc)
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, c.opts.Loc)
	q := r.URL.Query()
	if s := q.Get("weeks"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(periodWeeks, n) {
			body.Problems = append(body.Problems, p.T("trends.bad_weeks"))
		} else {
			body.Weeks = n
		}
	}
	if s := q.Get("to"); s != "" {
		t, err := time.ParseInLocation("2006-01-02", s, c.opts.Loc)
		if err != nil {
			body.Problems = append(body.Problems, p.T("trends.bad_to"))
		} else {
			to = t
		}
	}
	body.To = to.Format("2006-01-02")
	if len(body.Problems) > 0 {
		c.renderStatus(w, r, http.StatusBadRequest, "trends", "trends.title", body)
		return
	}
	body.End = report.WeekStart(to, c.opts.Loc).AddDate(0, 0, 7)
	body.From = body.End.AddDate(0, 0, -7*body.Weeks)
	if err := c.trendsBody(r, p, body); err != nil {
		c.fail(w, r, err)
		return
	}
	c.logView(r, "trends")
	c.render(w, r, "trends", "trends.title", body)
}

func (c *Console) trendsBody(r *http.Request, p *printer, b *trendsBody) error {
	ctx := r.Context()
	loc := c.opts.Loc
	var weeks []time.Time
	var labels []string
	for ws := b.From; ws.Before(b.End); ws = ws.AddDate(0, 0, 7) {
		weeks = append(weeks, ws)
		labels = append(labels, p.Week(ws))
	}
	weekOf := func(t time.Time) int {
		ws := report.WeekStart(t, loc)
		for i, w := range weeks {
			if w.Equal(ws) {
				return i
			}
		}
		return -1
	}

	// SLA compliance: one line per goal.
	cycles, err := c.opts.Store.StoppedSLACycles(ctx, b.From, b.End)
	if err != nil {
		return err
	}
	type tally struct{ met, all []int }
	goals := map[string]*tally{}
	for _, cy := range cycles {
		i := weekOf(cy.StartedAt)
		if i < 0 {
			continue
		}
		t := goals[cy.Goal]
		if t == nil {
			t = &tally{met: make([]int, len(weeks)), all: make([]int, len(weeks))}
			goals[cy.Goal] = t
		}
		t.all[i]++
		if cy.Met {
			t.met[i]++
		}
	}
	sla := chartIn{ID: "sla-weeks", Title: p.T("trends.sla"), Labels: labels, Max: 1, Percent: true}
	for _, g := range sortedKeys(goals) {
		s := series{Name: g}
		for i := range weeks {
			v := math.NaN()
			if t := goals[g]; t.all[i] > 0 {
				v = float64(t.met[i]) / float64(t.all[i])
			}
			s.Values = append(s.Values, v)
		}
		sla.Series = append(sla.Series, s)
	}
	b.SLA = layout(sla, p.Pct)

	// Tickets opened and closed, as the workload report counts them.
	spans, err := c.opts.Store.TicketsTouching(ctx, b.From, b.End)
	if err != nil {
		return err
	}
	opened := make([]float64, len(weeks))
	closed := make([]float64, len(weeks))
	for _, t := range spans {
		if i := weekOf(t.Created); i >= 0 {
			opened[i]++
		}
		if ct, ok := report.ParseCRMTime(t.ClosedDate); ok {
			if i := weekOf(ct); i >= 0 {
				closed[i]++
			}
		}
	}
	b.Tickets = layout(chartIn{ID: "tickets-weeks", Title: p.T("trends.tickets"), Labels: labels, Bars: true,
		Series: []series{{Name: p.T("trends.opened"), Values: opened}, {Name: p.T("trends.closed"), Values: closed}}},
		func(f float64) string { return p.Num(f) })

	// Orders per service per month.
	var months []time.Time
	for m := monthStart(b.From, loc); m.Before(b.End); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	deals, err := c.opts.Store.DealsCreated(ctx, months[0], months[len(months)-1].AddDate(0, 1, 0))
	if err != nil {
		return err
	}
	perService := map[string][]float64{}
	for _, d := range deals {
		ms := monthStart(d.Created, loc)
		i := slices.IndexFunc(months, func(m time.Time) bool { return m.Equal(ms) })
		if i < 0 {
			continue
		}
		v := perService[d.Service]
		if v == nil {
			v = make([]float64, len(months))
			perService[d.Service] = v
		}
		v[i]++
	}
	services := chartIn{ID: "services-months", Title: p.T("trends.services"), Bars: true}
	for _, m := range months {
		services.Labels = append(services.Labels, p.Month(m))
	}
	for _, s := range sortedKeys(perService) {
		services.Series = append(services.Series, series{Name: s, Values: perService[s]})
	}
	b.Services = layout(services, func(f float64) string { return p.Num(f) })

	// Declines and reassignments per provider, as the quality report counts
	// them.
	declines, err := c.declinesIn(r, b.From, b.End)
	if err != nil {
		return err
	}
	moves, err := c.opts.Store.Reassignments(ctx, b.From, b.End)
	if err != nil {
		return err
	}
	n, err := c.names(ctx)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for id := range declines {
		ids[id] = true
	}
	for id := range moves {
		ids[id] = true
	}
	for id := range ids {
		b.Providers = append(b.Providers, providerTrend{Name: n.provider(id), Declines: declines[id], Reassignments: moves[id]})
	}
	slices.SortFunc(b.Providers, func(a, b providerTrend) int {
		return cmp.Or(cmp.Compare(b.Declines+b.Reassignments, a.Declines+a.Reassignments), cmp.Compare(a.Name, b.Name))
	})
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
