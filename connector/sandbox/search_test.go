package sandbox

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// searchFixture inserts five deals with known values and returns their ids
// in insertion (= id) order.
func searchFixture(h *harness) []string {
	base := h.clock.Now().Add(-time.Hour)
	rows := []map[string]string{
		{"dealname": "Siivous Tampere", "amount": "100", "closedate": "2026-11-01T00:00:00Z", "dealstage": "closedwon"},
		{"dealname": "Kauppa Nokia", "amount": "25.5", "closedate": "2026-11-10T12:00:00Z", "dealstage": "closedlost"},
		{"dealname": "Ateria Tampere", "amount": "300", "dealstage": "appointmentscheduled"},
		{"dealname": "Siivous Nokia", "amount": "7", "closedate": "2026-11-20T00:00:00.000Z", "dealstage": "closedwon"},
		{"dealname": "Avustaja Pirkkala", "dealstage": "qualifiedtobuy"},
	}
	var ids []string
	for i, p := range rows {
		ids = append(ids, h.srv.Insert("deals", p, base.Add(time.Duration(i)*time.Minute)))
	}
	return ids
}

func TestSearchOperators(t *testing.T) {
	h := newHarness(t, Options{})
	ids := searchFixture(h)
	pick := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	f := func(prop, op, val string) map[string]any {
		return map[string]any{"propertyName": prop, "operator": op, "value": val}
	}
	tests := []struct {
		name   string
		groups []map[string]any
		sorts  []any
		want   []string
	}{
		{"no filters", nil, nil, pick(0, 1, 2, 3, 4)},
		{"EQ string is case-insensitive", []map[string]any{{"filters": []any{f("dealname", "EQ", "siivous tampere")}}}, nil, pick(0)},
		{"NEQ skips records without the value", []map[string]any{{"filters": []any{f("closedate", "NEQ", "2026-11-01T00:00:00Z")}}}, nil, pick(1, 3)},
		{"LT number compares numerically", []map[string]any{{"filters": []any{f("amount", "LT", "30")}}}, nil, pick(1, 3)},
		{"LTE", []map[string]any{{"filters": []any{f("amount", "LTE", "25.5")}}}, nil, pick(1, 3)},
		{"GT", []map[string]any{{"filters": []any{f("amount", "GT", "100")}}}, nil, pick(2)},
		{"GTE", []map[string]any{{"filters": []any{f("amount", "GTE", "100")}}}, nil, pick(0, 2)},
		{"datetime GTE with epoch millis", []map[string]any{{"filters": []any{f("closedate", "GTE", "1794312000000")}}}, nil, pick(1, 3)},
		{"datetime LT with ISO", []map[string]any{{"filters": []any{f("closedate", "LT", "2026-11-10T12:00:00.000Z")}}}, nil, pick(0)},
		{"BETWEEN", []map[string]any{{"filters": []any{map[string]any{"propertyName": "amount", "operator": "BETWEEN", "value": "7", "highValue": "100"}}}}, nil, pick(0, 1, 3)},
		{"IN", []map[string]any{{"filters": []any{map[string]any{"propertyName": "dealstage", "operator": "IN", "values": []string{"closedwon", "qualifiedtobuy"}}}}}, nil, pick(0, 3, 4)},
		{"NOT_IN", []map[string]any{{"filters": []any{map[string]any{"propertyName": "dealstage", "operator": "NOT_IN", "values": []string{"closedwon", "qualifiedtobuy"}}}}}, nil, pick(1, 2)},
		{"HAS_PROPERTY", []map[string]any{{"filters": []any{map[string]any{"propertyName": "amount", "operator": "HAS_PROPERTY"}}}}, nil, pick(0, 1, 2, 3)},
		{"NOT_HAS_PROPERTY", []map[string]any{{"filters": []any{map[string]any{"propertyName": "amount", "operator": "NOT_HAS_PROPERTY"}}}}, nil, pick(4)},
		{"CONTAINS_TOKEN", []map[string]any{{"filters": []any{f("dealname", "CONTAINS_TOKEN", "nokia")}}}, nil, pick(1, 3)},
		{"CONTAINS_TOKEN wildcard", []map[string]any{{"filters": []any{f("dealname", "CONTAINS_TOKEN", "siiv*")}}}, nil, pick(0, 3)},
		{"NOT_CONTAINS_TOKEN", []map[string]any{{"filters": []any{f("dealname", "NOT_CONTAINS_TOKEN", "tampere")}}}, nil, pick(1, 3, 4)},
		{"filters AND", []map[string]any{{"filters": []any{f("dealname", "CONTAINS_TOKEN", "siivous"), f("amount", "LT", "50")}}}, nil, pick(3)},
		{"groups OR", []map[string]any{{"filters": []any{f("amount", "EQ", "7")}}, {"filters": []any{f("dealstage", "EQ", "appointmentscheduled")}}}, nil, pick(2, 3)},
		{"hs_object_id GT", []map[string]any{{"filters": []any{f("hs_object_id", "GT", ids[2])}}}, nil, pick(3, 4)},
		{"sort string form descending", nil, []any{"-amount"}, pick(2, 0, 1, 3, 4)},
		{"sort object form ascending", nil, []any{map[string]string{"propertyName": "amount", "direction": "ASCENDING"}}, pick(3, 1, 0, 2, 4)},
		{"sort by text", nil, []any{"dealname"}, pick(2, 4, 1, 3, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"limit": 100, "after": "", "properties": []string{"dealname"}, "sorts": tt.sorts, "filterGroups": tt.groups}
			if tt.groups == nil {
				body["filterGroups"] = []any{}
			}
			if tt.sorts == nil {
				body["sorts"] = []any{}
			}
			send := h.do
			for _, so := range tt.sorts {
				if _, ok := so.(string); !ok {
					send = h.doRaw // object-form sorts are outside the spec
				}
			}
			r := send("POST", "/crm/v3/objects/deals/search", body)
			h.want(r, 200)
			var p hubspot.Page
			r.decode(t, &p)
			var got []string
			for _, o := range p.Results {
				got = append(got, o.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if p.Total == nil || *p.Total != len(tt.want) {
				t.Errorf("total: got %v, want %d", p.Total, len(tt.want))
			}
		})
	}
}

func TestSearchRequestForms(t *testing.T) {
	h := newHarness(t, Options{})
	ids := searchFixture(h)
	// go-hubspot sends after "", null lists and string sorts.
	r := h.doRaw("POST", "/crm/v3/objects/deals/search",
		`{"filterGroups":null,"sorts":["-createdate"],"properties":null,"limit":2,"after":""}`)
	h.want(r, 200)
	var p hubspot.Page
	r.decode(t, &p)
	if len(p.Results) != 2 || p.Results[0].ID != ids[4] || p.After() != "2" || *p.Total != 5 {
		t.Errorf("got %d results, first %s, after %q, total %d; want 2, %s, \"2\", 5", len(p.Results), p.Results[0].ID, p.After(), *p.Total, ids[4])
	}
	if _, ok := p.Results[0].Properties["dealstage"]; !ok {
		t.Error("default properties: dealstage missing")
	}
	// Free-text query.
	r = h.do("POST", "/crm/v3/objects/deals/search", map[string]any{"query": "siivo", "limit": 10, "after": "", "sorts": []any{}, "properties": []string{}, "filterGroups": []any{}})
	h.want(r, 200)
	r.decode(t, &p)
	if *p.Total != 2 {
		t.Errorf("query: got total %d, want 2", *p.Total)
	}
}

func TestSearchErrors(t *testing.T) {
	h := newHarness(t, Options{})
	searchFixture(h)
	tests := []struct {
		name, body, message string
	}{
		{"limit above 200", `{"limit":201}`, "Invalid input: limit must be between 1 and 200, got 201"},
		{"after at 10,000", `{"limit":10,"after":"10000"}`, "There was a problem with the request: the search endpoints return at most 10000 results for a query; after=10000 is past that limit"},
		{"unknown property", `{"filterGroups":[{"filters":[{"propertyName":"nope","operator":"EQ","value":"1"}]}]}`, `Invalid input: property "nope" does not exist on deals`},
		{"unknown operator", `{"filterGroups":[{"filters":[{"propertyName":"amount","operator":"LIKE","value":"1"}]}]}`, `Invalid input: unknown operator "LIKE"`},
		{"bad number", `{"filterGroups":[{"filters":[{"propertyName":"amount","operator":"GT","value":"x"}]}]}`, `Invalid input: "x" is not a valid number value for amount`},
		{"too many groups", `{"filterGroups":[{"filters":[]},{"filters":[]},{"filters":[]},{"filters":[]},{"filters":[]},{"filters":[]}]}`, "Invalid input: at most 5 filterGroups are allowed, got 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.doRaw("POST", "/crm/v3/objects/deals/search", tt.body)
			h.want(r, 400)
			var e errBody
			r.decode(t, &e)
			if e.Category != "VALIDATION_ERROR" || e.Message != tt.message {
				t.Errorf("got %s %q, want VALIDATION_ERROR %q", e.Category, e.Message, tt.message)
			}
		})
	}
}

