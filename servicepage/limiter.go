package servicepage

import (
	"sync"
	"time"
)

// limiter allows n events per window per key (a client address). It keeps
// at most max keys: when full it forgets the keys whose events have all
// left the window, and if none have, it refuses newcomers rather than
// grow, so a flood of addresses cannot exhaust memory.
type limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	max    int
	seen   map[string][]time.Time
}

func newLimiter(n int, window time.Duration, max int) *limiter {
	return &limiter{n: n, window: window, max: max, seen: map[string][]time.Time{}}
}

// allow records an event for key at now and reports whether it is within
// the limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	cut := now.Add(-l.window)
	ts := l.seen[key]
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= l.n {
		l.seen[key] = ts
		return false
	}
	if _, known := l.seen[key]; !known && len(l.seen) >= l.max {
		for k, v := range l.seen {
			if len(v) == 0 || !v[len(v)-1].After(cut) {
				delete(l.seen, k)
			}
		}
		if len(l.seen) >= l.max {
			return false
		}
	}
	l.seen[key] = append(ts, now)
	return true
}
