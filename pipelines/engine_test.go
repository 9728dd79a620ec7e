package pipelines

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

func demoOwners() []hubspot.Owner {
	var out []hubspot.Owner
	for i, name := range []string{"aino.virtanen", "mikko.korhonen", "liisa.nieminen", "juha.makinen", "sanna.hamalainen", "pekka.laine", "eeva.heikkinen"} {
		out = append(out, hubspot.Owner{ID: string(rune('1' + i)), Email: name + "@kotitori.example.fi"})
	}
	return out
}

func ticket(id string, created time.Time, props map[string]string) hubspot.Object {
	p := map[string]string{"hs_pipeline_stage": "Uusi", "alusta_ticket_kind": "neuvonta", "hs_ticket_priority": "MEDIUM"}
	for k, v := range props {
		p[k] = v
	}
	return obj(id, created, p)
}

// TestDeterministic decides the same records from equal states (one of
// them through JSON) and gets equal decisions and states.
func TestDeterministic(t *testing.T) {
	e, _ := demoEngine(t)
	loc := helsinki(t)
	now := time.Date(2026, 11, 24, 11, 0, 0, 0, loc)
	ps := []Provider{provider("1", "siivous;kauppa", "Tampere", 3, 2), provider("2", "siivous", "Tampere;Nokia", 5, 1), provider("3", "hoitajavuokraus", "Tampere", -1, 1)}
	var ins []Input
	for i := range 40 {
		id := string(rune('a' + i%26))
		if i%2 == 0 {
			ins = append(ins, Input{ObjectType: hubspot.Tickets, Owners: demoOwners(), Record: ticket(id, now.Add(-time.Duration(i)*time.Hour), map[string]string{"alusta_language": []string{"fi", "sv"}[i%4/2]})})
		} else {
			ins = append(ins, Input{ObjectType: hubspot.Deals, Owners: demoOwners(), Providers: ps, Record: deal(id, []string{"siivous", "hoitajavuokraus", "kauppa"}[i%3], "Tampere")})
		}
	}
	run := func(st *State) ([]Decision, *State) {
		var ds []Decision
		for _, in := range ins {
			d, err := e.DecideApply(in, st, now)
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
		return ds, st
	}
	seed := &State{OpenOrders: map[string]int{"1": 1}, Rotation: map[string]string{"team:neuvonta": "liisa.nieminen@kotitori.example.fi"}}
	blob, err := json.Marshal(seed)
	if err != nil {
		t.Fatal(err)
	}
	var copied State
	if err := json.Unmarshal(blob, &copied); err != nil {
		t.Fatal(err)
	}
	d1, s1 := run(seed)
	d2, s2 := run(&copied)
	if !reflect.DeepEqual(d1, d2) {
		t.Error("got different decisions for the same input, state and clock")
	}
	j1, _ := json.Marshal(s1)
	j2, _ := json.Marshal(s2)
	if string(j1) != string(j2) {
		t.Errorf("got different states:\n%s\n%s", j1, j2)
	}
}

// TestSLALifecycle follows a ticket through a pause, a close, a reopen
// and a breach, one decision per step, with the state carried over.
func TestSLALifecycle(t *testing.T) {
	e, m := demoEngine(t)
	loc := helsinki(t)
	day := func(d, h, min int) time.Time { return time.Date(2026, 11, d, h, min, 0, 0, loc) }
	rec := ticket("1", day(23, 8, 0), map[string]string{"hubspot_owner_id": "4"})
	st := &State{}
	step := func(now time.Time, stage string) Decision {
		t.Helper()
		rec.Properties["hs_pipeline_stage"] = &stage
		d, err := e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: rec, Owners: demoOwners()}, st, now)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range d.Writes.All() {
			rec.Properties[k] = &v
		}
		return d
	}
	cycle := func(d Decision, policy string) SLACycle {
		t.Helper()
		for i := len(d.SLA) - 1; i >= 0; i-- {
			if d.SLA[i].Policy == policy {
				return d.SLA[i]
			}
		}
		t.Fatalf("no %s cycle in %+v", policy, d.SLA)
		return SLACycle{}
	}
	// Mon 09:00: first response 1h of 4h, resolution started now.
	d := step(day(23, 9, 0), "Uusi")
	if c := cycle(d, "first_response"); c.Elapsed != time.Hour || !c.Due.Equal(day(23, 12, 0)) || c.Status != "running" {
		t.Fatalf("first response: got %+v", c)
	}
	if !d.NextWake.Equal(day(23, 11, 0)) { // the warning at 75% of 4h
		t.Errorf("got next wake %s, want the 11:00 warning", d.NextWake)
	}
	// Mon 10:00 in progress: first response met.
	d = step(day(23, 10, 0), "Työn alla")
	if c := cycle(d, "first_response"); c.Status != "met" {
		t.Fatalf("first response: got %s, want met", c.Status)
	}
	// Mon 11:00 waiting on the client until Wed 11:00: paused, 3h counted
	// (the ticket has been open, untouched, since its creation at 08:00).
	d = step(day(23, 11, 0), "Odottaa asiakasta")
	if c := cycle(d, "resolution"); c.Status != "paused" || c.Elapsed != 3*time.Hour {
		t.Fatalf("resolution paused: got %+v", c)
	}
	if d.Writes.Get(m.Outputs.SLAStatus) != "paused" {
		t.Errorf("got status write %q, want paused", d.Writes.Get(m.Outputs.SLAStatus))
	}
	d = step(day(25, 11, 0), "Työn alla")
	c := cycle(d, "resolution")
	// 22.5h target, 3h used: 19.5h from Wed 11:00 = Wed 16:00 (4.5h), Thu
	// (7.5h), Fri (7.5h): Fri 16:00. The two days on hold are kept.
	if c.Status != "running" || c.Elapsed != 3*time.Hour || !c.Due.Equal(day(27, 16, 0)) || c.PausedFor != 15*time.Hour {
		t.Fatalf("resolution resumed: got %+v", c)
	}
	// Closed on Thu: met; reopened on Fri: a second cycle starts.
	d = step(day(26, 10, 0), "Suljettu")
	if c := cycle(d, "resolution"); c.Status != "met" {
		t.Fatalf("closed: got %+v", c)
	}
	step(day(27, 9, 0), "Työn alla")
	var n int
	for _, c := range st.Records["tickets/1"].SLA {
		if c.Policy == "resolution" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("got %d resolution cycles, want 2", n)
	}
	// The reopened cycle breaches three working days later: reassigned
	// once within the advice team, with a note.
	d = step(time.Date(2026, 12, 3, 9, 0, 0, 0, loc), "Työn alla")
	if c := cycle(d, "resolution"); c.Status != "breached" {
		t.Fatalf("got %+v, want breached", c)
	}
	if got := d.Writes.Get("hubspot_owner_id"); got == "" || got == "4" {
		t.Errorf("got owner write %q, want another adviser than 4", got)
	}
	if !slices.Contains(d.Notes, "Ratkaisu on myöhässä; siirretty toiselle neuvonnan käsittelijälle.") {
		t.Errorf("got notes %q", d.Notes)
	}
	d = step(time.Date(2026, 12, 3, 10, 0, 0, 0, loc), "Työn alla")
	if _, again := d.Writes.Lookup("hubspot_owner_id"); again || len(d.Notes) > 0 {
		t.Errorf("breach actions ran twice: writes %v notes %v", d.Writes, d.Notes)
	}
}

