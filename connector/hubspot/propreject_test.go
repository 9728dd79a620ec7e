package hubspot_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestBatchUpdateSplitsOffBadProperties sends batches HubSpot refuses
// whole (400) because of one property, and checks that every other record
// and property still lands and that each refused one is named.
func TestBatchUpdateSplitsOffBadProperties(t *testing.T) {
	sb, c := sandboxPair(t, true)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var ids []string
	for range 8 {
		ids = append(ids, sb.Insert(hubspot.Tickets, map[string]string{"subject": "s"}, t0))
	}
	inputs := make([]hubspot.BatchUpdateInput, len(ids))
	for i, id := range ids {
		inputs[i] = hubspot.BatchUpdateInput{ID: id, Properties: map[string]string{"hs_ticket_priority": "HIGH", "alusta_nosuch": "late"}}
	}
	inputs[5].Properties["hs_ticket_priority"] = "HUGE" // not an option
	before := sb.Requests()["POST /crm/v3/objects/{objectType}/batch/update"]

	_, recErrs, err := c.BatchUpdate(ctx, hubspot.Tickets, inputs)
	if err != nil {
		t.Fatalf("got %v, want the batch split rather than failed", err)
	}
	var got []string
	for _, re := range recErrs {
		got = append(got, re.ID+"/"+re.Property)
	}
	slices.Sort(got)
	var want []string
	for _, id := range ids {
		want = append(want, id+"/alusta_nosuch")
	}
	want = append(want, ids[5]+"/hs_ticket_priority")
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("refused: got %v, want %v", got, want)
	}
	for i, id := range ids {
		o, ok := sb.Object(hubspot.Tickets, id)
		if !ok {
			t.Fatalf("ticket %s gone", id)
		}
		wantPrio := "HIGH"
		if i == 5 {
			wantPrio = ""
		}
		if p := o.Properties["hs_ticket_priority"]; (p == nil && wantPrio != "") || (p != nil && *p != wantPrio) {
			t.Errorf("ticket %s priority: got %v, want %q", id, p, wantPrio)
		}
	}
	// One call refused whole, one with the unknown property taken out,
	// then halving 8 records to find the bad value: 1 + 1 + 2 + 2 + 2.
	calls := sb.Requests()["POST /crm/v3/objects/{objectType}/batch/update"] - before
	if calls > 8 {
		t.Errorf("got %d calls, want at most 8", calls)
	}
	t.Logf("%d batch update calls for 8 records with 9 refused properties", calls)
}
