package report

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/store"
)

// boundsStore holds provider 301 (siivous 34.50 EUR/h) and one good
// delivered deal, 1, in February 2026.
func boundsStore(t *testing.T) (*store.Store, *testClock, Env) {
	t.Helper()
	c := &testClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	s := openStore(t, c)
	ctx := context.Background()
	at := time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC)
	if err := s.UpsertRecords(ctx, "companies", []store.Record{{ID: "301", UpdatedAt: at, Properties: map[string]string{
		"name": "Siivouspalvelu Aurinko Oy", "prices": "siivous:34.50;kotihoito:200;kauppa:1e300;ateria:NaN"}}}); err != nil {
		t.Fatal(err)
	}
	putDeal(t, s, "1", at, "2", "")
	return s, c, Env{Store: s, Loc: helsinki(t), Now: c.Now, Mapping: testMapping(t)}
}

func putDeal(t *testing.T, s *store.Store, id string, at time.Time, units, amount string) {
	t.Helper()
	putDealService(t, s, id, at, units, amount, "siivous")
}

func putDealService(t *testing.T, s *store.Store, id string, at time.Time, units, amount, service string) {
	t.Helper()
	props := map[string]string{"stage": "closedwon", "close_date": "2026-02-10T10:00:00Z", "provider": "301",
		"service": service, "payer": "city", "units": units, "unit": "h"}
	if amount != "" {
		props["amount"] = amount
	}
	if err := s.UpsertRecords(context.Background(), "deals", []store.Record{{ID: id, UpdatedAt: at, Properties: props}}); err != nil {
		t.Fatal(err)
	}
}

