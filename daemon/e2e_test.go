package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// The end-to-end tests run the daemon in a child process (this test binary
// again, see TestMain) so that it can be killed for real, mid-sync, with no
// chance to save anything.
const (
	childEnv   = "ALUSTA_DAEMON_TEST_CHILD"
	baseURLEnv = "ALUSTA_DAEMON_TEST_BASE_URL"
	storeEnv   = "ALUSTA_DAEMON_TEST_STORE"
	nowEnv     = "ALUSTA_DAEMON_TEST_NOW"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// child syncs until a cycle writes nothing, as a daemon would over its
// first few cycles.
func child() int {
	now, err := time.Parse(time.RFC3339, os.Getenv(nowEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	if _, err := converge(context.Background(), os.Getenv(baseURLEnv), os.Getenv(storeEnv), now, 6); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// converge runs cycles until one makes no write, and returns the
// summaries.
func converge(ctx context.Context, baseURL, storePath string, now time.Time, maxCycles int) ([]Summary, error) {
	clock := func() time.Time { return now }
	client, err := hubspot.New(hubspot.Options{
		BaseURL: baseURL, Token: "e2e", RateLimit: 250, SearchRate: 50,
		RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond, MaxRetries: 8,
	})
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, storePath, store.Options{Now: clock})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	d, err := New(Options{
		Client: client, Store: st, PipelinesDir: "../testdata/rules/pipelines", MappingsDir: "../testdata/rules/mappings",
		Lookback: time.Minute, Now: clock,
	})
	if err != nil {
		return nil, err
	}
	if err := d.Prepare(ctx); err != nil {
		return nil, err
	}
	var sums []Summary
	for range maxCycles {
		sum, err := d.Cycle(ctx)
		if err != nil {
			return sums, err
		}
		sums = append(sums, sum)
		if sum.Writes == 0 {
			return sums, nil
		}
	}
	return sums, fmt.Errorf("no quiet cycle after %d: %+v", maxCycles, sums)
}

// writtenProps are the properties whose final values must not depend on
// faults, crashes or restarts.
var writtenProps = map[string][]string{
	hubspot.Tickets: {"alusta_queue", "hubspot_owner_id", "hs_ticket_priority", "hs_pipeline_stage", "alusta_sla_due", "alusta_sla_status", "alusta_decision"},
	hubspot.Deals:   {"alusta_queue", "alusta_provider", "alusta_declined_by", "dealstage", "alusta_sla_due", "alusta_sla_status", "alusta_decision"},
}

// TestCrashAndFaultsConverge kills the daemon mid-sync against a sandbox
// that answers with 429s, 5xx and a lagging search index, while a person
// edits records, then restarts it. The end state of every record must be
// the one a clean run reaches, no write may be logged twice, and the
// person's edits must survive.
func TestCrashAndFaultsConverge(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC) // a Monday morning
	decideAt := t0.Add(90 * time.Minute)

	// The reference: the same seed, no faults, no crash, in this process.
	ref := newSandbox(t, t0, sandbox.Faults{})
	refSrv := httptest.NewServer(ref)
	t.Cleanup(refSrv.Close)
	if _, err := converge(context.Background(), refSrv.URL, filepath.Join(t.TempDir(), "ref.db"), decideAt, 6); err != nil {
		t.Fatalf("reference run: %v", err)
	}

	crm := newSandbox(t, t0, sandbox.Faults{TooManyShare: 0.05, ServerErrorShare: 0.03, SearchLag: 500 * time.Millisecond, Seed: 7})
	var (
		updates  atomic.Int32
		killOnce sync.Once
		kill     = make(chan struct{})
		edits    personEdits
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/batch/update") {
			switch n := updates.Add(1); n {
			case 4:
				edits.make(t, crm)
			case 9:
				killOnce.Do(func() { close(kill) })
			}
		}
		crm.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dbPath := filepath.Join(t.TempDir(), "alusta.db")

	// First run: killed with SIGKILL after the ninth batch update.
	cmd := childCmd(t, srv.URL, dbPath, decideAt)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-kill:
		cmd.Process.Signal(syscall.SIGKILL)
		err := <-done
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("first run: got %v, want death by SIGKILL", err)
		}
	case err := <-done:
		t.Fatalf("first run ended before it could be killed: %v", err)
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("first run: never reached the ninth batch update")
	}
	if !edits.done() {
		t.Fatal("the person's edits were not made before the kill")
	}

	// Second run: resumes and converges.
	cmd = childCmd(t, srv.URL, dbPath, decideAt)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}

	edited := edits.check(t, crm)
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		diffs := 0
		for _, id := range ref.Objects(typ) {
			if edited[typ+"/"+id] {
				continue
			}
			want, _ := ref.Object(typ, id)
			got, ok := crm.Object(typ, id)
			if !ok {
				t.Errorf("%s %s: missing after the faulty run", typ, id)
				continue
			}
			for _, p := range writtenProps[typ] {
				g, _ := got.Prop(p)
				w, _ := want.Prop(p)
				if g != w && diffs < 10 {
					diffs++
					t.Errorf("%s %s %s: got %q, want %q (as the clean run)", typ, id, p, g, w)
				}
			}
		}
	}
	assertNoDoubleWrites(t, dbPath)
}

