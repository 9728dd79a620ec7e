package pipelines

import (
	"reflect"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestCandidatesOnlyToExplain decides orders with and without
// Input.Explain: the decisions are the same but for the candidates, which
// list every provider, mark the one chosen and say how.
func TestCandidatesOnlyToExplain(t *testing.T) {
	e, _ := demoEngine(t)
	now := time.Date(2026, 11, 24, 11, 0, 0, 0, helsinki(t))
	plain, explained := &State{}, &State{}
	var listed int
	for i, in := range benchInputs(now, 600) {
		d1, err := e.DecideApply(in, plain, now)
		if err != nil {
			t.Fatal(err)
		}
		in.Explain = true
		d2, err := e.DecideApply(in, explained, now)
		if err != nil {
			t.Fatal(err)
		}
		if d1.Candidates != nil {
			t.Fatalf("record %d: candidates listed unasked", i)
		}
		cands := d2.Candidates
		d2.Candidates = nil
		if !reflect.DeepEqual(d1, d2) {
			t.Fatalf("record %d: got %+v, want %+v", i, d2, d1)
		}
		if cands == nil {
			continue
		}
		listed++
		if in.ObjectType != hubspot.Deals || len(cands) != len(in.Providers) {
			t.Fatalf("record %d: got %d candidates for a %s, want one for each of %d providers", i, len(cands), in.ObjectType, len(in.Providers))
		}
		var to string // the provider chosen, if any
		if d2.Associate != nil {
			to = d2.Associate.ToID
		}
		for _, c := range cands {
			if chosen := c.ID == to; c.Chosen != chosen || chosen != (c.Reason != "") || chosen && !c.Eligible {
				t.Errorf("record %d: candidate %+v, chosen %q", i, c, to)
			}
			if !c.Eligible && c.Why.ID == "" {
				t.Errorf("record %d: candidate %s is not eligible and says not why", i, c.ID)
			}
		}
	}
	if listed == 0 {
		t.Fatal("no order was assigned; the test proves nothing")
	}
}
