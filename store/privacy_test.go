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
	"strconv"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
	"github.com/alusta/alusta/store/storetest"
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

	db := storetest.Files(t, path)
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

// TestNoIdentityCodeInAnyTable writes a code in every form through every
// write method the daemon and the reports use, into every text field, and
// then searches the SQLite files byte by byte. Before the shared masking,
// decisions kept queue, owner and provider raw, and the word-boundary
// pattern let glued, consecutive and en-dash codes into records and writes.
func TestNoIdentityCodeInAnyTable(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "alusta.db")
	s, err := store.Open(ctx, path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	forms := storetest.CodeForms()
	for i, v := range forms {
		id := strconv.Itoa(100 + i)
		props := map[string]string{"alusta_queue": v, "alusta_provider": "p " + v, "hubspot_owner_id": v, "alusta_service": v}
		if err := s.UpsertRecords(ctx, "tickets", []store.Record{{ID: id, Properties: props, CreatedAt: now, UpdatedAt: now}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePage(ctx, store.Page{ObjectType: "tickets", Decided: []store.DecidedRecord{{
			Decision: store.Decision{ObjectType: "tickets", RecordID: id, Rule: "r " + v, Queue: v,
				OwnerID: v, ProviderID: "p " + v, Explanation: "routed " + v, Fingerprint: id},
			Writes: []store.Write{{ObjectType: "tickets", RecordID: id, Property: "alusta_queue", Old: v,
				New: "p " + v, Rule: v, Status: store.WriteRejected, Reason: "400 " + v}},
			SLA: []store.SLACycle{{Goal: v, Cycle: 1, StartedAt: now, Status: store.SLARunning, Calendar: v,
				GoalName: v, LastSeen: now}},
			Events: []store.SLAEvent{{ObjectType: "tickets", RecordID: id, Goal: v, Cycle: 1, Kind: "started", At: now}},
		}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordRejected(ctx, "tickets", id, "amount", `not a number: "`+v+`"`); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveStates(ctx, map[string]any{"s" + id: map[string]string{"written": v}}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpsertOwners(ctx, []store.Owner{{ID: id, FirstName: v, LastName: v, Teams: []string{v}, UpdatedAt: now}}); err != nil {
			t.Fatal(err)
		}
		run, err := s.StartRun(ctx, store.Run{Report: "billing", Period: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishRun(ctx, run, store.Run{Status: store.RunFailed, Error: "deal " + v}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertPipelines(ctx, "tickets", []hubspot.Pipeline{{ID: "0", Label: forms[0], Stages: []hubspot.Stage{{ID: "1", Label: forms[1]}}}}); err != nil {
		t.Fatal(err)
	}
	storetest.AssertNoCodes(t, storetest.Files(t, path), forms)
}
