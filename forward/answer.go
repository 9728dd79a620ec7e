package forward

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/signedlink"
	"github.com/alusta/alusta/store"
)

// Errors of a provider's page. ErrNotYours means the order has moved on
// to another provider (after a decline, or by a coordinator): the link
// shows nothing any more (410).
var (
	ErrNotYours = errors.New("forward: the order is no longer forwarded to this provider")
	ErrAction   = errors.New("forward: action not possible in the order's stage")
)

// Client is the client's contact details as HubSpot holds them now.
type Client struct {
	Name, Address, PostalCode, City, Phone, Email string
}

// View is the order page's content.
type View struct {
	order
	Stage    string // alusta's stage name: assigned, accepted, ...
	Notes    string
	Language string
	Provider string // the provider's name
	Client   Client
}

// Party names a provider in the access log.
func Party(providerID string) string { return "provider:" + providerID }

// Check verifies a link token; see signedlink.Check.
func (f *Forwarder) Check(token string) (signedlink.Claims, error) {
	return f.signer.Check(Purpose, token, f.now())
}

func (f *Forwarder) deal(ctx context.Context, c signedlink.Claims) (*hubspot.Object, error) {
	d, err := f.client.Get(ctx, hubspot.Deals, c.Record, f.dealProps())
	if errors.Is(err, hubspot.ErrNotFound) {
		return nil, ErrNotYours
	}
	if err != nil {
		return nil, fmt.Errorf("forward: read deal %s: %w", c.Record, err)
	}
	if p, _ := d.Prop(f.m.Outputs.Provider); p != c.Party {
		return nil, ErrNotYours
	}
	return d, nil
}

// View reads the order for the provider a link was given to, with the
// client's contact details read live from HubSpot. The view is logged
// before any client data is read; if it cannot be logged, nothing is shown.
func (f *Forwarder) View(ctx context.Context, c signedlink.Claims) (View, error) {
	d, err := f.deal(ctx, c)
	if err != nil {
		return View{}, err
	}
	v := View{order: f.orderOf(d)}
	v.Stage = f.m.StageName(hubspot.Deals, prop(d, f.m.Field(hubspot.Deals, "stage")))
	if v.Stage == "cancelled" {
		// A cancelled order needs no client details: show the order only.
		return v, nil
	}
	if err := f.st.LogAccess(ctx, store.Access{DealID: c.Record, Party: Party(c.Party), Action: "view"}); err != nil {
		return View{}, fmt.Errorf("forward: %w", err)
	}
	v.Notes = prop(d, intake.PropNotes)
	v.Language = prop(d, f.m.Field(hubspot.Deals, "language"))
	nameProp := f.m.Field(hubspot.Companies, "name")
	if p, err := f.client.Get(ctx, hubspot.Companies, c.Party, []string{nameProp}); err == nil {
		v.Provider = prop(p, nameProp)
	}
	contacts, err := f.client.Associations(ctx, hubspot.Deals, c.Record, intake.Contacts)
	if err != nil {
		return View{}, fmt.Errorf("forward: deal %s contacts: %w", c.Record, err)
	}
	if len(contacts) > 0 {
		id := strconv.FormatInt(contacts[0].ToObjectID, 10)
		ct, err := f.client.Get(ctx, intake.Contacts, id, []string{"firstname", "lastname", "address", "zip", "city", "phone", "email"})
		if err != nil {
			return View{}, fmt.Errorf("forward: deal %s contact: %w", c.Record, err)
		}
		v.Client = Client{Name: strings.TrimSpace(prop(ct, "firstname") + " " + prop(ct, "lastname")),
			Address: prop(ct, "address"), PostalCode: prop(ct, "zip"), City: prop(ct, "city"),
			Phone: prop(ct, "phone"), Email: prop(ct, "email")}
	}
	return v, nil
}

func prop(o *hubspot.Object, name string) string {
	v, _ := o.Prop(name)
	return v
}

// Actions a provider may take, and the stage each needs and leads to.
const (
	Accept    = "accept"
	Decline   = "decline"
	Start     = "start"
	Delivered = "deliver"
)

var transitions = map[string]struct {
	from []string
	to   string
}{
	Accept:    {[]string{"assigned"}, "accepted"},
	Decline:   {[]string{"assigned"}, "declined"},
	Start:     {[]string{"accepted"}, "active"},
	Delivered: {[]string{"accepted", "active"}, "delivered"},
}

// Answer is a provider's action.
type Answer struct {
	Action string
	Reason string  // a decline's reason, one of DeclineReasons
	Units  float64 // delivered units
}

// Act applies a provider's answer to the deal in HubSpot. It is
// idempotent: an answer the deal already shows changes nothing (changed
// false), so a replayed form post does no harm.
func (f *Forwarder) Act(ctx context.Context, c signedlink.Claims, a Answer) (changed bool, err error) {
	if f.shadow {
		return false, ErrShadow
	}
	tr, ok := transitions[a.Action]
	if !ok {
		return false, fmt.Errorf("%w: unknown action %q", ErrAction, a.Action)
	}
	if a.Action == Decline && !slices.Contains(DeclineReasons, a.Reason) {
		return false, fmt.Errorf("%w: a decline needs a reason (%s)", ErrAction, strings.Join(DeclineReasons, ", "))
	}
	if a.Action == Delivered && (a.Units <= 0 || a.Units > 10000) {
		return false, fmt.Errorf("%w: delivered units must be above 0 and at most 10000", ErrAction)
	}
	d, err := f.deal(ctx, c)
	if err != nil {
		return false, err
	}
	stageProp := f.m.Field(hubspot.Deals, "stage")
	stage := f.m.StageName(hubspot.Deals, prop(d, stageProp))
	if stage == tr.to {
		return false, nil
	}
	if !slices.Contains(tr.from, stage) {
		return false, fmt.Errorf("%w: %s when the order is %s", ErrAction, a.Action, stage)
	}
	if err := f.st.LogAccess(ctx, store.Access{DealID: c.Record, Party: Party(c.Party), Action: a.Action}); err != nil {
		return false, fmt.Errorf("forward: %w", err)
	}
	writes := map[string]string{stageProp: f.m.StageID(hubspot.Deals, tr.to)}
	switch a.Action {
	case Decline:
		writes[PropDeclineReason] = a.Reason
	case Delivered:
		writes[f.m.Field(hubspot.Deals, "units")] = strconv.FormatFloat(a.Units, 'f', -1, 64)
		if cd := f.m.Field(hubspot.Deals, "close_date"); cd != "" {
			writes[cd] = f.now().UTC().Format("2006-01-02T15:04:05.000Z")
		}
	}
	if _, err := f.client.Update(ctx, hubspot.Deals, c.Record, writes); err != nil {
		return false, fmt.Errorf("forward: %s deal %s: %w", a.Action, c.Record, err)
	}
	f.log.Info("forward: provider answered", "deal", c.Record, "provider", c.Party, "action", a.Action)
	f.changed(c.Record)
	return true, nil
}

// MAC is an HMAC under the forwarder's link secret, for tokens bound to a
// link (the order page's CSRF token).
func (f *Forwarder) MAC(purpose string, parts ...string) string {
	return f.signer.MAC(purpose, parts...)
}
