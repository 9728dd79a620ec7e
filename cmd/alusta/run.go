package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/alusta/alusta/console"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/report"
)

func newRunCmd(a *app) *cobra.Command {
	var shadow bool
	var demo bool
	c := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: sync, decide, push back, export reports nightly",
		Long: `run keeps syncing until stopped (SIGINT or SIGTERM). SIGHUP, or a change to a
file in pipelines.dir or mappings.dir, reloads the rules; an invalid reload is
logged and the last good rules keep running. With no HubSpot token configured it
runs against the embedded sandbox with demo data, unless something
production-like is configured (store.path, hubspot.base_url, hubspot.token_file
or http.webhook_secret): then a missing token is an error, and --demo asks
for the demo anyway.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if shadow {
				a.cfg.Sync.Mode = "shadow"
			}
			if err := a.chooseDemo(demo); err != nil {
				return err
			}
			return a.runDaemon(cmd.Context())
		},
	}
	c.Flags().BoolVar(&shadow, "shadow", false, "decide but write nothing to HubSpot (sync.mode: shadow); list the held-back writes with rules plan --shadow")
	c.Flags().BoolVar(&demo, "demo", false, "run against the embedded demo sandbox even if a token or store.path is configured")
	return c
}

func (a *app) runDaemon(ctx context.Context) error {
	cfg := a.cfg
	if err := console.CheckExposure(cfg.HTTP.Addr, cfg.Console.Auth); err != nil {
		return fmt.Errorf("run: refusing to start: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("run: listen on http.addr: %w", err)
	}
	defer ln.Close()
	// The public listener: orderers, providers and HubSpot's webhooks.
	pln, err := net.Listen("tcp", cfg.Public.Addr)
	if err != nil {
		return fmt.Errorf("run: listen on public.addr: %w", err)
	}
	defer pln.Close()
	secret := cfg.HTTP.WebhookSecret
	var hook *webhookTarget
	if cfg.Demo() {
		if secret == "" {
			secret = randomHex(16)
		}
		hook = &webhookTarget{url: "http://" + pln.Addr().String() + "/webhooks/hubspot", secret: secret}
	}
	b, err := a.connect(reg, hook)
	if err != nil {
		return err
	}
	defer b.Close()

	// The demo sandbox outlives the sync: on a stop the daemon finishes
	// its batch against it first, then the sandbox saves its state.
	defer b.start(context.WithoutCancel(ctx), a.log)()

	st, err := a.openStore(ctx, b)
	if err != nil {
		return err
	}
	defer st.Close()
	// The daemon is made after the order loop, which it tells of
	// assignments; what reaches the daemon from outside (webhooks, changed
	// deals) does so once it runs.
	var d *daemon.Daemon
	var hooks http.Handler
	if secret != "" {
		hooks = &daemon.Webhooks{Secret: secret, Now: time.Now, Log: a.log, Enqueue: func(cs []daemon.Change) { d.Enqueue(cs) }}
	} else {
		a.log.Info("webhooks off: set http.webhook_secret to the app's client secret to accept them")
	}
	orders, err := a.newOrderLoop(ctx, b.client, st, reg, pln, dealChanged(&d), ticketChanged(&d), hooks)
	if err != nil {
		return fmt.Errorf("run: refusing to start: %w", err)
	}
	d, err = daemon.New(daemon.Options{
		Client: b.client, Store: st,
		PipelinesDir: cfg.Pipelines.Dir, MappingsDir: cfg.Mappings.Dir,
		Interval: cfg.Sync.Interval, Lookback: cfg.Sync.Lookback, Reconcile: cfg.Sync.Reconcile,
		MaxChanges: cfg.Rules.MaxChanges, Shadow: cfg.Sync.Mode == "shadow",
		Log: a.log, Registerer: reg, Forwarder: orders.forward, ReferralNotifier: referralNotifier{orders.forward},
	})
	if err != nil {
		return err
	}
	if err := d.Prepare(ctx); err != nil {
		return fmt.Errorf("run: refusing to start: %w", err)
	}
	loc := cfg.Reports.Location
	// The order loop's mapping, read at its start: reports need not read
	// mapping.yaml again.
	opts, err := a.exporterOptions(orders.mapping, "")
	if err != nil {
		return err
	}
	opts.Dir, opts.Registerer, opts.Log = cfg.Reports.Dir, reg, a.log
	exp, err := report.NewExporter(st, opts)
	if err != nil {
		return err
	}
	sched, err := report.NewScheduler(exp, report.SchedulerOptions{
		Spec: cfg.Reports.Schedule, Formats: []report.Format{report.Format(cfg.Reports.Format)}, Log: a.log,
	})
	if err != nil {
		return fmt.Errorf("run: reports.schedule: %w", err)
	}

	// HubSpot's webhooks come from the internet: they are served on the
	// public listener (see public.Options.HubSpotHook), never beside the
	// metrics or the console.
	handler := daemon.Mux(reg, nil, d.Ready)
	con, err := a.newConsole(ctx, st, reg, b, loc)
	if err != nil {
		return fmt.Errorf("run: refusing to start: %w", err)
	}
	handler.Handle("/", con)
	a.log.Info("alusta running", "http", ln.Addr().String(), "public", pln.Addr().String(),
		"public_base_url", cfg.Public.BaseURL, "store", cfg.Store.Path, "interval", cfg.Sync.Interval)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return daemon.Serve(gctx, ln, handler) })
	g.Go(func() error { return orders.public.Serve(gctx, pln) })
	g.Go(func() error { return orders.queue.Run(gctx) })
	g.Go(func() error { return orders.intake.Run(gctx) })
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
	g.Go(func() error { return d.RunReconcile(gctx) })
	err = g.Wait()
	a.log.Info("alusta stopped")
	return err
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
