package pipelines_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
)

// TestDemoRulesOnSandbox decides every ticket and deal of the sandbox's
// demo portal with the shipped rules and mapping, read through the
// HubSpot client, and checks that the decisions make sense.
func TestDemoRulesOnSandbox(t *testing.T) {
	now := time.Date(2026, 11, 24, 8, 30, 0, 0, time.UTC)
	srv, err := sandbox.New(sandbox.Options{Seed: "demo", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	c, err := hubspot.New(hubspot.Options{BaseURL: ts.URL, Token: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The tests' copies of the shipped mapping and rules: the shipped
	// files are the admins' to edit.
	m, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		t.Fatal(err)
	}
	pls := map[string][]hubspot.Pipeline{}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if pls[typ], err = c.Pipelines(ctx, typ); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Resolve(pls); err != nil {
		t.Fatalf("resolve the default mapping against the sandbox: %v", err)
	}
	r, err := pipelines.Load("../testdata/rules/pipelines", m)
	if err != nil {
		t.Fatal(err)
	}
	owners, err := c.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	emails := map[string]bool{}
	for _, o := range owners {
		emails[o.Email] = true
	}
	for _, name := range []string{"aino.virtanen", "mikko.korhonen", "liisa.nieminen", "juha.makinen", "sanna.hamalainen", "pekka.laine", "eeva.heikkinen"} {
		if !emails[name+"@kotitori.example.fi"] {
			t.Errorf("owner %s missing from the sandbox", name)
		}
	}
	list := func(typ string) []hubspot.Object {
		var out []hubspot.Object
		if err := c.List(ctx, typ, m.Properties(typ), func(page []hubspot.Object) error {
			out = append(out, page...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	providers := pipelines.ParseProviders(m, list(hubspot.Companies))
	tickets, deals := list(hubspot.Tickets), list(hubspot.Deals)
	if len(providers) < 10 || len(tickets) < 10 || len(deals) < 10 {
		t.Fatalf("got %d providers, %d tickets, %d deals; want a demo portal", len(providers), len(tickets), len(deals))
	}
	e := pipelines.NewEngine(r, m)
	st := &pipelines.State{}
	input := func(typ string, o hubspot.Object) pipelines.Input {
		return pipelines.Input{ObjectType: typ, Record: o, Providers: providers, Owners: owners}
	}
	for _, o := range tickets {
		e.Observe(input(hubspot.Tickets, o), st)
	}
	for _, o := range deals {
		e.Observe(input(hubspot.Deals, o), st)
	}
	queues := map[string]int{}
	var assigned, unassigned int
	byID := map[string]*pipelines.Provider{}
	for i := range providers {
		byID[providers[i].ID] = &providers[i]
	}
	value := func(d pipelines.Decision, o hubspot.Object, p string) string {
		if v, ok := d.Writes.Lookup(p); ok {
			return v
		}
		v, _ := o.Prop(p)
		return v
	}
	for _, o := range tickets {
		d, err := e.DecideApply(input(hubspot.Tickets, o), st, now)
		if err != nil {
			t.Fatal(err)
		}
		q := value(d, o, m.Outputs.Queue)
		queues["tickets/"+q]++
		if !slices.Contains([]string{"neuvonta", "palaute", "ruotsi", "kiireelliset"}, q) {
			t.Errorf("ticket %s: got queue %q", o.ID, q)
		}
		if len(d.Explanation) >= 1000 {
			t.Errorf("ticket %s: explanation is %d bytes", o.ID, len(d.Explanation))
		}
		for _, p := range []string{"subject", "content"} {
			if v, ok := o.Prop(p); ok && len(v) > 3 && strings.Contains(d.Explanation, v) {
				t.Errorf("ticket %s: explanation holds the %s", o.ID, p)
			}
		}
	}
	for _, o := range deals {
		d, err := e.DecideApply(input(hubspot.Deals, o), st, now)
		if err != nil {
			t.Fatal(err)
		}
		q := value(d, o, m.Outputs.Queue)
		queues["deals/"+q]++
		p, ok := d.Writes.Lookup(m.Outputs.Provider)
		switch {
		case ok && p != "":
			assigned++
			prov := byID[p]
			svc, _ := o.Prop("alusta_service")
			muni, _ := o.Prop("alusta_municipality")
			if prov == nil || !prov.Active || !slices.Contains(prov.Services, svc) || !slices.Contains(prov.Areas, muni) {
				t.Errorf("deal %s (%s in %s): assigned ineligible provider %+v", o.ID, svc, muni, prov)
			}
		case d.Retry:
			unassigned++
			if q != "koordinaattori" {
				t.Errorf("deal %s: unassigned but queue %q", o.ID, q)
			}
		}
	}
	t.Logf("queues %v; deals assigned %d, for a coordinator %d", queues, assigned, unassigned)
	if queues["tickets/neuvonta"] == 0 || queues["tickets/palaute"] == 0 || queues["deals/tilaukset"] == 0 {
		t.Errorf("got queues %v, want advice, feedback and orders all used", queues)
	}
}
