// Package console is alusta's operations console: read-only web pages that
// show the queues, SLA clocks, provider load, trends, sync health and one
// record's decisions, for the integrator's management and coordinators.
// It is a top-level package because it is a web UI, a job that none of the
// mandated folders (cmd, config, connector, pipelines, mappings) nor the
// daemon, store or report packages fits.
//
// Pages are server-rendered with html/template, charts are inline SVG drawn
// on the server, and nothing needs JavaScript. Texts come from one
// catalogue per language (Finnish first, Swedish, English); times are shown
// in Helsinki time; people and providers by name, not id. The console reads
// only through store queries and is served on the operations listener
// (http.addr), never on a public one. Beyond loopback it refuses to run
// unprotected (see Auth).
package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// CRM reads one record live, for the sandbox's own view of a record in
// demo mode. *hubspot.Client implements it.
type CRM interface {
	Get(ctx context.Context, objType, id string, props []string) (*hubspot.Object, error)
}

var _ CRM = (*hubspot.Client)(nil)

// QuotaSource reports the daily API quota as the HubSpot client knows it.
// *hubspot.Client implements it.
type QuotaSource interface {
	Quota() hubspot.Quota
}

var _ QuotaSource = (*hubspot.Client)(nil)

// Options configure a Console.
type Options struct {
	Store *store.Store
	// Addr is the listener's address (http.addr): beyond loopback the
	// console refuses to start without Auth.
	Addr string
	Auth Auth
	// Gatherer gives the live counters /metrics shows (429 answers); nil
	// leaves them out.
	Gatherer prometheus.Gatherer
	// PortalID makes links to records in HubSpot; empty in demo mode.
	PortalID string
	// Sandbox, in demo mode, is the embedded sandbox whose view of a
	// record the record page links to; nil otherwise.
	Sandbox CRM
	// Mapping translates the sandbox's properties to alusta's names, as
	// the cache keeps them; nil means the default mapping.
	Mapping *mappings.Mapping
	// DailyLimit is the portal's daily API quota (hubspot.daily_limit).
	DailyLimit int
	// Quota is the live HubSpot client's view of the quota; nil leaves an
	// estimate from the calls of the cycles the store remembers.
	Quota QuotaSource
	// Loc is the time zone pages show (Europe/Helsinki).
	Loc *time.Location
	Now func() time.Time
	Log *slog.Logger
}

// Console serves the pages. It is an http.Handler.
type Console struct {
	opts  Options
	cats  catalogues
	pages map[string]*template.Template
	auth  *authenticator
	mux   *http.ServeMux
}

var _ http.Handler = (*Console)(nil)

// route is one page or action; routes lists them all in one table.
type route struct {
	pattern string
	handler func(c *Console, w http.ResponseWriter, r *http.Request)
	// open routes are served without a signed-in user (the sign-in flow
	// itself and the style sheet).
	open bool
}

var routes = []route{
	{pattern: "GET /{$}", handler: (*Console).now},
	{pattern: "GET /trends", handler: (*Console).trends},
	{pattern: "GET /sync", handler: (*Console).health},
	{pattern: "GET /record", handler: (*Console).record},
	{pattern: "GET /sandbox/{type}/{id}", handler: (*Console).sandboxView},
	{pattern: "GET /static/", handler: (*Console).static, open: true},
	{pattern: "GET /auth/login", handler: (*Console).login, open: true},
	{pattern: "GET /auth/callback", handler: (*Console).callback, open: true},
	{pattern: "POST /auth/logout", handler: (*Console).logout, open: true},
}

