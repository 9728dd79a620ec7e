package pipelines

import (
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestChangeAppliedTwice applies one change to a page's working copy and
// then, after HubSpot refused one property, to the daemon's own state, as
// the daemon does: each state keeps a record memory of its own.
func TestChangeAppliedTwice(t *testing.T) {
	e, m := demoEngine(t)
	now := time.Date(2026, 11, 24, 11, 0, 0, 0, helsinki(t))
	in := Input{ObjectType: hubspot.Tickets, Owners: demoOwners(), Record: ticket("1", now.Add(-time.Hour), nil)}
	own := &State{}
	view := own.Scratch("tickets/1")
	_, c, err := e.Decide(in, view, now)
	if err != nil {
		t.Fatal(err)
	}
	queue := m.Outputs.Queue
	view.Apply(c)
	c.Unwrite(queue)
	own.Apply(c)
	if _, ok := view.Records["tickets/1"].Written.Lookup(queue); !ok {
		t.Errorf("the working copy lost %s, unwritten after it took the change", queue)
	}
	if _, ok := own.Records["tickets/1"].Written.Lookup(queue); ok {
		t.Errorf("the state remembers %s, which HubSpot refused", queue)
	}
	if view.Records["tickets/1"] == own.Records["tickets/1"] {
		t.Fatal("the two states share one record memory")
	}
	// A third state gets a copy too.
	third := &State{}
	third.Apply(c)
	if third.Records["tickets/1"] == own.Records["tickets/1"] {
		t.Error("a later state shares the record memory")
	}
}
