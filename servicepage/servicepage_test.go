package servicepage

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

// rig serves the page over loopback with the demo portal as HubSpot and
// the demo companies in a real store, as the daemon would have cached
// them.
type rig struct {
	crm  *sandbox.Server
	srv  *httptest.Server
	logs *bytes.Buffer
}

func newRig(t *testing.T, perHour int) *rig {
	t.Helper()
	return newShadowRig(t, perHour, false)
}

// newShadowRig is newRig with the page in shadow mode or not.
func newShadowRig(t *testing.T, perHour int, shadow bool) *rig {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	crm, err := sandbox.New(sandbox.Options{Seed: "demo", Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crm.Close() })
	hs := httptest.NewServer(crm)
	t.Cleanup(hs.Close)
	client, err := hubspot.New(hubspot.Options{BaseURL: hs.URL, Token: "t", RateLimit: 250, SearchRate: 50})
	if err != nil {
		t.Fatal(err)
	}
	// The test copy of the shipped mapping; the file under mappings/ is
	// the admin's to edit.
	m, err := mappings.Load("../testdata/rules/mappings")
	if err != nil {
		t.Fatal(err)
	}
	pls := map[string][]hubspot.Pipeline{}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if pls[typ], err = client.Pipelines(ctx, typ); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Resolve(pls); err != nil {
		t.Fatal(err)
	}
	if _, err := client.EnsureProperties(ctx, hubspot.Tickets, hubspot.PropertyGroup{Name: "alusta", Label: "alusta"}, m.WrittenProperties(hubspot.Tickets)); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "alusta.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = client.List(ctx, hubspot.Companies, m.Properties(hubspot.Companies), func(page []hubspot.Object) error {
		var recs []store.Record
		for _, o := range page {
			recs = append(recs, store.Record{ID: o.ID, Properties: m.Translate(hubspot.Companies, o.Properties), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt})
		}
		return st.UpsertRecords(ctx, hubspot.Companies, recs)
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	h, err := New(Options{Mapping: m, Directory: StoreDirectory{st}, Tickets: client, Secret: bytes.Repeat([]byte("k"), 32),
		RequestsPerHour: perHour, Shadow: shadow, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{crm: crm, srv: srv, logs: logs}
}

// browser is a client that keeps cookies and does not follow redirects,
// so each answer can be checked.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	return read(t)(c.Get(u))
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (int, string, http.Header) {
	t.Helper()
	return read(t)(c.PostForm(u, form))
}

// read returns a reader of a response: status, body and headers.
func read(t *testing.T) func(*http.Response, error) (int, string, http.Header) {
	return func(resp *http.Response, err error) (int, string, http.Header) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b), resp.Header
	}
}

var hiddenRE = regexp.MustCompile(`name="(csrf|request_id)" value="([^"]+)"`)

// formFields reads the hidden token fields of a rendered page.
func formFields(t *testing.T, page string) url.Values {
	t.Helper()
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], m[2])
	}
	if v.Get("csrf") == "" || v.Get("request_id") == "" {
		t.Fatal("the page has no form tokens")
	}
	return v
}

func TestPageLanguages(t *testing.T) {
	r := newRig(t, 5)
	c := browser(t)
	tests := []struct {
		lang, accept string
		want         []string
	}{
		{lang: "", want: []string{`<html lang="fi">`, "<h1>Palvelut ja järjestöjen toiminta</h1>", "Näsin Kotisiivous Oy", "39,79 €", "Siivous",
			"Olohuone-kahvila, Tampereen Ystävätoiminta ry", "Yksinäisyys", "paikan päällä", "Pyydä yhteydenottoa", `aria-current="page">Suomeksi`}},
		{lang: "sv", want: []string{`<html lang="sv">`, "<h1>Tjänster och organisationernas verksamhet</h1>", "Städning", "39,79 €", "Ensamhet", "Be om kontakt"}},
		{lang: "en", want: []string{`<html lang="en">`, "<h1>Services and NGO activities</h1>", "Cleaning", "39.79 €", "Loneliness", "Ask us to contact you"}},
		{accept: "sv-FI,sv;q=0.9,en;q=0.5", want: []string{`<html lang="sv">`}},
	}
	for _, tt := range tests {
		t.Run(tt.lang+tt.accept, func(t *testing.T) {
			req, _ := http.NewRequest("GET", r.srv.URL+"/palvelut?lang="+tt.lang, nil)
			if tt.accept != "" {
				req.Header.Set("Accept-Language", tt.accept)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("got %d, want 200", resp.StatusCode)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("got CSP %q", csp)
			}
			// The inactive provider and the stopped activity are not shown.
			for _, gone := range []string{"Kotiturva Häme Oy", "Lopetettu kerho"} {
				if strings.Contains(string(b), gone) {
					t.Errorf("page shows %q, which is not active", gone)
				}
			}
		})
	}
	// A filter narrows both lists.
	_, page, _ := get(t, c, r.srv.URL+"/palvelut?kunta=Orivesi&palvelu=siivous&teema=liikunta")
	if strings.Count(page, "<caption>") != 2 || !strings.Contains(page, "<caption>Orivesi</caption>") || !strings.Contains(page, "<caption>Liikunta</caption>") ||
		strings.Contains(page, "Näsin Kotisiivous Oy") || !strings.Contains(page, "Kävelykaverit") {
		t.Errorf("filtered page shows the wrong groups:\n%s", page)
	}
}

