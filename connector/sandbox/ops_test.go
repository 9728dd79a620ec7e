package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

func TestRateLimit(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 3, SearchRate: 2, DailyLimit: 100})
	for i := range 3 {
		r := h.do("GET", "/crm/v3/objects/tickets", nil)
		h.want(r, 200)
		if got, want := r.header.Get(hubspot.HeaderRemaining), []string{"2", "1", "0"}[i]; got != want {
			t.Errorf("request %d: remaining %q, want %q", i, got, want)
		}
		if r.header.Get(hubspot.HeaderMax) != "3" || r.header.Get(hubspot.HeaderInterval) != "10000" || r.header.Get(hubspot.HeaderDaily) != "100" {
			t.Errorf("request %d: headers %v", i, r.header)
		}
	}
	r := h.do("GET", "/crm/v3/objects/tickets", nil)
	h.want(r, 429)
	var e errBody
	r.decode(t, &e)
	if e.Status != "error" || e.Message != "You have reached your ten_secondly_rolling limit." || e.ErrorType != "RATE_LIMIT" || e.PolicyName != "TEN_SECONDLY_ROLLING" || e.Corr == "" {
		t.Errorf("429 body: got %+v", e)
	}
	if r.header.Get("Retry-After") != "10" {
		t.Errorf("Retry-After: got %q, want 10", r.header.Get("Retry-After"))
	}

	// Search has its own per-second limit and answers without headers.
	search := `{"limit":1}`
	for range 2 {
		r := h.doRaw("POST", "/crm/v3/objects/tickets/search", search)
		h.want(r, 200)
		if r.header.Get(hubspot.HeaderMax) != "" || r.header.Get(hubspot.HeaderRemaining) != "" {
			t.Errorf("search answered with rate-limit headers: %v", r.header)
		}
	}
	r = h.doRaw("POST", "/crm/v3/objects/tickets/search", search)
	h.want(r, 429)
	r.decode(t, &e)
	if e.PolicyName != "SECONDLY" || e.Message != "You have reached your secondly limit." {
		t.Errorf("search 429: got %+v", e)
	}

	h.clock.Add(10 * time.Second)
	h.want(h.do("GET", "/crm/v3/objects/tickets", nil), 200)
	h.want(h.doRaw("POST", "/crm/v3/objects/tickets/search", search), 200)
}

func TestDailyLimit(t *testing.T) {
	h := newHarness(t, Options{DailyLimit: 2})
	h.want(h.do("GET", "/crm/v3/objects/deals", nil), 200)
	r := h.do("GET", "/crm/v3/objects/deals", nil)
	h.want(r, 200)
	if got := r.header.Get(hubspot.HeaderDailyRemaining); got != "0" {
		t.Errorf("daily remaining: got %q, want 0", got)
	}
	r = h.do("GET", "/crm/v3/objects/deals", nil)
	h.want(r, 429)
	var e errBody
	r.decode(t, &e)
	if e.PolicyName != "DAILY" || e.Message != "You have reached your daily limit." {
		t.Errorf("got %+v", e)
	}
	h.clock.Add(14 * time.Hour) // past midnight UTC
	h.want(h.do("GET", "/crm/v3/objects/deals", nil), 200)
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults Faults
		check  func(status int) bool
	}{
		{"every request 429", Faults{TooManyShare: 1}, func(s int) bool { return s == 429 }},
		{"every request 5xx", Faults{ServerErrorShare: 1}, func(s int) bool { return s >= 500 && s <= 504 }},
		{"none", Faults{}, func(s int) bool { return s == 200 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.srv.SetFaults(tt.faults)
			for range 5 {
				r := h.doRaw("GET", "/crm/v3/objects/deals", nil)
				if !tt.check(r.status) {
					t.Errorf("status %d", r.status)
				}
			}
		})
	}
	// A share between 0 and 1 with a seed repeats.
	seq := func() []int {
		h := newHarness(t, Options{Faults: Faults{ServerErrorShare: 0.5, Seed: 7}})
		var out []int
		for range 20 {
			out = append(out, h.doRaw("GET", "/crm/v3/objects/deals", nil).status)
		}
		return out
	}
	a, b := seq(), seq()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sequences differ at %d: %v vs %v", i, a, b)
		}
		if a[i] >= 500 {
			fails++
		}
	}
	if fails == 0 || fails == 20 {
		t.Errorf("share 0.5 failed %d of 20", fails)
	}
}

func TestRequestsCount(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.srv.Insert("deals", nil, h.clock.Now())
	h.do("GET", "/crm/v3/objects/deals/"+id, nil)
	h.do("GET", "/crm/v3/objects/deals/"+id, nil)
	h.doRaw("POST", "/crm/v3/objects/tickets/search", `{}`)
	got := h.srv.Requests()
	if got["GET /crm/v3/objects/{objectType}/{objectId}"] != 2 || got["POST /crm/v3/objects/{objectType}/search"] != 1 {
		t.Errorf("got %v", got)
	}
}

