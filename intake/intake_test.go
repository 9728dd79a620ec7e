package intake

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func validOrder() Order {
	return Order{OrderRef: "TRE-1", Service: "siivous", Municipality: "Tampere", StartDate: "2026-12-07", Units: 4, Unit: "h",
		Payer: "city", Language: "fi", Client: Client{FirstName: "Aino", LastName: "Esimerkki", Address: "Hämeenkatu 1",
			PostalCode: "33100", Phone: "+358 40 123 4567"}}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		rules  Rules
		change func(*Order)
		want   []string
	}{
		{name: "valid", change: func(*Order) {}},
		{name: "empty", change: func(o *Order) { *o = Order{} }, want: []string{
			"order_ref: required", "service: required", "municipality: required", "start_date: required",
			"units: 0: want a number above 0 and at most 10000", "unit: required", "payer: required", "language: required",
			"client.first_name: required", "client.last_name: required", "client.address: required",
			"client.postal_code: required", "client.phone: required"}},
		{name: "slash in reference", change: func(o *Order) { o.OrderRef = "a/b" }, want: []string{
			"order_ref: want 1 to 64 letters, digits or . _ : -, starting with a letter or digit"}},
		{name: "personal identity code as reference", change: func(o *Order) { o.OrderRef = "131052-308T" }, want: []string{
			"order_ref: looks like a personal identity code; use the orderer's own order number"}},
		{name: "own municipalities", rules: Rules{Municipalities: []string{"Vaasa", "Mustasaari"}}, change: func(*Order) {}, want: []string{
			`municipality: unknown municipality "Tampere"; allowed: Vaasa, Mustasaari`}},
		{name: "personal id refused", change: func(o *Order) { o.Client.PersonalID = "131052-308T" }, want: []string{
			"client.personal_id: not accepted: this service takes no personal identity codes (intake.accept_personal_id is off)"}},
		{name: "personal id accepted", rules: Rules{AcceptPersonalID: true}, change: func(o *Order) { o.Client.PersonalID = "131052-308T" }},
		{name: "personal id with a wrong check character", rules: Rules{AcceptPersonalID: true}, change: func(o *Order) { o.Client.PersonalID = "131052-308U" }, want: []string{
			"client.personal_id: not a valid personal identity code"}},
		{name: "personal id of the 2000s", rules: Rules{AcceptPersonalID: true}, change: func(o *Order) { o.Client.PersonalID = "010101A123N" }},
		{name: "company id chosen", change: func(o *Order) { o.ClientChoice = "5100000026" }},
		{name: "business id chosen", change: func(o *Order) { o.ClientChoice = "0112038-9" }},
		{name: "business id with a wrong check digit", change: func(o *Order) { o.ClientChoice = "0112038-8" }, want: []string{
			`client_choice: "0112038-8": the business id's check digit is wrong`}},
		{name: "email", change: func(o *Order) { o.Client.Email = "aino(at)example.fi" }, want: []string{"client.email: want an e-mail address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrder()
			tt.change(&o)
			var got []string
			for _, p := range tt.rules.Check(o) {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestParseCSV reads each testdata/csv/NAME.csv and compares its problems
// and good rows with NAME.golden.
func TestParseCSV(t *testing.T) {
	files, _ := filepath.Glob("testdata/csv/*.csv")
	if len(files) == 0 {
		t.Fatal("no CSV fixtures")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, probs := ParseCSV(filepath.Base(file), f, Rules{})
			var b strings.Builder
			for _, p := range probs {
				fmt.Fprintln(&b, p.String())
			}
			var good []string
			for _, r := range rows {
				good = append(good, fmt.Sprintf("%s (row %d)", r.Order.OrderRef, r.Row))
			}
			fmt.Fprintf(&b, "good: %s\n", strings.Join(good, ", "))
			want, err := os.ReadFile(strings.TrimSuffix(file, ".csv") + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
			}
		})
	}
}

func TestParseCSVReadsDecimalCommaAndQuotedSeparators(t *testing.T) {
	f, _ := os.Open("testdata/csv/mixed.csv")
	defer f.Close()
	rows, _ := ParseCSV("mixed.csv", f, Rules{})
	if len(rows) == 0 || rows[0].Order.Units != 2.5 || rows[0].Order.NotesForProvider != "Ovikoodi; 1234" || rows[0].Order.Client.FirstName != "Aino" {
		t.Fatalf("got %+v, want CSV-1 with 2.5 units, the quoted note and the client", rows)
	}
}
