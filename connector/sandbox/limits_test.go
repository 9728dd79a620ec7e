package sandbox

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// runForTest serves srv with Run on loopback until the test ends.
func runForTest(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestRunCutsOffSlowAndIdleClients(t *testing.T) {
	srv, err := New(Options{Seed: "empty", HTTP: HTTPLimits{
		ReadTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond, MaxBody: 1 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := runForTest(t, srv)
	// closed reports whether the server hung up before the generous
	// deadline; a server with no timeouts keeps the connection open.
	closed := func(conn net.Conn) bool {
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err := io.Copy(io.Discard, conn)
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
	dial := func(t *testing.T) net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	t.Run("body trickled a byte at a time", func(t *testing.T) {
		conn := dial(t)
		io.WriteString(conn, "POST /crm/v3/objects/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nContent-Length: 500\r\n\r\n{")
		if !closed(conn) {
			t.Fatal("got the connection still open, want it closed by the read timeout")
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial(t)
		io.WriteString(conn, "GET /crm/v3/owners/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !closed(conn) {
			t.Fatal("got the idle connection still open, want it closed by the idle timeout")
		}
	})
	t.Run("declared body over the limit", func(t *testing.T) {
		conn := dial(t)
		io.WriteString(conn, "POST /crm/v3/objects/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
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

// TestUncleanState checks that a state file from a periodic save is told
// apart from one Close wrote: only the latter holds every change.
func TestUncleanState(t *testing.T) {
	path := t.TempDir() + "/state.json"
	open := func() *Server {
		t.Helper()
		srv, err := New(Options{Seed: "empty", StatePath: path})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	first := open()
	if first.Unclean() {
		t.Error("a freshly seeded sandbox: got unclean, want clean")
	}
	if err := first.Save(); err != nil { // periodic
		t.Fatal(err)
	}
	second := open()
	if !second.Unclean() {
		t.Error("after a periodic save only: got clean, want unclean")
	}
	if second.PortalID() != first.PortalID() {
		t.Errorf("portal id: got %d, want %d kept in the state", second.PortalID(), first.PortalID())
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if open().Unclean() {
		t.Error("after Close: got unclean, want clean")
	}
}

// TestRunMarksStateUnclean checks that a sandbox killed while it runs,
// before any periodic save, is recognised as unclean even though its last
// stop was clean.
func TestRunMarksStateUnclean(t *testing.T) {
	path := t.TempDir() + "/state.json"
	srv, err := New(Options{Seed: "empty", StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil { // a clean stop
		t.Fatal(err)
	}
	running, err := New(Options{Seed: "empty", StatePath: path, SaveInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Run saves first, then sees the end at once
	if err := running.Run(ctx, ln); err != nil {
		t.Fatal(err)
	}
	// No Close: the process was killed.
	after, err := New(Options{Seed: "empty", StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if !after.Unclean() {
		t.Error("after a kill while running: got clean, want unclean")
	}
}
