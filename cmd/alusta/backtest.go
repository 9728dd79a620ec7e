package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/pipelines"
)

func newRulesBacktestCmd(a *app, newDir func() (string, bool)) *cobra.Command {
	var from, to string
	c := &cobra.Command{
		Use:   "backtest --from YYYY-MM-DD --to YYYY-MM-DD [--dir NEW]",
		Short: "Replay the records created in a period through the live and the new rules, side by side",
		Long: `backtest takes the tickets and orders in the store created between --from and --to
(days in reports.timezone, both included), decides each as it arrived with the
rules the daemon runs and with the new folder (--dir, default pipelines.dir),
in the order they were created, and ends the SLA clocks they really ran (their
real start, stop and pauses) under each rule set's goals and calendars. It
prints side by side: SLA met, breached and open per goal, records per queue,
coordinators' load and providers' share of orders. It writes nothing.`,
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
			dir, _ := newDir()
			now := time.Now()
			if now.After(end) {
				now = end // clocks still running at the period's end are open
			}
			return a.withCRM(cmd.Context(), "rules backtest", func(ctx context.Context, c daemon.ExplainCRM) error {
				return rulesBacktest(ctx, cmd.OutOrStdout(), c, a, dir, start, end, now)
			})
		},
	}
	c.Flags().StringVar(&from, "from", "", "first day of the period, YYYY-MM-DD")
	c.Flags().StringVar(&to, "to", "", "last day of the period, YYYY-MM-DD")
	c.MarkFlagRequired("from")
	c.MarkFlagRequired("to")
	return c
}

func rulesBacktest(ctx context.Context, w io.Writer, c daemon.ExplainCRM, a *app, newDir string, start, end, now time.Time) error {
	st, err := openExistingStore(ctx, a.cfg.Store.Path)
	if err != nil {
		return fmt.Errorf("rules backtest: %w", err)
	}
	defer st.Close()
	cmp, err := compare(ctx, w, "rules backtest", c, st, a.cfg.Pipelines.Dir, newDir, a.cfg.Mappings.Dir)
	if err != nil {
		return err
	}
	m, liveName, liveSrcs, newSrcs := cmp.m, cmp.liveName, cmp.liveSrcs, cmp.newSrcs
	var hs []pipelines.History
	for _, in := range cmp.inputs {
		if at := in.Record.CreatedAt; at.Before(start) || !at.Before(end) {
			continue
		}
		h := pipelines.History{Input: in}
		if rs := cmp.state.Records[in.ObjectType+"/"+in.Record.ID]; rs != nil {
			h.Cycles = rs.SLA
		}
		hs = append(hs, h)
	}
	a1, b1, err := pipelines.Backtest(pipelines.NewEngine(cmp.live, m), pipelines.NewEngine(cmp.next, m), hs, now)
	if err != nil {
		return fmt.Errorf("rules backtest: %w", err)
	}
	name := newNamer(ctx, st, m, cmp.owners)
	fmt.Fprintf(w, "backtest: %d tickets and orders created %s to %s\n", a1.Records, start.Format(time.DateOnly), end.AddDate(0, 0, -1).Format(time.DateOnly))
	fmt.Fprintf(w, "live: %s (%s); new: %s (%s)\n\n", liveName, pipelines.Fingerprint(liveSrcs), filepath.Clean(newDir), pipelines.Fingerprint(newSrcs))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLA goal\tlive met\tbreached\topen\tnew met\tbreached\topen")
	for _, k := range unionKeys(a1.SLA, b1.SLA) {
		x, y := a1.SLA[k], b1.SLA[k]
		if x == nil {
			x = &pipelines.SLACount{}
		}
		if y == nil {
			y = &pipelines.SLACount{}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\n", k, x.Met, x.Breached, x.Open, y.Met, y.Breached, y.Open)
	}
	for _, part := range []struct {
		title, kind string
		live, next  map[string]int
	}{
		{"queue", "queue", a1.Queues, b1.Queues},
		{"coordinator", "owner", a1.Owners, b1.Owners},
		{"provider (orders)", "provider", a1.Providers, b1.Providers},
	} {
		fmt.Fprintf(tw, "\n%s\tlive\tshare\tnew\tshare\t\t\n", part.title)
		lt, nt := total(part.live), total(part.next)
		for _, k := range unionKeys(part.live, part.next) {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%d\t%s\t\t\n", name(part.kind, k), part.live[k], share(part.live[k], lt), part.next[k], share(part.next[k], nt))
		}
	}
	return tw.Flush()
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

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func share(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", 100*float64(n)/float64(of))
}