func TestCatalogues(t *testing.T) {
	keys := slices.Sorted(maps.Keys(catalogs["fi"].texts))
	for _, l := range languages[1:] {
		if got := slices.Sorted(maps.Keys(catalogs[l].texts)); !slices.Equal(got, keys) {
			t.Errorf("catalogue %s has other keys than fi", l)
		}
	}
	for _, l := range languages {
		for k, v := range catalogs[l].texts {
			if strings.TrimSpace(v) == "" {
				t.Errorf("catalogue %s: %s is empty", l, k)
			}
		}
	}
}

func validForm(tokens url.Values) url.Values {
	f := url.Values{"lang": {"fi"}, "name": {"Testi Asiakas"}, "contact": {"040 123 4567"}, "service": {"siivous"},
		"municipality": {"Tampere"}, "message": {"Etsin siivoojaa kerran viikossa."}, "consent": {"yes"}}
	for k := range tokens {
		f.Set(k, tokens.Get(k))
	}
	return f
}

func palveluhakuTickets(r *rig) []hubspot.Object {
	var out []hubspot.Object
	for _, id := range r.crm.Objects(hubspot.Tickets) {
		o, _ := r.crm.Object(hubspot.Tickets, id)
		if k, _ := o.Prop("alusta_ticket_kind"); k == "palveluhaku" {
			if c, _ := o.Prop("content"); strings.Contains(c, "Testi Asiakas") {
				out = append(out, o)
			}
		}
	}
	return out
}

func TestContactRequest(t *testing.T) {
	r := newRig(t, 5)
	c := browser(t)
	_, page, _ := get(t, c, r.srv.URL+"/palvelut")
	form := validForm(formFields(t, page))

	code, _, hd := post(t, c, r.srv.URL+"/palvelut/yhteydenotto", form)
	if code != http.StatusSeeOther || hd.Get("Location") != "/palvelut/kiitos?lang=fi" {
		t.Fatalf("got %d to %q, want 303 to the thanks page", code, hd.Get("Location"))
	}
	made := palveluhakuTickets(r)
	if len(made) != 1 {
		t.Fatalf("got %d palveluhaku tickets, want 1", len(made))
	}
	o := made[0]
	for prop, want := range map[string]string{"alusta_service": "siivous", "alusta_municipality": "Tampere", "alusta_language": "fi",
		"source_type": "FORM", "hs_pipeline_stage": "701000011"} {
		if got, _ := o.Prop(prop); got != want {
			t.Errorf("ticket %s: %s is %q, want %q", o.ID, prop, got, want)
		}
	}
	// Sent again (a double click, a reload), the same request makes no
	// second ticket.
	if code, _, _ := post(t, c, r.srv.URL+"/palvelut/yhteydenotto", form); code != http.StatusSeeOther || len(palveluhakuTickets(r)) != 1 {
		t.Errorf("resend: got %d and %d tickets, want 303 and still 1", code, len(palveluhakuTickets(r)))
	}
	if code, body, _ := get(t, c, r.srv.URL+"/palvelut/kiitos?lang=sv"); code != 200 || !strings.Contains(body, "Tack för din kontaktbegäran") {
		t.Errorf("thanks page: got %d", code)
	}
	for _, secret := range []string{"Testi Asiakas", "040 123 4567", "siivoojaa"} {
		if strings.Contains(r.logs.String(), secret) {
			t.Errorf("the log holds the visitor's %q:\n%s", secret, r.logs.String())
		}
	}
}

