package pipelines

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// withEveryField is e with environments holding every field and property,
// as they did before they held only what the expressions use.
func withEveryField(e *Engine) *Engine {
	full := NewEngine(e.r, e.m)
	for t := range full.envs {
		full.envs[t] = newEnvSpec(e.m, t, nil)
	}
	return full
}

// TestEnvOfUsedFields decides a first sync's records with environments of
// the fields the rules use and with every field: the decisions and the
// states must be the same.
func TestEnvOfUsedFields(t *testing.T) {
	e, _ := demoEngine(t)
	if spec := e.envs[hubspot.Tickets]; spec.props || !spec.fields[fieldIndex(spec.fields, "kind")].used ||
		spec.fields[fieldIndex(spec.fields, "subject")].used {
		t.Fatalf("tickets: props %t, fields %+v: want kind used, subject and props not", spec.props, spec.fields)
	}
	sameDecisions(t, e, withEveryField(e))
}

// sameDecisions decides a first sync's records with a and with b: the
// decisions and the states must be the same.
func sameDecisions(t *testing.T, a, b *Engine) {
	t.Helper()
	now := time.Date(2026, 11, 24, 11, 0, 0, 0, helsinki(t))
	st1, st2 := &State{}, &State{}
	for i, in := range benchInputs(now, 3000) {
		d1, err := a.DecideApply(in, st1, now)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := b.DecideApply(in, st2, now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(d1, d2) {
			t.Fatalf("record %d: got %+v, want %+v", i, d1, d2)
		}
	}
	j1, _ := json.Marshal(st1)
	j2, _ := json.Marshal(st2)
	if string(j1) != string(j2) {
		t.Errorf("states differ")
	}
}

// TestEnvProblemsUnusedValues: a failing expression's description leaves
// out every value of the record, those of properties no expression reads
// too, as it did when the environment held them all.
func TestEnvProblemsUnusedValues(t *testing.T) {
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	src := `object: tickets
routes:
  - name: kind
    when: int(kind) > 3
    queue: big
  - name: rest
    queue: rest
`
	r, err := Parse(map[string][]byte{"t.yaml": []byte(src)}, m)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(r, m)
	if e.envs[hubspot.Tickets].props {
		t.Fatal("the rules read no props, yet the environment holds them")
	}
	// The subject is no expression's, and its value is in expr's message.
	rec := ticket("1", monday, map[string]string{"alusta_ticket_kind": "131052-308T", "subject": "invalid operation"})
	d1, _, err := e.Decide(Input{ObjectType: hubspot.Tickets, Record: rec}, &State{}, monday)
	if err != nil {
		t.Fatal(err)
	}
	d2, _, err := withEveryField(e).Decide(Input{ObjectType: hubspot.Tickets, Record: rec}, &State{}, monday)
	if err != nil {
		t.Fatal(err)
	}
	want := "route kind: expression failed: …: int(…) at 1:1"
	if len(d1.Problems) != 1 || d1.Problems[0].String() != want || !reflect.DeepEqual(d1.Problems, d2.Problems) {
		t.Errorf("got %q, with every field %q, want %q", d1.Problems, d2.Problems, want)
	}
}

func fieldIndex(fs []envField, name string) int {
	for i, f := range fs {
		if f.name == name {
			return i
		}
	}
	return -1
}
