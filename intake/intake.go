package intake

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

// Contacts is HubSpot's contact object type.
const Contacts = "contacts"

// Deal and contact properties alusta owns for orders, created at start-up
// when missing.
const (
	PropOrderRef   = "alusta_order_ref"
	PropOrderer    = "alusta_orderer"
	PropStartDate  = "alusta_start_date"
	PropNotes      = "alusta_notes_for_provider"
	PropPersonalID = "alusta_personal_id"
	// AssocDealContact is HubSpot's deal-to-contact association type.
	AssocDealContact = 3
)

// Options configure an Intake.
type Options struct {
	Client  *hubspot.Client
	Store   *store.Store
	Mapping *mappings.Mapping // resolved against the portal
	Rules   Rules
	// HashKey keys the hash that tells a repeated order from a changed
	// one, so that the hash, kept after the client's details are erased,
	// says nothing about them.
	HashKey []byte
	// Created is told of each new deal, to have it decided at once.
	Created func(dealID string)
	// Cancelled, when set, is told of a cancelled order's provider, to
	// tell the provider in turn.
	Cancelled func(ctx context.Context, dealID, providerID string) error
	// Shadow (sync.mode: shadow) creates nothing in HubSpot: no order is
	// taken (ErrShadow), and orders taken before shadow mode wait, stored,
	// until alusta runs live.
	Shadow     bool
	Now        func() time.Time
	Log        *slog.Logger
	Registerer prometheus.Registerer
}

// Intake receives orders and creates them in HubSpot.
type Intake struct {
	client  *hubspot.Client
	st      *store.Store
	m       *mappings.Mapping
	rules   Rules
	hashKey []byte
	created func(string)
	cancel  func(context.Context, string, string) error
	now     func() time.Time
	log     *slog.Logger
	kick    chan struct{}
	shadow  bool
	orders  *prometheus.CounterVec
}

// ErrShadow is an order or a cancellation refused because alusta runs in
// shadow mode and writes nothing to HubSpot.
var ErrShadow = errors.New("intake: alusta runs in shadow mode and takes no orders")

// New returns an intake.
func New(opts Options) (*Intake, error) {
	if opts.Client == nil || opts.Store == nil || opts.Mapping == nil {
		return nil, errors.New("intake: client, store and mapping are required")
	}
	if !opts.Mapping.Resolved() {
		return nil, errors.New("intake: the mapping must be resolved against the portal")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Created == nil {
		opts.Created = func(string) {}
	}
	in := &Intake{client: opts.Client, st: opts.Store, m: opts.Mapping, rules: opts.Rules, hashKey: opts.HashKey,
		created: opts.Created, cancel: opts.Cancelled, now: opts.Now, log: opts.Log, kick: make(chan struct{}, 1), shadow: opts.Shadow,
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_intake_orders_total",
			Help: "Orders by outcome: received, repeated, conflict (API); created, retry, failed (HubSpot).",
		}, []string{"outcome"}),
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(in.orders); err != nil {
			return nil, fmt.Errorf("intake: metrics: %w", err)
		}
	}
	return in, nil
}

// Rules returns the rules orders are checked against.
func (in *Intake) Rules() Rules { return in.rules }

// Prepare creates the properties orders need in HubSpot when missing; in
// shadow mode nothing.
func (in *Intake) Prepare(ctx context.Context) error {
	if in.shadow {
		return nil
	}
	group := hubspot.PropertyGroup{Name: "alusta", Label: "alusta", DisplayOrder: -1}
	// Labels and descriptions in the portal's language.
	p := in.m.Printer()
	str := func(name, text string) hubspot.Property {
		return hubspot.Property{Name: name, Label: p.T("property." + text + ".label"), Type: "string", FieldType: "text",
			GroupName: "alusta", Description: p.T("property." + text + ".description")}
	}
	key := str(hubspot.IdempotencyProperty, "idempotency_key")
	key.HasUniqueValue = true
	notes := str(PropNotes, "notes_for_provider")
	notes.FieldType = "textarea"
	start := str(PropStartDate, "start_date")
	start.Type, start.FieldType = "date", "date"
	want := map[string][]hubspot.Property{
		hubspot.Deals: {key, str(PropOrderRef, "order_ref"), str(PropOrderer, "orderer"), start, notes},
		Contacts:      {key, str(PropPersonalID, "personal_id")},
	}
	for _, typ := range []string{hubspot.Deals, Contacts} {
		if _, err := in.client.EnsureProperties(ctx, typ, group, want[typ]); err != nil {
			return fmt.Errorf("intake: ensure %s properties: %w", typ, err)
		}
	}
	return nil
}

// NewKey returns a new API key and its hash; only the hash is stored.
func NewKey() (key, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	key = "ak_" + base64.RawURLEncoding.EncodeToString(b)
	return key, HashKey(key)
}

