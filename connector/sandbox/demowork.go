package sandbox

import (
	"math/rand/v2"
	"slices"
	"time"
)

// demoWork makes up how people worked the demo's records: when a ticket
// was first answered, put on hold and closed, when an order was forwarded
// and accepted, who took what. Most steps come within the office hours'
// goals, about one in four late, so that a backtest of the demo finds
// goals both met and breached.
type demoWork struct {
	rng *rand.Rand
	loc *time.Location
}

func newDemoWork() *demoWork {
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		loc = time.FixedZone("EET", 2*60*60) // no zone database: close enough for made-up data
	}
	return &demoWork{rng: rand.New(rand.NewPCG(2026, 1129)), loc: loc}
}

// minutes is a random duration between lo and hi minutes.
func (w *demoWork) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+w.rng.IntN(hi-lo+1)) * time.Minute
}

// ticketPaths are the stages a ticket passed through before its current
// one; a closed ticket sometimes waited on the client.
var ticketPaths = map[string][][]string{
	"Työn alla":         {{}},
	"Odottaa asiakasta": {{"Työn alla"}},
	"Suljettu":          {{"Työn alla"}, {"Työn alla"}, {"Työn alla", "Odottaa asiakasta", "Työn alla"}},
}

// ticket is a ticket's history: its values at creation (moves at its
// creation time) and the moves people made, oldest first; nil when it
// never moved.
func (w *demoWork) ticket(v *version, stages map[string]string, advisers []string) []move {
	stage := ""
	for l, id := range stages {
		if id == v.props["hs_pipeline_stage"] {
			stage = l
		}
	}
	owner := v.props["hubspot_owner_id"]
	paths := ticketPaths[stage]
	if len(paths) == 0 {
		return nil // still new: whoever took it did so as it came in
	}
	path := paths[w.rng.IntN(len(paths))]
	late := w.rng.IntN(4) == 0
	at := w.stepsBetween(v.created, v.updated, len(path), func(i int) time.Duration {
		switch {
		case i == 0 && late:
			return w.minutes(4*60, 16*60)
		case i == 0:
			return w.minutes(10, 200)
		}
		return w.minutes(30, 900)
	})
	moves := make([]move, 0, 8)
	moves = append(moves, move{"hs_pipeline_stage", stages["Uusi"], v.created})
	for i, t := range at {
		moves = append(moves, move{"hs_pipeline_stage", stages[path[i]], t})
	}
	moves = append(moves, move{"hs_pipeline_stage", stages[stage], v.updated})
	taken := v.updated
	if len(at) > 0 {
		taken = at[0]
	}
	if owner != "" {
		// One in ten is handed on to a colleague mid-way.
		if other := advisers[w.rng.IntN(len(advisers))]; other != owner && len(at) > 1 && w.rng.IntN(10) == 0 {
			moves = append(moves, move{"hubspot_owner_id", other, taken}, move{"hubspot_owner_id", owner, at[1]})
		} else {
			moves = append(moves, move{"hubspot_owner_id", owner, taken})
		}
	}
	// Some urgent and high ones were raised when someone read them.
	if prio := v.props["hs_ticket_priority"]; (prio == "HIGH" || prio == "URGENT") && w.rng.IntN(5) == 0 {
		moves = append(moves, move{"hs_ticket_priority", "MEDIUM", v.created}, move{"hs_ticket_priority", prio, taken})
	}
	slices.SortStableFunc(moves, func(a, b move) int { return a.at.Compare(b.at) })
	return moves
}

// dealPaths are the stages an order passed through before its current
// one, by the index of its stage in the pipeline: received, forwarded,
// accepted, declined, active, delivered, cancelled.
var dealPaths = [][][]int{1: {{}}, 2: {{1}}, 3: {{1}}, 4: {{1, 2}}, 5: {{1, 2, 4}}, 6: {{}, {1}}}

// deal is an order's history, as ticket's.
func (w *demoWork) deal(v *version, stages map[string]string, labels []string, orderers []string) []move {
	idx := slices.IndexFunc(labels, func(l string) bool { return stages[l] == v.props["dealstage"] })
	owner := v.props["hubspot_owner_id"]
	if idx <= 0 || idx >= len(dealPaths) {
		return nil
	}
	paths := dealPaths[idx]
	path := paths[w.rng.IntN(len(paths))]
	late := w.rng.IntN(4) == 0
	at := w.stepsBetween(v.created, v.updated, len(path), func(i int) time.Duration {
		switch {
		case i == 0 && late: // forwarded late
			return w.minutes(8*60, 24*60)
		case i == 0:
			return w.minutes(15, 360)
		case i == 1 && w.rng.IntN(5) == 0: // accepted late
			return w.minutes(16*60, 40*60)
		case i == 1:
			return w.minutes(30, 12*60)
		}
		return w.minutes(60, 40*60)
	})
	moves := make([]move, 0, 8)
	moves = append(moves, move{"dealstage", stages[labels[0]], v.created})
	for i, t := range at {
		moves = append(moves, move{"dealstage", stages[labels[path[i]]], t})
	}
	moves = append(moves, move{"dealstage", v.props["dealstage"], v.updated})
	// One in ten came to another orderer first, who handed it on.
	if other := orderers[w.rng.IntN(len(orderers))]; other != owner && len(at) > 0 && w.rng.IntN(10) == 0 {
		moves = append(moves, move{"hubspot_owner_id", other, v.created}, move{"hubspot_owner_id", owner, at[0]})
	} else {
		moves = append(moves, move{"hubspot_owner_id", owner, v.created})
	}
	slices.SortStableFunc(moves, func(a, b move) int { return a.at.Compare(b.at) })
	return moves
}

// officeHours are the demo office's: weekdays 8 to 16 in Helsinki.
const officeOpen, officeClose = 8, 16

// workAfter is the moment d of office time after t: when a person who
// works office hours gets to something d of work away.
func (w *demoWork) workAfter(t time.Time, d time.Duration) time.Time {
	loc := w.loc
	x := t.In(loc)
	for {
		day := time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, loc)
		open, closing := day.Add(officeOpen*time.Hour), day.Add(officeClose*time.Hour)
		if wd := x.Weekday(); wd == time.Saturday || wd == time.Sunday || !x.Before(closing) {
			x = day.AddDate(0, 0, 1).Add(officeOpen * time.Hour)
			continue
		}
		if x.Before(open) {
			x = open
		}
		if left := closing.Sub(x); d > left {
			d -= left
			x = day.AddDate(0, 0, 1).Add(officeOpen * time.Hour)
			continue
		}
		return x.Add(d).UTC().Truncate(time.Millisecond)
	}
}

// stepsBetween places n moves in time order after from and before to: the
// first d of office time after from when that comes before to, else
// somewhere early in the span; each later one in what is left.
func (w *demoWork) stepsBetween(from, to time.Time, n int, d func(i int) time.Duration) []time.Time {
	out := make([]time.Time, 0, n)
	at := from
	for i := range n {
		next := w.workAfter(at, d(i))
		if !next.Before(to) {
			span := to.Sub(at)
			next = at.Add(time.Duration(float64(span) * (0.2 + 0.4*w.rng.Float64()))).Truncate(time.Millisecond)
		}
		if !next.After(at) || !next.Before(to) {
			break // no room left between from and to
		}
		out = append(out, next)
		at = next
	}
	return out
}
