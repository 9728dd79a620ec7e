// Package public is alusta's public listener (public.addr): what outsiders
// reach through a reverse proxy. It serves the orderers' intake API, its
// OpenAPI document, providers' order pages behind signed links and
// HubSpot's webhook deliveries. Operations (health, metrics) never share
// this listener.
//
// It is a top-level package because a public web surface fits none of the
// mandated folders; the developers' guide names "a web UI or the intake
// API" as the case for one.
package public

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/intake"
	"github.com/alusta/alusta/store"
)

// Limits of the public listener.
const (
	MaxAPIBody  = 64 << 10 // an order is a few kilobytes
	MaxFormBody = 8 << 10
)

// Options configure a Server.
type Options struct {
	Intake    *intake.Intake
	Forwarder *forward.Forwarder
	Store     *store.Store
	// BaseURL is public.base_url, put into status URLs.
	BaseURL string
	// HubSpotHook, when set, takes HubSpot's webhook deliveries at
	// POST /webhooks/hubspot: HubSpot reaches it from the internet, and it
	// authenticates each delivery by its v3 signature.
	HubSpotHook http.Handler
	// ServicePage, when set, serves the public service menu and its
	// contact form (GET /palvelut, POST /palvelut/yhteydenotto, GET
	// /palvelut/kiitos; see package servicepage). It is a public page, so
	// it lives on this listener, never beside the operations endpoints.
	ServicePage http.Handler
	// RateLimit is requests per minute per client address; zero means 120.
	RateLimit int
	// Shadow (sync.mode: shadow): alusta writes nothing to HubSpot, so the
	// API takes no orders or cancellations (503, Retry-After) and the
	// signed pages take no answers; status and the pages still show.
	Shadow bool
	Now    func() time.Time
	Log    *slog.Logger
}

// Server is the public HTTP surface.
type Server struct {
	in      *intake.Intake
	fw      *forward.Forwarder
	st      *store.Store
	base    string
	now     func() time.Time
	log     *slog.Logger
	limiter *limiter
	api     *apiValidator
	shadow  bool
	handler http.Handler
}

// New returns a server.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("public: a store is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 120
	}
	v, err := newAPIValidator()
	if err != nil {
		return nil, err
	}
	s := &Server{in: opts.Intake, fw: opts.Forwarder, st: opts.Store, base: strings.TrimRight(opts.BaseURL, "/"),
		now: opts.Now, log: opts.Log, limiter: newLimiter(opts.RateLimit, time.Minute, opts.Now), api: v, shadow: opts.Shadow}
	s.handler = s.routes(opts.HubSpotHook, opts.ServicePage)
	return s, nil
}

// routes is the one table of what the public listener serves. The rate
// limit is per client address for the API and the pages; HubSpot's
// webhook is exempt, since all its deliveries come from a few HubSpot
// addresses in bursts, and each is authenticated by its signature.
func (s *Server) routes(hook, servicePage http.Handler) http.Handler {
	mux := http.NewServeMux()
	limited := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.limit(h)) }
	limited("GET /api/v1/openapi.json", s.openAPI)
	if s.in != nil {
		limited("POST /api/v1/orders", s.orderCreate)
		limited("GET /api/v1/orders/{ref}", s.orderStatus)
		limited("POST /api/v1/orders/{ref}/cancel", s.orderCancel)
	}
	if s.fw != nil {
		limited("GET "+forward.PathPrefix+"{token}", s.orderPage)
		limited("POST "+forward.PathPrefix+"{token}", s.orderAnswer)
		limited("GET "+forward.ReferralPathPrefix+"{token}", s.referralPage)
		limited("POST "+forward.ReferralPathPrefix+"{token}", s.referralAnswer)
	}
	if servicePage != nil {
		// The page sets its own, stricter headers over secure's, and
		// limits contact requests per address on top of this limit.
		limited("GET /palvelut", servicePage.ServeHTTP)
		limited("POST /palvelut/yhteydenotto", servicePage.ServeHTTP)
		limited("GET /palvelut/kiitos", servicePage.ServeHTTP)
	}
	if hook != nil {
		mux.Handle("POST /webhooks/hubspot", hook)
	}
	return s.secure(mux)
}

// Handler is the server's handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until ctx ends. Timeouts bound slow clients: a
// request's headers must arrive in 5 s and its body in 15 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && e != nil {
		return e
	}
	return err
}
