package pipelines

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// numericFields are the fields expressions see as numbers (0 when unset).
var numericFields = map[string]bool{"amount": true, "units": true, "feedback_score": true}

// exprEnv is the typed example environment expressions compile against:
// every mapped field name of the object type, "stage" as alusta's stage
// name (received, closed, ...), "props" with every raw property and
// "declines", the number of providers that declined a deal. Compiling
// against it turns an unknown name into a load error.
func exprEnv(m *mappings.Mapping, objectType string) map[string]any {
	env := map[string]any{"props": map[string]string{}, "declines": 0}
	for _, f := range mappings.FieldNames(objectType) {
		if numericFields[f] {
			env[f] = 0.0
		} else {
			env[f] = ""
		}
	}
	return env
}

// view is a record as the conditions see it, kept in viewPool between
// decisions: the text and number of each field the rules name, the
// properties set since the record was read, and expr's environment made
// from them only when a condition needs expr's VM (see cond). Refilling
// a view that has its room allocates nothing.
type view struct {
	spec *envSpec
	// str and num are the fields' values by index in spec.fields: the
	// text, and for a numeric field the number. The stage field holds
	// alusta's stage name, not HubSpot's id.
	str      []string
	num      []float64
	declines int
	// props holds the values set since (see set); with full it holds
	// every property of rec, as the environment's "props" must when an
	// expression reads it.
	props map[string]string
	full  bool
	rec   map[string]*string // the record's properties
	// env is expr's environment; stale when a value changed after it
	// was made.
	env   map[string]any
	stale bool
}

var viewPool = sync.Pool{New: func() any { return &view{env: map[string]any{}, props: map[string]string{}} }}

// release empties the view and returns it to viewPool; it must not be
// used after.
func (v *view) release() {
	clear(v.env)
	clear(v.props)
	clear(v.str)
	v.spec, v.full, v.rec, v.stale, v.declines = nil, false, nil, false, 0
	viewPool.Put(v)
}

// value is a property's value as the view has it: set since, or the
// record's.
func (v *view) value(p string) (string, bool) {
	if s, ok := v.props[p]; ok || v.full {
		return s, ok
	}
	if s := v.rec[p]; s != nil {
		return *s, true
	}
	return "", false
}

// allProps is every property as the view has it, for describing an
// expression's failure without the record's values.
func (v *view) allProps() map[string]string {
	if v.full {
		return v.props
	}
	all := make(map[string]string, len(v.rec))
	for k, s := range v.rec {
		if s != nil {
			all[k] = *s
		}
	}
	maps.Copy(all, v.props)
	return all
}

// set sets a property, and the fields it holds, to a value about to be
// written.
func (v *view) set(p, s string) {
	v.props[p] = s
	for _, i := range v.spec.byProp[p] {
		v.field(i, s)
	}
	v.stale = true
}

// setPast sets a property, and the fields it holds, to a past value while
// replaying its history. The property itself is set only when the
// expressions read props: otherwise nothing reads it while replaying.
func (v *view) setPast(p, s string) {
	if v.full {
		v.props[p] = s
	}
	for _, i := range v.spec.byProp[p] {
		v.field(i, s)
	}
	v.stale = true
}

// field sets field i from its property's value, if conditions read it.
func (v *view) field(i int, s string) {
	f := &v.spec.fields[i]
	switch {
	case i == v.spec.stageField:
		v.str[i] = v.spec.stageName(s)
	case !f.used && !v.full:
	case f.numeric:
		v.str[i], v.num[i] = s, number(s)
	default:
		v.str[i] = s
	}
}

// setStage sets alusta's stage name itself: a referral's stages are the
// referral pipeline's, which the object type's mapping does not know.
func (v *view) setStage(name string) {
	if v.spec.stageField >= 0 {
		v.str[v.spec.stageField] = name
	}
	v.stale = true
}

// setDeclines sets the number of providers that declined the order.
func (v *view) setDeclines(n int) {
	v.declines, v.stale = n, true
}

