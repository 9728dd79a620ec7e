package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/store"
)

// backend is the CRM alusta talks to: HubSpot, or in demo mode the
// embedded sandbox serving on a loopback port.
type backend struct {
	client  *hubspot.Client
	sandbox *sandbox.Server
	ln      net.Listener
	baseURL string
}

// webhookTarget tells a demo sandbox where to deliver webhooks.
type webhookTarget struct {
	url, secret string
}

// chooseDemo settles demo mode for run and sync: --demo forces it, and a
// missing token falls into it only when nothing production-like is set.
func (a *app) chooseDemo(force bool) error {
	a.cfg.ForceDemo = force
	return a.cfg.CheckDemo()
}

// connect builds the HubSpot client. With no token configured it first
// starts the sandbox with the demo seed and says so loudly: a user must
// never mistake the demo for their portal.
func (a *app) connect(reg prometheus.Registerer, hook *webhookTarget) (*backend, error) {
	cfg := a.cfg
	b := &backend{baseURL: cfg.HubSpot.BaseURL}
	token := cfg.HubSpot.Token
	if cfg.Demo() {
		state := cfg.Sandbox.State
		if state == "" {
			state = strings.TrimSuffix(cfg.Store.Path, ".db") + "-sandbox.json"
		}
		// The sandbox listens on loopback, where any local user could
		// reach it: only alusta, holding the generated token, may.
		token = "demo-" + randomHex(16)
		opts := sandbox.Options{Token: token, Seed: cfg.Sandbox.Seed, StatePath: state, Logger: a.log.With("component", "sandbox"), DemoSize: a.demoSize}
		if hook != nil {
			opts.Webhook = &sandbox.Webhook{URL: hook.url, ClientSecret: hook.secret}
		}
		srv, err := sandbox.New(opts)
		if err != nil {
			return nil, fmt.Errorf("demo mode: start sandbox: %w", err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			srv.Close()
			return nil, fmt.Errorf("demo mode: listen: %w", err)
		}
		b.sandbox, b.ln = srv, ln
		b.baseURL = "http://" + ln.Addr().String()
		a.log.Warn("DEMO MODE: no HubSpot token configured (hubspot.token / ALUSTA_HUBSPOT_TOKEN); " +
			"alusta is talking to its embedded sandbox with demo data, not to HubSpot")
		a.log.Warn("DEMO MODE: sandbox", "base_url", b.baseURL, "seed", cfg.Sandbox.Seed, "state", state)
	}
	client, err := hubspot.New(hubspot.Options{
		BaseURL:    b.baseURL,
		Token:      token,
		RateLimit:  cfg.HubSpot.RateLimit,
		SearchRate: cfg.HubSpot.SearchRate,
		DailyLimit: cfg.HubSpot.DailyLimit,
		Timeout:    cfg.HubSpot.Timeout,
		Logger:     a.log.With("component", "hubspot"),
		Registerer: reg,
	})
	if err != nil {
		b.Close()
		return nil, err
	}
	b.client = client
	return b, nil
}

// openStore opens the store and checks it belongs to the portal the client
// reaches, binding it at first use. In demo mode the cache is started
// afresh when the demo sandbox lost changes the cache remembers, since the
// cache's cursors would then stay past the records that need deciding
// again: a sandbox seeded again because alusta was killed before its first
// save (another portal), or one read from a periodic save because alusta
// was killed after it.
func (a *app) openStore(ctx context.Context, b *backend) (*store.Store, error) {
	path := a.cfg.Store.Path
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return nil, err
	}
	_, bound, err := st.Portal(ctx)
	if err == nil {
		err = daemon.BindPortal(ctx, b.client, st, path, b.sandbox != nil)
	}
	reason := ""
	var other *daemon.OtherPortalError
	switch {
	case b.sandbox == nil:
	case errors.As(err, &other) && other.Have.Demo:
		reason = "the demo sandbox was seeded again (alusta stopped before its state was first saved)"
	case err == nil && bound && b.sandbox.Unclean():
		reason = "the demo sandbox was read from a periodic save (alusta stopped without saving its last changes)"
	}
	if reason != "" {
		a.log.Warn("DEMO MODE: "+reason+"; starting the demo cache again", "store", path)
		st.Close()
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("demo mode: start the demo cache again: %w", err)
			}
		}
		if st, err = store.Open(ctx, path, store.Options{}); err != nil {
			return nil, err
		}
		err = daemon.BindPortal(ctx, b.client, st, path, true)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// start serves the demo sandbox until stop is called or ctx ends; stop
// waits for it and logs a failure. Against HubSpot both do nothing. Every
// command that talks to the CRM starts and stops the sandbox this way.
func (b *backend) start(ctx context.Context, log *slog.Logger) (stop func()) {
	if b.sandbox == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.sandbox.Run(ctx, b.ln) }()
	return func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			log.Error("sandbox stopped", "err", err)
		}
	}
}

// Close saves the demo sandbox's state.
func (b *backend) Close() error {
	if b.sandbox == nil {
		return nil
	}
	b.ln.Close()
	return b.sandbox.Close()
}

func randomHex(n int) string {
	buf := make([]byte, n)
	rand.Read(buf)
	return hex.EncodeToString(buf)
}
