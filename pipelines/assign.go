package pipelines

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/alusta/alusta/connector/hubspot"
)

// idLess orders HubSpot ids numerically when both are numbers, so that a
// rotation follows the order people expect.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		_, ea := strconv.ParseUint(a, 10, 64)
		_, eb := strconv.ParseUint(b, 10, 64)
		if ea == nil && eb == nil {
			return len(a) < len(b)
		}
	}
	return a < b
}

// Eligible reports whether a provider may take an order, and why not.
// These are the invariants every strategy keeps.
func Eligible(p *Provider, service, municipality, language string, matchLanguage bool, declined []string, open int) (bool, Reason) {
	o := orderCheck{service: service, municipality: municipality, language: language, matchLanguage: matchLanguage, declined: declined,
		explainAll: true}
	return o.eligible(p, func() int { return open })
}

// orderCheck is what Eligible checks a provider against. It keeps the
// reasons that read the same for every provider, made on first use:
// making them again for each of forty providers was a seventh of what
// deciding allocated.
//
// A provider's reason is made only where it is read: for every provider
// with explainAll (rules explain), else for explainID's (the client's
// choice). A cycle reads no other, and making them was the most
// allocations of assigning an order.
type orderCheck struct {
	service, municipality, language  string
	matchLanguage                    bool
	declined                         []string
	explainAll                       bool
	explainID                        string
	serviceWhy, areaWhy, languageWhy *Reason
}

// eligible is Eligible; the provider's open orders are counted only for
// one that offers the service in the area, as most do not.
func (o *orderCheck) eligible(p *Provider, openOrders func() int) (bool, Reason) {
	if !o.explainAll && (o.explainID == "" || p.ID != o.explainID) {
		return o.eligibleQuiet(p, openOrders), Reason{}
	}
	switch {
	case !p.Active:
		return false, Reason{ID: "reason.inactive"}
	case !slices.Contains(p.Services, o.service):
		return false, o.reason(&o.serviceWhy, "reason.service", "Service", orDash(o.service))
	case !slices.Contains(p.Areas, o.municipality):
		return false, o.reason(&o.areaWhy, "reason.area", "Municipality", orDash(o.municipality))
	case slices.Contains(o.declined, p.ID):
		return false, Reason{ID: "reason.declined"}
	}
	if open := openOrders(); p.Capacity >= 0 && open >= p.Capacity {
		return false, Reason{ID: "reason.full", Args: []any{"Open", open, "Capacity", p.Capacity}}
	}
	if o.matchLanguage && o.language != "" && !slices.Contains(p.Languages, o.language) {
		return false, o.reason(&o.languageWhy, "reason.language", "Language", o.language)
	}
	return true, Reason{}
}

// eligibleQuiet is eligible without the reason.
func (o *orderCheck) eligibleQuiet(p *Provider, openOrders func() int) bool {
	switch {
	case !p.Active, !slices.Contains(p.Services, o.service), !slices.Contains(p.Areas, o.municipality),
		slices.Contains(o.declined, p.ID):
		return false
	}
	if open := openOrders(); p.Capacity >= 0 && open >= p.Capacity {
		return false
	}
	return !o.matchLanguage || o.language == "" || slices.Contains(p.Languages, o.language)
}

