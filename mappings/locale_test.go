package mappings

import (
	"strings"
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
)

func TestLocale(t *testing.T) {
	base := strings.Replace(testYAML(t), "locale: fi", "locale: %s", 1)
	tests := []struct {
		name, lang string
		queueLabel string
		breached   string
		err        string
	}{
		{name: "finnish", lang: "fi", queueLabel: "alusta: jono", breached: "ylittynyt"},
		{name: "swedish", lang: "sv", queueLabel: "alusta: kö", breached: "överskriden"},
		{name: "english", lang: "en", queueLabel: "alusta queue", breached: "breached"},
		{name: "default", lang: `""`, queueLabel: "alusta: jono", breached: "ylittynyt"},
		{name: "unknown", lang: "de", err: `m.yaml:122:9: locale: unknown language "de" (want fi, sv, en)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse("m.yaml", []byte(strings.Replace(base, "%s", tt.lang, 1)))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			props := m.WrittenProperties(hubspot.Deals)
			if got := props[0].Label; got != tt.queueLabel {
				t.Errorf("queue label: got %q, want %q", got, tt.queueLabel)
			}
			status := props[4]
			if status.Name != "alusta_sla_status" || len(status.Options) != 5 {
				t.Fatalf("got %+v, want alusta_sla_status with 5 options", status)
			}
			if o := status.Options[3]; o.Value != "breached" || o.Label != tt.breached {
				t.Errorf("option 3: got %q/%q, want value breached labelled %q", o.Value, o.Label, tt.breached)
			}
		})
	}
}

// TestDeclinedByOnDealsOnly: only orders are declined, so tickets get no
// alusta_declined_by property, neither created nor read.
func TestDeclinedByOnDealsOnly(t *testing.T) {
	m := testMapping(t)
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		var created []string
		for _, p := range m.WrittenProperties(typ) {
			created = append(created, p.Name)
		}
		want := typ == hubspot.Deals
		if got := strings.Contains(strings.Join(created, ","), "alusta_declined_by"); got != want {
			t.Errorf("%s: created %v; want alusta_declined_by %t", typ, created, want)
		}
		if got := strings.Contains(strings.Join(m.Properties(typ), ","), "alusta_declined_by"); got != want {
			t.Errorf("%s: read %v; want alusta_declined_by %t", typ, m.Properties(typ), want)
		}
	}
}
