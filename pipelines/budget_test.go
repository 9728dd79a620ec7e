package pipelines

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestProblemsAreExplained checks that a condition failing on a record's
// data, or running over its budget on that record, is kept in the decision
// and its explanation, without the record's value.
func TestProblemsAreExplained(t *testing.T) {
	m := testMapping(t)
	if err := m.Resolve(m.LabelPipelines()); err != nil {
		t.Fatal(err)
	}
	src := `object: tickets
routes:
  - name: units
    when: int(props["alusta_units"]) > 3
    queue: big
  - name: loop
    when: 'all(1..int(props["alusta_feedback_score"]), # > 0)'
    queue: loop
  - name: rest
    queue: rest
`
	r, err := Parse(map[string][]byte{"t.yaml": []byte(src)}, m)
	if err != nil {
		t.Fatalf("load: %v (the loop's size depends on the record, so load must accept it)", err)
	}
	e := NewEngine(r, m)
	tests := []struct {
		name  string
		props map[string]string
		rule  string
		want  []string
	}{
		{"both fine", map[string]string{"alusta_units": "1", "alusta_feedback_score": "5"}, "loop", nil},
		{"text where a number belongs", map[string]string{"alusta_units": "131052-308T", "alusta_feedback_score": "5"}, "loop",
			[]string{`route units: expression failed: invalid operation: int(…) at 1:1`}},
		{"loop over the budget", map[string]string{"alusta_units": "1", "alusta_feedback_score": "50000"}, "rest",
			[]string{`route loop: expression failed: over the evaluation budget of 10000 at 1:6`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := ticket("1", monday, tt.props)
			d, _, err := e.Decide(Input{ObjectType: hubspot.Tickets, Record: rec}, &State{}, monday)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range d.Problems {
				got = append(got, p.String())
			}
			if d.Rule != tt.rule || !slices.Equal(got, tt.want) {
				t.Fatalf("got rule %q problems %q, want %q %q", d.Rule, got, tt.rule, tt.want)
			}
			for _, p := range tt.want {
				if !strings.Contains(d.Explanation, "sääntöjen ongelmat: "+p) {
					t.Errorf("explanation %q lacks %q", d.Explanation, p)
				}
			}
			if strings.Contains(d.Explanation, "131052") {
				t.Errorf("explanation %q holds the record's value", d.Explanation)
			}
		})
	}
}

// TestRunTestsFailsOnProblems checks that `rules test` fails a case whose
// expectations hold only because a failing condition counted as false.
func TestRunTestsFailsOnProblems(t *testing.T) {
	dir := t.TempDir()
	rules := `object: tickets
routes:
  - name: units
    when: int(props["alusta_units"]) > 3
    queue: big
  - name: rest
    queue: rest
`
	cases := `object: tickets
cases:
  - name: text in a number field
    now: 2026-11-24T10:00:00+02:00
    record:
      id: "1"
      created: 2026-11-24T09:00:00+02:00
      properties: {alusta_units: many}
    expect:
      queue: rest
`
	for name, src := range map[string]string{"tickets.yaml": rules, "tickets_test.yaml": cases} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	results, err := RunTests(dir, testMapping(t), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := "FAIL " + filepath.Join(dir, "tickets_test.yaml") + ": text in a number field\n" +
		"    route units: expression failed: invalid operation: int(…) at 1:1\n" +
		"    decision: sääntö rest; jono rest; sääntöjen ongelmat: route units: expression failed: invalid operation: int(…) at 1:1\n"
	if len(results) != 1 || out.String() != want {
		t.Errorf("got %d results and output\n%s\nwant one and\n%s", len(results), out.String(), want)
	}
}
