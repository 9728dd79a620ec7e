package sandbox

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestPropertiesWithHistory changes a ticket's stage twice, through the
// API and as a person would, and reads its history as HubSpot serves it:
// newest first, each value with when and by what it was set, the value
// from creation last; a property never changed has its creation value
// only. Before, the sandbox answered with the current value dated at the
// last modification, so a clock read from it started late.
func TestPropertiesWithHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	h := newHarness(t, Options{StatePath: path})
	created := h.clock.Now()
	id := h.srv.Insert("tickets", map[string]string{"subject": "Kysymys", "hs_pipeline_stage": "1", "hs_ticket_priority": "LOW"}, created)
	h.clock.Add(2 * time.Hour)
	h.want(h.do("PATCH", "/crm/v3/objects/tickets/"+id, map[string]any{"properties": map[string]string{"hs_pipeline_stage": "2"}}), 200)
	h.clock.Add(3 * time.Hour)
	if err := h.srv.Update("tickets", id, map[string]string{"hs_pipeline_stage": "4"}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]hubspot.ValueTime{
		"hs_pipeline_stage": {
			{Value: "4", Timestamp: created.Add(5 * time.Hour), SourceType: "CRM_UI"},
			{Value: "2", Timestamp: created.Add(2 * time.Hour), SourceType: "API"},
			{Value: "1", Timestamp: created, SourceType: "CRM_UI"},
		},
		"hs_ticket_priority": {{Value: "LOW", Timestamp: created, SourceType: "CRM_UI"}},
	}
	check := func(t *testing.T, got map[string][]hubspot.ValueTime) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %v,\nwant %v", got, want)
		}
	}
	t.Run("get", func(t *testing.T) {
		r := h.do("GET", "/crm/v3/objects/tickets/"+id+"?propertiesWithHistory=hs_pipeline_stage,hs_ticket_priority,content", nil)
		h.want(r, 200)
		var o hubspot.Object
		r.decode(t, &o)
		check(t, o.WithHistory)
	})
	t.Run("batch read", func(t *testing.T) {
		r := h.do("POST", "/crm/v3/objects/tickets/batch/read", map[string]any{"properties": []string{},
			"propertiesWithHistory": []string{"hs_pipeline_stage", "hs_ticket_priority"}, "inputs": []map[string]string{{"id": id}}})
		h.want(r, 200)
		var got hubspot.BatchResponse
		r.decode(t, &got)
		if len(got.Results) != 1 {
			t.Fatalf("got %d results, want 1", len(got.Results))
		}
		check(t, got.Results[0].WithHistory)
	})
	t.Run("batch read over 50 with history", func(t *testing.T) {
		in := make([]map[string]string, 51)
		for i := range in {
			in[i] = map[string]string{"id": id}
		}
		r := h.do("POST", "/crm/v3/objects/tickets/batch/read", map[string]any{"properties": []string{},
			"propertiesWithHistory": []string{"hs_pipeline_stage"}, "inputs": in})
		h.want(r, 400)
	})
	t.Run("kept in the state file", func(t *testing.T) {
		if err := h.srv.Save(); err != nil {
			t.Fatal(err)
		}
		again, err := New(Options{StatePath: path, Now: h.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		c := again.st.objects["tickets"]
		n, _ := parseID(id)
		r := c.byID[n]
		got := map[string][]hubspot.ValueTime{}
		for _, p := range []string{"hs_pipeline_stage", "hs_ticket_priority"} {
			got[p] = r.history(p)
		}
		for p, h := range got {
			for i := range h {
				h[i].Timestamp = h[i].Timestamp.UTC()
			}
			got[p] = h
		}
		check(t, got)
	})
}
