package public

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/notify/smtptest"
	"github.com/alusta/alusta/signedlink"
	"github.com/alusta/alusta/store"
)

// rig is the whole order loop over loopback: the sandbox as HubSpot, the
// daemon, the intake, the notification queue sending to a real SMTP server,
// and the public server.
type rig struct {
	crm     *sandbox.Server
	client  *hubspot.Client
	st      *store.Store
	dbPath  string
	mapping *mappings.Mapping
	smtp    *smtptest.Server
	signer  *signedlink.Signer
	in      *intake.Intake
	base    string
	key     string
	http    *http.Client

	// The app stops before the sandbox, as in alusta run: a stopping
	// daemon finishes its batch against HubSpot.
	wg, crmWG sync.WaitGroup
	// offset moves the daemon's and the forwarder's clock ahead of the
	// wall clock, to reach SLA deadlines without waiting.
	offset atomic.Int64
	daemon *daemon.Daemon

	// writes are the calls through the rig's client that changed
	// something in HubSpot, as "METHOD /path".
	writesMu sync.Mutex
	writes   []string
}

func (r *rig) now() time.Time { return time.Now().Add(time.Duration(r.offset.Load())) }

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func startRig(t testing.TB) *rig {
	t.Helper()
	r := newRig(t)
	r.startLoop(t, false)
	return r
}