// New builds the console. ctx bounds the OIDC provider discovery only.
func New(ctx context.Context, o Options) (*Console, error) {
	if o.Store == nil {
		return nil, errors.New("console: a store is required")
	}
	if o.Loc == nil {
		loc, err := time.LoadLocation("Europe/Helsinki")
		if err != nil {
			return nil, fmt.Errorf("console: time zone: %w", err)
		}
		o.Loc = loc
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if err := CheckExposure(o.Addr, o.Auth.Mode); err != nil {
		return nil, err
	}
	cats, err := loadCatalogues()
	if err != nil {
		return nil, err
	}
	c := &Console{opts: o, cats: cats, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	for _, name := range []string{"now", "trends", "health", "record", "sandbox", "message"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	if c.auth, err = newAuthenticator(ctx, o.Auth, o.Now); err != nil {
		return nil, err
	}
	for _, r := range routes {
		fn := r.handler
		h := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { fn(c, w, req) }))
		if !r.open {
			h = c.auth.require(h, c)
		}
		c.mux.Handle(r.pattern, h)
	}
	return c, nil
}

// funcs are the template helpers beyond the printer's methods.
var funcs = template.FuncMap{
	"add": func(a, b float64) float64 { return a + b },
	"sub": func(a, b float64) float64 { return a - b },
	"tbl": func(p *printer, c chartView) any {
		return struct {
			Summary string
			Chart   chartView
		}{p.T("chart.as_table"), c}
	},
	"base":    path.Base,
	"ternary": func(c bool, a, b any) any { return map[bool]any{true: a, false: b}[c] },
	"deref":   func(t *time.Time) time.Time { return *t },
	"seconds": func(s int64) time.Duration { return time.Duration(s) * time.Second },
}

// CheckExposure refuses an unprotected console (auth mode "none" or "") on a
// listener that others than this machine can reach. alusta run calls it
// before it starts anything else.
func CheckExposure(addr, mode string) error {
	if mode != "" && mode != "none" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("console: http.addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("console: http.addr %s is not a loopback address: refusing to serve the console without sign-in; "+
		"set console.auth to oidc (with console.oidc_issuer, console.oidc_client_id, console.oidc_client_secret, "+
		"console.oidc_redirect_url and console.allowed_groups) or to proxy (with console.proxy_trusted and console.allowed_groups)", addr)
}

// ServeHTTP serves the console with headers that keep its pages from being
// framed, cached or made to run scripts.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// static serves the style sheet.
func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	http.StripPrefix("/static/", http.FileServerFS(staticFS())).ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	P     *printer
	Name  string // the page, for the navigation's current mark
	Title string
	User  string
	Demo  bool
	CSRF  string
	Langs []langLink
	AsOf  time.Time
	Body  any
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

// printerFor picks the language: ?lang=, then the alusta_lang cookie, then
// Finnish.
func (c *Console) printerFor(r *http.Request) *printer {
	lang := "fi"
	if q := r.URL.Query().Get("lang"); c.cats[q] != nil {
		lang = q
	} else if ck, err := r.Cookie("alusta_lang"); err == nil && c.cats[ck.Value] != nil {
		lang = ck.Value
	}
	return &printer{Lang: lang, msgs: c.cats[lang], loc: c.opts.Loc}
}

// rememberLang keeps a language chosen with ?lang= for the next pages.
func (c *Console) rememberLang(w http.ResponseWriter, r *http.Request) {
	if q := r.URL.Query().Get("lang"); c.cats[q] != nil {
		http.SetCookie(w, &http.Cookie{Name: "alusta_lang", Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
}

// render writes a page, or the error page when the template fails, so that
// a half page is never sent.
func (c *Console) render(w http.ResponseWriter, r *http.Request, name, title string, body any) {
	c.renderStatus(w, r, http.StatusOK, name, title, body)
}

// renderStatus is render with a status code other than 200.
func (c *Console) renderStatus(w http.ResponseWriter, r *http.Request, status int, name, title string, body any) {
	p := c.printerFor(r)
	c.rememberLang(w, r)
	pg := page{P: p, Name: name, Title: p.T(title), User: userFrom(r.Context()), Demo: c.opts.Sandbox != nil,
		CSRF: c.auth.csrfToken(r), AsOf: c.opts.Now(), Body: body}
	for _, l := range langs {
		u := *r.URL
		q := u.Query()
		q.Set("lang", l.Code)
		u.RawQuery = q.Encode()
		pg.Langs = append(pg.Langs, langLink{Code: l.Code, Name: l.Name, URL: u.RequestURI(), Current: l.Code == p.Lang})
	}
	var buf bytes.Buffer
	if err := c.pages[name].Execute(&buf, pg); err != nil {
		c.fail(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail logs err and shows the error page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	c.opts.Log.Error("console page failed", "path", r.URL.Path, "err", err)
	c.message(w, r, http.StatusInternalServerError, "error.title", "error.body")
}

// message shows a page with one message and a status code.
func (c *Console) message(w http.ResponseWriter, r *http.Request, status int, title, body string) {
	p := c.printerFor(r)
	pg := page{P: p, Name: "message", Title: p.T(title), User: userFrom(r.Context()), AsOf: c.opts.Now(), Body: p.T(body)}
	for _, l := range langs {
		pg.Langs = append(pg.Langs, langLink{Code: l.Code, Name: l.Name, URL: "?lang=" + l.Code, Current: l.Code == p.Lang})
	}
	var buf bytes.Buffer
	if err := c.pages["message"].Execute(&buf, pg); err != nil {
		c.opts.Log.Error("console message page failed", "err", err)
		http.Error(w, p.T(body), status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// logView records who looked at what, as every view of client data through
// alusta is logged. Ids only: no names or free text reach the log.
func (c *Console) logView(r *http.Request, what string, attrs ...any) {
	c.opts.Log.Info("console view", append([]any{"page", what, "user", userFrom(r.Context()), "remote", r.RemoteAddr}, attrs...)...)
}

// staticFS is the style sheet's folder.
func staticFS() fs.FS {
	sub, _ := fs.Sub(staticFiles, "static")
	return sub
}

// localPath keeps a redirect target on this site: a path, not a URL that
// leaves it.
func localPath(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(s, "//") || strings.Contains(s, "\\") {
		return "/"
	}
	return u.RequestURI()
}
