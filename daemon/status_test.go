package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestStatusRemembered checks what the daemon leaves in the store for the
// operations console: each load of the rules with the files then in force
// (test cases left out), a failed reload beside the rules still in force,
// and the cycles worth a row.
func TestStatusRemembered(t *testing.T) {
	dir := t.TempDir()
	files, err := filepath.Glob("testdata/console/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("rule files: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := newInProcessWith(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), dir)
	ctx := context.Background()
	last, ok, inForce, _, err := p.store.RuleLoads(ctx)
	if err != nil || !ok || !last.OK {
		t.Fatalf("after start-up: last load %+v (%v, %v), want a successful one", last, ok, err)
	}
	var names []string
	for _, f := range inForce.Files {
		names = append(names, filepath.Base(f.Path))
		if len(f.SHA256) != 64 || f.ModTime.IsZero() {
			t.Errorf("file %s: checksum %q, modified %v", f.Path, f.SHA256, f.ModTime)
		}
	}
	if want := []string{"mapping.yaml", "calendars.yaml", "deals.yaml", "tickets.yaml"}; !slices.Equal(names, want) {
		t.Errorf("files in force: got %v, want %v", names, want)
	}

	tickets := filepath.Join(dir, "tickets.yaml")
	if err := os.WriteFile(tickets, []byte("object: tickets\nroutes: [{queue: }]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.now = p.now.Add(time.Minute)
	if err := p.d.Reload(ctx); err == nil {
		t.Fatal("a broken rule file reloaded")
	}
	last, _, after, _, err := p.store.RuleLoads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last.OK || !strings.Contains(last.Error, "tickets.yaml") || !last.At.Equal(p.now) {
		t.Errorf("last load: got %+v, want the failure naming tickets.yaml at %v", last, p.now)
	}
	if !after.At.Equal(inForce.At) {
		t.Errorf("rules in force: loaded at %v, want still those of %v", after.At, inForce.At)
	}

	p.d.noteCycle(ctx, false, Summary{}, nil)
	p.d.noteCycle(ctx, true, Summary{Pulled: 3, Calls: 2, Duration: time.Second}, nil)
	p.d.noteCycle(ctx, false, Summary{}, errors.New("hubspot: search tickets: 502"))
	cycles, err := p.store.SyncCycles(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(cycles) != 2 || cycles[0].Error != "hubspot: search tickets: 502" || !cycles[1].Full || cycles[1].Pulled != 3 ||
		!cycles[1].StartedAt.Equal(p.now.Add(-time.Second)) {
		t.Errorf("cycles: got %+v, want the failed targeted one and the full one, not the idle one", cycles)
	}
}
