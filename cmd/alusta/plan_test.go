package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/store"
)

func TestRulesPlan(t *testing.T) {
	srv := fakeHubSpot(t)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("pat-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join("..", "..", "pipelines", "testdata", "locale")
	same, renamed := t.TempDir(), t.TempDir()
	for _, f := range []string{"rules.yaml", "deals.yaml"} {
		src, err := os.ReadFile(filepath.Join(live, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(same, f), src, 0o644); err != nil {
			t.Fatal(err)
		}
		src = []byte(strings.Replace(string(src), "queue: tilaukset", "queue: palvelut", 1))
		if err := os.WriteFile(filepath.Join(renamed, f), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "alusta.db")
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	err = st.UpsertRecords(context.Background(), hubspot.Deals, []store.Record{
		{ID: "42", CreatedAt: at, UpdatedAt: at, Properties: map[string]string{"stage": "s1", "pipeline": "default",
			"service": "siivous", "municipality": "Nokia"}},
		{ID: "43", CreatedAt: at, UpdatedAt: at, Properties: map[string]string{"stage": "s3", "pipeline": "default",
			"service": "siivous", "municipality": "Nokia", "provider": "102", "queue": "tilaukset"}},
	})
	if err == nil {
		err = st.UpsertRecords(context.Background(), hubspot.Companies, []store.Record{
			{ID: "102", CreatedAt: at, UpdatedAt: at, Properties: map[string]string{"name": "Kotiapu Berg Ab", "active": "true",
				"services": "siivous", "areas": "Nokia"}},
		})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		store string
		dir   string
		code  int
		want  []string
	}{
		{"no change", db, same, 0, []string{"-> " + same + " (", "2 cached records decided\n", "no changes\n"}},
		{"renamed queue", db, renamed, 2, []string{
			"2 records would change:\n",
			"     queue  2\n",
			"  deals/42  queue: tilaukset -> palvelut\n",
			"  deals/43  queue: tilaukset -> palvelut\n",
		}},
		{"no store", filepath.Join(t.TempDir(), "none.db"), renamed, 1, []string{"rules plan: no store at "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runCLI(t, "--base-url", srv.URL, "--token-file", token, "--store", tt.store, "--pipelines", live,
				"rules", "plan", "--dir", tt.dir)
			if code != tt.code {
				t.Errorf("got exit %d, want %d; output:\n%s", code, tt.code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestRulesApply(t *testing.T) {
	dir := filepath.Join("..", "..", "pipelines", "testdata", "locale")
	db := filepath.Join(t.TempDir(), "alusta.db")
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, code := runCLI(t, "--store", db, "--pipelines", dir, "rules", "apply")
	if code != 1 || !strings.Contains(out, "rules apply: give --yes to let rules ") {
		t.Errorf("without --yes: got exit %d, output:\n%s", code, out)
	}
	out, code = runCLI(t, "--store", db, "--pipelines", dir, "rules", "apply", "--yes")
	if code != 0 || !strings.Contains(out, "approved rules ") {
		t.Fatalf("with --yes: got exit %d, output:\n%s", code, out)
	}
	st, err = store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var a daemon.Approval
	if err := st.LoadState(context.Background(), "rules/approved", &a); err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint == "" || !strings.Contains(out, a.Fingerprint) || a.By == "" {
		t.Errorf("approval: got %+v, want the fingerprint printed (%q) and who", a, out)
	}
	out, code = runCLI(t, "--store", db, "--pipelines", dir, "rules", "apply", "--yes", "--dir", t.TempDir())
	if code != 1 || !strings.Contains(out, "the daemon runs pipelines.dir") {
		t.Errorf("another folder: got exit %d, output:\n%s", code, out)
	}
}

func TestRulesPlanShadow(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "alusta.db")
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.UpsertPipelines(ctx, hubspot.Tickets, []hubspot.Pipeline{{ID: "0", Label: "Neuvonta ja ohjaus", Stages: []hubspot.Stage{
		{ID: "1", Label: "Uusi"}, {ID: "2", Label: "Työn alla"}, {ID: "3", Label: "Odottaa asiakasta"}, {ID: "4", Label: "Suljettu"}}},
		// The mapping's welfare referrals have a pipeline of their own.
		{ID: "r", Label: "Hyvinvointilähete", Stages: []hubspot.Stage{{ID: "r1", Label: "Lähetetty"}, {ID: "r2", Label: "Yhteys otettu"},
			{ID: "r3", Label: "Aloittanut"}, {ID: "r4", Label: "Ei tavoitettu"}, {ID: "r5", Label: "Päättynyt"}}}})
	if err == nil {
		err = st.UpsertPipelines(ctx, hubspot.Deals, []hubspot.Pipeline{{ID: "d", Label: "Palvelutilaukset", Stages: []hubspot.Stage{
			{ID: "s1", Label: "Vastaanotettu"}, {ID: "s2", Label: "Välitetty tuottajalle"}, {ID: "s3", Label: "Tuottaja hyväksynyt"},
			{ID: "s4", Label: "Tuottaja hylännyt"}, {ID: "s5", Label: "Palvelu käynnissä"}, {ID: "s6", Label: "Toteutunut"}, {ID: "s7", Label: "Peruttu"}}}})
	}
	if err == nil {
		err = st.UpsertOwners(ctx, []store.Owner{{ID: "501", FirstName: "Pekka", LastName: "Laine"}})
	}
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, code := runCLI(t, "--store", db, "rules", "plan", "--shadow")
	if code != 0 || !strings.Contains(out, "shadow: 0 records with writes held back") {
		t.Errorf("nothing held back: got exit %d, output:\n%s", code, out)
	}
	st, err = store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.SaveStates(ctx, map[string]any{"shadow/tickets/7": daemon.ShadowRecord{ObjectType: hubspot.Tickets, RecordID: "7",
		Writes: map[string]string{"alusta_queue": "neuvonta", "hubspot_owner_id": "501", "hs_pipeline_stage": "2"},
		Old:    map[string]string{"hs_pipeline_stage": "1"}, Notes: []string{"Ensivastaus on myöhässä."},
		Actions: []string{"create a welfare referral to Olohuone ry (401) and tell the NGO"}}})
	if err == nil {
		// The provider's message about an order, held by the queue.
		_, err = st.EnqueueNotification(ctx, store.Notification{Key: notify.ShadowPrefix + "order/900/301/assigned", Channel: forward.Channel,
			Recipient: "provider:301", Body: `{"deal":"900","provider":"301","event":"assigned"}`, State: store.NoteHeld})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, code = runCLI(t, "--store", db, "rules", "plan", "--shadow")
	for _, want := range []string{
		"shadow: 1 records with writes held back",
		`  tickets/7  queue: none -> neuvonta; stage: new -> in_progress; owner: none -> Pekka Laine (501); note: "Ensivastaus on myöhässä."; ` +
			`order loop: "create a welfare referral to Olohuone ry (401) and tell the NGO"` + "\n",
		"messages held: 1 (never sent; dropped when alusta runs live)\n",
		"held     tell provider 301 of order 900 (assigned)\n",
	} {
		if code != 2 || !strings.Contains(out, want) {
			t.Errorf("one held back: got exit %d, output:\n%s\nwant %q in it", code, out, want)
		}
	}
}

func TestRulesBacktest(t *testing.T) {
	srv := fakeHubSpot(t)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("pat-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	live := filepath.Join("..", "..", "pipelines", "testdata", "locale")
	renamed := t.TempDir()
	for _, f := range []string{"rules.yaml", "deals.yaml"} {
		src, err := os.ReadFile(filepath.Join(live, f))
		if err != nil {
			t.Fatal(err)
		}
		src = []byte(strings.Replace(string(src), "queue: tilaukset", "queue: palvelut", 1))
		if err := os.WriteFile(filepath.Join(renamed, f), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "alusta.db")
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)
	err = st.UpsertRecords(context.Background(), hubspot.Deals, []store.Record{
		{ID: "42", CreatedAt: at, UpdatedAt: at, Properties: map[string]string{"stage": "s6", "pipeline": "default",
			"service": "siivous", "municipality": "Nokia", "provider": "102", "queue": "tilaukset"}},
		{ID: "41", CreatedAt: at.AddDate(0, -6, 0), UpdatedAt: at, Properties: map[string]string{"stage": "s6", "pipeline": "default"}},
	})
	if err == nil {
		err = st.UpsertRecords(context.Background(), hubspot.Companies, []store.Record{{ID: "102", CreatedAt: at, UpdatedAt: at,
			Properties: map[string]string{"name": "Kotiapu Berg Ab", "active": "true",
				"services": "siivous", "areas": "Nokia"}}})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, code := runCLI(t, "--base-url", srv.URL, "--token-file", token, "--store", db, "--pipelines", live,
		"rules", "backtest", "--from", "2026-11-01", "--to", "2026-11-30", "--dir", renamed, "--no-fetch")
	for _, want := range []string{
		"koeajo: 1 tikettiä ja tilausta luotu 1.11.2026–30.11.2026\n",
		"1 ilman historiaa",
		"\n palvelut | 0 0.0 % | 1 100.0 % | +1 +100.0\n",
		"\n tilaukset | 1 100.0 % | 0 0.0 % | -1 -100.0\n",
		"\n Kotiapu Berg Ab (102) | 1 100.0 % | 1 100.0 % | 0 0.0\n",
	} {
		if code != 2 || !strings.Contains(squeeze(out), want) {
			t.Errorf("got exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	out, code = runCLI(t, "--store", db, "rules", "backtest", "--from", "2026-11-30", "--to", "2026-11-01")
	if code != 1 || !strings.Contains(out, "rules backtest: --from 2026-11-30 is after --to 2026-11-01") {
		t.Errorf("reversed period: got exit %d, output %q", code, out)
	}
}

// squeeze writes every run of spaces as one, so that a test of a table
// need not count its padding.
func squeeze(s string) string { return regexp.MustCompile(` +`).ReplaceAllString(s, " ") }
