package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// indexLag is the sandbox's search lag in the tests below: a change shows
// in search only this long after it was made, as in HubSpot's index.
const indexLag = 5 * time.Second

// TestPersonEditInsideIndexLagSurvives has a coordinator raise a ticket to
// URGENT while HubSpot's search index still shows the version alusta
// wrote. The next cycle's search returns alusta's own version, which
// carries none of the person's edit, and the ticket's first-response
// deadline has passed meanwhile: deciding on that read would raise the
// stale priority and write it over the person's URGENT. The cycle must
// leave the stale read alone and decide the ticket on a fresh read, where
// the person's URGENT routes it to the urgent queue.
func TestPersonEditInsideIndexLagSurvives(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	// A Monday, 09:00 in Helsinki: the office calendar's clocks run.
	r := newCycleRig(t, time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC))
	r.crm.SetFaults(sandbox.Faults{SearchLag: indexLag})
	r.cycle(t, "cycle 1")

	id, due := r.firstDue(t, func(id string) bool {
		p := r.prop(hubspot.Tickets, id, "hs_ticket_priority")
		return p != "URGENT" && p != "HIGH" && r.prop(hubspot.Tickets, id, "alusta_queue") != "kiireelliset"
	})
	if id == "" {
		t.Fatal("no new MEDIUM or LOW ticket with a running first-response clock after cycle 1")
	}
	// The person's edit lands two seconds before the deadline; the cycle
	// runs a second after it, while search still shows alusta's version.
	r.clock.set(due.Add(-2 * time.Second))
	if err := r.crm.Update(hubspot.Tickets, id, map[string]string{"hs_ticket_priority": "URGENT"}); err != nil {
		t.Fatalf("person's edit: %v", err)
	}
	r.clock.set(due.Add(time.Second))
	r.cycle(t, "cycle 2")

	if got := r.prop(hubspot.Tickets, id, "hs_ticket_priority"); got != "URGENT" {
		t.Errorf("ticket %s: priority got %q, want the person's URGENT", id, got)
	}
	if got := r.prop(hubspot.Tickets, id, "alusta_queue"); got != "kiireelliset" {
		t.Errorf("ticket %s: queue got %q, want kiireelliset (the person's URGENT must reach the decision)", id, got)
	}
	ws, err := r.st.Writes(ctx, hubspot.Tickets, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.Property == "hs_ticket_priority" && w.Status == store.WriteApplied {
			t.Errorf("ticket %s: alusta wrote hs_ticket_priority %q -> %q at %s, want no priority write",
				id, w.Old, w.New, w.At.Format(time.RFC3339))
		}
	}
}

// TestStaleReadAfterFreshDecisionIsLeft has a webhook name a person's edit
// that leaves alusta nothing to write: the targeted cycle decides the
// fresh version. A full cycle inside the index lag then finds, in search,
// the version from before the edit; deciding on it would undo what the
// fresh read decided, so it must be left for a fresher read.
func TestStaleReadAfterFreshDecisionIsLeft(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	r := newCycleRig(t, time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC))
	r.crm.SetFaults(sandbox.Faults{SearchLag: indexLag})
	r.cycle(t, "cycle 1")

	// A ticket already raised by alusta and in the urgent queue would
	// take the person's URGENT without a write; one in the advice queue
	// takes it with one. Either way the stale read must not undo it.
	id, due := r.firstDue(t, func(id string) bool {
		p := r.prop(hubspot.Tickets, id, "hs_ticket_priority")
		return p != "URGENT" && p != "HIGH"
	})
	if id == "" {
		t.Fatal("no new MEDIUM or LOW ticket with a running first-response clock after cycle 1")
	}
	r.clock.set(due.Add(-3 * time.Second))
	if err := r.crm.Update(hubspot.Tickets, id, map[string]string{"hs_ticket_priority": "URGENT"}); err != nil {
		t.Fatalf("person's edit: %v", err)
	}
	r.d.Enqueue([]Change{{Target: Target{ObjectType: hubspot.Tickets, ID: id}, Property: "hs_ticket_priority", Value: "URGENT"}})
	if _, err := r.d.Targeted(context.Background()); err != nil {
		t.Fatalf("targeted cycle: %v", err)
	}
	queue := r.prop(hubspot.Tickets, id, "alusta_queue")
	r.clock.set(due.Add(time.Second))
	r.cycle(t, "cycle 2")
	if got := r.prop(hubspot.Tickets, id, "hs_ticket_priority"); got != "URGENT" {
		t.Errorf("ticket %s: priority got %q, want the person's URGENT", id, got)
	}
	if got := r.prop(hubspot.Tickets, id, "alusta_queue"); got != queue || got != "kiireelliset" {
		t.Errorf("ticket %s: queue got %q, want kiireelliset as the fresh read decided (%q)", id, got, queue)
	}
}

// firstDue is the new ticket, accepted by ok, whose running first-response
// clock falls due first after now.
func (r *cycleRig) firstDue(t *testing.T, ok func(id string) bool) (string, time.Time) {
	t.Helper()
	now := r.clock.now()
	var id string
	var due time.Time
	for _, tid := range r.crm.Objects(hubspot.Tickets) {
		o, _ := r.crm.Object(hubspot.Tickets, tid)
		if s, _ := o.Prop("alusta_sla_status"); s != "running" && s != "warning" {
			continue
		}
		if stageLabel(r.crm, hubspot.Tickets, r.prop(hubspot.Tickets, tid, "hs_pipeline_stage")) != "Uusi" || !ok(tid) {
			continue
		}
		d, err := hubspot.Timestamp(&o, "alusta_sla_due")
		if err != nil || !d.After(now) {
			continue
		}
		if id == "" || d.Before(due) {
			id, due = tid, d
		}
	}
	return id, due
}
