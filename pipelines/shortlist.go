package pipelines

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/alusta/alusta/locale"
)

// maxShortlist bounds a shortlist: it is read in a sidebar, and a longer
// list is the provider register, not a shortlist.
const maxShortlist = 20

// defaultShortlist is how many providers a shortlist names when the rule
// does not say.
const defaultShortlist = 5

// ListMemory is what the engine remembers of a list it wrote on a record:
// the inputs it was made for and the ids in order, so a list whose order
// came from a rotation stays put until its inputs change or one of its
// entries stops being eligible.
type ListMemory struct {
	Key string   `json:"key"`
	IDs []string `json:"ids"`
}

// shortlist writes the providers a self-paying client may choose from on
// a ticket. It keeps the same invariants as assignment (Eligible), minus
// declines, which belong to an order.
func (x *decider) shortlist(spec *ShortlistSpec, rule string) {
	prop := x.e.m.Outputs.Shortlist
	cur := x.prop(prop)
	service, muni, lang := x.str("service"), x.str("municipality"), x.str("language")
	if service == "" || muni == "" {
		x.say("decision.no_shortlist")
		return
	}
	// The client's choice is honoured even when the list was edited by
	// hand: the coordinator records it after talking to the client.
	defer x.order(spec, service, muni, lang)
	if last, wrote := x.rs.Written.Lookup(prop); wrote && last != cur {
		x.sticky(prop)
		return
	}
	n := cmp.Or(spec.Max, defaultShortlist)
	strategy := cmp.Or(spec.Strategy, "price")
	key := strings.Join([]string{service, muni, lang, strconv.FormatBool(spec.MatchLanguage), strategy, strconv.Itoa(n)}, "|")

	ps := x.in.Providers
	eligible := make([]*Provider, 0, len(ps))
	byID := make(map[string]*Provider, len(ps))
	o := orderCheck{service: service, municipality: muni, language: lang, matchLanguage: spec.MatchLanguage}
	for i := range ps {
		p := &ps[i]
		if ok, _ := o.eligible(p, func() int { return x.st.openOrdersOf(p.ID) }); ok {
			eligible = append(eligible, p)
			byID[p.ID] = p
		}
	}
	slices.SortFunc(eligible, func(a, b *Provider) int { return cmpID(a.ID, b.ID) })
	want := min(n, len(eligible))

	var chosen []*Provider
	if mem := x.rs.Shortlist; mem != nil && mem.Key == key && len(mem.IDs) == want && strategy != "price" {
		for _, id := range mem.IDs {
			if p := byID[id]; p != nil {
				chosen = append(chosen, p)
			}
		}
		if len(chosen) != want {
			chosen = nil
		}
	}
	if chosen == nil && want > 0 {
		chosen = x.orderShortlist(strategy, "shortlist:"+rule+":"+service, service, eligible, want)
	}
	ids := make([]string, len(chosen))
	for i, p := range chosen {
		ids[i] = p.ID
	}
	x.rs.Shortlist = &ListMemory{Key: key, IDs: ids}
	x.d.Shortlist = ids
	value := formatShortlist(x.p, chosen, service)
	x.want.Set(prop, value)
	if len(chosen) == 0 {
		x.say("decision.shortlist_none", "Service", service, "Municipality", muni)
		return
	}
	x.say("decision.shortlist", "N", strconv.Itoa(len(chosen)), "Eligible", strconv.Itoa(len(eligible)), "Strategy", x.p.T(strategyKey(strategy)))
	if value != cur {
		x.d.Notes = append(x.d.Notes, x.p.T("note.shortlist", "Service", service, "Municipality", muni, "List", value))
	}
}

// orderShortlist takes n of the eligible providers (sorted by id) in the
// strategy's order. The rotating strategies reuse assignment's pick, one
// provider at a time, so their memory is kept the same way.
func (x *decider) orderShortlist(strategy, key, service string, eligible []*Provider, n int) []*Provider {
	if strategy == "price" {
		out := slices.Clone(eligible)
		// Ties keep the id order.
		slices.SortStableFunc(out, func(a, b *Provider) int { return ComparePrice(a, b, service) })
		return out[:n]
	}
	left := slices.Clone(eligible)
	out := make([]*Provider, 0, n)
	for range n {
		p := x.pick(strategy, key, left)
		out = append(out, p)
		left = slices.DeleteFunc(left, func(q *Provider) bool { return q == p })
	}
	return out
}

// ComparePrice orders providers by their price for a service, cheapest
// first, those without a price after all that have one.
func ComparePrice(a, b *Provider, service string) int {
	pa, oka := a.Prices[service]
	pb, okb := b.Prices[service]
	switch {
	case oka && !okb:
		return -1
	case !oka && okb:
		return 1
	}
	return cmp.Compare(pa, pb)
}

// formatShortlist is the sidebar text in p's language: one provider a
// line, with the price for the service and the company id a coordinator
// records as the client's choice.
func formatShortlist(p *locale.Printer, ps []*Provider, service string) string {
	var b strings.Builder
	for i, pr := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		price := "-"
		if v, ok := pr.Prices[service]; ok {
			price = formatEuro(v)
		}
		b.WriteString(p.T("list.provider", "N", i+1, "Name", pr.Name, "Price", price, "ID", pr.ID))
	}
	return b.String()
}

// formatEuro writes a price the Finnish way: 39,79 €.
func formatEuro(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', 2, 64), ".", ",", 1) + " €"
}

// cmpID orders ids as idLess does.
func cmpID(a, b string) int {
	switch {
	case idLess(a, b):
		return -1
	case idLess(b, a):
		return 1
	}
	return 0
}
