package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// A long cycle (the first sync of a portal reads every record) says how far
// it is: records and pages done, API calls, and an estimate of the time
// left. HubSpot's incremental read gives no total, but it reads in order of
// modification time from the cursor to the cycle's start, so the newest
// time read so far tells what share of the window is done.

// Progress is a snapshot of the running cycle.
type Progress struct {
	Running bool
	Object  string // the object type being read
	Records int    // records read in this cycle
	Pages   int
	Calls   int64
	Elapsed time.Duration
	// Done is the share of the current object type's window read, 0 to 1.
	Done float64
	// Left estimates the time the current object type still needs; 0 when
	// unknown.
	Left time.Duration
}

func (p Progress) String() string {
	s := fmt.Sprintf("%s: %d records, %d pages, %d calls, %.0f %% of the window", p.Object, p.Records, p.Pages, p.Calls, 100*p.Done)
	if p.Left > 0 {
		s += fmt.Sprintf(", about %s left", p.Left.Round(time.Second))
	}
	return s
}

// progress is the running cycle's tally; the cycle writes, others read.
type progress struct {
	mu                sync.Mutex
	running           bool
	started, objStart time.Time
	calls             int64
	object            string
	records, pages    int
	from, until, at   time.Time
}

func (p *progress) begin(now time.Time, calls int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running, p.started, p.calls = true, now, calls
	p.object, p.records, p.pages = "", 0, 0
	p.objStart, p.from, p.until, p.at = time.Time{}, time.Time{}, time.Time{}, time.Time{}
}

func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = false
}

// page records one page of typ read, whose newest record changed at high,
// in the window from..until.
func (p *progress) page(now time.Time, typ string, n int, from, until, high time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if typ != p.object {
		p.object, p.objStart, p.from = typ, now, time.Time{}
	}
	if from.IsZero() {
		// A first read starts at the beginning of time; the first page's
		// newest record is near enough the oldest.
		from = p.from
		if from.IsZero() {
			from = high
		}
	}
	p.records += n
	p.pages++
	p.from, p.until, p.at = from, until, high
}

// Progress returns how far the running cycle is.
func (d *Daemon) Progress() Progress {
	p := &d.prog
	p.mu.Lock()
	defer p.mu.Unlock()
	now := d.now()
	out := Progress{Running: p.running, Object: p.object, Records: p.records, Pages: p.pages,
		Calls: d.client.Calls() - p.calls, Elapsed: now.Sub(p.started)}
	if !p.running || p.object == "" {
		return out
	}
	if span := p.until.Sub(p.from); span > 0 && !p.at.IsZero() {
		out.Done = min(max(float64(p.at.Sub(p.from))/float64(span), 0), 1)
	}
	if out.Done > 0.01 {
		spent := now.Sub(p.objStart)
		out.Left = time.Duration(float64(spent) * (1 - out.Done) / out.Done)
	}
	return out
}

// ReportProgress calls fn with the running cycle's progress every interval
// once a cycle has run that long, until ctx ends; the caller owns the
// goroutine it runs in.
func (d *Daemon) ReportProgress(ctx context.Context, every time.Duration, fn func(Progress)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if p := d.Progress(); p.Running && p.Elapsed >= every {
				fn(p)
			}
		}
	}
}
