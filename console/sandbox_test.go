package console

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/mappings"
)

// logBuffer collects log lines written from the server's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSandboxView checks the demo's stand-in for HubSpot's record page: it
// reads the record live from the sandbox, shows no free text, logs the
// view, and answers 404 for a record the sandbox lacks.
func TestSandboxView(t *testing.T) {
	sb, err := sandbox.New(sandbox.Options{Seed: "demo", DemoSize: sandbox.DemoSize{Tickets: 20, Deals: 20}})
	if err != nil {
		t.Fatal(err)
	}
	crm := httptest.NewServer(sb)
	defer crm.Close()
	client, err := hubspot.New(hubspot.Options{BaseURL: crm.URL, Token: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := client.ListPage(context.Background(), "deals", "", []string{"dealname"})
	if err != nil || len(page.Results) == 0 {
		t.Fatalf("no demo deal to show: %v", err)
	}
	deal := page.Results[0]
	name, _ := deal.Prop("dealname")
	if name == "" {
		t.Fatal("the demo deal has no name to look for")
	}
	var logs logBuffer
	st := openStore(t)
	srv := server(t, newConsole(t, Options{Store: st, Sandbox: client, Mapping: demoMapping(t), Log: slog.New(slog.NewTextHandler(&logs, nil))}))
	status, body := get(t, srv.Client(), srv.URL+"/sandbox/deals/"+deal.ID)
	if status != http.StatusOK {
		t.Fatalf("status: got %d, want 200\n%s", status, body)
	}
	if !strings.Contains(body, "<code>service</code>") {
		t.Error("the sandbox view lacks the deal's service")
	}
	if strings.Contains(body, name) {
		t.Errorf("the deal's name %q (free text) reached the page", name)
	}
	if want := `msg="console view" page=sandbox user="" remote=`; !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "id="+deal.ID) {
		t.Errorf("the view was not logged; log:\n%s", logs.String())
	}
	if status, _ := get(t, srv.Client(), srv.URL+"/sandbox/deals/999"); status != http.StatusNotFound {
		t.Errorf("a deal the sandbox lacks: got %d, want 404", status)
	}
}

// TestQuotaFromHubSpot checks that the sync page shows the daily quota as
// HubSpot's last answer stated it, when the client has one.
func TestQuotaFromHubSpot(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(hubspot.HeaderDaily, "500000")
		w.Header().Set(hubspot.HeaderDailyRemaining, "499000")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"results":[]}`))
	}))
	defer crm.Close()
	client, err := hubspot.New(hubspot.Options{BaseURL: crm.URL, Token: "t", DailyLimit: 250000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Pipelines(context.Background(), hubspot.Tickets); err != nil {
		t.Fatal(err)
	}
	st := openStore(t)
	srv := server(t, newConsole(t, Options{Store: st, Quota: client, Now: time.Now}))
	_, body := get(t, srv.Client(), srv.URL+"/sync")
	for _, want := range []string{"499\u202f000 / 500\u202f000", "HubSpotin ilmoittama, nollautuu"} {
		if !strings.Contains(body, want) {
			t.Errorf("sync page lacks %q", want)
		}
	}
}

// demoMapping is the mapping the console's demo tests run with.
func demoMapping(tb testing.TB) *mappings.Mapping {
	tb.Helper()
	m, err := mappings.Load("testdata/demo/mappings")
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