// TestSearchTenThousandCap shows what a client syncing by
// hs_lastmodifieddate meets: 10,050 records share one timestamp, paging
// past 10,000 fails, and paging by hs_object_id within the instant reads
// each record once.
func TestSearchTenThousandCap(t *testing.T) {
	h := newHarness(t, Options{})
	at := h.clock.Now().Add(-time.Minute)
	const n = 10050
	want := make(map[string]bool, n)
	for i := range n {
		want[h.srv.Insert("tickets", map[string]string{"subject": strconv.Itoa(i)}, at)] = true
	}
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	search := func(after string, extra ...map[string]any) reply {
		filters := append([]map[string]any{{"propertyName": "hs_lastmodifieddate", "operator": "EQ", "value": ms}}, extra...)
		return h.doRaw("POST", "/crm/v3/objects/tickets/search", map[string]any{
			"limit": 200, "after": after, "properties": []string{"hs_object_id"},
			"sorts":        []any{"hs_lastmodifieddate", "hs_object_id"},
			"filterGroups": []any{map[string]any{"filters": filters}},
		})
	}
	r := search("9800")
	h.want(r, 200)
	var p hubspot.Page
	r.decode(t, &p)
	if *p.Total != n || p.After() != "10000" {
		t.Fatalf("page at 9800: total %d after %q, want %d and 10000", *p.Total, p.After(), n)
	}
	h.want(search("10000"), 400)

	seen := map[string]bool{}
	last := "0"
	for round := 0; ; round++ {
		if round > 100 {
			t.Fatal("no progress")
		}
		r := search("", map[string]any{"propertyName": "hs_object_id", "operator": "GT", "value": last})
		h.want(r, 200)
		var p hubspot.Page
		r.decode(t, &p)
		if len(p.Results) == 0 {
			break
		}
		for _, o := range p.Results {
			if seen[o.ID] {
				t.Fatalf("record %s read twice", o.ID)
			}
			seen[o.ID] = true
			last = o.ID
		}
	}
	if len(seen) != n {
		t.Errorf("read %d records, want %d", len(seen), n)
	}
}

