package pipelines_test

import (
	"fmt"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
)

// Example shows one daemon cycle: resolve the mapping against the
// portal's pipelines, load the rules, decide each record against the
// saved State, push the writes, save the State and sleep until the
// earliest NextWake.
func Example() {
	m, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		fmt.Println(err)
		return
	}
	// At start-up the daemon passes client.Pipelines(ctx, "tickets") and
	// client.Pipelines(ctx, "deals"); labels stand in for ids here.
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		fmt.Println(err)
		return
	}
	rules, err := pipelines.Load("../testdata/rules/pipelines", m)
	if err != nil {
		fmt.Println(err) // every problem, one per line, file:line:col
		return
	}
	e := pipelines.NewEngine(rules, m)
	st := &pipelines.State{} // loaded from the store; JSON
	str := func(s string) *string { return &s }
	owners := []hubspot.Owner{{ID: "501", Email: "pekka.laine@kotitori.example.fi", FirstName: "Pekka", LastName: "Laine"}, {ID: "502", Email: "eeva.heikkinen@kotitori.example.fi"}}
	providers := pipelines.ParseProviders(m, []hubspot.Object{{ID: "101", Properties: map[string]*string{
		"name": str("Siivous Aalto Oy"), "alusta_provider_active": str("true"),
		"alusta_provider_services": str("siivous"), "alusta_provider_areas": str("Tampere")}}})
	order := hubspot.Object{ID: "42", CreatedAt: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC), Properties: map[string]*string{
		"dealstage": str("Vastaanotettu"), "alusta_service": str("siivous"), "alusta_municipality": str("Tampere")}}
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	d, err := e.DecideApply(pipelines.Input{ObjectType: hubspot.Deals, Record: order, Providers: providers, Owners: owners}, st, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rule:", d.Rule)
	for _, p := range []string{"alusta_provider", "dealstage", "hubspot_owner_id", "alusta_queue", "alusta_sla_status", "alusta_sla_due"} {
		fmt.Printf("write %s = %s\n", p, d.Writes.Get(p))
	}
	fmt.Printf("associate %s/%s -> %s/%s (type %d)\n", d.Associate.FromType, d.Associate.FromID, d.Associate.ToType, d.Associate.ToID, d.Associate.TypeID)
	fmt.Println("explanation:", d.Explanation)
	fmt.Println("next wake:", d.NextWake.UTC().Format(time.RFC3339))
	// Output:
	// rule: tilaukset
	// write alusta_provider = 101
	// write dealstage = Välitetty tuottajalle
	// write hubspot_owner_id = 501
	// write alusta_queue = tilaukset
	// write alusta_sla_status = running
	// write alusta_sla_due = 2026-11-26T08:00:00.000Z
	// associate deals/42 -> companies/101 (type 341)
	// explanation: sääntö tilaukset; jono tilaukset; käsittelijä Pekka Laine (vähiten avoimia, tiimi tilaukset); 1/1 tuottajasta käy; tuottaja Siivous Aalto Oy (vuorojako); määräaika 2 arkipäivää käynnissä, päättyy 26.11.2026 klo 10.00
	// next wake: 2026-11-25T12:15:00Z
}
