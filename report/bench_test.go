package report

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/alusta/alusta/store"
)

// BenchmarkBilling builds and writes a month's billing basis from 5,000
// delivered orders over 40 providers, the size of the Kotitori model.
func BenchmarkBilling(b *testing.B) {
	ctx := context.Background()
	c := &testClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	s, err := store.Open(ctx, b.TempDir()+"/bench.db", store.Options{Now: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var companies, deals []store.Record
	services := []string{"siivous", "kauppa", "ateria", "avustaja"}
	for p := range 40 {
		companies = append(companies, store.Record{ID: fmt.Sprint(300 + p), UpdatedAt: c.t, Properties: map[string]string{
			"name": fmt.Sprintf("Tuottaja %02d Oy", p), "prices": "siivous:34.50;kauppa:18.00;ateria:8.40;avustaja:29.90"}})
	}
	for i := range 5000 {
		deals = append(deals, store.Record{ID: fmt.Sprint(10000 + i), UpdatedAt: c.t, Properties: map[string]string{
			"stage": "closedwon", "close_date": time.Date(2026, 2, 1+i%28, 10, 0, 0, 0, time.UTC).Format(time.RFC3339),
			"provider": fmt.Sprint(300 + i%40), "service": services[i%4], "payer": []string{"city", "client"}[i%2],
			"units": fmt.Sprint(1 + i%5), "unit": "h"}})
	}
	if err := s.UpsertRecords(ctx, "companies", companies); err != nil {
		b.Fatal(err)
	}
	if err := s.UpsertRecords(ctx, "deals", deals); err != nil {
		b.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Helsinki")
	env := Env{Store: s, Loc: loc, Now: c.Now, Mapping: testMapping(b)}
	p, _ := ParsePeriod("2026-02", loc)
	for _, f := range []Format{CSV, XLSX} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				t, err := Build(ctx, env, "billing", p)
				if err != nil {
					b.Fatal(err)
				}
				if f == CSV {
					err = WriteCSV(io.Discard, t, CSVOptions{}, nil)
				} else {
					err = WriteXLSX(io.Discard, t, nil)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
