package pipelines

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
)

// demoEngine loads the shipped rules with the mapping resolved against its
// own labels, as `alusta rules test` does.
func demoEngine(t testing.TB) (*Engine, *mappings.Mapping) {
	t.Helper()
	return engineFrom(t, testRulesDir)
}

// engineFrom loads the rules of dir with the test mapping, resolved
// against its own labels.
func engineFrom(t testing.TB, dir string) (*Engine, *mappings.Mapping) {
	t.Helper()
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	r, err := Load(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(r, m), m
}

func obj(id string, created time.Time, props map[string]string) hubspot.Object {
	return toObject(TestRecord{ID: id, Created: created, Properties: props})
}

func deal(id, service, muni string, extra ...string) hubspot.Object {
	p := map[string]string{"dealstage": "Vastaanotettu", "alusta_service": service, "alusta_municipality": muni}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i]] = extra[i+1]
	}
	return obj(id, time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC), p)
}

var monday = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func provider(id string, services, areas string, capacity int, weight float64) Provider {
	return Provider{ID: id, Name: "P" + id, Active: true, Services: splitMulti(services), Areas: splitMulti(areas), Capacity: capacity, Weight: weight}
}

// TestAssignmentInvariants decides random orders against random pools:
// the provider chosen is always active, offers the service, covers the
// municipality, is below capacity and has not declined; an eligible client
// choice always wins; nobody eligible means no provider and a retry.
func TestAssignmentInvariants(t *testing.T) {
	e, m := demoEngine(t)
	rng := rand.New(rand.NewPCG(7, 11))
	services := []string{"siivous", "kauppa", "ateria", "turvapalvelu", "hoitajavuokraus"}
	munis := []string{"Tampere", "Orivesi", "Nokia", "Pirkkala"}
	pickSome := func(all []string) []string {
		var out []string
		for _, s := range all {
			if rng.IntN(2) == 0 {
				out = append(out, s)
			}
		}
		return out
	}
	for round := 0; round < 300; round++ {
		var ps []Provider
		for i := range rng.IntN(8) {
			p := Provider{ID: strconv.Itoa(100 + i), Active: rng.IntN(4) > 0, Services: pickSome(services),
				Areas: pickSome(munis), Capacity: rng.IntN(4) - 1, Weight: float64(rng.IntN(4))}
			ps = append(ps, p)
		}
		st := &State{OpenOrders: map[string]int{}}
		for _, p := range ps {
			st.OpenOrders[p.ID] = rng.IntN(3)
		}
		for k := 0; k < 10; k++ {
			svc, muni := services[rng.IntN(len(services))], munis[rng.IntN(len(munis))]
			choice := ""
			if len(ps) > 0 && rng.IntN(2) == 0 {
				choice = ps[rng.IntN(len(ps))].ID
			}
			id := fmt.Sprintf("%d-%d", round, k)
			rec := deal(id, svc, muni, "alusta_client_choice", choice)
			var declined []string
			if len(ps) > 0 && rng.IntN(3) == 0 {
				declined = []string{ps[rng.IntN(len(ps))].ID}
				st.record("deals/" + id).Declined = declined
			}
			open := maps2(st.OpenOrders)
			d, err := e.DecideApply(Input{ObjectType: hubspot.Deals, Record: rec, Providers: ps}, st, monday)
			if err != nil {
				t.Fatal(err)
			}
			got, assigned := d.Writes.Lookup(m.Outputs.Provider)
			var eligible []string
			for i := range ps {
				if ok, _ := Eligible(&ps[i], svc, muni, "", false, declined, open[ps[i].ID]); ok {
					eligible = append(eligible, ps[i].ID)
				}
			}
			switch {
			case len(eligible) == 0:
				if assigned || !d.Retry || d.Writes.Get(m.Outputs.Queue) != "koordinaattori" {
					t.Fatalf("round %d: nobody eligible: got provider %q retry %t queue %q", round, got, d.Retry, d.Writes.Get(m.Outputs.Queue))
				}
			case !slices.Contains(eligible, got):
				t.Fatalf("round %d: got provider %q, eligible %v (pool %+v)", round, got, eligible, ps)
			case slices.Contains(eligible, choice) && got != choice:
				t.Fatalf("round %d: got %q, want the client's eligible choice %q", round, got, choice)
			}
		}
	}
}

