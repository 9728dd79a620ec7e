package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// ruleset is one consistent generation of mapping, rules and what they were
// resolved against; a reload swaps it whole or not at all.
type ruleset struct {
	mapping *mappings.Mapping
	rules   *pipelines.Rules
	engine  *pipelines.Engine
	owners  []hubspot.Owner
	// srcs are the rule files as read, and fingerprint identifies them.
	srcs        map[string][]byte
	fingerprint string
	// stages are the ids of the stages of the pipelines the mapping
	// names, by object type: the stages whose entry times a first look
	// reads (see history.go).
	stages map[string][]string
}

// Prepare checks the mapping and rules against the portal, creates the
// properties alusta writes when they are missing, and loads the engine's
// state. It fails with the first problem that would make decisions wrong.
func (d *Daemon) Prepare(ctx context.Context) error {
	rs, err := d.loadRules(ctx)
	if err != nil {
		return err
	}
	have, stageTimes, err := d.portalProperties(ctx, rs.mapping)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	group := hubspot.PropertyGroup{Name: "alusta", Label: "alusta", DisplayOrder: -1}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if d.shadow {
			break // shadow mode writes nothing, property definitions included
		}
		want := rs.mapping.WrittenProperties(typ)
		if !slices.ContainsFunc(want, func(p hubspot.Property) bool { return !have[typ][p.Name] }) {
			continue // all there: no need to list them again
		}
		created, err := d.client.EnsureProperties(ctx, typ, group, want)
		if err != nil {
			return fmt.Errorf("prepare: ensure %s properties: %w", typ, err)
		}
		if len(created) > 0 {
			d.log.Info("created properties", "object", typ, "properties", strings.Join(created, ","))
		}
		if have[typ] == nil {
			have[typ] = make(map[string]bool, len(want))
		}
		for _, p := range want {
			have[typ][p.Name] = true
		}
	}
	// Shadow mode creates no property and writes none.
	if err := rs.mapping.CheckProperties(have, !d.shadow); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	d.rules.Store(rs)
	d.metrics.zero(rs.rules)
	if err := d.gateStart(ctx); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	if err := d.switchMode(ctx); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	d.cycleMu.Lock()
	defer d.cycleMu.Unlock()
	st, err := LoadState(ctx, d.store)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	d.mem.versions = make(map[string]version)
	err = d.store.LoadStates(ctx, versionPrefix, func(name string, value []byte) error {
		var v version
		if err := json.Unmarshal(value, &v); err != nil {
			return fmt.Errorf("decode %s: %w", name, err)
		}
		d.mem.versions[strings.TrimPrefix(name, versionPrefix)] = v
		return nil
	})
	if err != nil {
		return fmt.Errorf("prepare: load record versions: %w", err)
	}
	d.mem.inflight = inflight{}
	if err := d.store.LoadState(ctx, inflightName, &d.mem.inflight); err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	d.mem.state = st
	d.mem.stageTimes = stageTimes
	d.rebuildWakes()
	return nil
}

// portalProperties lists the portal's properties of the object types the
// mapping names, one call per type, and returns their names by object
// type, and the prefix of the portal's stage entry time properties (see
// stageTimesPrefix). Prepare creates from them the properties alusta
// writes that are missing, and checks that every property the mapping
// names exists: a renamed or deleted property would otherwise read as
// empty on every record, and the rules would decide on nothing.
func (d *Daemon) portalProperties(ctx context.Context, m *mappings.Mapping) (map[string]map[string]bool, map[string]string, error) {
	have := make(map[string]map[string]bool)
	stageTimes := make(map[string]string)
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals, hubspot.Companies} {
		if m.Objects[typ] == nil {
			continue
		}
		props, err := d.client.Properties(ctx, typ)
		if err != nil {
			return nil, nil, fmt.Errorf("check mapped %s properties: %w", typ, err)
		}
		have[typ] = make(map[string]bool, len(props))
		for _, p := range props {
			have[typ][p.Name] = true
		}
		if typ == hubspot.Companies {
			continue
		}
		stageTimes[typ] = stageTimesPrefix(props)
		if stageTimes[typ] != "" {
			d.log.Info("stage times", "object", typ, "read", stageTimes[typ]+"<stage> properties with the records")
		} else {
			d.log.Info("stage times", "object", typ, "read", "property history on a record's first look, a call per 50 records: the portal has no date entered properties")
		}
	}
	return have, stageTimes, nil
}

