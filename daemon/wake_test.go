package daemon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestDueWakeSurvivesFailedRead has an SLA warning come due while HubSpot
// answers no batch read: the cycle fails, and the next one must still
// decide the record. Before, the deadline was taken off the wake queue
// before the read and a failed read lost it, so the warning (and later the
// breach and its on_breach) waited for the record's next change or a
// restart.
func TestDueWakeSurvivesFailedRead(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	p, stages := slaPortal(t, t0)
	id := p.crm.Insert(hubspot.Tickets, map[string]string{"subject": "Kysymys", "hs_pipeline": p.crm.Pipelines(hubspot.Tickets)[0].ID,
		"hs_pipeline_stage": stages["Uusi"], "alusta_provider": "903"}, t0.Add(-time.Second))
	var failing atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && strings.HasSuffix(r.URL.Path, "/batch/read") {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		p.crm.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "t", RateLimit: 250, SearchRate: 50, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{PipelinesDir: "../testdata/sla-paused/pipelines", MappingsDir: "../testdata/sla-paused/mappings",
		Client: client, Store: p.store, Lookback: time.Minute, Now: func() time.Time { return p.now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		o, _ := p.crm.Object(hubspot.Tickets, id)
		v, _ := o.Prop("alusta_sla_status")
		return v
	}
	if _, err := d.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != "running" {
		t.Fatalf("after the first cycle: got SLA status %q, want running", got)
	}

	// 37 of the 48 hours: past the warning at three quarters.
	p.now = t0.Add(37 * time.Hour)
	failing.Store(true)
	if _, err := d.Targeted(ctx); err == nil {
		t.Fatal("targeted cycle with batch reads failing: got no error, want one")
	}
	failing.Store(false)
	if _, err := d.Targeted(ctx); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != "warning" {
		t.Errorf("after HubSpot answered again: got SLA status %q, want warning", got)
	}
}
