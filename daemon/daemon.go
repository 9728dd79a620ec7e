package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/mappings"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
)

// The rule engine's state lives in the store in two parts: the shared part
// (rotations, counts) under stateName, and each record's memory under
// recordStatePrefix plus "tickets/123", so a page saves only its own records.
const (
	stateName         = "engine"
	recordStatePrefix = "engine/rec/"
	// versionPrefix keeps, per record, the hs_lastmodifieddate HubSpot gave
	// it when alusta last wrote it (see stale).
	versionPrefix = "engine/ver/"
)

// Options configure a Daemon.
type Options struct {
	Client *hubspot.Client
	Store  *store.Store
	// PipelinesDir and MappingsDir hold the rule and mapping YAML.
	PipelinesDir, MappingsDir string
	// Interval is the polling period; webhooks and SLA deadlines wake the
	// loop earlier.
	Interval time.Duration
	// Lookback re-reads this much before the cursor, because HubSpot's
	// search index lags behind its writes.
	Lookback time.Duration
	// Shadow decides but writes nothing to HubSpot; see shadow.go.
	Shadow bool
	// MaxChanges holds back a rule change that would rewrite more records
	// until it is approved: 0 means DefaultMaxChanges, negative no limit.
	MaxChanges int
	Now        func() time.Time
	Log        *slog.Logger
	Registerer prometheus.Registerer
}

// Daemon pulls, decides, pushes and remembers. One goroutine runs cycles
// (Run or Cycle); webhooks and reloads reach it through methods that are
// safe to call from others.
type Daemon struct {
	client   *hubspot.Client
	store    *store.Store
	pipeDir  string
	mapDir   string
	interval time.Duration
	lookback time.Duration
	now      func() time.Time
	log      *slog.Logger
	metrics  *metrics

	rules  atomic.Pointer[ruleset]
	health Health
	// maxChanges and awaiting (the fingerprint of rules held back for
	// approval) belong to the gate; see gate.go.
	maxChanges int
	awaiting   atomic.Pointer[string]
	shadow     bool
	prog       progress // see progress.go
	// syncedAsOf is the start of the last successful full cycle: the cache
	// holds HubSpot as it was then, give or take the index lag.
	syncedAsOf atomic.Int64

	// cycleMu serialises cycles; the fields below it belong to the cycle.
	cycleMu    sync.Mutex
	state      *pipelines.State
	versions   map[string]version
	wakes      wakeQueue
	retry      map[string]bool // deal ids left unassigned
	providerFP string
	providers  []pipelines.Provider

	// stopping is the context whose end asks a running cycle to stop
	// between pages.
	stopping atomic.Pointer[context.Context]

	pendingMu sync.Mutex
	pending   map[Target]bool
	echoes    map[string]echo // "tickets/123/alusta_queue" -> value alusta wrote
	kick      chan struct{}
}

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
}

// New returns a daemon. Call Prepare before the first cycle.
func New(opts Options) (*Daemon, error) {
	if opts.Client == nil || opts.Store == nil {
		return nil, errors.New("daemon: client and store are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Interval <= 0 {
		opts.Interval = 30 * time.Second
	}
	if opts.MaxChanges == 0 {
		opts.MaxChanges = DefaultMaxChanges
	}
	d := &Daemon{
		client:     opts.Client,
		store:      opts.Store,
		pipeDir:    opts.PipelinesDir,
		mapDir:     opts.MappingsDir,
		interval:   opts.Interval,
		maxChanges: opts.MaxChanges,
		shadow:     opts.Shadow,
		lookback:   opts.Lookback,
		now:        opts.Now,
		log:        opts.Log,
		retry:      make(map[string]bool),
		pending:    make(map[Target]bool),
		echoes:     make(map[string]echo),
		kick:       make(chan struct{}, 1),
	}
	m, err := newMetrics(opts.Registerer, d.lag)
	if err != nil {
		return nil, fmt.Errorf("daemon: metrics: %w", err)
	}
	d.metrics = m
	return d, nil
}

// lag is how far behind HubSpot the cache is, in seconds: it grows while
// syncing stalls, which is what an alert wants to see.
func (d *Daemon) lag() float64 {
	at := d.syncedAsOf.Load()
	if at == 0 {
		return 0
	}
	return d.now().Sub(time.Unix(0, at)).Seconds()
}

// Prepare checks the mapping and rules against the portal, creates the
// properties alusta writes when they are missing, and loads the engine's
// state. It fails with the first problem that would make decisions wrong.
func (d *Daemon) Prepare(ctx context.Context) error {
	rs, err := d.loadRules(ctx)
	if err != nil {
		return err
	}
	group := hubspot.PropertyGroup{Name: "alusta", Label: "alusta", DisplayOrder: -1}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if d.shadow {
			break // shadow mode writes nothing, property definitions included
		}
		created, err := d.client.EnsureProperties(ctx, typ, group, rs.mapping.WrittenProperties(typ))
		if err != nil {
			return fmt.Errorf("prepare: ensure %s properties: %w", typ, err)
		}
		if len(created) > 0 {
			d.log.Info("created properties", "object", typ, "properties", strings.Join(created, ","))
		}
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
	d.versions = make(map[string]version)
	err = d.store.LoadStates(ctx, versionPrefix, func(name string, value []byte) error {
		var v version
		if err := json.Unmarshal(value, &v); err != nil {
			return fmt.Errorf("decode %s: %w", name, err)
		}
		d.versions[strings.TrimPrefix(name, versionPrefix)] = v
		return nil
	})
	if err != nil {
		return fmt.Errorf("prepare: load record versions: %w", err)
	}
	d.state = st
	d.rebuildWakes()
	return nil
}

// LoadState reads the rule engine's state as the daemon keeps it in the
// store: the shared part (rotations, counts) and the memory of the records
// named by keys ("deals/123"), or of every record when no key is given.
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
		if found {
			st.Records[k] = r
		}
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
	return st, nil
}

