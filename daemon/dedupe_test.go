package daemon

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestDedupeForgetsAfterWindowAndStaysBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	d := newDedupe(3, time.Hour)
	steps := []struct {
		name string
		id   int64
		at   time.Duration
		want bool // seen before
	}{
		{"first", 1, 0, false},
		{"retry within the window", 1, 30 * time.Minute, true},
		{"second id", 2, 40 * time.Minute, false},
		{"first id after its window", 1, 61 * time.Minute, false},
		{"third id", 3, 62 * time.Minute, false},
		{"fourth id fills past capacity", 4, 63 * time.Minute, false},
		{"second id pushed out by capacity", 2, 64 * time.Minute, false},
		{"fourth id still remembered", 4, 65 * time.Minute, true},
	}
	for _, s := range steps {
		if got := d.seen(s.id, t0.Add(s.at)); got != s.want {
			t.Errorf("%s: seen(%d) got %v, want %v", s.name, s.id, got, s.want)
		}
		if d.len() > 3 || len(d.ids) > 3 {
			t.Fatalf("%s: got %d ring entries and %d map entries, want at most 3", s.name, d.len(), len(d.ids))
		}
	}
}

// BenchmarkDedupe records ids far beyond the capacity; memory stays flat
// and each call costs the same however many ids came before.
func BenchmarkDedupe(b *testing.B) {
	d := newDedupe(dedupeCapacity, dedupeWindow)
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	for i := range b.N {
		d.seen(int64(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
}

// TestWebhookDropsBadIDsAndCapsTargets posts deliveries that HubSpot would
// never send, signed with the right secret: made-up ids by the thousand
// and ids that are not record ids.
func TestWebhookDropsBadIDsAndCapsTargets(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	r, take := startEndpoint(t, now)
	event := func(eventID int, objectType, objectID string) string {
		return fmt.Sprintf(`{"eventId":%d,"subscriptionType":"object.propertyChange","objectTypeId":%q,"objectId":%s,"propertyName":"hs_ticket_priority","propertyValue":"HIGH","occurredAt":%d}`,
			eventID, objectType, objectID, now.UnixMilli())
	}
	many := make([]string, 13000)
	for i := range many {
		many[i] = fmt.Sprintf(`{"eventId":%d,"subscriptionType":"ticket.creation","objectId":%d}`, 100000+i, 900000+i)
	}
	tests := []struct {
		name   string
		events []string
		want   []string // "type/id" handed on
	}{
		{"ids that are not record ids", []string{
			event(1, "0-5", `"12"`), event(2, "0-5", `"abc"`), event(3, "0-5", `-7`), event(4, "0-5", `1.5`),
			event(5, "0-5", `0`), event(6, "0-5", `99999999999999999999`), event(7, "0-99", `15`), event(8, "0-3", `16`),
		}, []string{"deals/16"}},
		{"13,000 made-up ids in one delivery", many, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte("[" + strings.Join(tc.events, ",") + "]")
			if status := r.postRaw(t, body, hookSecret, now); status != http.StatusNoContent {
				t.Fatalf("got status %d, want %d", status, http.StatusNoContent)
			}
			got := take()
			if tc.want != nil {
				var ids []string
				for _, c := range got {
					ids = append(ids, c.ObjectType+"/"+c.ID)
				}
				if !slices.Equal(ids, tc.want) {
					t.Errorf("got %v handed on, want %v", ids, tc.want)
				}
				return
			}
			if len(got) != maxTargetsPerDelivery {
				t.Errorf("got %d targets handed on, want the cap of %d (the rest left to polling)", len(got), maxTargetsPerDelivery)
			}
		})
	}
}

// startEndpoint serves the webhook endpoint with no daemon behind it, on
// loopback until the test ends; take returns the changes handed on since
// its last call.
func startEndpoint(t *testing.T, now time.Time) (r *hookRig, take func() []Change) {
	t.Helper()
	var (
		mu  sync.Mutex
		got []Change
	)
	hooks := &Webhooks{Secret: hookSecret, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
		Enqueue: func(cs []Change) {
			mu.Lock()
			got = append(got, cs...)
			mu.Unlock()
		}}
	addr := serveForTest(t, Mux(prometheus.NewRegistry(), hooks, func() (bool, string) { return true, "ok" }), DefaultLimits())
	take = func() []Change {
		mu.Lock()
		defer mu.Unlock()
		out := got
		got = nil
		return out
	}
	return &hookRig{hookURL: "http://" + addr + "/webhooks/hubspot"}, take
}
