package mappings

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
)

func TestDefault(t *testing.T) {
	m := Default()
	if got := m.Field(hubspot.Deals, "client_choice"); got != "alusta_client_choice" {
		t.Errorf("got %q, want alusta_client_choice", got)
	}
	got := m.Properties(hubspot.Tickets)
	for _, want := range []string{"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority", "source_type",
		"hubspot_owner_id", "alusta_service", "alusta_municipality", "alusta_client_group", "alusta_language", "alusta_queue", "alusta_decision",
		// The workload report counts closed tickets per week by closed_date.
		"closed_date"} {
		if !slices.Contains(got, want) {
			t.Errorf("tickets: %q missing from %v", want, got)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("got unsorted %v", got)
	}
	// Billing dates an order by closedate even when a copied mapping drops
	// the close_date field.
	custom := Default()
	delete(custom.Objects[hubspot.Deals].Fields, "close_date")
	if deals := custom.Properties(hubspot.Deals); !slices.Contains(deals, "closedate") {
		t.Errorf("deals: closedate missing from %v", deals)
	}
	companies := m.Properties(hubspot.Companies)
	want := []string{"alusta_provider_active", "alusta_provider_areas", "alusta_provider_business_id", "alusta_provider_capacity", "alusta_provider_languages",
		"alusta_provider_prices", "alusta_provider_services", "alusta_provider_weight", "name"}
	if !slices.Equal(companies, want) {
		t.Errorf("companies: got %v, want %v", companies, want)
	}
	var names []string
	for _, p := range m.WrittenProperties(hubspot.Deals) {
		names = append(names, p.Name+":"+p.Type)
		if p.GroupName != "alusta" {
			t.Errorf("%s: got group %q, want alusta", p.Name, p.GroupName)
		}
	}
	if want := []string{"alusta_queue:string", "alusta_provider:string", "alusta_declined_by:string", "alusta_sla_due:datetime",
		"alusta_sla_status:enumeration", "alusta_decision:string"}; !slices.Equal(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load("."); err != nil {
		t.Fatalf("load the shipped mapping: %v", err)
	}
	_, err := Load(filepath.Join("testdata", "broken"))
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want Errors", err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Error())
	}
	f := filepath.Join("testdata", "broken", "mapping.yaml")
	want := []string{
		f + `:1:1: objects: missing object type "companies"`,
		f + `:4:5: objects.tickets.stages: missing stage "closed"`,
		f + `:8:7: objects.tickets.stages.done: unknown stage name "done" (known: new, in_progress, waiting, closed)`,
		f + `:12:7: objects.tickets.fields.colour: unknown field name "colour" (known: subject, content, pipeline, stage, priority, source, owner, service, municipality, client_group, language, kind, provider, feedback_score)`,
		f + `:13:3: objects.contacts: unknown object type "contacts" (want tickets, deals or companies)`,
		f + `:17:13: objects.deals.stages: want a mapping, got a list`,
		f + `:19:1: written: missing "declined_by"`,
		f + `:19:1: written: missing "sla_status"`,
		f + `:19:1: written: missing "decision"`,
		f + `:22:12: written.sla_due: want a string, got a list`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestResolve(t *testing.T) {
	pls := map[string][]hubspot.Pipeline{
		hubspot.Tickets: {{ID: "0", Label: "Support"}, {ID: "7", Label: "Neuvonta ja ohjaus", Stages: []hubspot.Stage{
			{ID: "1", Label: "Uusi"}, {ID: "2", Label: "Työn alla"}, {ID: "3", Label: "Odottaa asiakasta"}, {ID: "4", Label: "Suljettu"}}}},
		hubspot.Deals: {{ID: "default", Label: "Sales pipeline"}, {ID: "9", Label: "Palvelutilaukset", Stages: []hubspot.Stage{
			{ID: "a", Label: "Vastaanotettu"}, {ID: "b", Label: "Välitetty"}}}},
	}
	m := Default()
	err := m.Resolve(pls)
	want := "mappings: resolve: " +
		`mappings/mapping.yaml:35:17: objects.deals.stages.assigned: unknown stage "Välitetty tuottajalle" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		`mappings/mapping.yaml:36:17: objects.deals.stages.accepted: unknown stage "Tuottaja hyväksynyt" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		`mappings/mapping.yaml:37:17: objects.deals.stages.declined: unknown stage "Tuottaja hylännyt" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		`mappings/mapping.yaml:38:15: objects.deals.stages.active: unknown stage "Palvelu käynnissä" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		`mappings/mapping.yaml:39:18: objects.deals.stages.delivered: unknown stage "Toteutunut" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		`mappings/mapping.yaml:40:18: objects.deals.stages.cancelled: unknown stage "Peruttu" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	m = Default()
	pls[hubspot.Tickets] = pls[hubspot.Tickets][:1]
	err = m.Resolve(pls)
	if want := `objects.tickets.pipeline: unknown tickets pipeline "Neuvonta ja ohjaus"; pipelines are "Support"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %s", err, want)
	}
	m = Default()
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	if got := m.StageName(hubspot.Deals, "Tuottaja hylännyt"); got != "declined" {
		t.Errorf("got %q, want declined", got)
	}
	if got := m.StageID(hubspot.Tickets, "closed"); got != "Suljettu" {
		t.Errorf("got %q, want Suljettu", got)
	}
	c := Default()
	if c.Resolved() || !m.Clone().Resolved() {
		t.Error("Resolved: got wrong state")
	}
}
