package public

import (
	"context"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/notify/smtptest"
	"github.com/alusta/alusta/signedlink"
	"github.com/alusta/alusta/store"
)

// referralNotifier is what alusta run wires as the daemon's
// ReferralNotifier: the forwarder's mail with a signed link.
type referralNotifier struct{ fw *forward.Forwarder }

func (n referralNotifier) NotifyReferral(ctx context.Context, r daemon.ReferralNotice) error {
	return n.fw.Referred(ctx, forward.Referral{ID: r.ReferralID, ActivityID: r.ActivityID,
		ActivityName: r.ActivityName, ContactEmail: r.ContactEmail})
}

// TestReferralLoop follows a welfare referral over loopback: the daemon
// makes it, the NGO gets a mail without client data at the address read
// live from HubSpot, its signed link opens a page that refuses a post
// without the page's CSRF token, marking the client contacted moves the
// referral ticket in HubSpot, and the next cycle reports it on the ticket
// the referral was made from.
func TestReferralLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: the daemon, the queue and the public server")
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	crm, err := sandbox.New(sandbox.Options{Seed: "demo", DemoSize: sandbox.DemoSize{Tickets: 120, Deals: 20}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	crmLn := listen(t)
	// The sandbox stops last, as HubSpot outlives alusta.
	crmCtx, crmCancel := context.WithCancel(context.Background())
	crmDone := make(chan error, 1)
	go func() { crmDone <- crm.Run(crmCtx, crmLn) }()
	client, err := hubspot.New(hubspot.Options{BaseURL: "http://" + crmLn.Addr().String(), Token: "t", RateLimit: 250, SearchRate: 50})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "alusta.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const mapDir, rulesDir = "../testdata/rules/mappings", "../testdata/rules/pipelines"
	m, err := mappings.Load(mapDir)
	if err != nil {
		t.Fatal(err)
	}
	pls := map[string][]hubspot.Pipeline{}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if pls[typ], err = client.Pipelines(ctx, typ); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Resolve(pls); err != nil {
		t.Fatal(err)
	}
	smtp := smtptest.Start(t)
	q, err := notify.New(notify.Options{Store: st, Log: log, Senders: map[string]notify.Sender{
		notify.Email: notify.NewMailer(notify.SMTP{Host: "127.0.0.1", Port: smtp.Port(), TLS: "none", From: "alusta@kotitori.example.fi"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := signedlink.New(testSecret)
	pubLn := listen(t)
	base := "http://" + pubLn.Addr().String()
	fw, err := forward.New(forward.Options{Client: client, Store: st, Mapping: m, Queue: q, Signer: signer, BaseURL: base, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.New(daemon.Options{Client: client, Store: st, PipelinesDir: rulesDir, MappingsDir: mapDir,
		Interval: time.Hour, Lookback: time.Minute, Log: log, Forwarder: fw, ReferralNotifier: referralNotifier{fw}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Forwarder: fw, Store: st, BaseURL: base, RateLimit: 1000, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	srvDone, qDone := make(chan error, 1), make(chan error, 1)
	go func() { srvDone <- srv.Serve(ctx, pubLn) }()
	go func() { qDone <- q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		for _, c := range []chan error{srvDone, qDone} {
			if err := <-c; err != nil && err != context.Canceled {
				t.Error(err)
			}
		}
		st.Close()
		crmCancel()
		<-crmDone
	})

	// A coordinator asks for a referral, with consent, on a ticket that
	// records the client's needs, to a running NGO activity.
	var ngo, ngoName, ngoEmail string
	for _, id := range crm.Objects(hubspot.Companies) {
		o, _ := crm.Object(hubspot.Companies, id)
		typ, _ := o.Prop("alusta_org_type")
		active, _ := o.Prop("alusta_provider_active")
		if typ == "jarjesto" && active == "true" {
			ngo = id
			ngoName, _ = o.Prop("name")
			ngoEmail, _ = o.Prop("alusta_activity_contact_email")
			break
		}
	}
	var ticket string
	for _, id := range crm.Objects(hubspot.Tickets) {
		o, _ := crm.Object(hubspot.Tickets, id)
		if needs, _ := o.Prop("alusta_needs"); needs != "" {
			ticket = id
			break
		}
	}
	if ngo == "" || ngoEmail == "" || ticket == "" {
		t.Fatalf("the demo has no running NGO activity with an address (%q, %q) or no ticket with needs (%q)", ngo, ngoEmail, ticket)
	}
	if err := crm.Update(hubspot.Tickets, ticket, map[string]string{"alusta_refer_to": ngo, "alusta_referral_consent": "yes"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	var referral string
	for _, id := range crm.Objects(hubspot.Tickets) {
		o, _ := crm.Object(hubspot.Tickets, id)
		if of, _ := o.Prop(m.Outputs.ReferralOf); of == ticket {
			referral = id
		}
	}
	if referral == "" {
		t.Fatal("no referral ticket was made")
	}

	// The NGO's mail: the referral and the activity, a link, no client.
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	defer wcancel()
	var body string
	msg, ok := smtp.Wait(wctx, func(sm smtptest.Mail) bool {
		mm, err := mail.ReadMessage(strings.NewReader(sm.Data))
		if err != nil {
			return false
		}
		b, err := io.ReadAll(quotedprintable.NewReader(mm.Body))
		if err != nil || !strings.Contains(string(b), "Referral number: "+referral+"\n") {
			return false
		}
		body = string(b)
		return true
	})
	if !ok {
		t.Fatal("no mail about the referral arrived")
	}
	if len(msg.To) != 1 || msg.To[0] != ngoEmail {
		t.Errorf("mail to %v, want %s", msg.To, ngoEmail)
	}
	tk, _ := crm.Object(hubspot.Tickets, ticket)
	for _, p := range []string{"subject", "content"} {
		if v, _ := tk.Prop(p); v != "" && strings.Contains(body, v) {
			t.Errorf("the mail repeats the ticket's %s %q", p, v)
		}
	}
	link := regexp.MustCompile(regexp.QuoteMeta(base) + regexp.QuoteMeta(forward.ReferralPathPrefix) + `[A-Za-z0-9._-]+`).FindString(body)
	if link == "" {
		t.Fatalf("no link in the mail:\n%s", body)
	}

	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post := func(u string, vals url.Values) (int, string) {
		t.Helper()
		resp, err := hc.PostForm(u, vals)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	code, page := get(link)
	if code != http.StatusOK || !strings.Contains(page, ngoName) || !strings.Contains(page, "Lähetetty") {
		t.Fatalf("referral page: got %d, want 200 naming %s in stage Lähetetty:\n%s", code, ngoName, page)
	}
	if code, _ := post(link, url.Values{"action": {"contacted"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("post without the page's CSRF token: got %d, want 403", code)
	}
	csrf := csrfOf(t, page)
	// In shadow mode the page says answers are not taken, and an answer
	// writes nothing.
	shadowSrv, err := New(Options{Forwarder: fw, Store: st, RateLimit: 1000, Shadow: true, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(shadowSrv.Handler())
	defer hs.Close()
	shadowLink := hs.URL + strings.TrimPrefix(link, base)
	if code, page := get(shadowLink + "?lang=sv"); code != http.StatusOK || !strings.Contains(page, "Svar tas inte emot just nu") || strings.Contains(page, `name="action"`) {
		t.Errorf("referral page in shadow mode: got %d, want 200 saying answers are not taken, with no answer buttons", code)
	}
	if code, _ := post(shadowLink, url.Values{"action": {"contacted"}, "csrf": {csrf}}); code != http.StatusServiceUnavailable {
		t.Errorf("answer in shadow mode: got %d, want 503", code)
	}
	if ref, _ := crm.Object(hubspot.Tickets, referral); prop(&ref, m.Field(hubspot.Tickets, "stage")) != m.ReferralStageID("sent") {
		t.Fatalf("answer in shadow mode moved the referral to %q", prop(&ref, m.Field(hubspot.Tickets, "stage")))
	}
	if code, loc := post(link, url.Values{"action": {"contacted"}, "csrf": {csrf}}); code != http.StatusSeeOther || !strings.Contains(loc, "done=contacted") {
		t.Errorf("marking contacted: got %d to %q, want 303 to done=contacted", code, loc)
	}
	ref, _ := crm.Object(hubspot.Tickets, referral)
	if stage, _ := ref.Prop(m.Field(hubspot.Tickets, "stage")); stage != m.ReferralStageID("contacted") {
		t.Errorf("referral stage: got %q, want %q (contacted)", stage, m.ReferralStageID("contacted"))
	}
	if code, loc := post(link, url.Values{"action": {"contacted"}, "csrf": {csrf}}); code != http.StatusSeeOther || !strings.Contains(loc, "nochange=1") {
		t.Errorf("the same answer again: got %d to %q, want 303 to nochange", code, loc)
	}
	// A link for another activity opens nothing.
	other := base + forward.ReferralPathPrefix + signer.Token(signedlink.Claims{Purpose: forward.ReferralPurpose,
		Record: referral, Party: ngo + "0", Expires: time.Now().Add(time.Hour)})
	if code, _ := get(other); code != http.StatusGone {
		t.Errorf("another activity's link: got %d, want 410", code)
	}
	// An order page's link is no referral link.
	if code, _ := get(base + forward.ReferralPathPrefix + signer.Token(signedlink.Claims{Purpose: forward.Purpose,
		Record: referral, Party: ngo, Expires: time.Now().Add(time.Hour)})); code != http.StatusForbidden {
		t.Errorf("an order link on the referral page: got %d, want 403", code)
	}

	// The next cycle reports the answer on the ticket it came from.
	if _, err := d.Cycle(ctx); err != nil {
		t.Fatal(err)
	}
	tk, _ = crm.Object(hubspot.Tickets, ticket)
	want := m.ReferralStageLabel("contacted") + " (lähete " + referral + ")"
	if got, _ := tk.Prop(m.Outputs.ReferralStatus); got != want {
		t.Errorf("referral status on ticket %s: got %q, want %q", ticket, got, want)
	}
}
