package pipelines_test

import (
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// TestBacktest replays two orders through the live rules and a change that
// renames the queue and halves the acceptance goal: the queue moves, the
// providers' and owners' shares stay, and the clock that took six working
// hours is met under 8 h but breached under 4 h; the one still running is
// open under both.
func TestBacktest(t *testing.T) {
	m, live, next, _, _ := localeRules(t, "queue: tilaukset", "queue: palvelut", "target: 8h", "target: 4h")
	str := func(s string) *string { return &s }
	providers := pipelines.ParseProviders(m, []hubspot.Object{{ID: "101", Properties: map[string]*string{"name": str("Siivous Aalto Oy"),
		"alusta_provider_active": str("true"), "alusta_provider_services": str("siivous"), "alusta_provider_areas": str("Tampere")}}})
	owners := []hubspot.Owner{{ID: "501", Email: "pekka.laine@kotitori.example.fi"}}
	created := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC) // Tue 10:00 in Helsinki
	order := func(id string) pipelines.Input {
		return pipelines.Input{ObjectType: hubspot.Deals, Providers: providers, Owners: owners, Record: hubspot.Object{ID: id, CreatedAt: created,
			Properties: map[string]*string{"dealstage": str("Toteutunut"), "alusta_service": str("siivous"), "alusta_municipality": str("Tampere"),
				"alusta_queue": str("tilaukset"), "alusta_provider": str("101"), "hubspot_owner_id": str("501")}}}
	}
	hs := []pipelines.History{
		{Input: order("1"), Cycles: []pipelines.SLACycle{{Policy: "acceptance", Calendar: "kotitori", Start: created,
			Stopped: created.Add(6 * time.Hour), Elapsed: 6 * time.Hour}}},
		{Input: order("2"), Cycles: []pipelines.SLACycle{{Policy: "acceptance", Calendar: "kotitori", Start: created, Elapsed: time.Hour}}},
	}
	now := created.Add(time.Hour)
	a, b, err := pipelines.Backtest(pipelines.NewEngine(live, m), pipelines.NewEngine(next, m), hs, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Records != 2 || a.Queues["tilaukset"] != 2 || b.Queues["palvelut"] != 2 || len(b.Queues) != 1 {
		t.Errorf("queues: live %v, new %v; want 2 in tilaukset, then 2 in palvelut", a.Queues, b.Queues)
	}
	if a.Providers["101"] != 2 || b.Providers["101"] != 2 || a.Owners["501"] != 2 || b.Owners["501"] != 2 {
		t.Errorf("shares: live %v %v, new %v %v; want both orders to 101 and owner 501", a.Providers, a.Owners, b.Providers, b.Owners)
	}
	if got := a.SLA["acceptance: 1 arkipäivä"]; got == nil || *got != (pipelines.SLACount{Met: 1, Open: 1}) {
		t.Errorf("live SLA: got %+v, want 1 met, 1 open", a.SLA)
	}
	if got := b.SLA["acceptance: 1 arkipäivä"]; got == nil || *got != (pipelines.SLACount{Breached: 1, Open: 1}) {
		t.Errorf("new SLA: got %+v, want 1 breached, 1 open", b.SLA)
	}
}
