package sandbox

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
)

// limiter keeps HubSpot's three limits: a rolling 10-second window for all
// non-search requests, a per-second window for search, and a daily count
// that resets at midnight UTC.
type limiter struct {
	max, searchMax, dailyMax int

	mu       sync.Mutex
	window   []time.Time // admitted non-search requests in the last 10 s, oldest first
	searches []time.Time // admitted searches in the last second
	day      string
	daily    int
}

// rateWindow is the span HubSpot counts its burst limit over (requests
// per 10 s).
const rateWindow = 10 * time.Second

func newLimiter(max, searchMax, dailyMax int) *limiter {
	return &limiter{max: max, searchMax: searchMax, dailyMax: dailyMax}
}

type limitResult struct {
	policy     string // "" when admitted
	retryAfter time.Duration
	max        int
	remaining  int
	dailyMax   int
	dailyLeft  int
}

func (r limitResult) setHeaders(h http.Header) {
	if r.max > 0 {
		h.Set(hubspot.HeaderMax, strconv.Itoa(r.max))
		h.Set(hubspot.HeaderRemaining, strconv.Itoa(r.remaining))
		h.Set(hubspot.HeaderInterval, "10000")
	}
	if r.dailyMax > 0 {
		h.Set(hubspot.HeaderDaily, strconv.Itoa(r.dailyMax))
		h.Set(hubspot.HeaderDailyRemaining, strconv.Itoa(r.dailyLeft))
	}
}

func prune(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return ts[i:]
}

func (l *limiter) take(now time.Time, search bool) limitResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	res := limitResult{max: l.max, dailyMax: l.dailyMax}
	if day := now.UTC().Format(time.DateOnly); day != l.day {
		l.day, l.daily = day, 0
	}
	if l.dailyMax > 0 && l.daily >= l.dailyMax {
		res.policy = hubspot.PolicyDaily
		y, m, d := now.UTC().Date()
		res.retryAfter = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Sub(now)
		return res
	}
	if search {
		l.searches = prune(l.searches, now.Add(-time.Second))
		if l.searchMax > 0 && len(l.searches) >= l.searchMax {
			res.policy = hubspot.PolicySecondly
			res.retryAfter = l.searches[0].Add(time.Second).Sub(now)
			return res
		}
		l.searches = append(l.searches, now)
	} else {
		l.window = prune(l.window, now.Add(-rateWindow))
		if l.max > 0 && len(l.window) >= l.max {
			res.policy = hubspot.PolicyTenSecondly
			res.retryAfter = l.window[0].Add(rateWindow).Sub(now)
			return res
		}
		if l.max > 0 {
			l.window = append(l.window, now)
			res.remaining = l.max - len(l.window)
		}
	}
	l.daily++
	res.dailyLeft = l.dailyMax - l.daily
	return res
}
