package hubspot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testCorrelation = "c0ffee00-0000-4000-8000-000000000001"

// scripted answers the n-th request with answers[n] (the last one
// repeating) and counts requests.
type scripted struct {
	answers []answer
	n       atomic.Int64
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(s.n.Add(1)) - 1
	a := s.answers[min(i, len(s.answers)-1)]
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	w.Write([]byte(a.body))
}

const okObject = `{"id":"512","properties":{"subject":"x","hs_lastmodifieddate":"2026-11-20T09:00:00.000Z"},"createdAt":"2026-11-20T09:00:00Z","updatedAt":"2026-11-20T09:00:00Z","archived":false}`

func rateLimited(policy string) string {
	return `{"status":"error","message":"You have reached your ` + policy + ` limit.","errorType":"RATE_LIMIT","correlationId":"` + testCorrelation + `","policyName":"` + policy + `","category":"RATE_LIMITS"}`
}

// TestErrors checks how each kind of answer ends: retried or not, and the
// exact error text the caller sees.
func TestErrors(t *testing.T) {
	now := time.Date(2026, 11, 22, 21, 30, 0, 0, time.UTC)
	tests := []struct {
		name      string
		answers   []answer
		wantErr   string
		wantIs    error
		wantCalls int64
	}{
		{name: "429 then success", answers: []answer{{429, nil, rateLimited(PolicyTenSecondly)}, {200, nil, okObject}}, wantCalls: 2},
		{name: "secondly 429 with Retry-After then success",
			answers: []answer{{429, map[string]string{"Retry-After": "30"}, rateLimited(PolicySecondly)}, {200, nil, okObject}}, wantCalls: 2},
		{name: "503 twice then success", answers: []answer{{503, nil, ""}, {502, nil, ""}, {200, nil, okObject}}, wantCalls: 3},
		{name: "429 until retries run out", answers: []answer{{429, nil, rateLimited(PolicyTenSecondly)}},
			wantErr: "hubspot: get tickets: 429 RATE_LIMITS: You have reached your TEN_SECONDLY_ROLLING limit. (correlation " + testCorrelation + ")",
			wantIs:  ErrRateLimited, wantCalls: 3},
		{name: "daily 429 is not retried", answers: []answer{{429, nil, rateLimited(PolicyDaily)}},
			wantErr: "hubspot: daily API limit reached: calls resume at 2026-11-23T00:00:00Z", wantIs: ErrDailyLimit, wantCalls: 1},
		{name: "401", answers: []answer{{401, nil, `{"status":"error","message":"Authentication credentials not found.","correlationId":"` + testCorrelation + `","category":"INVALID_AUTHENTICATION"}`}},
			wantErr: "hubspot: token rejected (401 INVALID_AUTHENTICATION): check hubspot.token", wantIs: ErrUnauthorized, wantCalls: 1},
		{name: "validation error is not retried", answers: []answer{{400, nil, `{"status":"error","message":"Property values were not valid","correlationId":"` + testCorrelation + `","category":"VALIDATION_ERROR","context":{"propertyName":["alusta_sla_due"]}}`}},
			wantErr: "hubspot: get tickets: 400 VALIDATION_ERROR: Property values were not valid (correlation " + testCorrelation + ")", wantCalls: 1},
		{name: "404", answers: []answer{{404, nil, `{"status":"error","message":"resource not found","correlationId":"` + testCorrelation + `","category":"OBJECT_NOT_FOUND"}`}},
			wantErr: "hubspot: get tickets: 404 OBJECT_NOT_FOUND: resource not found (correlation " + testCorrelation + ")", wantIs: ErrNotFound, wantCalls: 1},
		{name: "malformed JSON", answers: []answer{{200, nil, `{"id":"512","properties":{`}},
			wantErr: "hubspot: get tickets: decode response: unexpected end of JSON input", wantCalls: 1},
		{name: "wrong JSON type", answers: []answer{{200, nil, `{"id":512}`}},
			wantErr: "hubspot: get tickets: decode response: json: cannot unmarshal number into Go struct field Object.id of type string", wantCalls: 1},
		{name: "empty body", answers: []answer{{200, nil, ``}},
			wantErr: "hubspot: get tickets: decode response: empty body (status 200)", wantCalls: 1},
		{name: "error without body", answers: []answer{{400, nil, ``}},
			wantErr: "hubspot: get tickets: 400 Bad Request", wantCalls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{answers: tc.answers}
			srv := wrapped(t, s)
			c := testClient(t, srv.URL, Options{MaxRetries: 2, Now: func() time.Time { return now }})
			obj, err := c.Get(context.Background(), Tickets, "512", []string{"subject"})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				if obj.ID != "512" {
					t.Errorf("got id %q, want 512", obj.ID)
				}
			} else {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("got error %v, want %s", err, tc.wantErr)
				}
				if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
					t.Errorf("errors.Is(%v, %v) = false", err, tc.wantIs)
				}
			}
			if got := s.n.Load(); got != tc.wantCalls {
				t.Errorf("got %d requests, want %d", got, tc.wantCalls)
			}
			if c.Calls() != tc.wantCalls {
				t.Errorf("Calls() = %d, want %d", c.Calls(), tc.wantCalls)
			}
		})
	}
}

