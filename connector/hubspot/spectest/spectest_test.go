package spectest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/alusta/alusta/connector/hubspot/spectest"
)

// recorder is a testing.TB that keeps what Errorf reports.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestWrap(t *testing.T) {
	specs := spectest.Load(t)
	specs.Allow("GET", "/crm/v4/objects/{fromObjectType}/{objectId}/associations/{toObjectType}")
	const okSearch = `{"total":1,"results":[{"id":"1","properties":{"a":null},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}]}`
	tests := []struct {
		name, method, path, auth, body, answer string
		status                                 int
		want                                   []string // substrings, one per reported error
	}{
		{name: "valid search", method: "POST", path: "/crm/v3/objects/tickets/search", auth: "Bearer x",
			body:   `{"limit":200,"after":"","sorts":["hs_lastmodifieddate"],"properties":["subject"],"filterGroups":[{"filters":[{"propertyName":"hs_lastmodifieddate","operator":"GTE","value":"1"}]}]}`,
			answer: okSearch, status: 200},
		{name: "bad operator", method: "POST", path: "/crm/v3/objects/deals/search", auth: "Bearer x",
			body:   `{"limit":200,"after":"","sorts":[],"properties":[],"filterGroups":[{"filters":[{"propertyName":"a","operator":"LIKE"}]}]}`,
			answer: okSearch, status: 200,
			want: []string{`spectest: POST /crm/v3/objects/deals/search: request (Deals.json)`}},
		{name: "no token", method: "GET", path: "/crm/v3/objects/companies/5", body: "",
			answer: `{"id":"5","properties":{},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`, status: 200,
			want: []string{"no bearer token"}},
		{name: "response misses id", method: "GET", path: "/crm/v3/objects/notes/5", auth: "Bearer x",
			answer: `{"properties":{},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`, status: 200,
			want: []string{`spectest: GET /crm/v3/objects/notes/5: response 200 (Objects.json)`}},
		{name: "uncovered path", method: "GET", path: "/crm/v5/nothing", auth: "Bearer x", answer: `{}`, status: 200,
			want: []string{"spectest: GET /crm/v5/nothing: no spec covers this path"}},
		{name: "allowed path", method: "GET", path: "/crm/v4/objects/deals/123/associations/companies", auth: "Bearer x",
			answer: `{"results":[]}`, status: 200},
		{name: "error body", method: "GET", path: "/crm/v3/owners/", auth: "Bearer x",
			answer: `{"status":"error","message":"no","correlationId":"c","category":"VALIDATION_ERROR"}`, status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.answer))
			})
			srv := httptest.NewServer(specs.Wrap(rec, h))
			defer srv.Close()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.status {
				t.Errorf("got status %d, want %d", res.StatusCode, tc.status)
			}
			if len(rec.errs) != len(tc.want) {
				t.Fatalf("got %d reports %q, want %d", len(rec.errs), rec.errs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(rec.errs[i], w) {
					t.Errorf("report %d: got %q, want it to contain %q", i, rec.errs[i], w)
				}
			}
		})
	}
}
