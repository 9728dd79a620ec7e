package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/pipelines"
)

// backtestOptions are rules backtest's flags.
type backtestOptions struct {
	dir         string
	start, end  time.Time
	now         time.Time
	fetch       bool
	format      string
	out, errOut io.Writer
}

func newRulesBacktestCmd(a *app, newDir func() (string, bool)) *cobra.Command {
	var from, to, format string
	var noFetch bool
	c := &cobra.Command{
		Use:   "backtest --from YYYY-MM-DD --to YYYY-MM-DD [--dir NEW] [--no-fetch] [--format table|csv]",
		Short: "Replay the records created in a period, with people's changes, through the live and the new rules",
		Long: `backtest takes the tickets and orders in the store created between --from and --to
(days in reports.timezone, both included) and replays them, in time order, through
the rules the daemon runs and through the new folder (--dir, default
pipelines.dir): each is decided as it arrived, then every change a person made
to its stage, owner and priority is applied at its time and the record decided
again, so SLA clocks start, pause and stop at the real moments and assignments
see the loads of the moment. alusta's own past writes are not replayed: they
are what the rules decide.

The history comes from the store (what alusta saw on its pulls, and HubSpot's
property history read on a record's first look). The period's records whose
history the store lacks are read from HubSpot first, 50 records a call, and
kept; --no-fetch skips that, and those records are approximated (decided as
they arrived, with the clocks alusta saw them run).

It prints side by side, live | new | difference: SLA met, breached and open
per goal and queue, records per queue, coordinators' load and providers'
share of orders. It writes nothing to HubSpot. Exit 0 when the two agree, 2
when they differ, 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start, err := time.ParseInLocation(time.DateOnly, from, a.zone)
			if err != nil {
				return fmt.Errorf("rules backtest: --from: want YYYY-MM-DD: %w", err)
			}
			end, err := time.ParseInLocation(time.DateOnly, to, a.zone)
			if err != nil {
				return fmt.Errorf("rules backtest: --to: want YYYY-MM-DD: %w", err)
			}
			end = end.AddDate(0, 0, 1)
			if !start.Before(end) {
				return fmt.Errorf("rules backtest: --from %s is after --to %s", from, to)
			}
			if format != "table" && format != "csv" {
				return fmt.Errorf("rules backtest: --format: want table or csv, got %q", format)
			}
			dir, _ := newDir()
			now := time.Now()
			if now.After(end) {
				now = end // clocks still running at the period's end are open
			}
			o := backtestOptions{dir: dir, start: start, end: end, now: now, fetch: !noFetch, format: format,
				out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr()}
			return a.withCRM(cmd.Context(), "rules backtest", func(ctx context.Context, c daemon.ExplainCRM) error {
				return rulesBacktest(ctx, c, a, o)
			})
		},
	}
	c.Flags().StringVar(&from, "from", "", "first day of the period, YYYY-MM-DD")
	c.Flags().StringVar(&to, "to", "", "last day of the period, YYYY-MM-DD")
	c.Flags().BoolVar(&noFetch, "no-fetch", false, "read no history from HubSpot: approximate the records the store has none of")
	c.Flags().StringVar(&format, "format", "table", "output: table, or csv (section,name,queue,measure,live,new,difference)")
	c.MarkFlagRequired("from")
	c.MarkFlagRequired("to")
	return c
}

func rulesBacktest(ctx context.Context, c daemon.ExplainCRM, a *app, o backtestOptions) error {
	st, err := openExistingStore(ctx, a.cfg.Store.Path)
	if err != nil {
		return fmt.Errorf("rules backtest: %w", err)
	}
	defer st.Close()
	cmp, err := compare(ctx, o.out, "rules backtest", c, st, a.cfg.Pipelines.Dir, o.dir, a.cfg.Mappings.Dir)
	if err != nil {
		return err
	}
	m, p := cmp.m, cmp.m.Printer()
	var ins []pipelines.Input
	for _, in := range cmp.inputs {
		if at := in.Record.CreatedAt; !at.Before(o.start) && at.Before(o.end) {
			ins = append(ins, in)
		}
	}
	hs, missing, err := daemon.Histories(ctx, st, m, ins, cmp.state)
	if err != nil {
		return fmt.Errorf("rules backtest: %w", err)
	}
	if hr, ok := c.(daemon.HistoryReader); ok && o.fetch && len(missing) > 0 {
		n := 0
		for _, ids := range missing {
			n += len(ids)
		}
		done, calls := 0, 0
		for _, typ := range slices.Sorted(maps.Keys(missing)) {
			before, callsBefore := done, calls
			err := daemon.FetchHistory(ctx, hr, st, m, typ, missing[typ], func(d int) {
				done, calls = before+d, callsBefore+(d+hubspot.HistoryBatchSize-1)/hubspot.HistoryBatchSize
				fmt.Fprintln(o.errOut, p.T("backtest.fetched", "Done", done, "N", n, "Calls", calls))
			})
			if err != nil {
				// What was read is kept; the rest is approximated.
				fmt.Fprintln(o.errOut, "warning:", err)
				break
			}
		}
		if hs, _, err = daemon.Histories(ctx, st, m, ins, cmp.state); err != nil {
			return fmt.Errorf("rules backtest: %w", err)
		}
	}
	live, next, err := pipelines.Backtest(pipelines.NewEngine(cmp.live, m), pipelines.NewEngine(cmp.next, m), hs, o.now)
	if err != nil {
		return fmt.Errorf("rules backtest: %w", err)
	}
	rows := backtestRows(live, next, p, newNamer(ctx, st, m, cmp.owners, nil)) // names hold no times
	if o.format == "csv" {
		err = writeBacktestCSV(o.out, rows)
	} else {
		fmt.Fprintln(o.out, p.T("backtest.head", "Records", live.Records, "From", p.Date(o.start), "To", p.Date(o.end.AddDate(0, 0, -1))))
		if live.Approximated > 0 {
			fmt.Fprintln(o.out, p.T("backtest.approximated", "N", live.Approximated))
		}
		liveName := cmp.liveName
		if liveName == daemonRules {
			liveName = p.T("backtest.daemon_rules")
		}
		fmt.Fprintln(o.out, p.T("backtest.rules", "Live", liveName+" ("+pipelines.Fingerprint(cmp.liveSrcs)+")",
			"New", filepath.Clean(o.dir)+" ("+pipelines.Fingerprint(cmp.newSrcs)+")"))
		fmt.Fprintln(o.out)
		err = writeBacktestTable(o.out, rows, p)
	}
	if err != nil {
		return fmt.Errorf("rules backtest: %w", err)
	}
	for _, r := range rows {
		if !slices.Equal(r.live, r.next) {
			return &exitError{code: 2}
		}
	}
	if o.format != "csv" {
		fmt.Fprintln(o.out, p.T("backtest.same"))
	}
	return nil
}

// backtestRow is one line of the comparison. An SLA row counts met,
// breached and open; a share row one number.
type backtestRow struct {
	section     string // sla, queue, owner or provider
	name, queue string
	live, next  []int
}

func backtestRows(live, next pipelines.BacktestResult, p *locale.Printer, name func(kind, value string) string) []backtestRow {
	var rows []backtestRow
	for _, k := range pipelines.SLAGoals(live, next) {
		a, b := live.Count(k), next.Count(k)
		rows = append(rows, backtestRow{section: "sla", name: k.Policy + ": " + k.Goal, queue: k.Queue,
			live: []int{a.Met, a.Breached, a.Open}, next: []int{b.Met, b.Breached, b.Open}})
	}
	for _, part := range []struct {
		kind       string
		live, next map[string]int
	}{
		{"queue", live.Queues, next.Queues},
		{"owner", live.Owners, next.Owners},
		{"provider", live.Providers, next.Providers},
	} {
		for _, k := range unionKeys(part.live, part.next) {
			rows = append(rows, backtestRow{section: part.kind, name: name(part.kind, k),
				live: []int{part.live[k]}, next: []int{part.next[k]}})
		}
	}
	return rows
}

func writeBacktestTable(w io.Writer, rows []backtestRow, p *locale.Printer) error {
	live, next, diff := p.T("backtest.live"), p.T("backtest.new"), p.T("backtest.diff")
	met, breached, open, pct := p.T("backtest.met"), p.T("backtest.breached"), p.T("backtest.open"), p.T("backtest.pct_met")
	n, sh := p.T("backtest.records"), p.T("backtest.share")
	lines := [][]string{
		{p.T("backtest.goal"), "|", live, "", "", "", "|", next, "", "", "", "|", diff, "", ""},
		{"", "|", met, breached, open, pct, "|", met, breached, open, pct, "|", met, breached, pct},
	}
	totals := map[string][2]int{}
	for _, r := range rows {
		if r.section != "sla" {
			t := totals[r.section]
			totals[r.section] = [2]int{t[0] + r.live[0], t[1] + r.next[0]}
		}
	}
	section := "sla"
	for _, r := range rows {
		if r.section != section {
			lines = append(lines, nil, []string{p.T("backtest." + r.section), "|", n, sh, "", "", "|", n, sh, "", "", "|", n, sh, ""})
			section = r.section
		}
		if r.section == "sla" {
			label := "  " + r.queue
			if r.queue == "" {
				label = r.name
			}
			a, b := r.live, r.next
			lines = append(lines, []string{label, "|", strconv.Itoa(a[0]), strconv.Itoa(a[1]), strconv.Itoa(a[2]), pctMet(a),
				"|", strconv.Itoa(b[0]), strconv.Itoa(b[1]), strconv.Itoa(b[2]), pctMet(b),
				"|", signed(b[0] - a[0]), signed(b[1] - a[1]), pointsDiff(a, b)})
			continue
		}
		t := totals[r.section]
		a, b := r.live[0], r.next[0]
		lines = append(lines, []string{"  " + r.name, "|", strconv.Itoa(a), share(a, t[0]), "", "",
			"|", strconv.Itoa(b), share(b, t[1]), "", "", "|", signed(b - a), sharePoints(a, t[0], b, t[1]), ""})
	}
	return printColumns(w, lines)
}

// printColumns prints lines as columns: the first left-aligned, the rest
// right-aligned; a nil line is an empty one.
func printColumns(w io.Writer, lines [][]string) error {
	var width []int
	for _, l := range lines {
		for i, c := range l {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var out, b strings.Builder
	for _, l := range lines {
		b.Reset()
		for i, c := range l {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			case c == "|":
				b.WriteString("  |")
			default:
				b.WriteString("  " + pad + c)
			}
		}
		// Trailing blanks of the right-aligned empty cells are noise.
		out.WriteString(strings.TrimRight(b.String(), " "))
		out.WriteString("\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func writeBacktestCSV(w io.Writer, rows []backtestRow) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"section", "name", "queue", "measure", "live", "new", "difference"})
	for _, r := range rows {
		measures := []string{"records"}
		if r.section == "sla" {
			measures = []string{"met", "breached", "open"}
		}
		for i, m := range measures {
			cw.Write([]string{r.section, r.name, r.queue, m, strconv.Itoa(r.live[i]), strconv.Itoa(r.next[i]), strconv.Itoa(r.next[i] - r.live[i])})
		}
	}
	cw.Flush()
	return cw.Error()
}

// pctMet is the share of met among the ended cycles.
func pctMet(c []int) string {
	if c[0]+c[1] == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", 100*float64(c[0])/float64(c[0]+c[1]))
}

func pointsDiff(a, b []int) string {
	if a[0]+a[1] == 0 || b[0]+b[1] == 0 {
		return "-"
	}
	return signedFloat(100*float64(b[0])/float64(b[0]+b[1]) - 100*float64(a[0])/float64(a[0]+a[1]))
}

func sharePoints(a, at, b, bt int) string {
	if at == 0 || bt == 0 {
		return "-"
	}
	return signedFloat(100*float64(b)/float64(bt) - 100*float64(a)/float64(at))
}

func signed(n int) string {
	if n > 0 {
		return "+" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func signedFloat(f float64) string {
	s := fmt.Sprintf("%+.1f", f)
	if s == "+0.0" || s == "-0.0" {
		return "0.0"
	}
	return s
}

func unionKeys[V any](a, b map[string]V) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return slices.Sorted(maps.Keys(set))
}

func share(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(of))
}
