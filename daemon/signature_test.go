package daemon

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// TestWebhookVerification drives the endpoint with deliveries signed as
// HubSpot signs them (hubspot.WebhookSignature, itself checked against a
// vector computed with openssl) and with the ways a delivery can be wrong.
func TestWebhookVerification(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	const secret = "client-secret"
	body := `[{"eventId":1,"subscriptionType":"object.propertyChange","objectTypeId":"0-5","objectId":5100000001,"propertyName":"hs_ticket_priority","propertyValue":"URGENT","occurredAt":1}]`
	tests := []struct {
		name    string
		secret  string // signing secret; "" sends no signature
		at      time.Time
		body    string
		uri     string // what the signer believes it called
		want    int
		targets int
	}{
		{name: "valid", secret: secret, at: now, body: body, want: http.StatusNoContent, targets: 1},
		{name: "four minutes old", secret: secret, at: now.Add(-4 * time.Minute), body: body, want: http.StatusNoContent, targets: 1},
		{name: "six minutes old", secret: secret, at: now.Add(-6 * time.Minute), body: body, want: http.StatusUnauthorized},
		{name: "from the future", secret: secret, at: now.Add(6 * time.Minute), body: body, want: http.StatusUnauthorized},
		{name: "wrong secret", secret: "other", at: now, body: body, want: http.StatusUnauthorized},
		{name: "unsigned", at: now, body: body, want: http.StatusUnauthorized},
		{name: "other URI", secret: secret, at: now, body: body, uri: "http://elsewhere.example/webhooks/hubspot", want: http.StatusUnauthorized},
		{name: "not JSON", secret: secret, at: now, body: "{", want: http.StatusBadRequest},
		{name: "classic subscription", secret: secret, at: now, want: http.StatusNoContent, targets: 1,
			body: `[{"eventId":2,"subscriptionType":"deal.creation","objectId":5100003000,"occurredAt":1}]`},
		{name: "contact events ignored", secret: secret, at: now, want: http.StatusNoContent,
			body: `[{"eventId":3,"subscriptionType":"contact.creation","objectId":7,"occurredAt":1}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Change
			h := &Webhooks{Secret: secret, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
				Enqueue: func(cs []Change) { got = append(got, cs...) }}
			srv := httptest.NewServer(h)
			defer srv.Close()
			url := srv.URL + "/webhooks/hubspot"
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(tt.body))
			if tt.secret != "" {
				ts := strconv.FormatInt(tt.at.UnixMilli(), 10)
				uri := url
				if tt.uri != "" {
					uri = tt.uri
				}
				req.Header.Set(hubspot.HeaderRequestTimestamp, ts)
				req.Header.Set(hubspot.HeaderSignatureV3, hubspot.WebhookSignature(tt.secret, http.MethodPost, uri, []byte(tt.body), ts))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tt.want)
			}
			if len(got) != tt.targets {
				t.Errorf("changes: got %d (%v), want %d", len(got), got, tt.targets)
			}
		})
	}
}

// TestWebhookDeduplicates delivers one batch twice, as HubSpot's retries
// do, and checks the second delivery names nothing new.
func TestWebhookDeduplicates(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	var got []Change
	h := &Webhooks{Secret: "s", Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
		Enqueue: func(cs []Change) { got = append(got, cs...) }}
	events := []hubspot.WebhookEvent{
		{EventID: 10, SubscriptionType: "object.propertyChange", ObjectTypeID: "0-3", ObjectID: 6000000001, PropertyName: "dealstage", PropertyValue: "702000014"},
		{EventID: 11, SubscriptionType: "object.propertyChange", ObjectTypeID: "0-3", ObjectID: 6000000001, PropertyName: "amount", PropertyValue: "120"},
	}
	raw, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	var in []inboundEvent
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	first := h.fresh(in)
	second := h.fresh(in)
	if len(first) != 2 || len(second) != 0 {
		t.Errorf("got %d then %d changes, want 2 then 0", len(first), len(second))
	}
	if first[0].ID != "6000000001" || first[0].ObjectType != hubspot.Deals {
		t.Errorf("target: got %+v, want deals/6000000001 (64-bit id intact)", first[0].Target)
	}
}
