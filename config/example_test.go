package config

import (
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestExample keeps alusta.example.yaml loadable, complete (every key) and
// true to the defaults it claims.
func TestExample(t *testing.T) {
	cfg, err := Load("alusta.example.yaml", nil, nil)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	def, err := Load(os.DevNull, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.File, def.File = "", ""
	cfg.Sources, def.Sources = nil, nil
	if !slices.Equal(cfg.Warnings, def.Warnings) {
		t.Errorf("warnings: got %v, want %v", cfg.Warnings, def.Warnings)
	}
	cfg.Warnings, def.Warnings = nil, nil
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("the example's values differ from the defaults:\n got %+v\nwant %+v", *cfg, *def)
	}
	data, err := os.ReadFile("alusta.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		t.Fatal(err)
	}
	for _, key := range slices.Sorted(maps.Keys(defaults)) {
		var node any = tree
		for _, name := range strings.Split(key, ".") {
			m, _ := node.(map[string]any)
			node = m[name]
			if _, ok := m[name]; !ok {
				t.Errorf("alusta.example.yaml lacks %s", key)
				break
			}
		}
	}
}