// TestContactRequestInShadowMode: alusta writes nothing to HubSpot, so a
// valid request is refused with 503, says so in the visitor's language,
// and makes no ticket.
func TestContactRequestInShadowMode(t *testing.T) {
	r := newShadowRig(t, 5, true)
	for lang, want := range map[string]string{"fi": "ei oteta tällä sivulla vastaan juuri nyt", "sv": "tas inte emot på den här sidan just nu",
		"en": "not being taken on this page right now"} {
		c := browser(t)
		_, page, _ := get(t, c, r.srv.URL+"/palvelut?lang="+lang)
		form := validForm(formFields(t, page))
		form.Set("lang", lang)
		code, body, hd := post(t, c, r.srv.URL+"/palvelut/yhteydenotto", form)
		if code != http.StatusServiceUnavailable || hd.Get("Retry-After") == "" || !strings.Contains(body, want) {
			t.Errorf("%s: got %d Retry-After %q, want 503 with Retry-After and %q", lang, code, hd.Get("Retry-After"), want)
		}
	}
	if made := palveluhakuTickets(r); len(made) != 0 {
		t.Fatalf("shadow mode made %d palveluhaku tickets, want none", len(made))
	}
}

func TestContactRequestRefused(t *testing.T) {
	r := newRig(t, 3)
	c := browser(t)
	_, page, _ := get(t, c, r.srv.URL+"/palvelut")
	tokens := formFields(t, page)
	tests := []struct {
		name   string
		form   url.Values
		client *http.Client
		code   int
		want   []string
	}{
		{name: "every problem listed", form: url.Values{"lang": {"fi"}, "csrf": {tokens.Get("csrf")}, "request_id": {tokens.Get("request_id")},
			"contact": {"ei numero"}, "service": {"uinti"}, "message": {strings.Repeat("x", 1001)}}, code: 400,
			want: []string{"Lomakkeessa on virheitä", `href="#f-name"`, "Kirjoita nimesi", "Kirjoita puhelinnumero", "Valitse palvelu.", "Valitse kunta.",
				"enintään 1000 merkkiä", "Hyväksy tietojesi käsittely", `value="ei numero"`, `aria-invalid="true"`}},
		{name: "no form token", form: validForm(url.Values{}), code: 403, want: []string{"Lomake oli vanhentunut"}},
		{name: "a token from another visitor", form: validForm(tokens), client: browser(t), code: 403},
		{name: "a bot fills the honeypot", form: func() url.Values { f := validForm(tokens); f.Set("website", "http://spam.example"); return f }(), code: 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := c
			if tt.client != nil {
				cl = tt.client
			}
			code, body, _ := post(t, cl, r.srv.URL+"/palvelut/yhteydenotto", tt.form)
			if code != tt.code {
				t.Errorf("got %d, want %d", code, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer lacks %q", w)
				}
			}
		})
	}
	if n := len(palveluhakuTickets(r)); n != 0 {
		t.Errorf("refused requests made %d tickets", n)
	}
	// The limit is three requests an hour per address; the invalid one
	// above counted.
	f := validForm(tokens)
	f.Set("request_id", strings.Repeat("a", 32))
	if code, _, _ := post(t, c, r.srv.URL+"/palvelut/yhteydenotto", f); code != 303 {
		t.Errorf("second request: got %d, want 303", code)
	}
	f.Set("request_id", strings.Repeat("b", 32))
	if code, _, _ := post(t, c, r.srv.URL+"/palvelut/yhteydenotto", f); code != 303 {
		t.Errorf("third request: got %d, want 303", code)
	}
	f.Set("request_id", strings.Repeat("c", 32))
	if code, body, _ := post(t, c, r.srv.URL+"/palvelut/yhteydenotto", f); code != 429 || !strings.Contains(body, "useita pyyntöjä") {
		t.Errorf("fourth request: got %d, want 429", code)
	}
	if n := len(palveluhakuTickets(r)); n != 2 {
		t.Errorf("got %d tickets, want 2", n)
	}
	big := validForm(tokens)
	big.Set("message", strings.Repeat("x", 20<<10))
	if code, _, _ := post(t, c, r.srv.URL+"/palvelut/yhteydenotto", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized request: got %d, want 413", code)
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(2, time.Hour, 2)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"a", 0, true}, {"a", time.Minute, true}, {"a", 2 * time.Minute, false},
		{"b", 3 * time.Minute, true},
		{"c", 4 * time.Minute, false}, // full of live addresses
		{"a", 61 * time.Minute, true}, // the first event has left the window
		{"c", 3 * time.Hour, true},    // old addresses are forgotten
	}
	for i, s := range steps {
		if got := l.allow(s.key, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%s at %s): got %t, want %t", i, s.key, s.at, got, s.want)
		}
	}
}