// TestBillingBounds checks that a deal whose amount or units make no
// sense is left out of billing and named, while the good deal is billed
// and the report saved. Before the bounds, 9.3e16 overflowed the cents and
// the report could not be saved (json: invalid number literal), an amount
// of 0, -5 or NaN fell back to the list price without a word, and 0.0001
// units billed 690,000 EUR per hour.
func TestBillingBounds(t *testing.T) {
	tests := []struct {
		name, units, amount, service string
		want                         string
	}{
		{name: "amount overflows cents", units: "1", amount: "93000000000000000",
			want: `deal 2, field amount: amount "93000000000000000" is not a number above 0 and at most 10000000`},
		{name: "amount above bound", units: "1", amount: "10000000.01",
			want: `deal 2, field amount: amount "10000000.01" is not a number above 0 and at most 10000000`},
		{name: "amount zero", units: "1", amount: "0",
			want: `deal 2, field amount: amount "0" is not a number above 0 and at most 10000000`},
		{name: "amount negative", units: "1", amount: "-5",
			want: `deal 2, field amount: amount "-5" is not a number above 0 and at most 10000000`},
		{name: "amount NaN", units: "1", amount: "NaN",
			want: `deal 2, field amount: amount "NaN" is not a number above 0 and at most 10000000`},
		{name: "amount infinite", units: "1", amount: "+Inf",
			want: `deal 2, field amount: amount "+Inf" is not a number above 0 and at most 10000000`},
		{name: "amount an identity code", units: "1", amount: "131052-308T",
			want: `deal 2, field amount: amount "[hetu]" is not a number above 0 and at most 10000000`},
		{name: "amount below a cent", units: "1", amount: "0.004",
			want: `deal 2, field amount: total 0.00 EUR at unit price 0.00 EUR for 1 units is not above 0 and at most 10000000`},
		{name: "units round to zero", units: "0.0001", amount: "69",
			want: `deal 2, field units: units "0.0001" round to 0 at three decimals`},
		{name: "units above bound", units: "100001", amount: "",
			want: `deal 2, field units: units "100001" is not a number above 0 and at most 100000`},
		{name: "units NaN", units: "NaN", amount: "",
			want: `deal 2, field units: units "NaN" is not a number above 0 and at most 100000`},
		{name: "units huge", units: "1e300", amount: "5",
			want: `deal 2, field units: units "1e300" is not a number above 0 and at most 100000`},
		{name: "list price times units above bound", units: "100000", amount: "", service: "kotihoito",
			want: `deal 2, field amount: total 20000000.00 EUR at unit price 200.00 EUR for 100000 units is not above 0 and at most 10000000`},
		{name: "list price absurd", units: "1", amount: "", service: "kauppa",
			want: `deal 2, field amount: no amount and provider 301 has no valid price for "kauppa"`},
		{name: "list price NaN", units: "1", amount: "", service: "ateria",
			want: `deal 2, field amount: no amount and provider 301 has no valid price for "ateria"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, _, env := boundsStore(t)
			service := tt.service
			if service == "" {
				service = "siivous"
			}
			putDealService(t, s, "2", time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC), tt.units, tt.amount, service)
			p, err := ParsePeriod("2026-02", env.Loc)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := Build(ctx, env, "billing", p)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if len(tbl.Problems) != 1 || tbl.Problems[0] != tt.want {
				t.Errorf("problems: got %q, want [%q]", tbl.Problems, tt.want)
			}
			var buf bytes.Buffer
			if err := WriteCSV(&buf, tbl, CSVOptions{International: true}, nil); err != nil {
				t.Fatal(err)
			}
			want := "2026-02,original,301,Siivouspalvelu Aurinko Oy,siivous,city,h,1,2.00,34.50,69.00\r\n"
			if !strings.Contains(buf.String(), want) {
				t.Errorf("csv: got\n%s\nwant it to contain %q", buf.String(), want)
			}
			rej, err := s.RejectedRecords(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(rej) != 1 || rej[0].RecordID != "2" {
				t.Errorf("rejected records: got %+v, want deal 2", rej)
			}
		})
	}
}

// TestBillingBoundsLockedMonth changes a deal of a locked month to an
// absurd amount and back. Before the bounds the correction stored
// total_cents = MinInt64 and the refund of it overflowed again; now the
// absurd figure is named and refunded from the last good figures, and the
// fixed deal bills again as a correction.
func TestBillingBoundsLockedMonth(t *testing.T) {
	ctx := context.Background()
	s, c, env := boundsStore(t)
	if _, err := Lock(ctx, env, "2026-02"); err != nil {
		t.Fatal(err)
	}
	c.t = time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	putDeal(t, s, "1", c.t, "2", "92233720368547758")
	march, err := ParsePeriod("2026-03", env.Loc)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := Build(ctx, env, "billing", march)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if len(tbl.Problems) != 0 {
		t.Errorf("problems of March: got %q, want none (the deal belongs to February)", tbl.Problems)
	}
	feb, err := ParsePeriod("2026-02", env.Loc)
	if err != nil {
		t.Fatal(err)
	}
	ft, err := Build(ctx, env, "billing", feb)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if want := `deal 1, field amount: amount "92233720368547758" is not a number above 0 and at most 10000000`; len(ft.Problems) != 1 || ft.Problems[0] != want {
		t.Errorf("problems of February: got %q, want [%q]", ft.Problems, want)
	}
	c.t = time.Date(2026, 3, 6, 8, 0, 0, 0, time.UTC)
	putDeal(t, s, "1", c.t, "2", "70")
	tbl, err = Build(ctx, env, "billing", march)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tbl, CSVOptions{International: true}, nil); err != nil {
		t.Fatal(err)
	}
	want := "\ufeffmonth,kind,provider_id,provider,service,payer,unit,orders,units,unit_price,total\r\n" +
		"2026-02,correction,301,Siivouspalvelu Aurinko Oy,siivous,city,h,1,2.00,35.00,70.00\r\n" +
		"2026-02,refund,301,Siivouspalvelu Aurinko Oy,siivous,city,h,-1,-2.00,34.50,-69.00\r\n" +
		"total,,,,,,,0,,,1.00\r\n"
	if buf.String() != want {
		t.Errorf("March: got\n%s\nwant\n%s", buf.String(), want)
	}
	var bad int
	if err := s.DB().QueryRowContext(ctx, `
SELECT (SELECT count(*) FROM billing_billed WHERE abs(total_cents) > 1000000000 OR abs(price_cents) > 1000000000)
     + (SELECT count(*) FROM billing_corrections WHERE abs(total_cents) > 1000000000 OR abs(price_cents) > 1000000000)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("got %d stored rows out of bounds, want 0", bad)
	}
}

// TestBillingTablesRefuseCorruptFigures checks the database's own guard:
// no code path can store a billing figure out of bounds.
func TestBillingTablesRefuseCorruptFigures(t *testing.T) {
	ctx := context.Background()
	s, _, _ := boundsStore(t)
	for _, q := range []string{
		`INSERT INTO billing_billed (deal_id, month, provider_id, service, payer, unit, units_milli, price_cents, total_cents)
VALUES ('9', '2026-02', '301', 'siivous', 'city', 'h', 1000, 100, -9223372036854775808)`,
		`INSERT INTO billing_corrections (seen_month, orig_month, deal_id, kind, provider_id, service, payer, unit, units_milli, price_cents, total_cents, created_at)
VALUES ('2026-03', '2026-02', '9', 'refund', '301', 'siivous', 'city', 'h', -1000, 100, 9223372036854775807, '2026-03-01T00:00:00.000Z')`,
	} {
		_, err := s.DB().ExecContext(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "figure out of bounds") {
			t.Errorf("got %v, want the figure refused", err)
		}
	}
}

func TestFormatCents(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {123456, "1234.56"},
		{-9223372036854775808, "-92233720368547758.08"}, {9223372036854775807, "92233720368547758.07"},
	}
	for _, tt := range tests {
		if got := formatCents(tt.in, '.'); got != tt.want {
			t.Errorf("formatCents(%d): got %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestNightlyLogNamesAbsurdDeals runs the nightly export over a month that
// holds an absurd deal: every report is written, the billing file holds the
// good deal, and the log names the bad one with its property. Before, the
// export of the month failed at the first overflow.
func TestNightlyLogNamesAbsurdDeals(t *testing.T) {
	ctx := context.Background()
	s, c, env := boundsStore(t)
	putDeal(t, s, "2", time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC), "2", "92233720368547758")
	putDeal(t, s, "3", time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC), "0.0001", "5")
	var log bytes.Buffer
	dir := t.TempDir()
	exp, err := NewExporter(s, ExporterOptions{Mapping: env.Mapping, Dir: dir, Loc: env.Loc, Now: c.Now, Attempts: 1,
		Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := NewScheduler(exp, SchedulerOptions{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := sched.RunOnce(ctx, time.Date(2026, 2, 11, 0, 0, 0, 0, env.Loc)); err != nil {
		t.Fatalf("nightly export: %v", err)
	}
	for _, want := range []string{
		`msg="report: record left out" report=billing period=2026-02 problem="deal 2, field amount: amount \"92233720368547758\" is not a number above 0 and at most 10000000"`,
		`msg="report: record left out" report=billing period=2026-02 problem="deal 3, field units: units \"0.0001\" round to 0 at three decimals"`,
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, log.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "billing-2026-02.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "2026-02;original;301;Siivouspalvelu Aurinko Oy;siivous;city;h;1;2,00;34,50;69,00\r\n"; !strings.Contains(string(b), want) {
		t.Errorf("billing file: got %q, want the good deal %q", b, want)
	}
}
