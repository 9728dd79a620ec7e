package forward

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/signedlink"
)

// ReferralPurpose is the signed-link purpose of an NGO's referral page.
const ReferralPurpose = "referral"

// ReferralPathPrefix is where an NGO's referral page is served on the
// public listener; the signed token follows it.
const ReferralPathPrefix = "/lahete/"

// Referral is a welfare referral (hyvinvointilähete) to tell an NGO about.
// It carries no client data: the NGO reaches the client through the
// contact the coordinator arranged, and marks on the page how it went.
type Referral struct {
	// ID is the referral ticket's id, the record the link is bound to.
	ID           string
	ActivityID   string
	ActivityName string
	// ContactEmail is the NGO's address for referrals, read from HubSpot
	// when the referral is made.
	ContactEmail string
}

// ReferralView is what the NGO's page shows: the referral and its stage,
// nothing of the client.
type ReferralView struct {
	ID       string
	Activity string
	// Stage is the referral stage name: sent, contacted, started,
	// not_reached or ended.
	Stage string
}

// Referral actions an NGO may take, each the stage it leads to, and the
// stages it may be taken from.
var referralTransitions = map[string][]string{
	"contacted":   {"sent"},
	"started":     {"sent", "contacted"},
	"not_reached": {"sent", "contacted"},
}

// ReferralActions are the answers the NGO's page offers, in order.
var ReferralActions = []string{"contacted", "started", "not_reached"}

// ReferralActionAllowed reports whether an answer may be given to a
// referral in stage.
func ReferralActionAllowed(action, stage string) bool {
	return slices.Contains(referralTransitions[action], stage)
}

// Referred has an NGO told of a referral by e-mail, with a signed link to
// its page. Only the mail is queued, durably; telling twice queues nothing
// new. Without an address nobody is told, and the caller hears so.
func (f *Forwarder) Referred(ctx context.Context, r Referral) error {
	addr := strings.TrimSpace(r.ContactEmail)
	if addr == "" {
		return fmt.Errorf("forward: referral %s: activity %s has no contact e-mail", r.ID, r.ActivityID)
	}
	link, exp := f.ReferralLink(r.ID, r.ActivityID)
	subject, body := referralMailText(r, link, exp)
	_, err := f.queue.Enqueue(ctx, notify.Message{Key: "referral/" + r.ID + "/" + r.ActivityID + "/sent/email",
		Channel: notify.Email, Recipient: addr, Subject: subject, Body: body})
	if err != nil {
		return fmt.Errorf("forward: referral %s: %w", r.ID, err)
	}
	return nil
}

// ReferralLink returns an NGO's signed link to a referral's page.
func (f *Forwarder) ReferralLink(referralID, activityID string) (string, time.Time) {
	exp := f.now().Add(f.ttl).Truncate(time.Second)
	tok := f.signer.Token(signedlink.Claims{Purpose: ReferralPurpose, Record: referralID, Party: activityID, Expires: exp})
	return f.base + ReferralPathPrefix + tok, exp
}

// CheckReferral verifies a referral link token; see signedlink.Check.
func (f *Forwarder) CheckReferral(token string) (signedlink.Claims, error) {
	return f.signer.Check(ReferralPurpose, token, f.now())
}

// referral reads the referral ticket a link names, as long as it is still
// a referral to the link's activity.
func (f *Forwarder) referral(ctx context.Context, c signedlink.Claims) (*hubspot.Object, error) {
	m := f.m
	props := []string{m.Field(hubspot.Tickets, "pipeline"), m.Field(hubspot.Tickets, "stage"), m.Field(hubspot.Tickets, "refer_to")}
	t, err := f.client.Get(ctx, hubspot.Tickets, c.Record, props)
	if errors.Is(err, hubspot.ErrNotFound) {
		return nil, ErrNotYours
	}
	if err != nil {
		return nil, fmt.Errorf("forward: read referral %s: %w", c.Record, err)
	}
	if m.ReferralPipelineID() == "" || prop(t, m.Field(hubspot.Tickets, "pipeline")) != m.ReferralPipelineID() ||
		prop(t, m.Field(hubspot.Tickets, "refer_to")) != c.Party {
		return nil, ErrNotYours
	}
	return t, nil
}

