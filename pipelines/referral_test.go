package pipelines

import (
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

func TestReferralFromTicket(t *testing.T) {
	e, _ := engineFrom(t, "testdata/referral")
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	acts := []Activity{{ID: "301", Name: "Olohuone ry", Active: true}, {ID: "302", Name: "Lopettanut ry"}}
	tests := []struct {
		name    string
		props   map[string]string
		want    bool
		explain string
	}{
		{name: "consent makes a referral", props: map[string]string{"alusta_refer_to": "301", "alusta_referral_consent": "yes"},
			want: true, explain: "lähete toimintaan Olohuone ry (301)"},
		{name: "a checkbox consent counts", props: map[string]string{"alusta_refer_to": "301", "alusta_referral_consent": "true"}, want: true},
		{name: "no consent, no referral", props: map[string]string{"alusta_refer_to": "301"},
			explain: "ei lähetettä toimintaan 301: asiakkaan suostumusta ei ole kirjattu (alusta_referral_consent ei ole kyllä)"},
		{name: "refused consent", props: map[string]string{"alusta_refer_to": "301", "alusta_referral_consent": "no"},
			explain: "ei lähetettä toimintaan 301: asiakkaan suostumusta ei ole kirjattu"},
		{name: "not an activity", props: map[string]string{"alusta_refer_to": "999", "alusta_referral_consent": "yes"},
			explain: "ei lähetettä: 999 ei ole järjestön toiminta"},
		{name: "inactive activity", props: map[string]string{"alusta_refer_to": "302", "alusta_referral_consent": "yes"},
			explain: "ei lähetettä: Lopettanut ry (302) ei ole toiminnassa"},
		{name: "nothing asked", props: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &State{}
			in := Input{ObjectType: hubspot.Tickets, Record: ticket("7", now, tt.props), Activities: acts, Owners: demoOwners()}
			d, err := e.DecideApply(in, st, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Referral != nil; got != tt.want {
				t.Fatalf("got referral %+v, want one: %t", d.Referral, tt.want)
			}
			if tt.want && (d.Referral.FromTicket != "7" || d.Referral.ActivityID != tt.props["alusta_refer_to"] || d.Referral.Key != "hyvinvointilahete/7/301") {
				t.Errorf("got %+v, want a referral of ticket 7 to 301", d.Referral)
			}
			if !strings.Contains(d.Explanation, tt.explain) {
				t.Errorf("got explanation %q, want it to say %q", d.Explanation, tt.explain)
			}
			if !tt.want {
				return
			}
			// Decided again, the same ticket makes no second referral.
			again, err := e.DecideApply(in, st, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if again.Referral != nil || !strings.Contains(again.Explanation, "lähete tehty: 301") {
				t.Errorf("second decision: got referral %+v, explanation %q; want none, lähete tehty: 301", again.Referral, again.Explanation)
			}
		})
	}
}

// TestReferralTicket follows a referral ticket: its contact clock runs on
// the NGO calendar from its creation, and every change of its progress is
// reported once for the ticket it was made from.
func TestReferralTicket(t *testing.T) {
	e, m := engineFrom(t, "testdata/referral")
	loc := helsinki(t)
	created := time.Date(2026, 11, 23, 10, 0, 0, 0, loc) // a Monday
	st := &State{}
	decide := func(stage string, now time.Time) Decision {
		t.Helper()
		rec := obj("900", created, map[string]string{"hs_pipeline": "Hyvinvointilähete", "hs_pipeline_stage": stage, "alusta_referral_of": "7"})
		d, err := e.DecideApply(Input{ObjectType: hubspot.Tickets, Record: rec, Owners: demoOwners()}, st, now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := decide("Lähetetty", created.Add(time.Hour))
	if d.Rule != ReferralRule || d.Writes.Get(m.Field(hubspot.Tickets, "owner")) != "" || d.Writes.Get(m.Outputs.Queue) != "" {
		t.Errorf("got rule %q, writes %v; want the referral rule and no routing", d.Rule, d.Writes)
	}
	// Five working days of 8 h from Monday 10:00 end next Monday 10:00.
	if got, want := d.Writes.Get(m.Outputs.SLADue), "2026-11-30T08:00:00.000Z"; got != want {
		t.Errorf("got due %s, want %s", got, want)
	}
	if d.Outcome == nil || d.Outcome.TicketID != "7" || d.Outcome.Value != "Lähetetty (lähete 900)" || d.Outcome.Property != "alusta_referral_status" {
		t.Errorf("got outcome %+v, want Lähetetty on ticket 7", d.Outcome)
	}
	if d = decide("Lähetetty", created.Add(2*time.Hour)); d.Outcome != nil {
		t.Errorf("unchanged referral: got outcome %+v, want none", d.Outcome)
	}
	if d = decide("Lähetetty", created.AddDate(0, 0, 8)); d.Outcome == nil || d.Outcome.Value != "Lähetetty, yhteydenotto myöhässä (lähete 900)" {
		t.Errorf("late referral: got outcome %+v, want it overdue", d.Outcome)
	}
	d = decide("Yhteys otettu", created.AddDate(0, 0, 8))
	if d.Outcome == nil || d.Outcome.Value != "Yhteys otettu (lähete 900)" || d.Writes.Get(m.Outputs.SLAStatus) != "breached" {
		t.Errorf("contacted late: got outcome %+v, writes %v", d.Outcome, d.Writes)
	}
}
