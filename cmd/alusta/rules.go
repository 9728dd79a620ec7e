package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/alusta/alusta/config/yamlpos"
	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/locale"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

func newRulesCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "rules", Short: "Check, test and explain the routing, SLA and assignment rules"}
	var dir string
	c.PersistentFlags().StringVar(&dir, "dir", "", "rules folder (default pipelines.dir)")
	rulesDir := func() string {
		if dir != "" {
			return dir
		}
		return a.cfg.Pipelines.Dir
	}
	givenDir := func() (string, bool) { return rulesDir(), dir != "" }
	c.AddCommand(newRulesPlanCmd(a, givenDir), newRulesApplyCmd(a, givenDir), newRulesBacktestCmd(a, givenDir))
	c.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Load and validate every rule file; print every problem as file:line:col",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rulesCheck(cmd.OutOrStdout(), rulesDir(), a.cfg.Mappings.Dir)
		},
	})
	c.AddCommand(&cobra.Command{
		Use:   "test",
		Short: "Run the *_test.yaml cases beside the rules; PASS or FAIL per case",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rulesTest(cmd.OutOrStdout(), rulesDir(), a.cfg.Mappings.Dir)
		},
	})
	var ticket, deal, at string
	explain := &cobra.Command{
		Use:   "explain --ticket ID | --deal ID",
		Short: "Show which route, SLA goal and provider the rules choose for a CRM record, and why",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			objType, id := hubspot.Tickets, ticket
			switch {
			case ticket != "" && deal != "":
				return errors.New("rules explain: give --ticket or --deal, not both")
			case deal != "":
				objType, id = hubspot.Deals, deal
			case ticket == "":
				return errors.New("rules explain: give --ticket ID or --deal ID")
			}
			now := time.Now()
			if at != "" {
				var err error
				if now, err = time.Parse(time.RFC3339, at); err != nil {
					return fmt.Errorf("rules explain: --at: %w", err)
				}
			}
			// In demo mode connect starts the embedded sandbox (with the
			// daemon's sandbox state file), which serves until explain ends.
			b, err := a.connect(prometheus.NewRegistry(), nil)
			if err != nil {
				return fmt.Errorf("rules explain: %w", err)
			}
			defer b.Close()
			ctx := cmd.Context()
			defer b.start(ctx, a.log)()
			base, err := a.daemonState(ctx, b.client, objType+"/"+id)
			if err != nil {
				return fmt.Errorf("rules explain: %w", err)
			}
			if base != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "state: the daemon's, from %s\n", a.cfg.Store.Path)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "state: fresh (no store at %s): open orders counted from the CRM, no rotation or history\n", a.cfg.Store.Path)
			}
			return rulesExplain(ctx, cmd.OutOrStdout(), b.client, rulesDir(), a.cfg.Mappings.Dir, objType, id, now, base, a.zone)
		},
	}
	explain.Flags().StringVar(&ticket, "ticket", "", "ticket id")
	explain.Flags().StringVar(&deal, "deal", "", "deal id")
	explain.Flags().StringVar(&at, "at", "", "decide as of this RFC 3339 time instead of now")
	c.AddCommand(explain)
	return c
}

// printProblems prints a load error as one line per problem and reports
// whether it was a list of problems (rather than an I/O failure).
func printProblems(w io.Writer, err error) bool {
	var es yamlpos.Errors
	if !errors.As(err, &es) {
		return false
	}
	for _, e := range es {
		fmt.Fprintln(w, e.Error())
	}
	return true
}

func rulesCheck(w io.Writer, dir, mappingDir string) error {
	m, err := mappings.Load(mappingDir)
	if err != nil {
		if printProblems(w, err) {
			return &exitError{code: 1}
		}
		return err
	}
	warnings, err := pipelines.Check(dir, m)
	for _, warn := range warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
	if err != nil {
		if printProblems(w, err) {
			return &exitError{code: 1}
		}
		return err
	}
	files, _ := pipelines.RuleFiles(dir)
	fmt.Fprintf(w, "ok: %d rule files in %s\n", len(files), filepath.Clean(dir))
	return nil
}