// LoadState reads the rule engine's state as the daemon keeps it in the
// store: the shared part (rotations, counts) and the memory of the records
// named by keys ("deals/123"), or of every record when no key is given,
// with their SLA cycles from the store's sla_cycles, the one record of
// them. (A record saved before that keeps the cycles its memory holds.)
// rules explain uses it to decide as the daemon would.
func LoadState(ctx context.Context, s *store.Store, keys ...string) (*pipelines.State, error) {
	st := &pipelines.State{Records: make(map[string]*pipelines.RecordState)}
	if err := s.LoadState(ctx, stateName, st); err != nil {
		return nil, fmt.Errorf("load engine state: %w", err)
	}
	if st.Records == nil {
		st.Records = make(map[string]*pipelines.RecordState)
	}
	for _, k := range keys {
		r := &pipelines.RecordState{}
		found := false
		err := s.LoadStates(ctx, recordStatePrefix+k, func(name string, value []byte) error {
			if name != recordStatePrefix+k {
				return nil
			}
			found = true
			return json.Unmarshal(value, r)
		})
		if err != nil {
			return nil, fmt.Errorf("load engine state of %s: %w", k, err)
		}
		if !found {
			continue
		}
		st.Records[k] = r
		if len(r.SLA) > 0 {
			continue
		}
		typ, id, _ := strings.Cut(k, "/")
		cycles, err := s.SLACycles(ctx, typ, id)
		if err != nil {
			return nil, fmt.Errorf("load engine state of %s: %w", k, err)
		}
		r.SLA = engineCycles(cycles)
	}
	if len(keys) > 0 {
		return st, nil
	}
	err := s.LoadStates(ctx, recordStatePrefix, func(name string, value []byte) error {
		var r pipelines.RecordState
		if err := json.Unmarshal(value, &r); err != nil {
			return fmt.Errorf("decode %s: %w", name, err)
		}
		st.Records[strings.TrimPrefix(name, recordStatePrefix)] = &r
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load engine state: %w", err)
	}
	err = s.EachSLACycles(ctx, func(typ, id string, cycles []store.SLACycle) error {
		if r := st.Records[typ+"/"+id]; r != nil && len(r.SLA) == 0 {
			r.SLA = engineCycles(cycles)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load engine state: %w", err)
	}
	return st, nil
}

// portal is what mapping and rules are resolved against.
type portal interface {
	Pipelines(ctx context.Context, objectType string) ([]hubspot.Pipeline, error)
	Owners(ctx context.Context) ([]hubspot.Owner, error)
}

var _ portal = (*hubspot.Client)(nil)

// resolveRules reads the mapping in mapDir and the rules in pipeDir and
// resolves them against the portal's pipelines and owners: the one way
// the daemon and rules explain load what they decide with. It returns the
// pipelines it read too.
func resolveRules(ctx context.Context, p portal, pipeDir, mapDir string) (*ruleset, map[string][]hubspot.Pipeline, error) {
	m, err := mappings.Load(mapDir)
	if err != nil {
		return nil, nil, fmt.Errorf("load mappings: %w", err)
	}
	pipes := make(map[string][]hubspot.Pipeline)
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		ps, err := p.Pipelines(ctx, typ)
		if err != nil {
			return nil, nil, fmt.Errorf("load %s pipelines: %w", typ, err)
		}
		pipes[typ] = ps
	}
	if err := m.Resolve(pipes); err != nil {
		return nil, nil, fmt.Errorf("resolve mappings against the portal: %w", err)
	}
	srcs, err := pipelines.Sources(pipeDir)
	if err != nil {
		return nil, nil, fmt.Errorf("load rules: %w", err)
	}
	r, err := pipelines.Parse(srcs, m)
	if err != nil {
		return nil, nil, fmt.Errorf("load rules: %w", err)
	}
	owners, err := p.Owners(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load owners: %w", err)
	}
	return &ruleset{mapping: m, rules: r, engine: pipelines.NewEngine(r, m), owners: owners,
		srcs: srcs, fingerprint: pipelines.Fingerprint(srcs), stages: mappedStages(m, pipes)}, pipes, nil
}

// loadRules reads mapping and rules, resolves them against the portal and
// keeps the portal's pipelines in the store for the reports.
func (d *Daemon) loadRules(ctx context.Context) (_ *ruleset, err error) {
	defer func() { d.noteRules(ctx, err) }()
	rs, pipes, err := resolveRules(ctx, d.client, d.pipeDir, d.mapDir)
	if err != nil {
		return nil, err
	}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if err := d.store.UpsertPipelines(ctx, typ, pipes[typ]); err != nil {
			return nil, fmt.Errorf("store %s pipelines: %w", typ, err)
		}
	}
	for _, w := range rs.rules.Warnings() {
		d.log.Warn("rules", "warning", w)
	}
	for _, w := range rs.rules.MembersWithoutOwner(rs.owners) {
		d.log.Warn("rules", "warning", w)
	}
	return rs, nil
}

// Reload reads the rules and mappings again. An invalid reload, one whose
// test cases fail, or one waiting for approval (see gate.go) is returned
// and the last good rules keep running.
func (d *Daemon) Reload(ctx context.Context) error {
	rs, err := d.loadRules(ctx)
	if err == nil {
		err = d.gate(ctx, rs)
	}
	if errors.Is(err, ErrNeedsApproval) {
		d.metrics.reloads.WithLabelValues("held").Inc()
		return fmt.Errorf("reload: %w", err)
	}
	if err != nil {
		d.metrics.reloads.WithLabelValues("failed").Inc()
		return fmt.Errorf("reload: %w", err)
	}
	d.rules.Store(rs)
	d.metrics.zero(rs.rules)
	d.awaiting.Store(nil)
	d.metrics.reloads.WithLabelValues("ok").Inc()
	d.log.Info("rules reloaded", "pipelines", d.pipeDir, "mappings", d.mapDir, "rules", rs.fingerprint)
	if err := saveLiveRules(ctx, d.store, rs.srcs, d.now()); err != nil {
		d.log.Warn("rules reloaded but not recorded for rules plan", "err", err)
	}
	return nil
}
