package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store/storetest"
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

// TestIdentityCodesNeverStored puts an identity code, in all 13 century
// marker forms, glued, doubled and with an en dash, into the provider of
// tickets (which the daemon copies into its decisions) and into a deal's
// units (which it rejects and names). After a cycle, no SQLite file holds
// any of them. Before, decisions kept the provider raw and the rejected
// reason was cut before it was masked.
func TestIdentityCodesNeverStored(t *testing.T) {
	ctx := context.Background()
	p := newInProcess(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	forms := storetest.CodeForms()
	tickets := p.crm.Pipelines(hubspot.Tickets)[0]
	for _, f := range forms {
		p.crm.Insert(hubspot.Tickets, map[string]string{"subject": "Kysymys", "hs_pipeline": tickets.ID,
			"hs_pipeline_stage": tickets.Stages[0].ID, "alusta_provider": "p " + f}, p.now.Add(-time.Hour))
	}
	deals := p.crm.Pipelines(hubspot.Deals)[0]
	bad := p.crm.Insert(hubspot.Deals, map[string]string{
		"dealname": "Siivoustilaus", "pipeline": deals.ID, "dealstage": deals.Stages[0].ID, "alusta_service": "siivous",
		"alusta_municipality": "Tampere", "alusta_units": "yhteensa kymmenen tuntia, as. 131052-308T",
	}, p.now.Add(-time.Hour))
	p.cycle(t)
	rejected, err := p.store.RejectedRecords(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := `not a number: "yhteensa kymmenen tuntia, as. [hetu]"`
	if len(rejected) != 1 || rejected[0].RecordID != bad || rejected[0].Reason != want {
		t.Errorf("rejected: got %+v, want deal %s %s", rejected, bad, want)
	}
	var path string
	if err := p.store.DB().QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	storetest.AssertNoCodes(t, storetest.Files(t, path), forms)
	var masked int
	if err := p.store.DB().QueryRowContext(ctx, `SELECT count(*) FROM decisions WHERE provider_id LIKE 'p %[hetu]%'`).Scan(&masked); err != nil {
		t.Fatal(err)
	}
	if masked != len(forms) {
		t.Errorf("decisions with a masked provider: got %d, want %d", masked, len(forms))
	}
}
