package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

// TestDemoLeavesNoPersonalData reads the demo sandbox's records through the
// connector with the default mapping, which asks for subject and content,
// stores them as the daemon does and then searches the SQLite file itself,
// byte by byte, for what must never be in it: identity codes (the demo seed
// hides some in ticket content), ticket subjects and content, and email
// addresses (the owners' included: the store keeps names, not contacts).
func TestDemoLeavesNoPersonalData(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	crm, err := sandbox.New(sandbox.Options{Seed: "demo", Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crm.Close() })
	srv := httptest.NewServer(crm)
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Options{BaseURL: srv.URL, Token: "t", RateLimit: 250, SearchRate: 50})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alusta.db")
	s, err := store.Open(ctx, path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		t.Fatal(err)
	}
	hetu := regexp.MustCompile(`\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]`)
	hetusRead := 0
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals, hubspot.Companies} {
		err := client.List(ctx, typ, m.Properties(typ), func(page []hubspot.Object) error {
			var recs []store.Record
			for _, o := range page {
				if c, ok := o.Prop("content"); ok && hetu.MatchString(c) {
					hetusRead++
				}
				recs = append(recs, store.Record{ID: o.ID, Properties: m.Translate(typ, o.Properties), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt})
			}
			return s.UpsertRecords(ctx, typ, recs)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if hetusRead == 0 {
		t.Fatal("the demo tickets read carry no identity code; the test would prove nothing")
	}
	owners, err := client.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var so []store.Owner
	for _, o := range owners {
		so = append(so, store.OwnerFromHubSpot(o))
	}
	if err := s.UpsertOwners(ctx, so); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var db []byte
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	if m := hetu.Find(db); m != nil {
		t.Errorf("the store holds an identity code: %s", m)
	}
	if m := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z.]+`).Find(db); m != nil {
		t.Errorf("the store holds an email address: %s", m)
	}
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "demo", "texts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var texts map[string][][]string
	if err := json.Unmarshal(raw, &texts); err != nil {
		t.Fatal(err)
	}
	for kind, list := range texts {
		for _, pair := range list {
			for _, text := range pair {
				if bytes.Contains(db, []byte(text)) {
					t.Errorf("the store holds %s ticket text %q", kind, text)
				}
			}
		}
	}
}
