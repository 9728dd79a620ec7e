package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/alusta/alusta/connector/sandbox"
)

func newSandboxCmd(a *app) *cobra.Command {
	var (
		addr, seed, state, token, faults, hookURL, hookSecret string
		rateLimit, searchRate, dailyLimit                     int
		demoTickets, demoDeals                                int
	)
	c := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a local HubSpot-compatible CRM (demo data or empty)",
		Long: `sandbox serves the endpoints of HubSpot's CRM v3/v4 API that alusta uses, with
in-memory state, optionally persisted to --state. Point alusta (or any HubSpot
client) at the printed base URL with any non-empty token.

--faults injects failures for testing clients, as comma-separated key=value
pairs: 429=0.05 (share of requests answered 429), 5xx=0.02 (share answered
500-504), latency=200ms (added to every request), lag=5s (search index lag),
seed=1 (repeatable sequence).

--demo-tickets and --demo-deals grow (or shrink) the demo seed, for measuring
alusta against a production-sized portal in another process:

  alusta sandbox --seed demo --demo-tickets 100000 --demo-deals 20000 --search-rate 5 --rate-limit 190`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("seed") && a.cfg.Sandbox.Seed != "" {
				seed = a.cfg.Sandbox.Seed
			}
			if !cmd.Flags().Changed("state") {
				state = a.cfg.Sandbox.State
			}
			if !cmd.Flags().Changed("webhook-secret") {
				hookSecret = a.cfg.HTTP.WebhookSecret
			}
			f, err := parseFaults(faults)
			if err != nil {
				return err
			}
			opts := sandbox.Options{
				Token: token, Seed: seed, StatePath: state, RateLimit: rateLimit, SearchRate: searchRate,
				DailyLimit: dailyLimit, Faults: f, Logger: a.log,
				DemoSize: sandbox.DemoSize{Tickets: demoTickets, Deals: demoDeals},
			}
			if (demoTickets < 0 || demoDeals < 0) || ((demoTickets > 0 || demoDeals > 0) && seed != "demo") {
				return fmt.Errorf("sandbox: --demo-tickets and --demo-deals want --seed demo and a positive count")
			}
			if hookURL != "" {
				opts.Webhook = &sandbox.Webhook{URL: hookURL, ClientSecret: hookSecret}
			}
			start := time.Now()
			srv, err := sandbox.New(opts)
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("sandbox: listen: %w", err)
			}
			base := "http://" + ln.Addr().String()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "alusta sandbox (%s) serving HubSpot's CRM API at %s (ready in %s)\n",
				sandboxOrigin(seed, state, srv.Loaded()), base, time.Since(start).Round(time.Millisecond))
			fmt.Fprintf(out, "point alusta at it: ALUSTA_HUBSPOT_BASE_URL=%s ALUSTA_HUBSPOT_TOKEN=sandbox alusta run\n", base)
			if err := srv.Run(cmd.Context(), ln); err != nil {
				return err
			}
			return srv.Close()
		},
	}
	fl := c.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8090", "listen address")
	fl.StringVar(&seed, "seed", "demo", "initial data: demo or empty (ignored when --state exists)")
	fl.StringVar(&state, "state", "", "JSON file to load at start and save periodically and at exit")
	fl.IntVar(&demoTickets, "demo-tickets", 0, "tickets in the demo seed (0 = the demo's 3,000)")
	fl.IntVar(&demoDeals, "demo-deals", 0, "deals in the demo seed (0 = the demo's 2,000)")
	fl.StringVar(&token, "token", "", "accept only this bearer token (default: any non-empty token)")
	fl.IntVar(&rateLimit, "rate-limit", 0, "requests allowed per 10 s (0 = unlimited; HubSpot: 100, 190 or 250)")
	fl.IntVar(&searchRate, "search-rate", 0, "search requests allowed per second (0 = unlimited; HubSpot: 5)")
	fl.IntVar(&dailyLimit, "daily-limit", 0, "requests allowed per day (0 = unlimited)")
	fl.StringVar(&faults, "faults", "", "fault injection, e.g. 429=0.05,5xx=0.02,latency=100ms,lag=5s,seed=1")
	fl.StringVar(&hookURL, "webhook-url", "", "deliver object.creation/object.propertyChange webhooks to this URL")
	fl.StringVar(&hookSecret, "webhook-secret", "", "client secret the webhooks are signed with (default http.webhook_secret)")
	return c
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parseFaults reads the --faults flag.
func parseFaults(spec string) (sandbox.Faults, error) {
	var f sandbox.Faults
	if strings.TrimSpace(spec) == "" {
		return f, nil
	}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return f, fmt.Errorf("sandbox: --faults: %q: want key=value", kv)
		}
		var err error
		switch k {
		case "429":
			f.TooManyShare, err = strconv.ParseFloat(v, 64)
		case "5xx":
			f.ServerErrorShare, err = strconv.ParseFloat(v, 64)
		case "latency":
			f.Latency, err = time.ParseDuration(v)
		case "lag":
			f.SearchLag, err = time.ParseDuration(v)
		case "seed":
			f.Seed, err = strconv.ParseInt(v, 10, 64)
		default:
			return f, fmt.Errorf("sandbox: --faults: unknown key %q (want 429, 5xx, latency, lag or seed)", k)
		}
		if err != nil {
			return f, fmt.Errorf("sandbox: --faults: %s: %w", k, err)
		}
	}
	if f.TooManyShare < 0 || f.ServerErrorShare < 0 || f.TooManyShare+f.ServerErrorShare > 1 {
		return f, fmt.Errorf("sandbox: --faults: shares must be between 0 and 1 and sum to at most 1")
	}
	return f, nil
}

// sandboxOrigin says where the sandbox's data came from: a state file, when
// one was read, replaces the seed entirely.
func sandboxOrigin(seed, state string, loaded bool) string {
	if loaded {
		return "state from " + state + "; --seed ignored"
	}
	return orDefault(seed, "empty") + " seed"
}
