package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

func TestRuleProblemsCountedAndLoggedAtABoundedRate(t *testing.T) {
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "alusta.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	client, err := hubspot.New(hubspot.Options{BaseURL: "http://127.0.0.1:1", Token: "unused", RateLimit: 100, SearchRate: 5})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	d, err := New(Options{Client: client, Store: st, Now: func() time.Time { return now }, Registerer: reg,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	p := []pipelines.Problem{{Rule: "route big", Err: "invalid operation: int(…) at 1:1"}}
	for i := range 500 {
		d.ruleProblems(hubspot.Tickets, "t"+string(rune('0'+i%10)), p)
	}
	now = now.Add(2 * time.Minute)
	d.ruleProblems(hubspot.Tickets, "last", p)

	if got := testutil.ToFloat64(d.metrics.ruleErrors.WithLabelValues("route big")); got != 501 {
		t.Errorf("alusta_rule_errors_total{rule=\"route big\"}: got %v, want 501", got)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d log lines, want 2 (one per minute):\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[1], `rule="route big"`) || !strings.Contains(lines[1], "not_logged_since_last=499") {
		t.Errorf("second line %q: want the rule and 499 failures not logged", lines[1])
	}
}
