package mappings

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/alusta/alusta/config/yamlpos"
	"github.com/alusta/alusta/connector/hubspot"
)

// testMappings holds the tests' copy of the shipped mapping: the shipped
// file is the admins' to edit, and an edit must not break go test.
var testMappings = filepath.Join("..", "testdata", "rules", "mappings")

// shipped loads the tests' copy of the shipped mapping.
func shipped(t *testing.T) *Mapping {
	t.Helper()
	m, err := Load(testMappings)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEmbeddedDefault checks that the default compiled into alusta parses:
// Default panics otherwise.
func TestEmbeddedDefault(t *testing.T) {
	if m := testMapping(t); len(m.Properties(hubspot.Deals)) == 0 {
		t.Error("the embedded default mapping reads no deal property")
	}
}

func TestDefault(t *testing.T) {
	m := shipped(t)
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
	custom := shipped(t)
	delete(custom.Objects[hubspot.Deals].Fields, "close_date")
	if deals := custom.Properties(hubspot.Deals); !slices.Contains(deals, "closedate") {
		t.Errorf("deals: closedate missing from %v", deals)
	}
	companies := m.Properties(hubspot.Companies)
	// The activity's contact address is not among them: it is read only
	// when a referral is sent, so the cache holds no contact details.
	want := []string{"alusta_activity_channel", "alusta_activity_target_groups", "alusta_activity_themes", "alusta_org_type",
		"alusta_provider_active", "alusta_provider_areas", "alusta_provider_business_id", "alusta_provider_capacity", "alusta_provider_email", "alusta_provider_languages",
		"alusta_provider_prices", "alusta_provider_services", "alusta_provider_webhook", "alusta_provider_weight", "name"}
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
		"alusta_sla_status:enumeration", "alusta_decision:string", "alusta_idempotency_key:string"}; !slices.Equal(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}
	names = nil
	for _, p := range m.WrittenProperties(hubspot.Tickets) {
		names = append(names, p.Name+":"+p.FieldType)
	}
	if want := []string{"alusta_queue:text", "alusta_provider:text", "alusta_sla_due:date",
		"alusta_sla_status:select", "alusta_decision:textarea", "alusta_shortlist:textarea", "alusta_activity_suggestions:textarea",
		"alusta_referral_status:text", "alusta_referral_of:text", "alusta_idempotency_key:text"}; !slices.Equal(names, want) {
		t.Errorf("tickets: got %v, want %v", names, want)
	}
	// A mapping copied before the shortlist existed still loads and
	// writes to the default properties.
	old, err := Parse("old.yaml", []byte(strings.Replace(testYAML(t), "  shortlist: alusta_shortlist\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if old.Outputs.Shortlist != "alusta_shortlist" {
		t.Errorf("got shortlist property %q, want alusta_shortlist", old.Outputs.Shortlist)
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load(testMappings); err != nil {
		t.Fatalf("load the copy of the shipped mapping: %v", err)
	}
	_, err := Load(filepath.Join("testdata", "broken"))
	var es yamlpos.Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want yamlpos.Errors", err)
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
		f + `:12:7: objects.tickets.fields.colour: unknown field name "colour" (known: subject, content, pipeline, stage, priority, source, owner, service, municipality, client_group, language, kind, provider, feedback_score, needs, refer_to, referral_consent, client_choice)`,
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
	m := shipped(t)
	err := m.Resolve(pls)
	f := filepath.Join(testMappings, FileName)
	want := "mappings: resolve: " +
		f + `:44:17: objects.deals.stages.assigned: unknown stage "Välitetty tuottajalle" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		f + `:45:17: objects.deals.stages.accepted: unknown stage "Tuottaja hyväksynyt" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		f + `:46:17: objects.deals.stages.declined: unknown stage "Tuottaja hylännyt" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		f + `:47:15: objects.deals.stages.active: unknown stage "Palvelu käynnissä" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		f + `:48:18: objects.deals.stages.delivered: unknown stage "Toteutunut" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		f + `:49:18: objects.deals.stages.cancelled: unknown stage "Peruttu" in pipeline "Palvelutilaukset"; stages are "Vastaanotettu", "Välitetty"` + "\n" +
		f + `:93:13: referrals.pipeline: unknown tickets pipeline "Hyvinvointilähete"; pipelines are "Support", "Neuvonta ja ohjaus"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	m = shipped(t)
	pls[hubspot.Tickets] = pls[hubspot.Tickets][:1]
	err = m.Resolve(pls)
	if want := `objects.tickets.pipeline: unknown tickets pipeline "Neuvonta ja ohjaus"; pipelines are "Support"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %s", err, want)
	}
	m = shipped(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	if got := m.StageName(hubspot.Deals, "Tuottaja hylännyt"); got != "declined" {
		t.Errorf("got %q, want declined", got)
	}
	if got := m.StageID(hubspot.Tickets, "closed"); got != "Suljettu" {
		t.Errorf("got %q, want Suljettu", got)
	}
	if got := m.ReferralStageName("Yhteys otettu"); got != "contacted" || m.ReferralPipelineID() != "Hyvinvointilähete" {
		t.Errorf("got referral stage %q in pipeline %q, want contacted in Hyvinvointilähete", got, m.ReferralPipelineID())
	}
	c := shipped(t)
	if c.Resolved() || !m.Clone().Resolved() {
		t.Error("Resolved: got wrong state")
	}
}

func TestTranslate(t *testing.T) {
	m := shipped(t)
	renamed := shipped(t)
	renamed.Objects[hubspot.Deals].Fields["units"] = "kotitori_maara"
	delete(renamed.Objects[hubspot.Deals].Fields, "close_date")
	s := func(v string) *string { return &v }
	tests := []struct {
		name  string
		m     *Mapping
		typ   string
		props map[string]*string
		want  map[string]string
	}{
		{"ticket fields, written keys and closed_at", m, hubspot.Tickets,
			map[string]*string{"hs_pipeline_stage": s("1"), "alusta_queue": s("neuvonta"), "closed_date": s("2026-03-01"),
				"alusta_provider": s("301"), "subject": s("apua"), "unmapped": s("x"), "alusta_service": nil},
			map[string]string{"stage": "1", "queue": "neuvonta", "closed_at": "2026-03-01", "provider": "301", "subject": "apua"}},
		{"renamed deal property, close date from HubSpot's closedate", renamed, hubspot.Deals,
			map[string]*string{"kotitori_maara": s("3"), "alusta_units": s("9"), "closedate": s("2026-02-10"), "alusta_provider": s("301")},
			map[string]string{"units": "3", "close_date": "2026-02-10", "provider": "301"}},
		{"companies have no written keys", m, hubspot.Companies,
			map[string]*string{"alusta_provider_capacity": s("10"), "alusta_queue": s("x")},
			map[string]string{"capacity": "10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Translate(tt.typ, tt.props); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if got := renamed.Property(hubspot.Deals, "units"); got != "kotitori_maara" {
		t.Errorf("Property(units): got %q, want kotitori_maara", got)
	}
}
