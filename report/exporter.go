package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

// ExporterOptions configures an Exporter.
type ExporterOptions struct {
	// Dir is the output folder; it is created if missing.
	Dir string
	// Loc is the reporting time zone; nil means Europe/Helsinki.
	Loc *time.Location
	// Now is the clock; nil means the store's clock.
	Now func() time.Time
	CSV CSVOptions
	// Attempts is how many times a failing export is tried; 0 means 3.
	Attempts int
	// Backoff is the wait before the second attempt, doubled after each
	// failure; 0 means one minute.
	Backoff time.Duration
	// After waits; nil means time.After. Tests inject their own.
	After func(time.Duration) <-chan time.Time
	// Registerer receives alusta_report_runs_total; nil registers nothing.
	Registerer prometheus.Registerer
	// Progress receives a progress line for long exports (a terminal);
	// nil prints nothing.
	Progress io.Writer
	Log      *slog.Logger
	// Billing, when set, is how billing files are written (language,
	// business IDs, currency, VAT); nil writes the basis as computed.
	Billing *BillingView
	// Mapping is the portal's mapping (mappings.dir), which the referrals
	// report reads the referral pipeline from.
	Mapping *mappings.Mapping
}

// Exporter computes reports and writes them to files, recording each run.
type Exporter struct {
	store    *store.Store
	env      Env
	dir      string
	csv      CSVOptions
	attempts int
	backoff  time.Duration
	after    func(time.Duration) <-chan time.Time
	runs     *prometheus.CounterVec
	progress io.Writer
	log      *slog.Logger
	billing  *BillingView
}

// NewExporter returns an Exporter over s.
func NewExporter(s *store.Store, o ExporterOptions) (*Exporter, error) {
	if o.Dir == "" {
		return nil, errors.New("report: exporter: an output folder is required")
	}
	if o.Loc == nil {
		loc, err := time.LoadLocation("Europe/Helsinki")
		if err != nil {
			return nil, fmt.Errorf("report: exporter: %w", err)
		}
		o.Loc = loc
	}
	if o.Now == nil {
		o.Now = s.Now
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Minute
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := &Exporter{
		store: s, env: Env{Store: s, Loc: o.Loc, Now: o.Now, Mapping: o.Mapping}, dir: o.Dir, csv: o.CSV,
		attempts: o.Attempts, backoff: o.Backoff, after: o.After, progress: o.Progress, log: o.Log, billing: o.Billing,
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "alusta_report_runs_total",
			Help: "Report export attempts by report and outcome (ok, failed).",
		}, []string{"report", "status"}),
	}
	// Every series exists from the start at zero, so that an alert on
	// failed runs works before the first nightly export and /metrics shows
	// the exporter is there.
	for _, r := range Reports() {
		for _, status := range []string{store.RunOK, store.RunFailed} {
			e.runs.WithLabelValues(r.Name, status)
		}
	}
	if o.Registerer != nil {
		if err := o.Registerer.Register(e.runs); err != nil {
			return nil, fmt.Errorf("report: exporter: register metrics: %w", err)
		}
	}
	return e, nil
}

// Result is a finished export.
type Result struct {
	RunID    int64
	Path     string
	Rows     int
	Checksum string
	Duration time.Duration
	Attempt  int
	// Problems names the records left out of the report (Table.Problems).
	Problems []string
}

// Export computes report name for p and writes it in format f, trying
// again with backoff when an attempt fails. Every attempt is recorded as a
// run. The file appears complete or not at all.
func (e *Exporter) Export(ctx context.Context, name string, p Period, f Format) (Result, error) {
	if _, err := Lookup(name); err != nil {
		return Result{}, err
	}
	wait := e.backoff
	var err error
	for attempt := 1; ; attempt++ {
		var res Result
		res, err = e.exportOnce(ctx, name, p, f, attempt)
		if err == nil {
			return res, nil
		}
		if attempt >= e.attempts || ctx.Err() != nil {
			break
		}
		e.log.Warn("report export failed, retrying", "report", name, "period", p.Label, "attempt", attempt, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return Result{}, fmt.Errorf("report: export %s %s: %w", name, p.Label, errors.Join(err, ctx.Err()))
		case <-e.after(wait):
		}
		wait *= 2
	}
	return Result{}, err
}

func (e *Exporter) exportOnce(ctx context.Context, name string, p Period, f Format, attempt int) (Result, error) {
	path := filepath.Join(e.dir, FileName(name, p, f))
	started := e.env.Now()
	id, err := e.store.StartRun(ctx, store.Run{Report: name, Period: p.Label, Format: string(f), Path: path, Attempt: attempt})
	if err != nil {
		return Result{}, err
	}
	res := Result{RunID: id, Path: path, Attempt: attempt}
	err = e.write(ctx, name, p, f, path, &res)
	res.Duration = e.env.Now().Sub(started)
	run := store.Run{Status: store.RunOK, Path: path, Rows: res.Rows, Checksum: res.Checksum, Duration: res.Duration}
	if err != nil {
		err = fmt.Errorf("report: export %s %s: %w", name, p.Label, err)
		run = store.Run{Status: store.RunFailed, Path: path, Duration: res.Duration, Error: err.Error()}
	}
	e.runs.WithLabelValues(name, run.Status).Inc()
	// The outcome is recorded even when ctx has ended.
	if ferr := e.store.FinishRun(context.WithoutCancel(ctx), id, run); ferr != nil {
		return Result{}, errors.Join(err, ferr)
	}
	if err != nil {
		return Result{}, err
	}
	e.log.Info("report exported", "report", name, "period", p.Label, "path", path, "rows", res.Rows, "duration", res.Duration)
	for _, pr := range res.Problems {
		e.log.Warn("report: record left out", "report", name, "period", p.Label, "problem", pr)
	}
	return res, nil
}

func (e *Exporter) write(ctx context.Context, name string, p Period, f Format, path string, res *Result) error {
	if err := os.MkdirAll(e.dir, DirMode); err != nil {
		return err
	}
	if err := cleanPartial(e.dir, e.env.Now(), time.Hour); err != nil {
		return err
	}
	t, err := Build(ctx, e.env, name, p)
	if err != nil {
		return err
	}
	if name == "billing" && e.billing != nil {
		if t, err = e.billing.Apply(ctx, e.store, t); err != nil {
			return err
		}
	}
	res.Rows = len(t.Rows)
	res.Problems = t.Problems
	progress := e.progressFunc(name, p)
	res.Checksum, err = WriteFileAtomic(path, func(w io.Writer) error {
		w = ctxWriter{ctx: ctx, w: w}
		if f == XLSX {
			return WriteXLSX(w, t, progress)
		}
		return WriteCSV(w, t, e.csv, progress)
	})
	return err
}

// progressFunc prints "\rreport period: done/total rows" to the progress
// writer, ending the line when done.
func (e *Exporter) progressFunc(name string, p Period) Progress {
	if e.progress == nil {
		return nil
	}
	return func(done, total int) {
		fmt.Fprintf(e.progress, "\r%s %s: %d/%d rows", name, p.Label, done, total)
		if done >= total {
			fmt.Fprintln(e.progress)
		}
	}
}

// IsTerminal reports whether f is a character device (a terminal), where
// a progress line makes sense.
func IsTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
