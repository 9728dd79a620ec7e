package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/daemon"
	"github.com/alusta/alusta/forward"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/notify"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// planSample is how many changed records plan lists.
const planSample = 20

func newRulesPlanCmd(a *app, newDir func() (string, bool)) *cobra.Command {
	var shadow bool
	c := &cobra.Command{
		Use:   "plan [--dir NEW]",
		Short: "Show what a rule change would rewrite in the cached records; exit 2 when something would change",
		Long: `plan decides the records in the store with the rules the daemon runs and with the
new folder (--dir, default pipelines.dir as edited), and prints how many records
each kind of value would change for (queue, owner, provider, priority, stage,
SLA due) with a sample of records, before -> after. It writes nothing. Exit 0
when nothing would change, 2 when something would, 1 on error.

With --shadow it lists instead what a daemon in shadow mode (run --shadow,
sync.mode: shadow) held back: per record, HubSpot's value -> alusta's, the
order loop's steps (service orders, referrals) and the messages providers
and NGOs would have had. Held messages are never sent: going live drops them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if shadow {
				return rulesShadow(cmd.Context(), cmd.OutOrStdout(), a.cfg.Store.Path, a.cfg.Mappings.Dir, a.cfg.Reports.Location)
			}
			dir, _ := newDir()
			return a.withCRM(cmd.Context(), "rules plan", func(ctx context.Context, c daemon.ExplainCRM) error {
				return rulesPlan(ctx, cmd.OutOrStdout(), c, a.cfg.Store.Path, a.cfg.Pipelines.Dir, dir, a.cfg.Mappings.Dir, a.cfg.Rules.MaxChanges, time.Now(), a.zone)
			})
		},
	}
	c.Flags().BoolVar(&shadow, "shadow", false, "list the writes shadow mode held back")
	return c
}

func newRulesApplyCmd(a *app, newDir func() (string, bool)) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "apply --yes",
		Short: "Let the rules in pipelines.dir go live however many records they rewrite",
		Long: `apply approves the rule files now in pipelines.dir, after checking them and running
their test cases. A running daemon holding them back (rules.max_changes) applies
them at its next look; an edit after the approval needs a new one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir, given := newDir(); given && filepath.Clean(dir) != filepath.Clean(a.cfg.Pipelines.Dir) {
				return fmt.Errorf("rules apply: the daemon runs pipelines.dir (%s), not %s: copy the rules there first", a.cfg.Pipelines.Dir, dir)
			}
			return rulesApply(cmd.Context(), cmd.OutOrStdout(), a.cfg.Store.Path, a.cfg.Pipelines.Dir, a.cfg.Mappings.Dir, yes, time.Now())
		},
	}
	c.Flags().BoolVar(&yes, "yes", false, "approve without asking")
	return c
}

// withCRM connects to HubSpot (or, in demo mode, starts the embedded
// sandbox, which serves until fn returns) and runs fn.
func (a *app) withCRM(parent context.Context, op string, fn func(context.Context, daemon.ExplainCRM) error) error {
	b, err := a.connect(prometheus.NewRegistry(), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer b.Close()
	defer b.start(parent, a.log)()
	return fn(parent, b.client)
}

func openExistingStore(ctx context.Context, path string) (*store.Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no store at %s: run alusta sync --once (or alusta run) first", path)
	}
	return store.Open(ctx, path, store.Options{})
}

// daemonRules names the live rules when they are the store's copy of what
// the daemon runs.
const daemonRules = "the rules the daemon runs"

// comparison is the rules the daemon runs and a new folder, resolved
// against the portal, with the cached records and the engine's memory.
type comparison struct {
	m                 *mappings.Mapping
	owners            []hubspot.Owner
	liveName          string
	liveSrcs, newSrcs map[string][]byte
	live, next        *pipelines.Rules
	inputs            []pipelines.Input
	state             *pipelines.State
}

