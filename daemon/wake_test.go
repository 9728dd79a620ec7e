package daemon

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
)

// daemonFailing returns a daemon on p's portal and store, with the rules
// and mapping under rules, that reaches HubSpot through a proxy answering
// 503 to each batch read that fail picks by path and body. Its client does
// not retry, so a failed read fails the cycle at once.
func (p *inProcess) daemonFailing(t *testing.T, rules string, fail func(path string, body []byte) bool) *Daemon {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/batch/read") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if fail(r.URL.Path, body) {
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		p.crm.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "t", RateLimit: 250, SearchRate: 50, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{PipelinesDir: rules + "/pipelines", MappingsDir: rules + "/mappings",
		Client: client, Store: p.store, Lookback: time.Minute, Now: func() time.Time { return p.now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDueWakeSurvivesFailedRead has an SLA warning come due while HubSpot
// answers no batch read: the cycle fails, and the next one must still
// decide the record. Before, the deadline was taken off the wake queue
// before the read and a failed read lost it, so the warning (and later the
// breach and its on_breach) waited for the record's next change or a
// restart.
func TestDueWakeSurvivesFailedRead(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	p, stages := slaPortal(t, t0, false)
	id := p.crm.Insert(hubspot.Tickets, map[string]string{"subject": "Kysymys", "hs_pipeline": p.crm.Pipelines(hubspot.Tickets)[0].ID,
		"hs_pipeline_stage": stages["Uusi"], "alusta_provider": "903"}, t0.Add(-time.Second))
	var failing atomic.Bool
	d := p.daemonFailing(t, "../testdata/sla-paused", func(string, []byte) bool { return failing.Load() })
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

// TestUnassignedRetryOutlivesFailedRead has a provider appear for an order
// no provider could take, while HubSpot answers no batch read of that
// order: the full cycle that saw the new provider fails, and the next one
// must still decide the order again. Before, the daemon noted the new
// providers before the read, so the next cycle saw no change and the order
// waited, unassigned, for the providers' next change.
func TestUnassignedRetryOutlivesFailedRead(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	p := newInProcessFrom(t, t0, "../testdata/rules/pipelines", "../testdata/rules/mappings", sandbox.DemoSize{Tickets: 20, Deals: 20})
	m := resolvedMapping(t, p.crm)
	order := p.crm.Insert(hubspot.Deals, map[string]string{"dealname": "Tilaus", "pipeline": m.PipelineID(hubspot.Deals),
		"dealstage": m.StageID(hubspot.Deals, "received"), "alusta_service": "siivous", "alusta_municipality": "Testilä",
		"alusta_language": "fi", "alusta_payer": "city"}, t0.Add(-time.Minute))
	var failing atomic.Bool
	d := p.daemonFailing(t, "../testdata/rules", func(path string, body []byte) bool {
		return failing.Load() && strings.HasSuffix(path, "/deals/batch/read") && bytes.Contains(body, []byte(`"`+order+`"`))
	})
	provider := func() string {
		o, _ := p.crm.Object(hubspot.Deals, order)
		v, _ := o.Prop("alusta_provider")
		return v
	}
	cycle := func(at time.Duration) error {
		p.now = t0.Add(at)
		_, err := d.Cycle(ctx)
		return err
	}
	if err := cycle(0); err != nil {
		t.Fatal(err)
	}
	if got := provider(); got != "" {
		t.Fatalf("with no provider in Testilä: got provider %q, want none", got)
	}
	// A person's later edit of another order moves the deals' cursor past
	// this one, so that no incremental read decides it again by chance.
	other := p.crm.Objects(hubspot.Deals)[0]
	p.now = t0.Add(10 * time.Minute)
	if err := p.crm.Update(hubspot.Deals, other, map[string]string{"dealname": "Tilaus, muutettu"}); err != nil {
		t.Fatal(err)
	}
	if err := cycle(20 * time.Minute); err != nil {
		t.Fatal(err)
	}

	p.now = t0.Add(30 * time.Minute)
	cleaner := p.crm.Insert(hubspot.Companies, map[string]string{"name": "Testilän Siivous Oy", "alusta_provider_active": "true",
		"alusta_provider_services": "siivous", "alusta_provider_areas": "Testilä", "alusta_provider_languages": "fi"}, p.now)
	failing.Store(true)
	if err := cycle(40 * time.Minute); err == nil {
		t.Fatal("full cycle with the order unreadable: got no error, want one")
	}
	failing.Store(false)
	if err := cycle(50 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := provider(); got != cleaner {
		t.Errorf("after HubSpot answered again: got provider %q, want the new one, %s", got, cleaner)
	}
}
