package public

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// secure sets the headers every public answer carries. The referrer policy
// matters most: an order page's URL is its key, and must not leak to
// another site through a Referer header.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

// limit answers 429 to an address past its allowance.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if wait, ok := s.limiter.allow(host); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			writeProblems(w, http.StatusTooManyRequests, problem("", "too many requests from this address; try again later"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limiter counts requests per address in fixed windows. Behind a reverse
// proxy every request comes from the proxy's address, so the proxy should
// limit per client too; this one is the last line.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	hits   map[string]*bucket
}

type bucket struct {
	start time.Time
	n     int
}

func newLimiter(limit int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: window, now: now, hits: make(map[string]*bucket)}
}

// maxTracked bounds the map: past it, expired windows are swept.
const maxTracked = 10000

func (l *limiter) allow(addr string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.hits) > maxTracked {
		for k, b := range l.hits {
			if now.Sub(b.start) >= l.window {
				delete(l.hits, k)
			}
		}
	}
	b := l.hits[addr]
	if b == nil || now.Sub(b.start) >= l.window {
		b = &bucket{start: now}
		l.hits[addr] = b
	}
	if b.n >= l.limit {
		return b.start.Add(l.window).Sub(now), false
	}
	b.n++
	return 0, true
}
