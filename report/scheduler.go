package report

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// DefaultSchedule is the nightly export time.
const DefaultSchedule = "CRON_TZ=Europe/Helsinki 0 2 * * *"

// SchedulerOptions configures a Scheduler.
type SchedulerOptions struct {
	// Spec is a cron line (five fields, CRON_TZ= allowed); "" means
	// DefaultSchedule.
	Spec string
	// Formats to write; nil means CSV only.
	Formats []Format
	// Now and After are the clock and the timer; nil means the real ones.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	Log   *slog.Logger
}

// Scheduler exports every report nightly, for yesterday and for the month
// so far (yesterday's month).
type Scheduler struct {
	exp      *Exporter
	schedule cron.Schedule
	formats  []Format
	now      func() time.Time
	after    func(time.Duration) <-chan time.Time
	log      *slog.Logger
}

// NewScheduler parses the schedule.
func NewScheduler(exp *Exporter, o SchedulerOptions) (*Scheduler, error) {
	if o.Spec == "" {
		o.Spec = DefaultSchedule
	}
	sched, err := cron.ParseStandard(o.Spec)
	if err != nil {
		return nil, fmt.Errorf("report: schedule %q: %w", o.Spec, err)
	}
	if o.Formats == nil {
		o.Formats = []Format{CSV}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{exp: exp, schedule: sched, formats: o.Formats, now: o.Now, after: o.After, log: o.Log}, nil
}

// Next is the next run time after t.
func (s *Scheduler) Next(t time.Time) time.Time { return s.schedule.Next(t) }

// Run exports on schedule until ctx ends, then returns nil. A failed
// export is retried by the Exporter, recorded and logged; it does not stop
// the loop.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		now := s.now()
		next := s.schedule.Next(now)
		select {
		case <-ctx.Done():
			return nil
		case <-s.after(next.Sub(now)):
		}
		if err := s.RunOnce(ctx, next); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("nightly report export", "err", err)
		}
	}
}

// RunOnce exports every report, in every format, for the day before at and
// for that day's month so far.
func (s *Scheduler) RunOnce(ctx context.Context, at time.Time) error {
	loc := s.exp.env.Loc
	local := at.In(loc)
	yesterday := time.Date(local.Year(), local.Month(), local.Day()-1, 12, 0, 0, 0, loc)
	periods := []Period{DayOf(yesterday, loc), MonthOf(yesterday, loc)}
	var errs []error
	for _, r := range Reports() {
		for _, p := range periods {
			for _, f := range s.formats {
				if _, err := s.exp.Export(ctx, r.Name, p, f); err != nil {
					errs = append(errs, err)
				}
				if ctx.Err() != nil {
					return errors.Join(append(errs, ctx.Err())...)
				}
			}
		}
	}
	return errors.Join(errs...)
}