// ViewReferral reads the referral a link was given for.
func (f *Forwarder) ViewReferral(ctx context.Context, c signedlink.Claims) (ReferralView, error) {
	t, err := f.referral(ctx, c)
	if err != nil {
		return ReferralView{}, err
	}
	v := ReferralView{ID: c.Record, Stage: f.m.ReferralStageName(prop(t, f.m.Field(hubspot.Tickets, "stage")))}
	nameProp := f.m.Field(hubspot.Companies, "name")
	if a, err := f.client.Get(ctx, hubspot.Companies, c.Party, []string{nameProp}); err == nil {
		v.Activity = prop(a, nameProp)
	}
	return v, nil
}

// ActReferral moves the referral ticket to the stage the NGO's answer
// names. It is idempotent: an answer the ticket already shows changes
// nothing (changed false), so a replayed form post does no harm.
func (f *Forwarder) ActReferral(ctx context.Context, c signedlink.Claims, action string) (changed bool, err error) {
	if f.shadow {
		return false, ErrShadow
	}
	from, ok := referralTransitions[action]
	if !ok {
		return false, fmt.Errorf("%w: unknown action %q", ErrAction, action)
	}
	t, err := f.referral(ctx, c)
	if err != nil {
		return false, err
	}
	stageProp := f.m.Field(hubspot.Tickets, "stage")
	stage := f.m.ReferralStageName(prop(t, stageProp))
	if stage == action {
		return false, nil
	}
	if !slices.Contains(from, stage) {
		return false, fmt.Errorf("%w: %s when the referral is %s", ErrAction, action, stage)
	}
	if _, err := f.client.Update(ctx, hubspot.Tickets, c.Record, map[string]string{stageProp: f.m.ReferralStageID(action)}); err != nil {
		return false, fmt.Errorf("forward: referral %s %s: %w", c.Record, action, err)
	}
	f.log.Info("forward: NGO answered a referral", "referral", c.Record, "activity", c.Party, "action", action)
	f.ticketChanged(c.Record)
	return true, nil
}

// referralMailText is the NGO's e-mail: Finnish first, then Swedish and
// English. It names the referral and the activity, never the client.
func referralMailText(r Referral, link string, exp time.Time) (subject, body string) {
	until := exp.In(helsinki)
	var b strings.Builder
	subject = fmt.Sprintf("Uusi hyvinvointilähete %s / Ny välfärdsremiss / New welfare referral", r.ID)
	fmt.Fprintf(&b, "Toimintaanne %s on tehty hyvinvointilähete.\n", r.ActivityName)
	fmt.Fprintf(&b, "En välfärdsremiss har gjorts till er verksamhet %s.\n", r.ActivityName)
	fmt.Fprintf(&b, "A welfare referral has been made to your activity %s.\n\n", r.ActivityName)
	fmt.Fprintf(&b, "Lähetenumero / Remissnummer / Referral number: %s\n\n", r.ID)
	fmt.Fprintf(&b, "Merkitkää, kun olette tavoittaneet asiakkaan, hän on aloittanut tai häntä ei tavoitettu:\n"+
		"Markera när ni har nått klienten, klienten har börjat eller inte nåddes:\n"+
		"Mark when you have reached the client, the client has started, or could not be reached:\n\n%s\n\n", link)
	fmt.Fprintf(&b, "Linkki on voimassa %s asti. / Länken gäller till %s. / The link works until %s.\n",
		until.Format("2.1.2006 klo 15.04"), until.Format("2.1.2006 kl. 15.04"), until.Format("2 Jan 2006 15:04"))
	return subject, b.String()
}
