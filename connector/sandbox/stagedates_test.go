package sandbox

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestStageDates moves a ticket through stages, through the API and as a
// person would, and reads HubSpot's calculated stage dates back from a
// batch read, a search and a list: entered is when the ticket last entered
// a stage, exited when it last left it. The properties API lists them as
// calculated and read-only, and a write to one is refused as HubSpot
// refuses a read-only property.
func TestStageDates(t *testing.T) {
	h := newHarness(t, Options{})
	created := h.clock.Now().Truncate(time.Millisecond)
	id := h.srv.Insert("tickets", map[string]string{"subject": "Kysymys", "hs_pipeline": "0", "hs_pipeline_stage": "1"}, created)
	h.clock.Add(2 * time.Hour)
	h.want(h.do("PATCH", "/crm/v3/objects/tickets/"+id, map[string]any{"properties": map[string]string{"hs_pipeline_stage": "2"}}), 200)
	h.clock.Add(time.Hour)
	if err := h.srv.Update("tickets", id, map[string]string{"hs_pipeline_stage": "1"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(time.Hour)
	// A change to anything else leaves the stage dates as they are.
	h.want(h.do("PATCH", "/crm/v3/objects/tickets/"+id, map[string]any{"properties": map[string]string{"subject": "Toinen"}}), 200)
	h.clock.Add(time.Hour)
	if err := h.srv.Update("tickets", id, map[string]string{"hs_pipeline_stage": "4"}); err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) *string { s := created.Add(d).Format(hubspot.TimeFormat); return &s }
	want := map[string]*string{
		"hs_v2_date_entered_1": at(3 * time.Hour), "hs_v2_date_exited_1": at(5 * time.Hour),
		"hs_v2_date_entered_2": at(2 * time.Hour), "hs_v2_date_exited_2": at(3 * time.Hour),
		"hs_v2_date_entered_3": nil, "hs_v2_date_exited_3": nil,
		"hs_v2_date_entered_4": at(5 * time.Hour), "hs_v2_date_exited_4": nil,
	}
	props := make([]string, 0, len(want))
	for p := range want {
		props = append(props, p)
	}
	slices.Sort(props)
	check := func(t *testing.T, o hubspot.Object) {
		t.Helper()
		for _, p := range props {
			got, w := o.Properties[p], want[p]
			if (got == nil) != (w == nil) || got != nil && *got != *w {
				t.Errorf("%s: got %v, want %v", p, deref(got), deref(w))
			}
		}
	}
	t.Run("batch read", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/tickets/batch/read", map[string]any{"properties": props, "propertiesWithHistory": []string{},
			"inputs": []map[string]string{{"id": id}}})
		h.want(r, 200)
		var got hubspot.BatchResponse
		r.decode(t, &got)
		if len(got.Results) != 1 {
			t.Fatalf("got %d results, want 1", len(got.Results))
		}
		check(t, got.Results[0])
	})
	t.Run("search by entered", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/tickets/search", map[string]any{"properties": props, "limit": 10, "after": "", "sorts": []any{},
			"filterGroups": []map[string]any{{"filters": []map[string]any{{"propertyName": "hs_v2_date_entered_2", "operator": "GTE",
				"value": strconv.FormatInt(created.Add(time.Hour).UnixMilli(), 10)}}}}})
		h.want(r, 200)
		var got hubspot.Page
		r.decode(t, &got)
		if len(got.Results) != 1 || got.Results[0].ID != id {
			t.Fatalf("got %d results, want ticket %s", len(got.Results), id)
		}
		check(t, got.Results[0])
	})
	t.Run("list", func(t *testing.T) {
		r := h.do("GET", "/crm/v3/objects/tickets?properties=hs_v2_date_entered_1,hs_v2_date_exited_1", nil)
		h.want(r, 200)
		var got hubspot.Page
		r.decode(t, &got)
		if len(got.Results) != 1 || deref(got.Results[0].Properties["hs_v2_date_exited_1"]) != *want["hs_v2_date_exited_1"] {
			t.Fatalf("got %+v, want the ticket exiting stage 1 at %s", got.Results, *want["hs_v2_date_exited_1"])
		}
	})
	t.Run("defined read-only", func(t *testing.T) {
		r := h.do("GET", "/crm/v3/properties/tickets/hs_v2_date_entered_4", nil)
		h.want(r, 200)
		var p hubspot.Property
		r.decode(t, &p)
		if p.Type != "datetime" || !p.Calculated || !p.HubspotDefined || p.ModificationMetadata == nil || !p.ModificationMetadata.ReadOnlyValue {
			t.Errorf("got %+v, want a calculated, HubSpot-defined, read-only datetime", p)
		}
		h.want(h.do("GET", "/crm/v3/properties/deals/hs_v2_date_exited_closedwon", nil), 200)
	})
	t.Run("write refused", func(t *testing.T) {
		r := h.do("PATCH", "/crm/v3/objects/tickets/"+id, map[string]any{"properties": map[string]string{"hs_v2_date_entered_3": created.Format(hubspot.TimeFormat)}})
		h.want(r, 400)
		var e errBody
		r.decode(t, &e)
		if e.Category != "VALIDATION_ERROR" {
			t.Errorf("category: got %q, want VALIDATION_ERROR", e.Category)
		}
		o, _ := h.srv.Object("tickets", id)
		if o.Properties["hs_v2_date_entered_3"] != nil {
			t.Errorf("hs_v2_date_entered_3: got %s, want no value", *o.Properties["hs_v2_date_entered_3"])
		}
	})
	t.Run("created", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/deals", create(map[string]string{"dealname": "Tilaus", "pipeline": "default", "dealstage": "qualifiedtobuy"}))
		h.want(r, 201)
		var o hubspot.Object
		r.decode(t, &o)
		if got := deref(o.Properties["hs_v2_date_entered_qualifiedtobuy"]); got != h.clock.Now().Format(hubspot.TimeFormat) {
			t.Errorf("entered at creation: got %q, want %q", got, h.clock.Now().Format(hubspot.TimeFormat))
		}
	})
}

