package sandbox

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

var hetuPattern = regexp.MustCompile(`\b(\d{6})[-+A-FU-Y](\d{3})([0-9A-Y])\b`)

func TestDemoSeed(t *testing.T) {
	now := newClock().Now()
	st, err := demoState(now, DemoSize{}, true)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, typ := range objectTypes {
		counts[typ] = len(st.objects[typ].order)
	}
	want := map[string]int{"tickets": demoTickets, "deals": demoDeals, "companies": 40 + 26, "notes": demoNotes, "contacts": 0}
	if !maps.Equal(counts, want) {
		t.Errorf("counts: got %v, want %v", counts, want)
	}
	if len(st.owners) != 7 {
		t.Errorf("owners: got %d, want 7", len(st.owners))
	}

	start := now.UTC().Truncate(time.Millisecond).Add(-demoDays * 24 * time.Hour)
	stagesSeen := map[string]bool{}
	hetus := 0
	for _, typ := range []string{"tickets", "deals", "companies", "notes"} {
		for _, r := range st.objects[typ].order {
			v := r.cur
			// Every seeded value is one the API would accept and store
			// unchanged.
			in := maps.Clone(v.props)
			for _, sys := range []string{"hs_object_id", "hs_lastmodifieddate", "createdate"} {
				delete(in, sys)
			}
			// HubSpot calculates the stage dates (TestDemoStageDates).
			for k := range in {
				if d := st.props[typ][k]; d != nil && d.Calculated {
					delete(in, k)
				}
			}
			norm, errs := st.normalize(typ, in, true)
			if len(errs) > 0 {
				t.Fatalf("%s %s: invalid seed values: %+v", typ, v.idStr, errs)
			}
			for k, val := range norm {
				if v.props[k] != val {
					t.Fatalf("%s %s: %s stored %q, API would store %q", typ, v.idStr, k, v.props[k], val)
				}
			}
			if v.updated.Before(v.created) || v.updated.After(now) {
				t.Errorf("%s %s: created %s, modified %s", typ, v.idStr, v.created, v.updated)
			}
			if typ == "tickets" || typ == "deals" {
				if v.created.Before(start) {
					t.Errorf("%s %s: created %s, before the 90-day window", typ, v.idStr, v.created)
				}
				stagesSeen[v.props["hs_pipeline_stage"]+v.props["dealstage"]] = true
			}
			if typ == "tickets" {
				if m := hetuPattern.FindStringSubmatch(v.props["content"]); m != nil {
					n, _ := strconv.Atoi(m[1] + m[2])
					if m[3][0] != hetuChecks[n%31] {
						t.Errorf("ticket %s: identity code %s has a wrong check character", v.idStr, m[0])
					}
					hetus++
				}
				if kind := v.props["alusta_ticket_kind"]; kind != "neuvonta" {
					if p := v.props["alusta_provider"]; p != "" && !st.exists("companies", mustID(t, p)) {
						t.Errorf("ticket %s: alusta_provider %s is no company", v.idStr, p)
					}
				}
			}
		}
	}
	for _, typ := range []string{"tickets", "deals"} {
		for _, s := range st.pipelines[typ][0].Stages {
			if !stagesSeen[s.ID] {
				t.Errorf("%s stage %s (%s): no record", typ, s.ID, s.Label)
			}
		}
	}
	if hetus < 5 {
		t.Errorf("tickets with an identity code: got %d, want at least 5", hetus)
	}

	// Active providers cover every ordered service in every municipality.
	for _, svc := range demoOrderServices {
		for _, m := range demoMunicipalities {
			found := false
			for _, r := range st.objects["companies"].order {
				p := r.cur.props
				if p["alusta_provider_active"] == "true" && slices.Contains(strings.Split(p["alusta_provider_services"], ";"), svc) &&
					slices.Contains(strings.Split(p["alusta_provider_areas"], ";"), m) {
					found = true
				}
			}
			if !found {
				t.Errorf("no active provider of %s in %s", svc, m)
			}
		}
	}

	// The same clock gives the same portal.
	again, err := demoState(now, DemoSize{}, true)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(st.file())
	b, _ := json.Marshal(again.file())
	if !bytes.Equal(a, b) {
		t.Error("two demo seeds at the same instant differ")
	}
}

