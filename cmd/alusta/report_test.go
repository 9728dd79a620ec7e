package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/store"
)

// runAlusta runs the root command with args and returns its output.
func runAlusta(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	// The test copy of the shipped mapping: the one under mappings/ is the
	// admin's to edit. A later --mappings wins.
	root.SetArgs(append([]string{"--mappings", filepath.Join("..", "..", "testdata", "rules", "mappings")}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestReportCommands(t *testing.T) {
	t.Setenv("ALUSTA_REPORTS_VAT", "siivous:25,5")
	dir := t.TempDir()
	db := filepath.Join(dir, "alusta.db")
	outDir := filepath.Join(dir, "reports")
	if _, err := runAlusta(t, "report", "status", "--store", db); err == nil || err.Error() != "report: store "+db+" does not exist (run alusta sync or alusta run first)" {
		t.Fatalf("missing store: got %v", err)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC)
	if err := s.UpsertRecords(ctx, "companies", []store.Record{{ID: "301", UpdatedAt: at, Properties: map[string]string{
		"name": "Siivouspalvelu Aurinko Oy", "prices": "siivous:34.50", "business_id": "2900000-4"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertRecords(ctx, "deals", []store.Record{
		{ID: "1", UpdatedAt: at, Properties: map[string]string{"stage": "closedwon", "close_date": "2026-02-10T10:00:00Z",
			"provider": "301", "service": "siivous", "payer": "city", "units": "2", "unit": "h"}},
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	tests := []struct {
		name string
		args []string
		want string
		err  string
	}{
		{name: "csv", args: []string{"report", "export", "--report", "billing", "--month", "2026-02", "--out", outDir},
			want: "billing 2026-02: 1 rows -> " + filepath.Join(outDir, "billing-2026-02.csv")},
		{name: "xlsx all", args: []string{"report", "export", "--report", "all", "--day", "2026-02-10", "--format", "xlsx", "--out", outDir},
			want: "workload 2026-02-10: 0 rows -> " + filepath.Join(outDir, "workload-2026-02-10.xlsx")},
		{name: "no period", args: []string{"report", "export", "--report", "billing"}, err: "report export: give either --month YYYY-MM or --day YYYY-MM-DD"},
		{name: "bad report", args: []string{"report", "export", "--report", "payroll", "--month", "2026-02"}, err: `report: unknown report "payroll" (want billing, sla, quality, workload, referrals)`},
		{name: "lock unasked", args: []string{"report", "lock", "--month", "2026-02"},
			err: "report lock: 2026-02 not locked: nobody to ask (not a terminal); pass --yes to lock it"},
		{name: "lock", args: []string{"report", "lock", "--month", "2026-02", "--yes"}, want: "locked 2026-02: 1 rows, 1 orders, 69.00 EUR"},
		{name: "status", args: []string{"report", "status"}, want: "locked billing months: [2026-02]"},
		{name: "unlock without reason", args: []string{"report", "unlock", "--month", "2026-02"},
			err: "report unlock: give --reason: why the billed month is reopened is kept with the unlock"},
		{name: "unlock", args: []string{"report", "unlock", "--month", "2026-02", "--reason", "väärä yksikköhinta"}, want: "unlocked 2026-02 (by "},
		{name: "status after unlock", args: []string{"report", "status"}, want: ": väärä yksikköhinta\n"},
		{name: "lock again", args: []string{"report", "lock", "--month", "2026-02", "--yes"}, want: "locked 2026-02: 1 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runAlusta(t, append(tt.args, "--store", db)...)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("got %q, want it to contain %q", out, tt.want)
			}
		})
	}
	b, err := os.ReadFile(filepath.Join(outDir, "billing-2026-02.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// In the portal's language (fi by default), with the business ID and
	// the VAT of the settings.
	want := "\ufeffkuukausi;laji;tuottajan tunnus;tuottaja;y-tunnus;palvelu;maksaja;yksikkö;tilauksia;määrä;yksikköhinta;valuutta;veroton summa;alv %;alv;summa\r\n" +
		"2026-02;alkuperäinen;301;Siivouspalvelu Aurinko Oy;2900000-4;siivous;kaupunki;h;1;2,00;34,50;EUR;69,00;25,50;17,60;86,60\r\n" +
		"yhteensä;;;;;;;;1;;;;69,00;;17,60;86,60\r\n"
	if string(b) != want {
		t.Errorf("csv: got %q, want %q", b, want)
	}
}

// TestReportExportLeftOut checks that a delivered deal that cannot be
// billed is named on stderr with its property, that the file is still
// written, and that the command fails so that no script sends it on as
// whole.
func TestReportExportLeftOut(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "alusta.db")
	outDir := filepath.Join(dir, "reports")
	billingDB(t, db, [3]string{"1", "2", ""}, [3]string{"2", "0", ""})
	out, err := runAlusta(t, "report", "export", "--report", "billing", "--month", "2026-02", "--out", outDir, "--store", db)
	if want := "report export: 1 records left out of 2026-02; fix them in the CRM and sync again"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if want := `warning: billing 2026-02: left out deal 2, field units: units "0" is not a number above 0 and at most 100000`; !strings.Contains(out, want) {
		t.Errorf("got %q, want it to contain %q", out, want)
	}
	if _, err := os.Stat(filepath.Join(outDir, "billing-2026-02.csv")); err != nil {
		t.Errorf("the file was not written: %v", err)
	}
	out, err = runAlusta(t, "report", "lock", "--month", "2026-02", "--yes", "--store", db)
	if err == nil || !strings.HasPrefix(err.Error(), "report lock: 2026-02 is locked without 1 deals") || !strings.Contains(out, "locked 2026-02: 1 rows") {
		t.Errorf("lock: got %v, output %q", err, out)
	}
}

// TestReportExportAllContinues checks that --report all writes every
// report it can when one fails, then exits non-zero naming the failed one
// and the deal left out. Before, the first failure stopped the loop.
func TestReportExportAllContinues(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "alusta.db")
	outDir := filepath.Join(dir, "reports")
	billingDB(t, db, [3]string{"1", "2", "69"}, [3]string{"2", "2", "92233720368547758"})
	// A folder where the SLA file should go makes that one export fail.
	if err := os.MkdirAll(filepath.Join(outDir, "sla-2026-02.csv", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := runAlusta(t, "report", "export", "--report", "all", "--month", "2026-02", "--out", outDir, "--store", db)
	want := "report export: sla of 2026-02 not written; 1 records left out of 2026-02; fix them in the CRM and sync again"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if w := `warning: billing 2026-02: left out deal 2, field amount: amount "92233720368547758" is not a number above 0 and at most 10000000`; !strings.Contains(out, w) {
		t.Errorf("got %q, want it to contain %q", out, w)
	}
	for _, name := range []string{"billing", "quality", "workload"} {
		if _, err := os.Stat(filepath.Join(outDir, name+"-2026-02.csv")); err != nil {
			t.Errorf("%s was not written: %v", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(outDir, "billing-2026-02.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if w := "2026-02;alkuperäinen;301;Siivouspalvelu Aurinko Oy;2900000-4;siivous;kaupunki;h;1;2,00;34,50;EUR;69,00;0,00;0,00;69,00\r\n"; !strings.Contains(string(b), w) {
		t.Errorf("billing: got %q, want the good deal %q", b, w)
	}
}

// billingDB creates a store at db holding provider 301 (siivous 34.50
// EUR/h) and the given delivered February deals (id, units, amount).
func billingDB(t *testing.T, db string, deals ...[3]string) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC)
	if err := s.UpsertRecords(ctx, "companies", []store.Record{{ID: "301", UpdatedAt: at, Properties: map[string]string{
		"name": "Siivouspalvelu Aurinko Oy", "prices": "siivous:34.50", "business_id": "2900000-4"}}}); err != nil {
		t.Fatal(err)
	}
	var recs []store.Record
	for _, d := range deals {
		props := map[string]string{"stage": "closedwon", "close_date": "2026-02-10T10:00:00Z",
			"provider": "301", "service": "siivous", "payer": "city", "units": d[1], "unit": "h"}
		if d[2] != "" {
			props["amount"] = d[2]
		}
		recs = append(recs, store.Record{ID: d[0], UpdatedAt: at, Properties: props})
	}
	if err := s.UpsertRecords(ctx, "deals", recs); err != nil {
		t.Fatal(err)
	}
}
