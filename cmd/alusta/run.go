package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/report"
	"github.com/alusta/alusta/store"
)

func newRunCmd(a *app) *cobra.Command {
	var shadow bool
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: sync, decide, push back, export reports nightly",
		Long: `run keeps syncing until stopped (SIGINT or SIGTERM). SIGHUP, or a change to a
file in pipelines.dir or mappings.dir, reloads the rules; an invalid reload is
logged and the last good rules keep running. With no HubSpot token configured it
runs against the embedded sandbox with demo data.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if shadow {
				a.cfg.Sync.Mode = "shadow"
			}
			return a.runDaemon(cmd.Context())
		},
	}
	c.Flags().BoolVar(&shadow, "shadow", false, "decide but write nothing to HubSpot (sync.mode: shadow); list the held-back writes with rules plan --shadow")
	return c
}

func (a *app) runDaemon(ctx context.Context) error {
	cfg := a.cfg
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("run: listen on http.addr: %w", err)
	}
	defer ln.Close()
	secret := cfg.HTTP.WebhookSecret
	var hook *webhookTarget
	if cfg.Demo() {
		if secret == "" {
			secret = randomHex(16)
		}
		hook = &webhookTarget{url: "http://" + ln.Addr().String() + "/webhooks/hubspot", secret: secret}
	}
	b, err := a.connect(reg, hook)
	if err != nil {
		return err
	}
	defer b.Close()

	// The demo sandbox outlives the sync: on a stop the daemon finishes
	// its batch against it first, then the sandbox saves its state.
	sbCtx, stopSandbox := context.WithCancel(context.WithoutCancel(ctx))
	sbDone := make(chan error, 1)
	go func() { sbDone <- b.serve(sbCtx) }()
	defer func() {
		stopSandbox()
		if err := <-sbDone; err != nil {
			a.log.Error("sandbox stopped", "err", err)
		}
	}()

	st, err := store.Open(ctx, cfg.Store.Path, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := daemon.New(daemon.Options{
		Client: b.client, Store: st,
		PipelinesDir: cfg.Pipelines.Dir, MappingsDir: cfg.Mappings.Dir,
		Interval: cfg.Sync.Interval, Lookback: cfg.Sync.Lookback,
		MaxChanges: cfg.Rules.MaxChanges, Shadow: cfg.Sync.Mode == "shadow", Log: a.log, Registerer: reg,
	})
	if err != nil {
		return err
	}
	if err := d.Prepare(ctx); err != nil {
		return fmt.Errorf("run: refusing to start: %w", err)
	}
	var hooks *daemon.Webhooks
	if secret != "" {
		hooks = &daemon.Webhooks{Secret: secret, Now: time.Now, Log: a.log, Enqueue: d.Enqueue}
	} else {
		a.log.Info("webhooks off: set http.webhook_secret to the app's client secret to accept them")
	}
	loc, err := time.LoadLocation(cfg.Reports.TimeZone)
	if err != nil {
		return err
	}
	view, err := a.billingView("")
	if err != nil {
		return err
	}
	exp, err := report.NewExporter(st, report.ExporterOptions{Dir: cfg.Reports.Dir, Loc: loc, Registerer: reg, Log: a.log, Billing: view})
	if err != nil {
		return err
	}
	sched, err := report.NewScheduler(exp, report.SchedulerOptions{
		Spec: cfg.Reports.Schedule, Formats: []report.Format{report.Format(cfg.Reports.Format)}, Log: a.log,
	})
	if err != nil {
		return fmt.Errorf("run: reports.schedule: %w", err)
	}

	var handler = daemon.Mux(reg, nil, d.Ready)
	if hooks != nil {
		handler = daemon.Mux(reg, hooks, d.Ready)
	}
	a.log.Info("alusta running", "http", ln.Addr().String(), "store", cfg.Store.Path, "interval", cfg.Sync.Interval)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return daemon.Serve(gctx, ln, handler) })
	g.Go(func() error { return d.Run(gctx) })
	g.Go(func() error {
		d.ReportProgress(gctx, 10*time.Second, func(p daemon.Progress) {
			a.log.Info("sync progress", "object", p.Object, "records", p.Records, "pages", p.Pages, "calls", p.Calls,
				"done", fmt.Sprintf("%.0f%%", 100*p.Done), "left", p.Left.Round(time.Second))
		})
		return nil
	})
	g.Go(func() error { return sched.Run(gctx) })
	g.Go(func() error {
		if err := d.WatchRules(gctx); err != nil {
			a.log.Warn("rule files are not watched; SIGHUP still reloads", "err", err)
		}
		return nil
	})
	g.Go(func() error { return reloadOnHUP(gctx, a, d) })
	g.Go(func() error { return reconcileOn(gctx, a, d, cfg.Sync.Reconcile) })
	err = g.Wait()
	a.log.Info("alusta stopped")
	return err
}

// reconcileOn runs the full reconcile on its cron schedule until ctx ends.
func reconcileOn(ctx context.Context, a *app, d *daemon.Daemon, spec string) error {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("run: sync.reconcile %q: %w", spec, err)
	}
	for {
		next := sched.Next(time.Now())
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		gaps, err := d.Reconcile(ctx)
		if err != nil {
			a.log.Error("reconcile failed", "err", err)
			continue
		}
		for typ, g := range gaps {
			a.log.Info("reconcile", "object", typ, "gaps", g.String())
		}
	}
}

// reloadOnHUP turns SIGHUP into a reload, as daemons conventionally do.
func reloadOnHUP(ctx context.Context, a *app, d *daemon.Daemon) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			if err := d.Reload(ctx); err != nil {
				a.log.Error("rules not reloaded: keeping the last good rules", "err", err)
			}
		}
	}
}
