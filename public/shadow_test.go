package public

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/signedlink"
	"github.com/alusta/alusta/store"
)

// TestShadowOrderLoop runs the whole order loop in shadow mode, as a team
// trying alusta beside its own HubSpot workflows would, then live:
//   - in shadow, an order is refused with 503 and Retry-After (nothing
//     stored, so the orderer keeps it), a provider's answer is not taken
//     and the page says so, the daemon's forwarding is held: no HubSpot
//     write at all, no mail; the held messages are kept and listed;
//   - live again, the held messages and one left pending from before are
//     dropped, an order the team forwarded by hand meanwhile gets no mail,
//     and an order still waiting is forwarded afresh.
func TestShadowOrderLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the whole order loop twice")
	}
	ctx := context.Background()
	r := newRig(t)
	// Two orders the team's own workflow received in HubSpot.
	newOrder := func() string {
		f := func(name string) string { return r.mapping.Field(hubspot.Deals, name) }
		return r.crm.Insert(hubspot.Deals, map[string]string{
			f("name"): "Tilaus käsin", f("pipeline"): r.mapping.PipelineID(hubspot.Deals), f("stage"): r.mapping.StageID(hubspot.Deals, "received"),
			f("service"): "kotihoito", f("municipality"): "Tampere", f("units"): "10", f("unit"): "h", f("payer"): "city", f("language"): "fi",
		}, time.Now().Add(-time.Hour))
	}
	byHand, waiting := newOrder(), newOrder()
	// A message left pending from an earlier live run (SMTP was down).
	if _, err := r.st.EnqueueNotification(ctx, store.Notification{Key: "order/1/2/assigned/email", Channel: notify.Email,
		Recipient: "vanha@tuottaja.example.fi", Subject: "old", Body: "old"}); err != nil {
		t.Fatal(err)
	}

	stop := r.startLoop(t, true)

	// The daemon decides both orders and holds the providers' messages.
	held := func(deal string) store.Notification {
		var got store.Notification
		waitFor(t, "the held message of deal "+deal, func() bool {
			ns, err := r.st.Notifications(ctx, notify.ShadowPrefix+"order/"+deal+"/")
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) > 0 {
				got = ns[0]
			}
			return len(ns) > 0
		})
		return got
	}
	held(waiting)
	// Shadow mode may decide an order more than once; the held message
	// and the listed writes are both the latest decision's.
	var heldByHand store.Notification
	var job struct{ Deal, Provider string }
	waitFor(t, "deal "+byHand+" listed with its held message's provider", func() bool {
		heldByHand = held(byHand)
		if ns, _ := r.st.Notifications(ctx, notify.ShadowPrefix+"order/"+byHand+"/"); len(ns) != 1 {
			t.Fatalf("held messages of deal %s: got %d, want one (the latest decision's)", byHand, len(ns))
		}
		if err := json.Unmarshal([]byte(heldByHand.Body), &job); err != nil || job.Provider == "" {
			t.Fatalf("held job %q: %v", heldByHand.Body, err)
		}
		recs, err := daemon.ShadowRecords(ctx, r.st)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			if rec.ObjectType == hubspot.Deals && rec.RecordID == byHand && rec.Writes[r.mapping.Outputs.Provider] == job.Provider {
				return true
			}
		}
		return false
	})
	if heldByHand.State != store.NoteHeld || !strings.HasSuffix(heldByHand.Key, "/assigned") {
		t.Fatalf("held message: got %s %s, want held, assigned", heldByHand.Key, heldByHand.State)
	}

	// An order through the API: 503, a problem, Retry-After; nothing kept.
	code, body, h := r.do(t, "POST", "/api/v1/orders", r.key, "application/json", mustJSON(t, order("SHADOW-1")))
	var prob struct {
		Type     string `json:"type"`
		Status   int    `json:"status"`
		Problems []struct{ Field, Problem string }
	}
	if err := json.Unmarshal([]byte(body), &prob); err != nil {
		t.Fatalf("shadow refusal body %q: %v", body, err)
	}
	if code != 503 || h.Get("Retry-After") != "3600" || h.Get("Content-Type") != "application/problem+json" ||
		prob.Type != ShadowProblemType || prob.Status != 503 || len(prob.Problems) != 1 {
		t.Fatalf("order in shadow mode: got %d Retry-After %q %s %s, want 503, 3600, an RFC 9457 problem with problems",
			code, h.Get("Retry-After"), h.Get("Content-Type"), body)
	}
	if code, body, _ := r.do(t, "GET", "/api/v1/orders/SHADOW-1", r.key, "", nil); code != 404 {
		t.Fatalf("status of the refused order: got %d %s, want 404 (not stored)", code, body)
	}
	if code, _, h := r.do(t, "POST", "/api/v1/orders/SHADOW-1/cancel", r.key, "", nil); code != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("cancel in shadow mode: got %d, want 503 with Retry-After", code)
	}
	if code, _, _ := r.do(t, "POST", "/api/v1/orders", "wrong", "application/json", mustJSON(t, order("SHADOW-2"))); code != 401 {
		t.Fatalf("wrong key in shadow mode: got %d, want 401 first", code)
	}

	// A provider's link from before shadow mode: the page shows the order
	// and says answers are not taken; an answer changes nothing.
	sent := r.crm.Insert(hubspot.Deals, map[string]string{
		"dealname": "Tilaus ennen varjotilaa", "pipeline": r.mapping.PipelineID(hubspot.Deals), "dealstage": r.mapping.StageID(hubspot.Deals, "assigned"),
		r.mapping.Field(hubspot.Deals, "service"): "kotihoito", r.mapping.Outputs.Provider: job.Provider,
	}, time.Now())
	tok := r.signer.Token(signedlink.Claims{Purpose: forward.Purpose, Record: sent, Party: job.Provider, Expires: time.Now().Add(time.Hour)})
	link := r.base + forward.PathPrefix + tok
	for lang, want := range map[string]string{"fi": "Vastauksia ei oteta vastaan juuri nyt", "sv": "Svar tas inte emot just nu",
		"en": "Answers are not being taken right now"} {
		page := r.get(t, link+"?lang="+lang, 200)
		if !strings.Contains(page, want) || strings.Contains(page, `value="accept"`) {
			t.Errorf("order page (%s) in shadow mode: want %q and no accept button", lang, want)
		}
	}
	code, page, h := r.form(t, link, url.Values{"csrf": {r.signer.MAC("csrf", tok)}, "action": {"accept"}})
	if code != 503 || h.Get("Retry-After") == "" || !strings.Contains(page, "Vastauksia ei oteta vastaan juuri nyt") {
		t.Fatalf("answer in shadow mode: got %d, want 503 with Retry-After and the shadow text", code)
	}
	if got := r.stageName(r.deal(t, sent)); got != "assigned" {
		t.Fatalf("after the refused answer: got stage %s, want assigned", got)
	}

	if w := r.hubSpotWrites(); len(w) > 0 {
		t.Fatalf("shadow mode wrote to HubSpot: %v", w)
	}
	if m := r.smtp.Mails(); len(m) > 0 {
		t.Fatalf("shadow mode sent %d mails, first to %v", len(m), m[0].To)
	}
	stop()

	// Meanwhile the team forwards one order by hand; alusta goes live.
	if err := r.crm.Update(hubspot.Deals, byHand, map[string]string{
		"dealstage": r.mapping.StageID(hubspot.Deals, "assigned"), r.mapping.Outputs.Provider: job.Provider}); err != nil {
		t.Fatal(err)
	}
	r.startLoop(t, false)
	_, _, _ = r.mailFor(t, waiting)
	waitFor(t, "the queue to empty", func() bool {
		n, err := r.st.CountNotifications(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n[store.NotePending] == 0
	})
	for _, m := range r.smtp.Mails() {
		if strings.Contains(m.Data, "Order number: "+byHand) || m.To[0] == "vanha@tuottaja.example.fi" {
			t.Errorf("live again: a stale mail to %v went out", m.To)
		}
	}
	all, err := r.st.Notifications(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range all {
		stale := strings.HasPrefix(n.Key, notify.ShadowPrefix) || n.Key == "order/1/2/assigned/email"
		if stale && n.State != store.NoteDropped {
			t.Errorf("live again: %s is %s, want dropped", n.Key, n.State)
		}
		if strings.HasPrefix(n.Key, "order/"+byHand+"/") {
			t.Errorf("live again: %s queued for the order forwarded by hand", n.Key)
		}
	}
	if ended, err := daemon.ShadowEnded(ctx, r.st); err != nil || ended.IsZero() {
		t.Errorf("shadow end: got %v %v, want the time alusta went live", ended, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOrderPropertiesInPortalLanguage: the properties the order loop
// creates (the intake's and the decline reason with its options) carry
// labels and descriptions from the catalogue in the portal's language
// (the test mapping's fi), their values stay codes.
func TestOrderPropertiesInPortalLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the order loop")
	}
	r := startRig(t)
	ctx := context.Background()
	want := map[string]map[string]string{
		hubspot.Deals: {forward.PropDeclineReason: "alusta: hylkäyksen syy", intake.PropOrderRef: "alusta: tilaajan viite",
			intake.PropOrderer: "alusta: tilaaja", intake.PropStartDate: "alusta: alkamispäivä", intake.PropNotes: "alusta: huomiot tuottajalle"},
		intake.Contacts: {intake.PropPersonalID: "alusta: henkilötunnus"},
	}
	for typ, labels := range want {
		props, err := r.client.Properties(ctx, typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range props {
			label, ok := labels[p.Name]
			if !ok {
				continue
			}
			delete(labels, p.Name)
			if p.Label != label || p.Description == "" || strings.HasPrefix(p.Description, "property.") {
				t.Errorf("%s %s: got label %q, description %q; want %q and a catalogue description", typ, p.Name, p.Label, p.Description, label)
			}
			if p.Name != forward.PropDeclineReason {
				continue
			}
			for _, o := range p.Options {
				if o.Label == o.Value || strings.HasPrefix(o.Label, "option.") {
					t.Errorf("%s option %s: got label %q, want a Finnish word", p.Name, o.Value, o.Label)
				}
			}
			if len(p.Options) != len(forward.DeclineReasons) {
				t.Errorf("%s: got %d options, want %d", p.Name, len(p.Options), len(forward.DeclineReasons))
			}
		}
		if len(labels) > 0 {
			t.Errorf("%s: not created: %v", typ, labels)
		}
	}
}
