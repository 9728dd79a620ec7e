package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// TestEchoesKeptByRecord: a webhook that only echoes alusta's own write is
// dropped while the write is remembered (echoTTL), a later write to the
// same property replaces the earlier, a write that did not land is
// forgotten for its own properties only, and any other value is a change.
func TestEchoesKeptByRecord(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir()+"/alusta.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// No call reaches this address: Enqueue only queues.
	client, err := hubspot.New(hubspot.Options{BaseURL: "http://127.0.0.1:1", Token: "echo-test"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC)
	d, err := New(Options{Client: client, Store: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	d.expectEchoes(hubspot.Tickets, "1", map[string]string{"alusta_queue": "neuvonta", "hubspot_owner_id": "7"})
	d.expectEchoes(hubspot.Tickets, "1", map[string]string{"alusta_queue": "palveluohjaus"})
	d.expectEchoes(hubspot.Tickets, "2", map[string]string{"alusta_queue": "neuvonta", "hs_pipeline_stage": "3"})
	d.forgetEchoes(hubspot.Tickets, "2", map[string]string{"hs_pipeline_stage": "3"})
	now = now.Add(echoTTL / 2)
	d.expectEchoes(hubspot.Tickets, "3", map[string]string{"alusta_queue": "neuvonta"})

	tests := []struct {
		name          string
		at            time.Duration // after the last write
		id, prop, val string
		want          bool // enqueued
	}{
		{"echo of the later write", 0, "1", "alusta_queue", "palveluohjaus", false},
		{"value of the replaced write", 0, "1", "alusta_queue", "neuvonta", true},
		{"echo of the other property", 0, "1", "hubspot_owner_id", "7", false},
		{"a person's value", 0, "1", "hubspot_owner_id", "8", true},
		{"echo kept beside a forgotten one", 0, "2", "alusta_queue", "neuvonta", false},
		{"forgotten write", 0, "2", "hs_pipeline_stage", "3", true},
		{"other record", 0, "4", "alusta_queue", "neuvonta", true},
		{"echo past its time", echoTTL/2 + time.Minute, "1", "hubspot_owner_id", "7", true},
		{"echo still in its time", echoTTL/2 + time.Minute, "3", "alusta_queue", "neuvonta", false},
	}
	base := now
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now = base.Add(tc.at)
			d.pending = make(map[Target]bool)
			tg := Target{ObjectType: hubspot.Tickets, ID: tc.id}
			d.Enqueue([]Change{{Target: tg, Property: tc.prop, Value: tc.val}})
			if got := d.pending[tg]; got != tc.want {
				t.Errorf("%s %s=%q enqueued: got %v, want %v", tc.id, tc.prop, tc.val, got, tc.want)
			}
		})
	}
	if _, ok := d.echoes[hubspot.Tickets+"/1"]; ok {
		t.Errorf("echoes of ticket 1 after echoTTL: still kept, want dropped")
	}
}
