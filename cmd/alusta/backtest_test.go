package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/store"
)

// TestBacktestAfterDemoSync runs one demo sync against the sandbox over
// loopback and then backtests the last quarter, as a newcomer would: the
// goals with enough cycles are both met and breached, a copy of the rules
// with the first response goal doubled is met more often (exit 2), and the
// records whose history is lost are read again from the sandbox, or with
// --no-fetch approximated and counted.
func TestBacktestAfterDemoSync(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo sync")
	}
	dir := t.TempDir()
	var logs bytes.Buffer
	a := demoApp(t, dir, &logs)
	a.zone = a.cfg.Reports.Location // as load sets it
	ctx := context.Background()
	if _, _, err := a.syncOnce(ctx); err != nil {
		t.Fatalf("sync: %v\n%s", err, logs.String())
	}
	live := filepath.Join("..", "..", "testdata", "rules", "pipelines")
	longer := filepath.Join(dir, "pipelines")
	if err := os.MkdirAll(longer, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"calendars.yaml", "deals.yaml", "tickets.yaml"} {
		b, err := os.ReadFile(filepath.Join(live, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "tickets.yaml" {
			if !bytes.Contains(b, []byte("target: 4h\n")) {
				t.Fatalf("%s has no 4 h goal to change", f)
			}
			b = bytes.Replace(b, []byte("target: 4h\n"), []byte("target: 8h\n"), 1)
		}
		if err := os.WriteFile(filepath.Join(longer, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().In(a.zone)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.zone).AddDate(0, -3, 0)
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.zone).AddDate(0, 0, 1)
	backtest := func(t *testing.T, newDir string, fetch bool) (goals map[string][6]int, table, progress string, code int) {
		t.Helper()
		var out, errOut bytes.Buffer
		o := backtestOptions{dir: newDir, start: start, end: end, now: now, fetch: fetch, format: "csv", out: &out, errOut: &errOut}
		err := a.withCRM(ctx, "rules backtest", func(ctx context.Context, c daemon.ExplainCRM) error { return rulesBacktest(ctx, c, a, o) })
		var ee *exitError
		switch {
		case errors.As(err, &ee):
			code = ee.code
		case err != nil:
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatalf("csv: %v\n%s", err, out.String())
		}
		goals = map[string][6]int{}
		for _, r := range rows[1:] {
			if r[0] != "sla" || r[2] != "" {
				continue // only each goal's total over its queues
			}
			g := goals[r[1]]
			i := map[string]int{"met": 0, "breached": 1, "open": 2}[r[3]]
			g[i], _ = strconv.Atoi(r[4])
			g[3+i], _ = strconv.Atoi(r[5])
			goals[r[1]] = g
		}
		o.format, o.out = "table", &out
		out.Reset()
		if err := a.withCRM(ctx, "rules backtest", func(ctx context.Context, c daemon.ExplainCRM) error { return rulesBacktest(ctx, c, a, o) }); err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return goals, out.String(), errOut.String(), code
	}

	goals, table, _, code := backtest(t, live, true)
	if code != 0 || !strings.Contains(table, "ei eroja") || strings.Contains(table, "ilman historiaa") {
		t.Errorf("the same rules: got exit %d, want 0, every record with its history:\n%s", code, table)
	}
	// Every goal with cycles enough to tell is met by some and breached
	// by others.
	told := 0
	for g, c := range goals {
		if c[0]+c[1] < 20 {
			continue
		}
		told++
		if c[0] == 0 || c[1] == 0 {
			t.Errorf("%s: got %d met, %d breached; want both above 0\n%s", g, c[0], c[1], table)
		}
	}
	if told < 3 {
		t.Errorf("got %d goals with 20 cycles or more, want 3 or more:\n%s", told, table)
	}

	goals, table, _, code = backtest(t, longer, true)
	fr := goals["first_response: 4 t"]
	if code != 2 || fr[3] <= fr[0] || fr[4] >= fr[1] {
		t.Errorf("first response in 8 h: got exit %d, met %d -> %d, breached %d -> %d; want 2, more met, fewer breached\n%s",
			code, fr[0], fr[3], fr[1], fr[4], table)
	}

	// Lose the history of the tickets, as a store from before it was kept.
	st, err := store.Open(ctx, a.cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.DB().ExecContext(ctx, `DELETE FROM property_history WHERE object_type = 'tickets'`)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	lost, _ := res.RowsAffected()
	if lost == 0 {
		t.Fatal("the demo sync kept no ticket history")
	}
	_, table, _, _ = backtest(t, live, false)
	if !strings.Contains(table, "ilman historiaa") {
		t.Errorf("--no-fetch: no record counted as approximated:\n%s", table)
	}
	_, table, progress, _ := backtest(t, live, true)
	if !strings.Contains(progress, "luettu HubSpotin historia") || strings.Contains(table, "ilman historiaa") {
		t.Errorf("fetch: got progress %q, want the history read and no record approximated:\n%s", progress, table)
	}
}
