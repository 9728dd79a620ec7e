package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/connector/sandbox"
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
		opts := sandbox.Options{Seed: cfg.Sandbox.Seed, StatePath: state, Logger: a.log.With("component", "sandbox")}
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
		token = "demo-" + randomHex(8)
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
