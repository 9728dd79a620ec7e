package pipelines

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/alusta/alusta/mappings"
)

// FuzzLoad feeds arbitrary YAML to the loader: it must return rules or
// errors, never panic. The seed corpus is the copy of the demo rules, the broken
// fixtures and testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{filepath.Join(testRulesDir, "*.yaml"), "testdata/broken/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	m := testMapping(f)
	shared, err := os.ReadFile(filepath.Join(testRulesDir, "calendars.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(map[string][]byte{"calendars.yaml": shared, "fuzz.yaml": data}, m)
		if (r == nil) == (err == nil) {
			t.Fatalf("got rules %v and error %v, want exactly one", r != nil, err)
		}
		_, _ = mappings.Parse("mapping.yaml", data)
	})
}
