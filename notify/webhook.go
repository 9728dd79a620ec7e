package notify

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/store"
)

// Headers of a provider webhook call. The signature is HubSpot's v3 scheme
// (base64 HMAC-SHA256 over method, URL, body and timestamp), so that a
// provider whose system already checks HubSpot's webhooks can reuse the
// code.
const (
	SignatureHeader = "X-Alusta-Signature-V3"
	TimestampHeader = "X-Alusta-Request-Timestamp"
)

// Hook posts JSON messages to providers' systems, signed.
type Hook struct {
	client *http.Client
	secret string
	now    func() time.Time
}

var _ Sender = (*Hook)(nil)

// NewHook returns a webhook sender. client must have a timeout.
func NewHook(client *http.Client, secret string, now func() time.Time) *Hook {
	if now == nil {
		now = time.Now
	}
	return &Hook{client: client, secret: secret, now: now}
}

// Send posts the message body to its URL. 2xx is delivered; 408, 429 and
// 5xx are retried; another 4xx is permanent.
func (h *Hook) Send(ctx context.Context, n store.Notification) error {
	if h.secret == "" {
		// An unsigned call would let anyone forge orders to the provider.
		return Permanent(fmt.Errorf("notify: webhook %s: no signing key (set notify.webhook_secret)", n.Key))
	}
	body := []byte(n.Body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Recipient, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("notify: webhook %s: %w", n.Key, err))
	}
	ts := strconv.FormatInt(h.now().UnixMilli(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.Key)
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, hubspot.WebhookSignature(h.secret, http.MethodPost, n.Recipient, body, ts))
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("notify: webhook %s: %w", n.Key, err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == 408 || resp.StatusCode == 429 || resp.StatusCode >= 500:
		return fmt.Errorf("notify: webhook %s: %s", n.Key, resp.Status)
	}
	return Permanent(fmt.Errorf("notify: webhook %s: %s", n.Key, resp.Status))
}
