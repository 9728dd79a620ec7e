package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/report"
	"github.com/alusta/alusta/store"
)

func newReportCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "report", Short: "Export reports from the cache and inspect export runs"}
	c.AddCommand(newReportExportCmd(a), newReportStatusCmd(a), newReportLockCmd(a), newReportUnlockCmd(a))
	return c
}

// openStoreForReport opens the cache, refusing to create an empty one: a
// report of a missing cache would be a silently empty file.
func (a *app) openStoreForReport(ctx context.Context) (*store.Store, error) {
	return a.openExistingStore(ctx, "report")
}

// openExistingStore opens the cache for reading what the daemon left;
// command names the command in the error when there is none.
func (a *app) openExistingStore(ctx context.Context, command string) (*store.Store, error) {
	path := a.cfg.Store.Path
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: store %s does not exist (run alusta sync or alusta run first)", command, path)
	}
	return store.Open(ctx, path, store.Options{})
}

func newReportExportCmd(a *app) *cobra.Command {
	var name, month, day, format, out, lang string
	var international bool
	c := &cobra.Command{
		Use:   "export",
		Short: "Write a report for a month or a day as CSV or XLSX",
		Example: `  alusta report export --report billing --month 2026-03 --format xlsx --out ./reports
  alusta report export --report all --day 2026-03-09`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			loc := a.cfg.Reports.Location
			if (month == "") == (day == "") {
				return errors.New("report export: give either --month YYYY-MM or --day YYYY-MM-DD")
			}
			p, err := report.ParsePeriod(month+day, loc)
			if err != nil {
				return err
			}
			if format == "" {
				format = a.cfg.Reports.Format
			}
			f, err := report.ParseFormat(format)
			if err != nil {
				return err
			}
			names := []string{name}
			if name == "all" {
				names = nil
				for _, r := range report.Reports() {
					names = append(names, r.Name)
				}
			} else if _, err := report.Lookup(name); err != nil {
				return err
			}
			if out == "" {
				out = a.cfg.Reports.Dir
			}
			s, err := a.openStoreForReport(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			// The command prints each result itself; the logger would repeat it.
			m, err := mappings.Load(a.cfg.Mappings.Dir)
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			opts, err := a.exporterOptions(m, lang)
			if err != nil {
				return err
			}
			opts.Dir, opts.Attempts = out, 1
			opts.CSV = report.CSVOptions{International: international}
			if report.IsTerminal(os.Stderr) {
				opts.Progress = cmd.ErrOrStderr()
			}
			exp, err := report.NewExporter(s, opts)
			if err != nil {
				return err
			}
			// Every report that can be written is, so that one failure
			// (a full disk for one file, a bad row) does not hold back
			// the others; the command then fails naming what is missing.
			left := 0
			var failed []string
			for _, n := range names {
				res, err := exp.Export(ctx, n, p, f)
				if err != nil {
					if len(names) == 1 || ctx.Err() != nil {
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\n", err)
					failed = append(failed, n)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %d rows -> %s (sha256 %s)\n", n, p.Label, res.Rows, res.Path, res.Checksum)
				left += printLeftOut(cmd.ErrOrStderr(), n, p.Label, res.Problems)
			}
			var problems []string
			if len(failed) > 0 {
				problems = append(problems, fmt.Sprintf("%s of %s not written", strings.Join(failed, ", "), p.Label))
			}
			if left > 0 {
				// The files are written, but a script must not send them
				// on as if they were whole.
				problems = append(problems, fmt.Sprintf("%d records left out of %s; fix them in the CRM and sync again", left, p.Label))
			}
			if len(problems) > 0 {
				return fmt.Errorf("report export: %s", strings.Join(problems, "; "))
			}
			return nil
		},
	}
	fl := c.Flags()
	fl.StringVar(&name, "report", "", "billing, sla, quality, workload, referrals or all")
	fl.StringVar(&month, "month", "", "month YYYY-MM (reporting time zone)")
	fl.StringVar(&day, "day", "", "day YYYY-MM-DD (reporting time zone)")
	fl.StringVar(&format, "format", "", "csv or xlsx (default reports.format)")
	fl.StringVar(&out, "out", "", "output folder (default reports.dir)")
	fl.StringVar(&lang, "lang", "", "language of the billing export's headers and words: fi, sv or en (default: mapping.yaml's locale)")
	fl.BoolVar(&international, "international", false, "CSV with ',' between fields and a decimal point (default ';' and a decimal comma, for Finnish Excel)")
	c.MarkFlagRequired("report")
	return c
}

func newReportStatusCmd(a *app) *cobra.Command {
	var limit int
	c := &cobra.Command{
		Use:   "status",
		Short: "List recent export runs and locked billing months",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := a.openStoreForReport(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			runs, err := s.Runs(ctx, limit)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "STARTED\tREPORT\tPERIOD\tFORMAT\tATTEMPT\tSTATUS\tROWS\tDURATION\tCHECKSUM\tERROR")
			for _, r := range runs {
				sum := r.Checksum
				if len(sum) > 12 {
					sum = sum[:12]
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n", a.timeText(r.Started),
					r.Report, r.Period, r.Format, r.Attempt, r.Status, r.Rows, r.Duration, sum, r.Error)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			months, err := report.LockedMonths(ctx, s)
			if err != nil {
				return err
			}
			if len(months) > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "\nlocked billing months: %v\n", months)
			}
			unlocks, err := report.Unlocks(ctx, s)
			if err != nil {
				return err
			}
			for _, u := range unlocks {
				fmt.Fprintf(cmd.OutOrStdout(), "unlocked %s at %s by %s: %s\n", u.Month, a.timeText(u.At), u.By, u.Reason)
			}
			return nil
		},
	}
	c.Flags().IntVar(&limit, "limit", 20, "number of runs to list (0: all)")
	return c
}

