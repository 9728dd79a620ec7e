package daemon

import (
	"context"
	"fmt"
	"strconv"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// AssocTicketToContact is HubSpot's own ticket-to-contact association
// type.
const AssocTicketToContact = 16

// ReferralNotifier tells an NGO that a client was referred to one of its
// activities. The notice carries no client data: the NGO follows a signed
// link to the referral, where it marks the client contacted, started or
// not reached. Whatever sends the message (the order loop's outbox) is
// wired in by the command; without one, referrals are made and tracked
// in HubSpot and the NGO is told by other means.
type ReferralNotifier interface {
	NotifyReferral(ctx context.Context, n ReferralNotice) error
}

// ReferralNotice is one referral to tell an NGO about.
type ReferralNotice struct {
	// ReferralID is the referral ticket's id, the record a signed link
	// is bound to.
	ReferralID   string
	ActivityID   string
	ActivityName string
	// ContactEmail is the NGO's address for referrals, read from HubSpot
	// when the notice is made and kept nowhere by alusta.
	ContactEmail string
}

// referrals carries out what a page of ticket decisions asked for:
// referral tickets to create and referral outcomes to write back on the
// tickets they were made from. A failure is logged and counted, and the
// engine's memory of it dropped, so that the next decision of the record
// asks again; the create's idempotency key makes that safe. It returns
// the state keys of the referral tickets it made, whose memory it set.
func (c *cycle) referrals(ctx context.Context, typ string, todo []decided, failed map[string]string) []string {
	if typ != hubspot.Tickets {
		return nil
	}
	var made []string
	var outcomes []hubspot.BatchUpdateInput
	var from []string // the referral ticket of each outcome
	for i := range todo {
		p := &todo[i]
		if _, bad := failed[p.obj.ID]; bad {
			continue
		}
		if r := p.dec.Referral; r != nil {
			id, err := c.makeReferral(ctx, p.obj, r)
			if id != "" {
				made = append(made, typ+"/"+id)
			}
			if err != nil {
				c.sum.Errors++
				c.d.log.Warn("referral not made", "ticket", p.obj.ID, "activity", r.ActivityID, "err", err)
				if rs := c.d.mem.state.Records[typ+"/"+p.obj.ID]; rs != nil {
					rs.Referral = nil
				}
			}
		}
		if o := p.dec.Outcome; o != nil {
			outcomes = append(outcomes, hubspot.BatchUpdateInput{ID: o.TicketID, Properties: map[string]string{o.Property: o.Value}})
			from = append(from, p.obj.ID)
		}
	}
	if len(outcomes) == 0 {
		return made
	}
	for _, in := range outcomes {
		c.d.expectEchoes(typ, in.ID, in.Properties)
	}
	_, recErrs, err := c.d.client.BatchUpdate(ctx, typ, outcomes)
	if err == nil && len(recErrs) == 0 {
		return made
	}
	c.sum.Errors++
	c.d.log.Warn("referral outcomes not written", "tickets", len(outcomes), "err", err, "rejected", len(recErrs))
	// Which of them landed is not known: forget them all, so the next
	// decision of each referral writes its outcome again.
	for i, in := range outcomes {
		c.d.forgetEchoes(typ, in.ID, in.Properties)
		if rs := c.d.mem.state.Records[typ+"/"+from[i]]; rs != nil {
			rs.Referral = nil
		}
	}
	return made
}

// makeReferral creates the referral ticket, associated with the activity's
// company and the client's contacts, writes its status on the ticket it
// was made from and tells the NGO. It returns the referral ticket's id
// once it exists.
func (c *cycle) makeReferral(ctx context.Context, orig hubspot.Object, r *pipelines.Referral) (string, error) {
	d := c.d
	m := c.rs.mapping
	assocs, contacts, err := c.withContacts(ctx, r.FromTicket, AssocTicketToContact,
		assocTo(r.ActivityID, hubspot.AssocTicketToCompany))
	if err != nil {
		return "", err
	}
	props := map[string]string{
		m.Field(hubspot.Tickets, "subject"):  m.Printer().T("record.referral_subject", "Activity", r.ActivityName),
		m.Field(hubspot.Tickets, "pipeline"): m.ReferralPipelineID(),
		m.Field(hubspot.Tickets, "stage"):    m.ReferralStageID("sent"),
		m.Field(hubspot.Tickets, "refer_to"): r.ActivityID,
		m.Outputs.ReferralOf:                 r.FromTicket,
	}
	// The needs say which of the activity's themes the referral is for,
	// which the referrals report counts by.
	if f := m.Field(hubspot.Tickets, "needs"); f != "" {
		if v, _ := orig.Prop(f); v != "" {
			props[f] = v
		}
	}
	for _, f := range []string{"municipality", "language", "client_group"} {
		if p := m.Field(hubspot.Tickets, f); p != "" {
			if v, _ := orig.Prop(p); v != "" {
				props[p] = v
			}
		}
	}
	delete(props, "")
	ref, err := d.client.CreateOnce(ctx, hubspot.Tickets, r.Key, hubspot.ObjectInput{Properties: props, Associations: assocs})
	if err != nil {
		return "", fmt.Errorf("create the referral ticket: %w", err)
	}
	status := pipelines.ReferralStatus(m.Printer(), m.ReferralStageLabel("sent"), ref.ID)
	// The referral's own first decision would report the same; remember
	// it as reported.
	if d.mem.state.Records == nil {
		d.mem.state.Records = map[string]*pipelines.RecordState{}
	}
	d.mem.state.Records[hubspot.Tickets+"/"+ref.ID] = &pipelines.RecordState{Referral: &pipelines.ReferralMemory{Outcome: status}}
	write := map[string]string{m.Outputs.ReferralStatus: status}
	d.expectEchoes(hubspot.Tickets, r.FromTicket, write)
	if _, err := d.client.Update(ctx, hubspot.Tickets, r.FromTicket, write); err != nil {
		d.forgetEchoes(hubspot.Tickets, r.FromTicket, write)
		c.sum.Errors++
		d.log.Warn("referral status not written", "ticket", r.FromTicket, "referral", ref.ID, "err", err)
	}
	d.log.Info("referral made", "ticket", r.FromTicket, "referral", ref.ID, "activity", r.ActivityID, "contacts", contacts)
	// Decide the new referral at once, so its contact clock shows from the
	// start rather than from the next poll.
	d.requeue(hubspot.Tickets, []string{ref.ID})
	return ref.ID, c.notifyReferral(ctx, ref.ID, r)
}

// assocTo is a HubSpot-defined association to a record, for a create.
func assocTo(id string, typeID int) hubspot.AssociationCreate {
	return hubspot.AssociationCreate{To: hubspot.ObjectID{ID: id},
		Types: []hubspot.AssociationSpec{{Category: hubspot.HubSpotDefined, TypeID: typeID}}}
}

// withContacts adds to assocs an association (of typeID) with each
// contact of a ticket, the client's, so that a record made from the
// ticket reaches the client in the CRM; it returns how many there were.
func (c *cycle) withContacts(ctx context.Context, ticket string, typeID int, assocs ...hubspot.AssociationCreate) ([]hubspot.AssociationCreate, int, error) {
	contacts, err := c.d.client.Associations(ctx, hubspot.Tickets, ticket, "contacts")
	if err != nil {
		return nil, 0, fmt.Errorf("read the client's contact: %w", err)
	}
	for _, ct := range contacts {
		assocs = append(assocs, assocTo(strconv.FormatInt(ct.ToObjectID, 10), typeID))
	}
	return assocs, len(contacts), nil
}

// notifyReferral hands the referral to the notifier, reading the NGO's
// address from HubSpot at the moment of sending.
func (c *cycle) notifyReferral(ctx context.Context, referralID string, r *pipelines.Referral) error {
	d := c.d
	if d.referralNotifier == nil {
		d.log.Info("referral not notified: no notifier is wired", "referral", referralID, "activity", r.ActivityID)
		return nil
	}
	n := ReferralNotice{ReferralID: referralID, ActivityID: r.ActivityID, ActivityName: r.ActivityName}
	if f := c.rs.mapping.Field(hubspot.Companies, "contact_email"); f != "" {
		co, err := d.client.Get(ctx, hubspot.Companies, r.ActivityID, []string{f})
		if err != nil {
			return fmt.Errorf("read the NGO's address: %w", err)
		}
		n.ContactEmail, _ = co.Prop(f)
	}
	if err := d.referralNotifier.NotifyReferral(ctx, n); err != nil {
		// The referral stands; the NGO is told late rather than twice.
		c.sum.Errors++
		d.log.Warn("referral notification failed", "referral", referralID, "err", err)
	}
	return nil
}
