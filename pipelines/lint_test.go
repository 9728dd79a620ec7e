package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alusta/alusta/config/yamlpos"
)

// TestCheckLint checks what rules check catches beyond what compiles,
// against testdata/lint/NAME.golden (warnings first, then errors).
func TestCheckLint(t *testing.T) {
	for _, name := range []string{"errors", "unused"} {
		t.Run(name, func(t *testing.T) {
			warnings, err := Check(filepath.Join("testdata", "lint", name), testMapping(t))
			var lines []string
			for _, w := range warnings {
				lines = append(lines, "warning: "+w)
			}
			var es yamlpos.Errors
			if errors.As(err, &es) {
				for _, e := range es {
					lines = append(lines, e.Error())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			golden, err := os.ReadFile(filepath.Join("testdata", "lint", name+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(lines, "\n")+"\n", string(golden); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	tests := []struct {
		s    string
		want string
	}{
		{"kidn", "kind"},
		{"priorty", "priority"},
		{"waitng", "waiting"},
		{"zzz", ""},
		{"municipalty", "municipality"},
	}
	names := []string{"kind", "priority", "waiting", "municipality", "language"}
	for _, tt := range tests {
		if got := closest(tt.s, names); got != tt.want {
			t.Errorf("closest(%q): got %q, want %q", tt.s, got, tt.want)
		}
	}
}
