package daemon

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/alusta/alusta/connector/hubspot"
)

// errStopping ends a read between pages when the daemon is asked to stop.
var errStopping = errors.New("stopping")

// grace is how long a batch in flight may take to finish after a stop.
const grace = 10 * time.Second

// Run runs cycles until ctx ends: a full cycle every Interval, and in
// between a targeted one as soon as a webhook names a record or an SLA
// deadline comes. A failed cycle is logged and retried with backoff; a
// spent daily quota pauses syncing until HubSpot resets it.
func (d *Daemon) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	nextFull := d.now()
	failures := 0
	for {
		kicked := false
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-d.kick:
			kicked = true
		}
		// Webhook targets over the cap were dropped: only a full cycle's
		// pull finds their changes.
		full := d.overflowed() || !d.now().Before(nextFull)
		var (
			sum Summary
			err error
		)
		if full {
			sum, err = d.cycleUntil(ctx, d.Cycle)
		} else {
			sum, err = d.cycleUntil(ctx, d.Targeted)
		}
		var daily *hubspot.DailyLimitError
		switch {
		case errors.Is(err, errStopping) || ctx.Err() != nil:
			d.log.Info("sync stopped", "summary", sum.String())
			return nil
		case errors.As(err, &daily):
			nextFull = daily.ResetAt
			d.log.Error("HubSpot daily API quota used up: syncing paused", "until", daily.ResetAt.Format(time.RFC3339))
		case err != nil:
			failures++
			nextFull = d.now().Add(backoff(failures, d.interval))
			d.log.Error("sync cycle failed", "err", err, "retry_at", nextFull.Format(time.RFC3339), "summary", sum.String())
		default:
			failures = 0
			if full {
				nextFull = d.now().Add(d.interval)
			}
			kind := "sync cycle"
			if !full {
				kind = "targeted cycle"
			}
			if full || sum.Decisions > 0 || kicked {
				d.log.Info(kind, "pulled", sum.Pulled, "decisions", sum.Decisions, "writes", sum.Writes,
					"rejected", sum.Rejected, "skipped", sum.Skipped, "api_calls", sum.Calls, "errors", sum.Errors,
					"duration", sum.Duration.Round(time.Millisecond))
			}
		}
		d.noteCycle(ctx, full, sum, err)
		wait := nextFull.Sub(d.now())
		if next, ok := d.nextWake(); ok && err == nil {
			wait = min(wait, max(next.Sub(d.now()), time.Second))
		}
		timer.Reset(max(wait, 0))
	}
}

// cycleUntil runs a cycle that stops between pages once ctx ends and lets
// the batch in flight finish within grace, so a stop never leaves a
// half-pushed page behind when it can be helped.
func (d *Daemon) cycleUntil(ctx context.Context, run func(context.Context) (Summary, error)) (Summary, error) {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		time.AfterFunc(grace, cancel)
	})
	defer stop()
	d.stopping.Store(&ctx)
	defer d.stopping.Store(nil)
	return run(cctx)
}

// stopped reports whether the daemon was asked to stop.
func (d *Daemon) stopped() bool {
	p := d.stopping.Load()
	return p != nil && (*p).Err() != nil
}

func (d *Daemon) nextWake() (time.Time, bool) {
	d.cycleMu.Lock()
	defer d.cycleMu.Unlock()
	return d.mem.wakes.next()
}

func backoff(failures int, interval time.Duration) time.Duration {
	w := interval
	for i := 1; i < failures && w < 10*time.Minute; i++ {
		w *= 2
	}
	return min(w, 10*time.Minute)
}

// Ready reports whether recent cycles succeeded, for /readyz.
func (d *Daemon) Ready() (bool, string) {
	return d.health.Ready(d.now(), 3*d.interval+time.Minute)
}

// WatchRules reloads the rules when a file in the rule or mapping folder
// changes, after the burst of events an editor's save makes has settled.
func (d *Daemon) WatchRules(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	for _, dir := range []string{d.pipeDir, d.mapDir} {
		if err := w.Add(dir); err != nil {
			return err
		}
	}
	var settle <-chan time.Time
	// Rules held back for approval go live once approved (rules apply).
	approved := time.NewTicker(d.interval)
	defer approved.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-approved.C:
			if err := d.applyApproved(ctx); err != nil {
				d.log.Error("approved rules not applied: keeping the last good rules", "err", err)
			}
		case ev := <-w.Events:
			if ext := filepath.Ext(ev.Name); ext == ".yaml" || ext == ".yml" {
				settle = time.After(500 * time.Millisecond)
			}
		case err := <-w.Errors:
			d.log.Warn("watching rules", "err", err)
		case <-settle:
			settle = nil
			if err := d.Reload(ctx); err != nil {
				d.log.Error("rules not reloaded: keeping the last good rules", "err", err)
			}
		}
	}
}
