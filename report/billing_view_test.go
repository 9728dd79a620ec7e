package report

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/store"
)

func TestParseVAT(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]int64
		err  string
	}{
		{in: "", want: map[string]int64{}},
		{in: "ateria:14; kauppa:25,5", want: map[string]int64{"ateria": 1400, "kauppa": 2550}},
		{in: "kauppa:25.55", want: map[string]int64{"kauppa": 2555}},
		{in: "kauppa=25", err: `report: vat "kauppa=25": want service:percent, such as kauppa:25.5`},
		{in: "kauppa:25.555", err: `report: vat "kauppa:25.555": want service:percent, such as kauppa:25.5`},
		{in: "kauppa:101", err: `report: vat "kauppa:101": want service:percent, such as kauppa:25.5`},
	}
	for _, tt := range tests {
		got, err := ParseVAT(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: got %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%q: got %v %v, want %v", tt.in, got, err, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%q: %s got %d, want %d", tt.in, k, got[k], v)
			}
		}
	}
}

func TestVATCents(t *testing.T) {
	for _, tt := range []struct{ net, bp, want int64 }{
		{6900, 2550, 1760}, // 17.595 rounds up
		{-6900, 2550, -1760},
		{1000, 0, 0},
		{3, 1400, 0}, // 0.42 cents
		{4, 1400, 1}, // 0.56 cents
	} {
		if got := vatCents(tt.net, tt.bp); got != tt.want {
			t.Errorf("vatCents(%d, %d): got %d, want %d", tt.net, tt.bp, got, tt.want)
		}
	}
}

// TestBillingViewLanguages writes the same basis row in each language:
// headers, kind and payer words change, identifiers and amounts do not.
func TestBillingViewLanguages(t *testing.T) {
	ctx := context.Background()
	_, _, env := billingStore(t)
	if err := env.Store.UpsertRecords(ctx, "companies", []store.Record{{ID: "301", UpdatedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Properties: map[string]string{
		"name": "Siivouspalvelu Aurinko Oy", "business_id": "2900000-4"}}}); err != nil {
		t.Fatal(err)
	}
	basis := &Table{Report: "billing", Period: Period{Label: "2026-02"}, Columns: billingColumns, Rows: [][]any{
		{"2026-02", "refund", "301", "Siivouspalvelu Aurinko Oy", "ateria", "client", "kpl", int64(-1), -2.0, int64(1000), int64(-2000)},
	}}
	tests := []struct {
		lang   string
		header []string
		words  []any
		total  string
	}{
		{"fi", []string{"kuukausi", "laji", "tuottajan tunnus", "tuottaja", "y-tunnus"}, []any{"hyvitys", "asiakas"}, "yhteensä"},
		{"sv", []string{"månad", "typ", "producentens id", "producent", "fo-nummer"}, []any{"gottgörelse", "klient"}, "totalt"},
		{"en", []string{"month", "kind", "provider id", "provider", "business id"}, []any{"refund", "client"}, "total"},
	}
	// A day's export holds days and corrected months in its first column.
	for lang, want := range map[string]string{"fi": "kausi", "sv": "period", "en": "period"} {
		day := *basis
		day.Period = Period{Label: "2026-02-10"}
		out, err := (&BillingView{Printer: locale.MustNew(lang)}).Apply(ctx, env.Store, &day)
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Columns[0].Name; got != want {
			t.Errorf("%s: a day's first column is %q, want %q", lang, got, want)
		}
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			v := &BillingView{Printer: locale.MustNew(tt.lang), BusinessIDProperty: "business_id",
				VAT: map[string]int64{"ateria": 1400}}
			out, err := v.Apply(ctx, env.Store, basis)
			if err != nil {
				t.Fatal(err)
			}
			var header []string
			for _, c := range out.Columns[:5] {
				header = append(header, c.Name)
			}
			if !slices.Equal(header, tt.header) {
				t.Errorf("header: got %q, want %q", header, tt.header)
			}
			r := out.Rows[0]
			want := []any{"2026-02", tt.words[0], "301", "Siivouspalvelu Aurinko Oy", "2900000-4", "ateria", tt.words[1], "kpl",
				int64(-1), -2.0, int64(1000), "EUR", int64(-2000), 14.0, int64(-280), int64(-2280)}
			if !slices.Equal(r, want) {
				t.Errorf("row: got %v, want %v", r, want)
			}
			if got := out.Totals()[0]; got != tt.total {
				t.Errorf("totals label: got %v, want %q", got, tt.total)
			}
		})
	}
}
