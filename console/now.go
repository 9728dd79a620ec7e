package console

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alusta/alusta/store"
)

type queueRow struct {
	Type, Queue                         string
	Open, Running, Warning, Paused, Bad int
	Oldest                              time.Time
}

type coordinatorRow struct {
	Name            string
	Tickets, Orders int
}

type providerRow struct {
	Name     string
	Open     int
	Capacity int // 0: not set
	Load     float64
	Declines int
}

// LoadWidth is the provider's load as a bar width out of 100, capped.
func (p providerRow) LoadWidth() int { return int(math.Round(min(p.Load, 1) * 100)) }

type waitingRow struct {
	ID, Service, Municipality, Queue, Reason string
	Created                                  time.Time
}

type nowBody struct {
	Queues       []queueRow
	SLA          chartView
	Coordinators []coordinatorRow
	Providers    []providerRow
	Waiting      []waitingRow
	WaitingTotal int
}

// waitingShown is how many waiting orders the page lists.
const waitingShown = 50

// now is the front page: what is open and who carries it.
func (c *Console) now(w http.ResponseWriter, r *http.Request) {
	body, err := c.nowBody(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.logView(r, "now")
	c.render(w, r, "now", "now.title", body)
}

func (c *Console) nowBody(r *http.Request) (*nowBody, error) {
	ctx := r.Context()
	p := c.printerFor(r)
	n, err := c.names(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := c.opts.Store.OpenGroups(ctx)
	if err != nil {
		return nil, err
	}
	b := &nowBody{}
	queues := map[[2]string]*queueRow{}
	coords := map[string]*coordinatorRow{}
	open := map[string]int{}
	for _, g := range groups {
		k := [2]string{g.ObjectType, g.Queue}
		q := queues[k]
		if q == nil {
			q = &queueRow{Type: g.ObjectType, Queue: g.Queue, Oldest: g.Oldest}
			queues[k] = q
		}
		q.Open += g.Count
		switch g.SLAStatus {
		case store.SLARunning:
			q.Running += g.Count
		case store.SLAWarning:
			q.Warning += g.Count
		case store.SLAPaused:
			q.Paused += g.Count
		case store.SLABreached:
			q.Bad += g.Count
		}
		if g.Oldest.Before(q.Oldest) {
			q.Oldest = g.Oldest
		}
		name := p.T("unassigned")
		if g.OwnerID != "" {
			name = n.owner(g.OwnerID)
		}
		cr := coords[name]
		if cr == nil {
			cr = &coordinatorRow{Name: name}
			coords[name] = cr
		}
		if g.ObjectType == "tickets" {
			cr.Tickets += g.Count
		} else {
			cr.Orders += g.Count
			if g.ProviderID != "" {
				open[g.ProviderID] += g.Count
			}
		}
	}
	for _, q := range queues {
		b.Queues = append(b.Queues, *q)
	}
	slices.SortFunc(b.Queues, func(a, b queueRow) int {
		return cmp.Or(cmp.Compare(b.Type, a.Type), cmp.Compare(a.Queue, b.Queue))
	})
	for _, cr := range coords {
		b.Coordinators = append(b.Coordinators, *cr)
	}
	slices.SortFunc(b.Coordinators, func(a, b coordinatorRow) int {
		return cmp.Or(cmp.Compare(b.Tickets+b.Orders, a.Tickets+a.Orders), cmp.Compare(a.Name, b.Name))
	})
	b.SLA = c.slaChart(p, b.Queues)

	month := monthStart(c.opts.Now(), c.opts.Loc)
	declines, err := c.opts.Store.Declines(ctx, month, month.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	companies, err := c.opts.Store.Records(ctx, "companies", store.Filter{})
	if err != nil {
		return nil, err
	}
	for _, co := range companies {
		active := co.Prop("active") != "false"
		if !active && open[co.ID] == 0 && declines[co.ID] == 0 {
			continue
		}
		row := providerRow{Name: n.provider(co.ID), Open: open[co.ID], Declines: declines[co.ID], Load: math.NaN()}
		if capa, err := strconv.ParseFloat(strings.Replace(co.Prop("capacity"), ",", ".", 1), 64); err == nil && capa > 0 {
			row.Capacity = int(capa)
			row.Load = float64(row.Open) / capa
		}
		b.Providers = append(b.Providers, row)
	}
	slices.SortFunc(b.Providers, func(a, b providerRow) int {
		la, lb := a.Load, b.Load
		if math.IsNaN(la) {
			la = -1
		}
		if math.IsNaN(lb) {
			lb = -1
		}
		return cmp.Or(cmp.Compare(lb, la), cmp.Compare(b.Open, a.Open), cmp.Compare(a.Name, b.Name))
	})

	waiting, total, err := c.opts.Store.WaitingOrders(ctx, waitingShown)
	if err != nil {
		return nil, err
	}
	b.WaitingTotal = total
	for _, o := range waiting {
		b.Waiting = append(b.Waiting, waitingRow{ID: o.ID, Service: o.Service, Municipality: o.Municipality,
			Queue: o.Queue, Created: o.Created, Reason: n.reason(o.Decision)})
	}
	return b, nil
}

// slaChart draws the open SLA clocks per queue as grouped bars.
func (c *Console) slaChart(p *printer, queues []queueRow) chartView {
	in := chartIn{ID: "sla-now", Title: p.T("now.sla"), Bars: true}
	run := series{Name: p.T("sla.running"), Color: "#0b5cad"}
	warn := series{Name: p.T("sla.warning"), Color: "#8a4b00"}
	bad := series{Name: p.T("sla.breached"), Color: "#b3261e"}
	for _, q := range queues {
		if q.Running+q.Warning+q.Bad == 0 {
			continue
		}
		label := q.Queue
		if label == "" {
			label = p.T("no_queue")
		}
		in.Labels = append(in.Labels, label+" – "+p.T("type."+strings.TrimSuffix(q.Type, "s")))
		run.Values = append(run.Values, float64(q.Running))
		warn.Values = append(warn.Values, float64(q.Warning))
		bad.Values = append(bad.Values, float64(q.Bad))
	}
	in.Series = []series{run, warn, bad}
	return stacked(in, func(f float64) string { return p.Num(f) })
}

// monthStart is the first moment of t's month in loc.
func monthStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
}