// exprEnv is expr's environment for the view: "props", "declines",
// "stage" and the fields the expressions use, or every field when full.
func (v *view) exprEnv() map[string]any {
	if !v.stale {
		return v.env
	}
	env := v.env
	env["props"], env["declines"] = v.props, v.declines
	for i := range v.spec.fields {
		f := &v.spec.fields[i]
		switch {
		case i == v.spec.stageField:
			env[f.name] = v.spec.stage(v.str[i])
		case !f.used && !v.full:
		case f.numeric:
			env[f.name] = v.num[i]
		default:
			env[f.name] = v.str[i]
		}
	}
	if v.spec.stageField < 0 {
		stage, _ := v.value(v.spec.stageProp)
		env["stage"] = v.spec.stage(v.spec.stageName(stage))
	}
	v.stale = false
	return env
}

// envSpec is how a record of one object type becomes an environment: its
// fields with the properties that hold them, worked out from the mapping
// once per Engine rather than looked up for every field of every record.
type envSpec struct {
	objectType string
	// obj is the mapping's object type, which Resolve fills in place:
	// asking the mapping for a stage's name looked the type up first.
	obj        *mappings.Object
	fields     []envField
	stageProp  string
	stageField int // the index of "stage" in fields, or -1
	// byProp lists the fields a property holds, for view.set; propOf is
	// the property of each field.
	byProp map[string][]int
	propOf map[string]string
	// The properties of the fields every decision reads.
	ownerProp, priorityProp, pipelineProp string
	// props is set when an expression of the rules reads "props" or
	// "$env"; the environment then holds every property.
	props bool
	// stages are the object type's stage names as environment values,
	// made once: making one for every stage of every record's history
	// was a tenth of what deciding allocated.
	stages []any
}

// stageName is alusta's name of a stage id of the object type.
func (s *envSpec) stageName(id string) string { return s.obj.StageName(id) }

// stage is a stage name as an environment value.
func (s *envSpec) stage(name string) any {
	for _, v := range s.stages {
		if v.(string) == name {
			return v
		}
	}
	return name
}

type envField struct {
	name, prop string
	numeric    bool
	// used is set when an expression of the rules names the field. A
	// decision's environment holds only those: boxing every field of
	// every record for expressions that never read them was a tenth of
	// what deciding allocated.
	used bool
}

// newEnvSpec makes the spec of an object type for the names that
// expressions use; nil names means all.
func newEnvSpec(m *mappings.Mapping, objectType string, names map[string]bool) *envSpec {
	s := &envSpec{objectType: objectType, obj: m.Objects[objectType], stageProp: m.Field(objectType, "stage"), stageField: -1, byProp: map[string][]int{}, propOf: map[string]string{},
		props: names == nil || names["props"] || names["$env"]}
	for _, name := range mappings.StageNames(objectType) {
		s.stages = append(s.stages, name)
	}
	for i, f := range mappings.FieldNames(objectType) {
		p := m.Field(objectType, f)
		s.fields = append(s.fields, envField{name: f, prop: p, numeric: numericFields[f], used: s.props || names[f]})
		s.byProp[p] = append(s.byProp[p], i)
		s.propOf[f] = p
		if f == "stage" {
			s.stageField = i
		}
	}
	s.ownerProp, s.priorityProp, s.pipelineProp = s.propOf["owner"], s.propOf["priority"], s.propOf["pipeline"]
	return s
}

// exprNames lists the identifiers the expressions of an object's rules
// use.
func exprNames(or *objectRules) map[string]bool {
	names := map[string]bool{}
	add := func(p *cond) {
		if p == nil {
			return
		}
		ast.Find(p.Node(), func(n ast.Node) bool {
			if id, ok := n.(*ast.IdentifierNode); ok {
				names[id.Value] = true
			}
			return false
		})
	}
	for _, rt := range or.routes {
		add(rt.when)
	}
	for _, p := range append(slices.Clone(or.sla), or.referral) {
		if p == nil {
			continue
		}
		add(p.start)
		add(p.pause)
		add(p.stop)
		for _, g := range p.goals {
			add(g.when)
		}
	}
	return names
}

// envSpec returns the spec of an object type; one the engine was not
// made for is worked out on the spot, with every field.
func (e *Engine) envSpec(objectType string) *envSpec {
	if s := e.envs[objectType]; s != nil {
		return s
	}
	return newEnvSpec(e.m, objectType, nil)
}

