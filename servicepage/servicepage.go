// Package servicepage serves /palvelut, the public service menu: the
// providers with their prices by municipality and service, the NGO
// activities by theme and municipality, and a contact request form for
// self-paying clients that becomes a palveluhaku ticket in HubSpot. It is
// a top-level package because it is neither a connector nor rules: it is
// a public web page, and the public listener it is mounted on (public.addr)
// belongs to the order loop's package, which this one does not depend on.
//
// The page shows public business information only. A contact request's
// personal data goes to HubSpot in the ticket and is kept nowhere by
// alusta: not in its store, not in a log line.
package servicepage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
)

//go:embed templates/*.html
var templateFS embed.FS

// Directory lists the companies the page shows: providers and NGO
// activities.
type Directory interface {
	Companies(ctx context.Context) ([]pipelines.Provider, []pipelines.Activity, error)
}

// TicketCreator creates the palveluhaku ticket of a contact request, once
// per key however often the visitor presses send.
type TicketCreator interface {
	CreateOnce(ctx context.Context, objType, key string, in hubspot.ObjectInput) (*hubspot.Object, error)
}

var _ TicketCreator = (*hubspot.Client)(nil)

// Options configure a Handler.
type Options struct {
	// Mapping is resolved against the portal: the request ticket goes to
	// its ticket pipeline's first stage (new).
	Mapping   *mappings.Mapping
	Directory Directory
	Tickets   TicketCreator
	// Secret signs the form's CSRF token; from configuration, at least
	// 32 bytes.
	Secret []byte
	// RequestsPerHour is how many contact requests one address may send
	// in an hour; default 5.
	RequestsPerHour int
	// Shadow (sync.mode: shadow) creates no ticket: a request is refused
	// (503) and the page says so, since alusta writes nothing to HubSpot.
	Shadow bool
	Now    func() time.Time
	Log    *slog.Logger
}

// Handler serves GET /palvelut, POST /palvelut/yhteydenotto and GET
// /palvelut/kiitos.
type Handler struct {
	m       *mappings.Mapping
	dir     Directory
	tickets TicketCreator
	secret  []byte
	now     func() time.Time
	log     *slog.Logger
	shadow  bool
	limit   *limiter
	tmpl    *template.Template
	mux     *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

// New returns the page's handler.
func New(o Options) (*Handler, error) {
	switch {
	case o.Mapping == nil || !o.Mapping.Resolved():
		return nil, errors.New("servicepage: a resolved mapping is required")
	case o.Directory == nil || o.Tickets == nil:
		return nil, errors.New("servicepage: a directory and a ticket creator are required")
	case len(o.Secret) < 32:
		return nil, errors.New("servicepage: the form secret must be at least 32 bytes")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.RequestsPerHour <= 0 {
		o.RequestsPerHour = 5
	}
	tmpl, err := template.New("page").Funcs(template.FuncMap{"t": func(c catalog, key string) string { return c.t(key) }}).
		ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("servicepage: templates: %w", err)
	}
	h := &Handler{m: o.Mapping, dir: o.Directory, tickets: o.Tickets, secret: o.Secret, now: o.Now, log: o.Log, shadow: o.Shadow,
		limit: newLimiter(o.RequestsPerHour, time.Hour, 10000), tmpl: tmpl, mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /palvelut", h.page)
	h.mux.HandleFunc("POST /palvelut/yhteydenotto", h.contact)
	h.mux.HandleFunc("GET /palvelut/kiitos", h.thanks)
	return h, nil
}

// ServeHTTP serves the page's routes with headers every response needs.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}
