package daemon

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// TestBindPortal follows the README's sandbox example into the mistake
// the audit made: one store used against two sandboxes (two portals), and
// against the first sandbox again after a restart from its state file.
func TestBindPortal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	statePath := filepath.Join(dir, "sandbox.json")
	newSandbox := func(state string) (*sandbox.Server, *hubspot.Client) {
		t.Helper()
		srv, err := sandbox.New(sandbox.Options{Seed: "empty", StatePath: state, Token: "sandbox"})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		c, err := hubspot.New(hubspot.Options{BaseURL: ts.URL, Token: "sandbox", RateLimit: 250, SearchRate: 5})
		if err != nil {
			t.Fatal(err)
		}
		return srv, c
	}
	dbPath := filepath.Join(dir, "alusta.db")
	st, err := store.Open(ctx, dbPath, store.Options{Now: func() time.Time { return time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	first, c1 := newSandbox(statePath)
	if err := BindPortal(ctx, c1, st, dbPath, false); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := first.Close(); err != nil { // saves the state, portal id included
		t.Fatal(err)
	}
	again, c1again := newSandbox(statePath)
	if again.PortalID() != first.PortalID() {
		t.Fatalf("portal id after reloading the state: got %d, want %d", again.PortalID(), first.PortalID())
	}
	if err := BindPortal(ctx, c1again, st, dbPath, false); err != nil {
		t.Fatalf("same sandbox state again: %v", err)
	}

	other, c2 := newSandbox("")
	if other.PortalID() == first.PortalID() {
		t.Fatalf("two seeds drew the same portal id %d", other.PortalID())
	}
	err = BindPortal(ctx, c2, st, dbPath, false)
	var ope *OtherPortalError
	if !errors.As(err, &ope) {
		t.Fatalf("another portal: got %v, want an OtherPortalError", err)
	}
	want := "store.path " + dbPath + " belongs to HubSpot portal " + itoa(first.PortalID()) + " (since 2026-11-20), but hubspot.token and hubspot.base_url reach portal " +
		itoa(other.PortalID()) + ": give each portal its own store.path"
	if err.Error() != want {
		t.Errorf("got %q,\nwant %q", err, want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
