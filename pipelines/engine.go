package pipelines

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/mappings"
)

// DefaultUnassignedQueue is the queue of an order nobody can take.
const DefaultUnassignedQueue = "koordinaattori"

// Input is one record to decide, with the directory it is decided against.
type Input struct {
	ObjectType string // hubspot.Tickets or hubspot.Deals
	Record     hubspot.Object
	Providers  []Provider      // from ParseProviders; deals only
	Owners     []hubspot.Owner // the portal's owners
}

// State is everything the engine remembers between cycles. The caller
// loads it before a cycle and saves it after; it is plain JSON.
type State struct {
	// Rotation holds the last id chosen per rotation key (team or route and
	// service), so a round robin survives members joining or leaving.
	Rotation map[string]string `json:"rotation,omitempty"`
	// Weights holds smooth weighted round-robin credit per key and provider.
	Weights map[string]map[string]float64 `json:"weights,omitempty"`
	// OpenOrders counts open orders per provider id.
	OpenOrders map[string]int `json:"open_orders,omitempty"`
	// OpenTickets counts open records per owner id.
	OpenTickets map[string]int `json:"open_tickets,omitempty"`
	// Records is per-record memory keyed "tickets/123".
	Records map[string]*RecordState `json:"records,omitempty"`
}

// RecordState is what the engine remembers about one record.
type RecordState struct {
	// Written is what alusta last wrote, property -> value.
	Written map[string]string `json:"written,omitempty"`
	// Declined lists the providers that declined this order.
	Declined []string `json:"declined,omitempty"`
	// SLA holds every cycle, oldest first.
	SLA []SLACycle `json:"sla,omitempty"`
	// Noted lists the routes whose note was already added.
	Noted []string `json:"noted,omitempty"`
	// Owner and Provider are whose open count includes this record.
	Owner    string `json:"owner,omitempty"`
	Provider string `json:"provider,omitempty"`
}

// SLACycle is one run of an SLA clock.
type SLACycle struct {
	Policy   string        `json:"policy"`
	Goal     string        `json:"goal"`
	Calendar string        `json:"calendar"`
	Target   time.Duration `json:"target"`
	Start    time.Time     `json:"start"`
	LastSeen time.Time     `json:"last_seen"`
	// Elapsed is business time counted up to LastSeen, pauses excluded.
	Elapsed time.Duration `json:"elapsed"`
	Paused  bool          `json:"paused,omitempty"`
	Due     time.Time     `json:"due"`
	Stopped time.Time     `json:"stopped,omitzero"`
	Status  string        `json:"status"`
	Acted   bool          `json:"acted,omitempty"`
}

// Association is an association alusta asks the caller to create.
type Association struct {
	FromType, FromID string
	ToType, ToID     string
	Category         string // hubspot.HubSpotDefined or hubspot.UserDefined
	TypeID           int
}

// Candidate is one provider considered for an order.
type Candidate struct {
	ID, Name string
	Eligible bool
	Reason   string // how it was chosen, in the portal's language
	Why      Reason // why not eligible; Why.In writes it (explain does)
	Chosen   bool
}

// Decision is what the engine decided for one record.
type Decision struct {
	ObjectType, RecordID, Rule string
	// Writes holds property -> value for what differs from the record.
	Writes map[string]string
	// Associate is an association to create, e.g. deal -> provider.
	Associate *Association
	// Notes are texts to add as notes on the record; each route's note
	// comes once per record, each breach note once per SLA cycle.
	Notes []string
	// Explanation is the short text for alusta_decision.
	Explanation string
	// Sticky lists properties left alone because a person changed them.
	Sticky []string
	// NextWake is the next SLA warning or breach moment, or zero.
	NextWake time.Time
	SLA      []SLACycle
	// Candidates are the providers considered, for deals.
	Candidates []Candidate
	// Problems are rule failures at run time (an expression that failed
	// on this record's data, counted as false), for the log.
	Problems []string
	// Retry is true when an order could not be assigned; decide it again
	// when the providers change (see ProvidersFingerprint).
	Retry bool
}

// Engine applies rules to records. It holds no mutable state, so one
// engine may serve several goroutines with separate States.
type Engine struct {
	r *Rules
	m *mappings.Mapping
}

// NewEngine returns an engine for the rules and a resolved mapping.
func NewEngine(r *Rules, m *mappings.Mapping) *Engine { return &Engine{r: r, m: m} }

