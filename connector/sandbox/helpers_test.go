package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot/spectest"
)

// clock is an injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 10, 15, 30, 123_000_000, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// v4 per-record association paths are missing from the specs the
// go-hubspot module ships; the sandbox serves them as HubSpot documents.
var v4PerRecord = []string{
	"PUT /crm/v4/objects/{a}/{b}/associations/{c}/{d}",
	"PUT /crm/v4/objects/{a}/{b}/associations/default/{c}/{d}",
	"DELETE /crm/v4/objects/{a}/{b}/associations/{c}/{d}",
	"GET /crm/v4/objects/{a}/{b}/associations/{c}",
}

// harness is a sandbox behind the spec validator.
type harness struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	raw   *httptest.Server // no spec validation, for deliberately invalid requests
	clock *clock
	token string
	specs *spectest.Specs
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	specs := spectest.Load(t)
	for _, p := range v4PerRecord {
		m, path, _ := strings.Cut(p, " ")
		specs.Allow(m, path)
	}
	ts := httptest.NewServer(specs.Wrap(t, srv))
	raw := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		raw.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	tok := opts.Token
	if tok == "" {
		tok = "test-token"
	}
	return &harness{t: t, srv: srv, ts: ts, raw: raw, clock: c, token: tok, specs: specs}
}

func (h *harness) allow(method, pattern string) { h.specs.Allow(method, pattern) }

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request through the spec validator; body is JSON-encoded
// unless it is a string.
func (h *harness) do(method, path string, body any) reply {
	h.t.Helper()
	return h.send(h.ts, method, path, body, "Bearer "+h.token)
}

// doRaw sends a request the specs reject on purpose (to test the answer
// to it), bypassing the validator.
func (h *harness) doRaw(method, path string, body any) reply {
	h.t.Helper()
	return h.send(h.raw, method, path, body, "Bearer "+h.token)
}

// doAuth sends a request with the given Authorization header, unvalidated.
func (h *harness) doAuth(method, path string, body any, auth string) reply {
	h.t.Helper()
	return h.send(h.raw, method, path, body, auth)
}

// create is a spec-conforming create body (the spec requires
// associations, HubSpot does not).
func create(props map[string]string) map[string]any {
	return map[string]any{"properties": props, "associations": []any{}}
}

func (h *harness) send(ts *httptest.Server, method, path string, body any, auth string) reply {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func (h *harness) want(r reply, status int) {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("status: got %d, want %d; body %s", r.status, status, r.body)
	}
}

// errBody is the subset of HubSpot's error body tests compare.
type errBody struct {
	Status     string              `json:"status"`
	Category   string              `json:"category"`
	Message    string              `json:"message"`
	Context    map[string][]string `json:"context"`
	ErrorType  string              `json:"errorType"`
	PolicyName string              `json:"policyName"`
	Corr       string              `json:"correlationId"`
}

// net0 opens a loopback listener on a free port.
type net0 struct{}

func (net0) listen(t *testing.T) (net.Listener, error) {
	t.Helper()
	return net.Listen("tcp", "127.0.0.1:0")
}
