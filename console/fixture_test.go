package console

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// testNow is the fixtures' clock: Wednesday 18 November 2026, 12.00 in
// Helsinki.
var testNow = time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)

func helsinki(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), tb.TempDir()+"/alusta.db", store.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// Stage ids of the fixtures' pipelines.
const (
	tNew, tWorking, tClosed                            = "t-new", "t-working", "t-closed"
	dReceived, dAssigned, dDeclined, dDone, dCancelled = "d-received", "d-assigned", "d-declined", "d-done", "d-cancelled"
)

// basics stores the pipelines, seven coordinators and providers
// 5000000000.. named "Tuottaja NN Oy" with capacity 20.
func basics(tb testing.TB, st *store.Store, providers int) {
	tb.Helper()
	ctx := context.Background()
	stage := func(id, label string, meta map[string]string) hubspot.Stage {
		return hubspot.Stage{ID: id, Label: label, Metadata: meta}
	}
	must(tb, st.UpsertPipelines(ctx, "tickets", []hubspot.Pipeline{{ID: "tp", Label: "Neuvonta ja ohjaus", Stages: []hubspot.Stage{
		stage(tNew, "Uusi", map[string]string{"isClosed": "false"}),
		stage(tWorking, "Työn alla", map[string]string{"isClosed": "false"}),
		stage(tClosed, "Suljettu", map[string]string{"isClosed": "true"}),
	}}}))
	must(tb, st.UpsertPipelines(ctx, "deals", []hubspot.Pipeline{{ID: "dp", Label: "Palvelutilaukset", Stages: []hubspot.Stage{
		stage(dReceived, "Vastaanotettu", map[string]string{"isClosed": "false", "probability": "0.1"}),
		stage(dAssigned, "Välitetty tuottajalle", map[string]string{"isClosed": "false", "probability": "0.3"}),
		stage(dDeclined, "Tuottaja hylännyt", map[string]string{"isClosed": "false", "probability": "0.2"}),
		stage(dDone, "Toteutunut", map[string]string{"isClosed": "true", "probability": "1.0"}),
		stage(dCancelled, "Peruttu", map[string]string{"isClosed": "true", "probability": "0.0"}),
	}}}))
	first := []string{"Aino", "Mikko", "Liisa", "Juha", "Sanna", "Pekka", "Eeva"}
	last := []string{"Virtanen", "Korhonen", "Nieminen", "Mäkinen", "Hämäläinen", "Laine", "Heikkinen"}
	var owners []store.Owner
	for i := range first {
		owners = append(owners, store.Owner{ID: fmt.Sprint(91000001 + i), FirstName: first[i], LastName: last[i], UpdatedAt: testNow})
	}
	must(tb, st.UpsertOwners(ctx, owners))
	var comps []store.Record
	for p := range providers {
		comps = append(comps, store.Record{ID: providerID(p), CreatedAt: testNow.AddDate(-1, 0, 0), UpdatedAt: testNow,
			Properties: map[string]string{"name": fmt.Sprintf("Tuottaja %02d Oy", p), "active": "true",
				"capacity": "20", "services": "siivous;kauppa"}})
	}
	must(tb, st.UpsertRecords(ctx, "companies", comps))
}

func providerID(p int) string { return fmt.Sprint(5000000000 + p) }

// server serves c over loopback HTTP, as alusta run does.
func server(tb testing.TB, c *Console) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(c)
	tb.Cleanup(srv.Close)
	return srv
}

