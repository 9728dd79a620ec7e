package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// runCLI runs the command with args and returns its output and exit code.
func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"--mappings", filepath.Join("..", "..", "testdata", "rules", "mappings")}, args...))
	err := root.Execute()
	if err == nil {
		return out.String(), 0
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			out.WriteString(msg + "\n")
		}
		return out.String(), ec.ExitCode()
	}
	out.WriteString(err.Error() + "\n")
	return out.String(), 1
}

func TestRulesCheckDemo(t *testing.T) {
	out, code := runCLI(t, "rules", "check", "--dir", filepath.Join("..", "..", "testdata", "rules", "pipelines"))
	if code != 0 || !strings.HasPrefix(out, "ok: 3 rule files") {
		t.Errorf("got exit %d, output:\n%s", code, out)
	}
}

func TestRulesCheckBroken(t *testing.T) {
	dir := filepath.Join("..", "..", "pipelines", "testdata", "broken")
	out, code := runCLI(t, "rules", "check", "--dir", dir)
	if code != 1 {
		t.Errorf("got exit %d, want 1", code)
	}
	golden, err := os.ReadFile(filepath.Join("..", "..", "pipelines", "testdata", "broken.golden"))
	if err != nil {
		t.Fatal(err)
	}
	// The golden file was written from inside pipelines/.
	want := strings.ReplaceAll(string(golden), "testdata/broken/", filepath.ToSlash(dir)+"/")
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(out, `tickets.yaml:9:13: routes[1] "nurses".assign.pool: unknown pool "nurses"`) {
		t.Errorf("output lacks the unknown pool error:\n%s", out)
	}
}

// TestRulesTestFailing copies the demo rules, adds a case that cannot
// pass and checks the FAIL line, the reason and the exit code.
func TestRulesTestFailing(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "rules", "pipelines")
	dir := t.TempDir()
	for _, f := range []string{"calendars.yaml", "tickets.yaml", "deals.yaml", "tickets_test.yaml"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	failing := `object: tickets
cases:
  - name: advice wrongly expected in the urgent queue
    now: 2026-11-24T10:00:00+02:00
    record:
      id: "1"
      created: 2026-11-24T09:00:00+02:00
      properties: {hs_pipeline_stage: Uusi, hs_ticket_priority: MEDIUM}
    expect:
      queue: kiireelliset
      sla_status: running
`
	if err := os.WriteFile(filepath.Join(dir, "wrong_test.yaml"), []byte(failing), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "rules", "test", "--dir", dir)
	if code != 1 {
		t.Errorf("got exit %d, want 1", code)
	}
	for _, want := range []string{
		"PASS " + filepath.Join(dir, "tickets_test.yaml") + ": advice goes to the advice team in turn, first response in 4 working hours\n",
		"FAIL " + filepath.Join(dir, "wrong_test.yaml") + ": advice wrongly expected in the urgent queue\n" +
			`    queue: got "neuvonta", want "kiireelliset"` + "\n",
		"19 passed, 1 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if err := os.Remove(filepath.Join(dir, "wrong_test.yaml")); err != nil {
		t.Fatal(err)
	}
	out, code = runCLI(t, "rules", "test", "--dir", dir)
	if code != 0 || !strings.HasSuffix(out, "19 passed, 0 failed\n") {
		t.Errorf("got exit %d, output:\n%s", code, out)
	}
}