// loadRules reads mapping and rules and resolves them against the portal.
func (d *Daemon) loadRules(ctx context.Context) (*ruleset, error) {
	m, err := mappings.Load(d.mapDir)
	if err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	pipes := make(map[string][]hubspot.Pipeline)
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		ps, err := d.client.Pipelines(ctx, typ)
		if err != nil {
			return nil, fmt.Errorf("load %s pipelines: %w", typ, err)
		}
		pipes[typ] = ps
	}
	for typ, ps := range pipes {
		if err := d.store.UpsertPipelines(ctx, typ, ps); err != nil {
			return nil, fmt.Errorf("store %s pipelines: %w", typ, err)
		}
	}
	if err := m.Resolve(pipes); err != nil {
		return nil, fmt.Errorf("resolve mappings against the portal: %w", err)
	}
	srcs, err := pipelines.Sources(d.pipeDir)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	r, err := pipelines.Parse(srcs, m)
	if err != nil {
		return nil, fmt.Errorf("load rules: %w", err)
	}
	for _, w := range r.Warnings() {
		d.log.Warn("rules", "warning", w)
	}
	owners, err := d.client.Owners(ctx)
	if err != nil {
		return nil, fmt.Errorf("load owners: %w", err)
	}
	for _, w := range r.MembersWithoutOwner(owners) {
		d.log.Warn("rules", "warning", w)
	}
	return &ruleset{mapping: m, rules: r, engine: pipelines.NewEngine(r, m), owners: owners,
		srcs: srcs, fingerprint: pipelines.Fingerprint(srcs)}, nil
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

// Summary is what one cycle did.
type Summary struct {
	Pulled    int
	Decisions int
	Writes    int
	Rejected  int
	Skipped   int
	// Stale counts reads older than alusta's own last write, left for a
	// fresher read.
	Stale int
	// Archived counts records found archived or deleted in HubSpot.
	Archived int
	Calls    int64
	Errors   int
	Duration time.Duration
}

func (s Summary) String() string {
	return fmt.Sprintf("pulled %d, decisions %d, writes %d, rejected %d, skipped records %d, stale reads %d, archived %d, api calls %d, errors %d, in %s",
		s.Pulled, s.Decisions, s.Writes, s.Rejected, s.Skipped, s.Stale, s.Archived, s.Calls, s.Errors, s.Duration.Round(time.Millisecond))
}

// Cycle runs one full pass: pull every object type since its cursor,
// decide what changed or fell due, push the results and save the state.
func (d *Daemon) Cycle(ctx context.Context) (Summary, error) {
	return d.cycle(ctx, true)
}

// Targeted runs a short pass over only what webhooks named and what SLA
// deadlines woke, so that a change reaches its decision in well under a
// polling interval.
func (d *Daemon) Targeted(ctx context.Context) (Summary, error) {
	return d.cycle(ctx, false)
}

func (d *Daemon) cycle(ctx context.Context, full bool) (Summary, error) {
	d.cycleMu.Lock()
	defer d.cycleMu.Unlock()
	start := d.now()
	calls := d.client.Calls()
	c := &cycle{d: d, rs: d.rules.Load(), seen: make(map[string]time.Time)}
	if c.rs == nil {
		return Summary{}, errors.New("cycle: Prepare has not run")
	}
	d.prog.begin(start, calls)
	err := c.run(ctx, full)
	d.prog.end()
	c.sum.Calls = d.client.Calls() - calls
	c.sum.Duration = d.now().Sub(start)
	if serr := d.saveState(ctx); serr != nil {
		err = errors.Join(err, serr)
	}
	d.metrics.cycle(c.sum, err)
	if err != nil {
		d.health.failed(err)
		return c.sum, err
	}
	if full {
		d.syncedAsOf.Store(start.UnixNano())
	}
	d.health.ok(d.now())
	return c.sum, nil
}

func (d *Daemon) saveState(ctx context.Context) error {
	if d.state == nil {
		return nil
	}
	return d.saveStates(ctx, nil)
}

// saveStates saves the shared engine state and the memory of the records
// named by keys in one transaction. A cancelled context must not lose the
// state of writes already made, so it is not used to cancel the save.
func (d *Daemon) saveStates(ctx context.Context, keys []string) error {
	shared := *d.state
	shared.Records = nil
	states := map[string]any{stateName: &shared}
	for _, k := range keys {
		if r := d.state.Records[k]; r != nil {
			states[recordStatePrefix+k] = r
		}
		if v, ok := d.versions[k]; ok {
			states[versionPrefix+k] = v
		}
	}
	if err := d.store.SaveStates(context.WithoutCancel(ctx), states); err != nil {
		return fmt.Errorf("save engine state: %w", err)
	}
	return nil
}

