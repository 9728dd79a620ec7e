package report

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestUnlockMonth(t *testing.T) {
	ctx := context.Background()
	_, _, env := billingStore(t)
	if _, err := Lock(ctx, env, "2026-02"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	if err := UnlockMonth(ctx, env.Store, Unlock{Month: "2026-02", By: "laskuttaja", At: at}); err == nil ||
		err.Error() != "report: unlock 2026-02: a reason is required" {
		t.Errorf("no reason: got %v", err)
	}
	if err := UnlockMonth(ctx, env.Store, Unlock{Month: "2026-01", Reason: "x", By: "laskuttaja", At: at}); !errors.Is(err, ErrNotLocked) {
		t.Errorf("a month not locked: got %v, want ErrNotLocked", err)
	}
	u := Unlock{Month: "2026-02", Reason: "hinta korjattu tuottajan pyynnöstä", By: "laskuttaja", At: at}
	if err := UnlockMonth(ctx, env.Store, u); err != nil {
		t.Fatal(err)
	}
	if months, err := LockedMonths(ctx, env.Store); err != nil || len(months) != 0 {
		t.Errorf("after unlock: locked months %v, %v; want none", months, err)
	}
	got, err := Unlocks(ctx, env.Store)
	if err != nil || len(got) != 1 || got[0] != u {
		t.Errorf("recorded unlocks: got %+v, %v; want %+v", got, err, u)
	}
	// Locked again, the month bills as it stands now; a correction issued
	// later keeps it locked.
	if _, err := Lock(ctx, env, "2026-02"); err != nil {
		t.Fatalf("lock again: %v", err)
	}
	if _, err := env.Store.DB().ExecContext(ctx, `INSERT INTO billing_corrections (seen_month, orig_month, deal_id, kind, provider_id,
service, payer, unit, units_milli, price_cents, total_cents, created_at) VALUES ('2026-03', '2026-02', '1001', 'refund', '301',
'siivous', 'city', 'h', -1000, 4000, -4000, '2026-03-02T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	err = UnlockMonth(ctx, env.Store, Unlock{Month: "2026-02", Reason: "again", By: "laskuttaja", At: at.Add(time.Hour)})
	want := "report: unlock 2026-02: its orders were corrected in later months, 2026-03 (1 rows): unlocking would bill those changes twice"
	if err == nil || err.Error() != want {
		t.Errorf("with later corrections: got %v, want %s", err, want)
	}
}
