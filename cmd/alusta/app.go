package main

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/config"
	"github.com/alusta/alusta/connector/sandbox"
	"github.com/alusta/alusta/store/mask"
)

// app is what every subcommand shares: the effective configuration and the
// logger, loaded once before the subcommand runs.
type app struct {
	configFile string
	cfg        *config.Config
	log        *slog.Logger
	// zone is the one time zone of logs and command output
	// (reports.timezone), written with its offset; see timeText.
	zone *time.Location
	// demoSize shrinks the demo sandbox in tests; zero is the full demo.
	demoSize sandbox.DemoSize
}

func (a *app) bindFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&a.configFile, "config", "", "configuration file (default ./alusta.yaml if present)")
	f.String("base-url", "", "HubSpot API base URL (hubspot.base_url)")
	f.String("token-file", "", "file holding the HubSpot private-app token (hubspot.token_file)")
	f.String("store", "", "SQLite cache file (store.path)")
	f.String("pipelines", "", "rules folder (pipelines.dir)")
	f.String("mappings", "", "mappings folder (mappings.dir)")
	f.String("http-addr", "", "listen address for health and metrics (http.addr)")
	f.String("public-addr", "", "listen address for the intake API, order pages and HubSpot webhooks (public.addr)")
	f.String("interval", "", "polling interval (sync.interval)")
	f.String("reports", "", "report export folder (reports.dir)")
	f.String("log-level", "", "debug, info, warn or error (log.level)")
}

func (a *app) load(cmd *cobra.Command) error {
	cfg, err := config.Load(a.configFile, cmd.Flags(), os.Environ())
	if err != nil {
		return err
	}
	a.cfg = cfg
	a.zone = time.UTC
	if cfg.Reports.Location != nil {
		a.zone = cfg.Reports.Location
	}
	a.log = newLogger(cmd.ErrOrStderr(), cfg.Log, a.zone)
	if cmd.Name() != "show" {
		for _, w := range cfg.Warnings {
			a.log.Warn("configuration", "warning", w)
		}
	}
	return nil
}

func newLogger(w io.Writer, c config.Log, zone *time.Location) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, at slog.Attr) slog.Attr {
		if len(groups) == 0 && at.Key == slog.TimeKey && at.Value.Kind() == slog.KindTime {
			at.Value = slog.StringValue(at.Value.Time().In(zone).Format(logTime))
		}
		return at
	}}
	// Every line is masked, whoever logs it: a CRM value quoted in a
	// warning or an error may hold an identity code.
	if strings.EqualFold(c.Format, "json") {
		return slog.New(mask.NewHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(mask.NewHandler(slog.NewTextHandler(w, opts)))
}

// logTime is RFC 3339 with milliseconds and the zone's offset, so that a
// log line, report status and rules explain give the same instant the same
// way: 2026-12-01T16:00:00.000+02:00.
const logTime = "2006-01-02T15:04:05.000Z07:00"

// timeText writes t in the zone of logs and output, RFC 3339 with offset.
func (a *app) timeText(t time.Time) string {
	if a.zone == nil {
		return t.UTC().Format(time.RFC3339)
	}
	return t.In(a.zone).Format(time.RFC3339)
}