// cycle is the working memory of one Cycle.
type cycle struct {
	d   *Daemon
	rs  *ruleset
	sum Summary
	// seen holds the version (hs_lastmodifieddate) of each record decided
	// in this cycle: a record alusta just wrote may show up again in the
	// same cycle, and deciding it twice before its writes are visible would
	// misread alusta's own write as a person's.
	seen map[string]time.Time
	// forced holds records a webhook named for a change that was not
	// alusta's own: they are decided on the version read by id whatever
	// was seen before, since timestamps alone cannot order two changes
	// made in the same millisecond.
	forced map[string]bool
}

func (c *cycle) run(ctx context.Context, full bool) error {
	if !full {
		if err := c.webhookTargets(ctx); err != nil {
			return err
		}
		return c.dueWakes(ctx)
	}
	if err := c.pullOwners(ctx); err != nil {
		return err
	}
	// Providers first: deals are decided against them.
	if err := c.pull(ctx, hubspot.Companies); err != nil {
		return err
	}
	if err := c.loadProviders(ctx); err != nil {
		return err
	}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if err := c.pull(ctx, typ); err != nil {
			return err
		}
	}
	if err := c.webhookTargets(ctx); err != nil {
		return err
	}
	if err := c.dueWakes(ctx); err != nil {
		return err
	}
	if err := c.retryUnassigned(ctx); err != nil {
		return err
	}
	return nil
}

func (c *cycle) pullOwners(ctx context.Context) error {
	owners, err := c.d.client.Owners(ctx)
	if err != nil {
		return fmt.Errorf("pull owners: %w", err)
	}
	so := make([]store.Owner, len(owners))
	for i, o := range owners {
		so[i] = store.OwnerFromHubSpot(o)
	}
	if err := c.d.store.UpsertOwners(ctx, so); err != nil {
		return fmt.Errorf("store owners: %w", err)
	}
	// The engine resolves team members by email; a changed owner list
	// takes effect without a reload.
	rs := *c.rs
	rs.owners = owners
	c.rs = &rs
	return nil
}

// errCaughtUp ends a read that has reached the records changed since it
// began.
var errCaughtUp = errors.New("caught up")

// pull reads every record of typ changed since the cursor, page by page:
// each page is stored, decided and pushed before the cursor moves past it,
// so a crash or a 429 mid-read resumes where it stopped and loses nothing.
func (c *cycle) pull(ctx context.Context, typ string) error {
	d := c.d
	cur, err := d.store.Cursor(ctx, typ)
	if err != nil {
		return fmt.Errorf("sync %s: %w", typ, err)
	}
	started := d.now()
	since := cur.Since
	if !since.IsZero() {
		since = since.Add(-d.lookback)
	}
	props := c.rs.mapping.Properties(typ)
	newest := cur.Since
	page := 0
	caughtUp := false
	err = d.client.Changed(ctx, typ, since, props, func(objs []hubspot.Object, high time.Time) error {
		page++
		d.prog.page(d.now(), typ, len(objs), since, started, high)
		// Records changed after this read began, alusta's own writes of
		// this cycle above all, are left to the next cycle, which starts
		// at this read's start: reading them now would page through every
		// record alusta just wrote only to find nothing to do.
		n := len(objs)
		for n > 0 && !objs[n-1].UpdatedAt.Before(started) {
			n--
		}
		caughtUp = n < len(objs)
		if err := c.process(ctx, typ, objs[:n]); err != nil {
			return fmt.Errorf("page %d: %w", page, err)
		}
		if high.After(newest) {
			newest = high
		}
		// The next read starts at min(sync start, newest seen): a record
		// changed while this read ran may carry an older timestamp than
		// the newest seen, and the lookback catches the index lag.
		next := newest
		if next.After(started) {
			next = started
		}
		if err := d.store.SaveCursor(ctx, typ, store.Cursor{Since: next, SyncStartedAt: started, UpdatedAt: d.now()}); err != nil {
			return err
		}
		if d.stopped() {
			return errStopping
		}
		if caughtUp {
			return errCaughtUp
		}
		return nil
	})
	if err != nil && !errors.Is(err, errCaughtUp) {
		return fmt.Errorf("sync %s: %w", typ, err)
	}
	return nil
}

// process stores a batch of records and, for tickets and deals, decides
// and pushes them.
func (c *cycle) process(ctx context.Context, typ string, objs []hubspot.Object) error {
	d := c.d
	c.sum.Pulled += len(objs)
	d.metrics.pulled.WithLabelValues(typ).Add(float64(len(objs)))
	good := make([]hubspot.Object, 0, len(objs))
	recs := make([]store.Record, 0, len(objs))
	for _, o := range objs {
		if prop, reason := validate(typ, o); reason != "" {
			c.sum.Skipped++
			d.log.Warn("skipping bad record", "object", typ, "id", o.ID, "property", prop, "reason", reason)
			if err := d.store.RecordRejected(ctx, typ, o.ID, prop, reason); err != nil {
				return err
			}
			continue
		}
		good = append(good, o)
		recs = append(recs, store.RecordFromObject(o))
	}
	if err := d.store.UpsertRecords(ctx, typ, recs); err != nil {
		return err
	}
	if typ == hubspot.Companies {
		return nil
	}
	return c.decideAndPush(ctx, typ, good)
}

