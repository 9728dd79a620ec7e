package hubspot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestQuota checks the daily quota the client reports: its own count, then
// HubSpot's headers, and a fresh day after the reset.
func TestQuota(t *testing.T) {
	now := time.Date(2026, 11, 18, 10, 0, 0, 0, time.UTC)
	header := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if header {
			w.Header().Set(HeaderDaily, "500000")
			w.Header().Set(HeaderDailyRemaining, "499000")
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"results":[]}`))
	}))
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, Token: "t", DailyLimit: 250000, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	call := func() {
		t.Helper()
		if _, err := c.Pipelines(context.Background(), Tickets); err != nil {
			t.Fatal(err)
		}
	}
	call()
	call()
	if q := c.Quota(); q.Limit != 250000 || q.Used != 2 || q.Remaining != -1 || q.Spent {
		t.Errorf("before any header: got %+v, want limit 250000, 2 used, remaining unknown", q)
	}
	header = true
	call()
	if q := c.Quota(); q.Limit != 500000 || q.Remaining != 499000 {
		t.Errorf("after HubSpot's header: got %+v, want limit 500000, 499000 remaining", q)
	}
	now = now.Add(24 * time.Hour)
	if q := c.Quota(); q.Used != 0 || q.Remaining != -1 || !q.ResetAt.After(now) {
		t.Errorf("the next day: got %+v, want a fresh count", q)
	}
}
