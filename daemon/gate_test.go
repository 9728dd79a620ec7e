package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/pipelines"
)

// TestReloadGate edits the rules under a running daemon as an admin would:
// an edit whose own test case fails is not loaded and the error names the
// case; once the test is updated, the edit would re-route hundreds of
// tickets, so it waits for approval; approved, it goes live.
func TestReloadGate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files, err := filepath.Glob("testdata/rules/*.yaml")
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
	p.cycle(t)
	first, ok, err := LoadLiveRules(ctx, p.store)
	if err != nil || !ok {
		t.Fatalf("live rules after start-up: ok %t, err %v", ok, err)
	}
	edit := func(name, old, repl string) {
		t.Helper()
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(b), old, repl)
		if s == string(b) {
			t.Fatalf("%s: no %q to replace", name, old)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	live := func() string {
		t.Helper()
		l, _, err := LoadLiveRules(ctx, p.store)
		if err != nil {
			t.Fatal(err)
		}
		return l.Fingerprint
	}

	edit("tickets.yaml", "queue: neuvonta\n", "queue: yleisneuvonta\n")
	err = p.d.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), `tickets_test.yaml: "advice goes to the advice team in turn, first response in 4 working hours": queue: got "yleisneuvonta", want "neuvonta"`) {
		t.Fatalf("reload with a failing case: got %v, want the case named", err)
	}
	if got := live(); got != first.Fingerprint {
		t.Errorf("after a failing case: live rules %s, want the last good %s", got, first.Fingerprint)
	}

	edit("tickets_test.yaml", "      queue: neuvonta\n", "      queue: yleisneuvonta\n")
	err = p.d.Reload(ctx)
	if !errors.Is(err, ErrNeedsApproval) || !strings.Contains(err.Error(), "more than rules.max_changes (200)") {
		t.Fatalf("reload of a large change: got %v, want it held for approval", err)
	}
	if got := live(); got != first.Fingerprint {
		t.Errorf("while held: live rules %s, want the last good %s", got, first.Fingerprint)
	}
	if err := p.d.applyApproved(ctx); err != nil || live() != first.Fingerprint {
		t.Fatalf("before approval: got %v, live %s, want nothing applied", err, live())
	}
	// A restart does not let the held change through.
	restarted, err := New(Options{Client: p.client, Store: p.store, PipelinesDir: dir, MappingsDir: "../testdata/rules/mappings",
		Now: func() time.Time { return p.now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if got := restarted.rules.Load().fingerprint; got != first.Fingerprint || live() != first.Fingerprint {
		t.Fatalf("after a restart: running %s (recorded %s), want the last good %s", got, live(), first.Fingerprint)
	}

	srcs, err := pipelines.Sources(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := pipelines.Fingerprint(srcs)
	if err := Approve(ctx, p.store, Approval{Fingerprint: want, By: "admin", At: p.now}); err != nil {
		t.Fatal(err)
	}
	if err := p.d.applyApproved(ctx); err != nil {
		t.Fatalf("after approval: %v", err)
	}
	if got := live(); got != want {
		t.Errorf("after approval: live rules %s, want %s", got, want)
	}
	if p.d.awaiting.Load() != nil {
		t.Error("after approval: still awaiting approval")
	}
}
