package daemon

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

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
		updates atomic.Int32
		mu      sync.Mutex
		lost    []byte // the body of the batch whose answers are lost
		healed  atomic.Bool
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
			lost = body
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
}
