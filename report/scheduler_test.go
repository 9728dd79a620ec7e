package report

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alusta/alusta/store"
)

func TestSchedulerNext(t *testing.T) {
	exp := &Exporter{}
	tests := []struct {
		name, spec, now, want, err string
	}{
		{name: "default, winter", now: "2026-03-27T12:00:00Z", want: "2026-03-28T00:00:00Z"},
		{name: "default, night of the change to summer time", now: "2026-03-28T12:00:00Z", want: "2026-03-29T00:00:00Z"},
		{name: "default, summer time", now: "2026-03-29T12:00:00Z", want: "2026-03-29T23:00:00Z"},
		{name: "utc spec", spec: "30 3 * * *", now: "2026-03-28T12:00:00Z", want: "2026-03-29T03:30:00Z"},
		{name: "bad spec", spec: "every night", err: `report: schedule "every night": expected exactly 5 fields, found 2: [every night]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewScheduler(exp, SchedulerOptions{Spec: tt.spec})
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := s.Next(mustTime(t, tt.now)).UTC().Format(time.RFC3339)
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestSchedulerRun drives the loop with an injected clock and timer: it
// waits until 02:00 Helsinki time, exports every report for yesterday and
// the month so far, and stops when its context ends.
func TestSchedulerRun(t *testing.T) {
	s, c, env := billingStore(t)
	c.t = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	exp, err := NewExporter(s, ExporterOptions{Mapping: env.Mapping, Dir: dir, Loc: env.Loc, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	waits := make(chan time.Duration)
	fire := make(chan time.Time)
	sched, err := NewScheduler(exp, SchedulerOptions{Now: c.Now, Formats: []Format{CSV, XLSX},
		After: func(d time.Duration) <-chan time.Time {
			waits <- d
			return fire
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sched.Run(ctx) }()

	// 2026-03-02 02:00 EET is 00:00 UTC.
	if d := <-waits; d != 12*time.Hour {
		t.Fatalf("first wait: got %v, want 12h", d)
	}
	c.t = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	fire <- c.t
	// The next wait is asked for after the run has finished.
	if d := <-waits; d != 24*time.Hour {
		t.Fatalf("second wait: got %v, want 24h", d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: got %v, want nil", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	var want []string
	for _, r := range []string{"billing", "quality", "referrals", "sla", "workload"} {
		for _, p := range []string{"2026-03-01", "2026-03"} {
			for _, f := range []string{"csv", "xlsx"} {
				want = append(want, r+"-"+p+"."+f)
			}
		}
	}
	sort.Strings(want)
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("files: got %v, want %v", files, want)
	}
	runs, err := s.Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 20 {
		t.Fatalf("runs: got %d, want 20", len(runs))
	}
	for _, r := range runs {
		if r.Status != store.RunOK || r.Checksum == "" || filepath.Dir(r.Path) != dir {
			t.Errorf("run: got %+v", r)
		}
	}
}
