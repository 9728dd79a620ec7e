package hubspot

import "testing"

func TestWebhookSignature(t *testing.T) {
	// Computed independently with: printf 'POSThttps://example.fi/hooks[]1700000000000' |
	// openssl dgst -sha256 -hmac secret -binary | base64
	got := WebhookSignature("secret", "POST", "https://example.fi/hooks", []byte("[]"), "1700000000000")
	if want := "hePs7b3LcMnmZHCkoko5qWAmBfnAlu1S61r6lLNNf6Q="; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