// validate finds what makes a record unusable: alusta skips and records it
// rather than stopping the sync.
func validate(typ string, o hubspot.Object) (prop, reason string) {
	if o.ID == "" {
		return "hs_object_id", "record has no id"
	}
	for _, name := range []string{"alusta_units", "amount", "alusta_provider_capacity", "alusta_provider_weight"} {
		v, ok := o.Prop(name)
		if !ok || v == "" {
			continue
		}
		if _, err := parseNumber(v); err != nil {
			return name, fmt.Sprintf("not a number: %q", truncate(v, 40))
		}
	}
	return "", ""
}

func parseNumber(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscan(strings.Replace(s, ",", ".", 1), &f)
	return f, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (c *cycle) loadProviders(ctx context.Context) error {
	recs, err := c.d.store.Records(ctx, hubspot.Companies, store.Filter{})
	if err != nil {
		return fmt.Errorf("load providers: %w", err)
	}
	objs := make([]hubspot.Object, len(recs))
	for i, r := range recs {
		objs[i] = objectOf(r)
	}
	ps := pipelines.ParseProviders(c.rs.mapping, objs)
	c.d.providers = ps
	return nil
}

// objectOf turns a cached record back into the wire shape the engine reads.
func objectOf(r store.Record) hubspot.Object {
	props := make(map[string]*string, len(r.Properties))
	for k, v := range r.Properties {
		props[k] = &v
	}
	return hubspot.Object{ID: r.ID, Properties: props, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Archived: r.Archived}
}

// decideAndPush decides each record and pushes the results in batches.
func (c *cycle) decideAndPush(ctx context.Context, typ string, objs []hubspot.Object) error {
	d := c.d
	now := d.now()
	var todo []pending
	for _, o := range objs {
		key := typ + "/" + o.ID
		// A version already decided, or one that only carries alusta's
		// own write, needs no second look; a newer one (a person's edit
		// that a webhook named after the record was read) does.
		if !c.forced[key] {
			if at, ok := c.seen[key]; ok && !o.UpdatedAt.After(at) {
				continue
			}
			if _, ok := c.seen[key]; ok && !o.UpdatedAt.After(d.versions[key].Modified) {
				continue
			}
			if d.stale(key, o) {
				c.sum.Stale++
				continue
			}
		}
		delete(c.forced, key)
		c.seen[key] = o.UpdatedAt
		if o.Archived {
			if err := c.archive(ctx, typ, o.ID); err != nil {
				return err
			}
			continue
		}
		if err := c.restoreWritten(ctx, typ, o.ID); err != nil {
			return err
		}
		snap := snapshot(d.state, key)
		in := pipelines.Input{ObjectType: typ, Record: o, Owners: c.rs.owners}
		if typ == hubspot.Deals {
			in.Providers = d.providers
		}
		dec, err := c.rs.engine.Decide(in, d.state, now)
		if err != nil {
			c.sum.Errors++
			d.log.Warn("decide failed", "object", typ, "id", o.ID, "err", err)
			restore(d.state, key, snap)
			d.state.Recount()
			if rerr := d.store.RecordRejected(ctx, typ, o.ID, "", err.Error()); rerr != nil {
				return rerr
			}
			continue
		}
		c.sum.Decisions++
		for _, rule := range strings.Split(dec.Rule, ",") {
			// One series per route: with continue, several matched.
			d.metrics.decisions.WithLabelValues(typ, rule).Inc()
		}
		dropUnchanged(o, dec.Writes)
		if len(dec.Sticky) == 0 {
			keepExplanation(o, dec.Writes, c.rs.mapping.Written.Decision)
		}
		if typ == hubspot.Deals {
			if dec.Retry {
				d.retry[o.ID] = true
			} else {
				delete(d.retry, o.ID)
			}
		}
		d.wakes.set(key, dec.NextWake)
		todo = append(todo, pending{obj: o, dec: dec, snap: snap})
	}
	return c.push(ctx, typ, todo, now)
}

// stale reports whether o is older than the version alusta's own last
// write produced. HubSpot's search index lags behind its writes, so a read
// shortly after a write may still show the values from before it; deciding
// on those would take alusta's own write for a person's edit. The record
// is read again, fresh, by a later page or cycle.
//
// The guard holds for staleWindow after the write only: HubSpot's index
// catches up within minutes, and a cache filled from another copy of a
// portal (a restored sandbox, say) must not hold records back for ever.
func (d *Daemon) stale(key string, o hubspot.Object) bool {
	v, ok := d.versions[key]
	return ok && !o.UpdatedAt.IsZero() && o.UpdatedAt.Before(v.Modified) && d.now().Sub(v.Written) < staleWindow
}

// version is what HubSpot said of a record when alusta wrote it: its new
// hs_lastmodifieddate, and when (on alusta's clock) the write was made.
type version struct {
	Modified time.Time `json:"modified"`
	Written  time.Time `json:"written"`
}

// staleWindow is how long after alusta's write an older read of the record
// is taken for the search index's lag.
const staleWindow = 10 * time.Minute

// archive notes that a record was archived or deleted in HubSpot: the
// cache keeps it, marked, for reports; the engine stops counting it as open
// work and its clocks stop waking.
func (c *cycle) archive(ctx context.Context, typ, id string) error {
	d := c.d
	rec, ok, err := d.store.Record(ctx, typ, id)
	if err != nil {
		return fmt.Errorf("archive %s %s: %w", typ, id, err)
	}
	if ok && !rec.Archived {
		rec.Archived = true
		if now := d.now(); now.After(rec.UpdatedAt) {
			rec.UpdatedAt = now
		}
		if err := d.store.UpsertRecords(ctx, typ, []store.Record{rec}); err != nil {
			return fmt.Errorf("archive %s %s: %w", typ, id, err)
		}
		c.sum.Archived++
		d.log.Info("record archived in HubSpot", "object", typ, "id", id)
	}
	d.state.Forget(typ, id)
	d.wakes.set(typ+"/"+id, time.Time{})
	delete(d.retry, id)
	return nil
}

// dropUnchanged removes writes that would change nothing. HubSpot stores an
// empty value as null, so "" and a missing value are the same.
func dropUnchanged(o hubspot.Object, writes map[string]string) {
	for prop, v := range writes {
		if cur, _ := o.Prop(prop); cur == v {
			delete(writes, prop)
		}
	}
}

// keepExplanation leaves the CRM's explanation alone when it is the only
// thing that would change: it tells staff why alusta last acted, and a
// later pass that changes nothing has no better story to tell. (A pass
// that leaves a person's change alone does, and says so.)
func keepExplanation(o hubspot.Object, writes map[string]string, prop string) {
	if len(writes) != 1 {
		return
	}
	if _, only := writes[prop]; !only {
		return
	}
	if cur, _ := o.Prop(prop); cur != "" {
		delete(writes, prop)
	}
}

// pending is a decision waiting to be pushed, with the record's engine
// memory from before it, to put back if HubSpot rejects the writes.
type pending struct {
	obj  hubspot.Object
	dec  pipelines.Decision
	snap *pipelines.RecordState
}

// restoreWritten makes the engine's memory of alusta's last writes agree
// with the store's write log, which is saved with every push; the engine
// state is saved less often, and after a crash it would otherwise take
// alusta's own writes for a person's.
func (c *cycle) restoreWritten(ctx context.Context, typ, id string) error {
	st := c.d.state
	if st.Records == nil {
		st.Records = make(map[string]*pipelines.RecordState)
	}
	w, err := c.d.store.LastWritten(ctx, typ, id)
	if err != nil {
		return err
	}
	if len(w) == 0 {
		return nil
	}
	rec := st.Records[typ+"/"+id]
	if rec == nil {
		rec = &pipelines.RecordState{}
		st.Records[typ+"/"+id] = rec
	}
	if rec.Written == nil {
		rec.Written = make(map[string]string, len(w))
	}
	for prop, v := range w {
		rec.Written[prop] = v.Value
	}
	return nil
}

func snapshot(st *pipelines.State, key string) *pipelines.RecordState {
	r := st.Records[key]
	if r == nil {
		return nil
	}
	cp := *r
	cp.Written = make(map[string]string, len(r.Written))
	for k, v := range r.Written {
		cp.Written[k] = v
	}
	cp.Declined = append([]string(nil), r.Declined...)
	cp.SLA = append([]pipelines.SLACycle(nil), r.SLA...)
	return &cp
}

// restore puts a record's engine memory back. The undone decision had
// already moved the open counts: callers Recount once after restoring.
func restore(st *pipelines.State, key string, snap *pipelines.RecordState) {
	if snap == nil {
		delete(st.Records, key)
		return
	}
	st.Records[key] = snap
}

// push writes a batch of decisions to HubSpot and logs each write.
func (c *cycle) push(ctx context.Context, typ string, todo []pending, now time.Time) error {
	d := c.d
	if d.shadow {
		return c.shadowPush(ctx, typ, todo, now)
	}
	var inputs []hubspot.BatchUpdateInput
	byID := make(map[string]*pending, len(todo))
	for i := range todo {
		p := &todo[i]
		byID[p.obj.ID] = p
		if len(p.dec.Writes) > 0 {
			inputs = append(inputs, hubspot.BatchUpdateInput{ID: p.obj.ID, Properties: p.dec.Writes})
		}
	}
	failed := make(map[string]string)
	if len(inputs) > 0 {
		// HubSpot may deliver the webhook of a write before the call that
		// made it returns: expect the echoes before sending.
		for _, in := range inputs {
			d.expectEchoes(typ, in.ID, in.Properties)
		}
		results, recErrs, err := d.client.BatchUpdate(ctx, typ, inputs)
		for _, o := range results {
			if !o.UpdatedAt.IsZero() {
				d.versions[typ+"/"+o.ID] = version{Modified: o.UpdatedAt, Written: d.now()}
			}
		}
		if err != nil {
			// Nothing of the batch is known to have landed: put the
			// engine's memory back so the next cycle decides again.
			for _, p := range todo {
				restore(d.state, typ+"/"+p.obj.ID, p.snap)
			}
			d.state.Recount()
			for _, in := range inputs {
				d.forgetEchoes(typ, in.ID, in.Properties)
			}
			return fmt.Errorf("push %s: %w", typ, err)
		}
		for _, re := range recErrs {
			failed[re.ID] = re.Error()
		}
		if len(recErrs) > 0 && len(failed[""]) > 0 {
			// An error HubSpot did not tie to a record fails them all.
			for _, in := range inputs {
				failed[in.ID] = failed[""]
			}
		}
	}
	var writes []store.Write
	var assocs []hubspot.AssociationPost
	var notes []hubspot.Note
	rejectedBefore := c.sum.Rejected
	for i := range todo {
		p := &todo[i]
		key := typ + "/" + p.obj.ID
		rule := p.dec.Rule
		reason, bad := failed[p.obj.ID]
		var decisionID int64
		if bad {
			restore(d.state, key, p.snap)
			c.sum.Rejected++
			d.metrics.writes.WithLabelValues(typ, "rejected").Add(float64(len(p.dec.Writes)))
			d.log.Warn("write rejected", "object", typ, "id", p.obj.ID, "reason", reason)
		} else {
			id, err := c.remember(ctx, typ, p, now)
			if err != nil {
				return err
			}
			decisionID = id
		}
		for _, prop := range sortedKeys(p.dec.Writes) {
			old, _ := p.obj.Prop(prop)
			w := store.Write{ObjectType: typ, RecordID: p.obj.ID, Property: prop, Old: old, New: p.dec.Writes[prop],
				Rule: rule, DecisionID: decisionID, At: now, Status: store.WriteApplied}
			if bad {
				w.Status, w.Reason = store.WriteRejected, reason
			} else {
				c.sum.Writes++
				d.metrics.writes.WithLabelValues(typ, "applied").Inc()
			}
			writes = append(writes, w)
		}
		if bad {
			d.forgetEchoes(typ, p.obj.ID, p.dec.Writes)
		}
		for _, prop := range p.dec.Sticky {
			cur, _ := p.obj.Prop(prop)
			writes = append(writes, store.Write{ObjectType: typ, RecordID: p.obj.ID, Property: prop, Old: cur, New: cur,
				Rule: rule, DecisionID: decisionID, At: now, Status: store.WriteSkippedHuman,
				Reason: "changed in the CRM after alusta's last write"})
		}
		if bad {
			continue
		}
		if a := p.dec.Associate; a != nil {
			assocs = append(assocs, hubspot.AssociationPost{
				From:  hubspot.ObjectID{ID: a.FromID},
				To:    hubspot.ObjectID{ID: a.ToID},
				Types: []hubspot.AssociationSpec{{Category: hubspot.HubSpotDefined, TypeID: a.TypeID}},
			})
		}
		for _, note := range p.dec.Notes {
			notes = append(notes, hubspot.Note{ObjectType: typ, ID: p.obj.ID, Body: note, At: now})
		}
	}
	if c.sum.Rejected > rejectedBefore {
		d.state.Recount()
	}
	if len(assocs) > 0 {
		if err := c.associate(ctx, typ, assocs); err != nil {
			return err
		}
	}
	if len(notes) > 0 {
		c.addNotes(ctx, typ, notes)
	}
	if _, err := d.store.LogWrites(ctx, writes); err != nil {
		return fmt.Errorf("log %s writes: %w", typ, err)
	}
	if err := c.cacheWritten(ctx, typ, todo, failed); err != nil {
		return err
	}
	keys := make([]string, len(todo))
	for i, p := range todo {
		keys[i] = typ + "/" + p.obj.ID
	}
	return d.saveStates(ctx, keys)
}

func (c *cycle) associate(ctx context.Context, typ string, posts []hubspot.AssociationPost) error {
	// Group by target type: today alusta associates deals and tickets to
	// provider companies only.
	res, err := c.d.client.AssociateBatch(ctx, typ, hubspot.Companies, posts)
	if err != nil {
		return fmt.Errorf("associate %s to companies: %w", typ, err)
	}
	if res != nil {
		for _, e := range res.Errors {
			c.sum.Errors++
			c.d.log.Warn("association rejected", "object", typ, "err", e.Error())
		}
	}
	return nil
}

// cacheWritten brings the cached records up to what HubSpot holds after
// the push, so reports see alusta's decisions without waiting for the next
// read, and a reconcile does not take alusta's own write for a gap.
func (c *cycle) cacheWritten(ctx context.Context, typ string, todo []pending, failed map[string]string) error {
	var recs []store.Record
	for _, p := range todo {
		if len(p.dec.Writes) == 0 {
			continue
		}
		if _, bad := failed[p.obj.ID]; bad {
			continue
		}
		r := store.RecordFromObject(p.obj)
		if r.Properties == nil {
			r.Properties = make(map[string]string, len(p.dec.Writes))
		}
		for k, v := range p.dec.Writes {
			r.Properties[k] = v
		}
		if v, ok := c.d.versions[typ+"/"+p.obj.ID]; ok && v.Modified.After(r.UpdatedAt) {
			r.UpdatedAt = v.Modified
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil
	}
	if err := c.d.store.UpsertRecords(ctx, typ, recs); err != nil {
		return fmt.Errorf("cache %s writes: %w", typ, err)
	}
	return nil
}

// addNotes attaches the page's notes in batches. A note that fails is
// logged and counted, not retried: the decision it explains stands, and a
// blind retry of a create could double it.
func (c *cycle) addNotes(ctx context.Context, typ string, notes []hubspot.Note) {
	d := c.d
	_, recErrs, err := d.client.AddNotes(ctx, notes)
	if err != nil {
		c.sum.Errors++
		d.log.Warn("add notes failed", "object", typ, "notes", len(notes), "err", err)
		return
	}
	for _, re := range recErrs {
		c.sum.Errors++
		d.log.Warn("note rejected", "object", typ, "err", re.Error())
	}
}

// remember saves the decision (a new history row only when it differs
// from the last one) and the SLA cycles of one record, and returns the
// decision's id for the write log.
func (c *cycle) remember(ctx context.Context, typ string, p *pending, now time.Time) (int64, error) {
	d := c.d
	dec := p.dec
	sd := store.Decision{
		ObjectType: typ, RecordID: p.obj.ID, Rule: dec.Rule,
		Queue:       valueAfter(p.obj, dec.Writes, "alusta_queue"),
		OwnerID:     valueAfter(p.obj, dec.Writes, "hubspot_owner_id"),
		ProviderID:  valueAfter(p.obj, dec.Writes, "alusta_provider"),
		Explanation: dec.Explanation, At: now, Fingerprint: fingerprint(dec),
	}
	id, err := d.store.SaveDecision(ctx, sd)
	if err != nil {
		return 0, err
	}
	if len(dec.SLA) > 0 {
		if err := d.store.SaveSLACycles(ctx, typ, p.obj.ID, slaCycles(dec.SLA)); err != nil {
			return 0, err
		}
	}
	var before []pipelines.SLACycle
	if p.snap != nil {
		before = p.snap.SLA
	}
	events := slaEvents(typ, p.obj.ID, before, dec.SLA, now)
	for _, e := range events {
		if e.Kind == store.SLABreached {
			d.metrics.breaches.Inc()
		}
	}
	if len(events) > 0 {
		if err := d.store.SaveSLAEvents(ctx, events); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// slaEvents are the clock changes between two decisions: a cycle started,
// or its status moved (warning, breached, met, paused, resumed).
func slaEvents(typ, id string, before, after []pipelines.SLACycle, now time.Time) []store.SLAEvent {
	type cycleKey struct {
		policy string
		start  int64
	}
	old := make(map[cycleKey]string, len(before))
	for _, c := range before {
		old[cycleKey{c.Policy, c.Start.UnixNano()}] = c.Status
	}
	n := make(map[string]int)
	var out []store.SLAEvent
	for _, c := range after {
		n[c.Policy]++
		prev, seen := old[cycleKey{c.Policy, c.Start.UnixNano()}]
		kind := c.Status
		switch {
		case !seen:
			kind = "started"
		case prev == c.Status:
			continue
		case prev == store.SLAPaused && c.Status == store.SLARunning:
			kind = "resumed"
		}
		out = append(out, store.SLAEvent{ObjectType: typ, RecordID: id, Goal: c.Policy, Cycle: n[c.Policy], Kind: kind, At: now})
		if !seen && c.Status != store.SLARunning {
			out = append(out, store.SLAEvent{ObjectType: typ, RecordID: id, Goal: c.Policy, Cycle: n[c.Policy], Kind: c.Status, At: now})
		}
	}
	return out
}

// valueAfter is a property's value once the decision's writes land.
func valueAfter(o hubspot.Object, writes map[string]string, prop string) string {
	if v, ok := writes[prop]; ok {
		return v
	}
	v, _ := o.Prop(prop)
	return v
}

func fingerprint(dec pipelines.Decision) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", dec.Rule, dec.Explanation)
	for _, k := range sortedKeys(dec.Writes) {
		fmt.Fprintf(h, "%s=%s\x00", k, dec.Writes[k])
	}
	for _, s := range dec.SLA {
		fmt.Fprintf(h, "%s/%s/%s/%d\x00", s.Policy, s.Goal, s.Status, s.Start.UnixMilli())
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// slaCycles numbers each policy's cycles from 1, oldest first.
func slaCycles(in []pipelines.SLACycle) []store.SLACycle {
	n := make(map[string]int)
	out := make([]store.SLACycle, 0, len(in))
	for _, s := range in {
		n[s.Policy]++
		sc := store.SLACycle{
			Goal: s.Policy, Cycle: n[s.Policy], StartedAt: s.Start,
			BusinessElapsedSeconds: int64(s.Elapsed / time.Second), Status: s.Status, Calendar: s.Calendar,
		}
		if !s.Due.IsZero() {
			due := s.Due
			sc.DueAt = &due
		}
		if !s.Stopped.IsZero() {
			st := s.Stopped
			sc.StoppedAt = &st
		}
		out = append(out, sc)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Enqueue asks for a targeted read of records a webhook named; the loop
// wakes at once. A change that only echoes alusta's own write is dropped:
// HubSpot notifies the app of its own writes too, and reading each of them
// back would double the calls of every push.
func (d *Daemon) Enqueue(cs []Change) {
	n := 0
	d.pendingMu.Lock()
	now := d.now()
	for k, e := range d.echoes {
		if now.Sub(e.at) > echoTTL {
			delete(d.echoes, k)
		}
	}
	for _, c := range cs {
		if c.Property != "" {
			if e, ok := d.echoes[c.ObjectType+"/"+c.ID+"/"+c.Property]; ok && e.value == c.Value {
				continue
			}
		}
		if !d.pending[c.Target] {
			d.pending[c.Target] = true
			n++
		}
	}
	d.pendingMu.Unlock()
	if n == 0 {
		return
	}
	d.metrics.webhookTargets.Add(float64(n))
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// echoTTL bounds how long a write is remembered for recognising its
// webhook echo; HubSpot delivers within seconds, retries within minutes.
const echoTTL = 15 * time.Minute

type echo struct {
	value string
	at    time.Time
}

// expectEchoes notes writes about to be sent, to recognise their webhooks.
func (d *Daemon) expectEchoes(typ, id string, writes map[string]string) {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	now := d.now()
	for prop, v := range writes {
		d.echoes[typ+"/"+id+"/"+prop] = echo{value: v, at: now}
	}
}

// forgetEchoes drops the expectation of writes that did not land.
func (d *Daemon) forgetEchoes(typ, id string, writes map[string]string) {
	d.pendingMu.Lock()
	defer d.pendingMu.Unlock()
	for prop := range writes {
		delete(d.echoes, typ+"/"+id+"/"+prop)
	}
}

func (c *cycle) webhookTargets(ctx context.Context) error {
	d := c.d
	d.pendingMu.Lock()
	byType := make(map[string][]string)
	for t := range d.pending {
		byType[t.ObjectType] = append(byType[t.ObjectType], t.ID)
	}
	d.pending = make(map[Target]bool)
	d.pendingMu.Unlock()
	if c.forced == nil {
		c.forced = make(map[string]bool)
	}
	for typ, ids := range byType {
		for _, id := range ids {
			c.forced[typ+"/"+id] = true
		}
	}
	for _, typ := range []string{hubspot.Companies, hubspot.Tickets, hubspot.Deals} {
		if err := c.readAndProcess(ctx, typ, byType[typ]); err != nil {
			// Put them back: polling would find them anyway, but sooner
			// is what the webhook was for.
			d.requeue(typ, byType[typ])
			return fmt.Errorf("webhook reads: %w", err)
		}
	}
	return nil
}

func (d *Daemon) requeue(typ string, ids []string) {
	cs := make([]Change, len(ids))
	for i, id := range ids {
		cs[i] = Change{Target: Target{ObjectType: typ, ID: id}}
	}
	d.Enqueue(cs)
}

// readAndProcess batch-reads records by id and runs them through the cycle.
func (c *cycle) readAndProcess(ctx context.Context, typ string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	todo := append([]string(nil), ids...)
	sort.Strings(todo)
	objs, recErrs, err := c.d.client.BatchRead(ctx, typ, todo, c.rs.mapping.Properties(typ))
	if err != nil {
		return fmt.Errorf("read %s: %w", typ, err)
	}
	for _, re := range recErrs {
		if re.Category == hubspot.CategoryObjectNotFound {
			if err := c.archive(ctx, typ, re.ID); err != nil {
				return err
			}
			continue
		}
		c.d.log.Info("record not readable", "object", typ, "id", re.ID, "reason", re.Message)
	}
	if err := c.process(ctx, typ, objs); err != nil {
		return err
	}
	if typ == hubspot.Companies {
		return c.loadProviders(ctx)
	}
	return nil
}

// dueWakes decides again the records whose SLA deadline has come.
func (c *cycle) dueWakes(ctx context.Context) error {
	due := c.d.wakes.due(c.d.now())
	byType := make(map[string][]string)
	for _, key := range due {
		typ, id, _ := strings.Cut(key, "/")
		byType[typ] = append(byType[typ], id)
	}
	for _, typ := range []string{hubspot.Tickets, hubspot.Deals} {
		if err := c.readAndProcess(ctx, typ, byType[typ]); err != nil {
			return fmt.Errorf("sla deadlines: %w", err)
		}
	}
	return nil
}

// retryUnassigned decides unassigned orders again when the providers
// changed in a way assignment depends on.
func (c *cycle) retryUnassigned(ctx context.Context) error {
	d := c.d
	fp := pipelines.ProvidersFingerprint(d.providers)
	if fp == d.providerFP {
		return nil
	}
	first := d.providerFP == ""
	d.providerFP = fp
	if first || len(d.retry) == 0 {
		return nil
	}
	ids := make([]string, 0, len(d.retry))
	for id := range d.retry {
		ids = append(ids, id)
	}
	d.log.Info("providers changed: deciding unassigned orders again", "orders", len(ids))
	return c.readAndProcess(ctx, hubspot.Deals, ids)
}

// rebuildWakes fills the deadline queue from the engine state once at
// start; after that each decision updates its own entry. The state keeps
// due times but not warning times, so every record with a running clock is
// decided once in the first cycle, which sets its exact next wake.
func (d *Daemon) rebuildWakes() {
	d.wakes = wakeQueue{}
	now := d.now()
	for key, r := range d.state.Records {
		for _, s := range r.SLA {
			if s.Stopped.IsZero() && !s.Paused && s.Status != store.SLABreached && s.Status != store.SLAMet {
				d.wakes.set(key, now)
				break
			}
		}
	}
}