// TestDailyLimitPauses checks that after a DAILY 429 no call is sent until
// the quota resets by the injected clock.
func TestDailyLimitPauses(t *testing.T) {
	now := time.Date(2026, 11, 22, 21, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := &scripted{answers: []answer{{429, nil, rateLimited(PolicyDaily)}, {200, nil, okObject}}}
	srv := wrapped(t, s)
	c := testClient(t, srv.URL, Options{Now: clock})
	ctx := context.Background()
	_, err := c.Get(ctx, Tickets, "512", nil)
	var daily *DailyLimitError
	if !errors.As(err, &daily) {
		t.Fatalf("got %v, want *DailyLimitError", err)
	}
	if want := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC); !daily.ResetAt.Equal(want) {
		t.Errorf("got reset at %s, want %s", daily.ResetAt, want)
	}
	if _, err := c.Get(ctx, Tickets, "512", nil); !errors.Is(err, ErrDailyLimit) {
		t.Fatalf("second call: got %v, want ErrDailyLimit", err)
	}
	if got := s.n.Load(); got != 1 {
		t.Errorf("got %d requests while paused, want 1", got)
	}
	now = now.Add(3 * time.Hour) // past midnight
	if _, err := c.Get(ctx, Tickets, "512", nil); err != nil {
		t.Fatalf("after the reset: got %v, want success", err)
	}
}

// TestDailyQuotaFromHeaders checks that the daily quota headers stop calls
// before HubSpot has to refuse them.
func TestDailyQuotaFromHeaders(t *testing.T) {
	s := &scripted{answers: []answer{{200, map[string]string{HeaderDaily: "250000", HeaderDailyRemaining: "0"}, okObject}}}
	srv := wrapped(t, s)
	c := testClient(t, srv.URL, Options{})
	ctx := context.Background()
	if _, err := c.Get(ctx, Tickets, "512", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, Tickets, "512", nil); !errors.Is(err, ErrDailyLimit) {
		t.Fatalf("got %v, want ErrDailyLimit", err)
	}
	if got := s.n.Load(); got != 1 {
		t.Errorf("got %d requests, want 1", got)
	}
}

func TestBackoff(t *testing.T) {
	resp := func(status int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: status, Header: h}
	}
	tests := []struct {
		name     string
		attempt  int
		resp     *http.Response
		min, max time.Duration
	}{
		{name: "Retry-After honoured", resp: resp(429, "2"), min: 2 * time.Second, max: 2 * time.Second},
		{name: "Retry-After capped", resp: resp(429, "3600"), min: 10 * time.Second, max: 10 * time.Second},
		{name: "503 Retry-After honoured", resp: resp(503, "1"), min: time.Second, max: time.Second},
		{name: "first retry jittered", resp: resp(500, ""), min: 250 * time.Millisecond, max: 500 * time.Millisecond},
		{name: "third retry jittered", attempt: 2, resp: resp(429, ""), min: time.Second, max: 2 * time.Second},
		{name: "late retry capped", attempt: 30, resp: nil, min: 5 * time.Second, max: 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 50 {
				got := backoff(500*time.Millisecond, 10*time.Second, tc.attempt, tc.resp)
				if got < tc.min || got > tc.max {
					t.Fatalf("got %s, want between %s and %s", got, tc.min, tc.max)
				}
			}
		})
	}
}

// TestTokenNeverLeaks runs failing and succeeding calls with debug logging
// and checks that the token is in no log line and no error, only in the
// Authorization header.
func TestTokenNeverLeaks(t *testing.T) {
	const token = "pat-eu1-0f3e7c5a-secret-token-value"
	var auth atomic.Value
	s := &scripted{answers: []answer{
		{503, nil, ""}, {503, nil, ""}, {503, nil, ""},
		{401, nil, `{"status":"error","message":"Authentication credentials not found.","correlationId":"x","category":"INVALID_AUTHENTICATION"}`},
		{200, nil, `{"id":`},
		{400, nil, `{"status":"error","message":"Property values were not valid","correlationId":"x","category":"VALIDATION_ERROR"}`},
	}}
	srv := wrapped(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		s.ServeHTTP(w, r)
	}))
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := testClient(t, srv.URL, Options{Token: token, Logger: log, MaxRetries: 2})
	ctx := context.Background()
	var errs []error
	_, err := c.Get(ctx, Tickets, "1", nil)
	errs = append(errs, err)
	_, err = c.Get(ctx, Tickets, "1", nil)
	errs = append(errs, err)
	_, err = c.Get(ctx, Tickets, "1", nil)
	errs = append(errs, err)
	_, _, err = c.BatchUpdate(ctx, Tickets, []BatchUpdateInput{{ID: "1", Properties: map[string]string{"a": "b"}}})
	errs = append(errs, err)
	_, err = c.CreateOnce(ctx, Tickets, "k1", ObjectInput{Properties: map[string]string{"subject": "s"}})
	errs = append(errs, err)
	srv.Close()
	_, err = c.Get(ctx, Tickets, "1", nil)
	errs = append(errs, err)

	for _, format := range []string{"%v", "%+v", "%#v"} {
		if s := fmt.Sprintf(format, c); strings.Contains(s, "secret-token") {
			t.Errorf("token in %s of the client: %s", format, s)
		}
	}
	log.Info("client", "client", c)
	if got := auth.Load(); got != "Bearer "+token {
		t.Errorf("got Authorization %q, want the bearer token", got)
	}
	if logs.Len() == 0 {
		t.Error("got no log output; the test would prove nothing")
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "secret-token") {
		t.Errorf("token in the log:\n%s", logs.String())
	}
	for i, err := range errs {
		if err == nil {
			t.Errorf("call %d: got no error, want one", i)
			continue
		}
		if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("call %d: token in error %q", i, err)
		}
	}
}
