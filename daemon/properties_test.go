package daemon

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// TestStartStopsOnMissingProperties: a mapping that names properties the
// portal lacks stops the daemon at start, every missing property named
// with its place in mapping.yaml.
func TestStartStopsOnMissingProperties(t *testing.T) {
	ctx := context.Background()
	src, err := os.ReadFile("../testdata/rules/mappings/mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "priority: hs_ticket_priority", "priority: hs_kiireellisyys", 1)
	bad = strings.Replace(bad, "units: alusta_units", "units: alusta_maara", 1)
	if bad == string(src) {
		t.Fatal("the test mapping no longer maps priority and units as this test expects")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	line := func(s string) int {
		for i, l := range strings.Split(bad, "\n") {
			if strings.Contains(l, s) {
				return i + 1
			}
		}
		t.Fatalf("%q not in the mapping", s)
		return 0
	}

	crm, err := sandbox.New(sandbox.Options{Seed: "demo", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crm.Close() })
	srv := httptest.NewServer(crm)
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "properties-test"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "alusta.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d, err := New(Options{Client: client, Store: st, PipelinesDir: "../testdata/rules/pipelines", MappingsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	err = d.Prepare(ctx)
	if err == nil {
		t.Fatal("prepare: got no error, want the missing properties named")
	}
	for _, want := range []string{
		path + ":" + strconv.Itoa(line("priority: hs_kiireellisyys")) + ":17: objects.tickets.fields.priority: tickets property \"hs_kiireellisyys\" does not exist in HubSpot",
		path + ":" + strconv.Itoa(line("units: alusta_maara")) + ":14: objects.deals.fields.units: deals property \"alusta_maara\" does not exist in HubSpot",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("prepare: got\n%v\nwant it to contain\n%s", err, want)
		}
	}
}