func TestOwnerRotationSkipsAway(t *testing.T) {
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	src := `teams:
  t:
    members: [aino.virtanen@kotitori.example.fi, mikko.korhonen@kotitori.example.fi, liisa.nieminen@kotitori.example.fi, ghost@kotitori.example.fi]
    away: [mikko.korhonen@kotitori.example.fi]
object: tickets
routes:
  - assign: {pool: t}
`
	r, err := Parse(map[string][]byte{"t.yaml": []byte(src)}, m)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(r, m)
	st := &State{}
	var got []string
	for i := range 4 {
		d, err := e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: ticket(string(rune('a'+i)), monday, nil), Owners: demoOwners()}, st, monday)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.Writes.Get("hubspot_owner_id"))
	}
	// aino (1), liisa (3); mikko is away and ghost has no owner.
	if want := []string{"1", "3", "1", "3"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if want := map[string]int{"1": 2, "3": 2}; !reflect.DeepEqual(st.OpenTickets, want) {
		t.Errorf("got open tickets %v, want %v", st.OpenTickets, want)
	}
}

// TestOwnerRotationKeepsNoEmail checks that the rotation position, which
// the daemon stores in SQLite, is an owner id rather than a staff email, and
// that a position saved as an email still continues the rotation.
func TestOwnerRotationKeepsNoEmail(t *testing.T) {
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	src := `teams:
  t:
    members: [aino.virtanen@kotitori.example.fi, mikko.korhonen@kotitori.example.fi, liisa.nieminen@kotitori.example.fi]
object: tickets
routes:
  - assign: {pool: t}
`
	r, err := Parse(map[string][]byte{"t.yaml": []byte(src)}, m)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(r, m)
	st := &State{Rotation: map[string]string{"team:t": "aino.virtanen@kotitori.example.fi"}}
	var got []string
	for i := range 3 {
		d, err := e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: ticket(string(rune('a'+i)), monday, nil), Owners: demoOwners()}, st, monday)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, d.Writes.Get("hubspot_owner_id"))
	}
	// After aino (the saved email): mikko (2), liisa (3), aino (1).
	if want := []string{"2", "3", "1"}; !slices.Equal(got, want) {
		t.Errorf("got owners %v, want %v", got, want)
	}
	blob, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(blob), "@") {
		t.Errorf("state holds an email: %s", blob)
	}
	if st.Rotation["team:t"] != "1" {
		t.Errorf("got rotation %q, want owner id 1", st.Rotation["team:t"])
	}
}