// HashKey is the stored form of a key.
func HashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// Outcome is what Submit made of an order.
type Outcome int

// Outcomes of Submit.
const (
	Accepted Outcome = iota // new, stored durably (202)
	Repeated                // the same order again (200)
	Conflict                // the same reference with another body (409)
)

func bodyHash(key []byte, o Order) string {
	b, _ := json.Marshal(o)
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// Submit stores a checked order durably and has it created in HubSpot in
// the background. The order must have passed Rules.Check.
func (in *Intake) Submit(ctx context.Context, orderer string, o Order) (Outcome, store.Order, error) {
	if in.shadow {
		return 0, store.Order{}, ErrShadow
	}
	outcome, got, err := submit(ctx, in.st, in.hashKey, orderer, o)
	if err == nil {
		in.orders.WithLabelValues([...]string{Accepted: "received", Repeated: "repeated", Conflict: "conflict"}[outcome]).Inc()
	}
	if err == nil && outcome == Accepted {
		in.log.Info("intake: order received", "orderer", orderer, "order_ref", o.OrderRef)
		in.Kick()
	}
	return outcome, got, err
}

// SubmitStored stores a checked order durably for a running daemon to
// create in HubSpot: what a CSV import does. hashKey must be the daemon's
// (the link secret), so that a repeat is recognised whichever way it came.
func SubmitStored(ctx context.Context, st *store.Store, hashKey []byte, orderer string, o Order) (Outcome, error) {
	outcome, _, err := submit(ctx, st, hashKey, orderer, o)
	return outcome, err
}

func submit(ctx context.Context, st *store.Store, hashKey []byte, orderer string, o Order) (Outcome, store.Order, error) {
	payload, err := json.Marshal(o)
	if err != nil {
		return 0, store.Order{}, fmt.Errorf("intake: submit %s: %w", o.OrderRef, err)
	}
	hash := bodyHash(hashKey, o)
	got, err := st.AddOrder(ctx, store.Order{Orderer: orderer, Ref: o.OrderRef, BodyHash: hash, Payload: payload})
	switch {
	case errors.Is(err, store.ErrOrderExists):
		if hmac.Equal([]byte(got.BodyHash), []byte(hash)) {
			return Repeated, got, nil
		}
		return Conflict, got, nil
	case err != nil:
		return 0, store.Order{}, fmt.Errorf("intake: submit %s: %w", o.OrderRef, err)
	}
	return Accepted, got, nil
}

// Kick wakes Run.
func (in *Intake) Kick() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// retryEvery is how often Run tries the orders HubSpot does not have yet.
const retryEvery = 30 * time.Second

// Run creates pending orders in HubSpot until ctx ends: at once on start
// (recovering what a crash left between 202 and HubSpot), when kicked, and
// every retryEvery while some are left. In shadow mode it creates none:
// they wait in the store for alusta to run live.
func (in *Intake) Run(ctx context.Context) error {
	for {
		if _, err := in.Process(ctx); err != nil && ctx.Err() == nil {
			in.log.Warn("intake: orders not created yet; trying again", "err", err)
		}
		t := time.NewTimer(retryEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-in.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// maxAttempts is when an order HubSpot keeps refusing (a 4xx) is given up
// and left for a person; transient failures are retried for ever.
const maxAttempts = 5

// Process creates every pending order in HubSpot and returns how many it
// created. An order that fails stays pending (its error recorded) for the
// next round.
func (in *Intake) Process(ctx context.Context) (int, error) {
	if in.shadow {
		return 0, nil
	}
	pending, err := in.st.PendingOrders(ctx)
	if err != nil {
		return 0, fmt.Errorf("intake: %w", err)
	}
	n := 0
	var errs []error
	for _, so := range pending {
		if err := in.create(ctx, so); err != nil {
			var api *hubspot.APIError
			final := errors.As(err, &api) && api.Status >= 400 && api.Status < 500 && api.Status != 429 && so.Attempts+1 >= maxAttempts
			if rerr := in.st.OrderAttempt(ctx, so.Orderer, so.Ref, err.Error(), final); rerr != nil {
				return n, rerr
			}
			if final {
				in.orders.WithLabelValues("failed").Inc()
			} else {
				in.orders.WithLabelValues("retry").Inc()
			}
			errs = append(errs, fmt.Errorf("order %s: %w", so.Ref, err))
			continue
		}
		in.orders.WithLabelValues("created").Inc()
		n++
	}
	return n, errors.Join(errs...)
}

// resolveChoice turns a business id into the provider's company id, which
// the rules compare with; a company id passes as it is. A business id no
// provider has is left out, with a warning: the rules then choose.
func (in *Intake) resolveChoice(ctx context.Context, choice string) (string, error) {
	prop := in.m.Field(hubspot.Companies, "business_id")
	if !businessPattern.MatchString(choice) || prop == "" {
		return choice, nil
	}
	page, err := in.client.Search(ctx, hubspot.Companies, hubspot.SearchRequest{Limit: 2, Properties: []string{prop},
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: prop, Operator: "EQ", Value: choice}}}}})
	if err != nil {
		return "", fmt.Errorf("look up the client's choice: %w", err)
	}
	if len(page.Results) != 1 {
		in.log.Warn("intake: the client's choice names no single provider; the rules choose", "business_id", choice, "found", len(page.Results))
		return "", nil
	}
	return page.Results[0].ID, nil
}

