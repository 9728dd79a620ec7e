package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/alusta/alusta/connector/hubspot"
	"github.com/alusta/alusta/pipelines"
	"github.com/alusta/alusta/store"
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
	// Reconcile is the cron schedule of the full reconcile that
	// RunReconcile keeps; "" means none.
	Reconcile string
	// Shadow decides but writes nothing to HubSpot; see shadow.go.
	Shadow bool
	// MaxChanges holds back a rule change that would rewrite more records
	// until it is approved: 0 means DefaultMaxChanges, negative no limit.
	MaxChanges int
	Now        func() time.Time
	Log        *slog.Logger
	Registerer prometheus.Registerer
	// Forwarder, when set, is told of orders forwarded to providers.
	Forwarder Forwarder
	// ReferralNotifier tells NGOs of welfare referrals; nil makes and
	// tracks referrals without telling anyone.
	ReferralNotifier ReferralNotifier
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
	// reconcile is Options.Reconcile parsed; nil means none.
	reconcile cron.Schedule
	now       func() time.Time
	log       *slog.Logger
	metrics   *metrics
	// forwarder is Options.Forwarder (see forward.go).
	forwarder Forwarder
	// referralNotifier is Options.ReferralNotifier (see referral.go).
	referralNotifier ReferralNotifier

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

	// cycleMu serialises cycles and guards what they carry from one to
	// the next.
	cycleMu sync.Mutex
	mem     memory

	// stopping is the context whose end asks a running cycle to stop
	// between pages.
	stopping atomic.Pointer[context.Context]

	problems problemLog // rule failures, logged at a bounded rate

	pendingMu sync.Mutex
	pending   map[Target]bool
	// maxPending caps pending (maxPendingTargets); overflow says targets
	// were left out since the last cycle began, so the next cycle must be
	// a full one.
	maxPending int
	overflow   bool
	echoes     map[string][]echo // "tickets/123" -> what alusta wrote to it
	kick       chan struct{}
}

// memory is what one cycle leaves to the next: the engine's state, what
// alusta last wrote, the SLA deadlines, and the providers deals are decided
// against. The cycles own it, one at a time, under Daemon.cycleMu.
type memory struct {
	state    *pipelines.State
	versions map[string]version
	wakes    wakeQueue
	// retry holds the deal ids left unassigned, to decide again when the
	// providers change.
	retry      map[string]bool
	providerFP string
	providers  []pipelines.Provider
	activities []pipelines.Activity // NGO activities, for suggestions
	// inflight is the batch update whose answer has not come.
	inflight inflight
	// stageTimes is, by object type, the prefix of the portal's stage
	// entry time properties, or "" where it has none (see history.go).
	stageTimes map[string]string
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
		lookback:   opts.Lookback,
		now:        opts.Now,
		log:        opts.Log,
		mem:        memory{retry: make(map[string]bool)},
		pending:    make(map[Target]bool),
		maxPending: maxPendingTargets,
		echoes:     make(map[string][]echo),
		kick:       make(chan struct{}, 1),
	}
	d.forwarder = opts.Forwarder
	d.referralNotifier = opts.ReferralNotifier
	d.maxChanges = opts.MaxChanges
	d.shadow = opts.Shadow
	if opts.Reconcile != "" {
		sched, err := cron.ParseStandard(opts.Reconcile)
		if err != nil {
			return nil, fmt.Errorf("daemon: reconcile schedule %q: %w", opts.Reconcile, err)
		}
		d.reconcile = sched
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

// Summary is what one cycle did.
type Summary struct {
	Pulled    int
	Decisions int
	Writes    int
	Rejected  int
	Skipped   int
	// Lagging counts reads older than alusta's own last write (HubSpot's
	// search index lags behind its writes), left for a fresher read.
	Lagging int
	// Archived counts records found archived or deleted in HubSpot.
	Archived int
	Calls    int64
	Errors   int
	Duration time.Duration
}

func (s Summary) String() string {
	return fmt.Sprintf("pulled %d, decisions %d, writes %d, rejected %d, skipped records %d, lagging reads %d, archived %d, api calls %d, errors %d, in %s",
		s.Pulled, s.Decisions, s.Writes, s.Rejected, s.Skipped, s.Lagging, s.Archived, s.Calls, s.Errors, s.Duration.Round(time.Millisecond))
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
	c := &cycle{d: d, rs: d.rules.Load(), seen: make(map[string]bool), began: start}
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

// cycle is the working memory of one Cycle.
type cycle struct {
	d     *Daemon
	rs    *ruleset
	sum   Summary
	began time.Time
	// seen holds the records decided in this cycle: a by-id read of one
	// (a wake, a retry) that brings nothing new is not decided twice.
	seen map[string]bool
	// forced holds records a webhook named for a change that was not
	// alusta's own: they are decided on the version read by id whatever
	// was seen before, since timestamps alone cannot order two changes
	// made in the same millisecond.
	forced map[string]bool
	// settling is the batch update whose answer was lost, while its
	// records are read back (see settleInflight).
	settling inflight
	landedN  int // writes of settling found landed
}
