package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/daemon"
)

func newSyncCmd(a *app) *cobra.Command {
	var once, shadow, demo bool
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
			if err := a.chooseDemo(demo); err != nil {
				return err
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
	c.Flags().BoolVar(&demo, "demo", false, "run against the embedded demo sandbox even if a token or store.path is configured")
	c.AddCommand(newSyncRejectedCmd(a), newSyncHistoryCmd(a))
	return c
}

// syncOnce runs one cycle; ran reports whether it got as far as the cycle,
// so a failure before it prints no empty summary.
func (a *app) syncOnce(ctx context.Context) (sum daemon.Summary, ran bool, err error) {
	cfg := a.cfg
	// On a terminal a progress line is drawn and rewritten in place, and
	// log lines go above it.
	var line *statusLine
	if isTerminal(os.Stderr) {
		line = &statusLine{w: os.Stderr}
		a.log = newLogger(line, cfg.Log, a.zone)
	}
	b, err := a.connect(nil, nil)
	if err != nil {
		return daemon.Summary{}, false, err
	}
	defer b.Close()
	defer b.start(ctx, a.log)()

	st, err := a.openStore(ctx, b)
	if err != nil {
		return daemon.Summary{}, false, err
	}
	defer st.Close()
	// Providers of orders assigned here are told by the next alusta run:
	// the cycle queues the jobs in the store.
	fwd, err := a.newForwarding(ctx, b.client, st, nil, nil, nil, nil)
	if err != nil {
		return daemon.Summary{}, false, fmt.Errorf("sync: %w", err)
	}
	d, err := daemon.New(daemon.Options{
		Client: b.client, Store: st,
		PipelinesDir: cfg.Pipelines.Dir, MappingsDir: cfg.Mappings.Dir,
		Interval: cfg.Sync.Interval, Lookback: cfg.Sync.Lookback, Log: a.log,
		MaxChanges: cfg.Rules.MaxChanges, Shadow: cfg.Sync.Mode == "shadow",
		Forwarder: fwd.forward, ReferralNotifier: referralNotifier{fwd.forward},
	})
	if err != nil {
		return daemon.Summary{}, false, err
	}
	if err := d.Prepare(ctx); err != nil {
		return daemon.Summary{}, false, fmt.Errorf("sync: %w", err)
	}
	if line != nil {
		// Stopped, and the line erased, before the summary or the error
		// is printed.
		pctx, stopProgress := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			d.ReportProgress(pctx, time.Second, func(p daemon.Progress) { line.Draw("sync: " + p.String()) })
		}()
		defer func() {
			stopProgress()
			<-done
			line.Clear()
		}()
	}
	sum, err = d.Cycle(ctx)
	if err != nil {
		return sum, true, fmt.Errorf("sync: %w", err)
	}
	return sum, true, nil
}
