package hubspot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

func TestPipelinesAndOwners(t *testing.T) {
	f, srv := newFake(t)
	f.handle("GET", "/crm/v3/pipelines/tickets", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, Pipelines{Results: []Pipeline{{ID: "0", Label: "Neuvonta ja ohjaus", CreatedAt: t0, UpdatedAt: t0,
			Stages: []Stage{
				{ID: "1", Label: "Uusi", Metadata: map[string]string{"isClosed": "false"}, CreatedAt: t0, UpdatedAt: t0},
				{ID: "4", Label: "Suljettu", DisplayOrder: 3, Metadata: map[string]string{"isClosed": "true"}, CreatedAt: t0, UpdatedAt: t0},
			}}}})
	})
	f.handle("GET", "/crm/v3/owners/", func(w http.ResponseWriter, r *http.Request) {
		page := Owners{}
		start := 0
		if r.URL.Query().Get("after") == "2" {
			start = 2
		}
		for i := start; i < min(start+2, 3); i++ {
			page.Results = append(page.Results, Owner{ID: string(rune('1' + i)), FirstName: "Koordinaattori", CreatedAt: t0, UpdatedAt: t0, UserID: 12_345_000 + int64(i)})
		}
		if start == 0 {
			page.Paging = &Paging{Next: &NextPage{After: "2"}}
		}
		writeJSON(w, 200, page)
	})
	c := testClient(t, srv.URL, Options{})
	ctx := context.Background()
	pipes, err := c.Pipelines(ctx, Tickets)
	if err != nil {
		t.Fatal(err)
	}
	if len(pipes) != 1 || len(pipes[0].Stages) != 2 || pipes[0].Stages[1].Metadata["isClosed"] != "true" {
		t.Errorf("got %+v, want the ticket pipeline with a closed stage", pipes)
	}
	owners, err := c.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range owners {
		ids = append(ids, o.ID)
	}
	if !slices.Equal(ids, []string{"1", "2", "3"}) {
		t.Errorf("got owners %v, want 1 2 3 over two pages", ids)
	}
	if owners[2].UserID != 12_345_002 {
		t.Errorf("got user id %d, want 12345002", owners[2].UserID)
	}
}

// TestEnsureProperties runs twice against a server that keeps what it is
// given: the first run creates the group and the missing properties, the
// second creates nothing, and an existing property is never touched.
func TestEnsureProperties(t *testing.T) {
	f, srv := newFake(t)
	groups := map[string]bool{}
	props := []Property{{Name: "alusta_queue", Label: "Jono (admin)", Type: "string", FieldType: "text", GroupName: "ticketinformation", Options: []Option{}}}
	var writes []string
	f.handle("GET", "/crm/v3/properties/tickets/groups/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/crm/v3/properties/tickets/groups/")
		if !groups[name] {
			writeErr(w, 404, CategoryObjectNotFound, "group not found")
			return
		}
		writeJSON(w, 200, PropertyGroup{Name: name, Label: "Alusta"})
	})
	f.handle("POST", "/crm/v3/properties/tickets/groups", func(w http.ResponseWriter, r *http.Request) {
		var g PropertyGroup
		json.Unmarshal(must(io.ReadAll(r.Body)), &g)
		groups[g.Name] = true
		writes = append(writes, "group "+g.Name)
		writeJSON(w, 201, g)
	})
	f.handle("GET", "/crm/v3/properties/tickets", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, Properties{Results: props})
	})
	f.handle("POST", "/crm/v3/properties/tickets", func(w http.ResponseWriter, r *http.Request) {
		var p Property
		json.Unmarshal(must(io.ReadAll(r.Body)), &p)
		if p.Options == nil {
			p.Options = []Option{}
		}
		props = append(props, p)
		writes = append(writes, "property "+p.Name)
		writeJSON(w, 201, p)
	})
	c := testClient(t, srv.URL, Options{})
	want := []Property{
		{Name: "alusta_queue", Label: "Jono", Type: "string", FieldType: "text"},
		{Name: "alusta_sla_due", Label: "SLA-määräaika", Type: "datetime", FieldType: "date"},
		{Name: IdempotencyProperty, Label: "Idempotency key", Type: "string", FieldType: "text", HasUniqueValue: true, Hidden: true},
		{Name: "alusta_sla_status", Label: "SLA-tila", Type: "enumeration", FieldType: "select", Options: []Option{
			{Label: "Käynnissä", Value: "running"}, {Label: "Myöhässä", Value: "breached", DisplayOrder: 1}}},
	}
	group := PropertyGroup{Name: "alusta", Label: "Alusta"}
	created, err := c.EnsureProperties(context.Background(), Tickets, group, want)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(created, []string{"alusta_sla_due", IdempotencyProperty, "alusta_sla_status"}) {
		t.Errorf("first run: got created %v", created)
	}
	again, err := c.EnsureProperties(context.Background(), Tickets, group, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("second run: got created %v, want none", again)
	}
	wantWrites := []string{"group alusta", "property alusta_sla_due", "property " + IdempotencyProperty, "property alusta_sla_status"}
	if !slices.Equal(writes, wantWrites) {
		t.Errorf("got writes %v, want %v", writes, wantWrites)
	}
	if props[0].Label != "Jono (admin)" || props[0].GroupName != "ticketinformation" {
		t.Errorf("existing property changed: %+v", props[0])
	}
	if props[1].GroupName != "alusta" || !props[2].HasUniqueValue {
		t.Errorf("created properties: got %+v and %+v, want group alusta and a unique key", props[1], props[2])
	}
}

