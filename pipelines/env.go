package pipelines

import (
	"math"
	"strings"
	"sync"

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
}

var envPool = sync.Pool{New: func() any { return &envMaps{env: map[string]any{}, props: map[string]string{}} }}

// release empties the maps and returns them to envPool; the environment
// must not be used after.
func (em *envMaps) release() {
	clear(em.env)
	clear(em.props)
	envPool.Put(em)
}

// recordEnv is the environment for one record, in maps from envPool.
func recordEnv(m *mappings.Mapping, objectType string, o *hubspot.Object, declines int) (map[string]any, *envMaps) {
	em := envPool.Get().(*envMaps)
	props := em.props
	for k, v := range o.Properties {
		if v != nil {
			props[k] = *v
		}
	}
	env := em.env
	env["props"], env["declines"] = props, declines
	for _, f := range mappings.FieldNames(objectType) {
		v := props[m.Field(objectType, f)]
		if numericFields[f] {
			// A value that is no number counts as 0 in a condition; the
			// daemon skips and records such a record before deciding.
			n, _ := hubspot.ParseNumber(v)
			env[f] = n
			continue
		}
		env[f] = v
	}
	env["stage"] = m.StageName(objectType, props[m.Field(objectType, "stage")])
	return env, em
}

// applyEnv updates an environment from recordEnv with property values
// about to be written.
func applyEnv(m *mappings.Mapping, objectType string, env map[string]any, writes map[string]string) {
	props := env["props"].(map[string]string)
	for p, v := range writes {
		props[p] = v
	}
	for _, f := range mappings.FieldNames(objectType) {
		p := m.Field(objectType, f)
		v, ok := writes[p]
		if !ok {
			continue
		}
		switch {
		case f == "stage":
			env[f] = m.StageName(objectType, v)
		case numericFields[f]:
			n, _ := hubspot.ParseNumber(v)
			env[f] = n
		default:
			env[f] = v
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
		out = append(out, ProviderOf(o.ID, m.Translate(hubspot.Companies, o.Properties)))
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
