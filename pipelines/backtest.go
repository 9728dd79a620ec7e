package pipelines

import (
	"slices"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// A backtest replays records created in a past period through two rule
// sets and compares what they would have done: where records were routed,
// who got them, which providers got the orders, and how the SLA clocks the
// records really ran would have ended under each rule set's goals and
// calendars. Each record is decided as it arrived (alusta's own properties,
// the owner and the provider cleared, the pipeline's first stage), in the
// order records were created, so rotations and loads build up as they
// would have. SLA clocks keep their real start and stop moments (those are
// people's actions) and the time they were paused; only the goal, the
// target and the calendar come from the rules.

// History is one record of a backtest: as it is now, and the SLA cycles
// the engine ran on it (from its State).
type History struct {
	Input  Input
	Cycles []SLACycle
}

// BacktestResult is what one rule set would have done.
type BacktestResult struct {
	Records   int
	Queues    map[string]int       // queue -> records
	Owners    map[string]int       // owner id -> records assigned
	Providers map[string]int       // provider id -> orders assigned
	SLA       map[string]*SLACount // "policy: goal" -> outcomes
}

// SLACount counts the outcomes of SLA cycles.
type SLACount struct{ Met, Breached, Open int }

// Backtest replays hs through live and next; now ends the clocks still
// running.
func Backtest(live, next *Engine, hs []History, now time.Time) (BacktestResult, BacktestResult, error) {
	hs = slices.Clone(hs)
	slices.SortStableFunc(hs, func(a, b History) int { return a.Input.Record.CreatedAt.Compare(b.Input.Record.CreatedAt) })
	a, err := live.backtest(live, hs, now)
	if err != nil {
		return a, BacktestResult{}, err
	}
	b, err := next.backtest(live, hs, now)
	return a, b, err
}

func (e *Engine) backtest(live *Engine, hs []History, now time.Time) (BacktestResult, error) {
	res := BacktestResult{Queues: map[string]int{}, Owners: map[string]int{}, Providers: map[string]int{}, SLA: map[string]*SLACount{}}
	st := &State{}
	m := e.m
	for _, h := range hs {
		in := e.arrived(h.Input)
		at := in.Record.CreatedAt
		if at.IsZero() || at.After(now) {
			at = now
		}
		d, err := e.DecideApply(in, st, at)
		if err != nil {
			return res, err
		}
		res.Records++
		typ := in.ObjectType
		if q := valueAfter(in.Record, d.Writes, m.Written.Queue); q != "" {
			res.Queues[q]++
		}
		if o := valueAfter(in.Record, d.Writes, m.Field(typ, "owner")); o != "" {
			res.Owners[o]++
		}
		if typ == hubspot.Deals {
			if p := valueAfter(in.Record, d.Writes, m.Written.Provider); p != "" {
				res.Providers[p]++
			}
		}
		e.replaySLA(live, h, now, res.SLA)
	}
	return res, nil
}

// arrived is the record as it was created, for deciding it afresh.
func (e *Engine) arrived(in Input) Input {
	m := e.m
	props := make(map[string]*string, len(in.Record.Properties))
	for k, v := range in.Record.Properties {
		props[k] = v
	}
	w := m.Written
	for _, p := range []string{w.Queue, w.Provider, w.DeclinedBy, w.Decision, w.SLADue, w.SLAStatus, m.Field(in.ObjectType, "owner")} {
		delete(props, p)
	}
	if names := mappings.StageNames(in.ObjectType); len(names) > 0 {
		first := m.StageID(in.ObjectType, names[0])
		props[m.Field(in.ObjectType, "stage")] = &first
	}
	in.Record.Properties = props
	return in
}

// replaySLA ends each real cycle under e's goals: the business time
// between its real start and stop on e's calendar, less the time it was
// paused (measured on the calendar it ran on).
func (e *Engine) replaySLA(live *Engine, h History, now time.Time, out map[string]*SLACount) {
	or := e.r.objects[h.Input.ObjectType]
	if or == nil {
		return
	}
	env, em := e.recordEnv(h.Input.ObjectType, &h.Input.Record, 0, true)
	defer em.release()
	for _, c := range h.Cycles {
		i := slices.IndexFunc(or.sla, func(p *policy) bool { return p.Name == c.Policy })
		if i < 0 {
			continue // the rules have no such clock
		}
		p := or.sla[i]
		var g *goal
		for _, gl := range p.goals {
			if gl.when == nil || runBool(gl.when, env) { // as Decide does: a failing expression is false
				g = gl
				break
			}
		}
		if g == nil {
			g = p.goals[len(p.goals)-1]
		}
		end := c.Stopped
		if end.IsZero() {
			end = now
		}
		var paused time.Duration
		if old := live.r.calendars[c.Calendar]; old != nil {
			paused = max(old.Between(c.Start, end)-c.Elapsed, 0)
		}
		elapsed := max(g.cal.Between(c.Start, end)-paused, 0)
		key := p.Name + ": " + g.Name
		n := out[key]
		if n == nil {
			n = &SLACount{}
			out[key] = n
		}
		switch {
		case elapsed >= time.Duration(g.Target):
			n.Breached++
		case c.Stopped.IsZero():
			n.Open++
		default:
			n.Met++
		}
	}
}

func runBool(p *vm.Program, env map[string]any) bool {
	out, err := expr.Run(p, env)
	b, _ := out.(bool)
	return err == nil && b
}
