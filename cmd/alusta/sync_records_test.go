package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/store"
)

func TestSyncRejectedAndHistory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "alusta.db")
	if _, err := runAlusta(t, "sync", "rejected", "--store", db); err == nil || !strings.Contains(err.Error(), "sync rejected: store "+db+" does not exist") {
		t.Fatalf("missing store: got %v", err)
	}
	ctx := context.Background()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	s, err := store.Open(ctx, db, store.Options{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRejected(ctx, "deals", "5", "alusta_units", `not a number: "kymmenen"`); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRejected(ctx, "deals", "5", "alusta_units", `not a number: "kymmenen"`); err != nil {
		t.Fatal(err)
	}
	if err := s.SavePage(ctx, store.Page{ObjectType: "deals", Decided: []store.DecidedRecord{{
		Decision: store.Decision{ObjectType: "deals", RecordID: "7", Rule: "siivous", Queue: "tilaukset",
			ProviderID: "301", Explanation: "rule siivous: provider 301", At: at, Fingerprint: "f1"},
		Writes: []store.Write{{ObjectType: "deals", RecordID: "7", Property: "alusta_provider", New: "301",
			Rule: "siivous", At: at, Status: store.WriteApplied}},
	}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	out, err := runAlusta(t, "sync", "rejected", "--store", db)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2026-11-24T09:00:00Z  deals   5   alusta_units  2     not a number: \"kymmenen\""; !strings.Contains(out, want) {
		t.Errorf("sync rejected: got\n%s\nwant a line %q", out, want)
	}
	out, err = runAlusta(t, "sync", "history", "--deal", "7", "--store", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"decisions of deals 7:", "siivous  tilaukset", "rule siivous: provider 301", "alusta_provider", "applied"} {
		if !strings.Contains(out, want) {
			t.Errorf("sync history: got\n%s\nwant %q in it", out, want)
		}
	}
	if _, err := runAlusta(t, "sync", "history", "--deal", "8", "--store", db); err == nil || err.Error() != "sync history: alusta has no history of deals 8" {
		t.Errorf("unknown record: got %v", err)
	}
	if _, err := runAlusta(t, "sync", "history", "--store", db); err == nil || err.Error() != "sync history: give either --ticket ID or --deal ID" {
		t.Errorf("no record: got %v", err)
	}
}
