package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/report"
	"github.com/alusta/alusta/store"
)

// slaPortal is a small demo portal decided with testdata/sla-paused: one
// resolution clock, paused while waiting on the client, on a calendar that
// is always open so that the hours can be checked by hand. noStageDates
// makes it a portal without HubSpot's date entered properties.
func slaPortal(t *testing.T, t0 time.Time, noStageDates bool) (*inProcess, map[string]string) {
	t.Helper()
	p := newInProcessOpts(t, t0, sandbox.Options{DemoSize: sandbox.DemoSize{Tickets: 60, Deals: 20}, NoStageDates: noStageDates},
		Options{PipelinesDir: "../testdata/sla-paused/pipelines", MappingsDir: "../testdata/sla-paused/mappings"})
	stages := map[string]string{}
	for _, st := range p.crm.Pipelines(hubspot.Tickets)[0].Stages {
		stages[st.Label] = st.ID
	}
	return p, stages
}

// moveAt changes a ticket's stage as a person would at time at, and runs
// the cycle that sees it a second later.
func (p *inProcess) moveAt(t *testing.T, id, stage string, at time.Time) {
	t.Helper()
	p.now = at
	if err := p.crm.Update(hubspot.Tickets, id, map[string]string{"hs_pipeline_stage": stage}); err != nil {
		t.Fatal(err)
	}
	p.now = at.Add(time.Second)
	p.cycle(t)
}

// slaRow finds the SLA report's row of one provider (the test's tickets
// carry a provider of their own, so the demo ticket never mixes in).
func slaRow(t *testing.T, s *store.Store, month, provider string) map[string]any {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	per, err := report.ParsePeriod(month, loc)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := report.Build(context.Background(), report.Env{Store: s, Loc: loc}, "sla", per)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tbl.Rows {
		row := make(map[string]any, len(r))
		for i, c := range tbl.Columns {
			row[c.Name] = r[i]
		}
		if row["provider_id"] == provider {
			return row
		}
	}
	t.Fatalf("sla %s: no row for provider %s in %v", month, provider, tbl.Rows)
	return nil
}

