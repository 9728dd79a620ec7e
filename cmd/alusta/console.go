package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/console"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/store"
)

// newConsole builds the operations console served on http.addr from the
// settings; it fails when http.addr is not loopback and console.auth is
// none.
func (a *app) newConsole(ctx context.Context, st *store.Store, g prometheus.Gatherer, b *backend, loc *time.Location) (*console.Console, error) {
	cfg := a.cfg
	trusted, err := console.ParsePrefixes(cfg.Console.ProxyTrusted)
	if err != nil {
		return nil, err
	}
	o := console.Options{
		Store: st, Addr: cfg.HTTP.Addr, Gatherer: g, PortalID: cfg.Console.PortalID,
		DailyLimit: cfg.HubSpot.DailyLimit, Quota: b.client, Loc: loc, Log: a.log.With("component", "console"),
		Auth: console.Auth{
			Mode: cfg.Console.Auth, AllowedGroups: console.SplitList(cfg.Console.AllowedGroups),
			Issuer: cfg.Console.OIDCIssuer, ClientID: cfg.Console.OIDCClientID, ClientSecret: cfg.Console.OIDCClientSecret,
			RedirectURL: cfg.Console.OIDCRedirectURL, GroupsClaim: cfg.Console.OIDCGroupsClaim, Trusted: trusted,
		},
	}
	if cfg.Demo() {
		m, err := mappings.Load(cfg.Mappings.Dir)
		if err != nil {
			return nil, err
		}
		o.Sandbox, o.Mapping = b.client, m
	}
	c, err := console.New(ctx, o)
	if err != nil {
		return nil, err
	}
	a.log.Info("operations console", "url", "http://"+cfg.HTTP.Addr+"/", "auth", cfg.Console.Auth)
	return c, nil
}
