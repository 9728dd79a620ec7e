package daemon

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// TestHistoryFeed runs the daemon against the demo sandbox for two cycles.
// The first reads no property history: the stage times of the records it
// sees for the first time come with them (the date entered properties),
// and the backtest reads HubSpot's history where it needs it (a portal
// without them keeps the history read instead: TestSLAClocksStartInHubSpot).
// Between the cycles a person closes a ticket, and the second keeps that
// change as seen on the pull, at the ticket's modification time, and
// nothing else: alusta's own writes are never kept as a person's.
func TestHistoryFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	r := newCycleRig(t, time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC))
	r.cycle(t, "cycle 1")
	h, err := r.st.History(ctx, hubspot.Tickets)
	if err != nil {
		t.Fatal(err)
	}
	people := 0
	for _, cs := range h {
		for _, c := range cs {
			if c.Source == "CRM_UI" {
				people++
			}
		}
	}
	if people != 0 {
		t.Errorf("cycle 1 kept %d changes from HubSpot's history, want none: it reads none", people)
	}
	if n := r.crm.Requests()[sandbox.HistoryReads]; n != 0 {
		t.Errorf("history reads: got %d, want 0", n)
	}

	var id string
	for _, o := range r.crm.Objects(hubspot.Tickets) {
		if stageLabel(r.crm, hubspot.Tickets, r.prop(hubspot.Tickets, o, "hs_pipeline_stage")) == "Työn alla" {
			id = o
			break
		}
	}
	if id == "" {
		t.Fatal("no ticket in progress to close")
	}
	closed := ""
	for _, p := range r.crm.Pipelines(hubspot.Tickets) {
		for _, s := range p.Stages {
			if s.Label == "Suljettu" {
				closed = s.ID
			}
		}
	}
	r.clock.advance(time.Minute)
	at := r.clock.now()
	if err := r.crm.Update(hubspot.Tickets, id, map[string]string{"hs_pipeline_stage": closed}); err != nil {
		t.Fatal(err)
	}
	r.clock.advance(time.Minute)
	r.cycle(t, "cycle 2")

	h, err = r.st.History(ctx, hubspot.Tickets)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	found := false
	for _, c := range h[id] {
		seen = append(seen, c.At.Format(time.RFC3339)+" "+c.Field+"="+c.Value+" "+c.Source)
		if c.Field == "stage" && c.Value == closed && c.Source == store.SourcePull && c.At.Equal(at) {
			found = true
		}
	}
	if !found {
		t.Errorf("ticket %s: got history\n%s\nwant stage=%s seen by the pull at %s", id, strings.Join(seen, "\n"), closed, at.Format(time.RFC3339))
	}
	// Between the cycles only the person's close happened: the pull saw
	// nothing else, alusta's own writes of cycle 1 above all (kept in the
	// cache as they landed, or marked as alusta's when read back).
	pulled := map[string]int{}
	for _, cs := range h {
		for _, c := range cs {
			if c.Source == store.SourcePull {
				pulled[c.Field]++
			}
		}
	}
	if want := map[string]int{"stage": 1}; !maps.Equal(pulled, want) {
		t.Errorf("changes seen by the pull: got %v, want %v", pulled, want)
	}
}