// newRig starts what outlives the order loop's restarts: the sandbox
// (behind a proxy counting alusta's writes), the store, the mapping and
// the SMTP server; startLoop starts the loop itself.
func newRig(t testing.TB) *rig {
	t.Helper()
	ctx := context.Background()
	crmCtx, crmCancel := context.WithCancel(context.Background())
	r := &rig{http: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	t.Cleanup(func() {
		crmCancel()
		r.crmWG.Wait()
	})
	log := slog.New(slog.DiscardHandler)
	var err error
	r.crm, err = sandbox.New(sandbox.Options{Seed: "demo", DemoSize: sandbox.DemoSize{Tickets: 100, Deals: 20}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	crmLn := listen(t)
	r.crmWG.Add(1)
	go func() {
		defer r.crmWG.Done()
		// A connection the client dialed for a request cancelled at the
		// stop may sit unused, and net/http's shutdown waits 5 s for such
		// connections: as long as the sandbox's own grace. Missing that
		// race is no failure of the order loop.
		if err := r.crm.Run(crmCtx, crmLn); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("sandbox stopped: %v", err)
		}
	}()
	crmURL, _ := url.Parse("http://" + crmLn.Addr().String())
	proxy := httputil.NewSingleHostReverseProxy(crmURL)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if isWrite(req) {
			r.writesMu.Lock()
			r.writes = append(r.writes, req.Method+" "+req.URL.Path)
			r.writesMu.Unlock()
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(front.Close)
	r.client, err = hubspot.New(hubspot.Options{BaseURL: front.URL, Token: "e2e", RateLimit: 250, SearchRate: 50,
		RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r.dbPath = filepath.Join(t.TempDir(), "alusta.db")
	r.st, err = store.Open(ctx, r.dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.st.Close() })
	r.mapping, err = mappings.Load("testdata/mappings")
	if err != nil {
		t.Fatal(err)
	}
	pls := map[string][]hubspot.Pipeline{}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if pls[typ], err = r.client.Pipelines(ctx, typ); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.mapping.Resolve(pls); err != nil {
		t.Fatal(err)
	}
	r.smtp = smtptest.Start(t)
	r.signer, _ = signedlink.New(testSecret)
	var hash string
	r.key, hash = intake.NewKey()
	if _, err := r.st.AddIntakeKey(ctx, "Tampere", hash); err != nil {
		t.Fatal(err)
	}
	return r
}

// isWrite tells a HubSpot call that changes something from a read:
// searches and batch reads are POSTs that change nothing.
func isWrite(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		return false
	case http.MethodPost:
		return !strings.HasSuffix(req.URL.Path, "/search") && !strings.HasSuffix(req.URL.Path, "/batch/read")
	}
	return true
}

// hubSpotWrites lists the calls that changed something in HubSpot.
func (r *rig) hubSpotWrites() []string {
	r.writesMu.Lock()
	defer r.writesMu.Unlock()
	return slices.Clone(r.writes)
}

// startLoop starts the order loop (queue, forwarder, intake, daemon and
// public server) on the rig, in shadow mode or live, and returns its stop;
// the test's end stops it too. A restart listens on the first start's
// address, so that links made before it still work.
func (r *rig) startLoop(t testing.TB, shadow bool) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			r.wg.Wait()
		})
	}
	t.Cleanup(stop)
	log := slog.New(slog.DiscardHandler)
	q, err := notify.New(notify.Options{Store: r.st, Log: log, Shadow: shadow, Senders: map[string]notify.Sender{
		notify.Email:   notify.NewMailer(notify.SMTP{Host: "127.0.0.1", Port: r.smtp.Port(), TLS: "none", From: "alusta@kotitori.example.fi"}),
		notify.Webhook: notify.NewHook(&http.Client{Timeout: 5 * time.Second}, "hook-secret", nil),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var pubLn net.Listener
	if r.base == "" {
		pubLn = listen(t)
		r.base = "http://" + pubLn.Addr().String()
	} else if pubLn, err = net.Listen("tcp", strings.TrimPrefix(r.base, "http://")); err != nil {
		t.Fatal(err)
	}
	var d *daemon.Daemon
	changed := func(id string) {
		d.Enqueue([]daemon.Change{{Target: daemon.Target{ObjectType: hubspot.Deals, ID: id}}})
	}
	fw, err := forward.New(forward.Options{Client: r.client, Store: r.st, Mapping: r.mapping, Queue: q, Signer: r.signer,
		BaseURL: r.base, Changed: changed, Shadow: shadow, Log: log, Now: r.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	in, err := intake.New(intake.Options{Client: r.client, Store: r.st, Mapping: r.mapping, HashKey: testSecret,
		Rules: intake.Rules{AcceptPersonalID: true}, Created: changed, Cancelled: fw.Cancelled, Shadow: shadow, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	r.in = in
	d, err = daemon.New(daemon.Options{Client: r.client, Store: r.st, PipelinesDir: "testdata/pipelines", MappingsDir: "testdata/mappings",
		Interval: time.Hour, Lookback: time.Minute, Log: log, Forwarder: fw, Now: r.now, Shadow: shadow})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Intake: in, Forwarder: fw, Store: r.st, BaseURL: r.base, RateLimit: 1000, Shadow: shadow, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	r.goRun(t, func() error { return srv.Serve(ctx, pubLn) })
	r.goRun(t, func() error { return q.Run(ctx) })
	r.goRun(t, func() error { return in.Run(ctx) })
	r.goRun(t, func() error { return d.Run(ctx) })
	r.daemon = d
	return stop
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func (r *rig) goRun(t testing.TB, fn func() error) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("background part stopped: %v", err)
		}
	}()
}

// do sends a request and returns the status and body.
func (r *rig) do(t testing.TB, method, path, key, contentType string, body []byte) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, r.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (r *rig) postOrder(t *testing.T, key string, o any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(o)
	code, body, _ := r.do(t, "POST", "/api/v1/orders", key, "application/json", b)
	return code, body
}

func (r *rig) status(t *testing.T, ref string) intake.Status {
	t.Helper()
	code, body, _ := r.do(t, "GET", "/api/v1/orders/"+ref, r.key, "", nil)
	if code != 200 {
		t.Fatalf("status of %s: got %d %s, want 200", ref, code, body)
	}
	var s intake.Status
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond with a generous deadline: the daemon, the intake and
// the queue work in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mailFor waits for the mail about ref to a recipient other than those
// in skip, and returns its recipient, decoded body and link.
func (r *rig) mailFor(t *testing.T, ref string, skip ...string) (to, body, link string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var got string
	m, ok := r.smtp.Wait(ctx, func(m smtptest.Mail) bool {
		msg, err := mail.ReadMessage(strings.NewReader(m.Data))
		if err != nil {
			return false
		}
		b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil || !strings.Contains(string(b), "Order number: "+ref+"\n") {
			return false
		}
		for _, s := range skip {
			if m.To[0] == s {
				return false
			}
		}
		got = string(b)
		return true
	})
	if !ok {
		t.Fatalf("no mail about %s arrived (besides to %v)", ref, skip)
	}
	l := regexp.MustCompile(regexp.QuoteMeta(r.base) + `/tilaus/[A-Za-z0-9._-]+`).FindString(got)
	if l == "" {
		t.Fatalf("no link in the mail:\n%s", got)
	}
	return m.To[0], got, l
}

// createdOrder waits for the intake to record ref as created in HubSpot.
// The provider's mail is no sign of it: the daemon may read the new deal,
// and have the provider told, before the intake has stored the deal's id.
func (r *rig) createdOrder(t *testing.T, ref string) store.Order {
	t.Helper()
	var so store.Order
	waitFor(t, "order "+ref+" recorded as created in HubSpot", func() bool {
		var err error
		so, _, err = r.st.Order(context.Background(), "Tampere", ref)
		return err == nil && so.State == store.OrderCreated
	})
	return so
}

var client = map[string]any{"first_name": "Aino", "last_name": "Virtanen-Esimerkki", "address": "Pyynikintie 77 B 12",
	"postal_code": "33230", "phone": "+358 40 765 4321", "personal_id": "131052-308T"}

func order(ref string) map[string]any {
	return map[string]any{"order_ref": ref, "service": "kotihoito", "municipality": "Tampere", "start_date": "2026-12-07",
		"units": 10, "unit": "h", "payer": "city", "language": "fi", "notes_for_provider": "Ovikoodi 4711", "client": client}
}

func (r *rig) deal(t *testing.T, id string) *hubspot.Object {
	t.Helper()
	d, err := r.client.Get(context.Background(), hubspot.Deals, id, []string{"dealstage", "pipeline", "alusta_provider", "alusta_units", "alusta_declined_by"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (r *rig) stageName(d *hubspot.Object) string {
	v, _ := d.Prop("dealstage")
	return r.mapping.StageName(hubspot.Deals, v)
}

// form posts an answer from the order page at link, with the page's own
// CSRF token unless csrf is given.
func (r *rig) form(t *testing.T, link string, vals url.Values) (int, string, http.Header) {
	t.Helper()
	code, body, h := r.do(t, "POST", strings.TrimPrefix(link, r.base), "", "application/x-www-form-urlencoded", []byte(vals.Encode()))
	return code, body, h
}

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in the page")
	}
	return m[1]
}

func TestOrderLoopEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the whole order loop")
	}
	r := startRig(t)
	ctx := context.Background()

	// An order comes in and is stored before the answer.
	code, body := r.postOrder(t, r.key, order("TRE-1"))
	if code != 202 || !strings.Contains(body, `"status":"received"`) || !strings.Contains(body, `"status_url":"`+r.base+`/api/v1/orders/TRE-1"`) {
		t.Fatalf("post: got %d %s, want 202 with status received and status_url", code, body)
	}
	if code, body = r.postOrder(t, r.key, order("TRE-1")); code != 200 || !strings.Contains(body, `"order_ref":"TRE-1"`) {
		t.Fatalf("repeat: got %d %s, want 200 with the status", code, body)
	}
	changedOrder := order("TRE-1")
	changedOrder["units"] = 11
	if code, body = r.postOrder(t, r.key, changedOrder); code != 409 {
		t.Fatalf("changed repeat: got %d %s, want 409", code, body)
	}

	// The provider's mail arrives, without the client's details.
	to, text, link := r.mailFor(t, "TRE-1")
	if !strings.HasSuffix(to, ".example.fi") {
		t.Errorf("got mail to %q, want a provider's example.fi address", to)
	}
	for _, secret := range []string{"Aino", "Virtanen", "Pyynikintie", "765 4321", "131052", "Ovikoodi"} {
		if strings.Contains(text, secret) {
			t.Errorf("the mail holds client data %q:\n%s", secret, text)
		}
	}
	for _, want := range []string{"kotihoito", "Tampere", "10 h", "7.12.2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the mail lacks %q:\n%s", want, text)
		}
	}

	// HubSpot has the deal in the orders pipeline and the contact,
	// associated; alusta has only the reference, ids, status and times.
	so := r.createdOrder(t, "TRE-1")
	if so.DealID == "" || so.Payload != nil {
		t.Fatalf("stored order: got deal %q, payload kept %v; want its deal id with its payload erased", so.DealID, so.Payload != nil)
	}
	d := r.deal(t, so.DealID)
	if p, _ := d.Prop("pipeline"); p != r.mapping.PipelineID(hubspot.Deals) || r.stageName(d) != "assigned" {
		t.Fatalf("deal: got pipeline %s stage %s, want the orders pipeline, assigned", p, r.stageName(d))
	}
	assocs, err := r.client.Associations(ctx, hubspot.Deals, so.DealID, intake.Contacts)
	if err != nil || len(assocs) != 1 {
		t.Fatalf("deal contacts: got %v %v, want one", assocs, err)
	}
	ct, err := r.client.Get(ctx, intake.Contacts, so.ContactID, []string{"firstname", "lastname", "phone", intake.PropPersonalID})
	if err != nil || assocs[0].ToObjectID == 0 {
		t.Fatal(err)
	}
	if v, _ := ct.Prop("lastname"); v != "Virtanen-Esimerkki" {
		t.Fatalf("contact: got lastname %q, want Virtanen-Esimerkki", v)
	}
	assertNoClientData(t, r.dbPath)

	// The link opens the order with the client's details, logged.
	page := r.get(t, link, 200)
	for _, want := range []string{"Virtanen-Esimerkki", "Pyynikintie 77 B 12", "Ovikoodi 4711", `lang="fi"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if log, _ := r.st.AccessLog(ctx, so.DealID); len(log) != 1 || log[0].Action != "view" || !strings.HasPrefix(log[0].Party, "provider:") {
		t.Fatalf("access log: got %+v, want one view by the provider", log)
	}

	// A tampered or expired link shows nothing and changes nothing.
	claims, err := r.signer.Check(forward.Purpose, strings.TrimPrefix(link, r.base+forward.PathPrefix), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tampered := link[:len(link)-2] + "xy"
	expired := r.base + forward.PathPrefix + r.signer.Token(signedlink.Claims{Purpose: forward.Purpose, Record: claims.Record, Party: claims.Party, Expires: time.Now().Add(-time.Minute)})
	otherDeal := r.base + forward.PathPrefix + r.signer.Token(signedlink.Claims{Purpose: forward.Purpose, Record: claims.Record, Party: "1", Expires: time.Now().Add(time.Hour)})
	csrf := csrfOf(t, page)
	for _, c := range []struct {
		name, link string
		want       int
	}{{"tampered", tampered, 403}, {"expired", expired, 410}, {"another provider's", otherDeal, 410}} {
		if got := r.get(t, c.link, c.want); strings.Contains(got, "Virtanen") {
			t.Errorf("%s link: the page shows client data", c.name)
		}
		// Each with its own valid form token, so that only the link decides.
		tok := strings.TrimPrefix(c.link, r.base+forward.PathPrefix)
		if code, _, _ := r.form(t, c.link, url.Values{"csrf": {r.signer.MAC("csrf", tok)}, "action": {"accept"}}); code != c.want {
			t.Errorf("%s link: accept got %d, want %d", c.name, code, c.want)
		}
	}
	if code, _, _ := r.form(t, link, url.Values{"csrf": {"forged"}, "action": {"accept"}}); code != 403 {
		t.Errorf("forged CSRF token: got %d, want 403", code)
	}
	if got := r.stageName(r.deal(t, so.DealID)); got != "assigned" {
		t.Fatalf("after bad links: got stage %s, want assigned (unchanged)", got)
	}

	// Accept: the stage in HubSpot, the status in the API.
	code, _, h := r.form(t, link, url.Values{"csrf": {csrf}, "action": {"accept"}})
	if code != 303 || !strings.Contains(h.Get("Location"), "done=accept") {
		t.Fatalf("accept: got %d %s, want 303 to done=accept", code, h.Get("Location"))
	}
	if d := r.deal(t, so.DealID); r.stageName(d) != "accepted" {
		t.Fatalf("after accept: got stage %s, want accepted", r.stageName(d))
	}
	waitFor(t, "the status accepted", func() bool { return r.status(t, "TRE-1").Status == intake.StatusAccepted })
	if s := r.status(t, "TRE-1"); s.Provider == "" {
		t.Fatalf("status: got %+v, want the provider's name", s)
	}
	// A replayed accept changes nothing.
	code, _, h = r.form(t, link, url.Values{"csrf": {csrf}, "action": {"accept"}})
	if code != 303 || !strings.Contains(h.Get("Location"), "nochange=1") {
		t.Fatalf("replay: got %d %s, want 303 to nochange", code, h.Get("Location"))
	}
	accepts := 0
	log, _ := r.st.AccessLog(ctx, so.DealID)
	for _, e := range log {
		if e.Action == forward.Accept {
			accepts++
		}
	}
	if accepts != 1 || r.stageName(r.deal(t, so.DealID)) != "accepted" {
		t.Fatalf("replay: got %d accepts written, stage %s; want 1, accepted", accepts, r.stageName(r.deal(t, so.DealID)))
	}

	// Started, then delivered with units that feed billing.
	r.form(t, link, url.Values{"csrf": {csrf}, "action": {"start"}})
	r.form(t, link, url.Values{"csrf": {csrf}, "action": {"deliver"}, "units": {"8,5"}})
	if d := r.deal(t, so.DealID); r.stageName(d) != "delivered" || prop(d, "alusta_units") != "8.5" {
		t.Fatalf("delivered: got stage %s units %s, want delivered 8.5", r.stageName(d), prop(d, "alusta_units"))
	}

	// A decline reaches the next provider, who gets its own mail.
	if code, body := r.postOrder(t, r.key, order("TRE-2")); code != 202 {
		t.Fatalf("second order: got %d %s", code, body)
	}
	first, _, link2 := r.mailFor(t, "TRE-2")
	page2 := r.get(t, link2, 200)
	if code, _, _ := r.form(t, link2, url.Values{"csrf": {csrfOf(t, page2)}, "action": {"decline"}, "reason": {"capacity"}}); code != 200 {
		t.Fatalf("decline: got %d, want 200", code)
	}
	second, _, link3 := r.mailFor(t, "TRE-2", first)
	if second == first || link3 == link2 {
		t.Fatalf("after the decline: got mail to %s again, want the next provider", second)
	}
	r.get(t, link2, 410) // the first provider's link no longer opens the order
	r.get(t, link3, 200)
	if s := r.status(t, "TRE-2"); s.Status != intake.StatusReforwarded {
		t.Fatalf("status after decline: got %q, want %q", s.Status, intake.StatusReforwarded)
	}

	// Cancelling: the deal moves to cancelled.
	code, body, _ = r.do(t, "POST", "/api/v1/orders/TRE-2/cancel", r.key, "", nil)
	if code != 200 || !strings.Contains(body, `"status":"cancelled"`) {
		t.Fatalf("cancel: got %d %s, want 200 cancelled", code, body)
	}
	// The provider is told, and its link shows the order without the
	// client.
	cctx, ccancel := context.WithTimeout(ctx, 60*time.Second)
	defer ccancel()
	if _, ok := r.smtp.Wait(cctx, func(m smtptest.Mail) bool {
		return m.To[0] == second && strings.Contains(m.Data, "peruttu") && strings.Contains(m.Data, "Order number: TRE-2")
	}); !ok {
		t.Fatal("no cancellation mail to the provider")
	}
	if page := r.get(t, link3, 200); strings.Contains(page, "Virtanen") || !strings.Contains(page, "Peruttu") {
		t.Fatal("the cancelled order's page shows the client, or not that it is cancelled")
	}
	assertNoClientData(t, r.dbPath)
}

func prop(o *hubspot.Object, name string) string {
	v, _ := o.Prop(name)
	return v
}

func (r *rig) get(t *testing.T, link string, want int) string {
	t.Helper()
	code, body, _ := r.do(t, "GET", strings.TrimPrefix(link, r.base), "", "", nil)
	if code != want {
		t.Fatalf("GET %s: got %d, want %d", link, code, want)
	}
	return body
}

// assertNoClientData greps every SQLite file of the store for the
// client's name, address, phone and personal identity code.
func assertNoClientData(t *testing.T, dbPath string) {
	t.Helper()
	// The order is marked created in the store before the write-ahead log
	// is checkpointed and emptied, so the files are read until they are
	// clean or the deadline passes.
	var found []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		found = found[:0]
		files, _ := filepath.Glob(dbPath + "*")
		if len(files) == 0 {
			t.Fatal("no store files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			for _, s := range []string{"Virtanen-Esimerkki", "Pyynikintie", "765 4321", "131052-308T", "Ovikoodi"} {
				if bytes.Contains(b, []byte(s)) {
					found = append(found, fmt.Sprintf("%s holds client data %q", filepath.Base(f), s))
				}
			}
		}
		if len(found) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, f := range found {
				t.Error(f)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
