package daemon

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
)

// noticeBox keeps the referral notices the daemon hands over, standing in
// for the order loop's outbox.
type noticeBox struct {
	mu      sync.Mutex
	notices []ReferralNotice
}

var _ ReferralNotifier = (*noticeBox)(nil)

func (b *noticeBox) NotifyReferral(_ context.Context, n ReferralNotice) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notices = append(b.notices, n)
	return nil
}

func (b *noticeBox) all() []ReferralNotice {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.notices)
}

// TestReferralRoundTrip makes a welfare referral on a demo ticket with the
// client's consent: the referral ticket lands in its own pipeline,
// associated with the NGO and the client's contact, the NGO is notified
// without client data, marking it contacted shows on the original ticket,
// and a ticket without consent gets no referral and says why.
func TestReferralRoundTrip(t *testing.T) {
	ctx := context.Background()
	box := &noticeBox{}
	p := newInProcessOpts(t, time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), sandbox.Options{}, Options{
		PipelinesDir: "testdata/palveluhaku/pipelines", MappingsDir: "testdata/palveluhaku/mappings", ReferralNotifier: box})
	p.cycle(t)

	var ngo, ngoEmail string
	for _, id := range p.crm.Objects(hubspot.Companies) {
		o, _ := p.crm.Object(hubspot.Companies, id)
		if name, _ := o.Prop("name"); strings.HasPrefix(name, "Olohuone-kahvila") {
			ngo, ngoEmail = id, *o.Properties["alusta_activity_contact_email"]
		}
	}
	if ngo == "" {
		t.Fatal("the demo seed has no Olohuone-kahvila activity")
	}
	var guidance, referrals hubspot.Pipeline
	for _, pl := range p.crm.Pipelines(hubspot.Tickets) {
		switch pl.Label {
		case "Neuvonta ja ohjaus":
			guidance = pl
		case "Hyvinvointilähete":
			referrals = pl
		}
	}
	if referrals.ID == "" {
		t.Fatal("the demo portal has no Hyvinvointilähete pipeline")
	}
	contact := p.crm.Insert("contacts", map[string]string{"firstname": "Testi", "lastname": "Asiakas"}, p.now)
	ticket := func(props map[string]string) string {
		props["hs_pipeline"], props["hs_pipeline_stage"] = guidance.ID, guidance.Stages[1].ID
		props["alusta_ticket_kind"], props["alusta_municipality"], props["alusta_needs"] = "neuvonta", "Tampere", "yksinaisyys"
		return p.crm.Insert(hubspot.Tickets, props, p.now)
	}
	asked := ticket(map[string]string{"alusta_refer_to": ngo, "alusta_referral_consent": "yes"})
	if err := p.crm.Associate(hubspot.Tickets, asked, "contacts", contact, AssocTicketToContact); err != nil {
		t.Fatal(err)
	}
	noConsent := ticket(map[string]string{"alusta_refer_to": ngo})
	p.now = p.now.Add(time.Minute)
	p.cycle(t)

	made := referralsOf(p, asked)
	if len(made) != 1 {
		t.Fatalf("got %d referral tickets of ticket %s, want 1", len(made), asked)
	}
	ref := made[0]
	o, _ := p.crm.Object(hubspot.Tickets, ref)
	if pl, _ := o.Prop("hs_pipeline"); pl != referrals.ID {
		t.Errorf("referral %s: got pipeline %s, want %s", ref, pl, referrals.ID)
	}
	if st, _ := o.Prop("hs_pipeline_stage"); st != referrals.Stages[0].ID {
		t.Errorf("referral %s: got stage %s, want %s (Lähetetty)", ref, st, referrals.Stages[0].ID)
	}
	if due, _ := o.Prop("alusta_sla_due"); due == "" {
		t.Errorf("referral %s: no contact clock", ref)
	}
	for typ, want := range map[string]string{hubspot.Companies: ngo, "contacts": contact} {
		as, err := p.client.Associations(ctx, hubspot.Tickets, ref, typ)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 || strconv.FormatInt(as[0].ToObjectID, 10) != want {
			t.Errorf("referral %s: got %s associations %+v, want %s", ref, typ, as, want)
		}
	}
	if got, want := prop(p, asked, "alusta_referral_status"), "Lähetetty (lähete "+ref+")"; got != want {
		t.Errorf("ticket %s: got status %q, want %q", asked, got, want)
	}
	if n := box.all(); len(n) != 1 || n[0].ReferralID != ref || n[0].ActivityID != ngo || n[0].ContactEmail != ngoEmail {
		t.Errorf("got notices %+v, want one for referral %s to %s", n, ref, ngoEmail)
	}
	if len(referralsOf(p, noConsent)) != 0 {
		t.Errorf("ticket %s without consent got a referral", noConsent)
	}
	if got := prop(p, noConsent, "alusta_decision"); !strings.Contains(got, "ei lähetettä toimintaan "+ngo+": asiakkaan suostumusta ei ole kirjattu") {
		t.Errorf("ticket %s without consent: decision %q does not say why there is no referral", noConsent, got)
	}

	// The NGO reaches the client the next day.
	p.now = p.now.Add(24 * time.Hour)
	if err := p.crm.Update(hubspot.Tickets, ref, map[string]string{"hs_pipeline_stage": referrals.Stages[1].ID}); err != nil {
		t.Fatal(err)
	}
	p.now = p.now.Add(time.Minute)
	p.cycle(t)
	p.now = p.now.Add(time.Minute)
	p.cycle(t)
	if got, want := prop(p, asked, "alusta_referral_status"), "Yhteys otettu (lähete "+ref+")"; got != want {
		t.Errorf("ticket %s after contact: got status %q, want %q", asked, got, want)
	}
	if got := prop(p, ref, "alusta_sla_status"); got != "met" {
		t.Errorf("referral %s: got SLA %q, want met", ref, got)
	}
	if n := len(referralsOf(p, asked)); n != 1 || len(box.all()) != 1 {
		t.Errorf("after more cycles: got %d referrals and %d notices, want 1 and 1", n, len(box.all()))
	}
}

func referralsOf(p *inProcess, ticket string) []string {
	var out []string
	for _, id := range p.crm.Objects(hubspot.Tickets) {
		if prop(p, id, "alusta_referral_of") == ticket {
			out = append(out, id)
		}
	}
	return out
}

func prop(p *inProcess, id, name string) string {
	o, _ := p.crm.Object(hubspot.Tickets, id)
	v, _ := o.Prop(name)
	return v
}
