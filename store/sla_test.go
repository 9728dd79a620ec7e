package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// TestSLACyclesKeepTheEngineClock: sla_cycles is the one record of SLA
// clocks, so a cycle saved with a page comes back exactly, to the
// nanosecond, in the order the engine keeps a record's cycles.
func TestSLACyclesKeepTheEngineClock(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	start := time.Date(2026, 3, 10, 8, 0, 0, 123456789, time.UTC)
	due := start.Add(4*time.Hour + 7)
	stop := start.Add(time.Hour + 11)
	cycles := []SLACycle{
		// Position 1 before position 0 in goal order: position wins.
		{Goal: "first_response", Cycle: 1, StartedAt: start, DueAt: &due, Status: SLAWarning, Calendar: "kotitori",
			GoalName: "4 t", Target: 4 * time.Hour, Elapsed: 3*time.Hour + 1, PausedFor: 5, BusinessElapsedSeconds: 10800,
			LastSeen: start.Add(3*time.Hour + 3), Position: 1},
		{Goal: "close", Cycle: 1, StartedAt: start, DueAt: &due, StoppedAt: &stop, Status: SLABreached, Calendar: "kotitori",
			GoalName: "3 arkipäivää", Target: 22*time.Hour + 30*time.Minute, Elapsed: time.Hour + 11, Paused: true, Acted: true,
			LastSeen: stop, Position: 0},
	}
	page := Page{ObjectType: "tickets", Decided: []DecidedRecord{{
		Decision: Decision{ObjectType: "tickets", RecordID: "1", Rule: "neuvonta", At: start},
		SLA:      cycles,
	}}}
	if err := s.SavePage(ctx, page); err != nil {
		t.Fatal(err)
	}
	want := []SLACycle{cycles[1], cycles[0]}
	got, err := s.SLACycles(ctx, "tickets", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SLACycles:\ngot  %+v\nwant %+v", got, want)
	}
	var each []SLACycle
	err = s.EachSLACycles(ctx, func(typ, id string, cs []SLACycle) error {
		if typ != "tickets" || id != "1" {
			t.Errorf("EachSLACycles: got record %s %s, want tickets 1", typ, id)
		}
		each = append(each, cs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(each, want) {
		t.Errorf("EachSLACycles:\ngot  %+v\nwant %+v", each, want)
	}
}