// reason returns *r, making it first. The Reasons handed out share their
// Args, which nobody changes.
func (o *orderCheck) reason(r **Reason, id, field, value string) Reason {
	if *r == nil {
		*r = &Reason{ID: id, Args: []any{field, value}}
	}
	return **r
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ProvidersFingerprint summarises what assignment depends on in the
// providers; when it changes, orders left unassigned are worth deciding
// again.
func ProvidersFingerprint(ps []Provider) string {
	h := sha256.New()
	for _, p := range ps {
		fmt.Fprintf(h, "%s|%t|%s|%s|%s|%d|%g\n", p.ID, p.Active, strings.Join(p.Services, ";"),
			strings.Join(p.Areas, ";"), strings.Join(p.Languages, ";"), p.Capacity, p.Weight)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// assignProvider handles a deal's provider: first assignment while the
// order is received, and the next provider after a decline.
func (x *decider) assignProvider(spec *ProviderSpec, rule string) {
	m := x.e.m
	t := x.in.ObjectType
	stageProp := x.spec.stageProp
	stage := x.stage
	provProp := m.Outputs.Provider
	current := x.prop(provProp)
	// Declines recorded in the CRM count too: a coordinator may enter one
	// by hand, and alusta's own memory may be younger than the order.
	for id := range strings.SplitSeq(x.prop(m.Outputs.DeclinedBy), ";") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(x.rs.Declined, id) {
			x.rs.Declined = append(x.rs.Declined, id)
			x.v.setDeclines(len(x.rs.Declined))
		}
	}
	declinedStage := stage == "declined"
	if declinedStage {
		if current != "" && !slices.Contains(x.rs.Declined, current) {
			x.rs.Declined = append(x.rs.Declined, current)
			x.v.setDeclines(len(x.rs.Declined))
		}
		x.want.Set(m.Outputs.DeclinedBy, strings.Join(x.rs.Declined, ";"))
		// The stage change to declined is the provider's answer, not a
		// person overriding alusta, so the stage may be written again.
		x.rs.Written.Delete(stageProp)
		x.rs.Written.Delete(provProp)
	} else {
		if last, wrote := x.rs.Written.Lookup(provProp); wrote && last != current {
			x.sticky(provProp)
			return
		}
		if current != "" || (stage != "received" && stage != "") {
			return
		}
	}
	service, muni, lang, choice := x.str("service"), x.str("municipality"), x.str("language"), x.str("client_choice")

	ps := x.in.Providers
	var buf [64]*Provider // most portals' providers, without an allocation
	eligible := buf[:0]
	if x.in.Explain {
		x.d.Candidates = make([]Candidate, 0, len(ps))
	}
	o := orderCheck{service: service, municipality: muni, language: lang, matchLanguage: spec.MatchLanguage, declined: x.rs.Declined,
		explainAll: x.in.Explain, explainID: choice}
	var choiceFound bool
	var choiceName string
	var choiceWhy Reason
	for i := range ps {
		p := &ps[i]
		ok, why := o.eligible(p, func() int { return x.st.openOrdersOf(p.ID) })
		// Only the client's choice's reason is written now; writing all
		// forty for every order cost more than the rest of the decision.
		if x.in.Explain {
			x.d.Candidates = append(x.d.Candidates, Candidate{ID: p.ID, Name: p.Name, Eligible: ok, Why: why})
		}
		if p.ID == choice && !choiceFound {
			choiceFound, choiceName, choiceWhy = true, p.Name, why
		}
		if ok {
			eligible = append(eligible, p)
		}
	}
	slices.SortFunc(eligible, func(a, b *Provider) int {
		if idLess(a.ID, b.ID) {
			return -1
		}
		if idLess(b.ID, a.ID) {
			return 1
		}
		return 0
	})
	var chosen *Provider
	var how string
	if choice != "" {
		if i := slices.IndexFunc(eligible, func(p *Provider) bool { return p.ID == choice }); i >= 0 {
			chosen, how = eligible[i], "client_choice"
		} else {
			// The coordinator needs to know why, to tell the client.
			name, reason := choice, x.p.T("reason.unknown_provider")
			if choiceFound {
				name, reason = nameOr(choiceName, choice), choiceWhy.In(x.p)
			}
			x.say("decision.choice_not_eligible", "Provider", name, "Reason", reason)
		}
	}
	if chosen == nil && len(eligible) > 0 {
		strategy := spec.Strategy
		if strategy == "ordered" {
			for _, ref := range spec.Order {
				for _, p := range eligible {
					if p.ID == ref || p.Name == ref {
						chosen = p
						break
					}
				}
				if chosen != nil {
					how = "ordered"
					break
				}
			}
			strategy = spec.Then
		}
		if chosen == nil && strategy != "" && strategy != "ordered" {
			key := "providers:" + rule + ":" + service
			chosen = x.pick(strategy, key, eligible)
			how = strategy
		}
	}
	x.say("decision.providers", "Eligible", strconv.Itoa(len(eligible)), "N", strconv.Itoa(len(ps)))
	if chosen == nil {
		q := spec.UnassignedQueue
		if q == "" {
			q = DefaultUnassignedQueue
		}
		x.want.Set(m.Outputs.Queue, q)
		x.d.Retry = true
		if len(eligible) > 0 {
			x.say("decision.no_provider_ordered")
		} else {
			x.say("decision.no_provider", "Service", orDash(service), "Municipality", orDash(muni))
		}
		if current != "" {
			x.want.Set(provProp, "")
		}
		return
	}
	for i := range x.d.Candidates {
		if x.d.Candidates[i].ID == chosen.ID {
			x.d.Candidates[i].Chosen = true
			x.d.Candidates[i].Reason = x.p.T(strategyKey(how))
		}
	}
	x.want.Set(provProp, chosen.ID)
	x.want.Set(stageProp, m.StageID(t, "assigned"))
	x.d.Associate = &Association{FromType: hubspot.Deals, FromID: x.in.Record.ID, ToType: hubspot.Companies, ToID: chosen.ID,
		Category: hubspot.HubSpotDefined, TypeID: hubspot.AssocDealToCompany}
	x.say("decision.provider", "Name", nameOr(chosen.Name, chosen.ID), "How", x.p.T(strategyKey(how)))
	// Count the order now, so later decisions in this cycle see it.
	if x.rs.Provider != "" {
		x.st.addOrders(x.rs.Provider, -1)
	}
	x.st.addOrders(chosen.ID, 1)
	x.rs.Provider = chosen.ID
}

// pick chooses among eligible providers (sorted by id) with a strategy.
func (x *decider) pick(strategy, key string, eligible []*Provider) *Provider {
	switch strategy {
	case "least_loaded":
		best := eligible[0]
		load := func(p *Provider) float64 {
			n := float64(x.st.openOrdersOf(p.ID))
			if p.Capacity > 0 {
				return n / float64(p.Capacity)
			}
			return n
		}
		for _, p := range eligible[1:] {
			if load(p) < load(best) {
				best = p
			}
		}
		return best
	case "weighted":
		// Smooth weighted round robin: credit is kept per provider id, so
		// a provider joining or leaving does not reset the others.
		// A new map, never the one in the state: states share these
		// maps (State.scratch copies only the outer map).
		w := maps.Clone(x.st.weightsOf(key))
		if w == nil {
			w = map[string]float64{}
		}
		x.st.setWeights(key, w)
		var total float64
		var best *Provider
		for _, p := range eligible {
			w[p.ID] += p.Weight
			total += p.Weight
			if best == nil || w[p.ID] > w[best.ID] {
				best = p
			}
		}
		w[best.ID] -= total
		return best
	default: // round_robin
		last := x.st.rotationOf(key)
		chosen := eligible[0]
		if last != "" {
			for _, p := range eligible {
				if idLess(last, p.ID) {
					chosen = p
					break
				}
			}
		}
		x.st.setRotation(key, chosen.ID)
		return chosen
	}
}
