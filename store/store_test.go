package store

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/alusta/alusta/connector/hubspot"
)

// clock is an injected, settable clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func openTest(t *testing.T) (*Store, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "alusta.db"), Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

func TestOpenTwiceAndClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: got %v, want nil", err)
	}
	// Reopening applies no migration twice.
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode string
	if err := s.DB().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode: got %q, want wal", mode)
	}
	var fk int
	if err := s.DB().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
		t.Fatal(err)
	}
	if fk != 1 {
		t.Errorf("foreign_keys: got %d, want 1", fk)
	}
	if _, err := Open(ctx, ":memory:", Options{}); err == nil || err.Error() != `store: open: a file path is required, got ":memory:"` {
		t.Errorf("memory: got %v", err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "asiakas 131052-308T soitti", "asiakas [hetu] soitti"},
		{"2000s", "id 010203A123B.", "id [hetu]."},
		{"new signs", "050501Y1234 and 050501W123X", "[hetu] and [hetu]"},
		{"bad check char kept", "131052-308G", "131052-308G"},
		{"too short kept", "131052-30", "131052-30"},
		{"lowercase", "131052-308t", "[hetu]"},
		{"date is kept", "closed 2026-03-10T12:00:00Z", "closed 2026-03-10T12:00:00Z"},
		{"phone-like kept", "+358 40 1234567", "+358 40 1234567"},
		{"glued to words", "x131052-308Tx", "x[hetu]x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUpsertRecords(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	rec := Record{ID: "101", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), Properties: map[string]string{
		"stage":       "1",
		"content":     "asiakas 131052-308T tarvitsee apua",
		"subject":     "apua",
		"decision":    "matched rule r1 for 131052-308T",
		"email":       "x@example.com",
		"not_allowed": "x",
	}}
	if err := s.UpsertRecords(ctx, "tickets", []Record{rec, rec}); err != nil {
		t.Fatal(err)
	}
	older := rec
	older.UpdatedAt = t0
	older.Properties = map[string]string{"stage": "0"}
	if err := s.UpsertRecords(ctx, "tickets", []Record{older}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Record(ctx, "tickets", "101")
	if err != nil || !ok {
		t.Fatalf("Record: %v %v", ok, err)
	}
	want := map[string]string{"stage": "1", "decision": "matched rule r1 for [hetu]"}
	if !reflect.DeepEqual(got.Properties, want) {
		t.Errorf("properties: got %v, want %v", got.Properties, want)
	}
	if !got.UpdatedAt.Equal(rec.UpdatedAt) {
		t.Errorf("updated_at: got %v, want %v", got.UpdatedAt, rec.UpdatedAt)
	}
	var n int
	var raw string
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*), group_concat(properties) FROM records`).Scan(&n, &raw); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("rows: got %d, want 1", n)
	}
	for _, bad := range []string{"131052", "apua", "example.com"} {
		if strings.Contains(raw, bad) {
			t.Errorf("stored properties hold %q: %s", bad, raw)
		}
	}
	newer := rec
	newer.UpdatedAt = t0.Add(2 * time.Hour)
	newer.Properties = map[string]string{"stage": "2"}
	if err := s.UpsertRecords(ctx, "tickets", []Record{newer, {ID: "102", UpdatedAt: t0, Properties: map[string]string{"stage": "2"}}}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.Records(ctx, "tickets", Filter{Where: map[string]string{"stage": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].ID != "101" || recs[1].ID != "102" {
		t.Errorf("Records: got %+v", recs)
	}
	recs, err = s.Records(ctx, "tickets", Filter{UpdatedSince: t0.Add(90 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].ID != "101" {
		t.Errorf("Records since: got %+v", recs)
	}
	if _, ok, err := s.Record(ctx, "deals", "101"); ok || err != nil {
		t.Errorf("other type: got %v %v, want false nil", ok, err)
	}
	if err := s.UpsertRecords(ctx, "tickets", []Record{{ID: ""}}); err == nil || err.Error() != "store: upsert tickets: record without id" {
		t.Errorf("empty id: got %v", err)
	}
}

func TestOwners(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	in := []Owner{{ID: "7", FirstName: "Aino", LastName: "Koordinaattori", Teams: []string{"Neuvonta"}}, {ID: "10", FirstName: "Eero"}}
	if err := s.UpsertOwners(ctx, in); err != nil {
		t.Fatal(err)
	}
	in[0].LastName = "K"
	if err := s.UpsertOwners(ctx, in[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name() != "Aino K" || got[1].ID != "10" || !reflect.DeepEqual(got[0].Teams, []string{"Neuvonta"}) {
		t.Errorf("got %+v", got)
	}
}

func TestCursor(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	got, err := s.Cursor(ctx, "deals")
	if err != nil || !reflect.DeepEqual(got, Cursor{}) {
		t.Fatalf("empty: got %+v %v", got, err)
	}
	since := time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)
	started := time.Date(2026, 3, 10, 11, 59, 0, 0, time.UTC)
	if err := s.SaveCursor(ctx, "deals", Cursor{Since: since, SyncStartedAt: started}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Cursor(ctx, "deals")
	if err != nil {
		t.Fatal(err)
	}
	want := Cursor{Since: since, SyncStartedAt: started, UpdatedAt: c.t}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestWrites(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	t1 := c.t
	ws := []Write{
		{ObjectType: "tickets", RecordID: "1", Property: "alusta_queue", Old: "", New: "neuvonta", Rule: "r1", DecisionID: 1, At: t1, Status: WriteApplied},
		{ObjectType: "tickets", RecordID: "1", Property: "hubspot_owner_id", Old: "", New: "7", Rule: "r1", DecisionID: 1, At: t1, Status: WriteRejected, Reason: "owner 7 inactive; client 131052-308T"},
	}
	count := func(what string, want int) {
		t.Helper()
		all, err := s.Writes(ctx, "tickets", "1")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != want {
			t.Fatalf("%s: got %d writes logged, want %d: %+v", what, len(all), want, all)
		}
	}
	if err := s.SavePage(ctx, Page{ObjectType: "tickets", Writes: ws}); err != nil {
		t.Fatal(err)
	}
	count("first", 2)
	// A replay after a crash logs nothing new.
	if err := s.SavePage(ctx, Page{ObjectType: "tickets", Writes: ws}); err != nil {
		t.Fatal(err)
	}
	count("replay", 2)
	t2 := t1.Add(time.Minute)
	if err := s.SavePage(ctx, Page{ObjectType: "tickets", Writes: []Write{
		{ObjectType: "tickets", RecordID: "1", Property: "alusta_queue", Old: "neuvonta", New: "palaute", Rule: "r2", DecisionID: 2, At: t2, Status: WriteApplied},
		{ObjectType: "tickets", RecordID: "1", Property: "hubspot_owner_id", New: "8", DecisionID: 2, Status: WriteApplied},
	}}); err != nil {
		t.Fatal(err)
	}
	count("second", 4)
	all, err := s.Writes(ctx, "tickets", "1")
	if err != nil {
		t.Fatal(err)
	}
	if all[1].Reason != "owner 7 inactive; client [hetu]" {
		t.Errorf("Writes: got %+v", all)
	}
	err = s.SavePage(ctx, Page{ObjectType: "tickets", Writes: []Write{{ObjectType: "tickets", RecordID: "1", Property: "x", Status: "done"}}})
	if err == nil || err.Error() != `store: save tickets page: writes: tickets 1 x: unknown status "done"` {
		t.Errorf("bad status: got %v", err)
	}
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	d := Decision{ObjectType: "deals", RecordID: "9", Rule: "siivous-tampere", ProviderID: "301",
		Explanation: "chose 301 for client 131052-308T", Fingerprint: "a"}
	// Each decision logs a write; a repeated decision's write goes to the
	// decision it repeats.
	save := func(d Decision, value string) {
		t.Helper()
		w := Write{ObjectType: "deals", RecordID: "9", Property: "alusta_provider", New: value, Status: WriteApplied}
		if err := s.SavePage(ctx, Page{ObjectType: "deals", Decided: []DecidedRecord{{Decision: d, Writes: []Write{w}}}}); err != nil {
			t.Fatal(err)
		}
	}
	save(d, "301")
	save(d, "301 again")
	d.ProviderID, d.Fingerprint = "302", "b"
	save(d, "302")
	ws, err := s.Writes(ctx, "deals", "9")
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 3 || ws[0].DecisionID != ws[1].DecisionID || ws[2].DecisionID == ws[0].DecisionID {
		t.Errorf("writes' decisions: got %+v, want the repeat's write on the first decision and the third on a new one", ws)
	}
	hist, err := s.Decisions(ctx, "deals", "9")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].ProviderID != "301" || hist[0].Explanation != "chose 301 for client [hetu]" {
		t.Errorf("history: got %+v", hist)
	}
	if hist[1].ProviderID != "302" {
		t.Errorf("latest: got %+v, want provider 302", hist[1])
	}
	if none, err := s.Decisions(ctx, "deals", "10"); len(none) != 0 || err != nil {
		t.Errorf("none: got %v %v", none, err)
	}
}

func TestSLA(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	start := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	due1 := start.Add(4 * time.Hour)
	due2 := start.Add(2 * time.Hour)
	stop := start.Add(time.Hour)
	page := func(id string, cycles []SLACycle, events []SLAEvent) Page {
		return Page{ObjectType: "tickets", Decided: []DecidedRecord{{
			Decision: Decision{ObjectType: "tickets", RecordID: id, Fingerprint: "sla"}, SLA: cycles, Events: events}}}
	}
	ev := []SLAEvent{{ObjectType: "tickets", RecordID: "1", Goal: "close", Cycle: 1, Kind: "started", At: start}, {ObjectType: "tickets", RecordID: "1", Goal: "close", Cycle: 1, Kind: "met", At: stop}}
	if err := s.SavePage(ctx, page("1", []SLACycle{
		{Goal: "first_response", Cycle: 1, StartedAt: start, DueAt: &due1, Status: SLARunning, Calendar: "fi"},
		{Goal: "close", Cycle: 1, StartedAt: start, DueAt: &due2, StoppedAt: &stop, Status: SLAMet, BusinessElapsedSeconds: 3600},
	}, ev)); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePage(ctx, page("2", []SLACycle{{Goal: "first_response", Cycle: 1, StartedAt: start, DueAt: &due2, Status: SLAPaused}}, nil)); err != nil {
		t.Fatal(err)
	}
	cs, err := s.SLACycles(ctx, "tickets", "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Goal != "close" || cs[0].StoppedAt == nil || !cs[0].StoppedAt.Equal(stop) || cs[1].StoppedAt != nil {
		t.Errorf("cycles: got %+v", cs)
	}
	// The same events saved again (a page replayed after a crash) are
	// not repeated.
	if err := s.SavePage(ctx, page("1", nil, ev)); err != nil {
		t.Fatal(err)
	}
	evs, err := s.SLAEvents(ctx, "tickets", "1")
	if err != nil || len(evs) != 2 || evs[1].Kind != "met" {
		t.Errorf("events: got %+v %v", evs, err)
	}
	err = s.SavePage(ctx, page("3", []SLACycle{{Goal: "close", Cycle: 1, StartedAt: start, Status: "late"}}, nil))
	if err == nil || err.Error() != `store: save tickets page: sla cycles 3: goal close cycle 1: unknown status "late"` {
		t.Errorf("bad status: got %v", err)
	}
}

func TestStateRejectedRuns(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	type rotation struct{ Next map[string]int }
	var st rotation
	if err := s.LoadState(ctx, "rotation", &st); err != nil || st.Next != nil {
		t.Fatalf("empty state: got %+v %v", st, err)
	}
	if err := s.SaveStates(ctx, map[string]any{"rotation": rotation{Next: map[string]int{"neuvonta": 3}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadState(ctx, "rotation", &st); err != nil || st.Next["neuvonta"] != 3 {
		t.Errorf("state: got %+v %v", st, err)
	}

	for range 2 {
		if err := s.RecordRejected(ctx, "deals", "5", "alusta_units", "not a number: 131052-308T"); err != nil {
			t.Fatal(err)
		}
	}
	rej, err := s.RejectedRecords(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || rej[0].Seen != 2 || rej[0].Reason != "not a number: [hetu]" {
		t.Errorf("rejected: got %+v", rej)
	}

	id, err := s.StartRun(ctx, Run{Report: "billing", Period: "2026-02", Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(3 * time.Second)
	if err := s.FinishRun(ctx, id, Run{Status: RunOK, Rows: 12, Checksum: "abc", Duration: 1500 * time.Millisecond, Path: "/r/x.csv"}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, 99, Run{Status: RunOK}); err == nil || err.Error() != "store: finish run 99: no such run" {
		t.Errorf("missing run: got %v", err)
	}
	runs, err := s.Runs(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != RunOK || runs[0].Rows != 12 || runs[0].Duration != 1500*time.Millisecond || runs[0].Finished == nil || !runs[0].Finished.Equal(c.t) {
		t.Errorf("runs: got %+v", runs)
	}
}

func TestPipelinesAndConversions(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	ps := []hubspot.Pipeline{{ID: "702000001", Label: "Palvelutilaukset", Stages: []hubspot.Stage{
		{ID: "702000016", Label: "Toteutunut", DisplayOrder: 5, Metadata: map[string]string{"probability": "1.0"}},
		{ID: "702000011", Label: "Vastaanotettu", DisplayOrder: 0, Metadata: map[string]string{"probability": "0.1"}},
	}}}
	if err := s.UpsertPipelines(ctx, "deals", ps); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertPipelines(ctx, "tickets", []hubspot.Pipeline{{ID: "0", Label: "Neuvonta ja ohjaus", Stages: []hubspot.Stage{
		{ID: "4", Label: "Suljettu", Metadata: map[string]string{"isClosed": "true"}}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Stages(ctx, "deals")
	if err != nil {
		t.Fatal(err)
	}
	want := []StageInfo{
		{PipelineID: "702000001", PipelineLabel: "Palvelutilaukset", StageID: "702000011", Label: "Vastaanotettu", Probability: 0.1},
		{PipelineID: "702000001", PipelineLabel: "Palvelutilaukset", StageID: "702000016", Label: "Toteutunut", Probability: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deal stages: got %+v, want %+v", got, want)
	}
	got, err = s.Stages(ctx, "tickets")
	if err != nil || len(got) != 1 || !got[0].Closed || got[0].Probability != -1 {
		t.Errorf("ticket stages: got %+v %v", got, err)
	}

	o := OwnerFromHubSpot(hubspot.Owner{ID: "7", Email: "aino@example.com", FirstName: "Aino", LastName: "Aalto", Teams: []hubspot.OwnerTeam{{Name: "Neuvonta"}}})
	if !reflect.DeepEqual(o, Owner{ID: "7", FirstName: "Aino", LastName: "Aalto", Teams: []string{"Neuvonta"}}) {
		t.Errorf("OwnerFromHubSpot: got %+v", o)
	}
	for _, c := range []struct {
		typ, name string
		kept      bool
	}{{"deals", "units", true}, {"deals", "name", false}, {"companies", "name", true}, {"tickets", "content", false}} {
		if err := s.UpsertRecords(ctx, c.typ, []Record{{ID: "900", Properties: map[string]string{c.name: "x"}}}); err != nil {
			t.Fatal(err)
		}
		r, _, err := s.Record(ctx, c.typ, "900")
		if _, kept := r.Properties[c.name]; err != nil || kept != c.kept {
			t.Errorf("%s %s: kept %v %v, want %v", c.typ, c.name, kept, err, c.kept)
		}
	}
}

func TestDeniedEvenWhenListed(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "a.db"), Options{Properties: map[string][]string{"tickets": {"subject", "content", "hs_ticket_priority"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.UpsertRecords(ctx, "tickets", []Record{{ID: "1", Properties: map[string]string{"subject": "x", "content": "y", "hs_ticket_priority": "HIGH"}}}); err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Record(ctx, "tickets", "1")
	if err != nil || !reflect.DeepEqual(r.Properties, map[string]string{"hs_ticket_priority": "HIGH"}) {
		t.Errorf("got %v %v", r.Properties, err)
	}
}

// TestFileModes checks that the database, its WAL and its shared-memory
// file are private to alusta's user, whether the store creates the
// database or opens one a looser umask made. Before, they were 0644.
func TestFileModes(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		pre  os.FileMode // mode of an existing database; 0 for none
	}{
		{name: "new"},
		{name: "existing world-readable", pre: 0o644},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "alusta.db")
			if tt.pre != 0 {
				s, err := Open(ctx, path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				for _, p := range []string{path, path + "-wal", path + "-shm"} {
					if err := os.Chmod(p, tt.pre); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			}
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.SaveStates(ctx, map[string]any{"x": 1}); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				info, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if got := info.Mode().Perm(); got != 0o600 {
					t.Errorf("%s: got mode %04o, want 0600", filepath.Base(p), got)
				}
			}
		})
	}
}

// TestMigrationDropsCorruptBilling opens a database that the code before
// the billing bounds left with total_cents = MinInt64 in a locked month:
// the corrupt rows are dropped, the good ones kept, so the month can be
// repaired without editing SQLite by hand.
func TestMigrationDropsCorruptBilling(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "alusta.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := fs.ReadFile(migrations, "migrations/00001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fstest.MapFS{"00001_init.sql": {Data: first}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO billing_billed VALUES ('1', '2026-02', '301', 'siivous', 'city', 'h', 2000, -4611686018427387904, -9223372036854775808)`,
		`INSERT INTO billing_billed VALUES ('2', '2026-02', '301', 'siivous', 'city', 'h', 2000, 3450, 6900)`,
		`INSERT INTO billing_corrections (seen_month, orig_month, deal_id, kind, provider_id, service, payer, unit, units_milli, price_cents, total_cents, created_at)
VALUES ('2026-03', '2026-02', '1', 'correction', '301', 'siivous', 'city', 'h', 2000, -4611686018427387904, -9223372036854775808, '2026-03-05T08:00:00.000Z')`,
		`INSERT INTO billing_corrections (seen_month, orig_month, deal_id, kind, provider_id, service, payer, unit, units_milli, price_cents, total_cents, created_at)
VALUES ('2026-03', '2026-02', '1', 'refund', '301', 'siivous', 'city', 'h', -2000, 3450, -6900, '2026-03-05T08:00:00.000Z')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var billed, corrections string
	if err := s.DB().QueryRowContext(ctx, `SELECT group_concat(deal_id || ':' || total_cents) FROM billing_billed`).Scan(&billed); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT group_concat(kind || ':' || total_cents) FROM billing_corrections`).Scan(&corrections); err != nil {
		t.Fatal(err)
	}
	if billed != "2:6900" || corrections != "refund:-6900" {
		t.Errorf("got billed %q, corrections %q; want 2:6900 and refund:-6900", billed, corrections)
	}
}