func rulesTest(w io.Writer, dir, mappingDir string) error {
	m, err := mappings.Load(mappingDir)
	if err != nil {
		if printProblems(w, err) {
			return &exitError{code: 1}
		}
		return err
	}
	results, err := pipelines.RunTests(dir, m, w)
	if err != nil {
		if printProblems(w, err) {
			return &exitError{code: 1}
		}
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("rules test: no test cases (*_test.yaml) in %s", filepath.Clean(dir))
	}
	failed := 0
	for _, r := range results {
		if len(r.Failures) > 0 {
			failed++
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// daemonState loads the daemon's engine state for one record when the
// store exists, so explain decides as the daemon would; nil without one.
// A store of another portal is an error: its memory would explain nothing.
func (a *app) daemonState(ctx context.Context, c *hubspot.Client, key string) (*pipelines.State, error) {
	if _, err := os.Stat(a.cfg.Store.Path); err != nil {
		return nil, nil
	}
	st, err := store.Open(ctx, a.cfg.Store.Path, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := daemon.CheckPortal(ctx, c, st, a.cfg.Store.Path); err != nil {
		return nil, err
	}
	return daemon.LoadState(ctx, st, key)
}

// rulesExplain decides one record as the daemon would and prints it.
func rulesExplain(ctx context.Context, w io.Writer, c daemon.ExplainCRM, dir, mappingDir, objType, id string, now time.Time, base *pipelines.State, zone *time.Location) error {
	x, err := daemon.Explain(ctx, c, daemon.ExplainOptions{PipelinesDir: dir, MappingsDir: mappingDir,
		ObjectType: objType, ID: id, Now: now, State: base})
	if err != nil {
		return fmt.Errorf("rules explain: %w", err)
	}
	for _, warn := range x.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
	printDecision(w, x.Decision, x.Earlier, x.Owners, x.Printer, zone)
	return nil
}

// printCycle writes one SLA cycle on a line led by head.
func printCycle(w io.Writer, head string, c pipelines.SLACycle, zone *time.Location) {
	state := c.Status
	if !c.Stopped.IsZero() {
		state += " (stopped " + c.Stopped.In(zone).Format(time.RFC3339) + ")"
	}
	fmt.Fprintf(w, "%s: goal %s on %s, started %s, elapsed %s of %s, due %s, %s\n", head, c.Goal, c.Calendar,
		c.Start.In(zone).Format(time.RFC3339), c.Elapsed.Round(time.Second), c.Target, c.Due.In(zone).Format(time.RFC3339), state)
}

// printDecision writes a decision; earlier are the record's SLA cycles
// that stopped before it.
func printDecision(w io.Writer, d pipelines.Decision, earlier []pipelines.SLACycle, owners []hubspot.Owner, p *locale.Printer, zone *time.Location) {
	fmt.Fprintf(w, "%s %s\n", strings.TrimSuffix(d.ObjectType, "s"), d.RecordID)
	fmt.Fprintf(w, "route: %s\n", d.Rule)
	fmt.Fprintf(w, "decision: %s\n", d.Explanation)
	for _, p := range d.Problems {
		fmt.Fprintf(w, "problem: %s (counted as false)\n", p)
	}
	for _, c := range earlier {
		printCycle(w, "sla "+c.Policy+" (earlier)", c, zone)
	}
	for _, c := range d.SLA {
		printCycle(w, "sla "+c.Policy, c, zone)
	}
	if !d.NextWake.IsZero() {
		fmt.Fprintf(w, "next check: %s\n", d.NextWake.In(zone).Format(time.RFC3339))
	}
	if len(d.Candidates) > 0 {
		fmt.Fprintln(w, "candidates:")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, c := range d.Candidates {
			mark := "-"
			switch {
			case c.Chosen && c.Reason == "" && d.Associate == nil:
				mark = "assigned"
			case !c.Eligible:
				c.Reason = c.Why.In(p)
			case c.Chosen:
				mark = "chosen"
			case c.Eligible:
				mark = "eligible"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.ID, c.Name, mark, c.Reason)
		}
		tw.Flush()
	}
	names := map[string]string{}
	for _, o := range owners {
		names[o.ID] = o.Email
	}
	if len(d.Writes) > 0 {
		fmt.Fprintln(w, "would write:")
		for k, v := range d.Writes.All() {
			if n, ok := names[v]; ok && k == "hubspot_owner_id" {
				v += " (" + n + ")"
			}
			// A list (a shortlist, suggestions) keeps one entry a line.
			fmt.Fprintf(w, "  %s = %s\n", k, strings.ReplaceAll(v, "\n", "\n    "))
		}
	}
	if len(d.Sticky) > 0 {
		fmt.Fprintf(w, "left alone (changed by a person): %s\n", strings.Join(d.Sticky, ", "))
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "note: %s\n", strings.ReplaceAll(n, "\n", "\n  "))
	}
	if r := d.Referral; r != nil {
		fmt.Fprintf(w, "would make a referral to %s (%s)\n", r.ActivityName, r.ActivityID)
	}
	if o := d.Outcome; o != nil {
		fmt.Fprintf(w, "would write on ticket %s: %s = %s\n", o.TicketID, o.Property, o.Value)
	}
}
