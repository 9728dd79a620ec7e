package store

import (
	"context"
	"testing"
	"time"
)

// TestRecordFacts checks that the console's facts follow the records
// through inserts, updates (the upsert) and stale writes that change
// nothing.
func TestRecordFacts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	s, err := Open(ctx, t.TempDir()+"/s.db", Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	type facts struct{ queue, provider, sla string }
	get := func() facts {
		t.Helper()
		var f facts
		if err := s.DB().QueryRowContext(ctx, `SELECT queue, provider_id, sla_status FROM record_facts WHERE object_type = 'deals' AND id = '1'`).
			Scan(&f.queue, &f.provider, &f.sla); err != nil {
			t.Fatal(err)
		}
		return f
	}
	steps := []struct {
		name    string
		updated time.Time
		props   map[string]string
		want    facts
	}{
		{name: "insert", updated: now, props: map[string]string{"queue": "tilaukset"}, want: facts{queue: "tilaukset"}},
		{name: "update", updated: now.Add(time.Minute), props: map[string]string{"queue": "koordinaattori", "provider": "42", "sla_status": "running"},
			want: facts{"koordinaattori", "42", "running"}},
		{name: "older read changes nothing", updated: now, props: map[string]string{"queue": "vanha"}, want: facts{"koordinaattori", "42", "running"}},
	}
	for _, st := range steps {
		if err := s.UpsertRecords(ctx, "deals", []Record{{ID: "1", CreatedAt: now, UpdatedAt: st.updated, Properties: st.props}}); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := get(); got != st.want {
			t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
	var n int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM record_facts`).Scan(&n); err != nil || n != 1 {
		t.Errorf("facts rows: got %d (%v), want 1", n, err)
	}
	if err := s.UpsertRecords(ctx, "companies", []Record{{ID: "9", CreatedAt: now, UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM record_facts WHERE object_type = 'companies'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("companies in facts: got %d (%v), want none", n, err)
	}
}
