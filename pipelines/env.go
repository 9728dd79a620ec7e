package pipelines

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

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

// envMaps are the two maps of a record's environment, kept in envPool
// between decisions: refilling maps that have their room allocates
// nothing, and building them was a sixth of deciding.
type envMaps struct {
	env   map[string]any
	props map[string]string
	// full is set when props holds every property of rec, as the
	// environment's "props" must when an expression reads it; otherwise
	// props holds only the values set after (see recordEnv).
	full bool
	rec  map[string]*string // the record's properties
}

var envPool = sync.Pool{New: func() any { return &envMaps{env: map[string]any{}, props: map[string]string{}} }}

// release empties the maps and returns them to envPool; the environment
// must not be used after.
func (em *envMaps) release() {
	clear(em.env)
	clear(em.props)
	em.full, em.rec = false, nil
	envPool.Put(em)
}

// value is a property's value as the environment has it: set since, or
// the record's.
func (em *envMaps) value(p string) (string, bool) {
	if v, ok := em.props[p]; ok || em.full {
		return v, ok
	}
	if v := em.rec[p]; v != nil {
		return *v, true
	}
	return "", false
}

// allProps is every property as the environment has it, for describing
// an expression's failure without the record's values.
func (em *envMaps) allProps() map[string]string {
	if em.full {
		return em.props
	}
	all := make(map[string]string, len(em.rec))
	for k, v := range em.rec {
		if v != nil {
			all[k] = *v
		}
	}
	maps.Copy(all, em.props)
	return all
}

// envSpec is how a record of one object type becomes an environment: its
// fields with the properties that hold them, worked out from the mapping
// once per Engine rather than looked up for every field of every record.
type envSpec struct {
	objectType string
	fields     []envField
	stageProp  string
	// byProp lists the fields a property holds, for applyEnv; propOf is
	// the property of each field.
	byProp map[string][]int
	propOf map[string]string
	// props is set when an expression of the rules reads "props" or
	// "$env"; the environment then holds every property.
	props bool
	// stages are the object type's stage names as environment values,
	// made once: making one for every stage of every record's history
	// was a tenth of what deciding allocated.
	stages []any
}

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
	s := &envSpec{objectType: objectType, stageProp: m.Field(objectType, "stage"), byProp: map[string][]int{}, propOf: map[string]string{},
		props: names == nil || names["props"] || names["$env"]}
	for _, name := range mappings.StageNames(objectType) {
		s.stages = append(s.stages, name)
	}
	for i, f := range mappings.FieldNames(objectType) {
		p := m.Field(objectType, f)
		s.fields = append(s.fields, envField{name: f, prop: p, numeric: numericFields[f], used: s.props || names[f]})
		s.byProp[p] = append(s.byProp[p], i)
		s.propOf[f] = p
	}
	return s
}

// exprNames lists the identifiers the expressions of an object's rules
// use.
func exprNames(or *objectRules) map[string]bool {
	names := map[string]bool{}
	add := func(p *vm.Program) {
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

// recordEnv is the environment for one record, in maps from envPool:
// "props", "declines", "stage" and the fields the rules' expressions use,
// or every field with full.
func (e *Engine) recordEnv(objectType string, o *hubspot.Object, declines int, full bool) (map[string]any, *envMaps) {
	spec := e.envSpec(objectType)
	em := envPool.Get().(*envMaps)
	em.rec, em.full = o.Properties, full || spec.props
	props := em.props
	if em.full {
		for k, v := range o.Properties {
			if v != nil {
				props[k] = *v
			}
		}
	}
	env := em.env
	env["props"], env["declines"] = props, declines
	for _, f := range spec.fields {
		if !f.used && !full {
			continue
		}
		v, _ := em.value(f.prop)
		if f.numeric {
			env[f.name] = number(v)
			continue
		}
		env[f.name] = v
	}
	stage, _ := em.value(spec.stageProp)
	env["stage"] = spec.stage(e.m.StageName(objectType, stage))
	return env, em
}

// applyEnv updates an environment from recordEnv with property values
// about to be written.
func (e *Engine) applyEnv(objectType string, env map[string]any, writes map[string]string) {
	spec := e.envSpec(objectType)
	for p, v := range writes {
		e.applyEnvProp(spec, env, p, v)
	}
}

// applyEnvProp sets one property in an environment from recordEnv.
func (e *Engine) applyEnvProp(spec *envSpec, env map[string]any, p, v string) {
	env["props"].(map[string]string)[p] = v
	for _, i := range spec.byProp[p] {
		f := spec.fields[i]
		if _, in := env[f.name]; !in {
			continue // a field no expression uses
		}
		switch {
		case f.name == "stage":
			env[f.name] = spec.stage(e.m.StageName(spec.objectType, v))
		case f.numeric:
			env[f.name] = number(v)
		default:
			env[f.name] = v
		}
	}
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
	for _, p := range strings.Split(s, ";") {
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
