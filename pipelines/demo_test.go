package pipelines

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alusta/alusta/config/yamlpos"
)

// TestDemoRules runs the shipped *_test.yaml against the shipped rules.
func TestDemoRules(t *testing.T) {
	var out bytes.Buffer
	results, err := RunTests(testRulesDir, testMapping(t), &out)
	if err != nil {
		t.Fatalf("run tests: %v", err)
	}
	if len(results) < 20 {
		t.Errorf("got %d cases, want at least 20", len(results))
	}
	for _, r := range results {
		if len(r.Failures) > 0 {
			t.Errorf("%s", out.String())
			break
		}
	}
}

// TestCaseTypos checks that a test case naming a stage label or an owner
// that cannot exist is an error at its position, not a case that passes by
// accident.
func TestCaseTypos(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"calendars.yaml", "tickets.yaml"} {
		data, err := os.ReadFile(filepath.Join(testRulesDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := `object: tickets
cases:
  - name: typos
    now: 2026-11-24T10:00:00+02:00
    open_tickets: {aino.virtanen@kotitori.example.fi: 1, aino@kotitori.example.fi: 2}
    record:
      id: "1"
      created: 2026-11-24T09:00:00+02:00
      properties: {hs_pipeline_stage: New, hs_ticket_priority: LOW}
    expect:
      owner: none
      stage: Closed
`
	file := filepath.Join(dir, "tickets_test.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := RunTests(dir, testMapping(t), io.Discard)
	var es yamlpos.Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want yamlpos.Errors", err)
	}
	var got []string
	for _, e := range es {
		got = append(got, strings.TrimPrefix(e.Error(), dir+string(filepath.Separator)))
	}
	const stages = "(want Uusi, Työn alla, Odottaa asiakasta, Suljettu)"
	want := []string{
		`tickets_test.yaml:5:84: cases[0].open_tickets.aino@kotitori.example.fi: owner "aino@kotitori.example.fi" is in no team (want aino.virtanen@`,
		`tickets_test.yaml:9:39: cases[0].record.properties.hs_pipeline_stage: unknown stage "New" ` + stages,
		`tickets_test.yaml:12:14: cases[0].expect.stage: unknown stage "Closed" ` + stages,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d: got %s, want %s", i, got[i], want[i])
		}
	}
}
