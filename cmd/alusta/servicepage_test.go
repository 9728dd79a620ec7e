package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestServicePageOnPublicListener checks that run's public listener
// serves /palvelut from the cache the daemon filled.
func TestServicePageOnPublicListener(t *testing.T) {
	if testing.Short() {
		t.Skip("a demo sync")
	}
	dir := t.TempDir()
	a := demoApp(t, dir, &bytes.Buffer{})
	a.cfg.Notify.OutboxDir = filepath.Join(dir, "outbox")
	ctx := context.Background()
	if _, _, err := a.syncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := a.connect(prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	stop := b.start(ctx, a.log)
	t.Cleanup(stop)
	st, err := a.openStore(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	orders, err := a.newOrderLoop(ctx, b.client, st, prometheus.NewRegistry(), ln, func(string) {}, func(string) {}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- orders.public.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	code, body := get("http://" + ln.Addr().String() + "/palvelut?kunta=Tampere")
	if code != http.StatusOK || !strings.Contains(body, "<form") || !strings.Contains(body, " Oy") {
		t.Errorf("public /palvelut: got %d, want 200 with the providers and the contact form:\n%.600s", code, body)
	}
}
