// Package forward closes the loop between an order and its provider: when
// the rules assign an order, the provider is told (an e-mail without client
// data and, for providers with their own system, a signed webhook), with a
// signed link to the order; through that link the provider sees the order
// with the client's contact details, read live from HubSpot and never kept,
// and answers: accept, decline with a reason, service started, delivered.
// Every view of client data is logged in the store.
//
// It is a top-level package because forwarding orders to providers is a
// job of its own that none of the mandated folders describes.
package forward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/signedlink"
	"github.com/alusta/alusta/store"
)

// Purpose is the signed link purpose of a provider's order page.
const Purpose = "order"

// PathPrefix is where order pages live under public.base_url.
const PathPrefix = "/tilaus/"

// PropDeclineReason is the deal property a decline's reason goes to.
const PropDeclineReason = "alusta_decline_reason"

// DeclineReasons are the reasons a provider may give, as codes; the page
// shows them in the reader's language.
var DeclineReasons = []string{"capacity", "area", "service", "timing", "other"}

// Options configure a Forwarder.
type Options struct {
	Client  *hubspot.Client
	Store   *store.Store
	Mapping *mappings.Mapping // resolved against the portal
	Queue   *notify.Queue
	Signer  *signedlink.Signer
	// BaseURL is public.base_url: what providers' browsers reach.
	BaseURL string
	// TTL is how long a link works; zero means signedlink.DefaultTTL.
	TTL time.Duration
	// Changed is told of a deal a provider's answer changed, to have it
	// decided again at once (a decline forwards the order).
	Changed func(dealID string)
	// TicketChanged is told of a referral ticket an NGO's answer moved,
	// to report it on the ticket it was made from at once.
	TicketChanged func(ticketID string)
	// Shadow (sync.mode: shadow) writes nothing to HubSpot: Prepare
	// creates no property and the pages take no answer (ErrShadow). The
	// queue, made in shadow mode too, holds the messages.
	Shadow bool
	Now    func() time.Time
	Log    *slog.Logger
}

// ErrShadow is a provider's or an NGO's answer refused because alusta runs
// in shadow mode and writes nothing to HubSpot.
var ErrShadow = errors.New("forward: alusta runs in shadow mode and takes no answers")

// Forwarder tells providers of their orders and takes their answers.
type Forwarder struct {
	client  *hubspot.Client
	st      *store.Store
	m       *mappings.Mapping
	queue   *notify.Queue
	signer  *signedlink.Signer
	base    string
	ttl     time.Duration
	changed func(string)
	// ticketChanged is Options.TicketChanged.
	ticketChanged func(string)
	shadow        bool
	now           func() time.Time
	log           *slog.Logger
}