// TestSLAPausedHoursReachReport goes sandbox → sync → SLA report with no
// row written by hand: a ticket waits on the client for three hours, and
// the report says 3.00 paused hours. Before, the daemon never set
// paused_seconds and the report said 0.
func TestSLAPausedHoursReachReport(t *testing.T) {
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	p, stages := slaPortal(t, t0, false)
	id := p.crm.Insert(hubspot.Tickets, map[string]string{"subject": "Kysymys", "hs_pipeline": p.crm.Pipelines(hubspot.Tickets)[0].ID,
		"hs_pipeline_stage": stages["Uusi"], "alusta_provider": "900"}, t0.Add(-time.Second))
	p.cycle(t)
	p.moveAt(t, id, stages["Odottaa asiakasta"], t0.Add(2*time.Hour))
	p.moveAt(t, id, stages["Työn alla"], t0.Add(5*time.Hour))
	p.moveAt(t, id, stages["Suljettu"], t0.Add(6*time.Hour))

	cycles, err := p.store.SLACycles(context.Background(), hubspot.Tickets, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(cycles) != 1 || cycles[0].PausedSeconds != 3*3600 || cycles[0].Status != store.SLAMet {
		t.Fatalf("cycles: got %+v, want one met cycle with 10800 s paused", cycles)
	}
	row := slaRow(t, p.store, "2026-11", "900")
	if row["cycles"] != int64(1) || row["met"] != int64(1) || row["breached"] != int64(0) || row["open"] != int64(0) || row["paused_hours"] != 3.0 {
		t.Errorf("report row: got %v, want 1 cycle, 1 met, 0 breached, 0 open, 3.00 paused hours", row)
	}
}

// TestSLAClocksStartInHubSpot syncs, for the first time, tickets whose
// lives began before alusta: a clock starts when its condition became true
// in HubSpot (the creation, then the stage history), not at the first
// sync. Before, a ticket closed before the first sync had no cycle at all
// and an open one started its clock at the first sync, so a first
// deployment's report said met=0 in every row.
//
// The stage times come with the records, from HubSpot's date entered
// properties, at no call of their own; on a portal without them, from the
// property history, a call per 50 records. Before, every portal cost the
// history calls: 2,400 of a production-sized first sync's 4,700.
func TestSLAClocksStartInHubSpot(t *testing.T) {
	for _, tt := range []struct {
		name         string
		noStageDates bool
	}{{"date entered properties", false}, {"property history", true}} {
		t.Run(tt.name, func(t *testing.T) { testSLAClocksStartInHubSpot(t, tt.noStageDates) })
	}
}

func testSLAClocksStartInHubSpot(t *testing.T, noStageDates bool) {
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	p, stages := slaPortal(t, t0.Add(-72*time.Hour), noStageDates)
	pipeline := p.crm.Pipelines(hubspot.Tickets)[0].ID
	// Ticket a: created three days ago, waited on the client for a day,
	// closed an hour ago: 24h + 23h running, 24h on hold, met (48h goal).
	a := p.crm.Insert(hubspot.Tickets, map[string]string{"subject": "Kysymys", "hs_pipeline": pipeline,
		"hs_pipeline_stage": stages["Uusi"], "alusta_provider": "901"}, p.now)
	for _, mv := range []struct {
		stage string
		at    time.Duration
	}{{"Odottaa asiakasta", -48 * time.Hour}, {"Työn alla", -24 * time.Hour}, {"Suljettu", -time.Hour}} {
		p.now = t0.Add(mv.at)
		if err := p.crm.Update(hubspot.Tickets, a, map[string]string{"hs_pipeline_stage": stages[mv.stage]}); err != nil {
			t.Fatal(err)
		}
	}
	// Ticket b: created 50 hours ago and never touched: breached.
	b := p.crm.Insert(hubspot.Tickets, map[string]string{"subject": "Kysymys", "hs_pipeline": pipeline,
		"hs_pipeline_stage": stages["Uusi"], "alusta_provider": "902"}, t0.Add(-50*time.Hour))
	p.now = t0
	historyReads := p.crm.Requests()[sandbox.HistoryReads]
	p.cycle(t)
	historyReads = p.crm.Requests()[sandbox.HistoryReads] - historyReads
	if noStageDates && historyReads == 0 {
		t.Errorf("history reads: got 0, want some on a portal without date entered properties")
	}
	if !noStageDates && historyReads != 0 {
		t.Errorf("history reads: got %d, want 0: the stage times come with the records", historyReads)
	}

	ctx := context.Background()
	// The history read is kept for the backtest; the date entered
	// properties give none to keep.
	kept, err := p.store.History(ctx, hubspot.Tickets)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(kept[a]), map[bool]int{true: 4, false: 0}[noStageDates]; got != want {
		t.Errorf("history kept of ticket %s: got %d changes %v, want %d", a, got, kept[a], want)
	}
	want := map[string]store.SLACycle{
		a: {Goal: "resolution", Cycle: 1, StartedAt: t0.Add(-72 * time.Hour), PausedSeconds: 24 * 3600, BusinessElapsedSeconds: 47 * 3600, Status: store.SLAMet},
		b: {Goal: "resolution", Cycle: 1, StartedAt: t0.Add(-50 * time.Hour), BusinessElapsedSeconds: 50 * 3600, Status: store.SLABreached},
	}
	for id, w := range want {
		cs, err := p.store.SLACycles(ctx, hubspot.Tickets, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 1 || cs[0].Goal != w.Goal || cs[0].Cycle != w.Cycle || !cs[0].StartedAt.Equal(w.StartedAt) || cs[0].PausedSeconds != w.PausedSeconds ||
			cs[0].BusinessElapsedSeconds != w.BusinessElapsedSeconds || cs[0].Status != w.Status {
			t.Errorf("ticket %s: got %+v, want %+v", id, cs, w)
		}
	}
	if row := slaRow(t, p.store, "2026-11", "901"); row["cycles"] != int64(1) || row["met"] != int64(1) || row["paused_hours"] != 24.0 || row["median_hours"] != 47.0 {
		t.Errorf("report row of ticket a: got %v, want 1 cycle, 1 met, 24.00 paused, median 47.00", row)
	}
	if row := slaRow(t, p.store, "2026-11", "902"); row["cycles"] != int64(1) || row["breached"] != int64(1) || row["median_hours"] != 50.0 {
		t.Errorf("report row of ticket b: got %v, want 1 cycle, 1 breached, median 50.00", row)
	}
	// A later cycle keeps the replayed cycle as it was.
	p.now = t0.Add(time.Hour)
	if err := p.crm.Update(hubspot.Tickets, a, map[string]string{"hs_pipeline_stage": stages["Työn alla"]}); err != nil {
		t.Fatal(err)
	}
	p.now = t0.Add(time.Hour + time.Second)
	p.cycle(t)
	cs, err := p.store.SLACycles(ctx, hubspot.Tickets, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Status != store.SLAMet || cs[0].BusinessElapsedSeconds != 47*3600 || cs[1].Cycle != 2 || cs[1].Status != store.SLARunning {
		t.Errorf("after reopening: got %+v, want the met cycle 1 kept and a running cycle 2", cs)
	}
}
