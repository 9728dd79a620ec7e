package daemon

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// serveForTest serves the daemon's mux with limits on loopback and returns
// its address; the server stops when the test ends.
func serveForTest(t *testing.T, h http.Handler, l Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeLimited(ctx, ln, h, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// closedWithin reports whether the server closes conn (read returns EOF or
// a reset) before the generous deadline; a server with no timeout keeps it
// open and the read times out instead.
func closedWithin(t *testing.T, conn net.Conn, deadline time.Duration) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(deadline))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return true
}

func TestServeCutsOffSlowAndIdleClients(t *testing.T) {
	hooks := &Webhooks{Secret: hookSecret, Now: time.Now, Log: slog.New(slog.DiscardHandler), Enqueue: func([]Change) {}}
	mux := Mux(prometheus.NewRegistry(), hooks, func() (bool, string) { return true, "ok" })
	l := DefaultLimits()
	l.ReadTimeout, l.IdleTimeout, l.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond, time.Second
	addr := serveForTest(t, mux, l)

	t.Run("body trickled a byte at a time", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /webhooks/hubspot HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n[")
		if !closedWithin(t, conn, 20*time.Second) {
			t.Fatal("got the connection still open, want it closed by the read timeout")
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("got %d, want 200", resp.StatusCode)
		}
		if !closedWithin(t, conn, 20*time.Second) {
			t.Fatal("got the idle connection still open, want it closed by the idle timeout")
		}
	})
	t.Run("declared body over the limit", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "POST /webhooks/hubspot HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("got %v, want an answer before the body is sent", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d, want 413", resp.StatusCode)
		}
	})
}

func TestServeCapsConnections(t *testing.T) {
	mux := Mux(prometheus.NewRegistry(), nil, func() (bool, string) { return true, "ok" })
	l := DefaultLimits()
	l.MaxConns = 1
	l.ReadHeaderTimeout, l.ReadTimeout, l.IdleTimeout = time.Minute, time.Minute, time.Minute
	addr := serveForTest(t, mux, l)

	hog, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(hog, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(hog)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// The hog holds the only slot with its keep-alive: a second client is
	// not served until the hog leaves.
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	io.WriteString(second, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := second.Read(make([]byte, 1)); err == nil {
		t.Fatal("got an answer while the only slot was held, want the second client to wait")
	}
	hog.Close()
	second.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(second)
	if err != nil && !strings.Contains(string(b), "ok") {
		t.Fatalf("got %v, want the answer once the slot is free", err)
	}
	if !strings.Contains(string(b), "200 OK") {
		t.Fatalf("got %q, want 200 OK once the slot is free", b)
	}
}
