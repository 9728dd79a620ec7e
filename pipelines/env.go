package pipelines

import (
	"strconv"
	"strings"

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

// recordEnv is the environment for one record.
func recordEnv(m *mappings.Mapping, objectType string, o *hubspot.Object, declines int) map[string]any {
	props := make(map[string]string, len(o.Properties))
	for k, v := range o.Properties {
		if v != nil {
			props[k] = *v
		}
	}
	env := map[string]any{"props": props, "declines": declines}
	for _, f := range mappings.FieldNames(objectType) {
		v := props[m.Field(objectType, f)]
		if numericFields[f] {
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			env[f] = n
			continue
		}
		env[f] = v
	}
	env["stage"] = m.StageName(objectType, props[m.Field(objectType, "stage")])
	return env
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
			n, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
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
	// Prices is the price per unit by service, from "siivous:39.79;...".
	Prices map[string]float64
}

// OrgTypeNGO marks a company as an NGO activity (alusta_org_type =
// jarjesto) rather than a provider (yritys, or no value).
const OrgTypeNGO = "jarjesto"

// ParseProviders reads provider companies through the mapping. Call it
// once per cycle, not per record.
func ParseProviders(m *mappings.Mapping, companies []hubspot.Object) []Provider {
	get := func(o *hubspot.Object, f string) string {
		v, _ := o.Prop(m.Field(hubspot.Companies, f))
		return strings.TrimSpace(v)
	}
	out := make([]Provider, 0, len(companies))
	for i := range companies {
		o := &companies[i]
		if o.Archived || strings.EqualFold(get(o, "org_type"), OrgTypeNGO) {
			continue
		}
		p := Provider{
			ID:        o.ID,
			Name:      get(o, "name"),
			Active:    strings.EqualFold(get(o, "active"), "true"),
			Services:  splitMulti(get(o, "services")),
			Areas:     splitMulti(get(o, "areas")),
			Languages: splitMulti(get(o, "languages")),
			Capacity:  -1,
			Weight:    1,
			Prices:    parsePrices(get(o, "prices")),
		}
		if c, err := strconv.Atoi(get(o, "capacity")); err == nil {
			p.Capacity = c
		}
		if w, err := strconv.ParseFloat(get(o, "weight"), 64); err == nil && w >= 0 {
			p.Weight = w
		}
		out = append(out, p)
	}
	return out
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
