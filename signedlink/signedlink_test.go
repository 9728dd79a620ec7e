package signedlink

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	s, err := New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	good := s.Token(Claims{Purpose: "order", Record: "5100001", Party: "9001", Expires: now.Add(DefaultTTL)})
	other, _ := New([]byte(strings.Repeat("x", 32)))
	tests := []struct {
		name    string
		purpose string
		token   string
		at      time.Time
		want    error
	}{
		{"valid", "order", good, now, nil},
		{"expired", "order", good, now.Add(DefaultTTL), ErrExpired},
		{"other purpose", "referral", good, now, ErrInvalid},
		{"record changed", "order", strings.Replace(good, "5100001", "5100002", 1), now, ErrInvalid},
		{"party changed", "order", strings.Replace(good, ".9001.", ".9002.", 1), now, ErrInvalid},
		{"expiry pushed", "order", "5100001.9001.9999999999." + strings.Split(good, ".")[3], now, ErrInvalid},
		{"other secret", "order", other.Token(Claims{Purpose: "order", Record: "5100001", Party: "9001", Expires: now.Add(time.Hour)}), now, ErrInvalid},
		{"garbage", "order", "abc", now, ErrInvalid},
		{"empty", "order", "", now, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Check(tt.purpose, tt.token, tt.at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.want == nil && (c.Record != "5100001" || c.Party != "9001") {
				t.Fatalf("got claims %+v, want record 5100001 party 9001", c)
			}
		})
	}
}

func TestNewRejectsShortSecret(t *testing.T) {
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("got no error for a 5-byte secret, want one")
	}
}

func TestMAC(t *testing.T) {
	s, _ := New([]byte(strings.Repeat("k", 32)))
	a, b := s.MAC("csrf", "5100001", "9001"), s.MAC("csrf", "5100001", "9002")
	if a == b || !Equal(a, s.MAC("csrf", "5100001", "9001")) {
		t.Fatalf("got MACs %q and %q, want them different and stable", a, b)
	}
}
