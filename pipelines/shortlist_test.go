package pipelines

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

func shortlistEngine(t *testing.T) (*Engine, *mappings.Mapping) {
	t.Helper()
	return engineFrom(t, "testdata/shortlist")
}

func priced(p Provider, prices map[string]float64) Provider {
	p.Prices = prices
	return p
}

func TestShortlist(t *testing.T) {
	e, m := shortlistEngine(t)
	ps := []Provider{
		priced(provider("1", "siivous;kauppa", "Tampere", 3, 1), map[string]float64{"siivous": 41.5}),
		priced(provider("2", "siivous;kauppa", "Tampere", 3, 1), map[string]float64{"siivous": 38.9}),
		priced(provider("3", "siivous;kauppa", "Tampere", 3, 1), map[string]float64{"siivous": 25}),
		priced(provider("4", "siivous;kauppa", "Tampere", 3, 1), nil),
	}
	for i := range ps {
		ps[i].Languages = []string{"fi"}
	}
	ps[1].Languages = []string{"fi", "sv"}
	ps[1].Name = "Kotiapu Berg Ab"
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tk := func(id, service, lang string) hubspot.Object {
		return ticket(id, now, map[string]string{"alusta_ticket_kind": "palveluhaku", "alusta_service": service,
			"alusta_municipality": "Tampere", "alusta_language": lang})
	}
	tests := []struct {
		name   string
		rec    hubspot.Object
		open   map[string]int
		want   []string
		value  string
		reason string
	}{
		{name: "cheapest first, unpriced last", rec: tk("1", "siivous", "fi"), want: []string{"3", "2", "1"},
			value: "1. P3, 25,00 € (tunnus 3)\n2. Kotiapu Berg Ab, 38,90 € (tunnus 2)\n3. P1, 41,50 € (tunnus 1)"},
		{name: "a full provider is left out", rec: tk("2", "siivous", "fi"), open: map[string]int{"3": 3}, want: []string{"2", "1", "4"}},
		{name: "language", rec: tk("3", "siivous", "sv"), want: []string{"2"}, value: "1. Kotiapu Berg Ab, 38,90 € (tunnus 2)"},
		{name: "no municipality, no list", rec: ticket("4", now, map[string]string{"alusta_ticket_kind": "palveluhaku", "alusta_service": "siivous"}),
			reason: "ei tuottajavaihtoehtoja: tiketissä ei ole palvelua tai kuntaa"},
		{name: "nobody eligible", rec: tk("5", "ateria", "fi"), want: []string{}, reason: "ei tuottajavaihtoehtoja: palvelulle ateria ei ole sopivaa tuottajaa alueella Tampere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &State{OpenOrders: tt.open}
			d, err := e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: tt.rec, Providers: ps, Owners: demoOwners()}, st, now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !slices.Equal(d.Shortlist, tt.want) {
				t.Errorf("got %v, want %v", d.Shortlist, tt.want)
			}
			if tt.value != "" {
				if got := d.Writes.Get(m.Outputs.Shortlist); got != tt.value {
					t.Errorf("got value %q, want %q", got, tt.value)
				}
				if len(d.Notes) != 1 || !strings.HasSuffix(d.Notes[0], tt.value) {
					t.Errorf("got notes %q, want one ending in the list", d.Notes)
				}
			}
			if tt.reason != "" && !strings.Contains(d.Explanation, tt.reason) {
				t.Errorf("got explanation %q, want it to say %q", d.Explanation, tt.reason)
			}
		})
	}
}