func (st *State) record(key string) *RecordState {
	if st.Records == nil {
		st.Records = map[string]*RecordState{}
	}
	rs := st.Records[key]
	if rs == nil {
		rs = &RecordState{}
		st.Records[key] = rs
	}
	return rs
}

// Forget drops a record from the state (archived or deleted in the CRM)
// and takes it out of the open counts.
func (st *State) Forget(objectType, id string) {
	key := objectType + "/" + id
	rs := st.Records[key]
	if rs == nil {
		return
	}
	if rs.Owner != "" && st.OpenTickets != nil {
		st.OpenTickets[rs.Owner]--
	}
	if rs.Provider != "" && st.OpenOrders != nil {
		st.OpenOrders[rs.Provider]--
	}
	delete(st.Records, key)
}

// Recount rebuilds OpenOrders and OpenTickets from the records' own
// contributions (RecordState.Owner and Provider). Call it after putting
// back a record's earlier RecordState (a rejected push), or after loading
// records saved at different times, so the counts cannot drift.
func (st *State) Recount() {
	st.OpenOrders, st.OpenTickets = map[string]int{}, map[string]int{}
	for _, rs := range st.Records {
		if rs.Owner != "" {
			st.OpenTickets[rs.Owner]++
		}
		if rs.Provider != "" {
			st.OpenOrders[rs.Provider]++
		}
	}
}

func (st *State) init() {
	if st.Rotation == nil {
		st.Rotation = map[string]string{}
	}
	if st.Weights == nil {
		st.Weights = map[string]map[string]float64{}
	}
	if st.OpenOrders == nil {
		st.OpenOrders = map[string]int{}
	}
	if st.OpenTickets == nil {
		st.OpenTickets = map[string]int{}
	}
}

// decider carries one Decide call.
type decider struct {
	e    *Engine
	in   *Input
	st   *State
	rs   *RecordState
	now  time.Time
	env  map[string]any
	want map[string]string // desired values, property -> value
	d    *Decision
	why  []string
	pool string          // the team the route assigned from, for reassignment
	p    *locale.Printer // the portal's language, for alusta_decision
}

func (x *decider) prop(name string) string {
	v, _ := x.in.Record.Prop(name)
	return v
}

func (x *decider) field(f string) string { return x.e.m.Field(x.in.ObjectType, f) }

func (x *decider) eval(p *vm.Program, def bool, what string) bool {
	if p == nil {
		return def
	}
	out, err := expr.Run(p, x.env)
	if err != nil {
		x.d.Problems = append(x.d.Problems, fmt.Sprintf("%s: expression failed: %v", what, err))
		return false
	}
	b, _ := out.(bool)
	return b
}

// Observe updates the open counts for a record without deciding it. Call
// it for every record before the first Decide of a fresh State, so that
// least-loaded and capacity checks see existing work.
func (e *Engine) Observe(in Input, st *State) {
	st.init()
	rs := st.record(in.ObjectType + "/" + in.Record.ID)
	e.count(&in, st, rs)
}

// count keeps OpenOrders and OpenTickets in step with the record.
func (e *Engine) count(in *Input, st *State, rs *RecordState) {
	m := e.m
	t := in.ObjectType
	stageID, _ := in.Record.Prop(m.Field(t, "stage"))
	stage := m.StageName(t, stageID)
	open := !in.Record.Archived
	switch stage {
	case "closed", "declined", "delivered", "cancelled":
		open = false
	}
	owner, _ := in.Record.Prop(m.Field(t, "owner"))
	if !open {
		owner = ""
	}
	if owner != rs.Owner {
		if rs.Owner != "" {
			st.OpenTickets[rs.Owner]--
		}
		if owner != "" {
			st.OpenTickets[owner]++
		}
		rs.Owner = owner
	}
	if t != hubspot.Deals {
		return
	}
	provider, _ := in.Record.Prop(m.Written.Provider)
	if !open {
		provider = ""
	}
	if provider != rs.Provider {
		if rs.Provider != "" {
			st.OpenOrders[rs.Provider]--
		}
		if provider != "" {
			st.OpenOrders[provider]++
		}
		rs.Provider = provider
	}
}

