package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSavePage saves a page and checks each part landed, the writes tied
// to the decision, then a page with one bad write and checks that none of
// it did: a page is saved whole or not at all.
func TestSavePage(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	at := c.t
	due := at.Add(4 * time.Hour)
	page := func(id, status string) Page {
		return Page{
			ObjectType: "tickets",
			Decided: []DecidedRecord{{
				Decision: Decision{ObjectType: "tickets", RecordID: id, Rule: "neuvonta", Queue: "neuvonta", At: at, Fingerprint: "f-" + id},
				SLA:      []SLACycle{{Goal: "first_response", Cycle: 1, StartedAt: at, DueAt: &due, Status: SLARunning}},
				Events:   []SLAEvent{{ObjectType: "tickets", RecordID: id, Goal: "first_response", Cycle: 1, Kind: "started", At: at}},
				Writes:   []Write{{ObjectType: "tickets", RecordID: id, Property: "alusta_queue", New: "neuvonta", At: at, Status: WriteStatus(status)}},
			}},
			Writes:  []Write{{ObjectType: "tickets", RecordID: "99", Property: "alusta_queue", New: "x", At: at, Status: WriteRejected, Reason: "bad"}},
			Records: []Record{{ID: id, UpdatedAt: at, Properties: map[string]string{"queue": "neuvonta"}}},
			States:  map[string]any{"engine/rec/tickets/" + id: map[string]string{"owner": "7"}},
		}
	}
	if err := s.SavePage(ctx, page("1", string(WriteApplied))); err != nil {
		t.Fatal(err)
	}
	decs, err := s.Decisions(ctx, "tickets", "1")
	if err != nil || len(decs) != 1 {
		t.Fatalf("decisions: got %v %v, want one", decs, err)
	}
	ws, err := s.Writes(ctx, "tickets", "1")
	if err != nil || len(ws) != 1 || ws[0].DecisionID != decs[0].ID {
		t.Errorf("writes: got %+v %v, want one with decision %d", ws, err, decs[0].ID)
	}
	if rej, _ := s.Writes(ctx, "tickets", "99"); len(rej) != 1 || rej[0].DecisionID != 0 {
		t.Errorf("rejected write: got %+v", rej)
	}
	if cs, _ := s.SLACycles(ctx, "tickets", "1"); len(cs) != 1 {
		t.Errorf("sla cycles: got %+v", cs)
	}
	if es, _ := s.SLAEvents(ctx, "tickets", "1"); len(es) != 1 {
		t.Errorf("sla events: got %+v", es)
	}
	if r, ok, _ := s.Record(ctx, "tickets", "1"); !ok || r.Prop("queue") != "neuvonta" {
		t.Errorf("record: got %+v %v", r, ok)
	}
	var st map[string]string
	if err := s.LoadState(ctx, "engine/rec/tickets/1", &st); err != nil || st["owner"] != "7" {
		t.Errorf("state: got %v %v", st, err)
	}
	// The same decision again adds no history row and ties its writes to
	// the one stored.
	if err := s.SavePage(ctx, page("1", string(WriteApplied))); err != nil {
		t.Fatal(err)
	}
	if decs, _ := s.Decisions(ctx, "tickets", "1"); len(decs) != 1 {
		t.Errorf("repeated decision: got %d rows, want 1", len(decs))
	}

	err = s.SavePage(ctx, page("2", "bogus"))
	if err == nil || !strings.Contains(err.Error(), `unknown status "bogus"`) {
		t.Fatalf("bad page: got %v, want unknown status", err)
	}
	if decs, _ := s.Decisions(ctx, "tickets", "2"); len(decs) != 0 {
		t.Errorf("bad page: decision saved: %+v", decs)
	}
	if _, ok, _ := s.Record(ctx, "tickets", "2"); ok {
		t.Error("bad page: record cached")
	}
	if cs, _ := s.SLACycles(ctx, "tickets", "2"); len(cs) != 0 {
		t.Errorf("bad page: sla cycles saved: %+v", cs)
	}
}
