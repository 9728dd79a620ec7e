package sandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

const authMsg = "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"

func TestAuth(t *testing.T) {
	tests := []struct {
		name   string
		token  string // Options.Token
		auth   string // Authorization header
		status int
	}{
		{name: "no header", auth: "", status: 401},
		{name: "empty bearer", auth: "Bearer ", status: 401},
		{name: "basic scheme", auth: "Basic dXNlcjpwYXNz", status: 401},
		{name: "any token accepted", auth: "Bearer whatever", status: 200},
		{name: "configured token matches", token: "s3cret", auth: "Bearer s3cret", status: 200},
		{name: "configured token differs", token: "s3cret", auth: "Bearer other", status: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Token: tt.token})
			r := h.doAuth("GET", "/crm/v3/objects/tickets", nil, tt.auth)
			h.want(r, tt.status)
			if tt.status != 401 {
				return
			}
			var e errBody
			r.decode(t, &e)
			if e.Category != "INVALID_AUTHENTICATION" || e.Message != authMsg || e.Status != "error" || e.Corr == "" {
				t.Errorf("got %+v, want HubSpot's INVALID_AUTHENTICATION body", e)
			}
		})
	}
}

func TestObjectLifecycle(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.do("POST", "/crm/v3/objects/tickets", create(map[string]string{
		"subject": "Hei", "hs_pipeline": "0", "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH",
	}))
	h.want(r, 201)
	var created hubspot.Object
	r.decode(t, &created)
	id, err := strconv.ParseInt(created.ID, 10, 64)
	if err != nil || id <= 1<<32 {
		t.Fatalf("id: got %q, want a numeric id above 2^32", created.ID)
	}
	wantTime := "2026-11-22T10:15:30.123Z"
	for name, want := range map[string]string{
		"hs_object_id": created.ID, "createdate": wantTime, "hs_lastmodifieddate": wantTime, "subject": "Hei",
	} {
		if got, _ := created.Prop(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}

	h.clock.Add(90 * time.Second)
	r = h.do("PATCH", "/crm/v3/objects/tickets/"+created.ID, map[string]any{"properties": map[string]string{"hs_pipeline_stage": "2"}})
	h.want(r, 200)

	// Properties as go-hubspot sends them (comma list) and as the official
	// clients do (repeated parameter) read the same.
	for _, q := range []string{"?properties=subject,hs_pipeline_stage,content", "?properties=subject&properties=hs_pipeline_stage&properties=content"} {
		r = h.do("GET", "/crm/v3/objects/tickets/"+created.ID+q, nil)
		h.want(r, 200)
		var got struct {
			Properties map[string]*string `json:"properties"`
		}
		r.decode(t, &got)
		if v := got.Properties["hs_pipeline_stage"]; v == nil || *v != "2" {
			t.Errorf("%s: hs_pipeline_stage: got %v, want 2", q, v)
		}
		if v, ok := got.Properties["content"]; !ok || v != nil {
			t.Errorf("%s: content: got %v (present %v), want null", q, v, ok)
		}
		if v := got.Properties["hs_lastmodifieddate"]; v == nil || *v != "2026-11-22T10:17:00.123Z" {
			t.Errorf("%s: hs_lastmodifieddate: got %v, want 2026-11-22T10:17:00.123Z", q, v)
		}
		if v := got.Properties["createdate"]; v == nil || *v != wantTime {
			t.Errorf("%s: createdate: got %v, want %s", q, v, wantTime)
		}
	}

	h.want(h.do("DELETE", "/crm/v3/objects/tickets/"+created.ID, nil), 204)
	r = h.do("GET", "/crm/v3/objects/tickets/"+created.ID, nil)
	h.want(r, 404)
	var e errBody
	r.decode(t, &e)
	if e.Category != "OBJECT_NOT_FOUND" {
		t.Errorf("category: got %q, want OBJECT_NOT_FOUND", e.Category)
	}
	h.want(h.do("GET", "/crm/v3/objects/tickets/"+created.ID+"?archived=true", nil), 200)
	obj, ok := h.srv.Object("tickets", created.ID)
	if !ok || !obj.Archived {
		t.Errorf("Object: got archived=%v ok=%v, want an archived record", obj.Archived, ok)
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		message string
	}{
		{
			name:    "unknown property",
			props:   map[string]string{"subject": "x", "no_such_prop": "1"},
			message: `Property values were not valid: [{"isValid":false,"message":"Property \"no_such_prop\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"no_such_prop","localizedErrorMessage":"Property \"no_such_prop\" does not exist"}]`,
		},
		{
			name:    "enumeration value",
			props:   map[string]string{"hs_ticket_priority": "SOON"},
			message: `Property values were not valid: [{"isValid":false,"message":"SOON was not one of the allowed options: [LOW, MEDIUM, HIGH, URGENT]","error":"INVALID_OPTION","name":"hs_ticket_priority","localizedErrorMessage":"SOON was not one of the allowed options: [LOW, MEDIUM, HIGH, URGENT]"}]`,
		},
		{
			name:    "pipeline stage",
			props:   map[string]string{"hs_pipeline_stage": "99"},
			message: `Property values were not valid: [{"isValid":false,"message":"99 was not one of the allowed options: [1, 2, 3, 4]","error":"INVALID_OPTION","name":"hs_pipeline_stage","localizedErrorMessage":"99 was not one of the allowed options: [1, 2, 3, 4]"}]`,
		},
		{
			name:    "read-only property",
			props:   map[string]string{"hs_lastmodifieddate": "2026-01-01T00:00:00Z"},
			message: `Property values were not valid: [{"isValid":false,"message":"hs_lastmodifieddate is a read only property; its value cannot be set.","error":"READ_ONLY_VALUE","name":"hs_lastmodifieddate","localizedErrorMessage":"hs_lastmodifieddate is a read only property; its value cannot be set."}]`,
		},
		{
			name:    "number",
			props:   map[string]string{"time_to_close": "soon"},
			message: `Property values were not valid: [{"isValid":false,"message":"soon was not a valid number.","error":"INVALID_DECIMAL","name":"time_to_close","localizedErrorMessage":"soon was not a valid number."}]`,
		},
		{
			name:    "datetime",
			props:   map[string]string{"closed_date": "tomorrow"},
			message: `Property values were not valid: [{"isValid":false,"message":"tomorrow was not a valid long.","error":"INVALID_DATE","name":"closed_date","localizedErrorMessage":"tomorrow was not a valid long."}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			id := h.srv.Insert("tickets", map[string]string{"subject": "a"}, h.clock.Now())
			for _, call := range []struct{ method, path string }{
				{"POST", "/crm/v3/objects/tickets"},
				{"PATCH", "/crm/v3/objects/tickets/" + id},
			} {
				r := h.do(call.method, call.path, create(tt.props))
				h.want(r, 400)
				var e errBody
				r.decode(t, &e)
				if e.Category != "VALIDATION_ERROR" || e.Message != tt.message {
					t.Errorf("%s: got %s %q,\nwant VALIDATION_ERROR %q", call.method, e.Category, e.Message, tt.message)
				}
			}
		})
	}
}

func TestValueNormalization(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		in, want string
	}{
		{"1795000000000", "2026-11-18T11:06:40.000Z"},
		{"2026-11-18T13:06:40.5+02:00", "2026-11-18T11:06:40.500Z"},
		{"2026-11-18", "2026-11-18T00:00:00.000Z"},
	}
	for _, tt := range tests {
		r := h.do("POST", "/crm/v3/objects/tickets", create(map[string]string{"closed_date": tt.in}))
		h.want(r, 201)
		var o hubspot.Object
		r.decode(t, &o)
		if got, _ := o.Prop("closed_date"); got != tt.want {
			t.Errorf("closed_date %q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBatch(t *testing.T) {
	h := newHarness(t, Options{})
	now := h.clock.Now()
	a := h.srv.Insert("deals", map[string]string{"dealname": "A"}, now)
	b := h.srv.Insert("deals", map[string]string{"dealname": "B"}, now)

	t.Run("read with a missing id is 207", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/deals/batch/read", map[string]any{
			"properties": []string{"dealname"}, "propertiesWithHistory": []string{}, "inputs": []map[string]string{{"id": a}, {"id": "123"}, {"id": b}}})
		h.want(r, 207)
		var got hubspot.BatchResponse
		r.decode(t, &got)
		if len(got.Results) != 2 || got.NumErrors != 1 || len(got.Errors) != 1 {
			t.Fatalf("got %d results, %d errors, want 2 and 1", len(got.Results), len(got.Errors))
		}
		e := got.Errors[0]
		if e.Category != "OBJECT_NOT_FOUND" || strings.Join(e.Context["ids"], ",") != "123" {
			t.Errorf("error: got %+v, want OBJECT_NOT_FOUND for ids [123]", e)
		}
		if e.Message != "Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid." {
			t.Errorf("message: got %q", e.Message)
		}
	})
	t.Run("update all present is 200", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/deals/batch/update", map[string]any{"inputs": []map[string]any{
			{"id": a, "properties": map[string]string{"amount": "10.5"}}, {"id": b, "properties": map[string]string{"amount": "7"}}}})
		h.want(r, 200)
		if o, _ := h.srv.Object("deals", a); *o.Properties["amount"] != "10.5" {
			t.Errorf("amount: got %q, want 10.5", *o.Properties["amount"])
		}
	})
	t.Run("update with a missing id is 207", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/deals/batch/update", map[string]any{"inputs": []map[string]any{
			{"id": a, "properties": map[string]string{"amount": "11"}}, {"id": "77", "properties": map[string]string{"amount": "1"}}}})
		h.want(r, 207)
		var got hubspot.BatchResponse
		r.decode(t, &got)
		if len(got.Results) != 1 || got.Errors[0].Context["ids"][0] != "77" {
			t.Errorf("got %+v, want one result and an error for 77", got)
		}
	})
	t.Run("update with an invalid value fails whole batch", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/deals/batch/update", map[string]any{"inputs": []map[string]any{
			{"id": a, "properties": map[string]string{"amount": "12"}}, {"id": b, "properties": map[string]string{"nope": "1"}}}})
		h.want(r, 400)
		if o, _ := h.srv.Object("deals", a); *o.Properties["amount"] != "11" {
			t.Errorf("amount: got %q, want 11 (unchanged)", *o.Properties["amount"])
		}
	})
	t.Run("create", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/deals/batch/create", map[string]any{"inputs": []map[string]any{
			create(map[string]string{"dealname": "C"}), create(map[string]string{"dealname": "D"})}})
		h.want(r, 201)
		var got hubspot.BatchResponse
		r.decode(t, &got)
		if len(got.Results) != 2 || got.Status != "COMPLETE" {
			t.Errorf("got %d results status %q, want 2 COMPLETE", len(got.Results), got.Status)
		}
	})
	t.Run("archive", func(t *testing.T) {
		h.want(h.do("POST", "/crm/v3/objects/deals/batch/archive", map[string]any{"inputs": []map[string]string{{"id": b}, {"id": "5"}}}), 204)
		if o, _ := h.srv.Object("deals", b); !o.Archived {
			t.Error("deal B: not archived")
		}
	})
	t.Run("more than 100 inputs", func(t *testing.T) {
		in := make([]map[string]string, 101)
		for i := range in {
			in[i] = map[string]string{"id": a}
		}
		r := h.doRaw("POST", "/crm/v3/objects/deals/batch/read", map[string]any{"properties": []string{}, "propertiesWithHistory": []string{}, "inputs": in})
		h.want(r, 400)
		var e errBody
		r.decode(t, &e)
		if e.Message != "Too many inputs: 101; the limit is 100." {
			t.Errorf("message: got %q", e.Message)
		}
	})
}

func TestListPaging(t *testing.T) {
	h := newHarness(t, Options{})
	var ids []string
	for i := range 25 {
		ids = append(ids, h.srv.Insert("companies", map[string]string{"name": fmt.Sprint("C", i)}, h.clock.Now()))
	}
	h.srv.Insert("companies", map[string]string{"name": "gone"}, h.clock.Now())
	h.want(h.do("DELETE", "/crm/v3/objects/companies/"+h.srv.Objects("companies")[25], nil), 204)
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		r := h.do("GET", "/crm/v3/objects/companies?limit=10&properties=name&after="+after, nil)
		h.want(r, 200)
		var p hubspot.Page
		r.decode(t, &p)
		for _, o := range p.Results {
			got = append(got, o.ID)
		}
		if after = p.After(); after == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("listed %v,\nwant %v", got, ids)
	}
}

func TestUnknownObjectType(t *testing.T) {
	h := newHarness(t, Options{})
	specs := []string{"/crm/v3/objects/widgets"}
	for _, p := range specs {
		r := h.do("GET", p, nil)
		h.want(r, 400)
		var e errBody
		r.decode(t, &e)
		if e.Message != "Unable to infer object type from: widgets" {
			t.Errorf("message: got %q", e.Message)
		}
	}
	_ = http.StatusOK
}

// TestUniqueValue checks HubSpot's 409 for a second record with the value
// of a hasUniqueValue property, on create and on update; clients build
// idempotent creates on it.
func TestUniqueValue(t *testing.T) {
	h := newHarness(t, Options{})
	if r := h.do("POST", "/crm/v3/properties/tickets", map[string]any{
		"name": "ext_key", "label": "Key", "type": "string", "fieldType": "text",
		"groupName": "ticketinformation", "hasUniqueValue": true,
	}); r.status != http.StatusCreated {
		t.Fatalf("create property: got %d %s", r.status, r.body)
	}
	first := h.do("POST", "/crm/v3/objects/tickets", map[string]any{"properties": map[string]string{"subject": "a", "ext_key": "k1"}, "associations": []any{}})
	if first.status != http.StatusCreated {
		t.Fatalf("first create: got %d %s", first.status, first.body)
	}
	var created hubspot.Object
	first.decode(t, &created)
	second := h.do("POST", "/crm/v3/objects/tickets", map[string]any{"properties": map[string]string{"subject": "b", "ext_key": "k1"}, "associations": []any{}})
	if second.status != http.StatusConflict {
		t.Fatalf("duplicate create: got %d %s, want 409", second.status, second.body)
	}
	var body hubspot.ErrorBody
	second.decode(t, &body)
	want := "A ticket with the value 'k1' for the unique property 'ext_key' already exists (id " + created.ID + ")."
	if body.Category != hubspot.CategoryConflict || body.Message != want {
		t.Errorf("duplicate create: got %s %q, want CONFLICT %q", body.Category, body.Message, want)
	}
	other := h.do("POST", "/crm/v3/objects/tickets", map[string]any{"properties": map[string]string{"subject": "c", "ext_key": "k2"}, "associations": []any{}})
	var o hubspot.Object
	other.decode(t, &o)
	if r := h.do("PATCH", "/crm/v3/objects/tickets/"+o.ID, map[string]any{"properties": map[string]string{"ext_key": "k1"}}); r.status != http.StatusConflict {
		t.Errorf("update to a taken value: got %d %s, want 409", r.status, r.body)
	}
	if r := h.do("PATCH", "/crm/v3/objects/tickets/"+created.ID, map[string]any{"properties": map[string]string{"ext_key": "k1", "subject": "a2"}}); r.status != http.StatusOK {
		t.Errorf("update keeping its own value: got %d %s, want 200", r.status, r.body)
	}
	if n := len(h.srv.Objects(hubspot.Tickets)); n != 2 {
		t.Errorf("got %d tickets, want 2", n)
	}
}
