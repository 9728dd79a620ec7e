package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alusta/alusta/config/yamlpos"
)

func TestLoadDemo(t *testing.T) {
	r, err := Load(testRulesDir, testMapping(t))
	if err != nil {
		t.Fatalf("load demo rules: %v", err)
	}
	if w := r.Warnings(); len(w) != 0 {
		t.Errorf("got warnings %q, want none", w)
	}
}

// TestLoadBroken checks that a broken folder reports every problem, in
// order, with file:line:col, against testdata/broken.golden (the output of
// `alusta rules check`: warnings first, then errors).
func TestLoadBroken(t *testing.T) {
	dir := filepath.Join("testdata", "broken")
	warnings, err := Check(dir, testMapping(t))
	var es yamlpos.Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want yamlpos.Errors", err)
	}
	var lines []string
	for _, w := range warnings {
		lines = append(lines, "warning: "+w)
	}
	for _, e := range es {
		lines = append(lines, e.Error())
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "broken.golden"))
	if err != nil {
		t.Fatal(err)
	}
	got, want := strings.Join(lines, "\n")+"\n", string(golden)
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if _, err := Load(dir, testMapping(t)); err == nil {
		t.Error("Load: got nil error, want errors")
	}
}

// TestNoRuleFiles checks that a folder without rule files is an error
// rather than an empty rule set that decides nothing.
func TestNoRuleFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tickets_test.yaml"), []byte("cases: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "pipelines: no rule files (*.yaml) in " + dir
	if _, err := Load(dir, testMapping(t)); err == nil || err.Error() != want {
		t.Errorf("Load: got %v, want %s", err, want)
	}
	if _, err := Check(dir, testMapping(t)); err == nil || err.Error() != want {
		t.Errorf("Check: got %v, want %s", err, want)
	}
}

