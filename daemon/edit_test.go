package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store"
)

// testClock is a clock that moves only when the test says.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *testClock) advance(d time.Duration) { c.set(c.now().Add(d)) }

// cycleRig is the daemon in-process against the demo sandbox, every part
// on one injected clock, driven one Cycle at a time.
type cycleRig struct {
	clock    *testClock
	crm      *sandbox.Server
	st       *store.Store
	d        *Daemon
	lookback time.Duration
}

func newCycleRig(t *testing.T, t0 time.Time) *cycleRig {
	t.Helper()
	return newCycleRigWrapped(t, t0, nil)
}

// newCycleRigWrapped is newCycleRig with wrap, when not nil, in front of
// the sandbox: it sees every API call the daemon makes.
func newCycleRigWrapped(t *testing.T, t0 time.Time, wrap func(http.Handler) http.Handler) *cycleRig {
	t.Helper()
	r := &cycleRig{clock: &testClock{t: t0}, lookback: 30 * time.Second}
	var err error
	r.crm, err = sandbox.New(sandbox.Options{Seed: "demo", Now: r.clock.now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.crm.Close() })
	var h http.Handler = r.crm
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Options{
		BaseURL: srv.URL, Token: "edit-test", RateLimit: 250, SearchRate: 50, Now: r.clock.now,
		RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.st, err = store.Open(context.Background(), t.TempDir()+"/alusta.db", store.Options{Now: r.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.st.Close() })
	r.d, err = New(Options{
		Client: client, Store: r.st, PipelinesDir: "../testdata/rules/pipelines", MappingsDir: "../testdata/rules/mappings",
		Interval: time.Hour, Lookback: r.lookback, Now: r.clock.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.d.Prepare(context.Background()); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return r
}

func (r *cycleRig) cycle(t *testing.T, name string) Summary {
	t.Helper()
	sum, err := r.d.Cycle(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s at %s: %s", name, r.clock.now().Format(time.RFC3339), sum)
	return sum
}

func (r *cycleRig) prop(typ, id, name string) string {
	o, _ := r.crm.Object(typ, id)
	v, _ := o.Prop(name)
	return v
}

// wroteLast reports whether the last applied write alusta logged for prop
// on the record set the value the CRM still holds.
func (r *cycleRig) wroteLast(t *testing.T, typ, id, prop string) bool {
	t.Helper()
	ws, err := r.st.Writes(context.Background(), typ, id)
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, w := range ws {
		if w.Property == prop && w.Status == store.WriteApplied {
			last = w.New
		}
	}
	return last != "" && last == r.prop(typ, id, prop)
}

// personEdit is a coordinator overriding, in HubSpot, a value alusta wrote.
type personEdit struct {
	name string
	typ  string
	prop string
	// pick finds a record alusta wrote prop on and the value the person
	// puts there instead.
	pick func(t *testing.T, r *cycleRig) (id, value string)
}

var betweenCycleEdits = []personEdit{
	{
		name: "ticket owner", typ: hubspot.Tickets, prop: "hubspot_owner_id",
		pick: func(t *testing.T, r *cycleRig) (string, string) {
			for _, id := range r.crm.Objects(hubspot.Tickets) {
				if stageLabel(r.crm, hubspot.Tickets, r.prop(hubspot.Tickets, id, "hs_pipeline_stage")) == "Suljettu" ||
					!r.wroteLast(t, hubspot.Tickets, id, "hubspot_owner_id") {
					continue
				}
				cur := r.prop(hubspot.Tickets, id, "hubspot_owner_id")
				for _, o := range r.crm.Owners() {
					if o.ID != cur {
						return id, o.ID
					}
				}
			}
			return "", ""
		},
	},
	{
		name: "deal provider", typ: hubspot.Deals, prop: "alusta_provider",
		pick: func(t *testing.T, r *cycleRig) (string, string) {
			for _, id := range r.crm.Objects(hubspot.Deals) {
				if stageLabel(r.crm, hubspot.Deals, r.prop(hubspot.Deals, id, "dealstage")) != "Välitetty tuottajalle" ||
					!r.wroteLast(t, hubspot.Deals, id, "alusta_provider") {
					continue
				}
				cur := r.prop(hubspot.Deals, id, "alusta_provider")
				for _, c := range r.crm.Objects(hubspot.Companies) {
					if c != cur {
						return id, c
					}
				}
			}
			return "", ""
		},
	},
}

// TestPersonEditBetweenCyclesSurvives runs the daemon a cycle at a time on
// an injected clock. A person overrides values alusta wrote between two
// cycles: the next cycle must leave them, log that it did and say so in
// alusta_decision. Then the clock passes a ticket's first-response
// deadline with nothing changing in the CRM: the deadline alone must wake
// the ticket and mark it breached, while tickets whose clocks are paused
// must be left alone.
func TestPersonEditBetweenCyclesSurvives(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	ctx := context.Background()
	// A Monday, 09:00 in Helsinki: the office calendar's clocks run.
	r := newCycleRig(t, time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC))
	r.cycle(t, "cycle 1")

	type made struct {
		personEdit
		id, value string
	}
	var edits []made
	r.clock.advance(time.Minute)
	for _, e := range betweenCycleEdits {
		id, value := e.pick(t, r)
		if id == "" {
			t.Fatalf("%s: no record where alusta wrote %s after cycle 1", e.name, e.prop)
		}
		if err := r.crm.Update(e.typ, id, map[string]string{e.prop: value}); err != nil {
			t.Fatalf("%s: person's edit: %v", e.name, err)
		}
		edits = append(edits, made{e, id, value})
	}
	r.clock.advance(time.Minute)
	r.cycle(t, "cycle 2")

	for _, e := range edits {
		t.Run(e.name, func(t *testing.T) {
			if got := r.prop(e.typ, e.id, e.prop); got != e.value {
				t.Errorf("%s %s %s: got %q, want the person's %q", e.typ, e.id, e.prop, got, e.value)
			}
			ws, err := r.st.Writes(ctx, e.typ, e.id)
			if err != nil {
				t.Fatal(err)
			}
			if n := countWrites(ws, e.prop, e.value, store.WriteSkippedHuman); n == 0 {
				var log []string
				for _, w := range ws {
					log = append(log, w.Property+"="+w.New+" ("+string(w.Status)+")")
				}
				t.Errorf("%s %s write log: got no skipped_human entry for %s=%q, want one; log: %s",
					e.typ, e.id, e.prop, e.value, strings.Join(log, ", "))
			}
			want := "jätetty ennalleen (henkilö muutti): " + e.prop
			if got := r.prop(e.typ, e.id, "alusta_decision"); !strings.Contains(got, want) {
				t.Errorf("%s %s alusta_decision: got %q, want it to contain %q", e.typ, e.id, got, want)
			}
		})
	}

	// Tickets waiting on the client, their resolution clocks paused:
	// nothing about them changes while they wait.
	var waiting []string
	for _, id := range r.crm.Objects(hubspot.Tickets) {
		if stageLabel(r.crm, hubspot.Tickets, r.prop(hubspot.Tickets, id, "hs_pipeline_stage")) == "Odottaa asiakasta" &&
			r.prop(hubspot.Tickets, id, "alusta_sla_status") == "paused" {
			waiting = append(waiting, id)
		}
	}
	quietFrom := r.clock.now().Add(time.Second)

	t.Run("an SLA deadline wakes the record", func(t *testing.T) {
		cur, err := r.st.Cursor(ctx, hubspot.Tickets)
		if err != nil {
			t.Fatal(err)
		}
		// Polling re-reads from the cursor less the lookback; a ticket
		// last modified before that is read again only if its deadline
		// wakes it.
		polledFrom := cur.Since.Add(-r.lookback)
		now := r.clock.now()
		var id string
		var due time.Time
		for _, tid := range r.crm.Objects(hubspot.Tickets) {
			o, _ := r.crm.Object(hubspot.Tickets, tid)
			status, _ := o.Prop("alusta_sla_status")
			if status != "running" && status != "warning" {
				continue
			}
			if stageLabel(r.crm, hubspot.Tickets, r.prop(hubspot.Tickets, tid, "hs_pipeline_stage")) != "Uusi" {
				continue
			}
			d, err := hubspot.Timestamp(&o, "alusta_sla_due")
			if err != nil || !d.After(now) {
				continue
			}
			if m, err := hubspot.Timestamp(&o, hubspot.PropLastModified); err != nil || !m.Before(polledFrom) {
				continue
			}
			if id == "" || d.Before(due) {
				id, due = tid, d
			}
		}
		if id == "" {
			t.Fatalf("no new ticket with a running first-response clock left unmodified since before %s", polledFrom.Format(time.RFC3339))
		}
		modified := r.prop(hubspot.Tickets, id, hubspot.PropLastModified)
		reads := r.crm.Requests()[batchReadRoute]
		r.clock.set(due.Add(time.Minute))
		r.cycle(t, "cycle 3")
		if got := r.prop(hubspot.Tickets, id, "alusta_sla_status"); got != "breached" {
			t.Errorf("ticket %s, first response due %s, at %s: alusta_sla_status got %q, want breached",
				id, due.Format(time.RFC3339), r.clock.now().Format(time.RFC3339), got)
		}
		if got := r.crm.Requests()[batchReadRoute]; got <= reads {
			t.Errorf("batch reads: got %d, want more than %d (the woken ticket read by id)", got, reads)
		}
		// Nothing but alusta touched it: the write above is alusta's own.
		ws, err := r.st.Writes(ctx, hubspot.Tickets, id)
		if err != nil {
			t.Fatal(err)
		}
		if n := countWrites(ws, "alusta_sla_status", "breached", store.WriteApplied); n != 1 {
			t.Errorf("ticket %s (last modified %s before the deadline): got %d applied alusta_sla_status=breached writes, want 1",
				id, modified, n)
		}
	})

	// Each write moves the record's hs_lastmodifieddate, so polling reads
	// it back, decides it and writes again: a write that changes nothing
	// but the moment it was made never stops.
	t.Run("a paused SLA clock writes nothing", func(t *testing.T) {
		if len(waiting) == 0 {
			t.Fatal("no ticket waiting on the client with a paused SLA clock after cycle 2")
		}
		rewritten := 0
		for _, id := range waiting {
			ws, err := r.st.Writes(ctx, hubspot.Tickets, id)
			if err != nil {
				t.Fatal(err)
			}
			var late []string
			for _, w := range ws {
				if w.Status == store.WriteApplied && w.At.After(quietFrom) {
					late = append(late, fmt.Sprintf("%s %s: %q -> %q", w.At.Format(time.TimeOnly), w.Property, w.Old, w.New))
				}
			}
			if len(late) > 0 {
				rewritten++
				if rewritten <= 2 {
					t.Errorf("ticket %s, waiting on the client, clock paused: got %d writes in cycle 3, want none:\n\t%s",
						id, len(late), strings.Join(late, "\n\t"))
				}
			}
		}
		if rewritten > 0 {
			t.Errorf("got %d of %d waiting tickets rewritten in cycle 3, want 0", rewritten, len(waiting))
		}
	})
}