// TestShortlistRotation checks that a rotating shortlist moves on from
// ticket to ticket but stays put on one ticket until a provider on it
// stops being eligible, and that a list a person edited is left alone.
func TestShortlistRotation(t *testing.T) {
	e, m := shortlistEngine(t)
	ps := []Provider{provider("1", "kauppa", "Tampere", 2, 1), provider("2", "kauppa", "Tampere", 2, 1), provider("3", "kauppa", "Tampere", 2, 1)}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	st := &State{}
	decide := func(rec hubspot.Object) Decision {
		t.Helper()
		d, err := e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: rec, Providers: ps, Owners: demoOwners()}, st, now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	props := map[string]string{"alusta_ticket_kind": "palveluhaku", "alusta_service": "kauppa", "alusta_municipality": "Tampere"}
	a := ticket("10", now, props)
	b := ticket("11", now, props)
	da := decide(a)
	db := decide(b)
	if !slices.Equal(da.Shortlist, []string{"1", "2"}) || !slices.Equal(db.Shortlist, []string{"3", "1"}) {
		t.Fatalf("got %v then %v, want [1 2] then [3 1]", da.Shortlist, db.Shortlist)
	}
	// The same ticket read again, with alusta's list on it, keeps it.
	written := da.Writes.Get(m.Outputs.Shortlist)
	a.Properties[m.Outputs.Shortlist] = &written
	if again := decide(a); !slices.Equal(again.Shortlist, da.Shortlist) || len(again.Notes) != 0 {
		t.Errorf("got %v with notes %q, want %v again and no note", again.Shortlist, again.Notes, da.Shortlist)
	}
	// Provider 2 fills up: the list is made again without it.
	st.OpenOrders["2"] = 2
	d := decide(a)
	if slices.Contains(d.Shortlist, "2") || len(d.Shortlist) != 2 || len(d.Notes) != 1 {
		t.Errorf("got %v with notes %q, want a new list of two without 2, noted", d.Shortlist, d.Notes)
	}
	// A coordinator edits the list: alusta leaves it alone.
	edited := "1. the one the client knows"
	a.Properties[m.Outputs.Shortlist] = &edited
	d = decide(a)
	if _, wrote := d.Writes.Lookup(m.Outputs.Shortlist); wrote || !slices.Contains(d.Sticky, m.Outputs.Shortlist) {
		t.Errorf("got writes %v, sticky %v; want the edited list left alone", d.Writes, d.Sticky)
	}
}

// TestShortlistOrder checks that the client's choice on a palveluhaku
// ticket makes one service order, for an eligible provider only.
func TestShortlistOrder(t *testing.T) {
	e, _ := shortlistEngine(t)
	ps := []Provider{provider("1", "siivous", "Tampere", 2, 1), provider("2", "siivous", "Nokia", 2, 1)}
	for i := range ps {
		ps[i].Languages = []string{"fi"}
	}
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name, choice string
		open         map[string]int
		want         bool
		explain      string
	}{
		{name: "an eligible choice", choice: "1", want: true, explain: "palvelutilaus asiakkaan valitsemalle P1 (1)"},
		{name: "a provider elsewhere", choice: "2", explain: "ei palvelutilausta: asiakkaan valitsema P2 (2) ei käy: ei toimi alueella Tampere"},
		{name: "a full provider", choice: "1", open: map[string]int{"1": 2}, explain: "ei käy: täynnä (2/2 avoinna)"},
		{name: "not a provider", choice: "99", explain: "ei palvelutilausta: asiakkaan valinta 99 ei ole tuottaja"},
		{name: "no choice yet", explain: "tuottajavaihtoehdot: 1/1 sopivasta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &State{OpenOrders: tt.open}
			rec := ticket("30", now, map[string]string{"alusta_ticket_kind": "palveluhaku", "alusta_service": "siivous",
				"alusta_municipality": "Tampere", "alusta_language": "fi", "alusta_client_choice": tt.choice})
			in := Input{ObjectType: hubspot.Tickets, Record: rec, Providers: ps, Owners: demoOwners()}
			d, err := e.DecideApply(in, st, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Order != nil; got != tt.want {
				t.Fatalf("got order %+v, want one: %t", d.Order, tt.want)
			}
			if !strings.Contains(d.Explanation, tt.explain) {
				t.Errorf("got explanation %q, want it to say %q", d.Explanation, tt.explain)
			}
			if !tt.want {
				return
			}
			if o := d.Order; o.ProviderID != "1" || o.Service != "siivous" || o.Municipality != "Tampere" || o.Key != "palveluhaku/30" {
				t.Errorf("got order %+v", o)
			}
			again, err := e.DecideApply(in, st, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if again.Order != nil || !strings.Contains(again.Explanation, "palvelutilaus tehty tuottajalle 1") {
				t.Errorf("decided again: got order %+v, explanation %q", again.Order, again.Explanation)
			}
		})
	}
}
