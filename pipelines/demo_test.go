package pipelines

import (
	"bytes"
	"testing"

	"github.com/alusta/alusta/mappings"
)

// TestDemoRules runs the shipped *_test.yaml against the shipped rules.
func TestDemoRules(t *testing.T) {
	var out bytes.Buffer
	results, err := RunTests(".", mappings.Default(), &out)
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