// Decide applies the rules to one record at now and updates st in place:
// counts, rotations, declines, SLA cycles and alusta's last writes (the
// caller drops the State changes if it fails to push the writes).
func (e *Engine) Decide(in Input, st *State, now time.Time) (Decision, error) {
	or := e.r.objects[in.ObjectType]
	if or == nil {
		return Decision{}, fmt.Errorf("pipelines: decide %s/%s: no rules for %s", in.ObjectType, in.Record.ID, in.ObjectType)
	}
	if !e.m.Resolved() {
		return Decision{}, fmt.Errorf("pipelines: decide %s/%s: %w", in.ObjectType, in.Record.ID, mappings.ErrNotResolved)
	}
	st.init()
	key := in.ObjectType + "/" + in.Record.ID
	rs := st.record(key)
	e.count(&in, st, rs)
	x := &decider{e: e, in: &in, st: st, rs: rs, now: now, want: map[string]string{}, p: e.m.Printer(),
		d: &Decision{ObjectType: in.ObjectType, RecordID: in.Record.ID}}
	x.env = recordEnv(e.m, in.ObjectType, &in.Record, len(rs.Declined))

	x.route(or.routes)
	// SLA clocks see the record as this decision leaves it, so that
	// forwarding an order stops its assignment clock at once.
	applyEnv(e.m, in.ObjectType, x.env, x.want)
	x.sla(or.sla)
	x.finish()
	return *x.d, nil
}

func (x *decider) route(routes []*route) {
	var matched []string
	var provider *ProviderSpec
	for _, rt := range routes {
		if !x.eval(rt.when, true, "route "+rt.Name) {
			continue
		}
		matched = append(matched, rt.Name)
		if x.keepRouting(rt) { // a closed record; see closed.go
			if !rt.Continue {
				break
			}
			continue
		}
		if rt.Queue != "" {
			x.want[x.e.m.Written.Queue] = rt.Queue
		}
		if rt.Priority != "" {
			x.want[x.field("priority")] = rt.Priority
		}
		if rt.Stage != "" {
			x.want[x.field("stage")] = x.e.m.StageID(x.in.ObjectType, rt.Stage)
		}
		if rt.Note != "" && !slices.Contains(x.rs.Noted, rt.Name) {
			// A route's note is added once per record, not every cycle.
			x.rs.Noted = append(x.rs.Noted, rt.Name)
			x.d.Notes = append(x.d.Notes, rt.Note)
		}
		if rt.Assign != nil {
			x.pool = rt.Assign.Pool
			x.assignOwner(rt.Assign.Pool, rt.Assign.Strategy, false)
		}
		if rt.Provider != nil {
			provider = rt.Provider
		}
		if !rt.Continue {
			break
		}
	}
	x.d.Rule = strings.Join(matched, ",")
	if provider != nil {
		x.assignProvider(provider, x.d.Rule)
	}
	head := []string{x.p.T("decision.route", "Rule", x.d.Rule)}
	if q := x.want[x.e.m.Written.Queue]; q != "" {
		head = append(head, x.p.T("decision.queue", "Queue", q))
	}
	x.why = append(head, x.why...)
}

// assignOwner picks an owner from a team when the record has none, or a
// different one when force is set (reassignment on breach).
func (x *decider) assignOwner(pool, strategy string, force bool) {
	ownerProp := x.field("owner")
	if ownerProp == "" {
		return
	}
	current := x.prop(ownerProp)
	if last, wrote := x.rs.Written[ownerProp]; wrote && current != last {
		x.sticky(ownerProp)
		return
	}
	if current != "" && !force {
		return
	}
	t := x.e.r.teams[pool]
	if strategy == "" {
		strategy = t.strategy
	}
	byEmail := map[string]string{}
	for _, o := range x.in.Owners {
		if !o.Archived && o.Email != "" {
			byEmail[strings.ToLower(o.Email)] = o.ID
		}
	}
	var ids, names []string
	for _, mem := range t.members {
		id, ok := byEmail[mem]
		if !ok || t.away[mem] || (force && id == current) {
			continue
		}
		ids = append(ids, id)
		names = append(names, mem)
	}
	if len(ids) == 0 {
		x.why = append(x.why, x.p.T("decision.no_owner", "Team", pool))
		return
	}
	var pick int
	switch strategy {
	case "least_open":
		for i, id := range ids {
			if x.st.OpenTickets[id] < x.st.OpenTickets[ids[pick]] {
				pick = i
			}
		}
	default:
		rk := "team:" + pool
		last := x.st.Rotation[rk]
		pick = 0
		// The state holds the owner id, not the email, so the store keeps
		// no contact details; an email is a position saved before that.
		j := slices.IndexFunc(t.members, func(mem string) bool {
			return last != "" && (mem == last || byEmail[mem] == last)
		})
		if j >= 0 {
			// The next member after the last one chosen, in team order,
			// among those available now.
			for i, mem := range names {
				if slices.Index(t.members, mem) > j {
					pick = i
					break
				}
			}
		}
		x.st.Rotation[rk] = ids[pick]
	}
	x.want[ownerProp] = ids[pick]
	// Count the record now, so later decisions in this cycle see it.
	if x.rs.Owner != "" {
		x.st.OpenTickets[x.rs.Owner]--
	}
	x.st.OpenTickets[ids[pick]]++
	x.rs.Owner = ids[pick]
	x.why = append(x.why, x.p.T("decision.owner", "Name", ownerName(x.in.Owners, ids[pick], names[pick]),
		"Strategy", x.p.T("strategy."+strategy), "Team", pool))
}