// fakeHubSpot serves the few HubSpot endpoints rules explain reads.
func fakeHubSpot(t *testing.T, moreDeals ...hubspot.Object) *httptest.Server {
	t.Helper()
	str := func(s string) *string { return &s }
	now := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	routes := map[string]any{
		"/crm/v3/pipelines/tickets": hubspot.Pipelines{Results: []hubspot.Pipeline{{ID: "0", Label: "Neuvonta ja ohjaus", Stages: []hubspot.Stage{
			{ID: "1", Label: "Uusi"}, {ID: "2", Label: "Työn alla"}, {ID: "3", Label: "Odottaa asiakasta"}, {ID: "4", Label: "Suljettu", Metadata: map[string]string{"isClosed": "true"}}}},
			{ID: "10", Label: "Hyvinvointilähete", Stages: []hubspot.Stage{{ID: "11", Label: "Lähetetty"}, {ID: "12", Label: "Yhteys otettu"},
				{ID: "13", Label: "Aloittanut"}, {ID: "14", Label: "Ei tavoitettu"}, {ID: "15", Label: "Päättynyt"}}}}},
		"/crm/v3/pipelines/deals": hubspot.Pipelines{Results: []hubspot.Pipeline{{ID: "default", Label: "Palvelutilaukset", Stages: []hubspot.Stage{
			{ID: "s1", Label: "Vastaanotettu"}, {ID: "s2", Label: "Välitetty tuottajalle"}, {ID: "s3", Label: "Tuottaja hyväksynyt"},
			{ID: "s4", Label: "Tuottaja hylännyt"}, {ID: "s5", Label: "Palvelu käynnissä"}, {ID: "s6", Label: "Toteutunut"}, {ID: "s7", Label: "Peruttu"}}}}},
		"/crm/v3/owners/": hubspot.Owners{Results: []hubspot.Owner{{ID: "501", Email: "pekka.laine@kotitori.example.fi"}, {ID: "502", Email: "eeva.heikkinen@kotitori.example.fi"}}},
		"/crm/v3/objects/deals/42": hubspot.Object{ID: "42", CreatedAt: now, UpdatedAt: now, Properties: map[string]*string{
			"dealstage": str("s1"), "pipeline": str("default"), "alusta_service": str("siivous"), "alusta_municipality": str("Nokia")}},
		"/crm/v3/objects/deals/43": hubspot.Object{ID: "43", CreatedAt: now, UpdatedAt: now, Properties: map[string]*string{
			"dealstage": str("s3"), "pipeline": str("default"), "alusta_service": str("siivous"), "alusta_municipality": str("Nokia"),
			"alusta_provider": str("102"), "alusta_queue": str("tilaukset")}},
		"/crm/v3/objects/deals": hubspot.Page{Results: append([]hubspot.Object{
			{ID: "42", Properties: map[string]*string{"dealstage": str("s1")}},
			{ID: "43", Properties: map[string]*string{"dealstage": str("s3"), "alusta_provider": str("102")}},
			{ID: "44", Properties: map[string]*string{"dealstage": str("s6"), "alusta_provider": str("102")}},
		}, moreDeals...)},
		"/crm/v3/objects/companies": hubspot.Page{Results: []hubspot.Object{
			{ID: "101", Properties: map[string]*string{"name": str("Siivous Aalto Oy"), "alusta_provider_active": str("true"),
				"alusta_provider_services": str("siivous"), "alusta_provider_areas": str("Tampere")}},
			{ID: "102", Properties: map[string]*string{"name": str("Kotiapu Berg Ab"), "alusta_provider_active": str("true"),
				"alusta_provider_services": str("siivous;kauppa"), "alusta_provider_areas": str("Nokia"), "alusta_provider_capacity": str("2")}},
		}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[r.URL.Path]
		if !ok || r.Method != http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(hubspot.ErrorBody{Status: "error", Category: hubspot.CategoryObjectNotFound, Message: "not found: " + r.URL.Path})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRulesExplain(t *testing.T) {
	srv := fakeHubSpot(t)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("pat-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "--base-url", srv.URL, "--token-file", token, "rules", "explain", "--deal", "42", "--at", "2026-11-24T10:00:00+02:00", "--dir", filepath.Join("..", "..", "testdata", "rules", "pipelines"))
	if code != 0 {
		t.Fatalf("got exit %d, output:\n%s", code, out)
	}
	for _, want := range []string{
		"deal 42\n",
		"route: tilaukset\n",
		"decision: sääntö tilaukset; jono tilaukset; käsittelijä pekka.laine (vähiten avoimia, tiimi tilaukset); 1/2 tuottajasta käy; tuottaja Kotiapu Berg Ab (vuorojako); määräaika 2 arkipäivää käynnissä, päättyy 26.11.2026 klo 10.00\n",
		"sla acceptance: goal 2 arkipäivää on kotitori, started 2026-11-24T10:00:00+02:00, elapsed 0s of 15h0m0s, due 2026-11-26T10:00:00+02:00, running\n",
		"next check: 2026-11-25T14:15:00+02:00\n",
		"  101  Siivous Aalto Oy  -       ei toimi alueella Nokia\n",
		"  102  Kotiapu Berg Ab   chosen  vuorojako\n",
		"  alusta_provider = 102\n",
		"  dealstage = s2\n",
		"  hubspot_owner_id = 501 (pekka.laine@kotitori.example.fi)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// One more open order fills provider 102 (capacity 2; 44 is delivered).
	s2, p102 := "s2", "102"
	full := fakeHubSpot(t, hubspot.Object{ID: "45", Properties: map[string]*string{"dealstage": &s2, "alusta_provider": &p102}})
	out, code = runCLI(t, "--base-url", full.URL, "--token-file", token, "rules", "explain", "--deal", "42", "--at", "2026-11-24T10:00:00+02:00", "--dir", filepath.Join("..", "..", "testdata", "rules", "pipelines"))
	for _, want := range []string{
		"  102  Kotiapu Berg Ab   -  täynnä (2/2 avoinna)\n",
		"decision: sääntö tilaukset; jono koordinaattori; käsittelijä pekka.laine (vähiten avoimia, tiimi tilaukset); 0/2 tuottajasta käy; palvelulle siivous ei ole sopivaa tuottajaa alueella Nokia;",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("got exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	// An order already assigned still lists who else could take it, and
	// would write only what really changes.
	out, code = runCLI(t, "--base-url", srv.URL, "--token-file", token, "rules", "explain", "--deal", "43", "--at", "2026-11-24T10:00:00+02:00", "--dir", filepath.Join("..", "..", "testdata", "rules", "pipelines"))
	for _, want := range []string{"candidates:\n", "  101  Siivous Aalto Oy  -         ei toimi alueella Nokia\n", "  102  Kotiapu Berg Ab   assigned  \n"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("assigned deal: got exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	if strings.Contains(out, "alusta_queue = ") || strings.Contains(out, "alusta_provider = ") {
		t.Errorf("assigned deal: would write unchanged values:\n%s", out)
	}
	out, code = runCLI(t, "--base-url", srv.URL, "--token-file", token, "rules", "explain", "--ticket", "9", "--dir", filepath.Join("..", "..", "testdata", "rules", "pipelines"))
	if code != 1 || !strings.Contains(out, "rules explain: ") {
		t.Errorf("missing ticket: got exit %d, output:\n%s", code, out)
	}

	// With the daemon's store, explain decides as the daemon would: here
	// the daemon remembers that 102 declined deal 42, which the CRM does
	// not show.
	dbPath := filepath.Join(t.TempDir(), "alusta.db")
	st, err := store.Open(context.Background(), dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveStates(context.Background(), map[string]any{
		"engine": pipelines.State{},
		"engine/rec/deals/42": pipelines.RecordState{Declined: []string{"102"}, SLA: []pipelines.SLACycle{{
			Policy: "assignment", Cycle: 1, Goal: "1 arkipäivä", Calendar: "kotitori", Target: 450 * time.Minute,
			Start: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC), LastSeen: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
			Elapsed: time.Hour, Due: time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC),
			Stopped: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), Status: "met"}}},
		"engine/rec/deals/420": pipelines.RecordState{Declined: []string{"101"}},
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, code = runCLI(t, "--base-url", srv.URL, "--token-file", token, "--store", dbPath, "rules", "explain", "--deal", "42", "--at", "2026-11-24T10:00:00+02:00", "--dir", filepath.Join("..", "..", "testdata", "rules", "pipelines"))
	for _, want := range []string{
		"state: the daemon's, from " + dbPath + "\n",
		"  102  Kotiapu Berg Ab   -  hylkäsi tämän tilauksen\n",
		// A clock stopped at an earlier look is shown, though the
		// decision does not carry it.
		"sla assignment (earlier): goal 1 arkipäivä on kotitori, started 2026-11-20T10:00:00+02:00, elapsed 1h0m0s of 7h30m0s, due 2026-11-20T16:30:00+02:00, met (stopped 2026-11-20T11:00:00+02:00)\n",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("with the daemon's state: got exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
}

// TestRulesFolders checks that check and test refuse what alusta run would
// refuse or silently run without: an empty rules folder, a mappings folder
// without mapping.yaml, and a folder without test cases.
func TestRulesFolders(t *testing.T) {
	empty := t.TempDir()
	rules := t.TempDir()
	for _, f := range []string{"calendars.yaml", "tickets.yaml", "deals.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "rules", "pipelines", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rules, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "check an empty folder", args: []string{"rules", "check", "--dir", empty},
			want: "pipelines: no rule files (*.yaml) in " + empty + "\n"},
		{name: "test an empty folder", args: []string{"rules", "test", "--dir", empty},
			want: "pipelines: no rule files (*.yaml) in " + empty + "\n"},
		{name: "no mapping.yaml", args: []string{"--mappings", empty, "rules", "check", "--dir", rules},
			want: "mappings: load: open " + filepath.Join(empty, "mapping.yaml") + ": no such file or directory\n"},
		{name: "no test cases", args: []string{"rules", "test", "--dir", rules},
			want: "rules test: no test cases (*_test.yaml) in " + rules + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runCLI(t, tt.args...)
			if code != 1 || out != tt.want {
				t.Errorf("got exit %d, output %q, want exit 1, %q", code, out, tt.want)
			}
		})
	}
}
