package daemon

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// inProcess is a daemon against an in-process sandbox, on a clock the test
// moves.
type inProcess struct {
	crm    *sandbox.Server
	client *hubspot.Client
	store  *store.Store
	d      *Daemon
	now    time.Time
}

func newInProcess(t *testing.T, t0 time.Time) *inProcess {
	t.Helper()
	return newInProcessWith(t, t0, "../testdata/rules/pipelines")
}

func newInProcessWith(t *testing.T, t0 time.Time, rulesDir string) *inProcess {
	t.Helper()
	return newInProcessFrom(t, t0, rulesDir, "../testdata/rules/mappings", sandbox.DemoSize{})
}

func newInProcessFrom(t *testing.T, t0 time.Time, rulesDir, mapDir string, size sandbox.DemoSize) *inProcess {
	t.Helper()
	return newInProcessOpts(t, t0, sandbox.Options{DemoSize: size}, Options{PipelinesDir: rulesDir, MappingsDir: mapDir})
}

// newInProcessOpts is newInProcessFrom with a demo sandbox of crmOpts,
// whose seed, clock and logger it sets, and opts, whose client, store,
// clock and lookback it sets.
func newInProcessOpts(t *testing.T, t0 time.Time, crmOpts sandbox.Options, opts Options) *inProcess {
	t.Helper()
	p := &inProcess{now: t0}
	clock := func() time.Time { return p.now }
	crmOpts.Seed, crmOpts.Now, crmOpts.Logger = "demo", clock, slog.New(slog.DiscardHandler)
	crm, err := sandbox.New(crmOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crm.Close() })
	srv := httptest.NewServer(crm)
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "t", RateLimit: 250, SearchRate: 50})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "alusta.db"), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opts.Client, opts.Store, opts.Lookback, opts.Now = client, st, time.Minute, clock
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.crm, p.client, p.store, p.d = crm, client, st, d
	return p
}

func (p *inProcess) cycle(t *testing.T) Summary {
	t.Helper()
	sum, err := p.d.Cycle(context.Background())
	if err != nil {
		t.Fatalf("cycle: %v", err)
	}
	return sum
}

// TestReconcileRepairsGaps makes the two gaps an incremental sync cannot
// see: a record whose modification time lies behind the cursor (HubSpot's
// index has been seen to do this) and a record archived in HubSpot.
func TestReconcileRepairsGaps(t *testing.T) {
	ctx := context.Background()
	p := newInProcess(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	p.cycle(t)
	p.now = p.now.Add(time.Hour)
	p.cycle(t)

	hidden := p.crm.Insert(hubspot.Tickets, map[string]string{
		"subject": "Kysymys siivouksesta", "hs_pipeline_stage": p.crm.Pipelines(hubspot.Tickets)[0].Stages[0].ID,
		"hs_pipeline": p.crm.Pipelines(hubspot.Tickets)[0].ID, "alusta_service": "siivous", "alusta_language": "fi",
	}, p.now.Add(-30*24*time.Hour))
	gone := p.crm.Objects(hubspot.Tickets)[0]
	if err := p.client.Archive(ctx, hubspot.Tickets, gone); err != nil {
		t.Fatal(err)
	}
	p.cycle(t)
	if o, _ := p.crm.Object(hubspot.Tickets, hidden); o.Properties["alusta_queue"] != nil {
		t.Fatal("the incremental sync decided the hidden ticket; the test needs it blind to it")
	}
	if rec, _, _ := p.store.Record(ctx, hubspot.Tickets, gone); rec.Archived {
		t.Fatal("the incremental sync noticed the archived ticket; the test needs it blind to it")
	}

	gaps, err := p.d.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := gaps[hubspot.Tickets], (Gaps{Missing: 1, Gone: 1}); got != want {
		t.Errorf("ticket gaps: got %s, want %s", got, want)
	}
	for _, typ := range []string{hubspot.Companies, hubspot.Deals} {
		if got := gaps[typ]; got != (Gaps{}) {
			t.Errorf("%s gaps: got %s, want none", typ, got)
		}
	}
	o, _ := p.crm.Object(hubspot.Tickets, hidden)
	if q, _ := o.Prop("alusta_queue"); q != "neuvonta" {
		t.Errorf("missed ticket %s: queue %q, want neuvonta (decided by the reconcile)", hidden, q)
	}
	rec, ok, err := p.store.Record(ctx, hubspot.Tickets, gone)
	if err != nil || !ok || !rec.Archived {
		t.Errorf("archived ticket %s: got cached %v archived %v (%v), want archived", gone, ok, rec.Archived, err)
	}

	again, err := p.d.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := again[hubspot.Tickets]; got != (Gaps{}) {
		t.Errorf("second reconcile: got %s, want no gaps", got)
	}
}
