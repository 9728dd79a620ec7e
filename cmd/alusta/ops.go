package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newVersionCmd(*app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print alusta's version and build information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bi, ok := debug.ReadBuildInfo()
			if !ok {
				return fmt.Errorf("version: no build information in this binary")
			}
			printVersion(cmd.OutOrStdout(), bi)
			return nil
		},
	}
}

// printVersion writes one line an operator can paste into a bug report:
// the module version, the commit and whether the tree had local changes.
func printVersion(w io.Writer, bi *debug.BuildInfo) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	parts := []string{"alusta " + bi.Main.Version}
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if settings["vcs.modified"] == "true" {
			rev += " (modified)"
		}
		parts = append(parts, "commit "+rev)
	}
	if at := settings["vcs.time"]; at != "" {
		parts = append(parts, "from "+at)
	}
	parts = append(parts, bi.GoVersion, settings["GOOS"]+"/"+settings["GOARCH"])
	fmt.Fprintln(w, strings.Join(parts, ", "))
}

func newHealthCmd(a *app) *cobra.Command {
	var ready bool
	c := &cobra.Command{
		Use:   "health",
		Short: "Ask the running daemon whether it is healthy (for container health checks); exit 1 if not",
		Long: `health asks the daemon on http.addr for /healthz (or /readyz with --ready) and
exits 0 when it answers 200. The container image has no curl; its HEALTHCHECK
runs this.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/healthz"
			if ready {
				path = "/readyz"
			}
			return checkHealth(cmd.Context(), cmd.OutOrStdout(), a.cfg.HTTP.Addr, path)
		},
	}
	c.Flags().BoolVar(&ready, "ready", false, "ask /readyz: has a cycle succeeded recently")
	return c
}

func checkHealth(ctx context.Context, w io.Writer, addr, path string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("health: http.addr %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1" // the daemon listens on every interface, loopback included
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("health: %s: %v", url, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return &exitError{code: 1, msg: fmt.Sprintf("health: %s: %s %s", url, resp.Status, msg)}
	}
	fmt.Fprintf(w, "ok: %s %s\n", url, msg)
	return nil
}
