package daemon

import (
	"context"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// Forwarder is told when the rules forward an order to a provider, and
// when a forwarded order's acceptance clock reaches its warning with no
// answer. Both are called after HubSpot accepted the write; an error is
// logged and does not undo the decision.
type Forwarder interface {
	Assigned(ctx context.Context, dealID, providerID string) error
	Remind(ctx context.Context, dealID, providerID string) error
}

// valueAfter is a property's value once the decision's writes land.
func valueAfter(o hubspot.Object, writes pipelines.Values, prop string) string {
	if v, ok := writes.Lookup(prop); ok {
		return v
	}
	v, _ := o.Prop(prop)
	return v
}

// forward tells the forwarder about one pushed deal decision.
func (c *cycle) forward(ctx context.Context, typ string, p *decided) {
	f := c.d.forwarder
	if f == nil || typ != hubspot.Deals {
		return
	}
	m := c.rs.mapping
	provProp := m.Outputs.Provider
	provider := valueAfter(p.obj, p.dec.Writes, provProp)
	stage := m.StageName(typ, valueAfter(p.obj, p.dec.Writes, m.Field(typ, "stage")))
	if provider == "" || stage != "assigned" {
		return
	}
	var err error
	if _, assigned := p.dec.Writes.Lookup(provProp); assigned {
		err = f.Assigned(ctx, p.obj.ID, provider)
	} else if st := p.dec.Writes.Get(m.Outputs.SLAStatus); st == "warning" || st == "breached" {
		// A clock that jumped past its warning (alusta was down) still
		// reminds; the forwarder reminds once per order and provider.
		err = f.Remind(ctx, p.obj.ID, provider)
	}
	if err != nil {
		c.d.log.Warn("provider not told", "deal", p.obj.ID, "provider", provider, "err", err)
	}
}
