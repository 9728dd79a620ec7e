package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkUpsertRecords measures one sync page of 100 deals.
func BenchmarkUpsertRecords(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	page := make([]Record, 100)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range page {
			page[j] = Record{ID: fmt.Sprint(i*100 + j), CreatedAt: t0, UpdatedAt: t0.Add(time.Duration(i) * time.Second), Properties: map[string]string{
				"stage": "1006", "close_date": "2026-02-10T10:00:00Z", "provider": "301", "service": "siivous",
				"payer": "city", "units": "3", "unit": "h", "name": "ignored", "decision": "rule r1 chose 301",
			}}
		}
		if err := s.UpsertRecords(ctx, "deals", page); err != nil {
			b.Fatal(err)
		}
	}
}
