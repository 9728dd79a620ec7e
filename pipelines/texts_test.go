package pipelines_test

import (
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
)

// TestExplanationLanguage decides an order whose client chose a provider
// that had declined it, in each language: the decision names the
// providers and the owner, says why the choice was not eligible, and
// gives the due time in the calendar's zone (Helsinki, UTC+2 in winter).
func TestExplanationLanguage(t *testing.T) {
	tests := []struct {
		lang string
		want []string
	}{
		{"fi", []string{
			"sääntö tilaukset; jono tilaukset; käsittelijä Pekka Laine (vähiten avoimia, tiimi tilaukset)",
			"asiakkaan valitsema Siivous Aalto Oy ei käy: hylkäsi tämän tilauksen",
			"1/2 tuottajasta käy; tuottaja Kotiapu Virta Oy (vuorojako)",
			"määräaika 1 arkipäivä käynnissä, päättyy 25.11.2026 klo 10.00",
		}},
		{"sv", []string{
			"regel tilaukset; kö tilaukset; handläggare Pekka Laine (minst öppna, team tilaukset)",
			"klientens val Siivous Aalto Oy är inte möjligt: har avböjt denna beställning",
			"1 av 2 producenter möjliga; producent Kotiapu Virta Oy (turordning)",
			"tidsfrist 1 arkipäivä pågår, går ut 25.11.2026 kl. 10.00",
		}},
		{"en", []string{
			"route tilaukset; queue tilaukset; owner Pekka Laine (fewest open, team tilaukset)",
			"client's choice Siivous Aalto Oy not eligible: declined this order",
			"1 of 2 providers eligible; provider Kotiapu Virta Oy (round robin)",
			"SLA 1 arkipäivä running, due 25 Nov 2026 10:00",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			m, err := pipelines.ShippedMapping(t).WithLocale(tt.lang)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Resolve(m.LabelPipelines()); err != nil {
				t.Fatal(err)
			}
			rules, err := pipelines.Load("testdata/locale", m)
			if err != nil {
				t.Fatal(err)
			}
			str := func(s string) *string { return &s }
			provider := func(id, name string) hubspot.Object {
				return hubspot.Object{ID: id, Properties: map[string]*string{"name": str(name), "alusta_provider_active": str("true"),
					"alusta_provider_services": str("siivous"), "alusta_provider_areas": str("Tampere")}}
			}
			providers := pipelines.ParseProviders(m, []hubspot.Object{provider("101", "Siivous Aalto Oy"), provider("102", "Kotiapu Virta Oy")})
			owners := []hubspot.Owner{{ID: "501", Email: "pekka.laine@kotitori.example.fi", FirstName: "Pekka", LastName: "Laine"}}
			order := hubspot.Object{ID: "42", CreatedAt: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC), Properties: map[string]*string{
				"dealstage": str("Vastaanotettu"), "alusta_service": str("siivous"), "alusta_municipality": str("Tampere"),
				"alusta_client_choice": str("101"), "alusta_declined_by": str("101")}}
			d, _, err := pipelines.NewEngine(rules, m).Decide(pipelines.Input{ObjectType: hubspot.Deals, Record: order,
				Providers: providers, Owners: owners}, &pipelines.State{}, time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(d.Explanation, w) {
					t.Errorf("got %q, want %q in it", d.Explanation, w)
				}
			}
			if got := d.Writes.Get("alusta_decision"); got != d.Explanation {
				t.Errorf("alusta_decision: got %q, want the explanation", got)
			}
			if got := d.Writes.Get("alusta_sla_status"); got != "running" {
				t.Errorf("alusta_sla_status: got %q, want the stable value running", got)
			}
		})
	}
}
