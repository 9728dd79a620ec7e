package daemon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"
)

// Health is what /readyz answers from: the daemon is ready once its first
// cycle succeeded and while the last one is not too old.
type Health struct {
	lastOK  atomic.Int64 // unix nanos of the last successful cycle
	lastErr atomic.Pointer[string]
}

func (h *Health) ok(at time.Time) {
	h.lastOK.Store(at.UnixNano())
	h.lastErr.Store(nil)
}

func (h *Health) failed(err error) {
	s := err.Error()
	h.lastErr.Store(&s)
}

// Ready reports whether a cycle succeeded within maxAge before now.
func (h *Health) Ready(now time.Time, maxAge time.Duration) (bool, string) {
	last := h.lastOK.Load()
	if last == 0 {
		return false, "no sync cycle has finished yet"
	}
	if age := now.Sub(time.Unix(0, last)); age > maxAge {
		msg := "last successful sync " + age.Round(time.Second).String() + " ago"
		if e := h.lastErr.Load(); e != nil {
			msg += ": " + *e
		}
		return false, msg
	}
	return true, "ok"
}

// Mux builds the daemon's HTTP surface: health, readiness, metrics and the
// HubSpot webhook endpoint.
func Mux(g prometheus.Gatherer, hooks http.Handler, ready func() (bool, string)) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, msg := ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(msg + "\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	if hooks != nil {
		mux.Handle("POST /webhooks/hubspot", hooks)
	}
	return mux
}

// Limits bound what one client can hold of the daemon's HTTP server: a
// slow or idle client must not keep a descriptor open indefinitely, and a
// flood of connections must not exhaust them (the webhook endpoint faces
// the internet).
type Limits struct {
	// ReadTimeout covers the headers and the body; a body trickled in a
	// byte at a time is cut off when it runs out.
	ReadHeaderTimeout, ReadTimeout time.Duration
	WriteTimeout, IdleTimeout      time.Duration
	// MaxConns caps connections open at once; more wait in the kernel's
	// backlog until one closes.
	MaxConns int
	// MaxBody is the largest request body read; larger ones get 413
	// before any handler work.
	MaxBody int64
}

// DefaultLimits suit HubSpot's webhook deliveries (at most 100 events,
// well under 1 MiB) and Prometheus scrapes.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxConns:          256,
		MaxBody:           maxWebhookBody,
	}
}

// Serve runs an HTTP server on ln with DefaultLimits until ctx ends, then
// shuts it down, giving requests in flight five seconds to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return ServeLimited(ctx, ln, h, DefaultLimits())
}

// ServeLimited is Serve with chosen limits.
func ServeLimited(ctx context.Context, ln net.Listener, h http.Handler, l Limits) error {
	if l.MaxConns > 0 {
		ln = netutil.LimitListener(ln, l.MaxConns)
	}
	if l.MaxBody > 0 {
		h = limitBody(h, l.MaxBody)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
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
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// limitBody answers 413 at once to a request that declares a body over max,
// and cuts off one that sends more than it declared or declares nothing.
func limitBody(h http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			w.Header().Set("Connection", "close")
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		h.ServeHTTP(w, r)
	})
}
