package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/prometheus/client_golang/prometheus"
)

// callInfo travels in the request context from the method that builds a
// request to the transport and the retry policy, which cannot otherwise
// tell a search from a create.
type callInfo struct {
	endpoint string // path template for metrics, e.g. /crm/v3/objects/deals/{id}
	search   bool   // counts against the search limit too
	create   bool   // not idempotent: never replayed after an ambiguous failure
}

type callKey struct{}

func withCall(ctx context.Context, info callInfo) context.Context {
	return context.WithValue(ctx, callKey{}, info)
}

func callFrom(ctx context.Context) callInfo {
	info, _ := ctx.Value(callKey{}).(callInfo)
	return info
}

// metrics are the client's Prometheus series; nil fields when no
// Registerer was given.
type metrics struct {
	requests    *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	remaining   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_hubspot_requests_total",
			Help: "HTTP calls to HubSpot by endpoint template and status code (error: no answer).",
		}, []string{"endpoint", "code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_hubspot_rate_limited_total",
			Help: "429 answers from HubSpot by rate limit policy.",
		}, []string{"policy"}),
		remaining: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "alusta_hubspot_ratelimit_remaining",
			Help: "Calls left in HubSpot's rolling window as the client counts them.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.rateLimited, m.remaining} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// transport sits under the retrying client, so every attempt, retries
// included, takes a rate-limit slot, is counted and is measured.
type transport struct {
	base    http.RoundTripper
	lim     *limiter
	calls   *atomic.Int64
	metrics *metrics
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	info := callFrom(req.Context())
	release, err := t.lim.acquire(req.Context(), info.search)
	if err != nil {
		return nil, err
	}
	t.calls.Add(1)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		release(nil)
		t.count(info, "error")
		return nil, err
	}
	release(resp.Header)
	t.count(info, strconv.Itoa(resp.StatusCode))
	if resp.StatusCode == http.StatusTooManyRequests {
		policy := peekPolicy(resp)
		if policy == PolicyDaily {
			t.lim.blockDaily()
		}
		if t.metrics != nil {
			if policy == "" {
				policy = "unknown"
			}
			t.metrics.rateLimited.WithLabelValues(policy).Inc()
		}
	}
	return resp, nil
}

func (t *transport) count(info callInfo, code string) {
	if t.metrics == nil {
		return
	}
	endpoint := info.endpoint
	if endpoint == "" {
		endpoint = "other"
	}
	t.metrics.requests.WithLabelValues(endpoint, code).Inc()
}

// peekPolicy reads a 429 body's policyName and puts the body back.
func peekPolicy(resp *http.Response) string {
	if resp == nil || resp.Body == nil {
		return ""
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	var e ErrorBody
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.PolicyName
}

// checkRetry is the retry policy. It retries a rolling-window or secondly
// 429, a 5xx and a network error, except that a create is never replayed
// after a 5xx or a network error: HubSpot may have committed it, and a
// blind retry would make a duplicate (CreateOnce handles that case). A
// DAILY 429 and every other 4xx are final.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	info := callFrom(ctx)
	if err != nil {
		var daily *DailyLimitError
		if errors.As(err, &daily) || info.create {
			return false, err
		}
		return true, nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return peekPolicy(resp) != PolicyDaily, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return !info.create, nil
	}
	return false, nil
}

// backoff honours Retry-After up to hi and otherwise waits exponentially
// from lo with full jitter in the upper half, so that parallel callers
// spread out.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if s := resp.Header.Get("Retry-After"); s != "" {
			if secs, err := strconv.Atoi(s); err == nil && secs >= 0 {
				return capDuration(time.Duration(secs)*time.Second, hi)
			}
			if at, err := http.ParseTime(s); err == nil {
				return capDuration(max(time.Until(at), 0), hi)
			}
		}
	}
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = capDuration(d, hi)
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(half+1)
}

func capDuration(d, limit time.Duration) time.Duration {
	if d > limit {
		return limit
	}
	return d
}

// leveled adapts slog to retryablehttp's LeveledLogger. retryablehttp
// logs method and URL only, and alusta's URLs carry no token.
type leveled struct{ l *slog.Logger }

var _ retryablehttp.LeveledLogger = leveled{}

// args renames retryablehttp's "error" key to the project's "err".
func args(kv []any) []any {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "error" {
			kv[i] = "err"
		}
	}
	return kv
}

func (a leveled) Error(msg string, kv ...any) { a.l.Warn("hubspot: "+msg, args(kv)...) }
func (a leveled) Info(msg string, kv ...any)  { a.l.Info("hubspot: "+msg, args(kv)...) }
func (a leveled) Debug(msg string, kv ...any) { a.l.Debug("hubspot: "+msg, args(kv)...) }
func (a leveled) Warn(msg string, kv ...any)  { a.l.Warn("hubspot: "+msg, args(kv)...) }