// compare loads what plan and backtest compare: the rules the daemon runs
// (kept in the store) or, before it has recorded them, liveDir; and the
// rules in newDir, whose problems are printed to w.
func compare(ctx context.Context, w io.Writer, op string, c daemon.ExplainCRM, st *store.Store, liveDir, newDir, mappingDir string) (*comparison, error) {
	m, err := mappings.Load(mappingDir)
	if err != nil {
		return nil, err
	}
	pls := map[string][]hubspot.Pipeline{}
	for _, t := range []string{hubspot.Tickets, hubspot.Deals} {
		if pls[t], err = c.Pipelines(ctx, t); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := m.Resolve(pls); err != nil {
		return nil, err
	}
	cmp := &comparison{m: m, liveName: daemonRules}
	if cmp.owners, err = c.Owners(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	live, ok, err := daemon.LoadLiveRules(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	cmp.liveSrcs = live.Sources(liveDir)
	if !ok {
		if filepath.Clean(liveDir) == filepath.Clean(newDir) {
			return nil, fmt.Errorf("%s: the store holds no copy of the rules the daemon runs yet: give --dir NEW to compare with %s", op, liveDir)
		}
		cmp.liveName = liveDir
		if cmp.liveSrcs, err = pipelines.Sources(liveDir); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	if cmp.live, err = pipelines.Parse(cmp.liveSrcs, m); err != nil {
		return nil, fmt.Errorf("%s: the live rules: %w", op, err)
	}
	if cmp.newSrcs, err = pipelines.Sources(newDir); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if cmp.next, err = pipelines.Parse(cmp.newSrcs, m); err != nil {
		if printProblems(w, err) {
			return nil, &exitError{code: 1}
		}
		return nil, err
	}
	for _, warn := range cmp.next.MembersWithoutOwner(cmp.owners) {
		fmt.Fprintln(w, "warning:", warn)
	}
	if cmp.inputs, err = daemon.StoredInputs(ctx, st, m, cmp.owners); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if cmp.state, err = daemon.LoadState(ctx, st); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return cmp, nil
}

// rulesPlan compares the rules the daemon runs with newDir over the cached
// records.
func rulesPlan(ctx context.Context, w io.Writer, c daemon.ExplainCRM, storePath, liveDir, newDir, mappingDir string, maxChanges int, now time.Time, tz *time.Location) error {
	st, err := openExistingStore(ctx, storePath)
	if err != nil {
		return fmt.Errorf("rules plan: %w", err)
	}
	defer st.Close()
	cmp, err := compare(ctx, w, "rules plan", c, st, liveDir, newDir, mappingDir)
	if err != nil {
		return err
	}
	m, owners, liveName, liveSrcs, newSrcs := cmp.m, cmp.owners, cmp.liveName, cmp.liveSrcs, cmp.newSrcs
	plan, err := pipelines.ComparePlan(pipelines.NewEngine(cmp.live, m), pipelines.NewEngine(cmp.next, m), cmp.inputs, cmp.state, now)
	if err != nil {
		return fmt.Errorf("rules plan: %w", err)
	}
	fmt.Fprintf(w, "plan: %s (%s) -> %s (%s), %d cached records decided\n", liveName, pipelines.Fingerprint(liveSrcs),
		filepath.Clean(newDir), pipelines.Fingerprint(newSrcs), plan.Records)
	printPlan(w, plan, newNamer(ctx, st, m, owners, tz))
	if n := len(plan.Changes); n == 0 {
		fmt.Fprintln(w, "no changes")
		return nil
	} else if maxChanges >= 0 && n > maxChanges {
		fmt.Fprintf(w, "more than rules.max_changes (%d): the daemon waits for alusta rules apply --yes\n", maxChanges)
	}
	return &exitError{code: 2}
}

func printPlan(w io.Writer, p pipelines.Plan, name func(kind, value string) string) {
	if len(p.Changes) == 0 {
		return
	}
	fmt.Fprintf(w, "%d records would change:\n", len(p.Changes))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	for _, k := range pipelines.PlanKinds {
		fmt.Fprintf(tw, "  %s\t%d\t\n", k, p.Counts[k])
	}
	for _, k := range slices.Sorted(maps.Keys(p.Counts)) {
		if !slices.Contains(pipelines.PlanKinds, k) {
			fmt.Fprintf(tw, "  %s\t%d\t\n", k, p.Counts[k])
		}
	}
	tw.Flush()
	n := min(len(p.Changes), planSample)
	fmt.Fprintf(w, "the first %d:\n", n)
	for _, c := range p.Changes[:n] {
		var parts []string
		for _, d := range c.Diffs {
			if d.Kind == "note" || d.Kind == daemon.ShadowActionKind {
				parts = append(parts, fmt.Sprintf("%s: %q", d.Kind, d.After))
				continue
			}
			parts = append(parts, fmt.Sprintf("%s: %s -> %s", d.Kind, name(d.Kind, d.Before), name(d.Kind, d.After)))
		}
		fmt.Fprintf(w, "  %s/%s  %s\n", c.ObjectType, c.RecordID, strings.Join(parts, "; "))
	}
}

// newNamer writes a plan's values as people know them: owners and
// providers by name with the id, stages by label, "none" for no value.
func newNamer(ctx context.Context, st *store.Store, m *mappings.Mapping, owners []hubspot.Owner, tz *time.Location) func(kind, value string) string {
	names := map[string]string{}
	for _, o := range owners {
		names["owner/"+o.ID] = strings.TrimSpace(o.FirstName + " " + o.LastName)
	}
	if companies, err := st.Records(ctx, hubspot.Companies, store.Filter{IncludeArchived: true}); err == nil {
		for _, c := range companies {
			names["provider/"+c.ID] = c.Prop("name")
		}
	}
	return func(kind, value string) string {
		switch {
		case value == "":
			return "none"
		case kind == "stage":
			for _, t := range []string{hubspot.Tickets, hubspot.Deals} {
				if s := m.StageName(t, value); s != "" {
					return s
				}
			}
		case names[kind+"/"+value] != "":
			return names[kind+"/"+value] + " (" + value + ")"
		case kind == "sla_due":
			// As the CLI writes times elsewhere (timeText): in the
			// zone of logs and output, RFC 3339 with its offset.
			if t, err := time.Parse(time.RFC3339, value); err == nil && tz != nil {
				return t.In(tz).Format(time.RFC3339)
			}
		}
		return value
	}
}

// rulesApply approves the rule files in dir once they pass rules check and
// their test cases.
func rulesApply(ctx context.Context, w io.Writer, storePath, dir, mappingDir string, yes bool, now time.Time) error {
	if err := rulesCheck(w, dir, mappingDir); err != nil {
		return err
	}
	if err := daemon.TestRules(dir, mappingDir); err != nil {
		fmt.Fprintln(w, err)
		return &exitError{code: 1}
	}
	srcs, err := pipelines.Sources(dir)
	if err != nil {
		return fmt.Errorf("rules apply: %w", err)
	}
	fp := pipelines.Fingerprint(srcs)
	if !yes {
		return fmt.Errorf("rules apply: give --yes to let rules %s in %s go live however many records they rewrite (see alusta rules plan)", fp, dir)
	}
	st, err := openExistingStore(ctx, storePath)
	if err != nil {
		return fmt.Errorf("rules apply: %w", err)
	}
	defer st.Close()
	by := whoAmI()
	if err := daemon.Approve(ctx, st, daemon.Approval{Fingerprint: fp, By: by, At: now.UTC()}); err != nil {
		return fmt.Errorf("rules apply: %w", err)
	}
	fmt.Fprintf(w, "approved rules %s in %s (by %s): a running daemon applies them at its next look\n", fp, filepath.Clean(dir), by)
	return nil
}

// rulesShadow lists the writes a daemon in shadow mode held back, offline:
// names and stage labels come from the store.
func rulesShadow(ctx context.Context, w io.Writer, storePath, mappingDir string, tz *time.Location) error {
	st, err := openExistingStore(ctx, storePath)
	if err != nil {
		return fmt.Errorf("rules plan --shadow: %w", err)
	}
	defer st.Close()
	m, err := mappings.Load(mappingDir)
	if err != nil {
		return err
	}
	pls := map[string][]hubspot.Pipeline{}
	for _, t := range []string{hubspot.Tickets, hubspot.Deals} {
		stages, err := st.Stages(ctx, t)
		if err != nil {
			return fmt.Errorf("rules plan --shadow: %w", err)
		}
		for _, s := range stages {
			if len(pls[t]) == 0 || pls[t][len(pls[t])-1].ID != s.PipelineID {
				pls[t] = append(pls[t], hubspot.Pipeline{ID: s.PipelineID, Label: s.PipelineLabel})
			}
			pl := &pls[t][len(pls[t])-1]
			pl.Stages = append(pl.Stages, hubspot.Stage{ID: s.StageID, Label: s.Label})
		}
	}
	if err := m.Resolve(pls); err != nil {
		return fmt.Errorf("rules plan --shadow: the stored pipelines: %w", err)
	}
	stored, err := st.Owners(ctx)
	if err != nil {
		return fmt.Errorf("rules plan --shadow: %w", err)
	}
	owners := make([]hubspot.Owner, len(stored))
	for i, o := range stored {
		owners[i] = hubspot.Owner{ID: o.ID, FirstName: o.FirstName, LastName: o.LastName}
	}
	recs, err := daemon.ShadowRecords(ctx, st)
	if err != nil {
		return fmt.Errorf("rules plan --shadow: %w", err)
	}
	kindOf := func(objectType, prop string) string {
		for _, k := range pipelines.PlanKinds {
			if pipelines.PlanProperty(m, objectType, k) == prop {
				return k
			}
		}
		return prop
	}
	plan := daemon.ShadowPlan(recs, kindOf)
	ended, err := daemon.ShadowEnded(ctx, st)
	if err != nil {
		return fmt.Errorf("rules plan --shadow: %w", err)
	}
	held, err := st.Notifications(ctx, notify.ShadowPrefix)
	if err != nil {
		return fmt.Errorf("rules plan --shadow: %w", err)
	}
	if !ended.IsZero() {
		fmt.Fprintf(w, "alusta left shadow mode at %s: none of what follows was written or sent\n",
			ended.In(tz).Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(w, "shadow: %d records with writes held back (sync.mode: shadow)\n", len(recs))
	printPlan(w, plan, newNamer(ctx, st, m, owners, tz))
	printHeld(w, held, tz)
	if len(recs) == 0 && len(held) == 0 {
		return nil
	}
	return &exitError{code: 2}
}

// printHeld lists the messages shadow mode held: the provider or NGO
// each was for, and why. They carry no client data.
func printHeld(w io.Writer, held []store.Notification, tz *time.Location) {
	fmt.Fprintf(w, "messages held: %d (never sent; dropped when alusta runs live)\n", len(held))
	for _, n := range held {
		what := strings.TrimPrefix(n.Key, notify.ShadowPrefix)
		if n.Channel == forward.Channel {
			var j struct{ Deal, Provider, Event string }
			if json.Unmarshal([]byte(n.Body), &j) == nil && j.Deal != "" {
				what = fmt.Sprintf("tell provider %s of order %s (%s)", j.Provider, j.Deal, j.Event)
			}
		} else {
			what = fmt.Sprintf("%s to %s: %s", n.Channel, n.Recipient, what)
		}
		fmt.Fprintf(w, "  %s  %-8s %s\n", n.CreatedAt.In(tz).Format("2006-01-02 15:04"), n.State, what)
	}
}
