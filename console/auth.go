package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Auth says how the console knows who is looking.
//
//   - "none" (or ""): nobody signs in; allowed only on a loopback listener.
//   - "oidc": people sign in with OpenID Connect (Entra ID, Keycloak, ...);
//     the ID token's group claim must name one of AllowedGroups.
//   - "proxy": a reverse proxy in front (oauth2-proxy) signs people in and
//     passes X-Forwarded-User and X-Forwarded-Groups; they are believed only
//     from the Trusted addresses, and the groups must name one of
//     AllowedGroups.
type Auth struct {
	Mode          string
	AllowedGroups []string

	Issuer, ClientID, ClientSecret, RedirectURL string
	// GroupsClaim is the ID token claim that lists groups ("groups").
	GroupsClaim string
	// HTTPClient reaches the OIDC provider; nil means a client with a
	// timeout.
	HTTPClient *http.Client

	Trusted []netip.Prefix

	// SessionKey signs session cookies; random per process when empty
	// (a restart then asks people to sign in again).
	SessionKey []byte
}

// ParsePrefixes reads comma-separated addresses and CIDR ranges, as
// console.proxy_trusted holds them.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("console: proxy address %q: want an IP address or a CIDR range", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// SplitList reads a comma-separated list, as console.allowed_groups holds
// it.
func SplitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

type userKey struct{}

func userFrom(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}

const (
	sessionCookie = "alusta_console_session"
	loginCookie   = "alusta_console_login"
	sessionLife   = 8 * time.Hour
	loginLife     = 10 * time.Minute
)

type authenticator struct {
	a        Auth
	now      func() time.Time
	key      []byte
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

func newAuthenticator(ctx context.Context, a Auth, now func() time.Time) (*authenticator, error) {
	au := &authenticator{a: a, now: now, key: a.SessionKey}
	if len(au.key) == 0 {
		au.key = make([]byte, 32)
		rand.Read(au.key)
	}
	switch a.Mode {
	case "", "none":
	case "proxy":
		if len(a.Trusted) == 0 || len(a.AllowedGroups) == 0 {
			return nil, errors.New("console: auth proxy needs trusted proxy addresses and allowed groups")
		}
	case "oidc":
		if a.Issuer == "" || a.ClientID == "" || a.RedirectURL == "" || len(a.AllowedGroups) == 0 {
			return nil, errors.New("console: auth oidc needs an issuer, a client id, a redirect URL and allowed groups")
		}
		au.client = a.HTTPClient
		if au.client == nil {
			au.client = &http.Client{Timeout: 30 * time.Second}
		}
		p, err := oidc.NewProvider(oidc.ClientContext(ctx, au.client), a.Issuer)
		if err != nil {
			return nil, fmt.Errorf("console: oidc provider %s: %w", a.Issuer, err)
		}
		if au.a.GroupsClaim == "" {
			au.a.GroupsClaim = "groups"
		}
		au.oauth = &oauth2.Config{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RedirectURL: a.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"}}
		au.verifier = p.Verifier(&oidc.Config{ClientID: a.ClientID, Now: now})
	default:
		return nil, fmt.Errorf("console: auth %q: want none, oidc or proxy", a.Mode)
	}
	return au, nil
}

// require lets a request through with its user in the context, or answers
// for the one that is not allowed.
func (au *authenticator) require(next http.Handler, c *Console) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch au.a.Mode {
		case "proxy":
			user, ok := au.fromProxy(r)
			if !ok {
				c.opts.Log.Warn("console: request refused", "remote", r.RemoteAddr, "reason", "not from a trusted proxy, or no allowed group")
				c.message(w, r, http.StatusForbidden, "auth.denied", "auth.denied")
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, user))
		case "oidc":
			s, ok := au.session(r)
			if !ok {
				http.Redirect(w, r, "/auth/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, s.User))
		}
		next.ServeHTTP(w, r)
	})
}

// fromProxy believes oauth2-proxy's headers only from a trusted address.
func (au *authenticator) fromProxy(r *http.Request) (string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return "", false
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return "", false
	}
	addr = addr.Unmap()
	if !slices.ContainsFunc(au.a.Trusted, func(p netip.Prefix) bool { return p.Contains(addr) }) {
		return "", false
	}
	user := strings.TrimSpace(r.Header.Get("X-Forwarded-User"))
	if user == "" {
		return "", false
	}
	var groups []string
	for _, h := range r.Header.Values("X-Forwarded-Groups") {
		groups = append(groups, SplitList(h)...)
	}
	return user, au.allowed(groups)
}

func (au *authenticator) allowed(groups []string) bool {
	for _, g := range groups {
		if slices.Contains(au.a.AllowedGroups, g) {
			return true
		}
	}
	return false
}

