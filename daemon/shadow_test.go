package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestShadowMode runs two cycles in shadow mode: nothing reaches HubSpot,
// the held-back writes are kept per record, and the second cycle proposes
// them again rather than taking HubSpot's unchanged values for a person's
// edit. Switched to live, the same decisions are written.
func TestShadowMode(t *testing.T) {
	ctx := context.Background()
	p := newInProcessWith(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), "testdata/rules")
	p.d.shadow = true
	if err := p.d.Prepare(ctx); err != nil { // as a start with --shadow
		t.Fatal(err)
	}
	sum := p.cycle(t)
	if sum.Decisions == 0 || sum.Writes != 0 {
		t.Fatalf("shadow cycle: got %d decisions, %d writes; want decisions and no writes", sum.Decisions, sum.Writes)
	}
	tickets := p.crm.Objects(hubspot.Tickets)
	for _, id := range tickets {
		if q := queueOf(t, p, id); q != "" {
			t.Fatalf("ticket %s: queue %q written in shadow mode", id, q)
		}
	}
	recs, err := ShadowRecords(ctx, p.store)
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]string{}
	for _, r := range recs {
		if r.ObjectType == hubspot.Tickets {
			held[r.RecordID] = r.Writes["alusta_queue"]
		}
	}
	if len(held) != len(tickets) || held[tickets[0]] == "" {
		t.Fatalf("held back: got %d tickets (first %q), want all %d with a queue", len(held), held[tickets[0]], len(tickets))
	}

	p.now = p.now.Add(time.Hour)
	p.cycle(t)
	recs, err = ShadowRecords(ctx, p.store)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.ObjectType == hubspot.Tickets && r.RecordID == tickets[0] && r.Writes["alusta_queue"] != held[tickets[0]] {
			t.Errorf("second shadow cycle: ticket %s queue %q, want %q again", r.RecordID, r.Writes["alusta_queue"], held[tickets[0]])
		}
	}
	if q := queueOf(t, p, tickets[0]); q != "" {
		t.Fatalf("second shadow cycle wrote queue %q", q)
	}

	// A restart in live mode decides every record again.
	p.d.shadow = false
	if err := p.d.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	p.now = p.now.Add(time.Minute)
	p.cycle(t)
	if q := queueOf(t, p, tickets[0]); q != held[tickets[0]] {
		t.Errorf("live again: ticket %s queue %q, want the shadow's %q", tickets[0], q, held[tickets[0]])
	}
}
