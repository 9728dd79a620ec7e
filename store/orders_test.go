package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestOrders(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	o := Order{Orderer: "Tampere", Ref: "T-1", BodyHash: "h1", Payload: []byte(`{"client":{"last_name":"Esimerkki"}}`)}
	got, err := s.AddOrder(ctx, o)
	if err != nil || got.State != OrderPending || string(got.Payload) != string(o.Payload) {
		t.Fatalf("add: got %+v %v, want pending with the payload", got, err)
	}
	// Another orderer may use the same reference.
	if _, err := s.AddOrder(ctx, Order{Orderer: "Nokia", Ref: "T-1", BodyHash: "h2"}); err != nil {
		t.Fatalf("another orderer's T-1: %v", err)
	}
	if got, err := s.AddOrder(ctx, Order{Orderer: "Tampere", Ref: "T-1", BodyHash: "h3"}); !errors.Is(err, ErrOrderExists) || got.BodyHash != "h1" {
		t.Fatalf("again: got %+v %v, want ErrOrderExists with the first order", got, err)
	}
	if err := s.OrderAttempt(ctx, "Tampere", "T-1", "hubspot: 503 for 131052-308T", false); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Order(ctx, "Tampere", "T-1")
	if got.Attempts != 1 || got.Error != "hubspot: 503 for [hetu]" || got.State != OrderPending {
		t.Fatalf("after a failed attempt: got %+v, want 1 attempt, redacted error, still pending", got)
	}
	c.t = c.t.Add(time.Minute)
	if err := s.OrderCreated(ctx, "Tampere", "T-1", "51", "61"); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.Order(ctx, "Tampere", "T-1")
	if got.State != OrderCreated || got.Payload != nil || got.DealID != "51" || got.ContactID != "61" || !got.UpdatedAt.Equal(c.t) {
		t.Fatalf("created: got %+v, want created, erased, with ids", got)
	}
	if byDeal, ok, _ := s.OrderByDeal(ctx, "51"); !ok || byDeal.Ref != "T-1" {
		t.Fatalf("by deal: got %+v %v", byDeal, ok)
	}
	pending, _ := s.PendingOrders(ctx)
	if len(pending) != 1 || pending[0].Orderer != "Nokia" {
		t.Fatalf("pending: got %+v, want Nokia's only", pending)
	}
}

func TestNotificationQueue(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	n := Notification{Key: "k", Channel: "email", Recipient: "a@example.fi", Subject: "s", Body: "b"}
	for i, want := range []bool{true, false} {
		if added, err := s.EnqueueNotification(ctx, n); err != nil || added != want {
			t.Fatalf("enqueue %d: got %v %v, want %v", i, added, err, want)
		}
	}
	due, _ := s.DueNotifications(ctx, c.t, 10)
	if len(due) != 1 {
		t.Fatalf("due: got %d, want 1", len(due))
	}
	next := c.t.Add(time.Minute)
	if err := s.NotificationFailed(ctx, due[0].ID, "451", next); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueNotifications(ctx, c.t, 10); len(due) != 0 {
		t.Fatalf("during the backoff: got %d due, want 0", len(due))
	}
	if at, ok, _ := s.NextNotification(ctx); !ok || !at.Equal(next) {
		t.Fatalf("next: got %v %v, want %v", at, ok, next)
	}
	if err := s.NotificationSent(ctx, due[0].ID); err != nil {
		t.Fatal(err)
	}
	counts, _ := s.CountNotifications(ctx)
	if counts[NoteSent] != 1 || counts[NotePending] != 0 {
		t.Fatalf("counts: got %v, want 1 sent", counts)
	}
	if _, ok, _ := s.NextNotification(ctx); ok {
		t.Fatal("next: got one, want none pending")
	}
}

func TestIntakeKeysAndAccessLog(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	id, err := s.AddIntakeKey(ctx, "Tampere", "hash1")
	if err != nil {
		t.Fatal(err)
	}
	if who, ok, _ := s.OrdererByKeyHash(ctx, "hash1"); !ok || who != "Tampere" {
		t.Fatalf("got %q %v, want Tampere", who, ok)
	}
	if err := s.RevokeIntakeKey(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.OrdererByKeyHash(ctx, "hash1"); ok {
		t.Fatal("a revoked key still works")
	}
	if err := s.RevokeIntakeKey(ctx, 99); !errors.Is(err, ErrNoKey) {
		t.Fatalf("revoke unknown: got %v, want ErrNoKey", err)
	}
	s.LogAccess(ctx, Access{DealID: "51", Party: "provider:9", Action: "view"})
	c.t = c.t.Add(time.Second)
	s.LogAccess(ctx, Access{DealID: "51", Party: "provider:9", Action: "accept"})
	s.LogAccess(ctx, Access{DealID: "52", Party: "provider:8", Action: "view"})
	log, err := s.AccessLog(ctx, "51")
	if err != nil || len(log) != 2 || log[0].Action != "view" || log[1].Action != "accept" || !log[1].At.Equal(c.t) {
		t.Fatalf("got %+v %v, want deal 51's view then accept", log, err)
	}
}

// TestErasedOrderLeavesTheLog: a reader holding an old snapshot keeps the
// checkpoint after an order's erasure from emptying the write-ahead log;
// OrderCreated says so (the order is recorded and erased all the same),
// and once the reader is gone the next checkpoint leaves no copy in any
// of the store's files.
func TestErasedOrderLeavesTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "alusta.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const secret = "Esimerkki-Salainen"
	if _, err := s.AddOrder(ctx, Order{Orderer: "Tampere", Ref: "T-1", BodyHash: "h", Payload: []byte(`{"last_name":"` + secret + `"}`)}); err != nil {
		t.Fatal(err)
	}
	// A deferred transaction that has read holds its snapshot (the
	// store's own transactions take the write lock at once).
	reader, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var n int
	if _, err := reader.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		t.Fatal(err)
	}
	if err := reader.QueryRowContext(ctx, `SELECT count(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := s.OrderCreated(ctx, "Tampere", "T-1", "51", "61"); !errors.Is(err, ErrLogNotEmptied) {
		t.Fatalf("with a reader on an old snapshot: got %v, want ErrLogNotEmptied", err)
	}
	if got, _, _ := s.Order(ctx, "Tampere", "T-1"); got.State != OrderCreated || got.Payload != nil {
		t.Fatalf("got %+v, want the order created and erased even so", got)
	}
	if _, err := reader.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := s.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s still holds the erased order", filepath.Base(f))
		}
	}
}