func TestLoadErrors(t *testing.T) {
	const teams = "teams:\n  a:\n    members: [x@example.fi]\n"
	const cal = "calendars:\n  c:\n    hours: {mon: [\"08:00-16:00\"]}\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown pool", "object: tickets\nroutes:\n  - queue: q\n  - queue: q\n  - assign:\n      pool: nurses\n",
			[]string{`t.yaml:6:13: routes[2].assign.pool: unknown pool "nurses"`}},
		{"no fallback", "object: tickets\nroutes:\n  - when: priority == \"LOW\"\n    queue: q\n",
			[]string{`t.yaml:3:5: routes[0]: the last route must be a fallback without when`}},
		{"no routes", "object: deals\n", []string{`t.yaml:1:1: routes: missing; at least a fallback route is required`}},
		{"empty routes", "object: deals\nroutes: []\n", []string{`t.yaml:2:1: routes: empty; at least a fallback route is required`}},
		{"unknown object", "object: contacts\n", []string{`t.yaml:1:9: object: unknown object "contacts" (want tickets or deals)`}},
		{"routes without object", "routes:\n  - queue: q\n", []string{`t.yaml:1:1: object: missing (tickets or deals) for routes and sla`}},
		{"wrong kind", "object: tickets\nroutes: {queue: q}\n", []string{`t.yaml:2:9: routes: want a list, got a mapping`}},
		{"wrong scalar", "object: tickets\nroutes:\n  - queue: q\n    continue: maybe\n",
			[]string{`t.yaml:4:15: routes[0].continue: cannot read "maybe" as a bool`}},
		{"not a number", cal + "object: tickets\nroutes:\n  - queue: q\nsla:\n  - name: s\n    calendar: c\n    stop: stage == \"closed\"\n    warning: high\n    goals: [{target: 1h}]\n",
			[]string{`t.yaml:11:14: sla[0] "s".warning: cannot read "high" as a float64`}},
		{"expression type", "object: tickets\nroutes:\n  - when: priority\n    queue: q\n  - queue: q\n",
			[]string{`t.yaml:3:11: routes[0].when: bad expression: expected bool, but got string`}},
		{"provider on tickets", teams + "object: tickets\nroutes:\n  - provider: {strategy: round_robin}\n",
			[]string{`t.yaml:6:5: routes[0].provider: providers are assigned to deals only`}},
		{"shortlist on deals", "object: deals\nroutes:\n  - shortlist: {max: 5}\n",
			[]string{`t.yaml:3:5: routes[0].shortlist: shortlists are written on tickets only`}},
		{"shortlist strategy and max", "object: tickets\nroutes:\n  - shortlist: {max: 0, strategy: ordered}\n", []string{
			`t.yaml:3:22: routes[0].shortlist.max: max must be between 1 and 20, got 0`,
			`t.yaml:3:35: routes[0].shortlist.strategy: unknown strategy "ordered" (want price, round_robin, weighted, least_loaded)`}},
		{"suggestions on deals", "object: deals\nroutes:\n  - suggest_activities: {max: 30}\n", []string{
			`t.yaml:3:5: routes[0].suggest_activities: activities are suggested on tickets only`,
			`t.yaml:3:31: routes[0].suggest_activities.max: max must be between 1 and 20, got 30`}},
		{"ordered without order", "object: deals\nroutes:\n  - provider: {strategy: ordered}\n",
			[]string{`t.yaml:3:5: routes[0].provider: order: missing for the ordered strategy`}},
		{"no action", "object: deals\nroutes:\n  - name: empty\n", []string{`t.yaml:3:5: routes[0] "empty": no action: give queue, assign, priority, stage, note, provider, shortlist or suggest_activities`}},
		{"bad priority", "object: tickets\nroutes:\n  - priority: HUGE\n", []string{`t.yaml:3:15: routes[0].priority: unknown priority "HUGE" (want LOW, MEDIUM, HIGH, URGENT)`}},
		{"alias", "object: tickets\nx: &a q\nroutes:\n  - queue: *a\n", []string{
			`t.yaml:2:1: unknown field "x"`,
			`t.yaml:4:5: routes[0]: no action: give queue, assign, priority, stage, note, provider, shortlist or suggest_activities`,
			`t.yaml:4:12: routes[0].queue: aliases are not supported`}},
		{"syntax", "object: tickets\nroutes:\n  - queue: [\n", []string{`t.yaml:3:1: did not find expected node content`}},
		{"duplicate key", "object: tickets\nobject: deals\n", []string{
			`t.yaml:1:1: routes: missing; at least a fallback route is required`,
			`t.yaml:2:1: field "object" given twice`}},
		{"over the evaluation budget", "object: tickets\nroutes:\n  - when: 'all(1..990000, # > 0)'\n    queue: q\n  - queue: q\n",
			[]string{`t.yaml:3:11: routes[0].when: expression is over the evaluation budget of 10000 on every record (ranges, lists and strings it builds): make it do less`}},
		{"nested loops over the budget", "object: tickets\nroutes:\n  - when: 'all(1..500, {all(1..500, # > 0)})'\n    queue: q\n  - queue: q\n",
			[]string{`t.yaml:3:11: routes[0].when: expression is over the evaluation budget of 10000 on every record (ranges, lists and strings it builds): make it do less`}},
		{"set of a property alusta does not create", cal + "object: tickets\nroutes:\n  - queue: q\nsla:\n  - name: s\n    calendar: c\n    stop: stage == \"closed\"\n    goals: [{target: 1h}]\n    on_breach:\n      set: {alusta_nosuch: x}\n",
			[]string{`t.yaml:13:28: sla[0] "s".on_breach.set.alusta_nosuch: unknown property "alusta_nosuch": alusta neither reads it nor creates it, and HubSpot would reject every write of it; create it in HubSpot and list it under objects.tickets.read in the mapping, or set a property alusta writes (alusta_queue, alusta_provider, alusta_declined_by, alusta_sla_due, alusta_sla_status, alusta_decision, alusta_shortlist, alusta_activity_suggestions, alusta_referral_status, alusta_referral_of)`}},
		{"calendar without hours", "calendars:\n  c: {time_zone: UTC}\n", []string{`t.yaml:2:3: calendars.c: hours: missing (or set always_open: true)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(map[string][]byte{"t.yaml": []byte(tt.src)}, testMapping(t))
			var es yamlpos.Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want yamlpos.Errors", err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	src := `object: tickets
routes:
  - when: priority == "URGENT"
    queue: a
  - when: priority  ==  "URGENT"
    queue: b
  - when: language == "sv"
    queue: c
    continue: true
  - when: language == "sv"
    queue: d
  - queue: e
  - queue: f
`
	r, err := Parse(map[string][]byte{"t.yaml": []byte(src)}, testMapping(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`t.yaml:5:11: routes[1].when: shadowed: routes[0] has the same condition and does not continue`,
		`t.yaml:13:5: routes[5]: unreachable: routes[4] matches every record and does not continue`,
	}
	if got := r.Warnings(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
