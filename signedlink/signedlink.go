// Package signedlink makes and checks links that carry their own
// authority: an HMAC-SHA256 over (purpose, record, party, expiry) with a
// secret from configuration. A provider's order page and, later, a
// referral's answer page use them, so that outsiders need no account.
//
// It is a top-level package because its job (signing links for the public
// listener) belongs to none of the mandated folders and is shared by
// several public features.
package signedlink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors a check returns. A tampered link and a link of another purpose
// are ErrInvalid (answer 403); a genuine but old link is ErrExpired (410).
var (
	ErrInvalid = errors.New("signedlink: invalid link")
	ErrExpired = errors.New("signedlink: link expired")
)

// DefaultTTL is how long a link lives unless configured otherwise.
const DefaultTTL = 14 * 24 * time.Hour

// Claims are what a link is bound to.
type Claims struct {
	Purpose string // what the link is for, such as "order"
	Record  string // the record, such as a deal id
	Party   string // who holds it, such as a provider company id
	Expires time.Time
}

// Signer makes and checks tokens with one secret.
type Signer struct {
	secret []byte
}

// New returns a signer. The secret must be at least 32 bytes: it is all
// that stands between a guessed link and a client's details.
func New(secret []byte) (*Signer, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("signedlink: secret of %d bytes: want at least 32", len(secret))
	}
	return &Signer{secret: append([]byte(nil), secret...)}, nil
}

// Token returns the URL-safe token for c: record, party and expiry in
// clear (they are not secret), then the signature.
func (s *Signer) Token(c Claims) string {
	exp := strconv.FormatInt(c.Expires.Unix(), 10)
	return c.Record + "." + c.Party + "." + exp + "." + s.sign(c.Purpose, c.Record, c.Party, exp)
}

func (s *Signer) sign(purpose, record, party, exp string) string {
	m := hmac.New(sha256.New, s.secret)
	// Lengths first, so that no two field lists hash alike.
	for _, f := range []string{purpose, record, party, exp} {
		m.Write([]byte(strconv.Itoa(len(f)) + ":" + f + ";"))
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Check verifies a token for purpose at now and returns its claims. The
// signature is checked before the expiry, so that an expired answer is
// only ever given for a link alusta made.
func (s *Signer) Check(purpose, token string, now time.Time) (Claims, error) {
	f := strings.Split(token, ".")
	if len(f) != 4 || f[0] == "" || f[1] == "" {
		return Claims{}, ErrInvalid
	}
	want := s.sign(purpose, f[0], f[1], f[2])
	if !hmac.Equal([]byte(want), []byte(f[3])) {
		return Claims{}, ErrInvalid
	}
	exp, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	c := Claims{Purpose: purpose, Record: f[0], Party: f[1], Expires: time.Unix(exp, 0)}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// MAC returns an HMAC of parts under a key derived for purpose, for
// values that are not links, such as CSRF tokens.
func (s *Signer) MAC(purpose string, parts ...string) string {
	return s.sign("mac:"+purpose, strings.Join(parts, "\x00"), "", "")
}

// Equal compares two MACs in constant time.
func Equal(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
