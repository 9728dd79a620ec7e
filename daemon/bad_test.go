package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestBadRecordSkippedAndRecorded puts a service order with a broken
// number among good ones: the cycle succeeds, the bad record is recorded
// with its id and property, and the good ones are decided.
func TestBadRecordSkippedAndRecorded(t *testing.T) {
	p := newInProcess(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	deals := p.crm.Pipelines(hubspot.Deals)[0]
	bad := p.crm.Insert(hubspot.Deals, map[string]string{
		"dealname": "Siivoustilaus", "pipeline": deals.ID, "dealstage": deals.Stages[0].ID,
		"alusta_service": "siivous", "alusta_municipality": "Tampere", "alusta_units": "kymmenen",
	}, p.now.Add(-time.Hour))
	good := p.crm.Insert(hubspot.Deals, map[string]string{
		"dealname": "Siivoustilaus", "pipeline": deals.ID, "dealstage": deals.Stages[0].ID,
		"alusta_service": "siivous", "alusta_municipality": "Tampere", "alusta_units": "10",
	}, p.now.Add(-time.Hour))

	sum := p.cycle(t)
	if sum.Skipped != 1 {
		t.Errorf("skipped: got %d, want 1", sum.Skipped)
	}
	rejected, err := p.store.RejectedRecords(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 1 || rejected[0].RecordID != bad || rejected[0].Property != "alusta_units" ||
		rejected[0].Reason != `not a number: "kymmenen"` {
		t.Errorf("rejected: got %+v, want deal %s alusta_units not a number", rejected, bad)
	}
	o, _ := p.crm.Object(hubspot.Deals, good)
	if q, _ := o.Prop("alusta_queue"); q == "" {
		t.Errorf("good deal %s: no queue; the bad one must not block the others", good)
	}
	b, _ := p.crm.Object(hubspot.Deals, bad)
	if q, _ := b.Prop("alusta_queue"); q != "" {
		t.Errorf("bad deal %s: queue %q written, want it left alone", bad, q)
	}
}
