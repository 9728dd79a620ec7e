package daemon

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
)

// TestLostAnswerIsReadBack has HubSpot apply a batch update whose answer
// never reaches alusta, however often it is sent: the cycle fails, and the
// daemon, started again on the same store, must read that batch back
// before it decides anything else. Nothing here depends on timing (no
// person's edit, no search lag, no signal), so every record must end
// exactly as in a clean run, owners included: a least_open choice made
// while the lost page's owners were missing from the open counts would
// pick someone else.
func TestLostAnswerIsReadBack(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	t0, decideAt := e2eStart, e2eDecide
	ref, _ := clean.get(t)
	crm := newSandbox(t, newCRMClock(t0), sandbox.Faults{})
	var (
		updates  atomic.Int32
		mu       sync.Mutex
		lost     []byte // the body of the batch whose answers are lost
		lostPath string
		healed   atomic.Bool
	)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/batch/update") || healed.Load() {
			crm.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		if updates.Add(1) == crashAt {
			lost, lostPath = body, r.URL.Path
		}
		isLost := lost != nil && bytes.Equal(body, lost)
		mu.Unlock()
		if !isLost {
			crm.ServeHTTP(w, r)
			return
		}
		// HubSpot applies it; the answer is a gateway's timeout.
		crm.ServeHTTP(httptest.NewRecorder(), r)
		http.Error(w, "upstream timed out", http.StatusGatewayTimeout)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dbPath := filepath.Join(t.TempDir(), "alusta.db")
	if _, err := converge(context.Background(), srv.URL, dbPath, decideAt, 6); err == nil {
		t.Fatal("first run: got no error, want the cycle whose batch answer was lost to fail")
	}
	healed.Store(true)
	if _, err := converge(context.Background(), srv.URL, dbPath, decideAt, 6); err != nil {
		t.Fatalf("second run: %v", err)
	}

	diffs := 0
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		props := append([]string{"hubspot_owner_id", "alusta_decision"}, exactProps[typ]...)
		for _, id := range ref.Objects(typ) {
			want, _ := ref.Object(typ, id)
			got, _ := crm.Object(typ, id)
			for _, p := range props {
				g, _ := got.Prop(p)
				w, _ := want.Prop(p)
				if g != w && diffs < maxDiffs {
					diffs++
					t.Errorf("%s %s %s: got %q, want %q (as the clean run)", typ, id, p, g, w)
				}
			}
		}
	}
	m := resolvedMapping(t, crm)
	assertCountsMatchCRM(t, "run with a lost answer", dbPath, crm, m)
	assertNoDoubleWrites(t, dbPath)
	assertLostBatchLogged(t, dbPath, lostPath, lost)
}

// assertLostBatchLogged checks that every write of the batch whose answer
// was lost, which HubSpot applied all the same, is in the write log.
func assertLostBatchLogged(t *testing.T, dbPath, path string, body []byte) {
	t.Helper()
	var batch struct {
		Inputs []struct {
			ID         string            `json:"id"`
			Properties map[string]string `json:"properties"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(body, &batch); err != nil || len(batch.Inputs) == 0 {
		t.Fatalf("the lost batch %s: %d inputs, err %v", path, len(batch.Inputs), err)
	}
	typ := strings.Split(strings.TrimPrefix(path, "/crm/v3/objects/"), "/")[0]
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing := 0
	for _, in := range batch.Inputs {
		for prop, v := range in.Properties {
			var n int
			err := db.QueryRow(`SELECT count(*) FROM writes WHERE status = 'applied' AND object_type = ? AND record_id = ?
				AND property = ? AND new_value = ?`, typ, in.ID, prop, v).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				missing++
				if missing <= 5 {
					t.Errorf("%s %s %s=%q from the batch whose answer was lost: logged %d times, want once", typ, in.ID, prop, v, n)
				}
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d writes of the lost batch (%d records) not logged once", missing, len(batch.Inputs))
	}
}

// TestLostBatchMovesTheRoundRobin loses the answer to the first ticket
// batch that assigns owners, though HubSpot applies it. Its records, read
// back, keep the owners the batch gave them and so move no round robin:
// unless the daemon takes the positions the lost batch's decisions moved
// to, every later round-robin choice is one behind a clean run's.
func TestLostBatchMovesTheRoundRobin(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	t0 := time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC)
	ref := newCycleRig(t, t0)
	ref.cycle(t, "clean cycle")

	var lost atomic.Bool
	var crm http.Handler
	r := newCycleRigWrapped(t, t0, func(h http.Handler) http.Handler {
		crm = h
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if lost.Load() || req.Method != http.MethodPost || req.URL.Path != "/crm/v3/objects/tickets/batch/update" {
				crm.ServeHTTP(w, req)
				return
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			if !bytes.Contains(body, []byte(`"hubspot_owner_id"`)) || !bytes.Contains(body, []byte("vuorojako")) {
				crm.ServeHTTP(w, req)
				return
			}
			// HubSpot applies it; the answer never comes, nor does one
			// to a retry of it.
			crm.ServeHTTP(httptest.NewRecorder(), req)
			http.Error(w, "upstream timed out", http.StatusGatewayTimeout)
		})
	})
	if _, err := r.d.Cycle(context.Background()); err == nil {
		t.Fatal("cycle with a lost answer: got no error, want it to fail")
	}
	lost.Store(true)
	r.cycle(t, "cycle after the lost answer")

	diffs := 0
	for _, id := range ref.crm.Objects(hubspot.Tickets) {
		want, got := ref.prop(hubspot.Tickets, id, "hubspot_owner_id"), r.prop(hubspot.Tickets, id, "hubspot_owner_id")
		if got != want {
			if diffs++; diffs <= 5 {
				t.Errorf("ticket %s: owner %q, want %q as in a clean run", id, got, want)
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d tickets with another owner than a clean run gives them", diffs)
	}
	if got, want := r.d.mem.state.Rotation, ref.d.mem.state.Rotation; !maps.Equal(got, want) {
		t.Errorf("round-robin positions: got %v, want %v as in a clean run", got, want)
	}
}
