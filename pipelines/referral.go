package pipelines

import (
	"slices"
	"strings"

	"github.com/alusta/alusta/locale"
)

// ReferralSpec turns welfare referrals (hyvinvointilähete) on: a ticket
// whose refer_to names an NGO activity and whose client consented gets a
// referral ticket in the mapping's referral pipeline, and the NGO has
// contact_within working time on its calendar to reach the client.
type ReferralSpec struct {
	// Calendar is the NGOs' working calendar, not the integrator's.
	Calendar      string   `yaml:"calendar"`
	ContactWithin Duration `yaml:"contact_within"`
	Warning       float64  `yaml:"warning"`
}

// referralPolicy is the SLA policy name of a referral's contact clock.
const referralPolicy = "referral_contact"

// ReferralRule is the rule name of decisions on referral tickets.
const ReferralRule = "hyvinvointilahete"

// ReferralMemory is what the engine remembers of a referral: on the
// ticket it was made from, the activity referred to; on the referral
// ticket, the outcome last reported back.
type ReferralMemory struct {
	ActivityID string `json:"activity_id,omitempty"`
	Outcome    string `json:"outcome,omitempty"`
}

// Referral asks the caller to create a referral ticket. It carries no
// client data: the caller associates the referral with the client's
// contact in the CRM.
type Referral struct {
	// FromTicket is the ticket the referral was made from.
	FromTicket   string
	ActivityID   string
	ActivityName string
	// Key makes the create idempotent: one referral per ticket and
	// activity, whatever retries and restarts happen.
	Key string
}

// Outcome asks the caller to write how a referral is going onto the
// ticket it was made from.
type Outcome struct {
	TicketID string
	// Property and Value are the write, e.g. alusta_referral_status =
	// "Yhteys otettu (lähete 123)".
	Property, Value string
}

// consented reports whether a referral consent value means yes; HubSpot
// stores a select as its value and a checkbox as "true".
func consented(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "kylla", "kyllä":
		return true
	}
	return false
}

// refer makes a referral from a ticket when refer_to names an active NGO
// activity and the client consented; otherwise it says why not.
func (x *decider) refer() {
	to := strings.TrimSpace(x.str("refer_to"))
	if to == "" {
		return
	}
	if x.rs.Referral != nil && x.rs.Referral.ActivityID == to {
		x.say("decision.referred", "Activity", to)
		return
	}
	if !consented(x.str("referral_consent")) {
		x.say("decision.referral_no_consent", "Activity", to, "Property", x.field("referral_consent"))
		return
	}
	i := slices.IndexFunc(x.in.Activities, func(a Activity) bool { return a.ID == to })
	switch {
	case i < 0:
		x.say("decision.referral_not_activity", "Activity", to)
		return
	case !x.in.Activities[i].Active:
		x.say("decision.referral_inactive", "Name", x.in.Activities[i].Name, "ID", to)
		return
	}
	a := x.in.Activities[i]
	x.rs.Referral = &ReferralMemory{ActivityID: to}
	x.d.Referral = &Referral{FromTicket: x.in.Record.ID, ActivityID: to, ActivityName: a.Name,
		Key: "hyvinvointilahete/" + x.in.Record.ID + "/" + to}
	x.say("decision.referral", "Name", a.Name, "ID", to)
}

// ReferralStatus is the text the ticket a referral was made from shows:
// the referral's stage (its label in the portal) and its ticket id.
func ReferralStatus(p *locale.Printer, stageLabel, referralID string) string {
	return p.T("referral.status", "Status", stageLabel, "ID", referralID)
}

// decideReferral decides a referral ticket: its contact clock, and the
// outcome to show on the ticket it was made from.
func (x *decider) decideReferral(p *policy) {
	m := x.e.m
	stage := m.ReferralStageName(x.prop(x.field("stage")))
	x.v.setStage(stage)
	x.d.Rule = ReferralRule
	stageLabel := ""
	if stage != "" {
		stageLabel = m.ReferralStageLabel(stage)
	}
	x.say("decision.referral_stage", "Stage", orDash(stageLabel))
	// The contact clock runs from the referral's creation even when alusta
	// first sees the referral after the NGO has already answered it.
	if !slices.ContainsFunc(x.rs.SLA, func(c SLACycle) bool { return c.Policy == p.Name }) && !x.in.Record.CreatedAt.IsZero() {
		at := x.in.Record.CreatedAt
		if at.After(x.now) {
			at = x.now
		}
		x.rs.SLA = append(x.rs.SLA, SLACycle{Policy: p.Name, Start: at, LastSeen: at, Status: "running"})
	}
	x.sla([]*policy{p})
	from := x.prop(m.Outputs.ReferralOf)
	if from == "" || stage == "" {
		return
	}
	status := m.ReferralStageLabel(stage)
	if len(x.d.SLA) > 0 && stage == "sent" {
		switch displayCycle(x.d.SLA).Status {
		case "breached":
			status += ", " + x.p.T("referral.contact_late")
		case "warning":
			status += ", " + x.p.T("referral.contact_soon_late")
		}
	}
	value := ReferralStatus(x.p, status, x.in.Record.ID)
	if x.rs.Referral != nil && x.rs.Referral.Outcome == value {
		return
	}
	x.rs.Referral = &ReferralMemory{Outcome: value}
	x.d.Outcome = &Outcome{TicketID: from, Property: m.Outputs.ReferralStatus, Value: value}
}
