package console

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/browsertest"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/store"
)

// demo runs what alusta run runs in demo mode, smaller: the sandbox with
// the demo seed, the daemon syncing it into a store until its first cycle
// is remembered, and the console over loopback HTTP. It returns the
// console's server and the store.
func demo(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	ctx := context.Background()
	sb, err := sandbox.New(sandbox.Options{Seed: "demo", DemoSize: sandbox.DemoSize{Tickets: 400, Deals: 300}})
	if err != nil {
		t.Fatal(err)
	}
	crm := httptest.NewServer(sb)
	t.Cleanup(crm.Close)
	reg := prometheus.NewRegistry()
	client, err := hubspot.New(hubspot.Options{BaseURL: crm.URL, Token: "demo", RateLimit: 250, SearchRate: 50, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, t.TempDir()+"/alusta.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d, err := daemon.New(daemon.Options{Client: client, Store: st, PipelinesDir: "testdata/demo/pipelines",
		MappingsDir: "testdata/demo/mappings", Interval: time.Hour, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cycles, err := st.SyncCycles(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(cycles) > 0 {
			if cycles[0].Error != "" || cycles[0].Pulled == 0 {
				t.Fatalf("the daemon's first cycle: %+v", cycles[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon finished no cycle within 3 minutes")
		}
		<-tick.C
	}
	c := newConsole(t, Options{Store: st, Gatherer: reg, Sandbox: client, Mapping: demoMapping(t), Now: time.Now})
	return server(t, c), st
}

// TestDemoInBrowser loads every page of the demo in headless Chromium,
// saves screenshots in the test's temporary folder and fails on any
// serious or critical accessibility violation axe-core finds.
func TestDemoInBrowser(t *testing.T) {
	b := browsertest.New(t)
	srv, st := demo(t)
	waiting, _, err := st.WaitingOrders(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	deal := "0"
	if len(waiting) > 0 {
		deal = waiting[0].ID
	} else if ds, err := st.Records(context.Background(), "deals", store.Filter{}); err == nil && len(ds) > 0 {
		deal = ds[0].ID
	}
	dir := t.TempDir()
	pages := []struct{ name, path, lang, title string }{
		{"now", "/", "fi", "Tilanne nyt"},
		{"trends", "/trends", "fi", "Kehitys"},
		{"trends-52", "/trends?weeks=52", "fi", "Kehitys"},
		{"sync", "/sync", "fi", "Synkronointi"},
		{"record-search", "/record", "fi", "Tietue"},
		{"record", "/record?id=" + deal, "fi", "Tietue"},
		{"record-bad-id", "/record?id=x1", "fi", "Tietue"},
		{"sandbox", "/sandbox/deals/" + deal, "fi", "Hiekkalaatikon näkymä"},
		{"now-sv", "/?lang=sv", "sv", "Läget nu"},
		{"trends-en", "/trends?lang=en", "en", "Trends"},
	}
	for _, pg := range pages {
		t.Run(pg.name, func(t *testing.T) {
			res, err := b.Visit(srv.URL+pg.path, filepath.Join(dir, pg.name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if res.Lang != pg.lang || !strings.HasPrefix(res.Title, pg.title) {
				t.Errorf("got a page in %q titled %q, want %s %q", res.Lang, res.Title, pg.lang, pg.title)
			}
			var msgs []string
			for _, v := range res.Serious() {
				msgs = append(msgs, v.String())
			}
			if len(msgs) > 0 {
				t.Errorf("%s: serious or critical accessibility violations:\n  %s", pg.path, strings.Join(msgs, "\n  "))
			}
			for _, v := range res.Violations {
				if v.Impact != "serious" && v.Impact != "critical" {
					t.Logf("%s: %s", pg.path, v)
				}
			}
		})
	}
	t.Logf("screenshots in %s", dir)
	if t.Failed() {
		t.Log(errors.New("open the screenshots to see the pages"))
	}
}
