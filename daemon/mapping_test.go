package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/report"
	"github.com/alusta/alusta/store"
)

// renamedProperties are the demo portal's custom properties as the portal
// of testdata/rules/renamed/mapping.yaml names them.
var renamedProperties = map[string]string{
	"alusta_service": "kotitori_palvelu", "alusta_municipality": "kotitori_kunta",
	"alusta_client_group": "kotitori_asiakasryhma", "alusta_language": "kotitori_kieli",
	"alusta_ticket_kind": "kotitori_laji", "alusta_feedback_score": "kotitori_arvosana",
	"alusta_units": "kotitori_maara", "alusta_unit": "kotitori_yksikko", "alusta_payer": "kotitori_maksaja",
	"alusta_client_choice": "kotitori_asiakkaan_valinta", "alusta_provider_active": "kotitori_aktiivinen",
	"alusta_provider_services": "kotitori_palvelut", "alusta_provider_areas": "kotitori_alueet",
	"alusta_provider_languages": "kotitori_kielet", "alusta_provider_capacity": "kotitori_kapasiteetti",
	"alusta_provider_weight": "kotitori_paino", "alusta_provider_prices": "kotitori_hinnat",
	"alusta_needs": "kotitori_tarpeet", "alusta_refer_to": "kotitori_lahete_kohde",
	"alusta_referral_consent": "kotitori_lahete_suostumus", "alusta_org_type": "kotitori_organisaatio",
	"alusta_activity_themes": "kotitori_teemat", "alusta_activity_target_groups": "kotitori_kohderyhmat",
	"alusta_activity_channel": "kotitori_kanava", "alusta_activity_contact_email": "kotitori_yhteys_email",
	"alusta_provider_business_id": "kotitori_ytunnus",
}

// TestRenamedMapping runs the demo twice: once as shipped, once in a portal
// whose custom properties carry other names, with a mapping that says so.
// The mapping is applied where records leave the connector, so the cache,
// the decisions and every report export must come out the same, byte for
// byte; a property name hard-coded anywhere past the connector shows up
// here as a lost value.
func TestRenamedMapping(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo twice")
	}
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	shipped := filepath.Join(dir, "shipped.json")
	crm, err := sandbox.New(sandbox.Options{Seed: "demo", StatePath: shipped, Now: func() time.Time { return t0 }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	referDemo(t, crm, 3)
	if err := crm.Close(); err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "renamed.json")
	renameState(t, shipped, renamed, renamedProperties)

	want := runDemo(t, t0, shipped, "../testdata/rules/mappings")
	got := runDemo(t, t0, renamed, "../testdata/rules/renamed")
	if len(want) < 6 {
		t.Fatalf("the shipped run produced %d outputs; the comparison would prove little", len(want))
	}
	for name, w := range want {
		g := got[name]
		if !bytes.Equal(g, w) {
			t.Errorf("%s differs with renamed properties:\n%s", name, firstDiff(g, w))
		}
	}
}

// runDemo syncs the portal in state twice, an hour apart, with the
// mappings in mapDir, and returns what a person would compare: the cached
// records, the decisions and each report's CSV export.
func runDemo(t *testing.T, t0 time.Time, state, mapDir string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	now := t0
	clock := func() time.Time { return now }
	crm, err := sandbox.New(sandbox.Options{StatePath: state, Now: clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(crm)
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "t", RateLimit: 250, SearchRate: 50})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "alusta.db"), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d, err := New(Options{Client: client, Store: st, PipelinesDir: "../testdata/rules/pipelines", MappingsDir: mapDir,
		Lookback: time.Minute, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		sum, err := d.Cycle(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Skipped != 0 || sum.Errors != 0 {
			t.Fatalf("cycle with %s: %s", mapDir, sum)
		}
		now = now.Add(time.Hour)
	}
	out := map[string][]byte{
		"records":   dump(t, st, `SELECT object_type, id, properties, archived FROM records ORDER BY object_type, id`),
		"decisions": dump(t, st, `SELECT object_type, record_id, rule, queue, owner_id, provider_id, explanation, at FROM decisions ORDER BY id`),
		"sla":       dump(t, st, `SELECT object_type, record_id, goal, cycle, status, due_at FROM sla_cycles ORDER BY object_type, record_id, goal, cycle`),
	}
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Load(mapDir)
	if err != nil {
		t.Fatal(err)
	}
	env := report.Env{Store: st, Loc: loc, Now: clock, Mapping: m}
	for _, month := range []string{"2026-10", "2026-11"} {
		p, err := report.ParsePeriod(month, loc)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range report.Reports() {
			tbl, err := report.Build(ctx, env, r.Name, p)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := report.WriteCSV(&b, tbl, report.CSVOptions{}, nil); err != nil {
				t.Fatal(err)
			}
			// The demo's referrals are made in the run, in its month.
			if len(tbl.Rows) == 0 && (r.Name != "referrals" || month == "2026-11") {
				t.Errorf("%s %s with %s: no rows", r.Name, month, mapDir)
			}
			out[r.Name+"-"+month+".csv"] = b.Bytes()
		}
	}
	return out
}

// dump renders every row of a query as text, one row a line.
func dump(t *testing.T, st *store.Store, query string) []byte {
	t.Helper()
	rows, err := st.DB().Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals...)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// referDemo has coordinators ask for n welfare referrals, with the
// client's consent, on demo tickets that record needs, each to a running
// NGO activity, so that the referrals and their report are compared too.
func referDemo(t *testing.T, crm *sandbox.Server, n int) {
	t.Helper()
	var ngos []string
	for _, id := range crm.Objects(hubspot.Companies) {
		o, _ := crm.Object(hubspot.Companies, id)
		if typ, _ := o.Prop("alusta_org_type"); typ == "jarjesto" {
			if active, _ := o.Prop("alusta_provider_active"); active == "true" {
				ngos = append(ngos, id)
			}
		}
	}
	made := 0
	for _, id := range crm.Objects(hubspot.Tickets) {
		if made == n || len(ngos) == 0 {
			break
		}
		o, _ := crm.Object(hubspot.Tickets, id)
		if needs, _ := o.Prop("alusta_needs"); needs == "" {
			continue
		}
		if err := crm.Update(hubspot.Tickets, id, map[string]string{"alusta_refer_to": ngos[made%len(ngos)], "alusta_referral_consent": "yes"}); err != nil {
			t.Fatal(err)
		}
		made++
	}
	if made < n {
		t.Fatalf("the demo has %d tickets with needs and %d running NGO activities; want %d referrals", made, len(ngos), n)
	}
}

// renameState copies a sandbox state file, renaming the properties named
// in names: their definitions and every record's values.
func renameState(t *testing.T, from, to string, names map[string]string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	var props map[string][]map[string]any
	if err := json.Unmarshal(f["properties"], &props); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ps := range props {
		for _, p := range ps {
			if to, ok := names[p["name"].(string)]; ok {
				p["name"] = to
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no property definition renamed: the state file's shape changed")
	}
	var objs map[string][]map[string]any
	if err := json.Unmarshal(f["objects"], &objs); err != nil {
		t.Fatal(err)
	}
	for _, list := range objs {
		for _, o := range list {
			ps, _ := o["properties"].(map[string]any)
			for from, to := range names {
				if v, ok := ps[from]; ok {
					ps[to] = v
					delete(ps, from)
				}
			}
		}
	}
	if f["properties"], err = json.Marshal(props); err != nil {
		t.Fatal(err)
	}
	if f["objects"], err = json.Marshal(objs); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// firstDiff shows the first line where got and want part.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}
