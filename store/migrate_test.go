package store

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestMigrateToAlustaNames fills a cache as the first schema kept it,
// under the default mapping's HubSpot property names, and checks that
// opening it renames every value to alusta's names and that the views read
// them.
func TestMigrateToAlustaNames(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ typ, id, props string }{
		{"tickets", "1", `{"hs_pipeline":"0","hs_pipeline_stage":"1","source_type":"EMAIL","hubspot_owner_id":"7","alusta_queue":"neuvonta","closed_date":"2026-03-01T10:00:00Z"}`},
		{"deals", "2", `{"dealstage":"1006","closedate":"2026-02-10T10:00:00Z","alusta_units":"3","alusta_provider":"301","alusta_declined_by":"302"}`},
		{"companies", "301", `{"name":"Siivous Oy","alusta_provider_prices":"siivous:34.50","alusta_provider_capacity":"10"}`},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO records (object_type, id, properties, created_at, updated_at, archived, synced_at)
VALUES (?, ?, ?, '2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.000Z', 0, '2026-03-01T10:00:00.000Z')`, r.typ, r.id, r.props); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]map[string]string{
		"tickets":   {"pipeline": "0", "stage": "1", "source": "EMAIL", "owner": "7", "queue": "neuvonta", "closed_at": "2026-03-01T10:00:00Z"},
		"deals":     {"stage": "1006", "close_date": "2026-02-10T10:00:00Z", "units": "3", "provider": "301", "declined_by": "302"},
		"companies": {"name": "Siivous Oy", "prices": "siivous:34.50", "capacity": "10"},
	}
	for typ, w := range want {
		recs, err := s.Records(ctx, typ, Filter{})
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: got %d records, %v", typ, len(recs), err)
		}
		if !reflect.DeepEqual(recs[0].Properties, w) {
			t.Errorf("%s: got %v, want %v", typ, recs[0].Properties, w)
		}
	}
	var channel, closed, units, capacity string
	if err := s.DB().QueryRowContext(ctx, `SELECT channel, closed_date FROM v_tickets`).Scan(&channel, &closed); err != nil || channel != "EMAIL" || closed != "2026-03-01T10:00:00Z" {
		t.Errorf("v_tickets: got %q %q %v", channel, closed, err)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT units FROM v_deals`).Scan(&units); err != nil || units != "3" {
		t.Errorf("v_deals: got %q %v", units, err)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT capacity FROM v_providers`).Scan(&capacity); err != nil || capacity != "10" {
		t.Errorf("v_providers: got %q %v", capacity, err)
	}
}
