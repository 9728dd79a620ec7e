package pipelines

import (
	"cmp"
	"container/heap"
	"slices"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// A backtest replays the records created in a past period through two
// rule sets and compares what each would have done: where records went,
// who had them, which providers got the orders, and how the SLA clocks
// would have ended under each rule set's goals and calendars.
//
// Records are replayed in time order across records, so rotations and
// loads build up as they would have. Each record is decided as it arrived
// (alusta's own properties cleared, the stage, owner and priority it was
// created with); then each change a person made (stage, owner, priority)
// is applied at its time and the record decided again at that moment, so
// clocks start, pause and stop at the real times and an assignment sees
// the loads of that moment. Between changes the record is decided again
// when the rules asked to be woken (a warning or a breach), so breach
// actions land when they would have. alusta's own past writes are not
// facts to replay: they are what the rules decide.
//
// A record whose history is unknown (the store holds no value at its
// creation) falls back to an approximation: decided once as it arrived,
// with the SLA clocks the daemon really ran on it (their start, stop and
// pauses) ended under each rule set's goals and calendars.

// History is one record of a backtest.
type History struct {
	// Input is the record as it is now.
	Input Input
	// Arrival holds the replayed properties' values at creation (HubSpot
	// property names); Changes are people's changes after it, oldest
	// first. Known is false when the history is unknown.
	Arrival map[string]string
	Changes []PropChange
	Known   bool
	// Cycles are the SLA cycles the daemon ran on the record (from its
	// State), for the approximation.
	Cycles []SLACycle
}

// PropChange is a value a property took at a moment.
type PropChange struct {
	Prop, Value string
	At          time.Time
}

// arrivalSlack is how long after a record's creation a value still counts
// as the one it was created with: HubSpot dates the first values of a
// record a few milliseconds after its creation date.
const arrivalSlack = time.Second

// FieldChange is a value one of a record's fields (alusta's field names:
// stage, owner, priority) took, when and by whose hand: HubSpot's
// sourceType, or the store's "pull" and "alusta".
type FieldChange struct {
	Field, Value, Source string
	At                   time.Time
}

// ownSources are the sources of alusta's own writes: "alusta" as the store
// marks what it saw itself write, HubSpot's API and INTEGRATION for writes
// through an app's token. They are what the rules decide, not facts.
var ownSources = []string{"alusta", "API", "INTEGRATION"}

// NewHistory makes a record's history from its field changes (oldest
// first). Values set at or before creation are its arrival; later changes
// by people are replayed. The history is known when the stage at creation
// is.
func NewHistory(m *mappings.Mapping, in Input, changes []FieldChange) History {
	h := History{Input: in, Arrival: map[string]string{}}
	created := in.Record.CreatedAt
	for _, c := range changes {
		prop := m.Field(in.ObjectType, c.Field)
		if prop == "" {
			continue
		}
		if !c.At.After(created.Add(arrivalSlack)) {
			h.Arrival[prop] = c.Value
			continue
		}
		if slices.Contains(ownSources, c.Source) {
			continue
		}
		h.Changes = append(h.Changes, PropChange{Prop: prop, Value: c.Value, At: c.At})
	}
	slices.SortStableFunc(h.Changes, func(a, b PropChange) int { return a.At.Compare(b.At) })
	_, h.Known = h.Arrival[m.Field(in.ObjectType, "stage")]
	return h
}

// NoQueue is the queue of a record the rules gave none.
const NoQueue = "-"

// SLAKey names a goal, and the queue its records ended in.
type SLAKey struct{ Policy, Goal, Queue string }

// BacktestResult is what one rule set would have done.
type BacktestResult struct {
	Records int
	// Approximated counts the records whose history was unknown.
	Approximated int
	Queues       map[string]int // queue -> records
	Owners       map[string]int // owner id -> records held at the end
	Providers    map[string]int // provider id -> orders
	SLA          map[SLAKey]*SLACount
}

// SLACount counts the outcomes of SLA cycles.
type SLACount struct{ Met, Breached, Open int }

// Add adds o to n.
func (n *SLACount) Add(o SLACount) {
	n.Met, n.Breached, n.Open = n.Met+o.Met, n.Breached+o.Breached, n.Open+o.Open
}

// Backtest replays hs through live and next up to now, which ends the
// clocks still running.
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

// Kinds of replay event, in the order they run at the same moment.
const (
	evArrive = iota
	evChange
	evWake
)

type event struct {
	at   time.Time
	kind int
	rec  int // index into the replay's records
	i    int // the change, or the wake's generation
	seq  int
}

type events []event

func (q events) Len() int { return len(q) }
func (q events) Less(i, j int) bool {
	a, b := q[i], q[j]
	if c := a.at.Compare(b.at); c != 0 {
		return c < 0
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.seq < b.seq
}
func (q events) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *events) Push(x any)   { *q = append(*q, x.(event)) }
func (q *events) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// replayed is one record during a replay.
type replayed struct {
	h    *History
	in   Input
	wake int // the generation of the record's pending wake
}

func (e *Engine) backtest(live *Engine, hs []History, now time.Time) (BacktestResult, error) {
	res := BacktestResult{Queues: map[string]int{}, Owners: map[string]int{}, Providers: map[string]int{}, SLA: map[SLAKey]*SLACount{}}
	st := &State{}
	rs := make([]replayed, len(hs))
	q := &events{}
	seq := 0
	push := func(ev event) {
		seq++
		ev.seq = seq
		heap.Push(q, ev)
	}
	for i := range hs {
		h := &hs[i]
		rs[i] = replayed{h: h, in: e.arrived(*h)}
		at := h.Input.Record.CreatedAt
		if at.IsZero() || at.After(now) {
			at = now
		}
		push(event{at: at, kind: evArrive, rec: i})
		if !h.Known {
			continue
		}
		for j, c := range h.Changes {
			if c.At.After(now) {
				break
			}
			push(event{at: c.At, kind: evChange, rec: i, i: j})
		}
	}
	for q.Len() > 0 {
		ev := heap.Pop(q).(event)
		r := &rs[ev.rec]
		switch ev.kind {
		case evChange:
			c := r.h.Changes[ev.i]
			setProp(&r.in.Record, c.Prop, c.Value)
		case evWake:
			if ev.i != r.wake {
				continue // a later decision moved the wake
			}
		}
		d, err := e.look(r, st, ev.at)
		if err != nil {
			return res, err
		}
		r.wake++
		if w := d.NextWake; r.h.Known && !w.IsZero() && w.After(ev.at) && !w.After(now) {
			push(event{at: w, kind: evWake, rec: ev.rec, i: r.wake})
		}
	}
	m := e.m
	for i := range rs {
		r := &rs[i]
		typ := r.in.ObjectType
		if r.h.Known {
			// A last look at the period's end brings the running clocks
			// up to it.
			if _, err := e.look(r, st, now); err != nil {
				return res, err
			}
		}
		res.Records++
		queue, _ := r.in.Record.Prop(m.Outputs.Queue)
		if queue == "" {
			queue = NoQueue
		}
		res.Queues[queue]++
		if o, _ := r.in.Record.Prop(m.Field(typ, "owner")); o != "" {
			res.Owners[o]++
		}
		if p, _ := r.in.Record.Prop(m.Outputs.Provider); typ == hubspot.Deals && p != "" {
			res.Providers[p]++
		}
		if !r.h.Known {
			res.Approximated++
			e.replaySLA(live, *r.h, queue, now, res.SLA)
			continue
		}
		for _, c := range st.Records[typ+"/"+r.in.Record.ID].SLA {
			n := slaCount(res.SLA, SLAKey{c.Policy, c.Goal, queue})
			switch {
			case c.Status == "breached":
				n.Breached++
			case c.Status == "met":
				n.Met++
			default:
				n.Open++
			}
		}
	}
	return res, nil
}

// look decides a replayed record at a moment and leaves its writes on
// the record, as HubSpot would have them for the next look.
func (e *Engine) look(r *replayed, st *State, at time.Time) (Decision, error) {
	r.in.Record.UpdatedAt = at
	d, err := e.DecideApply(r.in, st, at)
	if err != nil {
		return d, err
	}
	for p, v := range d.Writes.All() {
		setProp(&r.in.Record, p, v)
	}
	return d, nil
}

func slaCount(out map[SLAKey]*SLACount, k SLAKey) *SLACount {
	n := out[k]
	if n == nil {
		n = &SLACount{}
		out[k] = n
	}
	return n
}

// setProp sets a property, or unsets it for "".
func setProp(o *hubspot.Object, p, v string) {
	if v == "" {
		delete(o.Properties, p)
		return
	}
	o.Properties[p] = &v
}

// arrived is the record as it was created, for deciding it afresh: alusta's
// own properties cleared, and the stage, owner and priority it arrived with
// (for a record whose history is unknown: the pipeline's first stage and
// no owner).
func (e *Engine) arrived(h History) Input {
	in := h.Input
	m := e.m
	props := make(map[string]*string, len(in.Record.Properties))
	for k, v := range in.Record.Properties {
		props[k] = v
	}
	w := m.Outputs
	for _, p := range []string{w.Queue, w.Provider, w.DeclinedBy, w.Decision, w.SLADue, w.SLAStatus, m.Field(in.ObjectType, "owner")} {
		delete(props, p)
	}
	if h.Known {
		for _, f := range []string{"stage", "owner", "priority"} {
			p := m.Field(in.ObjectType, f)
			if p == "" {
				continue
			}
			delete(props, p)
			if v, ok := h.Arrival[p]; ok && v != "" {
				props[p] = &v
			}
		}
	} else if names := mappings.StageNames(in.ObjectType); len(names) > 0 {
		first := m.StageID(in.ObjectType, names[0])
		props[m.Field(in.ObjectType, "stage")] = &first
	}
	in.Record.Properties = props
	in.Record.UpdatedAt = in.Record.CreatedAt
	in.History = nil
	return in
}

// replaySLA ends each real cycle under e's goals: the business time
// between its real start and stop on e's calendar, less the time it was
// paused (measured on the calendar it ran on).
func (e *Engine) replaySLA(live *Engine, h History, queue string, now time.Time, out map[SLAKey]*SLACount) {
	or := e.r.objects[h.Input.ObjectType]
	if or == nil {
		return
	}
	env, em := e.recordEnv(h.Input.ObjectType, &h.Input.Record, 0)
	defer em.release()
	for _, c := range h.Cycles {
		i := slices.IndexFunc(or.sla, func(p *policy) bool { return p.Name == c.Policy })
		if i < 0 {
			continue // the rules have no such clock
		}
		p := or.sla[i]
		var g *goal
		for _, gl := range p.goals {
			if gl.when == nil || runBool(gl.when.Program, env) { // as Decide does: a failing expression is false
				g = gl
				break
			}
		}
		if g == nil {
			g = p.goals[len(p.goals)-1]
		}
		end := c.Stopped
		if end.IsZero() || end.After(now) {
			end = now
		}
		paused := c.PausedFor
		if old := live.r.calendars[c.Calendar]; old != nil && paused == 0 && !c.LastSeen.IsZero() {
			paused = max(old.Between(c.Start, c.LastSeen)-c.Elapsed, 0)
		}
		elapsed := max(g.cal.Between(c.Start, end)-paused, 0)
		n := slaCount(out, SLAKey{p.Name, g.Name, queue})
		switch {
		case elapsed >= time.Duration(g.Target):
			n.Breached++
		case c.Stopped.IsZero() || c.Stopped.After(now):
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

// SLAGoals returns the goals in rs, sorted, with their totals over queues.
func SLAGoals(rs ...BacktestResult) []SLAKey {
	set := map[SLAKey]bool{}
	for _, r := range rs {
		for k := range r.SLA {
			set[k] = true
			set[SLAKey{Policy: k.Policy, Goal: k.Goal}] = true
		}
	}
	keys := make([]SLAKey, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b SLAKey) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Goal, b.Goal), cmp.Compare(a.Queue, b.Queue))
	})
	return keys
}

// Count is the outcomes of a goal in a queue, or over all queues when
// k.Queue is "".
func (r BacktestResult) Count(k SLAKey) SLACount {
	if k.Queue != "" {
		if n := r.SLA[k]; n != nil {
			return *n
		}
		return SLACount{}
	}
	var sum SLACount
	for kk, n := range r.SLA {
		if kk.Policy == k.Policy && kk.Goal == k.Goal {
			sum.Add(*n)
		}
	}
	return sum
}