// TestAssociations64Bit passes ids above 2^32 through every association
// call; go-hubspot's int32 ids would overflow on them.
func TestAssociations64Bit(t *testing.T) {
	const deal, company, company2 = "9000000001", "5000000123", "4294967297"
	f, srv := newFake(t)
	var put []AssociationSpec
	var putPath string
	f.handle("PUT", "/crm/v4/objects/deals/", func(w http.ResponseWriter, r *http.Request) {
		putPath = r.URL.Path
		json.Unmarshal(must(io.ReadAll(r.Body)), &put)
		writeJSON(w, 200, LabelsBetweenObjectPair{FromObjectTypeID: "0-3", FromObjectID: 9000000001, ToObjectTypeID: "0-2", ToObjectID: 5000000123, Labels: []string{"Tuottaja"}})
	})
	f.handle("GET", "/crm/v4/objects/deals/", func(w http.ResponseWriter, r *http.Request) {
		label := "Tuottaja"
		if r.URL.Query().Get("after") == "" {
			writeJSON(w, 200, AssociatedObjects{Results: []AssociatedObject{{ToObjectID: 5000000123, AssociationTypes: []AssociationType{{Category: UserDefined, TypeID: 12, Label: &label}}}},
				Paging: &Paging{Next: &NextPage{After: "MQ"}}})
			return
		}
		writeJSON(w, 200, AssociatedObjects{Results: []AssociatedObject{{ToObjectID: 4294967297, AssociationTypes: []AssociationType{{Category: HubSpotDefined, TypeID: AssocDealToCompany}}}}})
	})
	f.handle("POST", "/crm/v4/associations/deals/companies/batch/create", func(w http.ResponseWriter, r *http.Request) {
		var in BatchAssociationRequest
		json.Unmarshal(must(io.ReadAll(r.Body)), &in)
		writeJSON(w, 207, map[string]any{"status": "COMPLETE", "startedAt": t0, "completedAt": t0, "numErrors": 1,
			"results": []LabelsBetweenObjectPair{{FromObjectTypeID: "0-3", FromObjectID: 9000000001, ToObjectTypeID: "0-2", ToObjectID: 5000000123, Labels: []string{}}},
			// The v4 spec types an error's category as an object.
			"errors": []map[string]any{{"status": "error", "category": map[string]string{"name": CategoryObjectNotFound, "httpStatus": "NOT_FOUND"},
				"message": "No deal with id " + in.Inputs[1].From.ID, "context": map[string][]string{}, "errors": []ErrorDetail{}, "links": map[string]string{}}}})
	})
	f.handle("GET", "/crm/v4/associations/deals/companies/labels", func(w http.ResponseWriter, r *http.Request) {
		label := "Tuottaja"
		writeJSON(w, 200, AssociationLabels{Results: []AssociationType{{Category: HubSpotDefined, TypeID: AssocDealToCompany}, {Category: UserDefined, TypeID: 12, Label: &label}}})
	})
	c := testClient(t, srv.URL, Options{})
	ctx := context.Background()
	types := []AssociationSpec{{Category: HubSpotDefined, TypeID: AssocDealToCompany}, {Category: UserDefined, TypeID: 12}}
	if err := c.Associate(ctx, Deals, deal, Companies, company, types); err != nil {
		t.Fatal(err)
	}
	if putPath != "/crm/v4/objects/deals/9000000001/associations/companies/5000000123" || !slices.Equal(put, types) {
		t.Errorf("got PUT %s %v", putPath, put)
	}
	assocs, err := c.Associations(ctx, Deals, deal, Companies)
	if err != nil {
		t.Fatal(err)
	}
	if len(assocs) != 2 || assocs[0].ToObjectID != 5000000123 || assocs[1].ToObjectID != 4294967297 || *assocs[0].AssociationTypes[0].Label != "Tuottaja" {
		t.Errorf("got %+v, want two companies with 64-bit ids", assocs)
	}
	res, err := c.AssociateBatch(ctx, Deals, Companies, []AssociationPost{
		{From: ObjectID{ID: deal}, To: ObjectID{ID: company}, Types: types[:1]},
		{From: ObjectID{ID: "9000000002"}, To: ObjectID{ID: company2}, Types: types[:1]},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 1 || res.Created[0].FromObjectID != 9000000001 || res.Created[0].ToObjectID != 5000000123 {
		t.Errorf("got created %+v", res.Created)
	}
	if len(res.Errors) != 1 || res.Errors[0].ID != "9000000002" {
		t.Errorf("got errors %+v, want one for deal 9000000002", res.Errors)
	}
	labels, err := c.AssociationLabels(ctx, Deals, Companies)
	if err != nil || len(labels) != 2 || labels[1].Label == nil || *labels[1].Label != "Tuottaja" {
		t.Errorf("got labels %+v, %v", labels, err)
	}
}

func TestAddNote(t *testing.T) {
	f, srv := newFake(t)
	var got createInput
	f.handle("POST", "/crm/v3/objects/notes", func(w http.ResponseWriter, r *http.Request) {
		json.Unmarshal(must(io.ReadAll(r.Body)), &got)
		f.mu.Lock()
		defer f.mu.Unlock()
		id := f.insertLocked(Notes, got.Properties, f.epoch)
		writeJSON(w, 201, f.objs[Notes][id].wireAll())
	})
	c := testClient(t, srv.URL, Options{})
	at := time.Date(2026, 11, 22, 10, 15, 0, 0, time.UTC)
	id, err := c.AddNote(context.Background(), Deals, "9000000001", "Välitetty tuottajalle 77", at)
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Error("got no note id")
	}
	if got.Properties["hs_timestamp"] != "2026-11-22T10:15:00.000Z" || got.Properties["hs_note_body"] != "Välitetty tuottajalle 77" {
		t.Errorf("got properties %v", got.Properties)
	}
	want := []AssociationCreate{{To: ObjectID{ID: "9000000001"}, Types: []AssociationSpec{{Category: HubSpotDefined, TypeID: AssocNoteToDeal}}}}
	if len(got.Associations) != 1 || got.Associations[0].To != want[0].To || !slices.Equal(got.Associations[0].Types, want[0].Types) {
		t.Errorf("got associations %+v, want %+v", got.Associations, want)
	}
	if _, err := c.AddNote(context.Background(), "contacts", "1", "x", at); err == nil || err.Error() != `hubspot: add note: no note association to "contacts"` {
		t.Errorf("got %v for contacts", err)
	}
}
