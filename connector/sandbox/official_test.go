package sandbox

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot/spectest"
)

// TestOfficialClient runs testdata/npm-client/conformance.js, which drives
// the sandbox with HubSpot's official Node client (@hubspot/api-client).
// It needs node and the npm install, so it runs only when asked:
//
//	(cd testdata/npm-client && npm install --no-audit --no-fund)
//	ALUSTA_NPM_TEST=1 go test ./connector/sandbox -run TestOfficialClient
//
// Every request the official client sends and every answer the sandbox
// gives is validated against HubSpot's specs as well.
func TestOfficialClient(t *testing.T) {
	if os.Getenv("ALUSTA_NPM_TEST") != "1" {
		t.Skip("set ALUSTA_NPM_TEST=1 (and npm install in testdata/npm-client) to run")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "npm-client"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@hubspot", "api-client")); err != nil {
		t.Skipf("npm install has not run in %s: %v", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	srv, err := New(Options{Seed: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	specs := spectest.Load(t)
	for _, p := range v4PerRecord {
		m, path, _ := strings.Cut(p, " ")
		specs.Allow(m, path)
	}
	ts := httptest.NewServer(specs.Wrap(t, srv))
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "conformance.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SANDBOX_URL="+ts.URL)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("conformance.js: %v", err)
	}
	if !strings.Contains(string(out), "checks passed") {
		t.Errorf("conformance.js: no success line in its output")
	}
}
