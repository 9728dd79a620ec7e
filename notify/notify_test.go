package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/notify/smtptest"
	"github.com/alusta/alusta/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t *testing.T, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestQueueSMTPRetriesAndNeverSendsTwice(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
	st := openStore(t, clk.Now)
	srv := smtptest.Start(t)
	srv.FailNext(1)
	q, err := New(Options{Store: st, Now: clk.Now, Senders: map[string]Sender{
		Email: NewMailer(SMTP{Host: "127.0.0.1", Port: srv.Port(), TLS: "none", From: "alusta@kotitori.example.fi"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Key: "order/1/9/assigned", Channel: Email, Recipient: "tilaukset@siivous.example.fi", Subject: "Uusi tilaus", Body: "Tilaus 1\nhttps://x.example.fi/t/abc"}
	for i, want := range []bool{true, false} {
		added, err := q.Enqueue(ctx, m)
		if err != nil || added != want {
			t.Fatalf("enqueue %d: got %v, %v, want %v", i, added, err, want)
		}
	}
	if n, err := q.Deliver(ctx); err != nil || n != 0 {
		t.Fatalf("first round: got %d sent, %v; want 0 (server answered 451)", n, err)
	}
	if n, _ := q.Deliver(ctx); n != 0 {
		t.Fatalf("before the backoff: got %d sent, want 0", n)
	}
	clk.Add(DefaultBackoff(1))
	if n, err := q.Deliver(ctx); err != nil || n != 1 {
		t.Fatalf("after the backoff: got %d sent, %v; want 1", n, err)
	}
	if n, _ := q.Deliver(ctx); n != 0 {
		t.Fatalf("again: got %d sent, want 0", n)
	}
	mails := srv.Mails()
	if len(mails) != 1 || mails[0].To[0] != m.Recipient || !strings.Contains(mails[0].Data, "Subject: Uusi tilaus") {
		t.Fatalf("got mails %+v, want one to %s", mails, m.Recipient)
	}
	ns, _ := st.Notifications(ctx, "order/")
	if len(ns) != 1 || ns[0].State != store.NoteSent || ns[0].Attempts != 2 {
		t.Fatalf("got %+v, want one sent after 2 attempts", ns)
	}
}

func TestOutboxWritesPrivateFiles(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, nil)
	dir := filepath.Join(t.TempDir(), "outbox")
	ob, err := NewOutbox(dir, "alusta@localhost")
	if err != nil {
		t.Fatal(err)
	}
	q, _ := New(Options{Store: st, Senders: map[string]Sender{Email: ob}})
	link := "http://127.0.0.1:8081/tilaus/5100001.9001.1790000000.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefg"
	if _, err := q.Enqueue(ctx, Message{Key: "k1", Channel: Email, Recipient: "a@example.fi", Subject: "Tilaus", Body: "Avaa: " + link + "\n"}); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Deliver(ctx); err != nil || n != 1 {
		t.Fatalf("got %d, %v; want 1 sent", n, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("got files %v, want one .eml", files)
	}
	fi, _ := os.Stat(files[0])
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("got mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(files[0])
	if !strings.Contains(string(b), link) {
		t.Fatalf("the link is not whole on one line in:\n%s", b)
	}
}

func TestHookSignsAndClassifies(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, nil)
	var mu sync.Mutex
	status := []int{503, 200}
	var got []*http.Request
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r)
		bodies = append(bodies, string(b))
		code := status[0]
		status = status[1:]
		w.WriteHeader(code)
	}))
	defer srv.Close()
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	q, _ := New(Options{Store: st, Backoff: func(int) time.Duration { return 0 }, Senders: map[string]Sender{
		Webhook: NewHook(srv.Client(), "s3cret", func() time.Time { return now }),
	}})
	body := `{"order":"1"}`
	q.Enqueue(ctx, Message{Key: "w1", Channel: Webhook, Recipient: srv.URL + "/orders", Body: body})
	q.Deliver(ctx)
	if len(got) != 2 {
		t.Fatalf("got %d calls, want 2 (503 retried)", len(got))
	}
	r := got[1]
	want := hubspot.WebhookSignature("s3cret", "POST", srv.URL+"/orders", []byte(body), r.Header.Get(TimestampHeader))
	if r.Header.Get(SignatureHeader) != want || bodies[1] != body {
		t.Fatalf("got signature %q body %q, want %q %q", r.Header.Get(SignatureHeader), bodies[1], want, body)
	}
	status = []int{400}
	q.Enqueue(ctx, Message{Key: "w2", Channel: Webhook, Recipient: srv.URL + "/orders", Body: body})
	q.Deliver(ctx)
	ns, _ := st.Notifications(ctx, "w2")
	if len(ns) != 1 || ns[0].State != store.NoteFailed || !strings.Contains(ns[0].LastError, "400") {
		t.Fatalf("got %+v, want w2 failed for good with 400", ns)
	}
}

func TestHookRefusesToSendUnsigned(t *testing.T) {
	err := NewHook(&http.Client{}, "", nil).Send(context.Background(), store.Notification{Key: "w", Recipient: "http://127.0.0.1:1/x", Body: "{}"})
	if !IsPermanent(err) || !strings.Contains(err.Error(), "notify.webhook_secret") {
		t.Fatalf("got %v, want a permanent error naming notify.webhook_secret", err)
	}
}

func TestBacklogMetrics(t *testing.T) {
	st := openStore(t, nil)
	reg := prometheus.NewRegistry()
	q, err := New(Options{Store: st, Registerer: reg, Senders: map[string]Sender{Email: senderFunc(func(context.Context, store.Notification) error {
		return Permanent(errors.New("550 no such user"))
	})}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q.Enqueue(ctx, Message{Key: "a", Channel: Email, Recipient: "a@example.fi"})
	q.Enqueue(ctx, Message{Key: "b", Channel: Email, Recipient: "b@example.fi"})
	if got := gauge(t, reg, "alusta_notify_pending"); got != 2 {
		t.Fatalf("pending: got %v, want 2", got)
	}
	q.Deliver(ctx)
	if got := gauge(t, reg, "alusta_notify_failed"); got != 2 {
		t.Fatalf("failed: got %v, want 2", got)
	}
}

type senderFunc func(context.Context, store.Notification) error

func (f senderFunc) Send(ctx context.Context, n store.Notification) error { return f(ctx, n) }

// gauge reads a gauge's value by metric name.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
