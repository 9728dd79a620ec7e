package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// A rule change goes live only through the gate: the folder's own test
// cases pass, and a change that would rewrite more than MaxChanges records
// waits until someone approves exactly those files (alusta rules apply).
// The rules that run are kept in the store, so `rules plan` compares an
// edited folder with them, not with the folder as it was last saved.
const (
	liveRulesState = "rules/live"
	approvalState  = "rules/approved"

	// DefaultMaxChanges is rules.max_changes when unset.
	DefaultMaxChanges = 200
)

// LiveRules is the copy of the rule files the daemon runs.
type LiveRules struct {
	Fingerprint string            `json:"fingerprint"`
	Files       map[string]string `json:"files"` // base name -> content
	At          time.Time         `json:"at"`
}

// Sources returns the files as Parse takes them, named as if in dir.
func (l LiveRules) Sources(dir string) map[string][]byte {
	out := make(map[string][]byte, len(l.Files))
	for name, src := range l.Files {
		out[filepath.Join(dir, name)] = []byte(src)
	}
	return out
}

// Approval lets one set of rule files through the max_changes gate.
type Approval struct {
	Fingerprint string    `json:"fingerprint"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// ErrNeedsApproval marks a reload held back by rules.max_changes.
var ErrNeedsApproval = errors.New("waiting for alusta rules apply --yes")

// LoadLiveRules reads the copy of the rules the daemon runs; ok is false
// before the daemon has run with this store.
func LoadLiveRules(ctx context.Context, st *store.Store) (LiveRules, bool, error) {
	var l LiveRules
	if err := st.LoadState(ctx, liveRulesState, &l); err != nil {
		return l, false, fmt.Errorf("load live rules: %w", err)
	}
	return l, l.Fingerprint != "", nil
}

func saveLiveRules(ctx context.Context, st *store.Store, srcs map[string][]byte, at time.Time) error {
	l := LiveRules{Fingerprint: pipelines.Fingerprint(srcs), Files: map[string]string{}, At: at}
	for name, src := range srcs {
		l.Files[filepath.Base(name)] = string(src)
	}
	if err := st.SaveState(ctx, liveRulesState, l); err != nil {
		return fmt.Errorf("save live rules: %w", err)
	}
	return nil
}

// Approve records that the rule files with fingerprint may go live however
// many records they rewrite; the daemon applies them at its next look.
func Approve(ctx context.Context, st *store.Store, a Approval) error {
	if err := st.SaveState(ctx, approvalState, a); err != nil {
		return fmt.Errorf("approve rules: %w", err)
	}
	return nil
}

func approval(ctx context.Context, st *store.Store) (Approval, error) {
	var a Approval
	if err := st.LoadState(ctx, approvalState, &a); err != nil {
		return a, fmt.Errorf("load rules approval: %w", err)
	}
	return a, nil
}

// TestRules runs the folder's *_test.yaml cases and returns an error naming
// every failing case, or nil when all pass (or there are none).
func TestRules(dir, mappingDir string) error {
	m, err := mappings.Load(mappingDir)
	if err != nil {
		return err
	}
	results, err := pipelines.RunTests(dir, m, io.Discard)
	if err != nil {
		return fmt.Errorf("rules tests: %w", err)
	}
	var failed []string
	for _, r := range results {
		if len(r.Failures) > 0 {
			failed = append(failed, fmt.Sprintf("%s: %q: %s", r.File, r.Name, strings.Join(r.Failures, "; ")))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("rules tests: %d failed: %s", len(failed), strings.Join(failed, " | "))
	}
	return nil
}

// StoredInputs reads the cached tickets and deals (not archived) as the
// engine's inputs, with the cached providers, so a rule change can be
// planned without asking HubSpot for every record.
func StoredInputs(ctx context.Context, st *store.Store, m *mappings.Mapping, owners []hubspot.Owner) ([]pipelines.Input, error) {
	companies, err := st.Records(ctx, hubspot.Companies, store.Filter{})
	if err != nil {
		return nil, err
	}
	providers := make([]pipelines.Provider, len(companies))
	for i, r := range companies {
		providers[i] = pipelines.ProviderOf(r.ID, r.Properties)
	}
	var out []pipelines.Input
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		recs, err := st.Records(ctx, typ, store.Filter{})
		if err != nil {
			return nil, err
		}
		for _, o := range objects(m, typ, recs) {
			in := pipelines.Input{ObjectType: typ, Record: o, Owners: owners}
			if typ == hubspot.Deals {
				in.Providers = providers
			}
			out = append(out, in)
		}
	}
	return out, nil
}

// objects turns cached records back into the wire shape the engine reads:
// the store keeps alusta's names (see mappings.Mapping.Translate), the
// engine reads the portal's properties.
func objects(m *mappings.Mapping, objectType string, recs []store.Record) []hubspot.Object {
	out := make([]hubspot.Object, len(recs))
	for i, r := range recs {
		out[i] = objectOf(m, objectType, r)
	}
	return out
}

func objectOf(m *mappings.Mapping, objectType string, r store.Record) hubspot.Object {
	props := make(map[string]*string, len(r.Properties))
	for k, v := range r.Properties {
		name := m.Property(objectType, k)
		if name == "" {
			name = k
		}
		props[name] = &v
	}
	return hubspot.Object{ID: r.ID, Properties: props, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Archived: r.Archived}
}

// gate decides whether next may replace the running rules: its folder's
// test cases pass and, unless approved, it rewrites at most maxChanges of
// the cached records.
func (d *Daemon) gate(ctx context.Context, next *ruleset) error {
	if err := TestRules(d.pipeDir, d.mapDir); err != nil {
		return err
	}
	cur := d.rules.Load()
	if cur == nil || d.maxChanges < 0 || cur.fingerprint == next.fingerprint {
		return nil
	}
	a, err := approval(ctx, d.store)
	if err != nil {
		return err
	}
	if a.Fingerprint == next.fingerprint {
		return nil
	}
	inputs, err := StoredInputs(ctx, d.store, next.mapping, next.owners)
	if err != nil {
		return fmt.Errorf("plan the change: %w", err)
	}
	d.cycleMu.Lock()
	plan, err := pipelines.ComparePlan(cur.engine, next.engine, inputs, d.mem.state, d.now())
	d.cycleMu.Unlock()
	if err != nil {
		return fmt.Errorf("plan the change: %w", err)
	}
	if n := len(plan.Changes); n > d.maxChanges {
		d.awaiting.Store(&next.fingerprint)
		return fmt.Errorf("the change would rewrite %d records, more than rules.max_changes (%d): review it with alusta rules plan, %w (rules %s)",
			n, d.maxChanges, ErrNeedsApproval, next.fingerprint)
	}
	return nil
}

// applyApproved reloads when rules held back by the gate have been
// approved since.
func (d *Daemon) applyApproved(ctx context.Context) error {
	fp := d.awaiting.Load()
	if fp == nil {
		return nil
	}
	a, err := approval(ctx, d.store)
	if err != nil || a.Fingerprint != *fp {
		return err
	}
	d.log.Info("rules approved", "rules", a.Fingerprint, "by", a.By)
	return d.Reload(ctx)
}

// gateStart applies the gate at start-up too, so that a restart does not
// let through rules a reload would have held back: when the folder's rules
// differ from the copy of the last ones that ran, they start only if the
// gate passes, and otherwise the copy runs and the log says why.
func (d *Daemon) gateStart(ctx context.Context) error {
	next := d.rules.Load()
	live, ok, err := LoadLiveRules(ctx, d.store)
	if err != nil {
		return err
	}
	if !ok || live.Fingerprint == next.fingerprint {
		return saveLiveRules(ctx, d.store, next.srcs, d.now())
	}
	srcs := live.Sources(d.pipeDir)
	r, err := pipelines.Parse(srcs, next.mapping)
	if err != nil {
		// The old rules no longer fit the mapping: the folder's are all
		// there is.
		d.log.Warn("the last rules that ran no longer load; starting with the folder's", "err", err)
		return saveLiveRules(ctx, d.store, next.srcs, d.now())
	}
	prev := &ruleset{mapping: next.mapping, rules: r, engine: pipelines.NewEngine(r, next.mapping), owners: next.owners,
		srcs: srcs, fingerprint: live.Fingerprint}
	d.rules.Store(prev)
	if err := d.gate(ctx, next); err != nil {
		d.log.Error("rules in the folder not started: running the last good rules", "rules", live.Fingerprint, "err", err)
		return nil
	}
	d.rules.Store(next)
	return saveLiveRules(ctx, d.store, next.srcs, d.now())
}

// WouldWrite is what the daemon would send for a decision on o: only real
// changes, and not a new explanation when it is the only change (see
// keepExplanation). rules explain shows this.
func WouldWrite(o hubspot.Object, dec pipelines.Decision, decisionProp string) pipelines.Values {
	w := dec.Writes.Clone()
	dropUnchanged(o, &w)
	if len(dec.Sticky) == 0 {
		keepExplanation(o, &w, decisionProp)
	}
	return w
}
