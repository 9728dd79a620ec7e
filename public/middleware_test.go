package public

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/store"
)

func TestRateLimitAndHeaders(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	hooked := 0
	hook := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hooked++ })
	srv, err := New(Options{Store: st, RateLimit: 2, Now: clock, HubSpotHook: hook})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = addr
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		return w
	}
	tests := []struct {
		name string
		addr string
		want int
	}{
		{"first", "192.0.2.1:1000", 200},
		{"second, another port", "192.0.2.1:1001", 200},
		{"third", "192.0.2.1:1002", 429},
		{"another address", "192.0.2.2:1000", 200},
	}
	for _, tt := range tests {
		w := get("/api/v1/openapi.json", tt.addr)
		if w.Code != tt.want {
			t.Fatalf("%s: got %d, want %d", tt.name, w.Code, tt.want)
		}
		if tt.want == 429 && w.Header().Get("Retry-After") != "61" {
			t.Errorf("%s: got Retry-After %q, want 61", tt.name, w.Header().Get("Retry-After"))
		}
		for h, v := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
			"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
			if h == "Cache-Control" && tt.want == 200 {
				v = "public, max-age=3600" // the OpenAPI document may be cached
			}
			if got := w.Header().Get(h); got != v {
				t.Errorf("%s: got %s %q, want %q", tt.name, h, got, v)
			}
		}
	}
	// HubSpot's deliveries are not limited: they come in bursts from few
	// addresses and carry their own signature.
	for range 5 {
		req := httptest.NewRequest("POST", "/webhooks/hubspot", nil)
		req.RemoteAddr = "192.0.2.1:2000"
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		if w.Code != 200 {
			t.Fatalf("webhook: got %d, want 200", w.Code)
		}
	}
	if hooked != 5 {
		t.Fatalf("got %d webhook deliveries through, want 5", hooked)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if w := get("/api/v1/openapi.json", "192.0.2.1:1003"); w.Code != 200 {
		t.Fatalf("a minute later: got %d, want 200", w.Code)
	}
	// Metrics and health are never served here.
	for _, p := range []string{"/metrics", "/healthz"} {
		if w := get(p, "192.0.2.3:1"); w.Code != 404 {
			t.Errorf("%s on the public listener: got %d, want 404", p, w.Code)
		}
	}
}
