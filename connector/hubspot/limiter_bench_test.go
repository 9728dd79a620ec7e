package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// windowServer enforces HubSpot's rolling limit on arrivals: at most limit
// requests in any window, else 429 TEN_SECONDLY_ROLLING. It answers with
// the X-HubSpot-RateLimit-* headers as HubSpot does.
type windowServer struct {
	limit    int
	window   time.Duration
	mu       sync.Mutex
	arrivals []time.Time
	tooMany  atomic.Int64
	ok       atomic.Int64
}

func (s *windowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	keep := s.arrivals[:0]
	for _, a := range s.arrivals {
		if now.Sub(a) < s.window {
			keep = append(keep, a)
		}
	}
	s.arrivals = keep
	over := len(s.arrivals) >= s.limit
	if !over {
		s.arrivals = append(s.arrivals, now)
	}
	remaining := s.limit - len(s.arrivals)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderMax, strconv.Itoa(s.limit))
	w.Header().Set(HeaderRemaining, strconv.Itoa(max(remaining, 0)))
	w.Header().Set(HeaderInterval, strconv.Itoa(int(s.window/time.Millisecond)))
	if over {
		s.tooMany.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(rateLimited(PolicyTenSecondly)))
		return
	}
	s.ok.Add(1)
	w.Write([]byte(okObject))
}

// BenchmarkRateLimiter drives 4 concurrent callers, 300 calls in all,
// against a server enforcing 100 calls per window (shortened from 10 s to
// 500 ms to keep the benchmark bounded) and reports the 429s provoked
// (goal: 0) and the throughput as a share of the limit (goal: near 1).
func BenchmarkRateLimiter(b *testing.B) {
	const (
		limit   = 100
		window  = 500 * time.Millisecond
		total   = 300
		workers = 4
	)
	var tooMany, ok int64
	var elapsed time.Duration
	for range b.N {
		s := &windowServer{limit: limit, window: window}
		srv := wrapped(b, s)
		c, err := New(Options{BaseURL: srv.URL, Token: "pat-na1-bench", RateLimit: limit,
			RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: window})
		if err != nil {
			b.Fatal(err)
		}
		c.lim.window = window
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= total {
					if _, err := c.Get(context.Background(), Tickets, "512", nil); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed += time.Since(start)
		tooMany += s.tooMany.Load()
		ok += s.ok.Load()
		srv.Close()
	}
	// 300 calls at 100 per window need just over two windows: the first
	// 100 go at once, each later hundred one window after its slots' answers.
	ideal := time.Duration(total/limit-1) * window
	b.ReportMetric(float64(tooMany)/float64(b.N), "429s/op")
	b.ReportMetric(float64(ok)/float64(b.N), "calls/op")
	b.ReportMetric(ideal.Seconds()/(elapsed.Seconds()/float64(b.N)), "throughput/limit")
}
