package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/store"
)

func newSyncCmd(a *app) *cobra.Command {
	var once, shadow bool
	c := &cobra.Command{
		Use:   "sync --once",
		Short: "Run one full cycle (pull, decide, push) and exit",
		Long: `sync --once runs one cycle and prints a summary line: records pulled, decisions,
writes, API calls and errors. It exits non-zero when the cycle fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !once {
				return errors.New("sync: only --once is supported; use 'alusta run' for the daemon")
			}
			if shadow {
				a.cfg.Sync.Mode = "shadow"
			}
			sum, ran, err := a.syncOnce(cmd.Context())
			if ran {
				fmt.Fprintln(cmd.OutOrStdout(), "sync:", sum)
			}
			return err
		},
	}
	c.Flags().BoolVar(&once, "once", false, "run one cycle and exit")
	c.Flags().BoolVar(&shadow, "shadow", false, "decide but write nothing to HubSpot (sync.mode: shadow)")
	return c
}

// syncOnce runs one cycle; ran reports whether it got as far as the cycle,
// so a failure before it prints no empty summary.
func (a *app) syncOnce(ctx context.Context) (sum daemon.Summary, ran bool, err error) {
	cfg := a.cfg
	b, err := a.connect(nil, nil)
	if err != nil {
		return daemon.Summary{}, false, err
	}
	defer b.Close()
	sctx, stop := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(sctx)
	g.Go(func() error { return b.serve(gctx) })
	defer func() {
		stop()
		g.Wait()
	}()

	st, err := store.Open(ctx, cfg.Store.Path, store.Options{})
	if err != nil {
		return daemon.Summary{}, false, err
	}
	defer st.Close()
	d, err := daemon.New(daemon.Options{
		Client: b.client, Store: st,
		PipelinesDir: cfg.Pipelines.Dir, MappingsDir: cfg.Mappings.Dir,
		Interval: cfg.Sync.Interval, Lookback: cfg.Sync.Lookback, Log: a.log,
		MaxChanges: cfg.Rules.MaxChanges, Shadow: cfg.Sync.Mode == "shadow",
	})
	if err != nil {
		return daemon.Summary{}, false, err
	}
	if err := d.Prepare(ctx); err != nil {
		return daemon.Summary{}, false, fmt.Errorf("sync: %w", err)
	}
	if isTerminal(os.Stderr) {
		// A progress line on the terminal, rewritten in place; stopped
		// and ended with a newline before the summary.
		pctx, stopProgress := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			d.ReportProgress(pctx, time.Second, func(p daemon.Progress) { fmt.Fprintf(os.Stderr, "\r\033[Ksync: %s", p) })
		}()
		defer func() {
			stopProgress()
			<-done
			fmt.Fprint(os.Stderr, "\r\033[K")
		}()
	}
	sum, err = d.Cycle(ctx)
	if err != nil {
		return sum, true, fmt.Errorf("sync: %w", err)
	}
	return sum, true, nil
}
