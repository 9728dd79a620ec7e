package pipelines

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

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
	Providers  []Provider      // from ParseProviders; for assignment and shortlists
	Activities []Activity      // from ParseActivities; for suggestions
	Owners     []hubspot.Owner // the portal's owners
	// Explain asks for Decision.Candidates, every provider considered
	// for an order, as rules explain shows them. A cycle leaves it unset:
	// listing forty providers for every order assigned was a quarter of
	// what deciding allocated, for a list nobody read.
	Explain bool
	// History is HubSpot's propertiesWithHistory of the record, newest
	// first. On a record's first look the stage history lets an SLA clock
	// start when its condition became true in HubSpot (see replay); nil
	// starts clocks at the first look, or at creation for a clock with no
	// start condition.
	History map[string][]hubspot.ValueTime
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
	Written Values `json:"written,omitempty"`
	// Declined lists the providers that declined this order.
	Declined []string `json:"declined,omitempty"`
	// SLA holds every cycle, oldest first.
	SLA []SLACycle `json:"sla,omitempty"`
	// Noted lists the routes whose note was already added.
	Noted []string `json:"noted,omitempty"`
	// Owner and Provider are whose open count includes this record.
	Owner    string `json:"owner,omitempty"`
	Provider string `json:"provider,omitempty"`
	// Shortlist is the provider shortlist last written on a ticket.
	Shortlist *ListMemory `json:"shortlist,omitempty"`
	// Referral is a welfare referral made from, or tracked on, a ticket.
	Referral *ReferralMemory `json:"referral,omitempty"`
	// Order is the service order made for a palveluhaku client's choice.
	Order *OrderMemory `json:"order,omitempty"`
}

// SLACycle is one run of an SLA clock.
type SLACycle struct {
	Policy string `json:"policy"`
	// Cycle numbers the policy's cycles on the record from 1.
	Cycle    int           `json:"cycle,omitempty"`
	Goal     string        `json:"goal"`
	Calendar string        `json:"calendar"`
	Target   time.Duration `json:"target"`
	Start    time.Time     `json:"start"`
	LastSeen time.Time     `json:"last_seen"`
	// Elapsed is business time counted up to LastSeen, pauses excluded.
	Elapsed time.Duration `json:"elapsed"`
	// PausedFor is business time on hold up to LastSeen: the time the
	// cycle spent paused, on the same calendar as Elapsed, so that the SLA
	// report's paused hours and its elapsed hours add up.
	PausedFor time.Duration `json:"paused_for,omitempty"`
	Paused    bool          `json:"paused,omitempty"`
	Due       time.Time     `json:"due"`
	Stopped   time.Time     `json:"stopped,omitzero"`
	Status    string        `json:"status"`
	Acted     bool          `json:"acted,omitempty"`
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
	// Eligible and Chosen sit together: that makes a Candidate 96 bytes,
	// not 104, and forty of them a size class smaller.
	Eligible bool
	Chosen   bool
	Reason   string // how it was chosen, in the portal's language
	Why      Reason // why not eligible; Why.In writes it (explain does)
}

// Decision is what the engine decided for one record.
type Decision struct {
	ObjectType, RecordID, Rule string
	// Writes holds property -> value for what differs from the record.
	Writes Values
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
	// Candidates are the providers considered for an order being
	// assigned, when Input.Explain asks for them.
	Candidates []Candidate
	// Shortlist holds the provider ids listed on a ticket, best first;
	// Suggestions the NGO activity ids.
	Shortlist, Suggestions []string
	// Referral is a referral ticket to create; Outcome a referral's
	// progress to write on the ticket it was made from.
	Referral *Referral
	Outcome  *Outcome
	// Order is a service order to create for a client's choice.
	Order *Order
	// Problems are rule failures at run time: an expression that failed
	// on this record's data or ran over its budget, counted as false. They
	// are logged, counted and end the explanation.
	Problems []Problem
	// Retry is true when an order could not be assigned; decide it again
	// when the providers change (see ProvidersFingerprint).
	Retry bool
}