// number reads a numeric field; a value that is no number counts as 0 in
// a condition, and the daemon skips and records such a record before
// deciding.
func number(v string) float64 {
	if v == "" {
		return 0
	}
	n, _ := hubspot.ParseNumber(v)
	return n
}

// newView is the view of one record, from viewPool: "declines",
// the stage and the fields the rules' expressions use, or every field and
// property with full.
func newView(spec *envSpec, o *hubspot.Object, declines int, full bool) *view {
	v := viewPool.Get().(*view)
	v.spec, v.rec, v.full, v.declines, v.stale = spec, o.Properties, full || spec.props, declines, true
	if v.full {
		for k, s := range o.Properties {
			if s != nil {
				v.props[k] = *s
			}
		}
	}
	if n := len(spec.fields); cap(v.str) < n {
		v.str, v.num = make([]string, n), make([]float64, n)
	} else {
		v.str, v.num = v.str[:n], v.num[:n]
	}
	for i := range spec.fields {
		f := &spec.fields[i]
		if !f.used && !v.full && i != spec.stageField {
			continue // the stage is always there: closed records keep their queue by it
		}
		s, _ := v.value(f.prop)
		v.field(i, s)
	}
	return v
}

// recordEnv is expr's environment for one record, every field and
// property in it, for callers outside a decision (explain, backtests);
// release the view after.
func (e *Engine) recordEnv(objectType string, o *hubspot.Object, declines int) (map[string]any, *view) {
	v := newView(e.envSpec(objectType), o, declines, true)
	return v.exprEnv(), v
}

// Provider is a provider company as assignment sees it.
type Provider struct {
	ID        string
	Name      string
	Active    bool
	Services  []string
	Areas     []string
	Languages []string
	// Capacity is how many open orders the provider takes at once; -1
	// means no limit was given.
	Capacity int
	Weight   float64
	// Prices is the price per unit by service, from "siivous:39.79;...".
	Prices map[string]float64
}

// OrgTypeNGO marks a company as an NGO activity (alusta_org_type =
// jarjesto) rather than a provider (yritys, or no value).
const OrgTypeNGO = "jarjesto"

// IsNGO tells an NGO activity from a provider by a company's values
// under alusta's field names.
func IsNGO(fields map[string]string) bool {
	return strings.EqualFold(strings.TrimSpace(fields["org_type"]), OrgTypeNGO)
}

// ParseProviders reads provider companies through the mapping. Call it
// once per cycle, not per record.
func ParseProviders(m *mappings.Mapping, companies []hubspot.Object) []Provider {
	out := make([]Provider, 0, len(companies))
	for i := range companies {
		o := &companies[i]
		if o.Archived {
			continue
		}
		fields := m.Translate(hubspot.Companies, o.Properties)
		if IsNGO(fields) {
			continue
		}
		out = append(out, ProviderOf(o.ID, fields))
	}
	return out
}

// ProviderOf reads one provider company from its values under alusta's
// field names (name, active, services, ...), as the store keeps them.
func ProviderOf(id string, fields map[string]string) Provider {
	get := func(f string) string { return strings.TrimSpace(fields[f]) }
	p := Provider{
		ID:        id,
		Name:      get("name"),
		Active:    strings.EqualFold(get("active"), "true"),
		Services:  splitMulti(get("services")),
		Areas:     splitMulti(get("areas")),
		Languages: splitMulti(get("languages")),
		Capacity:  -1,
		Weight:    1,
		Prices:    parsePrices(get("prices")),
	}
	if c, err := hubspot.ParseNumber(get("capacity")); err == nil && c == math.Trunc(c) {
		p.Capacity = int(c)
	}
	if w, err := hubspot.ParseNumber(get("weight")); err == nil && w >= 0 {
		p.Weight = w
	}
	return p
}

// splitMulti splits a HubSpot multi-select value ("a;b").
func splitMulti(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parsePrices reads "siivous:39.79;kauppa:12,50"; entries that do not
// parse are left out, as a provider without a price for a service.
func parsePrices(s string) map[string]float64 {
	out := map[string]float64{}
	for _, kv := range splitMulti(s) {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.Replace(strings.TrimSpace(v), ",", ".", 1), 64)
		if err == nil && f >= 0 {
			out[strings.TrimSpace(k)] = f
		}
	}
	return out
}
