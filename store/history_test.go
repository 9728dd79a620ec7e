package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestHistory stores what a pull saw of a ticket and then HubSpot's exact
// history of it: a stale read adds nothing; the change both saw is kept once, at HubSpot's time; what
// the pull saw after the read stays; identity codes are masked; fields
// outside the history are refused.
func TestHistory(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	created := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	rec := Record{ID: "7", CreatedAt: created, UpdatedAt: created,
		Properties: map[string]string{"stage": "1", "priority": "LOW", "queue": "neuvonta"}}

	seen, err := s.ChangesSeen(ctx, hubspot.Tickets, []Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	want := []PropertyChange{
		{ObjectType: hubspot.Tickets, RecordID: "7", Field: "stage", Value: "1", At: created, Source: SourcePull},
		{ObjectType: hubspot.Tickets, RecordID: "7", Field: "priority", Value: "LOW", At: created, Source: SourcePull},
	}
	if !sameChanges(seen, want) {
		t.Fatalf("first look: got %+v, want %+v", seen, want)
	}
	if err := s.AddHistory(ctx, seen); err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertRecords(ctx, hubspot.Tickets, []Record{rec}); err != nil {
		t.Fatal(err)
	}

	// A person moved the ticket at 9:30; the pull sees it at the record's
	// modification time, 9:31, and a second time, which adds nothing.
	moved := created.Add(90 * time.Minute)
	rec.UpdatedAt = moved.Add(time.Minute)
	rec.Properties = map[string]string{"stage": "2", "priority": "LOW", "owner": "501"}
	for range 2 {
		seen, err = s.ChangesSeen(ctx, hubspot.Tickets, []Record{rec})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AddHistory(ctx, seen); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.UpsertRecords(ctx, hubspot.Tickets, []Record{rec}); err != nil {
		t.Fatal(err)
	}
	// A late page of an older read sees the ticket as it was: no change.
	stale := Record{ID: "7", CreatedAt: created, UpdatedAt: created, Properties: map[string]string{"stage": "1", "priority": "LOW"}}
	if seen, err = s.ChangesSeen(ctx, hubspot.Tickets, []Record{stale}); err != nil || len(seen) != 0 {
		t.Fatalf("stale read: got %+v, %v; want no change", seen, err)
	}
	h, err := s.History(ctx, hubspot.Tickets)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(h["7"]); got != 4 {
		t.Fatalf("after two pulls: got %d changes %+v, want 4", got, h["7"])
	}

	// HubSpot's history, read at 10:00, has the move at 9:30 exactly and a
	// priority note with an identity code typed into it.
	readAt := created.Add(2 * time.Hour)
	exact := []PropertyChange{
		{ObjectType: hubspot.Tickets, RecordID: "7", Field: "stage", Value: "1", At: created, Source: "CRM_UI"},
		{ObjectType: hubspot.Tickets, RecordID: "7", Field: "stage", Value: "2", At: moved, Source: "CRM_UI"},
		{ObjectType: hubspot.Tickets, RecordID: "7", Field: "owner", Value: "501", At: moved, Source: "CRM_UI"},
		{ObjectType: hubspot.Tickets, RecordID: "7", Field: "priority", Value: "LOW", At: created, Source: "CRM_UI"},
		{ObjectType: hubspot.Tickets, RecordID: "7", Field: "priority", Value: "HIGH 131052-308T", At: moved, Source: "CRM_UI"},
	}
	if err := s.ReplaceHistory(ctx, hubspot.Tickets, []string{"7"}, readAt, exact); err != nil {
		t.Fatal(err)
	}
	// A pull after the read sees the ticket closed.
	closed := readAt.Add(time.Hour)
	if err := s.AddHistory(ctx, []PropertyChange{{ObjectType: hubspot.Tickets, RecordID: "7", Field: "stage", Value: "4", At: closed, Source: SourcePull}}); err != nil {
		t.Fatal(err)
	}
	h, err = s.History(ctx, hubspot.Tickets)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range h["7"] {
		got = append(got, c.At.Format("15:04")+" "+c.Field+"="+c.Value+" "+c.Source)
	}
	wantRows := []string{
		"08:00 priority=LOW CRM_UI", "08:00 stage=1 CRM_UI",
		"09:30 owner=501 CRM_UI", "09:30 priority=HIGH [hetu] CRM_UI", "09:30 stage=2 CRM_UI",
		"11:00 stage=4 pull",
	}
	if !reflect.DeepEqual(got, wantRows) {
		t.Errorf("history:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(wantRows, "\n     "))
	}

	for _, tc := range []struct {
		name string
		c    PropertyChange
		want string
	}{
		{"free text", PropertyChange{ObjectType: hubspot.Tickets, RecordID: "7", Field: "subject", Value: "x", At: moved, Source: "CRM_UI"},
			`store: add history: tickets 7 subject: field "subject" is not kept in the history`},
		{"no time", PropertyChange{ObjectType: hubspot.Tickets, RecordID: "7", Field: "stage", Value: "x", Source: "CRM_UI"},
			`store: add history: tickets 7 stage: no time`},
		{"companies", PropertyChange{ObjectType: hubspot.Companies, RecordID: "7", Field: "owner", Value: "x", At: moved, Source: "CRM_UI"},
			`store: add history: companies 7 owner: field "owner" is not kept in the history`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.AddHistory(ctx, []PropertyChange{tc.c})
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
}

func sameChanges(a, b []PropertyChange) bool {
	key := func(cs []PropertyChange) map[string]bool {
		m := map[string]bool{}
		for _, c := range cs {
			m[c.RecordID+" "+c.Field+"="+c.Value+" "+c.At.String()+" "+c.Source] = true
		}
		return m
	}
	return len(a) == len(b) && reflect.DeepEqual(key(a), key(b))
}