// TestNoStageDates is a portal from before the stage dates: neither
// defined nor set.
func TestNoStageDates(t *testing.T) {
	h := newHarness(t, Options{NoStageDates: true})
	h.want(h.do("GET", "/crm/v3/properties/tickets/hs_v2_date_entered_1", nil), 404)
	id := h.srv.Insert("tickets", map[string]string{"subject": "Kysymys", "hs_pipeline": "0", "hs_pipeline_stage": "1"}, h.clock.Now())
	if err := h.srv.Update("tickets", id, map[string]string{"hs_pipeline_stage": "2"}); err != nil {
		t.Fatal(err)
	}
	o, _ := h.srv.Object("tickets", id)
	for p, v := range o.Properties {
		if len(p) > len(enteredPrefix) && (p[:len(enteredPrefix)] == enteredPrefix || p[:len(exitedPrefix)] == exitedPrefix) {
			t.Errorf("%s: got %s, want no such property", p, deref(v))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestDemoStageDates checks that the demo seed's stage dates agree with
// the stage history it seeds: every stage in a record's history has its
// last entry as entered, and the current stage was entered last.
func TestDemoStageDates(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	st, err := demoState(now, DemoSize{Tickets: 300, Deals: 200}, true)
	if err != nil {
		t.Fatal(err)
	}
	for typ, prop := range stageProps {
		moved := 0
		for _, r := range st.objects[typ].order {
			h := r.history(prop)
			if len(h) > 1 {
				moved++
			}
			last := map[string]time.Time{}
			for i := len(h) - 1; i >= 0; i-- {
				last[h[i].Value] = h[i].Timestamp
			}
			for stage, at := range last {
				if got, want := r.cur.props[enteredPrefix+stage], at.Format(hubspot.TimeFormat); got != want {
					t.Fatalf("%s %s: %s%s: got %q, want %q (history %v)", typ, r.cur.idStr, enteredPrefix, stage, got, want, h)
				}
			}
			cur := r.cur.props[prop]
			if !last[cur].Equal(h[0].Timestamp) || r.cur.props[exitedPrefix+cur] != "" && h[0].Value == cur && len(h) == 1 {
				t.Fatalf("%s %s: current stage %s not the last entered (history %v)", typ, r.cur.idStr, cur, h)
			}
		}
		if moved == 0 {
			t.Errorf("%s: no record moved between stages; the check checks nothing", typ)
		}
	}
}