func TestStickyProvider(t *testing.T) {
	e, m := demoEngine(t)
	st := &State{Records: map[string]*RecordState{"deals/5": {Written: Values{{"alusta_provider", "1"}, {"dealstage", "Välitetty tuottajalle"}}}}}
	rec := deal("5", "siivous", "Tampere", "alusta_provider", "2", "dealstage", "Välitetty tuottajalle")
	d, err := e.DecideApply(Input{ObjectType: hubspot.Deals, Record: rec, Providers: []Provider{provider("1", "siivous", "Tampere", -1, 1)}}, st, monday)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Writes.Lookup(m.Outputs.Provider); ok || !slices.Equal(d.Sticky, []string{"alusta_provider"}) {
		t.Errorf("got writes %v sticky %v, want provider left alone", d.Writes, d.Sticky)
	}
	if want := "jätetty ennalleen (henkilö muutti): alusta_provider"; !strings.Contains(d.Explanation, want) {
		t.Errorf("got explanation %q, want %q in it", d.Explanation, want)
	}
}

func TestDecideErrors(t *testing.T) {
	m := testMapping(t)
	r, err := Load(testRulesDir, m)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(r, m)
	_, err = e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: ticket("1", monday, nil)}, &State{}, monday)
	if want := "pipelines: decide tickets/1: mappings: pipelines not resolved"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, err = e.DecideApply(Input{ObjectType: hubspot.Companies, Record: ticket("1", monday, nil)}, &State{}, monday)
	if want := "pipelines: decide companies/1: no rules for companies"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestForget(t *testing.T) {
	e, _ := demoEngine(t)
	st := &State{}
	rec := deal("8", "siivous", "Tampere", "alusta_provider", "1", "dealstage", "Tuottaja hyväksynyt", "hubspot_owner_id", "6")
	e.Observe(Input{ObjectType: hubspot.Deals, Record: rec}, st)
	if st.OpenOrders["1"] != 1 || st.OpenTickets["6"] != 1 {
		t.Fatalf("got open orders %v tickets %v, want 1 each", st.OpenOrders, st.OpenTickets)
	}
	st.Forget(hubspot.Deals, "8")
	if st.OpenOrders["1"] != 0 || st.OpenTickets["6"] != 0 || len(st.Records) != 0 {
		t.Errorf("after Forget: got %v %v %v", st.OpenOrders, st.OpenTickets, st.Records)
	}
}

