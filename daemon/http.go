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

// Serve runs an HTTP server on ln until ctx ends, then shuts it down,
// giving requests in flight five seconds to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
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
