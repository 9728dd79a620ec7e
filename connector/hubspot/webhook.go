package hubspot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// WebhookSignature is HubSpot's v3 webhook signature: base64 of
// HMAC-SHA256, keyed with the app's client secret, over method, full URI,
// body and timestamp (epoch milliseconds, as sent in
// X-HubSpot-Request-Timestamp). The sandbox signs with it and the daemon
// verifies with it.
func WebhookSignature(secret, method, uri string, body []byte, timestamp string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method))
	m.Write([]byte(uri))
	m.Write(body)
	m.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