// benchSearches are searches alusta and its reports make.
var benchSearches = map[string]string{
	"sync-changed": `{"limit":200,"after":"","properties":["subject","hs_pipeline","hs_pipeline_stage","hubspot_owner_id","alusta_service","alusta_municipality","alusta_ticket_kind","alusta_language","source_type","hs_ticket_priority"],
		"sorts":["hs_lastmodifieddate","hs_object_id"],
		"filterGroups":[{"filters":[{"propertyName":"hs_lastmodifieddate","operator":"GTE","value":"%SINCE%"}]}]}`,
	"sync-full": `{"limit":200,"after":"","properties":["subject","hs_pipeline","hs_pipeline_stage","hubspot_owner_id","alusta_service","alusta_municipality","alusta_ticket_kind","alusta_language","source_type","hs_ticket_priority"],
		"sorts":["hs_lastmodifieddate","hs_object_id"],
		"filterGroups":[{"filters":[{"propertyName":"hs_lastmodifieddate","operator":"GTE","value":"0"}]}]}`,
	"open-queue": `{"limit":100,"after":"","properties":["subject","hs_pipeline_stage","hubspot_owner_id"],"sorts":["-createdate"],
		"filterGroups":[{"filters":[{"propertyName":"hs_pipeline_stage","operator":"IN","values":["701000011","701000012","701000013"]},{"propertyName":"alusta_service","operator":"EQ","value":"siivous"}]}]}`,
	"provider-load": `{"limit":10,"after":"","properties":["dealname","dealstage","alusta_provider"],"sorts":[],
		"filterGroups":[{"filters":[{"propertyName":"alusta_provider","operator":"HAS_PROPERTY"},{"propertyName":"dealstage","operator":"IN","values":["702000013","702000015"]},{"propertyName":"alusta_municipality","operator":"EQ","value":"Nokia"}]}]}`,
}

func BenchmarkSearch(b *testing.B) {
	c := newClock()
	srv, err := New(Options{Seed: "demo", Now: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	since := strconv.FormatInt(c.Now().Add(-6*time.Hour).UnixMilli(), 10)
	for _, name := range slices.Sorted(maps.Keys(benchSearches)) {
		body := strings.ReplaceAll(benchSearches[name], "%SINCE%", since)
		b.Run(name, func(b *testing.B) {
			var results int
			for b.Loop() {
				req := httptest.NewRequest("POST", "/crm/v3/objects/tickets/search", strings.NewReader(body))
				if strings.Contains(name, "provider") {
					req = httptest.NewRequest("POST", "/crm/v3/objects/deals/search", strings.NewReader(body))
				}
				req.Header.Set("Authorization", "Bearer x")
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				results = w.Body.Len()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "searches/s")
			b.ReportMetric(float64(results), "bytes/answer")
		})
	}
}

func BenchmarkDemoStart(b *testing.B) {
	for b.Loop() {
		if _, err := New(Options{Seed: "demo"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchSearchesMatch keeps the benchmark honest: each benchmarked
// search finds records in the demo data.
func TestBenchSearchesMatch(t *testing.T) {
	c := newClock()
	srv, err := New(Options{Seed: "demo", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	since := strconv.FormatInt(c.Now().Add(-6*time.Hour).UnixMilli(), 10)
	for name, body := range benchSearches {
		typ := "tickets"
		if strings.Contains(name, "provider") {
			typ = "deals"
		}
		req := httptest.NewRequest("POST", "/crm/v3/objects/"+typ+"/search", strings.NewReader(strings.ReplaceAll(body, "%SINCE%", since)))
		req.Header.Set("Authorization", "Bearer x")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		var p hubspot.Page
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != 200 {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body)
		}
		if *p.Total == 0 {
			t.Errorf("%s: no results", name)
		}
	}
}
