package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// TestWebhookTargetsCapped: records webhooks name beyond the cap are not
// kept; they are counted, logged once per overflow, and the next cycle is
// a full one, whose pull finds their changes.
func TestWebhookTargetsCapped(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir()+"/alusta.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// No call reaches this address: Enqueue only queues.
	client, err := hubspot.New(hubspot.Options{BaseURL: "http://127.0.0.1:1", Token: "cap-test"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	d, err := New(Options{Client: client, Store: st, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	d.maxPending = 3
	targets := func(from, n int) []Change {
		cs := make([]Change, n)
		for i := range cs {
			cs[i] = Change{Target: Target{ObjectType: hubspot.Tickets, ID: fmt.Sprint(from + i)}}
		}
		return cs
	}
	d.Enqueue(targets(1, 2))
	if d.overflowed() {
		t.Fatal("overflowed after 2 of 3 targets: got true, want false")
	}
	d.Enqueue(targets(1, 5)) // 1 and 2 again, 3 fits, 4 and 5 do not
	d.Enqueue(targets(6, 2))
	if got := len(d.pending); got != 3 {
		t.Errorf("pending targets: got %d, want the cap, 3", got)
	}
	if got := testutil.ToFloat64(d.metrics.webhookOver); got != 4 {
		t.Errorf("alusta_webhook_records_overflow_total: got %v, want 4", got)
	}
	if got := strings.Count(logs.String(), "over the cap"); got != 1 {
		t.Errorf("overflow log lines: got %d, want 1; log:\n%s", got, logs.String())
	}
	if !d.overflowed() {
		t.Error("overflowed after 4 targets over the cap: got false, want true (the next cycle must be full)")
	}
	if d.overflowed() {
		t.Error("overflowed asked a second time: got true, want false (one full cycle answers it)")
	}
}