// hookTarget records webhook deliveries and checks their signatures.
type hookTarget struct {
	t      *testing.T
	secret string
	url    string
	mu     sync.Mutex
	events []hubspot.WebhookEvent
	posts  int
	fail   int // answer 500 to this many posts first
}

func (ht *hookTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get(hubspot.HeaderRequestTimestamp)
	want := hubspot.WebhookSignature(ht.secret, r.Method, ht.url+r.URL.Path, body, ts)
	if got := r.Header.Get(hubspot.HeaderSignatureV3); got != want || ts == "" {
		ht.t.Errorf("signature: got %q, want %q", got, want)
	}
	ht.mu.Lock()
	defer ht.mu.Unlock()
	ht.posts++
	if ht.fail > 0 {
		ht.fail--
		w.WriteHeader(500)
		return
	}
	var evs []hubspot.WebhookEvent
	if err := json.Unmarshal(body, &evs); err != nil {
		ht.t.Errorf("decode: %v", err)
	}
	ht.events = append(ht.events, evs...)
}

func TestWebhooks(t *testing.T) {
	target := &hookTarget{t: t, secret: "client-secret", fail: 1}
	hs := httptest.NewServer(target)
	defer hs.Close()
	target.url = hs.URL
	h := newHarness(t, Options{Webhook: &Webhook{URL: hs.URL + "/hooks", ClientSecret: "client-secret", MaxBatch: 2, PortalID: 42, AppID: 7}})

	r := h.do("POST", "/crm/v3/objects/tickets", create(map[string]string{"subject": "a"}))
	h.want(r, 201)
	var o hubspot.Object
	r.decode(t, &o)
	if err := h.srv.Update("tickets", o.ID, map[string]string{"subject": "b", "hs_ticket_priority": "HIGH"}); err != nil {
		t.Fatal(err)
	}
	// Unchanged values fire nothing.
	if err := h.srv.Update("tickets", o.ID, map[string]string{"subject": "b"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.srv.FlushWebhooks(ctx); err == nil {
		t.Fatal("first flush: got nil, want the target's 500")
	}
	if n := h.srv.PendingWebhooks(); n != 3 {
		t.Fatalf("pending after failure: got %d, want 3", n)
	}
	if err := h.srv.FlushWebhooks(ctx); err != nil {
		t.Fatalf("second flush: %v", err)
	}
	target.mu.Lock()
	defer target.mu.Unlock()
	if target.posts != 3 { // one failed, then batches of 2 and 1
		t.Errorf("posts: got %d, want 3", target.posts)
	}
	if len(target.events) != 3 {
		t.Fatalf("events: got %d, want 3", len(target.events))
	}
	e0, e1, e2 := target.events[0], target.events[1], target.events[2]
	if e0.SubscriptionType != "object.creation" || e0.ObjectTypeID != "0-5" || e0.AttemptNumber != 1 || e0.PortalID != 42 || e0.ChangeSource != "API" {
		t.Errorf("creation: got %+v", e0)
	}
	if e1.SubscriptionType != "object.propertyChange" || e1.PropertyName != "hs_ticket_priority" || e1.PropertyValue != "HIGH" || e1.ChangeSource != "CRM_UI" {
		t.Errorf("change 1: got %+v", e1)
	}
	if e2.PropertyName != "subject" || e2.PropertyValue != "b" || e2.AttemptNumber != 0 || e2.EventID <= e1.EventID {
		t.Errorf("change 2: got %+v", e2)
	}
}

func TestStatePersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	c := newClock()
	srv, err := New(Options{StatePath: path, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Loaded() {
		t.Error("Loaded: got true before the state file exists")
	}
	deal := srv.Insert("deals", map[string]string{"dealname": "pysyvä"}, c.Now())
	co := srv.Insert("companies", map[string]string{"name": "Oy"}, c.Now())
	if err := srv.Associate("deals", deal, "companies", co, 5); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	again, err := New(Options{StatePath: path, Seed: "demo", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if !again.Loaded() {
		t.Error("Loaded: got false after reading the state file")
	}
	o, ok := again.Object("deals", deal)
	if !ok || *o.Properties["dealname"] != "pysyvä" || !o.UpdatedAt.Equal(c.Now()) {
		t.Fatalf("reloaded deal: got %+v ok=%v", o, ok)
	}
	next := again.Insert("deals", nil, c.Now())
	if mustID(t, next) <= mustID(t, co) {
		t.Errorf("id after reload: got %s, want above %s", next, co)
	}
	again.mu.RLock()
	links := again.st.linked("companies", mustID(t, co), "deals")
	again.mu.RUnlock()
	if len(links) != 1 || len(links[0].AssociationTypes) != 2 {
		t.Errorf("reloaded associations: got %+v", links)
	}
}

func TestRun(t *testing.T) {
	srv, err := New(Options{Seed: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := (&net0{}).listen(t)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ln) }()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/crm/v3/owners/", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
