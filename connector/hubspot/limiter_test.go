package hubspot

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// blocked reports whether acquire would wait: the limiter's windows here
// are an hour long, so a wait never ends within the short deadline.
func blocked(t *testing.T, l *limiter, search bool) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	release, err := l.acquire(ctx, search)
	if err == nil {
		release(nil)
		return false
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a deadline", err)
	}
	return true
}

func hourLimiter(limit, search, daily int) *limiter {
	l := newLimiter(limit, search, daily, time.Now, time.UTC)
	l.window, l.searchWindow = time.Hour, time.Hour
	return l
}

func TestLimiter(t *testing.T) {
	t.Run("rolling window", func(t *testing.T) {
		l := hourLimiter(5, 5, 0)
		for i := range 5 {
			if blocked(t, l, false) {
				t.Fatalf("call %d blocked, want 5 free", i+1)
			}
		}
		if !blocked(t, l, false) {
			t.Error("call 6 went through, want it to wait for the window")
		}
	})
	t.Run("in-flight calls hold their slot", func(t *testing.T) {
		l := hourLimiter(2, 5, 0)
		l.window = time.Millisecond
		r1, _ := l.acquire(context.Background(), false)
		r2, _ := l.acquire(context.Background(), false)
		if !blocked(t, l, false) {
			t.Error("a third call went through while two were in flight")
		}
		r1(nil)
		r2(nil)
		if _, err := l.acquire(context.Background(), false); err != nil {
			t.Errorf("after release: %v", err)
		}
	})
	t.Run("search limit is separate", func(t *testing.T) {
		l := hourLimiter(100, 5, 0)
		for range 5 {
			if blocked(t, l, true) {
				t.Fatal("search blocked early")
			}
		}
		if !blocked(t, l, true) {
			t.Error("6th search went through, want the search limit to hold it")
		}
		if blocked(t, l, false) {
			t.Error("a plain call waited on the search limit")
		}
	})
	t.Run("headers correct the count", func(t *testing.T) {
		l := hourLimiter(100, 5, 0)
		release, _ := l.acquire(context.Background(), false)
		release(headers(HeaderMax, "100", HeaderRemaining, "3", HeaderInterval, "3600000"))
		for i := range 3 {
			if blocked(t, l, false) {
				t.Fatalf("call %d blocked, want 3 free as HubSpot said", i+1)
			}
		}
		if !blocked(t, l, false) {
			t.Error("call 4 went through, want HubSpot's remaining count to hold")
		}
	})
	t.Run("smaller max header lowers the limit", func(t *testing.T) {
		l := hourLimiter(190, 5, 0)
		release, _ := l.acquire(context.Background(), false)
		release(headers(HeaderMax, "100"))
		if l.limit != 100 {
			t.Errorf("got limit %d, want 100", l.limit)
		}
	})
	t.Run("daily limit option", func(t *testing.T) {
		l := hourLimiter(100, 5, 2)
		for range 2 {
			if blocked(t, l, false) {
				t.Fatal("blocked early")
			}
		}
		_, err := l.acquire(context.Background(), false)
		var daily *DailyLimitError
		if !errors.As(err, &daily) {
			t.Fatalf("got %v, want *DailyLimitError", err)
		}
	})
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := &scripted{answers: []answer{{429, nil, rateLimited(PolicyTenSecondly)}, {200, map[string]string{HeaderMax: "100", HeaderRemaining: "97"}, okObject}}}
	c := testClient(t, wrapped(t, s).URL, Options{Registerer: reg})
	c.lim.limit = 100
	if _, err := c.Get(context.Background(), Tickets, "9000000001", nil); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Counter != nil:
				got[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				got[key] = m.Gauge.GetValue()
			}
		}
	}
	want := map[string]float64{
		"alusta_hubspot_requests_total code=429 endpoint=/crm/v3/objects/tickets/{id}": 1,
		"alusta_hubspot_requests_total code=200 endpoint=/crm/v3/objects/tickets/{id}": 1,
		"alusta_hubspot_rate_limited_total policy=TEN_SECONDLY_ROLLING":                1,
		"alusta_hubspot_ratelimit_remaining":                                           97,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got series %v, want %v", got, want)
	}
	if _, err := New(Options{Token: "x", Registerer: reg}); err == nil {
		t.Error("second client on one registry: got no error, want a duplicate registration error")
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "no token", opts: Options{}, want: "hubspot: no token: set hubspot.token or hubspot.token_file"},
		{name: "bad rate", opts: Options{Token: "x", RateLimit: 120}, want: "hubspot: rate limit 120: want 100, 190 or 250 calls per 10 s"},
		{name: "bad url", opts: Options{Token: "x", BaseURL: "api.hubapi.com"}, want: `hubspot: base URL "api.hubapi.com": want http(s)://host`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
}

func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
