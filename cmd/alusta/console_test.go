package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRefusesOpenConsole checks that alusta run will not serve the
// console beyond loopback without sign-in, and stops before it starts
// anything.
func TestRunRefusesOpenConsole(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "alusta.db")
	_, err := runAlusta(t, "run", "--demo", "--http-addr", "0.0.0.0:0", "--store", db)
	want := "run: refusing to start: console: http.addr 0.0.0.0:0 is not a loopback address: refusing to serve the console without sign-in"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want an error starting %q", err, want)
	}
	if _, serr := os.Stat(db); !os.IsNotExist(serr) {
		t.Errorf("the store was created before the refusal: %v", serr)
	}
}

// TestConsoleSettings checks that console sign-in settings are validated
// together, naming every missing key.
func TestConsoleSettings(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{name: "oidc without its settings", yaml: "console:\n  auth: oidc\n  oidc_issuer: https://login.example\n",
			want: []string{"console.allowed_groups: empty: console.auth oidc needs it", "console.oidc_client_id: empty: console.auth oidc needs it",
				"console.oidc_client_secret: empty: console.auth oidc needs it", "console.oidc_redirect_url: empty: console.auth oidc needs it"}},
		{name: "proxy without trusted addresses", yaml: "console:\n  auth: proxy\n",
			want: []string{"console.proxy_trusted: empty: console.auth proxy needs the proxy's addresses",
				"console.allowed_groups: empty: console.auth proxy needs the groups allowed in"}},
		{name: "unknown mode", yaml: "console:\n  auth: basic\n", want: []string{`alusta.yaml:2:9: console.auth: "basic": want none, oidc or proxy`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, "alusta.yaml")
			if err := os.WriteFile(file, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := runAlusta(t, "--config", file, "config", "show")
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}