// session is a signed-in person, kept in a signed cookie.
type session struct {
	User string `json:"u"`
	Exp  int64  `json:"e"`
	// ID binds the CSRF token of the sign-out form to this session.
	ID string `json:"i"`
}

// loginState travels through the provider in a signed cookie.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Exp      int64  `json:"e"`
}

func (au *authenticator) sign(v any) string {
	b, _ := json.Marshal(v)
	m := hmac.New(sha256.New, au.key)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (au *authenticator) open(s string, v any) bool {
	body, sig, ok := strings.Cut(s, ".")
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, au.key)
	m.Write(b)
	return hmac.Equal(got, m.Sum(nil)) && json.Unmarshal(b, v) == nil
}

func (au *authenticator) session(r *http.Request) (session, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	var s session
	if !au.open(ck.Value, &s) || au.now().Unix() >= s.Exp || s.User == "" {
		return session{}, false
	}
	return s, true
}

// csrfToken is the sign-out form's token: an HMAC of the session id, so a
// page elsewhere cannot sign people out.
func (au *authenticator) csrfToken(r *http.Request) string {
	s, ok := au.session(r)
	if !ok {
		return ""
	}
	m := hmac.New(sha256.New, au.key)
	m.Write([]byte("logout|" + s.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (au *authenticator) secure() bool { return strings.HasPrefix(au.a.RedirectURL, "https://") }

func randomString() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// login starts the OpenID Connect authorization code flow with PKCE.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	au := c.auth
	if au.a.Mode != "oidc" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	st := loginState{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Next: localPath(r.URL.Query().Get("next")), Exp: au.now().Add(loginLife).Unix()}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: au.sign(st), Path: "/auth/", MaxAge: int(loginLife.Seconds()),
		HttpOnly: true, Secure: au.secure(), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, au.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

// callback finishes the flow: the state and nonce must match the login's,
// the ID token must verify and name an allowed group.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	au := c.auth
	if au.a.Mode != "oidc" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	deny := func(status int, reason string, err error) {
		c.opts.Log.Warn("console: sign-in refused", "remote", r.RemoteAddr, "reason", reason, "err", err)
		key := "auth.failed"
		if status == http.StatusForbidden {
			key = "auth.denied"
		}
		c.message(w, r, status, key, key)
	}
	ck, err := r.Cookie(loginCookie)
	var st loginState
	if err != nil || !au.open(ck.Value, &st) || au.now().Unix() >= st.Exp {
		deny(http.StatusBadRequest, "no valid login state", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/auth/", MaxAge: -1})
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		deny(http.StatusUnauthorized, "provider answered "+e, nil)
		return
	}
	if q.Get("state") == "" || !hmac.Equal([]byte(q.Get("state")), []byte(st.State)) {
		deny(http.StatusBadRequest, "state does not match", nil)
		return
	}
	ctx := oidc.ClientContext(r.Context(), au.client)
	tok, err := au.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		deny(http.StatusUnauthorized, "code exchange failed", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		deny(http.StatusUnauthorized, "no id_token in the answer", nil)
		return
	}
	idt, err := au.verifier.Verify(ctx, raw)
	if err != nil {
		deny(http.StatusUnauthorized, "id token does not verify", err)
		return
	}
	if !hmac.Equal([]byte(idt.Nonce), []byte(st.Nonce)) {
		deny(http.StatusUnauthorized, "nonce does not match", nil)
		return
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		deny(http.StatusUnauthorized, "claims unreadable", err)
		return
	}
	var groups []string
	switch g := claims[au.a.GroupsClaim].(type) {
	case []any:
		for _, x := range g {
			if s, ok := x.(string); ok {
				groups = append(groups, s)
			}
		}
	case string:
		groups = SplitList(g)
	}
	if !au.allowed(groups) {
		deny(http.StatusForbidden, "no allowed group", nil)
		return
	}
	user := idt.Subject
	for _, k := range []string{"preferred_username", "name"} {
		if s, ok := claims[k].(string); ok && s != "" {
			user = s
			break
		}
	}
	s := session{User: user, Exp: au.now().Add(sessionLife).Unix(), ID: randomString()}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: au.sign(s), Path: "/", MaxAge: int(sessionLife.Seconds()),
		HttpOnly: true, Secure: au.secure(), SameSite: http.SameSiteLaxMode})
	c.opts.Log.Info("console: signed in", "user", user)
	http.Redirect(w, r, st.Next, http.StatusSeeOther)
}

// logout ends the session; the form's token must match it.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	au := c.auth
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	want := au.csrfToken(r)
	if want == "" || !hmac.Equal([]byte(r.PostFormValue("csrf")), []byte(want)) {
		c.message(w, r, http.StatusForbidden, "auth.denied", "auth.denied")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: au.secure()})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