func (in *Intake) contactByEmail(ctx context.Context, email string) (*hubspot.Object, error) {
	page, err := in.client.Search(ctx, Contacts, hubspot.SearchRequest{Limit: 1, Properties: []string{"email"},
		FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{{PropertyName: "email", Operator: "EQ", Value: email}}}}})
	if err != nil {
		return nil, fmt.Errorf("find the contact by e-mail: %w", err)
	}
	if len(page.Results) == 0 {
		return nil, fmt.Errorf("find the contact by e-mail: %w", hubspot.ErrNotFound)
	}
	return &page.Results[0], nil
}

// create makes the client's contact and the order's deal, associated,
// each at most once (CreateOnce keys derive from the orderer and the
// reference), then erases the client's details from the store.
func (in *Intake) create(ctx context.Context, so store.Order) error {
	var o Order
	if err := json.Unmarshal(so.Payload, &o); err != nil {
		return fmt.Errorf("decode stored order: %w", err)
	}
	cl := o.Client
	contact := map[string]string{
		"firstname": cl.FirstName, "lastname": cl.LastName, "address": cl.Address,
		"zip": cl.PostalCode, "city": o.Municipality, "phone": cl.Phone,
	}
	if cl.Email != "" {
		contact["email"] = cl.Email
	}
	if cl.PersonalID != "" {
		contact[PropPersonalID] = strings.ToUpper(cl.PersonalID)
	}
	key := "order/" + so.Orderer + "/" + so.Ref
	c, err := in.client.CreateOnce(ctx, Contacts, "contact/"+key, hubspot.ObjectInput{Properties: contact})
	if errors.Is(err, hubspot.ErrConflict) && cl.Email != "" {
		// HubSpot keeps one contact per e-mail address: a client who
		// ordered before is that contact.
		c, err = in.contactByEmail(ctx, cl.Email)
	}
	if err != nil {
		return fmt.Errorf("create contact: %w", err)
	}
	m := in.m
	f := func(name string) string { return m.Field(hubspot.Deals, name) }
	deal := map[string]string{
		f("name"):         m.Printer().T("record.intake_order_name", "Ref", o.OrderRef, "Service", o.Service, "Municipality", o.Municipality),
		f("pipeline"):     m.PipelineID(hubspot.Deals),
		f("stage"):        m.StageID(hubspot.Deals, "received"),
		f("service"):      o.Service,
		f("municipality"): o.Municipality,
		f("units"):        strconv.FormatFloat(o.Units, 'f', -1, 64),
		f("unit"):         o.Unit,
		f("payer"):        o.Payer,
		f("language"):     o.Language,
		PropOrderRef:      o.OrderRef,
		PropOrderer:       so.Orderer,
		PropStartDate:     o.StartDate,
	}
	if o.ClientChoice != "" {
		choice, err := in.resolveChoice(ctx, o.ClientChoice)
		if err != nil {
			return err
		}
		deal[f("client_choice")] = choice
	}
	if o.NotesForProvider != "" {
		deal[PropNotes] = o.NotesForProvider
	}
	delete(deal, "") // a field the mapping leaves out
	d, err := in.client.CreateOnce(ctx, hubspot.Deals, key, hubspot.ObjectInput{Properties: deal,
		Associations: []hubspot.AssociationCreate{{To: hubspot.ObjectID{ID: c.ID},
			Types: []hubspot.AssociationSpec{{Category: hubspot.HubSpotDefined, TypeID: AssocDealContact}}}}})
	if err != nil {
		return fmt.Errorf("create deal: %w", err)
	}
	if err := in.st.OrderCreated(ctx, so.Orderer, so.Ref, d.ID, c.ID); errors.Is(err, store.ErrLogNotEmptied) {
		// HubSpot has the order and the store has erased it; the next
		// checkpoint empties the log.
		in.log.Warn("intake: erased order may stay in the write-ahead log until the next checkpoint", "order_ref", so.Ref, "err", err)
	} else if err != nil {
		return err
	}
	in.log.Info("intake: order created in HubSpot", "orderer", so.Orderer, "order_ref", so.Ref, "deal", d.ID)
	in.created(d.ID)
	return nil
}
