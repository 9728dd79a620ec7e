package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/config"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// demoApp is `alusta --demo` with its store in dir, the rules from
// testdata and a small demo portal.
func demoApp(t *testing.T, dir string, logs *bytes.Buffer) *app {
	rules := filepath.Join("..", "..", "testdata", "rules")
	return demoAppWith(t, dir, filepath.Join(rules, "pipelines"), filepath.Join(rules, "mappings"), logs)
}

func demoAppWith(t *testing.T, dir, pipelinesDir, mappingsDir string, logs *bytes.Buffer) *app {
	t.Helper()
	cfg, err := config.Load("", nil, []string{
		"ALUSTA_STORE_PATH=" + filepath.Join(dir, "alusta.db"),
		"ALUSTA_PIPELINES_DIR=" + pipelinesDir,
		"ALUSTA_MAPPINGS_DIR=" + mappingsDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &app{cfg: cfg, log: slog.New(slog.NewTextHandler(logs, nil)), demoSize: sandbox.DemoSize{Tickets: 120, Deals: 80}}
	if err := a.chooseDemo(true); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDemoSandboxEnforcesItsToken checks that the demo sandbox, listening
// on loopback where any local user can reach it, answers only alusta.
func TestDemoSandboxEnforcesItsToken(t *testing.T) {
	var logs bytes.Buffer
	a := demoApp(t, t.TempDir(), &logs)
	b, err := a.connect(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	defer b.start(ctx, a.log)()
	if _, err := b.client.Owners(ctx); err != nil {
		t.Fatalf("alusta's own client: %v", err)
	}
	for _, tok := range []string{"sandbox", "demo-0000000000000000"} {
		req, _ := http.NewRequest(http.MethodGet, b.baseURL+"/crm/v3/owners/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token %q: got %d, want 401", tok, resp.StatusCode)
		}
	}
}

// TestDemoAgreesAfterCrashBeforeFirstSave runs the demo once, loses the
// sandbox's state file as a SIGKILL before its first save does, and runs
// it again: the reseeded sandbox is a new portal, and one cycle must
// route every ticket of it.
func TestDemoAgreesAfterCrashBeforeFirstSave(t *testing.T) {
	if testing.Short() {
		t.Skip("two demo syncs")
	}
	dir := t.TempDir()
	var logs bytes.Buffer
	ctx := context.Background()
	if _, _, err := demoApp(t, dir, &logs).syncOnce(ctx); err != nil {
		t.Fatalf("first run: %v", err)
	}
	state := filepath.Join(dir, "alusta-sandbox.json")
	if err := os.Remove(state); err != nil {
		t.Fatalf("the first run saved no sandbox state: %v", err)
	}

	sum, _, err := demoApp(t, dir, &logs).syncOnce(ctx)
	if err != nil {
		t.Fatalf("run after the crash: %v", err)
	}
	if !strings.Contains(logs.String(), "starting the demo cache again") {
		t.Errorf("got no warning that the demo cache was started again; log:\n%s", logs.String())
	}
	assertRouted(t, state, sum)
}

// TestDemoAgreesAfterCrashAfterPeriodicSave kills the demo after a
// periodic save of the sandbox that came before alusta's writes: the
// sandbox restarts without them, the cache remembers them, and one cycle
// must make the two agree again.
func TestDemoAgreesAfterCrashAfterPeriodicSave(t *testing.T) {
	if testing.Short() {
		t.Skip("two demo syncs")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "alusta-sandbox.json")
	a := demoApp(t, dir, &bytes.Buffer{})
	// The periodic save: the freshly seeded portal, before any write.
	crm, err := sandbox.New(sandbox.Options{Seed: "demo", StatePath: state, DemoSize: a.demoSize})
	if err != nil {
		t.Fatal(err)
	}
	if err := crm.Save(); err != nil {
		t.Fatal(err)
	}
	periodic, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := a.syncOnce(ctx); err != nil {
		t.Fatalf("first run: %v", err)
	}
	// The kill: the state on disk is the periodic save's.
	if err := os.WriteFile(state, periodic, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	sum, _, err := demoApp(t, dir, &logs).syncOnce(ctx)
	if err != nil {
		t.Fatalf("run after the crash: %v", err)
	}
	if !strings.Contains(logs.String(), "read from a periodic save") {
		t.Errorf("got no warning that the demo cache was started again; log:\n%s", logs.String())
	}
	assertRouted(t, state, sum)
}

// assertRouted checks that the sandbox state file holds no ticket without
// a queue.
func assertRouted(t *testing.T, state string, sum daemon.Summary) {
	t.Helper()
	crm, err := sandbox.New(sandbox.Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	defer crm.Close()
	var unrouted []string
	ids := crm.Objects(hubspot.Tickets)
	for _, id := range ids {
		if o, ok := crm.Object(hubspot.Tickets, id); !ok || o.Properties["alusta_queue"] == nil || *o.Properties["alusta_queue"] == "" {
			unrouted = append(unrouted, id)
		}
	}
	if len(ids) == 0 || len(unrouted) > 0 {
		t.Errorf("after one cycle (%s): %d of %d tickets unrouted: %v", sum, len(unrouted), len(ids), unrouted)
	}
}

// TestNoTokenWithProductionStore is the container whose token secret
// failed to mount: it must stop, not serve the demo.
func TestNoTokenWithProductionStore(t *testing.T) {
	if os.Getenv("ALUSTA_HUBSPOT_TOKEN") != "" {
		t.Skip("ALUSTA_HUBSPOT_TOKEN is set in this environment")
	}
	db := filepath.Join(t.TempDir(), "alusta.db")
	for _, cmd := range [][]string{{"sync", "--once"}, {"run"}} {
		out, code := runCLI(t, append([]string{"--store", db}, cmd...)...)
		want := "config: hubspot.token: not set, but store.path (by --store) is set, so this is not the demo"
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("%s: got exit %d, output %q; want exit 1 and %q", cmd[0], code, out, want)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%s: created %s before refusing", cmd[0], db)
		}
	}
}

// TestExplainShowsProblems checks that `rules explain` shows a condition
// that failed on the record rather than only the fallback it led to.
func TestExplainShowsProblems(t *testing.T) {
	var out bytes.Buffer
	printDecision(&out, pipelines.Decision{ObjectType: hubspot.Tickets, RecordID: "7", Rule: "rest",
		Problems: []pipelines.Problem{{Rule: "route big", Err: "over the evaluation budget of 10000 at 1:5"}}}, nil, nil, nil, time.UTC)
	want := "problem: route big: expression failed: over the evaluation budget of 10000 at 1:5 (counted as false)\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("got\n%s\nwant a line %q", out.String(), want)
	}
}

// TestOneBadPropertyDoesNotStopTheSync is the audit's write of a property
// HubSpot refuses (the audit's was an `on_breach.set` of a property the
// portal lacks; breach actions do not run on a first sync, and a mapped
// property the portal lacks now stops the start, so here the mapping
// points the complaints route's priority at an enumeration whose options
// have no HIGH): HubSpot refuses every write of it, and the sync must
// still write everything else and name what it could not.
func TestOneBadPropertyDoesNotStopTheSync(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo sync")
	}
	src := filepath.Join("..", "..", "testdata", "rules")
	dir := t.TempDir()
	pipes, maps := filepath.Join(dir, "pipelines"), filepath.Join(dir, "mappings")
	copyEdited := func(from, to, old, new string) {
		t.Helper()
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s lacks %q", from, old)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyEdited(filepath.Join(src, "pipelines", "calendars.yaml"), filepath.Join(pipes, "calendars.yaml"), "", "")
	copyEdited(filepath.Join(src, "pipelines", "deals.yaml"), filepath.Join(pipes, "deals.yaml"), "", "")
	copyEdited(filepath.Join(src, "pipelines", "tickets.yaml"), filepath.Join(pipes, "tickets.yaml"), "", "")
	copyEdited(filepath.Join(src, "mappings", "mapping.yaml"), filepath.Join(maps, "mapping.yaml"),
		"      priority: hs_ticket_priority\n", "      priority: hs_ticket_category\n")

	var logs bytes.Buffer
	a := demoAppWith(t, dir, pipes, maps, &logs)
	sum, _, err := a.syncOnce(context.Background())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if !strings.Contains(logs.String(), `property=hs_ticket_category`) {
		t.Errorf("the log names no refused hs_ticket_category write:\n%s", logs.String())
	}
	crm, err := sandbox.New(sandbox.Options{StatePath: filepath.Join(dir, "alusta-sandbox.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer crm.Close()
	ids := crm.Objects(hubspot.Tickets)
	var unrouted []string
	for _, id := range ids {
		if o, ok := crm.Object(hubspot.Tickets, id); !ok || o.Properties["alusta_queue"] == nil || *o.Properties["alusta_queue"] == "" {
			unrouted = append(unrouted, id)
		}
	}
	if len(ids) == 0 || len(unrouted) > 0 {
		t.Errorf("%s: %d of %d tickets unrouted: %v", sum, len(unrouted), len(ids), unrouted)
	}
}

// TestExplainRefusesAnotherPortalsStore checks that explain does not
// decide with the memory of a store that belongs to another portal.
func TestExplainRefusesAnotherPortalsStore(t *testing.T) {
	crm, err := sandbox.New(sandbox.Options{Seed: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	defer crm.Close()
	srv := httptest.NewServer(crm)
	defer srv.Close()
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("sandbox\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "alusta.db")
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.BindPortal(context.Background(), store.Portal{ID: 12345}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, code := runCLI(t, "--base-url", srv.URL, "--token-file", token, "--store", db, "rules", "explain", "--ticket", "1")
	for _, want := range []string{
		"store.path " + db + " belongs to HubSpot portal 12345 (since ",
		fmt.Sprintf("but hubspot.token and hubspot.base_url reach portal %d: give each portal its own store.path", crm.PortalID()),
	} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("got exit %d, output %q; want exit 1 and %q", code, out, want)
		}
	}
}