// Engine applies rules to records. It holds no mutable state, so one
// engine may serve several goroutines with separate States.
type Engine struct {
	r    *Rules
	m    *mappings.Mapping
	envs map[string]*envSpec // by object type
	// vmOnly runs every condition on expr's VM, for tests that compare
	// the conditions' Go functions with it.
	vmOnly bool
	// resolved caches that the mapping was resolved, which it stays:
	// asking the mapping walked its objects for every record.
	resolved atomic.Bool
}

// NewEngine returns an engine for the rules and a resolved mapping.
func NewEngine(r *Rules, m *mappings.Mapping) *Engine {
	e := &Engine{r: r, m: m, envs: map[string]*envSpec{}}
	for t, or := range r.objects {
		e.envs[t] = newEnvSpec(m, t, exprNames(or))
	}
	return e
}

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

// copyOf returns a copy of the memory of the record key, or a new one.
// The record's memory is the one thing a decision changes in place, so it
// works on a copy that becomes the change's.
func (st *State) copyOf(key string) *RecordState {
	if rs := st.Records[key].clone(); rs != nil {
		return rs
	}
	return &RecordState{}
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

// Change is what one decision does to the engine's State: the record's
// new memory, and the rotation positions, weights and open counts it
// moved. Decide returns it; State.Apply makes it so.
type Change struct {
	key                     string
	record                  *changeRecord
	rotation                []move[string]
	weights                 []move[map[string]float64]
	openOrders, openTickets []move[int] // differences
}

// changeRecord is a Change's record memory. The first State the change
// is applied to takes rs itself, and any later one (or an Unwrite) a copy:
// each State then has a record nobody else changes, as when every Apply
// copied, without copying the SLA cycles and writes of every decision
// again. A Change is not for concurrent use.
type changeRecord struct {
	rs    *RecordState
	given bool // a State holds rs
}

// Unwrite drops prop from what the change says alusta wrote: HubSpot
// refused that one property while it took the rest of the record, and a
// remembered write that never landed would later look like a person's
// change.
func (c Change) Unwrite(prop string) {
	if rs := c.record.own(); rs != nil {
		rs.Written.Delete(prop)
	}
}

// own returns the record memory for the change alone to change: a copy
// once a State holds rs. It is nil when the change has none.
func (r *changeRecord) own() *RecordState {
	if r == nil || r.rs == nil {
		return nil
	}
	if r.given {
		r.rs, r.given = r.rs.clone(), false
	}
	return r.rs
}

// take returns the record memory for a State to hold.
func (r *changeRecord) take() *RecordState {
	if r == nil {
		return nil
	}
	if r.given {
		return r.rs.clone()
	}
	r.given = true
	return r.rs
}

// Wrote adds prop to what the change says alusta wrote: a write of an
// earlier decision whose answer was lost has landed all the same (the
// record read back shows it), and a later change to it is a person's.
func (c Change) Wrote(prop, value string) {
	if rs := c.record.own(); rs != nil {
		rs.Written.Set(prop, value)
	}
}

// Apply makes a Change to the state. A Change may be applied to several
// states (a page's working copy, then the daemon's own): what it shares
// with them (weight maps) the engine never changes in place.
func (st *State) Apply(c Change) {
	if c.key == "" {
		return
	}
	st.init()
	for _, m := range c.rotation {
		st.Rotation[m.key] = m.v
	}
	for _, m := range c.weights {
		// Shared, never changed: the engine replaces weight maps.
		st.Weights[m.key] = m.v
	}
	for _, m := range c.openOrders {
		st.OpenOrders[m.key] += m.v
	}
	for _, m := range c.openTickets {
		st.OpenTickets[m.key] += m.v
	}
	if st.Records == nil {
		st.Records = map[string]*RecordState{}
	}
	st.Records[c.key] = c.record.take()
}

// Scratch returns a working copy of the shared state and of the records
// named by keys, to decide a batch against without touching st: each
// decision's Change is applied to the copy so that the next sees it (a
// round robin moves on), and to st only once the writes have landed.
func (st *State) Scratch(keys ...string) *State { return st.scratch(keys...) }

func (st *State) scratch(keys ...string) *State {
	s := &State{
		Rotation:    maps.Clone(st.Rotation),
		OpenOrders:  maps.Clone(st.OpenOrders),
		OpenTickets: maps.Clone(st.OpenTickets),
		// The inner maps are shared: the engine replaces a weight map
		// rather than changing it.
		Weights: maps.Clone(st.Weights),
		Records: make(map[string]*RecordState, len(keys)),
	}
	for _, k := range keys {
		if r := st.Records[k]; r != nil {
			s.Records[k] = r.clone()
		}
	}
	return s
}

// clone is a deep copy; nil stays nil.
func (r *RecordState) clone() *RecordState {
	if r == nil {
		return nil
	}
	cp := *r
	cp.Written = r.Written.Clone()
	cp.Declined = slices.Clone(r.Declined)
	cp.SLA = slices.Clone(r.SLA)
	cp.Noted = slices.Clone(r.Noted)
	if r.Shortlist != nil {
		l := *r.Shortlist
		l.IDs = slices.Clone(l.IDs)
		cp.Shortlist = &l
	}
	if r.Referral != nil {
		ref := *r.Referral
		cp.Referral = &ref
	}
	if r.Order != nil {
		o := *r.Order
		cp.Order = &o
	}
	return &cp
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
	e *Engine
	// in is a copy: a pointer to the caller's would move every Input
	// to the heap, as what a decider points to escapes.
	in   Input
	st   working // by value, for the same reason
	rs   *RecordState
	now  time.Time
	spec *envSpec // the object type's fields and properties
	v    *view    // the record as the conditions see it
	want *Values  // desired values by property
	// stage is alusta's name of the record's stage as read, before the
	// decision.
	stage string
	d     *Decision
	// head and why are the explanation's text: head the route and queue,
	// which lead it, and why the rest in the order they came, each part
	// led by "; ". The texts are written into them as they come, rather
	// than each made a string and joined at the end.
	head []byte
	why  []byte
	pool string          // the team the route assigned from, for reassignment
	p    *locale.Printer // the portal's language, for alusta_decision
	vm   *vm.VM          // the scratch's, reused by every condition
	// replaying is set while replay runs a policy over the past, where
	// breach actions (which change owners and rotations) must not run.
	replaying bool
	past      *Decision // what replay decides, thrown away
	pastWant  *Values   // what replay would write, thrown away
	// firstLook is set for the look that follows a replay (see replay).
	firstLook bool
	sc        *scratch // takes head's and why's room back
}

// scratch is what a decision works in and leaves nothing of, kept in
// scratches between decisions: making it for each was a tenth of what
// deciding allocated.
type scratch struct {
	d, past        Decision // the decision, copied out when made
	want, pastWant Values
	// head and why are the decider's, kept for their room.
	head, why []byte
	// vm runs the conditions; its stack, made for each decision, was one
	// allocation a record.
	vm vm.VM
	// sla is the room the SLA clocks run in (see sla).
	sla []SLACycle
}

var scratches = sync.Pool{New: func() any {
	return &scratch{want: make(Values, 0, 16), head: make([]byte, 0, 512), why: make([]byte, 0, 512)}
}}

// release empties the scratch and returns it to scratches.
func (sc *scratch) release() {
	clear(sc.want)
	clear(sc.pastWant)
	sc.want, sc.pastWant = sc.want[:0], sc.pastWant[:0]
	sc.d = Decision{}
	if sc.past.Problems != nil {
		// Replay writes nothing else into the past's decision, and
		// emptying all of it for every record was a fiftieth of deciding.
		sc.past = Decision{}
	}
	sc.head, sc.why = sc.head[:0], sc.why[:0]
	clear(sc.vm.Stack[:cap(sc.vm.Stack)]) // holds no record's values
	clear(sc.vm.Variables)
	scratches.Put(sc)
}

func (x *decider) prop(name string) string {
	v, _ := x.in.Record.Prop(name)
	return v
}

func (x *decider) field(f string) string {
	// The fields every decision asks for are looked up once per spec.
	switch f {
	case "owner":
		return x.spec.ownerProp
	case "priority":
		return x.spec.priorityProp
	case "pipeline":
		return x.spec.pipelineProp
	}
	return x.spec.propOf[f]
}

// eval runs a condition; def is the value of a condition not given. The
// rule's name comes in parts, joined only for a problem to report: joining
// them for every condition of every record was a sixth of what deciding
// allocated.
func (x *decider) eval(c *cond, def bool, rule ...string) bool {
	if c == nil {
		return def
	}
	if c.fast != nil && !x.e.vmOnly {
		return c.fast(x.v)
	}
	env := x.v.exprEnv()
	out, err := run(x.vm, c.Program, env)
	if err != nil {
		if !x.v.full {
			// The values to leave out of the description are all the
			// record's, not only those the expressions use.
			env = maps.Clone(env)
			env["props"] = x.v.allProps()
		}
		x.d.Problems = append(x.d.Problems, Problem{Rule: strings.Join(rule, ""), Err: describeEvalError(err, env)})
		return false
	}
	b, _ := out.(bool)
	return b
}

// Observe updates the open counts for a record without deciding it. Call
// it for every record before the first Decide of a fresh State, so that
// least-loaded and capacity checks see existing work.
func (e *Engine) Observe(in Input, st *State) {
	key := in.ObjectType + "/" + in.Record.ID
	w := &working{base: st}
	rs := st.copyOf(key)
	e.count(e.envSpec(in.ObjectType), &in, w, rs)
	st.Apply(w.change(key, rs))
}

// count keeps OpenOrders and OpenTickets in step with the record, and
// returns alusta's name of the record's stage.
func (e *Engine) count(spec *envSpec, in *Input, st *working, rs *RecordState) string {
	m := e.m
	t := in.ObjectType
	stageID, _ := in.Record.Prop(spec.stageProp)
	stage := spec.stageName(stageID)
	open := !in.Record.Archived
	switch stage {
	case "closed", "declined", "delivered", "cancelled":
		open = false
	}
	owner, _ := in.Record.Prop(spec.ownerProp)
	if !open {
		owner = ""
	}
	if owner != rs.Owner {
		if rs.Owner != "" {
			st.addTickets(rs.Owner, -1)
		}
		if owner != "" {
			st.addTickets(owner, 1)
		}
		rs.Owner = owner
	}
	if t != hubspot.Deals {
		return stage
	}
	provider, _ := in.Record.Prop(m.Outputs.Provider)
	if !open {
		provider = ""
	}
	if provider != rs.Provider {
		if rs.Provider != "" {
			st.addOrders(rs.Provider, -1)
		}
		if provider != "" {
			st.addOrders(provider, 1)
		}
		rs.Provider = provider
	}
	return stage
}

// Decide applies the rules to one record at now. It changes nothing: it
// returns the decision and the Change it makes to st (counts, rotations,
// declines, SLA cycles and alusta's last writes), which the caller applies
// with State.Apply once the decision's writes have landed, and drops when
// they have not.
func (e *Engine) Decide(in Input, st *State, now time.Time) (Decision, Change, error) {
	or := e.r.objects[in.ObjectType]
	if or == nil {
		return Decision{}, Change{}, fmt.Errorf("pipelines: decide %s/%s: no rules for %s", in.ObjectType, in.Record.ID, in.ObjectType)
	}
	if !e.resolved.Load() {
		if !e.m.Resolved() {
			return Decision{}, Change{}, fmt.Errorf("pipelines: decide %s/%s: %w", in.ObjectType, in.Record.ID, mappings.ErrNotResolved)
		}
		e.resolved.Store(true)
	}
	key := in.ObjectType + "/" + in.Record.ID
	rs := st.copyOf(key)
	d, w := e.decideOn(or, &in, st, rs, now)
	return d, w.change(key, rs), nil
}

// DecideApply decides and applies the change at once, for callers with no
// write to wait for: rule tests, explain, backtests.
func (e *Engine) DecideApply(in Input, st *State, now time.Time) (Decision, error) {
	d, c, err := e.Decide(in, st, now)
	if err != nil {
		return Decision{}, err
	}
	st.Apply(c)
	return d, nil
}

// decideOn decides one record against st, changing the record's memory
// rs; it returns the decision and its moves in st.
func (e *Engine) decideOn(or *objectRules, in *Input, st *State, rs *RecordState, now time.Time) (Decision, working) {
	sc := scratches.Get().(*scratch)
	defer sc.release()
	x := &decider{e: e, in: *in, st: working{base: st}, rs: rs, now: now, want: &sc.want, p: e.m.Printer(), spec: e.envSpec(in.ObjectType),
		d: &sc.d, head: sc.head, why: sc.why, vm: &sc.vm, past: &sc.past, pastWant: &sc.pastWant, sc: sc}
	sc.d.ObjectType, sc.d.RecordID = in.ObjectType, in.Record.ID
	x.stage = e.count(x.spec, in, &x.st, rs)
	x.v = newView(x.spec, &in.Record, len(rs.Declined), false)
	defer x.v.release()
	if or.referral != nil && e.m.ReferralPipelineID() != "" && x.prop(x.field("pipeline")) == e.m.ReferralPipelineID() {
		x.decideReferral(or.referral)
		x.finish()
		return *x.d, x.st
	}

	x.route(or.routes)
	// SLA clocks see the record as this decision leaves it, so that
	// forwarding an order stops its assignment clock at once.
	for _, w := range *x.want {
		x.v.set(w.Prop, w.Value)
	}
	x.sla(or.sla)
	if or.referral != nil {
		x.refer()
	}
	x.finish()
	return *x.d, x.st
}

func (x *decider) route(routes []*route) {
	var matchedBuf [8]string
	matched := matchedBuf[:0]
	var provider *ProviderSpec
	var shortlist *ShortlistSpec
	var shortlistRoute string
	var suggest *SuggestSpec
	for _, rt := range routes {
		if !x.eval(rt.when, true, "route ", rt.Name) {
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
			x.want.Set(x.e.m.Outputs.Queue, rt.Queue)
		}
		if rt.Priority != "" {
			x.want.Set(x.field("priority"), rt.Priority)
		}
		if rt.Stage != "" {
			x.want.Set(x.spec.stageProp, x.e.m.StageID(x.in.ObjectType, rt.Stage))
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
		if rt.Shortlist != nil {
			shortlist, shortlistRoute = rt.Shortlist, rt.Name
		}
		if rt.SuggestActivities != nil {
			suggest = rt.SuggestActivities
		}
		if !rt.Continue {
			break
		}
	}
	x.d.Rule = strings.Join(matched, ",")
	if provider != nil {
		x.assignProvider(provider, x.d.Rule)
	}
	if shortlist != nil {
		x.shortlist(shortlist, shortlistRoute)
	}
	if suggest != nil {
		x.suggestActivities(suggest)
	}
	x.head = x.p.AppendS(x.head, "decision.route", "Rule", x.d.Rule)
	if q := x.want.Get(x.e.m.Outputs.Queue); q != "" {
		x.head = x.p.AppendS(append(x.head, "; "...), "decision.queue", "Queue", q)
	}
}

// assignOwner picks an owner from a team when the record has none, or a
// different one when force is set (reassignment on breach).
func (x *decider) assignOwner(pool, strategy string, force bool) {
	ownerProp := x.field("owner")
	if ownerProp == "" {
		return
	}
	current := x.prop(ownerProp)
	if last, wrote := x.rs.Written.Lookup(ownerProp); wrote && current != last {
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
	// A team has a handful of members and a portal some dozens of
	// owners: looking each member up beats making a map per record.
	var idsBuf, namesBuf [16]string
	ids, names := idsBuf[:0], namesBuf[:0]
	for _, mem := range t.members {
		id, ok := ownerID(x.in.Owners, mem)
		if !ok || t.away[mem] || (force && id == current) {
			continue
		}
		ids = append(ids, id)
		names = append(names, mem)
	}
	if len(ids) == 0 {
		x.say("decision.no_owner", "Team", pool)
		return
	}
	var pick int
	switch strategy {
	case "least_open":
		for i, id := range ids {
			if x.st.openTicketsOf(id) < x.st.openTicketsOf(ids[pick]) {
				pick = i
			}
		}
	default:
		rk := "team:" + pool
		last := x.st.rotationOf(rk)
		pick = 0
		// The state holds the owner id, not the email, so the store keeps
		// no contact details; an email is a position saved before that.
		j := slices.IndexFunc(t.members, func(mem string) bool {
			if last == "" {
				return false
			}
			id, ok := ownerID(x.in.Owners, mem)
			return mem == last || ok && id == last
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
		x.st.setRotation(rk, ids[pick])
	}
	x.want.Set(ownerProp, ids[pick])
	// Count the record now, so later decisions in this cycle see it.
	if x.rs.Owner != "" {
		x.st.addTickets(x.rs.Owner, -1)
	}
	x.st.addTickets(ids[pick], 1)
	x.rs.Owner = ids[pick]
	x.say("decision.owner", "Name", ownerName(x.in.Owners, ids[pick], names[pick]),
		"Strategy", x.p.T(strategyKey(strategy)), "Team", pool)
}

// ownerID returns the id of the active owner whose email, in lower case,
// is email; the last such owner when there are several.
func ownerID(owners []hubspot.Owner, email string) (string, bool) {
	for i := len(owners) - 1; i >= 0; i-- {
		if o := &owners[i]; !o.Archived && o.Email != "" && lowerIs(o.Email, email) {
			return o.ID, true
		}
	}
	return "", false
}

// lowerIs reports whether strings.ToLower(s) == lower without making the
// lower-case copy: a team's members are looked up among every owner for
// each record assigned, and two addresses mostly differ at once. An ASCII
// prefix lowers byte by byte in place, so a difference in it decides;
// from the first other byte on, ToLower does.
func lowerIs(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			// s[:i] matched lower[:i]; ToLower maps each rune alone.
			return strings.ToLower(s[i:]) == lower[i:]
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if i >= len(lower) || c != lower[i] {
			return false
		}
	}
	return len(s) == len(lower)
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
	if len(x.d.Problems) > 0 {
		ps := make([]string, len(x.d.Problems))
		for i, p := range x.d.Problems {
			ps[i] = p.String()
		}
		x.say("decision.problems", "Problems", strings.Join(ps, "; "))
	}
	if len(x.d.SLA) > 0 {
		c := displayCycle(x.d.SLA)
		if c.Status != "paused" && !c.Due.IsZero() {
			x.want.Set(m.Outputs.SLADue, x.dueText(c.Due))
		}
		x.want.Set(m.Outputs.SLAStatus, c.Status)
		if c.Status == "paused" {
			// A paused clock's due time moves with every look at it; the
			// time left does not, so the explanation (and the record)
			// stays still until the clock runs again.
			x.say("decision.sla_paused", "Goal", c.Goal, "Left", x.p.Duration(c.Target-c.Elapsed))
		} else {
			// The due time and the status's name are written into the
			// explanation as they are, not made strings first.
			x.why = x.p.AppendTAt(append(x.why, "; "...), "decision.sla", "Due", c.Due, x.e.r.calendarLoc(c.Calendar),
				"Goal", c.Goal, "Status", x.p.T(slaStatusKey(c.Status)))
		}
	}
	expl := clip(x.explanation())
	x.d.Explanation = expl
	x.want.Set(m.Outputs.Decision, expl)
	// The writes are made on the stack, sorted, and copied out once: a
	// map for them was a sixth of what deciding allocated.
	var writesBuf [16]Value
	writes := Values(writesBuf[:0])
	var stickyBuf [8]string
	sticky := stickyBuf[:0]
	for _, w := range *x.want {
		p, v := w.Prop, w.Value
		cur, has := x.in.Record.Prop(p)
		if has && cur == v {
			continue
		}
		if last, wrote := x.rs.Written.Lookup(p); wrote && remembered(m, p) {
			if cur != last {
				sticky = append(sticky, p)
				continue
			}
		}
		writes = append(writes, w)
	}
	// The writes are in property order, as want is.
	// The properties a person changed are listed in name order; sorting
	// them rather than every property decided keeps the list the same.
	slices.Sort(sticky)
	for _, p := range sticky {
		x.sticky(p)
	}
	if len(x.d.Sticky) > 0 {
		expl = clip(expl + "; " + x.p.T("decision.sticky", "Properties", strings.Join(x.d.Sticky, ", ")))
		x.d.Explanation = expl
		if cur, _ := x.in.Record.Prop(m.Outputs.Decision); cur != expl {
			writes = writes.with(m.Outputs.Decision, expl)
		}
	}
	if p := m.Outputs.Provider; x.d.Associate != nil {
		if !writes.Has(p) {
			x.d.Associate = nil
		}
	}
	remember := 0
	for _, w := range writes {
		if remembered(m, w.Prop) {
			remember++
		}
	}
	// Room for them all first, so that remembering makes one array at
	// most.
	x.rs.Written = slices.Grow(x.rs.Written, remember)
	for _, w := range writes {
		if remembered(m, w.Prop) {
			x.rs.Written.Set(w.Prop, w.Value)
		}
	}
	if len(writes) > 0 {
		x.d.Writes = make(Values, len(writes))
		copy(x.d.Writes, writes)
	}
}

// remembered reports whether a write of p goes into RecordState.Written.
// The explanation and the SLA fields are alusta's alone and never sticky,
// so they are not remembered: that keeps the State small.
func remembered(m *mappings.Mapping, p string) bool {
	return p != m.Outputs.Decision && p != m.Outputs.SLADue && p != m.Outputs.SLAStatus
}

// dueText is t as alusta_sla_due holds it: the record's own string when
// it holds that time already, as it does on every look but the first,
// rather than a new one that finish would only find unchanged.
func (x *decider) dueText(t time.Time) string {
	var arr [24]byte
	due := appendHubspotTime(arr[:0], t)
	if cur, ok := x.in.Record.Prop(x.e.m.Outputs.SLADue); ok && cur == string(due) {
		return cur
	}
	return string(due)
}

// say adds a text to the explanation.
func (x *decider) say(id string, kv ...string) {
	x.why = x.p.AppendS(append(x.why, "; "...), id, kv...)
}

// explanation is the head and the rest joined with "; ", copied once
// into a string.
func (x *decider) explanation() string {
	why := x.why
	if len(x.head) == 0 && len(why) >= 2 {
		why = why[2:] // no "; " before the first part
	}
	b := append(x.head, why...)
	x.sc.head, x.sc.why = b[:0], x.why[:0]
	return string(b)
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

// strategyKey is the catalogue id of a strategy's name, without building
// the id for every decision.
func strategyKey(s string) string {
	switch s {
	case "round_robin":
		return "strategy.round_robin"
	case "least_open":
		return "strategy.least_open"
	case "least_loaded":
		return "strategy.least_loaded"
	case "weighted":
		return "strategy.weighted"
	case "ordered":
		return "strategy.ordered"
	case "client_choice":
		return "strategy.client_choice"
	}
	return "strategy." + s
}

// slaStatusKey is the catalogue id of an SLA status's name, without
// building the id for every decision.
func slaStatusKey(s string) string {
	switch s {
	case "running":
		return "sla_status.running"
	case "warning":
		return "sla_status.warning"
	case "breached":
		return "sla_status.breached"
	case "paused":
		return "sla_status.paused"
	case "met":
		return "sla_status.met"
	}
	return "sla_status." + s
}

var nextPriority = map[string]string{"LOW": "MEDIUM", "MEDIUM": "HIGH", "HIGH": "URGENT", "": "HIGH"}
