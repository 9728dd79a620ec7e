package hubspot

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter paces every call of one Client. It keeps three budgets:
//
//   - the rolling window (HubSpot's TEN_SECONDLY_ROLLING: 100, 190 or 250
//     calls per 10 s, depending on the account);
//   - the search window (5 calls per second per token; search answers carry
//     no rate-limit headers, so only the local count paces them);
//   - the daily quota.
//
// A call holds a slot from the moment it is sent until its answer arrives,
// and the slot stays counted for one window after that. Counting from the
// answer rather than the send means the server, which counts arrivals,
// never sees more than the limit inside any window whatever the latency.
// The X-HubSpot-RateLimit-* headers correct the local count: other
// integrations on the same account share the window, so when HubSpot says
// fewer calls remain than the local count thinks, phantom slots fill the
// difference.
//
// The windows use the wall clock (time.Now) because they pace real
// requests; the injected clock only decides when the daily quota resets.
type limiter struct {
	now  func() time.Time // injected clock, for the daily reset
	zone *time.Location   // where the daily quota resets at midnight

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever a slot is freed

	window time.Duration
	limit  int
	slots  []*slot

	searchWindow time.Duration
	searchLimit  int
	searchSlots  []*slot

	dailyLimit     int       // 0: unknown until a header says
	dailyUsed      int       // calls counted since dailyStart
	dailyRemaining int       // from the last header; -1 unknown
	dailyReset     time.Time // when the current day's quota resets
	dailyBlocked   bool      // the server answered a DAILY 429

	remaining func(float64) // gauge hook, may be nil
}

type slot struct {
	start time.Time // when the call was sent
	end   time.Time // when its answer came; zero while in flight
}

func newLimiter(limit, searchLimit, daily int, now func() time.Time, zone *time.Location) *limiter {
	l := &limiter{
		now:            now,
		zone:           zone,
		changed:        make(chan struct{}),
		window:         10 * time.Second,
		limit:          limit,
		searchWindow:   time.Second,
		searchLimit:    searchLimit,
		dailyLimit:     daily,
		dailyRemaining: -1,
	}
	l.dailyReset = l.nextReset(now())
	return l
}

func (l *limiter) nextReset(t time.Time) time.Time {
	y, m, d := t.In(l.zone).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, l.zone)
}

// prune drops slots whose window has passed.
func prune(slots []*slot, cut time.Time) []*slot {
	out := slots[:0]
	for _, s := range slots {
		if s.end.IsZero() || s.end.After(cut) {
			out = append(out, s)
		}
	}
	for i := len(out); i < len(slots); i++ {
		slots[i] = nil
	}
	return out
}

// live counts the slots in flight or answered after cut.
func live(slots []*slot, cut time.Time) int {
	n := 0
	for _, s := range slots {
		if s.end.IsZero() || s.end.After(cut) {
			n++
		}
	}
	return n
}

// waitFor returns how long until one of slots frees, and false when all
// are in flight (the caller then waits for a release).
func waitFor(slots []*slot, window time.Duration, now time.Time) (time.Duration, bool) {
	var best time.Duration
	found := false
	for _, s := range slots {
		if s.end.IsZero() || !s.end.Add(window).After(now) {
			continue
		}
		d := s.end.Add(window).Sub(now)
		if !found || d < best {
			best, found = d, true
		}
	}
	return best, found
}

// acquire waits for a slot in the rolling window (and the search window
// when search is true) and returns the function that releases it with the
// answer's headers (nil when there was no answer).
func (l *limiter) acquire(ctx context.Context, search bool) (func(http.Header), error) {
	for {
		l.mu.Lock()
		if err := l.dailyCheck(); err != nil {
			l.mu.Unlock()
			return nil, err
		}
		wall := time.Now()
		// Slots are kept a window longer than they count, so that adapt
		// can still see the ones live when a slow call was sent.
		l.slots = prune(l.slots, wall.Add(-2*l.window))
		l.searchSlots = prune(l.searchSlots, wall.Add(-l.searchWindow))
		full := live(l.slots, wall.Add(-l.window)) >= l.limit
		searchFull := search && len(l.searchSlots) >= l.searchLimit
		if !full && !searchFull {
			s := &slot{start: wall}
			l.slots = append(l.slots, s)
			var ss *slot
			if search {
				ss = &slot{start: wall}
				l.searchSlots = append(l.searchSlots, ss)
			}
			l.dailyUsed++
			if l.dailyRemaining > 0 {
				l.dailyRemaining--
			}
			l.mu.Unlock()
			var once sync.Once
			return func(h http.Header) {
				once.Do(func() { l.release(s, ss, h) })
			}, nil
		}
		var wait time.Duration
		known := true
		if full {
			wait, known = waitFor(l.slots, l.window, wall)
		}
		if searchFull {
			w, ok := waitFor(l.searchSlots, l.searchWindow, wall)
			if !full || (ok && w > wait) {
				wait, known = w, ok
			}
		}
		changed := l.changed
		l.mu.Unlock()

		var timer *time.Timer
		var fired <-chan time.Time
		if known {
			timer = time.NewTimer(max(wait, time.Millisecond))
			fired = timer.C
		}
		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-changed:
		case <-fired:
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return nil, err
		}
	}
}

// dailyCheck fails when the daily quota is spent; l.mu is held.
func (l *limiter) dailyCheck() error {
	now := l.now()
	if !now.Before(l.dailyReset) {
		l.dailyReset = l.nextReset(now)
		l.dailyUsed, l.dailyRemaining, l.dailyBlocked = 0, -1, false
	}
	spent := l.dailyBlocked || l.dailyRemaining == 0 ||
		(l.dailyLimit > 0 && l.dailyRemaining < 0 && l.dailyUsed >= l.dailyLimit)
	if spent {
		return &DailyLimitError{ResetAt: l.dailyReset}
	}
	return nil
}

// blockDaily records a DAILY 429 and returns the error to report.
func (l *limiter) blockDaily() *DailyLimitError {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !now.Before(l.dailyReset) {
		l.dailyReset = l.nextReset(now)
	}
	l.dailyBlocked = true
	return &DailyLimitError{ResetAt: l.dailyReset}
}

func (l *limiter) release(s, ss *slot, h http.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	wall := time.Now()
	s.end = wall
	if ss != nil {
		ss.end = wall
	}
	if h != nil {
		l.adapt(h, s.start, wall)
	}
	if l.remaining != nil {
		l.remaining(float64(max(l.limit-live(l.slots, wall.Add(-l.window)), 0)))
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// adapt folds HubSpot's rate-limit headers into the local count; l.mu is
// held. HubSpot's remaining count was taken when the call arrived, so it
// is compared with the slots live at the call's start; the phantom slots
// that make up a shortfall live a window from the answer.
func (l *limiter) adapt(h http.Header, sent, wall time.Time) {
	if ms, ok := headerInt(h, HeaderInterval); ok && ms > 0 {
		l.window = time.Duration(ms) * time.Millisecond
	}
	if m, ok := headerInt(h, HeaderMax); ok && m > 0 && m < l.limit {
		l.limit = m
	}
	if r, ok := headerInt(h, HeaderRemaining); ok {
		used := l.limit - r
		for n := live(l.slots, sent.Add(-l.window)); n < used; n++ {
			l.slots = append(l.slots, &slot{start: sent, end: wall})
		}
	}
	if d, ok := headerInt(h, HeaderDaily); ok && d > 0 {
		l.dailyLimit = d
	}
	if r, ok := headerInt(h, HeaderDailyRemaining); ok {
		l.dailyRemaining = max(r, 0)
	}
}