// sticky records that a person changed p after alusta last wrote it.
func (x *decider) sticky(p string) {
	if !slices.Contains(x.d.Sticky, p) {
		x.d.Sticky = append(x.d.Sticky, p)
	}
}

// finish applies the sticky rule, keeps only changes and writes the
// explanation.
func (x *decider) finish() {
	m := x.e.m
	if len(x.d.SLA) > 0 {
		c := displayCycle(x.d.SLA)
		if c.Status != "paused" && !c.Due.IsZero() {
			x.want[m.Written.SLADue] = c.Due.UTC().Format(hubspot.TimeFormat)
		}
		x.want[m.Written.SLAStatus] = c.Status
		if c.Status == "paused" {
			// A paused clock's due time moves with every look at it; the
			// time left does not, so the explanation (and the record)
			// stays still until the clock runs again.
			x.why = append(x.why, x.p.T("decision.sla_paused", "Goal", c.Goal, "Left", x.p.Duration(c.Target-c.Elapsed)))
		} else {
			x.why = append(x.why, x.p.T("decision.sla", "Goal", c.Goal, "Status", x.p.T("sla_status."+c.Status),
				"Due", x.p.Time(c.Due, x.e.r.calendarLoc(c.Calendar))))
		}
	}
	expl := clip(strings.Join(x.why, "; "))
	x.d.Explanation = expl
	x.want[m.Written.Decision] = expl
	writes := map[string]string{}
	for _, p := range sortedKeys(x.want) {
		v := x.want[p]
		cur, has := x.in.Record.Prop(p)
		if has && cur == v {
			continue
		}
		if last, wrote := x.rs.Written[p]; wrote && p != m.Written.Decision && p != m.Written.SLADue && p != m.Written.SLAStatus {
			if cur != last {
				x.sticky(p)
				continue
			}
		}
		writes[p] = v
	}
	if len(x.d.Sticky) > 0 {
		expl = clip(expl + "; " + x.p.T("decision.sticky", "Properties", strings.Join(x.d.Sticky, ", ")))
		x.d.Explanation = expl
		if cur, _ := x.in.Record.Prop(m.Written.Decision); cur != expl {
			writes[m.Written.Decision] = expl
		}
	}
	if p := m.Written.Provider; x.d.Associate != nil {
		if _, ok := writes[p]; !ok {
			x.d.Associate = nil
		}
	}
	if x.rs.Written == nil {
		x.rs.Written = map[string]string{}
	}
	for p, v := range writes {
		// The explanation and the SLA fields are alusta's alone and never
		// sticky, so they are not remembered: that keeps the State small.
		if p != m.Written.Decision && p != m.Written.SLADue && p != m.Written.SLAStatus {
			x.rs.Written[p] = v
		}
	}
	x.d.Writes = writes
}

// displayCycle is the cycle shown in alusta_sla_*: the running one due
// first, else a paused one, else the latest.
func displayCycle(cs []SLACycle) SLACycle {
	best := -1
	for i, c := range cs {
		if !c.Stopped.IsZero() || c.Paused {
			continue
		}
		if best < 0 || c.Due.Before(cs[best].Due) {
			best = i
		}
	}
	if best >= 0 {
		return cs[best]
	}
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].Stopped.IsZero() {
			return cs[i]
		}
	}
	return cs[len(cs)-1]
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

var nextPriority = map[string]string{"LOW": "MEDIUM", "MEDIUM": "HIGH", "HIGH": "URGENT", "": "HIGH"}