func newConsole(tb testing.TB, o Options) *Console {
	tb.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if o.Loc == nil {
		o.Loc = helsinki(tb)
	}
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	if o.DailyLimit == 0 {
		o.DailyLimit = 250000
	}
	c, err := New(context.Background(), o)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// grow fills st with tickets and deals spread over the 13 weeks before
// testNow, with SLA cycles, decisions (some reassigning orders), declines,
// writes, sync cycles, a rule load, rejected records and report runs: the
// shapes every page reads, at any size.
func grow(tb testing.TB, st *store.Store, tickets, deals int) {
	tb.Helper()
	ctx := context.Background()
	const providers = 40
	basics(tb, st, providers)
	queues := []string{"neuvonta", "kiireelliset", "palaute", "ruotsi"}
	channels := []string{"EMAIL", "PHONE", "FORM"}
	statuses := []string{store.SLARunning, store.SLAWarning, store.SLABreached, store.SLAPaused}
	span := 13 * 7 * 24 * time.Hour
	var batch []store.Record
	flush := func(typ string) {
		must(tb, st.UpsertRecords(ctx, typ, batch))
		batch = batch[:0]
	}
	for i := range tickets {
		created := testNow.Add(-span * time.Duration(i) / time.Duration(max(tickets, 1))).Truncate(time.Second)
		p := map[string]string{"pipeline": "tp", "queue": queues[i%4], "source": channels[i%3],
			"owner": fmt.Sprint(91000001 + i%7), "service": "siivous", "municipality": "Tampere"}
		if i%3 == 0 {
			p["stage"] = []string{tNew, tWorking}[i%2]
			p["sla_status"] = statuses[(i/3)%4]
		} else {
			p["stage"] = tClosed
			p["closed_at"] = created.Add(20 * time.Hour).Format(time.RFC3339)
		}
		batch = append(batch, store.Record{ID: fmt.Sprint(7000000000 + i), CreatedAt: created, UpdatedAt: created, Properties: p})
		if len(batch) == 1000 {
			flush("tickets")
		}
	}
	flush("tickets")
	services := []string{"siivous", "kauppa", "ateria", "avustaja", "kotihoito", "lastenhoito", "turvapalvelu", "hoitajavuokraus"}
	towns := []string{"Tampere", "Nokia", "Kangasala", "Ylöjärvi", "Lempäälä", "Pirkkala", "Orivesi"}
	for j := range deals {
		created := testNow.Add(-span * time.Duration(j) / time.Duration(max(deals, 1))).Truncate(time.Second)
		p := map[string]string{"pipeline": "dp", "service": services[j%8], "municipality": towns[j%7],
			"owner": fmt.Sprint(91000001 + j%7), "queue": "tilaukset", "units": "3", "unit": "h",
			"payer": "city", "amount": "90"}
		switch {
		case j%40 == 0:
			p["stage"] = dReceived
			p["queue"] = "koordinaattori"
			p["sla_status"] = store.SLABreached
			p["decision"] = fmt.Sprintf("route tilaukset; queue koordinaattori; client's choice %s not eligible; 40 providers, 0 eligible; no eligible provider for %s in %s; SLA assignment breached",
				providerID(j%providers), services[j%8], towns[j%7])
		case j%2 == 0:
			p["stage"] = dAssigned
			p["provider"] = providerID(j % providers)
			p["sla_status"] = store.SLARunning
		default:
			p["stage"] = dDone
			p["provider"] = providerID(j % providers)
			p["close_date"] = created.Add(48 * time.Hour).Format(time.RFC3339)
		}
		if j%25 == 0 {
			p["declined_by"] = providerID((j+1)%providers) + ";" + providerID((j+2)%providers)
		}
		batch = append(batch, store.Record{ID: fmt.Sprint(8000000000 + j), CreatedAt: created, UpdatedAt: created, Properties: p})
		if len(batch) == 1000 {
			flush("deals")
		}
	}
	flush("deals")
	// SLA cycles of every fifth ticket and decisions of every tenth deal,
	// one in five of those moved to another provider a day later.
	for i := 0; i < tickets; i += 5 {
		created := testNow.Add(-span * time.Duration(i) / time.Duration(tickets)).Truncate(time.Second)
		status := store.SLABreached
		if i%10 == 0 {
			status = store.SLAMet
		}
		stopped := created.Add(3 * time.Hour)
		id := fmt.Sprint(7000000000 + i)
		must(tb, st.SavePage(ctx, store.Page{ObjectType: "tickets", Decided: []store.DecidedRecord{{
			Decision: store.Decision{ObjectType: "tickets", RecordID: id, Fingerprint: "sla", At: created},
			SLA: []store.SLACycle{{Goal: []string{"first_response", "resolution"}[(i/5)%2],
				Cycle: 1, StartedAt: created, StoppedAt: &stopped, BusinessElapsedSeconds: 3 * 3600, Status: status}},
		}}}))
	}
	for j := 1; j < deals; j += 10 {
		created := testNow.Add(-span * time.Duration(j) / time.Duration(deals)).Truncate(time.Second)
		id := fmt.Sprint(8000000000 + j)
		decide := func(d store.Decision) {
			must(tb, st.SavePage(ctx, store.Page{ObjectType: "deals", Decided: []store.DecidedRecord{{Decision: d}}}))
		}
		decide(store.Decision{ObjectType: "deals", RecordID: id, Rule: "tilaukset", Queue: "tilaukset",
			ProviderID: providerID((j + 3) % providers), Explanation: "route tilaukset; queue tilaukset", Fingerprint: "a", At: created.Add(time.Hour)})
		if j%50 == 1 {
			decide(store.Decision{ObjectType: "deals", RecordID: id, Rule: "tilaukset", Queue: "tilaukset",
				ProviderID: providerID(j % providers), Explanation: "route tilaukset; queue tilaukset; declined by " + providerID((j+3)%providers),
				Fingerprint: "b", At: created.Add(25 * time.Hour)})
		}
	}
	var writes []store.Write
	for j := 1; j < min(deals, 2000); j += 10 {
		writes = append(writes, store.Write{ObjectType: "deals", RecordID: fmt.Sprint(8000000000 + j), Property: "alusta_provider",
			New: providerID((j + 3) % providers), Rule: "tilaukset", Status: store.WriteApplied, At: testNow.Add(-time.Hour)})
	}
	writes = append(writes, store.Write{ObjectType: "deals", RecordID: "8000000001", Property: "alusta_units", New: "3",
		Rule: "tilaukset", Status: store.WriteRejected, Reason: `400 VALIDATION_ERROR: "kolme tuntia" is not a number`, At: testNow.Add(-time.Minute)})
	must(tb, st.SavePage(ctx, store.Page{ObjectType: "deals", Writes: writes}))
	for k := range 5 {
		c := store.SyncCycle{Full: k%2 == 0, StartedAt: testNow.Add(-time.Duration(5-k) * 30 * time.Second), Duration: 2 * time.Second,
			Pulled: 40 * k, Decisions: 10 * k, Writes: 20 * k, Calls: int64(3 + k)}
		if k == 3 {
			c.Error = "hubspot: search deals: 502 Bad Gateway"
		}
		must(tb, st.RecordCycle(ctx, c))
	}
	must(tb, st.RecordRuleLoad(ctx, store.RuleLoad{At: testNow.Add(-time.Hour), OK: true, Files: []store.RuleFile{
		{Path: "pipelines/tickets.yaml", SHA256: "0123456789abcdef0123", ModTime: testNow.Add(-48 * time.Hour)}}}))
	must(tb, st.RecordRuleLoad(ctx, store.RuleLoad{At: testNow.Add(-10 * time.Minute), Error: "load rules: pipelines/tickets.yaml:3:5: routes[0].queue: empty"}))
	must(tb, st.RecordRejected(ctx, "deals", "8000000002", "units", `not a number: "kolme 131052-308T"`))
	id, err := st.StartRun(ctx, store.Run{Report: "billing", Period: "2026-11", Format: "csv"})
	must(tb, err)
	must(tb, st.FinishRun(ctx, id, store.Run{Status: store.RunOK, Path: "/var/lib/alusta/reports/billing-2026-11.csv", Rows: 12, Duration: 40 * time.Millisecond}))
}
