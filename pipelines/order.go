package pipelines

import (
	"slices"
)

// Order asks the caller to create the service order a self-paying client
// chose from a shortlist: a deal with payer client whose client's choice
// is the provider, which the deal rules then assign like any other order.
type Order struct {
	FromTicket string
	ProviderID string
	// Service, Municipality, Language and ClientGroup are copied from the
	// ticket; they are codes, not client data.
	Service, Municipality, Language, ClientGroup string
	// Key makes the create idempotent: one order per ticket.
	Key string
}

// OrderMemory is what the engine remembers of the order made from a
// ticket.
type OrderMemory struct {
	ProviderID string `json:"provider_id"`
}

// PayerClient is the payer of an order the client pays themself.
const PayerClient = "client"

// order makes the service order for the client's choice on a palveluhaku
// ticket, once, when the chosen provider is eligible; otherwise it says
// why not.
func (x *decider) order(spec *ShortlistSpec, service, muni, lang string) {
	choice := x.str("client_choice")
	if choice == "" {
		return
	}
	if x.rs.Order != nil {
		x.say("decision.order_made", "Provider", x.rs.Order.ProviderID)
		return
	}
	i := slices.IndexFunc(x.in.Providers, func(p Provider) bool { return p.ID == choice })
	if i < 0 {
		x.say("decision.order_not_provider", "ID", choice)
		return
	}
	p := &x.in.Providers[i]
	if ok, why := Eligible(p, service, muni, lang, spec.MatchLanguage, nil, x.st.openOrdersOf(p.ID)); !ok {
		x.say("decision.order_not_eligible", "Name", p.Name, "ID", choice, "Reason", why.In(x.p))
		return
	}
	x.rs.Order = &OrderMemory{ProviderID: choice}
	x.d.Order = &Order{FromTicket: x.in.Record.ID, ProviderID: choice, Service: service, Municipality: muni, Language: lang,
		ClientGroup: x.str("client_group"), Key: "palveluhaku/" + x.in.Record.ID}
	x.say("decision.order", "Name", p.Name, "ID", choice)
}
