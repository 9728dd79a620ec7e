package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigShow checks that config show names the file it read and never
// prints the token.
func TestConfigShow(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "alusta.yaml")
	if err := os.WriteFile(file, []byte("hubspot:\n  token: pat-eu1-secret\n  rate_limit: 190\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runAlusta(t, "--config", file, "config", "show")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# read from " + file + ", then ALUSTA_* and flags\n", "  token: <redacted>\n", "  rate_limit: 190\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pat-eu1") {
		t.Errorf("the token was printed:\n%s", out)
	}
	if _, err := runAlusta(t, "--config", filepath.Join(dir, "typo.yaml"), "config", "show"); err == nil {
		t.Error("missing --config file: got no error")
	}
}