func TestRouteNoteOnceAndProblems(t *testing.T) {
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	src := `object: tickets
routes:
  - name: big
    when: int(props["alusta_units"]) > 3
    queue: big
  - name: rest
    queue: rest
    note: Routed by alusta.
`
	r, err := Parse(map[string][]byte{"t.yaml": []byte(src)}, m)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(r, m)
	st := &State{}
	rec := ticket("1", monday, map[string]string{"alusta_units": "many"})
	d, err := e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: rec}, st, monday)
	if err != nil {
		t.Fatal(err)
	}
	if d.Rule != "rest" || !slices.Equal(d.Notes, []string{"Routed by alusta."}) || len(d.Problems) != 1 || !strings.HasPrefix(d.Problems[0].String(), "route big: expression failed: ") {
		t.Fatalf("got rule %q notes %q problems %q", d.Rule, d.Notes, d.Problems)
	}
	d, err = e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: rec}, st, monday.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Notes) != 0 {
		t.Errorf("got notes %q on the second decision, want none", d.Notes)
	}
}

// TestDecideIsPure decides the same records twice from one state: through
// Decide, checking that the state is untouched until the change is
// applied, and through the in-place decide the engine used to run. Both
// must end in the same decisions and the same state, and a change dropped
// (a push HubSpot refused) must leave no trace.
func TestDecideIsPure(t *testing.T) {
	e, _ := demoEngine(t)
	now := time.Date(2026, 11, 24, 11, 0, 0, 0, helsinki(t))
	ps := []Provider{provider("1", "siivous;kauppa", "Tampere", 3, 2), provider("2", "siivous", "Tampere;Nokia", 5, 1)}
	var ins []Input
	for i := range 30 {
		id := fmt.Sprint(i)
		if i%2 == 0 {
			ins = append(ins, Input{ObjectType: hubspot.Tickets, Owners: demoOwners(), Record: ticket(id, now.Add(-time.Duration(i)*time.Hour), map[string]string{"hs_ticket_priority": "URGENT"})})
		} else {
			ins = append(ins, Input{ObjectType: hubspot.Deals, Owners: demoOwners(), Providers: ps, Record: deal(id, []string{"siivous", "kauppa"}[i%4/2], "Tampere")})
		}
	}
	pure, inPlace := &State{}, &State{}
	for i, in := range ins {
		before, _ := json.Marshal(pure)
		d1, c, err := e.Decide(in, pure, now)
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := json.Marshal(pure); string(after) != string(before) {
			t.Fatalf("record %d: Decide changed the state", i)
		}
		if i%5 == 4 {
			// A push that failed: the change is dropped and the record
			// is decided again, later.
			d1, c, err = e.Decide(in, pure, now)
			if err != nil {
				t.Fatal(err)
			}
		}
		pure.Apply(c)
		d2, err := e.DecideApply(in, inPlace, now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d1, d2) {
			t.Errorf("record %d: got %+v, want %+v", i, d1, d2)
		}
	}
	j1, _ := json.Marshal(pure)
	j2, _ := json.Marshal(inPlace)
	if string(j1) != string(j2) {
		t.Errorf("states differ:\n%s\n%s", j1, j2)
	}
	if len(pure.OpenTickets) == 0 || len(pure.OpenOrders) == 0 || len(pure.Rotation) == 0 {
		t.Errorf("the records moved no count or rotation; the test proves little: %s", j1)
	}
}

// TestLowerIs checks lowerIs against what it stands for, ToLower(s) ==
// lower, on addresses with capitals, non-ASCII letters, runes that lower
// to another length, and bad UTF-8.
func TestLowerIs(t *testing.T) {
	ss := []string{"", "a", "A", "aino@koti.fi", "Aino@Koti.FI", "AINO@KOTI.FI", "aino@koti.f", "aino@koti.fii",
		"Äiti@koti.fi", "äiti@koti.fi", "ÄITI@KOTI.FI", "aäiti@koti.fi", "\u212Aalle@koti.fi", "kalle@koti.fi",
		"İlkka@koti.fi", "i̇lkka@koti.fi", "ilkka@koti.fi", "bad\xff@koti.fi", "bad\ufffd@koti.fi", "Ω@koti.fi"}
	for _, s := range ss {
		for _, l := range ss {
			lower := strings.ToLower(l)
			if got, want := lowerIs(s, lower), strings.ToLower(s) == lower; got != want {
				t.Errorf("lowerIs(%q, %q): got %t, want %t", s, lower, got, want)
			}
		}
	}
}