func TestSearchLag(t *testing.T) {
	h := newHarness(t, Options{Faults: Faults{SearchLag: 5 * time.Second}})
	id := h.srv.Insert("tickets", map[string]string{"subject": "vanha"}, h.clock.Now().Add(-time.Hour))
	if err := h.srv.Update("tickets", id, map[string]string{"subject": "uusi"}); err != nil {
		t.Fatal(err)
	}
	find := func(word string) int {
		r := h.doRaw("POST", "/crm/v3/objects/tickets/search", fmt.Sprintf(
			`{"filterGroups":[{"filters":[{"propertyName":"subject","operator":"EQ","value":%q}]}]}`, word))
		h.want(r, 200)
		var p hubspot.Page
		r.decode(t, &p)
		return *p.Total
	}
	if got, _ := h.srv.Object("tickets", id); *got.Properties["subject"] != "uusi" {
		t.Fatalf("GET: got %q, want the new value at once", *got.Properties["subject"])
	}
	if old, cur := find("vanha"), find("uusi"); old != 1 || cur != 0 {
		t.Errorf("before the lag: search found old=%d new=%d, want 1 and 0", old, cur)
	}
	h.clock.Add(5 * time.Second)
	if old, cur := find("vanha"), find("uusi"); old != 0 || cur != 1 {
		t.Errorf("after the lag: search found old=%d new=%d, want 0 and 1", old, cur)
	}
	// A record created inside the lag is not in search yet.
	r := h.do("POST", "/crm/v3/objects/tickets", create(map[string]string{"subject": "tuore"}))
	h.want(r, 201)
	if got := find("tuore"); got != 0 {
		t.Errorf("new record before the lag: found %d, want 0", got)
	}
	h.clock.Add(5 * time.Second)
	if got := find("tuore"); got != 1 {
		t.Errorf("new record after the lag: found %d, want 1", got)
	}
}

func TestTokens(t *testing.T) {
	got := strings.Join(tokens("Tilaus 2026/0001 siivous, Ylöjärvi"), "|")
	if want := "tilaus|2026|0001|siivous|ylöjärvi"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, k int }{{0, 5}, {10, 0}, {10, 3}, {10, 10}, {1000, 7}, {3000, 200}} {
		vals := make([]int, tc.n)
		for i := range vals {
			vals[i] = rng.IntN(50) // many ties
		}
		cmpIdx := func(a, b int) int { return cmp.Or(cmp.Compare(vals[a], vals[b]), cmp.Compare(a, b)) }
		all := make([]int, tc.n)
		for i := range all {
			all[i] = i
		}
		slices.SortFunc(all, cmpIdx)
		want := all[:min(tc.k, tc.n)]
		if got := topK(tc.n, tc.k, cmpIdx); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("n=%d k=%d: got %v, want %v", tc.n, tc.k, got, want)
		}
	}
}
