package pipelines

import "github.com/alusta/alusta/connector/hubspot"

// Candidates lists every provider for an order with whether it could take
// the order now and, if not, why, in the portal's language. Decide lists
// them only when it assigns; rules explain shows them for an order already
// assigned too, so an admin can see who else could have taken it. The
// order's own provider is counted without this order.
func (e *Engine) Candidates(in Input, st *State) []Candidate {
	if in.ObjectType != hubspot.Deals {
		return nil
	}
	env, em := e.recordEnv(in.ObjectType, &in.Record, 0)
	defer em.release()
	service, _ := env["service"].(string)
	muni, _ := env["municipality"].(string)
	lang, _ := env["language"].(string)
	current, _ := in.Record.Prop(e.m.Outputs.Provider)
	var declined []string
	if rs := st.Records[in.ObjectType+"/"+in.Record.ID]; rs != nil {
		declined = rs.Declined
	}
	out := make([]Candidate, 0, len(in.Providers))
	for i := range in.Providers {
		p := &in.Providers[i]
		open := st.OpenOrders[p.ID]
		if p.ID == current && open > 0 {
			open--
		}
		ok, why := Eligible(p, service, muni, lang, false, declined, open)
		out = append(out, Candidate{ID: p.ID, Name: p.Name, Eligible: ok, Why: why, Chosen: p.ID == current})
	}
	return out
}