func maps2(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pickN assigns n orders of one service and returns the providers chosen.
func pickN(t *testing.T, e *Engine, st *State, ps []Provider, service string, n int, start int) []string {
	t.Helper()
	var out []string
	for i := range n {
		d, err := e.DecideApply(Input{ObjectType: hubspot.Deals, Record: deal(strconv.Itoa(start+i), service, "Tampere"), Providers: ps}, st, monday)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d.Writes.Get("alusta_provider"))
	}
	return out
}

func TestRoundRobinSurvivesPoolChanges(t *testing.T) {
	e, _ := demoEngine(t)
	st := &State{}
	a, b, c, d := provider("11", "siivous", "Tampere", -1, 1), provider("12", "siivous", "Tampere", -1, 1),
		provider("13", "siivous", "Tampere", -1, 1), provider("9", "siivous", "Tampere", -1, 1)
	got := pickN(t, e, st, []Provider{a, b, c}, "siivous", 2, 0)
	if want := []string{"11", "12"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// 9 joins (sorting first numerically): the rotation continues after 12.
	got = pickN(t, e, st, []Provider{d, a, b, c}, "siivous", 3, 10)
	if want := []string{"13", "9", "11"}; !slices.Equal(got, want) {
		t.Fatalf("after a join: got %v, want %v", got, want)
	}
	// 12 leaves: after 11 comes 13.
	got = pickN(t, e, st, []Provider{d, a, c}, "siivous", 2, 20)
	if want := []string{"13", "9"}; !slices.Equal(got, want) {
		t.Fatalf("after a leave: got %v, want %v", got, want)
	}
}

func TestWeighted(t *testing.T) {
	e, _ := demoEngine(t)
	st := &State{}
	ps := []Provider{provider("1", "hoitajavuokraus", "Tampere", -1, 3), provider("2", "hoitajavuokraus", "Tampere", -1, 1)}
	got := pickN(t, e, st, ps, "hoitajavuokraus", 8, 0)
	if want := []string{"1", "1", "2", "1", "1", "1", "2", "1"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestLeastLoaded(t *testing.T) {
	e, _ := demoEngine(t)
	st := &State{OpenOrders: map[string]int{"1": 4, "2": 1}}
	ps := []Provider{provider("1", "turvapalvelu", "Tampere", 10, 1), provider("2", "turvapalvelu", "Tampere", 2, 1)}
	// Loads: 1 is 4/10, 2 is 1/2; then 5/10 against 1/2 (tie, lower id).
	got := pickN(t, e, st, ps, "turvapalvelu", 3, 0)
	if want := []string{"1", "1", "2"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if st.OpenOrders["1"] != 6 || st.OpenOrders["2"] != 2 {
		t.Errorf("got open orders %v, want 1:6 2:2", st.OpenOrders)
	}
}

func TestOrderedFallback(t *testing.T) {
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	src := `object: deals
routes:
  - provider: {strategy: ordered, order: ["P3", "2"], then: round_robin}
`
	r, err := Parse(map[string][]byte{"deals.yaml": []byte(src)}, m)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(r, m)
	ps := []Provider{provider("1", "siivous", "Tampere", -1, 1), provider("2", "siivous", "Tampere", 1, 1), provider("3", "siivous", "Tampere", 1, 1)}
	st := &State{}
	// P3 by name first, then 2 by id, then (both full) the round robin.
	got := pickN(t, e, st, ps, "siivous", 3, 0)
	if want := []string{"3", "2", "1"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestDeclineChain follows one order through two declines to the
// coordinators, and back when a provider appears.
func TestDeclineChain(t *testing.T) {
	e, m := demoEngine(t)
	ps := []Provider{provider("1", "siivous", "Tampere", -1, 1), provider("2", "siivous", "Tampere", -1, 1)}
	st := &State{}
	rec := deal("77", "siivous", "Tampere")
	apply := func(d Decision) {
		for k, v := range d.Writes.All() {
			rec.Properties[k] = &v
		}
	}
	decide := func() Decision {
		d, err := e.DecideApply(Input{ObjectType: hubspot.Deals, Record: rec, Providers: ps}, st, monday)
		if err != nil {
			t.Fatal(err)
		}
		apply(d)
		return d
	}
	decline := func() {
		s := "Tuottaja hylännyt"
		rec.Properties["dealstage"] = &s
	}
	d := decide()
	if got := d.Writes.Get(m.Outputs.Provider); got != "1" || d.Associate == nil || d.Associate.ToID != "1" || d.Associate.TypeID != hubspot.AssocDealToCompany {
		t.Fatalf("got provider %q association %+v, want 1", got, d.Associate)
	}
	decline()
	d = decide()
	if got, by := d.Writes.Get(m.Outputs.Provider), d.Writes.Get(m.Outputs.DeclinedBy); got != "2" || by != "1" || d.Writes.Get("dealstage") != "Välitetty tuottajalle" {
		t.Fatalf("after a decline: got provider %q declined_by %q writes %v", got, by, d.Writes)
	}
	if len(d.Sticky) != 0 {
		t.Errorf("got sticky %v, want none", d.Sticky)
	}
	decline()
	d = decide()
	if got := d.Writes.Get(m.Outputs.Provider); got != "" || !d.Retry || d.Writes.Get(m.Outputs.Queue) != "koordinaattori" || d.Writes.Get(m.Outputs.DeclinedBy) != "1;2" {
		t.Fatalf("after two declines: got writes %v retry %t", d.Writes, d.Retry)
	}
	for _, want := range []string{"sääntö tilaukset; jono koordinaattori;", "0/2 tuottajasta käy; palvelulle siivous ei ole sopivaa tuottajaa alueella Tampere"} {
		if got := d.Explanation; !strings.Contains(got, want) {
			t.Errorf("got explanation %q, want it to contain %q", got, want)
		}
	}
	ps = append(ps, provider("3", "siivous", "Tampere", -1, 1))
	d = decide()
	if got := d.Writes.Get(m.Outputs.Provider); got != "3" || d.Retry {
		t.Fatalf("after a provider joined: got %q retry %t", got, d.Retry)
	}
}

func TestProvidersFingerprint(t *testing.T) {
	a := []Provider{provider("1", "siivous", "Tampere", 3, 1)}
	b := []Provider{provider("1", "siivous", "Tampere", 4, 1)}
	if ProvidersFingerprint(a) == ProvidersFingerprint(b) {
		t.Error("got the same fingerprint for different capacities")
	}
	if ProvidersFingerprint(a) != ProvidersFingerprint([]Provider{provider("1", "siivous", "Tampere", 3, 1)}) {
		t.Error("got different fingerprints for equal pools")
	}
}

func TestParseProviders(t *testing.T) {
	m := testMapping(t)
	companies := []hubspot.Object{
		obj("5", monday, map[string]string{"name": "A", "alusta_provider_active": "true", "alusta_provider_services": "siivous; kauppa",
			"alusta_provider_areas": "Tampere;Nokia", "alusta_provider_languages": "fi;sv", "alusta_provider_capacity": "7", "alusta_provider_weight": "2.5"}),
		obj("6", monday, map[string]string{"name": "B"}),
	}
	got := ParseProviders(m, companies)
	want := []Provider{
		{ID: "5", Name: "A", Active: true, Services: []string{"siivous", "kauppa"}, Areas: []string{"Tampere", "Nokia"}, Languages: []string{"fi", "sv"}, Capacity: 7, Weight: 2.5},
		{ID: "6", Name: "B", Capacity: -1, Weight: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
