package daemon

import (
	"context"
	"fmt"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// HubSpot's own association types of a service order (deal) made from a
// palveluhaku ticket.
const (
	AssocDealToContact = 3
	AssocDealToTicket  = 27
)

// orders creates the service orders that palveluhaku clients chose: a
// deal in the order pipeline, payer client, the chosen provider as the
// client's choice, associated with the ticket and its contacts. The deal
// rules then assign it like any other order (the client's eligible
// choice wins). A failure is logged and counted and the engine's memory
// of it dropped, so the next decision asks again; the create's
// idempotency key makes that safe.
func (c *cycle) orders(ctx context.Context, typ string, todo []decided, failed map[string]string) {
	if typ != hubspot.Tickets {
		return
	}
	for i := range todo {
		p := &todo[i]
		o := p.dec.Order
		if o == nil {
			continue
		}
		if _, bad := failed[p.obj.ID]; bad {
			continue
		}
		if err := c.makeOrder(ctx, o); err != nil {
			c.sum.Errors++
			c.d.log.Warn("service order not made", "ticket", o.FromTicket, "provider", o.ProviderID, "err", err)
			if rs := c.d.mem.state.Records[typ+"/"+p.obj.ID]; rs != nil {
				rs.Order = nil
			}
		}
	}
}

func (c *cycle) makeOrder(ctx context.Context, o *pipelines.Order) error {
	d := c.d
	m := c.rs.mapping
	assocs, contacts, err := c.withContacts(ctx, o.FromTicket, AssocDealToContact, assocTo(o.FromTicket, AssocDealToTicket))
	if err != nil {
		return err
	}
	field := func(f string) string { return m.Field(hubspot.Deals, f) }
	props := map[string]string{
		field("name"):          m.Printer().T("record.order_name", "Ticket", o.FromTicket, "Service", o.Service, "Municipality", o.Municipality),
		field("pipeline"):      m.PipelineID(hubspot.Deals),
		field("stage"):         m.StageID(hubspot.Deals, "received"),
		field("service"):       o.Service,
		field("municipality"):  o.Municipality,
		field("language"):      o.Language,
		field("payer"):         pipelines.PayerClient,
		field("client_choice"): o.ProviderID,
	}
	// The deal vocabulary has no client group: the portal keeps it in the
	// ticket's property, which the demo's deals have too.
	if o.ClientGroup != "" {
		props[m.Field(hubspot.Tickets, "client_group")] = o.ClientGroup
	}
	for k, v := range props {
		if k == "" || v == "" {
			delete(props, k)
		}
	}
	deal, err := d.client.CreateOnce(ctx, hubspot.Deals, o.Key, hubspot.ObjectInput{Properties: props, Associations: assocs})
	if err != nil {
		return fmt.Errorf("create the service order: %w", err)
	}
	d.log.Info("service order made", "ticket", o.FromTicket, "deal", deal.ID, "provider", o.ProviderID, "contacts", contacts)
	note := m.Printer().T("note.order_made", "Deal", deal.ID, "Provider", o.ProviderID)
	if _, err := d.client.AddNote(ctx, hubspot.Tickets, o.FromTicket, note, d.now()); err != nil {
		c.sum.Errors++
		d.log.Warn("note on the service order not added", "ticket", o.FromTicket, "err", err)
	}
	// Assign it at once rather than at the next poll.
	d.requeue(hubspot.Deals, []string{deal.ID})
	return nil
}
