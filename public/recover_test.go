package public

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/store"
)

// TestOrdersSurviveACrash covers the two crashes an order can meet: after
// its 202 but before HubSpot heard of it, and after HubSpot created the
// deal but before alusta noted it. Either way a start-up finishes the
// order, with one deal and one contact.
func TestOrdersSurviveACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the order loop")
	}
	r := startRig(t)
	ctx := context.Background()
	decode := func(ref string) intake.Order {
		var o intake.Order
		b, _ := json.Marshal(order(ref))
		json.Unmarshal(b, &o)
		return o
	}
	// Crash 1: stored, answered 202, never sent. SubmitStored stores as
	// the API does, without waking the running intake.
	if _, err := intake.SubmitStored(ctx, r.st, testSecret, "Tampere", decode("CRASH-1")); err != nil {
		t.Fatal(err)
	}
	// Crash 2: HubSpot made the contact and the deal (with the keys the
	// intake uses), and alusta died before noting it.
	if _, err := intake.SubmitStored(ctx, r.st, testSecret, "Tampere", decode("CRASH-2")); err != nil {
		t.Fatal(err)
	}
	c, err := r.client.CreateOnce(ctx, intake.Contacts, "contact/order/Tampere/CRASH-2", hubspot.ObjectInput{Properties: map[string]string{"lastname": "X"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.client.CreateOnce(ctx, hubspot.Deals, "order/Tampere/CRASH-2", hubspot.ObjectInput{Properties: map[string]string{"dealname": "X"}})
	if err != nil {
		t.Fatal(err)
	}

	// Start-up: a new intake on the same store.
	in, err := intake.New(intake.Options{Client: r.client, Store: r.st, Mapping: r.mapping, HashKey: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Process(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"CRASH-1", "CRASH-2"} {
		so, _, err := r.st.Order(ctx, "Tampere", ref)
		if err != nil || so.State != store.OrderCreated || so.DealID == "" || so.Payload != nil {
			t.Fatalf("%s after start-up: got %+v %v, want created, erased", ref, so, err)
		}
	}
	so, _, _ := r.st.Order(ctx, "Tampere", "CRASH-2")
	if so.DealID != d.ID || so.ContactID != c.ID {
		t.Fatalf("CRASH-2: got deal %s contact %s, want the ones HubSpot already had (%s, %s)", so.DealID, so.ContactID, d.ID, c.ID)
	}
	page, err := r.client.Search(ctx, hubspot.Deals, hubspot.SearchRequest{Limit: 10, FilterGroups: []hubspot.FilterGroup{{Filters: []hubspot.Filter{
		{PropertyName: hubspot.IdempotencyProperty, Operator: "EQ", Value: "order/Tampere/CRASH-2"}}}}})
	if err != nil || len(page.Results) != 1 {
		t.Fatalf("deals for CRASH-2: got %v %v, want exactly one", page, err)
	}
	assertNoClientData(t, r.dbPath)
}