// New returns a forwarder.
func New(opts Options) (*Forwarder, error) {
	if opts.Client == nil || opts.Store == nil || opts.Mapping == nil || opts.Queue == nil || opts.Signer == nil {
		return nil, errors.New("forward: client, store, mapping, queue and signer are required")
	}
	if opts.TTL <= 0 {
		opts.TTL = signedlink.DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Changed == nil {
		opts.Changed = func(string) {}
	}
	if opts.TicketChanged == nil {
		opts.TicketChanged = func(string) {}
	}
	f := &Forwarder{client: opts.Client, st: opts.Store, m: opts.Mapping, queue: opts.Queue, signer: opts.Signer,
		base: strings.TrimRight(opts.BaseURL, "/"), ttl: opts.TTL, changed: opts.Changed, ticketChanged: opts.TicketChanged, shadow: opts.Shadow, now: opts.Now, log: opts.Log}
	opts.Queue.Handle(Channel, f)
	return f, nil
}

// Channel is the queue channel of the forwarder's own jobs: "tell this
// provider about this order". The daemon's cycle only queues the job (no
// network call); the queue's worker runs it, retrying while HubSpot is
// unreachable, and the job queues the mail and the webhook.
const Channel = "forward"

var _ notify.Sender = (*Forwarder)(nil)

// job is a queued forwarding job.
type job struct {
	Deal     string `json:"deal"`
	Provider string `json:"provider"`
	Event    string `json:"event"`
}

// Prepare creates the deal property a decline's reason goes to; in shadow
// mode nothing.
func (f *Forwarder) Prepare(ctx context.Context) error {
	if f.shadow {
		return nil
	}
	// Labels in the portal's language; the option values stay codes.
	p := f.m.Printer()
	var opts []hubspot.Option
	for i, r := range DeclineReasons {
		opts = append(opts, hubspot.Option{Label: p.T("option.decline_reason." + r), Value: r, DisplayOrder: i})
	}
	_, err := f.client.EnsureProperties(ctx, hubspot.Deals, hubspot.PropertyGroup{Name: "alusta", Label: "alusta", DisplayOrder: -1},
		[]hubspot.Property{{Name: PropDeclineReason, Label: p.T("property.decline_reason.label"), Type: "enumeration", FieldType: "select",
			GroupName: "alusta", Description: p.T("property.decline_reason.description"), Options: opts}})
	if err != nil {
		return fmt.Errorf("forward: ensure deal properties: %w", err)
	}
	return nil
}

// Link returns a provider's signed link to a deal's order page.
func (f *Forwarder) Link(dealID, providerID string) (string, time.Time) {
	exp := f.now().Add(f.ttl).Truncate(time.Second)
	tok := f.signer.Token(signedlink.Claims{Purpose: Purpose, Record: dealID, Party: providerID, Expires: exp})
	return f.base + PathPrefix + tok, exp
}

// order is what a message says of an order: nothing about the client.
type order struct {
	DealID       string `json:"deal_id"`
	OrderRef     string `json:"order_ref"`
	Service      string `json:"service"`
	Municipality string `json:"municipality"`
	Units        string `json:"units"`
	Unit         string `json:"unit"`
	StartDate    string `json:"start_date"`
}

func (f *Forwarder) dealProps() []string {
	m := f.m
	return []string{m.Field(hubspot.Deals, "service"), m.Field(hubspot.Deals, "municipality"), m.Field(hubspot.Deals, "units"),
		m.Field(hubspot.Deals, "unit"), m.Field(hubspot.Deals, "stage"), m.Field(hubspot.Deals, "language"), m.Outputs.Provider,
		intake.PropOrderRef, intake.PropStartDate, intake.PropNotes}
}

func (f *Forwarder) orderOf(d *hubspot.Object) order {
	get := func(field string) string { v, _ := d.Prop(f.m.Field(hubspot.Deals, field)); return v }
	ref, _ := d.Prop(intake.PropOrderRef)
	start, _ := d.Prop(intake.PropStartDate)
	if ref == "" {
		ref = d.ID
	}
	return order{DealID: d.ID, OrderRef: ref, Service: get("service"), Municipality: get("municipality"),
		Units: get("units"), Unit: get("unit"), StartDate: start}
}

// Assigned has a provider told of an order the rules assigned to it: by
// e-mail to its order address and, when it has one, by webhook. It only
// queues the job, durably; telling twice queues nothing new.
func (f *Forwarder) Assigned(ctx context.Context, dealID, providerID string) error {
	return f.queueJob(ctx, dealID, providerID, "assigned")
}

// Remind has a provider reminded of an order it has not answered by the
// acceptance SLA's warning; once per order and provider, and only of an
// order alusta itself told the provider of: an order forwarded by hand
// (or while alusta ran in shadow mode, its message dropped) gets no
// reminder of a message the provider never had.
func (f *Forwarder) Remind(ctx context.Context, dealID, providerID string) error {
	key := jobKey(dealID, providerID, "assigned")
	ns, err := f.st.Notifications(ctx, key)
	if err != nil {
		return fmt.Errorf("forward: remind deal %s: %w", dealID, err)
	}
	told := slices.ContainsFunc(ns, func(n store.Notification) bool { return n.Key == key && n.State == store.NoteSent })
	if !told {
		// Debug: a first sync of a running portal meets many such orders.
		f.log.Debug("forward: no reminder: alusta did not tell the provider of this order", "deal", dealID, "provider", providerID)
		return nil
	}
	return f.queueJob(ctx, dealID, providerID, "reminder")
}

// jobKey is the queue key of a forwarding job.
func jobKey(dealID, providerID, event string) string {
	return "order/" + dealID + "/" + providerID + "/" + event
}

// Cancelled tells the provider that the orderer cancelled the order.
func (f *Forwarder) Cancelled(ctx context.Context, dealID, providerID string) error {
	return f.queueJob(ctx, dealID, providerID, "cancelled")
}

func (f *Forwarder) queueJob(ctx context.Context, dealID, providerID, event string) error {
	body, _ := json.Marshal(job{Deal: dealID, Provider: providerID, Event: event})
	key := jobKey(dealID, providerID, event)
	if f.shadow {
		// Held, one per order and event: shadow mode decides an order
		// again each time it is read, and only the latest counts.
		key = "order/" + dealID + "/" + event
	}
	_, err := f.queue.Enqueue(ctx, notify.Message{Key: key,
		Channel: Channel, Recipient: "provider:" + providerID, Body: string(body)})
	return err
}

// Send runs a queued job: it reads the order and the provider and queues
// the messages. A deal or provider gone from HubSpot ends the job.
func (f *Forwarder) Send(ctx context.Context, n store.Notification) error {
	var j job
	if err := json.Unmarshal([]byte(n.Body), &j); err != nil {
		return notify.Permanent(fmt.Errorf("forward: job %s: %w", n.Key, err))
	}
	err := f.tell(ctx, j.Deal, j.Provider, j.Event)
	if errors.Is(err, hubspot.ErrNotFound) {
		return notify.Permanent(err)
	}
	return err
}

func (f *Forwarder) tell(ctx context.Context, dealID, providerID, event string) error {
	d, err := f.client.Get(ctx, hubspot.Deals, dealID, f.dealProps())
	if err != nil {
		return fmt.Errorf("forward: %s deal %s: %w", event, dealID, err)
	}
	cm := f.m
	emailProp, hookProp := cm.Field(hubspot.Companies, "order_email"), cm.Field(hubspot.Companies, "order_webhook")
	var props []string
	for _, p := range []string{cm.Field(hubspot.Companies, "name"), emailProp, hookProp} {
		if p != "" {
			props = append(props, p)
		}
	}
	p, err := f.client.Get(ctx, hubspot.Companies, providerID, props)
	if err != nil {
		return fmt.Errorf("forward: %s deal %s: read provider %s: %w", event, dealID, providerID, err)
	}
	o := f.orderOf(d)
	link, exp := f.Link(dealID, providerID)
	key := "order/" + dealID + "/" + providerID + "/" + event
	sent := 0
	if addr, _ := p.Prop(emailProp); emailProp != "" && strings.TrimSpace(addr) != "" {
		subject, body := mailText(event, o, link, exp)
		if _, err := f.queue.Enqueue(ctx, notify.Message{Key: key + "/email", Channel: notify.Email,
			Recipient: strings.TrimSpace(addr), Subject: subject, Body: body}); err != nil {
			return fmt.Errorf("forward: %s deal %s: %w", event, dealID, err)
		}
		sent++
	}
	if url, _ := p.Prop(hookProp); hookProp != "" && strings.TrimSpace(url) != "" {
		body, _ := json.Marshal(struct {
			Event string `json:"event"`
			order
			Link      string    `json:"link"`
			ExpiresAt time.Time `json:"expires_at"`
		}{"order." + event, o, link, exp.UTC()})
		if _, err := f.queue.Enqueue(ctx, notify.Message{Key: key + "/webhook", Channel: notify.Webhook,
			Recipient: strings.TrimSpace(url), Body: string(body)}); err != nil {
			return fmt.Errorf("forward: %s deal %s: %w", event, dealID, err)
		}
		sent++
	}
	if sent == 0 {
		f.log.Warn("forward: provider has no order e-mail or webhook; nobody was told", "deal", dealID, "provider", providerID)
	}
	return nil
}