func newReportLockCmd(a *app) *cobra.Command {
	var month string
	var yes bool
	c := &cobra.Command{
		Use:   "lock",
		Short: "Freeze a finished month's billing basis; later changes become correction rows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			loc := a.cfg.Reports.Location
			s, err := a.openStoreForReport(ctx)
			if err != nil {
				return err
			}
			defer s.Close()
			// Locking cannot be undone without a recorded reason, so
			// it is never done unasked: a script says --yes.
			if !yes {
				if !isTerminal(os.Stdin) {
					return fmt.Errorf("report lock: %s not locked: nobody to ask (not a terminal); pass --yes to lock it", month)
				}
				if !confirm(cmd.InOrStdin(), cmd.OutOrStdout(),
					fmt.Sprintf("Lock billing month %s? Later changes to its orders become corrections.", month)) {
					return errors.New("report lock: not locked")
				}
			}
			t, err := report.Lock(ctx, report.Env{Store: s, Loc: loc}, month)
			if err != nil {
				return err
			}
			orders, _ := t.Total("orders").(int64)
			total, _ := t.Total("total").(int64)
			fmt.Fprintf(cmd.OutOrStdout(), "locked %s: %d rows, %d orders, %s EUR\n", month, len(t.Rows), orders, report.FormatEuros(total))
			if n := printLeftOut(cmd.ErrOrStderr(), "billing", month, t.Problems); n > 0 {
				return fmt.Errorf("report lock: %s is locked without %d deals; once fixed in the CRM they bill as corrections in the month they are seen", month, n)
			}
			return nil
		},
	}
	c.Flags().StringVar(&month, "month", "", "month YYYY-MM")
	c.Flags().BoolVar(&yes, "yes", false, "lock without asking (scripts)")
	c.MarkFlagRequired("month")
	return c
}

// printLeftOut prints one warning per record left out of a report and
// returns how many there were.
func printLeftOut(w io.Writer, name, period string, problems []string) int {
	for _, p := range problems {
		fmt.Fprintf(w, "warning: %s %s: left out %s\n", name, period, p)
	}
	return len(problems)
}
