package console

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestCheckExposure(t *testing.T) {
	tests := []struct {
		addr, mode string
		wantErr    bool
	}{
		{addr: "127.0.0.1:8080", mode: "none"},
		{addr: "127.0.0.1:8080", mode: ""},
		{addr: "[::1]:8080", mode: "none"},
		{addr: "localhost:8080", mode: "none"},
		{addr: "0.0.0.0:8080", mode: "none", wantErr: true},
		{addr: ":8080", mode: "none", wantErr: true},
		{addr: "10.1.2.3:8080", mode: "", wantErr: true},
		{addr: "0.0.0.0:8080", mode: "oidc"},
		{addr: ":8080", mode: "proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.addr+" "+tt.mode, func(t *testing.T) {
			err := CheckExposure(tt.addr, tt.mode)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "is not a loopback address: refusing to serve the console without sign-in") {
				t.Errorf("error does not say why: %v", err)
			}
		})
	}
	st := openStore(t)
	if _, err := New(t.Context(), Options{Store: st, Addr: "0.0.0.0:8080"}); err == nil {
		t.Error("New served an unprotected console beyond loopback")
	}
}

func TestProxyAuth(t *testing.T) {
	st := openStore(t)
	grow(t, st, 10, 10)
	tests := []struct {
		name    string
		trusted string
		user    string
		groups  string
		status  int
	}{
		{name: "trusted proxy, allowed group", trusted: "127.0.0.1", user: "aino", groups: "staff, valvomo", status: 200},
		{name: "trusted range, allowed group", trusted: "10.0.0.0/8, 127.0.0.0/8", user: "aino", groups: "valvomo", status: 200},
		{name: "no allowed group", trusted: "127.0.0.1", user: "aino", groups: "staff", status: 403},
		{name: "no user", trusted: "127.0.0.1", groups: "valvomo", status: 403},
		{name: "headers from an untrusted address", trusted: "10.0.0.0/8", user: "aino", groups: "valvomo", status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trusted, err := ParsePrefixes(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			c := newConsole(t, Options{Store: st, Addr: "0.0.0.0:8080", Auth: Auth{Mode: "proxy", Trusted: trusted, AllowedGroups: []string{"valvomo"}}})
			srv := server(t, c)
			req, _ := http.NewRequest("GET", srv.URL+"/", nil)
			if tt.user != "" {
				req.Header.Set("X-Forwarded-User", tt.user)
			}
			req.Header.Set("X-Forwarded-Groups", tt.groups)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	if _, err := ParsePrefixes("10.0.0.0/8, proxy.local"); err == nil || !strings.Contains(err.Error(), `"proxy.local"`) {
		t.Errorf("a bad proxy address: got %v, want an error naming it", err)
	}
}

// provider is a small OpenID Connect provider over loopback HTTP: it signs
// people in at once as user with groups, as a real one does after its login
// form, and checks PKCE.
type provider struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	signer *rsa.PrivateKey // signs ID tokens; another key than key forges them
	user   string
	groups []string

	mu    sync.Mutex
	codes map[string][2]string // code -> nonce, PKCE challenge
}

func newProvider(t *testing.T, user string, groups ...string) *provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{key: key, signer: key, user: user, groups: groups, codes: map[string][2]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"code_challenge_methods_supported": []string{"S256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != "alusta" || q.Get("code_challenge_method") != "S256" {
			http.Error(w, "bad authorization request", http.StatusBadRequest)
			return
		}
		code := randomString()
		p.mu.Lock()
		p.codes[code] = [2]string{q.Get("nonce"), q.Get("code_challenge")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok {
			id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
		}
		p.mu.Lock()
		c, found := p.codes[r.PostFormValue("code")]
		delete(p.codes, r.PostFormValue("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if id != "alusta" || secret != "s3cret" || !found || base64.RawURLEncoding.EncodeToString(sum[:]) != c[1] {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.signer}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		if err != nil {
			t.Error(err)
			return
		}
		claims, _ := json.Marshal(map[string]any{"iss": p.srv.URL, "sub": "u-1", "aud": "alusta", "nonce": c[0],
			"iat": testNow.Unix(), "exp": testNow.Add(time.Hour).Unix(), "name": p.user, "groups": p.groups})
		jws, err := sig.Sign(claims)
		if err != nil {
			t.Error(err)
			return
		}
		raw, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": raw})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// oidcConsole serves a console that signs people in at p.
func oidcConsole(t *testing.T, p *provider) *httptest.Server {
	t.Helper()
	st := openStore(t)
	grow(t, st, 10, 10)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h = newConsole(t, Options{Store: st, Addr: "0.0.0.0:8080", Auth: Auth{Mode: "oidc", Issuer: p.srv.URL, ClientID: "alusta",
		ClientSecret: "s3cret", RedirectURL: srv.URL + "/auth/callback", AllowedGroups: []string{"valvomo"}, HTTPClient: p.srv.Client()}})
	return srv
}

func browserClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func TestOIDCSignIn(t *testing.T) {
	p := newProvider(t, "Aino Virtanen", "staff", "valvomo")
	srv := oidcConsole(t, p)
	client := browserClient(t)
	status, body := get(t, client, srv.URL+"/trends?weeks=4")
	if status != http.StatusOK || !strings.Contains(body, "Kirjautunut: Aino Virtanen") || !strings.Contains(body, `<h1>Kehitys</h1>`) {
		t.Fatalf("after signing in: got %d, want the trends page for Aino Virtanen\n%s", status, body)
	}
	// The session holds: no second trip to the provider.
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if status, _ := get(t, &noRedirect, srv.URL+"/sync"); status != http.StatusOK {
		t.Errorf("second page: got %d, want 200 from the session", status)
	}
	// Signing out needs the form's token.
	resp, err := noRedirect.PostForm(srv.URL+"/auth/logout", url.Values{"csrf": {"forged"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out with a forged token: got %d, want 403", resp.StatusCode)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if csrf == nil {
		t.Fatal("no sign-out form on the page")
	}
	resp, err = noRedirect.PostForm(srv.URL+"/auth/logout", url.Values{"csrf": {csrf[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: got %d, want 303", resp.StatusCode)
	}
	resp, err = noRedirect.Get(srv.URL + "/sync")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/auth/login?next=") {
		t.Errorf("after signing out: got %d to %q, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestOIDCRefusals(t *testing.T) {
	t.Run("no allowed group", func(t *testing.T) {
		p := newProvider(t, "Mikko Korhonen", "staff")
		srv := oidcConsole(t, p)
		status, body := get(t, browserClient(t), srv.URL+"/")
		if status != http.StatusForbidden || !strings.Contains(body, "Sinulla ei ole oikeutta valvomoon.") {
			t.Errorf("got %d, want 403 saying so", status)
		}
	})
	t.Run("token signed by another key", func(t *testing.T) {
		p := newProvider(t, "Aino Virtanen", "valvomo")
		forger, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		p.signer = forger
		srv := oidcConsole(t, p)
		if status, _ := get(t, browserClient(t), srv.URL+"/"); status != http.StatusUnauthorized {
			t.Errorf("got %d, want 401", status)
		}
	})
	t.Run("callback without the login's state", func(t *testing.T) {
		p := newProvider(t, "Aino Virtanen", "valvomo")
		srv := oidcConsole(t, p)
		if status, _ := get(t, browserClient(t), srv.URL+"/auth/callback?code=x&state=y"); status != http.StatusBadRequest {
			t.Errorf("got %d, want 400", status)
		}
	})
	t.Run("forged session cookie", func(t *testing.T) {
		p := newProvider(t, "Aino Virtanen", "valvomo")
		srv := oidcConsole(t, p)
		forged := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"u":"mallory","e":%d,"i":"x"}`, testNow.Add(time.Hour).Unix()))) + ".AAAA"
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: forged})
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("got %d, want a redirect to sign in", resp.StatusCode)
		}
	})
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/trends?weeks=4":        "/trends?weeks=4",
		"https://evil.example/x": "/",
		"//evil.example/x":       "/",
		`/\evil.example`:         "/",
		"":                       "/",
		"trends":                 "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q): got %q, want %q", in, got, want)
		}
	}
}
