package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// Status is what an orderer may know of an order. It is read live from
// HubSpot, where staff and providers move the order on.
type Status struct {
	OrderRef   string    `json:"order_ref"`
	Status     string    `json:"status"`
	Provider   string    `json:"provider,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Statuses an order goes through, as the API names them.
const (
	StatusReceived    = "received"
	StatusForwarded   = "forwarded"
	StatusAccepted    = "accepted"
	StatusReforwarded = "declined and re-forwarded"
	StatusActive      = "active"
	StatusDelivered   = "delivered"
	StatusCancelled   = "cancelled"
)

// ErrNotFound is returned for an order the orderer does not have.
var ErrNotFound = errors.New("intake: no such order")

// Status returns the status of one of orderer's orders.
func (in *Intake) Status(ctx context.Context, orderer, ref string) (Status, error) {
	so, ok, err := in.st.Order(ctx, orderer, ref)
	if err != nil {
		return Status{}, fmt.Errorf("intake: status %s: %w", ref, err)
	}
	if !ok {
		return Status{}, ErrNotFound
	}
	s := Status{OrderRef: ref, Status: StatusReceived, ReceivedAt: so.CreatedAt, UpdatedAt: so.UpdatedAt}
	if so.DealID == "" {
		return s, nil
	}
	m := in.m
	stageProp, provProp := m.Field(hubspot.Deals, "stage"), m.Outputs.Provider
	d, err := in.client.Get(ctx, hubspot.Deals, so.DealID, []string{stageProp, provProp, m.Outputs.DeclinedBy})
	if err != nil {
		return Status{}, fmt.Errorf("intake: status %s: read deal: %w", ref, err)
	}
	s.UpdatedAt = d.UpdatedAt
	stage, _ := d.Prop(stageProp)
	declined, _ := d.Prop(m.Outputs.DeclinedBy)
	switch m.StageName(hubspot.Deals, stage) {
	case "assigned":
		s.Status = StatusForwarded
		if declined != "" {
			s.Status = StatusReforwarded
		}
	case "declined":
		s.Status = StatusReforwarded
	case "accepted":
		s.Status = StatusAccepted
	case "active":
		s.Status = StatusActive
	case "delivered":
		s.Status = StatusDelivered
	case "cancelled":
		s.Status = StatusCancelled
	}
	switch s.Status {
	case StatusAccepted, StatusActive, StatusDelivered:
		if id, _ := d.Prop(provProp); id != "" {
			c, err := in.client.Get(ctx, hubspot.Companies, id, []string{m.Field(hubspot.Companies, "name")})
			if err != nil {
				return Status{}, fmt.Errorf("intake: status %s: read provider: %w", ref, err)
			}
			s.Provider, _ = c.Prop(m.Field(hubspot.Companies, "name"))
		}
	}
	return s, nil
}

// ErrFinished is returned when cancelling an order already delivered.
var ErrFinished = errors.New("intake: the order is delivered and cannot be cancelled")

// Cancel cancels one of orderer's orders: its deal moves to the cancelled
// stage (a provider already told sees it on the order page). Cancelling a
// cancelled order changes nothing. An order HubSpot does not have yet is
// created first, so that the cancellation is on record there.
func (in *Intake) Cancel(ctx context.Context, orderer, ref string) (Status, error) {
	if in.shadow {
		return Status{}, ErrShadow
	}
	so, ok, err := in.st.Order(ctx, orderer, ref)
	if err != nil {
		return Status{}, fmt.Errorf("intake: cancel %s: %w", ref, err)
	}
	if !ok {
		return Status{}, ErrNotFound
	}
	if so.State == store.OrderPending {
		if err := in.create(ctx, so); err != nil {
			return Status{}, fmt.Errorf("intake: cancel %s: %w", ref, err)
		}
		if so, _, err = in.st.Order(ctx, orderer, ref); err != nil {
			return Status{}, fmt.Errorf("intake: cancel %s: %w", ref, err)
		}
	}
	if so.DealID == "" {
		return Status{}, fmt.Errorf("intake: cancel %s: the order was refused by HubSpot: %s", ref, so.Error)
	}
	s, err := in.Status(ctx, orderer, ref)
	if err != nil {
		return Status{}, err
	}
	switch s.Status {
	case StatusCancelled:
		return s, nil
	case StatusDelivered:
		return s, ErrFinished
	}
	d, err := in.client.Get(ctx, hubspot.Deals, so.DealID, []string{in.m.Outputs.Provider})
	if err != nil {
		return Status{}, fmt.Errorf("intake: cancel %s: %w", ref, err)
	}
	if _, err := in.client.Update(ctx, hubspot.Deals, so.DealID, map[string]string{
		in.m.Field(hubspot.Deals, "stage"): in.m.StageID(hubspot.Deals, "cancelled"),
	}); err != nil {
		return Status{}, fmt.Errorf("intake: cancel %s: %w", ref, err)
	}
	in.created(so.DealID)
	if provider, _ := d.Prop(in.m.Outputs.Provider); provider != "" && in.cancel != nil {
		if err := in.cancel(ctx, so.DealID, provider); err != nil {
			in.log.Warn("intake: provider not told of the cancellation", "deal", so.DealID, "err", err)
		}
	}
	in.log.Info("intake: order cancelled", "orderer", orderer, "order_ref", ref, "deal", so.DealID)
	return in.Status(ctx, orderer, ref)
}
