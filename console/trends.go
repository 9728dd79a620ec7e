package console

import (
	"cmp"
	"maps"
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
	Weeks          int
	To             string // the picker's end date, YYYY-MM-DD
	Options        []int
	From, End      time.Time
	Problems       []string
	SLA            chartView
	Tickets        chartView
	Services       chartView
	Providers      []providerTrend
	ProvidersChart chartView
}

// providersCharted is how many providers the chart of declines shows; the
// table below it lists them all.
const providersCharted = 12

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
	var labels []string
	var bounds []time.Time
	for ws := b.From; ws.Before(b.End); ws = ws.AddDate(0, 0, 7) {
		bounds = append(bounds, ws)
		labels = append(labels, p.Week(ws))
	}
	bounds = append(bounds, b.End)

	// SLA compliance: one line per goal.
	cycles, err := c.opts.Store.StoppedSLACycles(ctx, bounds)
	if err != nil {
		return err
	}
	goals := map[string]bool{}
	for _, week := range cycles {
		for g := range week {
			goals[g] = true
		}
	}
	sla := chartIn{ID: "sla-weeks", Title: p.T("trends.sla"), Labels: labels, Max: 1, Percent: true}
	for _, g := range slices.Sorted(maps.Keys(goals)) {
		s := series{Name: g}
		for _, week := range cycles {
			v := math.NaN()
			if n := week[g]; n.Met+n.Breached > 0 {
				v = float64(n.Met) / float64(n.Met+n.Breached)
			}
			s.Values = append(s.Values, v)
		}
		sla.Series = append(sla.Series, s)
	}
	b.SLA = layout(sla, p.Pct)

	// Tickets opened and closed, as the workload report counts them.
	opened, err := c.opts.Store.TicketsOpened(ctx, bounds)
	if err != nil {
		return err
	}
	closed, err := c.opts.Store.TicketsClosed(ctx, bounds, report.ParseCRMTime)
	if err != nil {
		return err
	}
	b.Tickets = layout(chartIn{ID: "tickets-weeks", Title: p.T("trends.tickets"), Labels: labels, Bars: true,
		Series: []series{{Name: p.T("trends.opened"), Values: floats(opened)}, {Name: p.T("trends.closed"), Values: floats(closed)}}},
		func(f float64) string { return p.Num(f) })

	// Orders per service per month.
	var months []time.Time
	for m := monthStart(b.From, loc); m.Before(b.End); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	deals, err := c.opts.Store.DealsCreated(ctx, append(months, months[len(months)-1].AddDate(0, 1, 0)))
	if err != nil {
		return err
	}
	perService := map[string][]float64{}
	for i, month := range deals {
		for service, n := range month {
			if perService[service] == nil {
				perService[service] = make([]float64, len(months))
			}
			perService[service][i] = float64(n)
		}
	}
	services := chartIn{ID: "services-months", Title: p.T("trends.services"), Bars: true}
	for _, m := range months {
		services.Labels = append(services.Labels, p.Month(m))
	}
	for _, s := range slices.Sorted(maps.Keys(perService)) {
		services.Series = append(services.Series, series{Name: s, Values: perService[s]})
	}
	b.Services = layout(services, func(f float64) string { return p.Num(f) })

	// Declines and reassignments per provider, as the quality report counts
	// them.
	declines, err := c.opts.Store.Declines(ctx, b.From, b.End)
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
	top := chartIn{ID: "providers-period", Title: p.T("trends.providers_top", providersCharted),
		Series: []series{{Name: p.T("col.declines"), Color: "#b3261e"}, {Name: p.T("col.reassignments"), Color: "#8a4b00"}}}
	for _, pr := range b.Providers[:min(len(b.Providers), providersCharted)] {
		top.Labels = append(top.Labels, pr.Name)
		top.Series[0].Values = append(top.Series[0].Values, float64(pr.Declines))
		top.Series[1].Values = append(top.Series[1].Values, float64(pr.Reassignments))
	}
	b.ProvidersChart = stacked(top, func(f float64) string { return p.Num(f) })
	return nil
}

func floats(v []int) []float64 {
	out := make([]float64, len(v))
	for i, n := range v {
		out[i] = float64(n)
	}
	return out
}