// assertNoDoubleWrites checks the write log: a crash and a restart must
// not make alusta push the same value to the same property twice.
func assertNoDoubleWrites(t *testing.T, dbPath string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT object_type, record_id, property, new_value, count(*) FROM writes
		WHERE status = 'applied' GROUP BY 1, 2, 3, 4 HAVING count(*) > 1 LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, id, prop, val string
		var n int
		if err := rows.Scan(&typ, &id, &prop, &val, &n); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s %s %s=%q written %d times; its writes:%s", typ, id, prop, val, n, writeHistory(t, db, typ, id))
	}
	var total int
	if err := db.QueryRow(`SELECT count(*) FROM writes WHERE status = 'applied'`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Error("the write log is empty: the daemon wrote nothing")
	}
}

func writeHistory(t *testing.T, db *sql.DB, typ, id string) string {
	rows, err := db.Query(`SELECT property, old_value, new_value, status, decision_id, at FROM writes
		WHERE object_type = ? AND record_id = ? ORDER BY id`, typ, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var prop, old, val, status, at string
		var dec int64
		if err := rows.Scan(&prop, &old, &val, &status, &dec, &at); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n\t%s %s %q -> %q (%s, decision %d)", at, prop, old, val, status, dec)
	}
	return b.String()
}

// personEdits are a coordinator's edits made in the CRM while the daemon
// syncs: an owner changed on a ticket alusta already assigned (alusta must
// not overwrite it), and a ticket raised to URGENT before alusta read it
// (the change must reach the decision: queue kiireelliset).
type personEdits struct {
	mu      sync.Mutex
	made    bool
	owned   string // ticket whose owner the person changed
	owner   string // the owner the person chose
	urgent  string // ticket the person raised to URGENT
	failure error
}

func (e *personEdits) make(t *testing.T, crm *sandbox.Server) {
	e.mu.Lock()
	defer e.mu.Unlock()
	owners := crm.Owners()
	for _, id := range crm.Objects(hubspot.Tickets) {
		o, _ := crm.Object(hubspot.Tickets, id)
		q, _ := o.Prop("alusta_queue")
		cur, _ := o.Prop("hubspot_owner_id")
		stage, _ := o.Prop("hs_pipeline_stage")
		closed := stage == "" || isClosedTicketStage(crm, stage)
		switch {
		case e.owned == "" && q != "" && cur != "" && !closed:
			for _, ow := range owners {
				if ow.ID != cur {
					e.owned, e.owner = id, ow.ID
					break
				}
			}
			if err := crm.Update(hubspot.Tickets, id, map[string]string{"hubspot_owner_id": e.owner}); err != nil {
				e.failure = err
			}
		case e.urgent == "" && q == "" && !closed:
			e.urgent = id
			if err := crm.Update(hubspot.Tickets, id, map[string]string{"hs_ticket_priority": "URGENT", "alusta_ticket_kind": "neuvonta"}); err != nil {
				e.failure = err
			}
		}
		if e.owned != "" && e.urgent != "" {
			break
		}
	}
	e.made = true
}

func isClosedTicketStage(crm *sandbox.Server, stage string) bool {
	for _, p := range crm.Pipelines(hubspot.Tickets) {
		for _, s := range p.Stages {
			if s.ID == stage {
				return s.Metadata["isClosed"] == "true"
			}
		}
	}
	return false
}

func (e *personEdits) done() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.made
}

// check asserts the edits survived and returns the edited records.
func (e *personEdits) check(t *testing.T, crm *sandbox.Server) map[string]bool {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failure != nil {
		t.Fatalf("person's edit: %v", e.failure)
	}
	if e.owned == "" || e.urgent == "" {
		t.Fatalf("no tickets to edit: owned %q, urgent %q", e.owned, e.urgent)
	}
	o, _ := crm.Object(hubspot.Tickets, e.owned)
	if got, _ := o.Prop("hubspot_owner_id"); got != e.owner {
		t.Errorf("ticket %s: owner %q, want the person's %q kept", e.owned, got, e.owner)
	}
	u, _ := crm.Object(hubspot.Tickets, e.urgent)
	if got, _ := u.Prop("hs_ticket_priority"); got != "URGENT" {
		t.Errorf("ticket %s: priority %q, want the person's URGENT kept", e.urgent, got)
	}
	if got, _ := u.Prop("alusta_queue"); got != "kiireelliset" {
		t.Errorf("ticket %s: queue %q, want kiireelliset (the urgent edit must reach the decision)", e.urgent, got)
	}
	return map[string]bool{hubspot.Tickets + "/" + e.owned: true, hubspot.Tickets + "/" + e.urgent: true}
}

func newSandbox(t *testing.T, t0 time.Time, f sandbox.Faults) *sandbox.Server {
	t.Helper()
	start := time.Now()
	s, err := sandbox.New(sandbox.Options{
		Seed: "demo", Faults: f, Logger: slog.New(slog.DiscardHandler),
		// The seed is laid out relative to t0, the same for both runs;
		// the clock then moves with real time so search lag can pass.
		Now: func() time.Time { return t0.Add(time.Since(start)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func childCmd(t *testing.T, baseURL, dbPath string, now time.Time) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", baseURLEnv+"="+baseURL, storeEnv+"="+dbPath, nowEnv+"="+now.Format(time.RFC3339))
	return cmd
}
